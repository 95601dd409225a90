"""The history panel: real sends to the sandbox recorded, searched, kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt

from explorer.core.catalog import HttpMethod
from explorer.core.client import Outcome, send
from explorer.core.request import Draft, build_request, prepare
from explorer.store.history import History
from explorer.ui.history_panel import COLUMNS, HistoryPanel


@pytest.fixture
def do_send(
    sandbox: Any, http: httpx.AsyncClient, arun: Callable[..., Any]
) -> Callable[[Draft], Outcome]:
    def run(draft: Draft) -> Outcome:
        request = build_request(sandbox.base_url, sandbox.token, prepare(draft))
        return arun(send(http, request, base_url=sandbox.base_url))  # type: ignore[no-any-return]

    return run


def cells(panel: HistoryPanel, row: int) -> list[str]:
    return [str(panel.model.index(row, c).data()) for c in range(panel.model.columnCount())]


def test_a_send_is_listed_searched_kept_and_reopened(
    qtbot: Any, do_send: Callable[[Draft], Outcome]
) -> None:
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    assert panel.entries() == []
    contacts = Draft("contacts", params={"urn": "tel:+250788000001"})
    missing = Draft(
        "contacts", HttpMethod.DELETE, params={"uuid": "00000000-0000-4000-8000-000000000000"}
    )
    panel.history.record(contacts, do_send(contacts), workspace="Sandbox")
    panel.history.record(missing, do_send(missing), workspace="Sandbox")

    row = cells(panel, 0)  # newest first
    assert row[1:4] == ["DELETE", "contacts", "404"]
    assert cells(panel, 1)[1:4] == ["GET", "contacts", "200"] and row[5] == "Sandbox"
    assert row[4].endswith("ms") or row[4].endswith("s")
    green = panel.model.index(1, 3).data(Qt.ItemDataRole.ForegroundRole)
    amber = panel.model.index(0, 3).data(Qt.ItemDataRole.ForegroundRole)
    assert green.name() == "#2e7d32" and amber.name() == "#b26a00"

    # As-you-type search, after a short pause.
    qtbot.keyClicks(panel.search, "urn=tel:+250788")
    qtbot.waitUntil(lambda: len(panel.entries()) == 1)
    assert panel.entries()[0].endpoint == "contacts"
    panel.search.clear()
    qtbot.waitUntil(lambda: len(panel.entries()) == 2)

    # A restart: a new panel reads the same file.
    again = HistoryPanel()
    qtbot.addWidget(again)
    assert [e.method.value for e in again.entries()] == ["DELETE", "GET"]
    with qtbot.waitSignal(again.request_opened) as blocker:
        again.open_row(1)
    assert blocker.args[0] == contacts

    # Double-click on a row does the same.
    again.show()
    rect = again.table.visualRect(again.model.index(0, 2))
    qtbot.mouseClick(again.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(again.request_opened) as blocker:
        qtbot.mouseDClick(again.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0] == missing


def test_a_send_hidden_by_the_search_is_still_recorded(
    qtbot: Any, do_send: Callable[[Draft], Outcome]
) -> None:
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.search.setText("flows")
    panel.apply_search()
    draft = Draft("contacts")
    panel.history.record(draft, do_send(draft))
    assert panel.entries() == []
    assert len(History()) == 1


def test_failures_are_red_and_unreadable_lines_are_reported(qtbot: Any) -> None:
    history = History()
    history.path.parent.mkdir(parents=True, exist_ok=True)
    history.path.write_text("not json\n", "utf-8")
    history.reload()
    panel = HistoryPanel(history)
    qtbot.addWidget(panel)
    panel.history.record(Draft("contacts"), None, workspace="Prod")  # no response at all
    assert panel.model.index(0, 3).data(Qt.ItemDataRole.ForegroundRole).name() == "#c62828"
    assert panel.notice.isVisibleTo(panel) and "line 1" in panel.notice.text()


def test_screenshot(qtbot: Any, do_send: Callable[[Draft], Outcome]) -> None:
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    for draft in (
        Draft("contacts"),
        Draft(
            "contacts", HttpMethod.DELETE, params={"uuid": "00000000-0000-4000-8000-000000000000"}
        ),
        Draft("flows"),
    ):
        panel.history.record(draft, do_send(draft), workspace="Sandbox")
    panel.history.record(Draft("runs"), None, workspace="Staging")
    panel.resize(560, 300)
    panel.show()
    qtbot.wait(50)
    assert panel.grab().save("/tmp/history_panel.png")


def test_status_shows_beside_time_method_and_endpoint_in_the_side_panel(
    qtbot: Any, do_send: Callable[[Draft], Outcome]
) -> None:
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    missing = Draft(
        "contacts", HttpMethod.DELETE, params={"uuid": "00000000-0000-4000-8000-000000000000"}
    )
    panel.history.record(missing, do_send(missing), workspace="Sandbox")
    panel.resize(310, 400)  # the side panel's width in the default layout
    panel.show()
    qtbot.waitExposed(panel)
    header = panel.table.horizontalHeader()
    width = panel.table.viewport().width()
    for name in ("Time", "Method", "Status"):
        column = COLUMNS.index(name)
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert header.sectionViewportPosition(column) >= 0 and right <= width, name
    endpoint = COLUMNS.index("Endpoint")
    assert header.sectionViewportPosition(endpoint) < width - 40  # some of it, at least
    shown = [
        header.logicalIndex(v) for v in range(header.count()) if header.logicalIndex(v) >= 0
    ]
    assert [COLUMNS[c] for c in shown[:4]] == ["Time", "Method", "Status", "Endpoint"]


def test_sends_recorded_by_anyone_show_in_every_panel_of_that_history(
    qtbot: Any, do_send: Callable[[Draft], Outcome]
) -> None:
    history = History()
    side, other = HistoryPanel(history), HistoryPanel(history)
    qtbot.addWidget(side)
    qtbot.addWidget(other)
    other.search.setText("flows")
    other.apply_search()
    draft = Draft("contacts")
    history.record(draft, do_send(draft), workspace="Sandbox")  # the window's send, say
    assert [cells(side, 0)[1:4]] == [["GET", "contacts", "200"]]
    assert other.entries() == []  # its search hides it; it is still recorded
    history.clear()
    assert side.entries() == []


def test_a_collection_run_shows_in_the_history_as_it_goes(
    qtbot: Any, sandbox: Any, http: httpx.AsyncClient
) -> None:
    from explorer.store.collections import SavedRequest, create_collection
    from explorer.ui.runner_panel import RunnerPanel

    history = History()
    panel = HistoryPanel(history)
    runner = RunnerPanel(history=history)
    for widget in (panel, runner):
        qtbot.addWidget(widget)
    coll = create_collection("Reads")
    coll.add(SavedRequest("List contacts", Draft("contacts")))
    coll.add(SavedRequest("List groups", Draft("groups")))

    from explorer.core.connection import Connection

    runner.set_http(http)
    runner.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, True))
    runner.set_collections([coll])
    with qtbot.waitSignal(runner.run_finished, timeout=10_000):
        runner.run_button.click()
    # Nobody told the panel: the history said so.
    assert [cells(panel, r)[1:4] for r in range(2)] == [
        ["GET", "groups", "200"],
        ["GET", "contacts", "200"],
    ]
