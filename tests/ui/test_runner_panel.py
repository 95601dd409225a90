"""The runner panel: collections run against the sandbox over real HTTP, 429s waited out."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from explorer.core.catalog import HttpMethod
from explorer.core.connection import Connection
from explorer.core.request import Draft
from explorer.store.collections import Collection, SavedRequest, create_collection
from explorer.store.history import History
from explorer.ui.runner_panel import RunnerPanel, countdown_text


@pytest.fixture
def panel(qtbot: Any, http: httpx.AsyncClient) -> RunnerPanel:
    widget = RunnerPanel(history=History())
    qtbot.addWidget(widget)
    widget.set_http(http)
    widget.resize(560, 300)
    widget.show()
    return widget


def reads() -> Collection:
    coll = create_collection("Reads")
    coll.add(SavedRequest("List contacts", Draft("contacts")))
    folder = coll.create_folder("Org")
    coll.add(SavedRequest("Fields", Draft("fields")), folder)
    coll.add(SavedRequest("Groups", Draft("groups")), folder)
    return coll


def groups_round_trip() -> Collection:
    """List contacts, then create a group, fetch it by name and delete it."""
    coll = create_collection("Groups round trip")
    coll.set_variables({"group_name": f"Runner panel {uuid.uuid4().hex[:10]}"})
    coll.add(SavedRequest("List contacts", Draft("contacts")))
    coll.add(
        SavedRequest(
            "Create group",
            Draft("groups", HttpMethod.POST, body={"name": "{{group_name}}"}),
            expect_status=(201,),
        )
    )
    coll.add(
        SavedRequest(
            "Fetch it by name",
            Draft("groups", params={"name": "{{group_name}}"}),
            capture={"found_uuid": "results.0.uuid"},
        )
    )
    coll.add(
        SavedRequest(
            "Delete it",
            Draft("groups", HttpMethod.DELETE, params={"uuid": "{{found_uuid}}"}),
            expect_status=(204,),
        )
    )
    return coll


def rows(panel: RunnerPanel) -> list[list[str]]:
    return [
        [panel.results.topLevelItem(i).text(c) for c in range(5)]
        for i in range(panel.results.topLevelItemCount())
    ]


def test_runs_a_collection_against_the_sandbox(
    panel: RunnerPanel, sandbox: Any, qtbot: Any
) -> None:
    coll = reads()
    assert not panel.run_button.isEnabled()  # no connection yet
    panel.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, is_sandbox=True))
    panel.set_collections([coll])
    assert [panel.target.itemText(i).strip() for i in range(panel.target.count())] == [
        "Reads",
        "Org",
    ]
    finished: list[Any] = []
    panel.run_finished.connect(finished.append)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.stop_button.isEnabled() and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    assert [r[1] for r in rows(panel)] == ["List contacts", "Org/Fields", "Org/Groups"]
    assert [r[4] for r in rows(panel)] == ["pass", "pass", "pass"]
    assert all(r[2] == "200 OK" and r[3].endswith("ms") for r in rows(panel))
    assert panel.summary.text() == "3 passed, 0 failed"
    assert panel.results.topLevelItem(0).foreground(4).color().name() == "#2e7d32"
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()
    assert len(History()) == 3  # every send is in the history

    # Just one folder.
    panel.set_target(coll, "Org")
    finished.clear()
    panel.run()
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    assert panel.summary.text() == "2 passed, 0 failed"


def test_a_failure_is_red_with_its_reason(panel: RunnerPanel, sandbox: Any, qtbot: Any) -> None:
    coll = create_collection("Expectations")
    coll.add(SavedRequest("Expect 404", Draft("contacts"), expect_status=(404,)))
    coll.add(SavedRequest("Fine", Draft("contacts")))
    panel.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, is_sandbox=True))
    panel.set_target(coll)
    task = panel.run()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    assert [r[4] for r in rows(panel)] == ["fail", "pass"]
    item = panel.results.topLevelItem(0)
    assert item.foreground(4).color().name() == "#c62828"
    assert "expected 404, got 200 OK" in item.toolTip(4)
    assert panel.summary.text() == "1 passed, 1 failed"


def test_a_rate_limit_shows_a_countdown_and_the_run_completes(
    panel: RunnerPanel, fresh_sandbox: Any, qtbot: Any
) -> None:
    coll = groups_round_trip()
    fresh_sandbox.set_rate("2/second")  # the 3rd groups request in a second gets 429
    panel.set_connection(
        Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token, is_sandbox=True)
    )
    panel.set_target(coll)
    seen: list[str] = []
    panel.run()
    qtbot.waitUntil(panel.countdown.isVisible, timeout=10_000)
    seen.append(panel.countdown.text())
    panel.grab().save("/tmp/runner_panel_waiting.png")
    qtbot.waitUntil(lambda: not panel.running, timeout=20_000)
    assert seen[0].startswith("Rate limit: continuing in 0:0")
    assert panel.summary.text() == "4 passed, 0 failed", rows(panel)
    assert any("waited out" in r[4] for r in rows(panel))
    assert not panel.countdown.isVisible()


def test_stop_cancels_a_run_during_a_wait(
    panel: RunnerPanel, fresh_sandbox: Any, qtbot: Any
) -> None:
    coll = reads()
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 30
    panel.set_connection(
        Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token, is_sandbox=True)
    )
    panel.set_target(coll)
    panel.run()
    qtbot.waitUntil(panel.countdown.isVisible, timeout=10_000)
    assert panel.countdown.text() in (countdown_text(30), countdown_text(29))
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=5_000)
    assert panel.summary.text() == "Stopped after 0 of 3: 0 passed, 0 failed"
    assert rows(panel)[0][4] == "stopped"
    assert panel.run_button.isEnabled() and not panel.countdown.isVisible()


def test_deletes_on_a_real_workspace_ask_first(
    panel: RunnerPanel, sandbox: Any, qtbot: Any
) -> None:
    coll = groups_round_trip()
    panel.set_connection(Connection("Production", sandbox.base_url, sandbox.token))
    panel.set_target(coll)
    assert panel.run() is None
    box = panel.confirm_box
    assert box is not None and box.isVisible() and "Delete it" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert not panel.running and panel.results.topLevelItemCount() == 0

    panel.run()
    box = panel.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    assert panel.running
    qtbot.waitUntil(lambda: not panel.running, timeout=10_000)
    assert panel.summary.text() == "4 passed, 0 failed"


def test_countdown_text() -> None:
    assert countdown_text(12) == "Rate limit: continuing in 0:12"
    assert countdown_text(75) == "Rate limit: continuing in 1:15"


def test_screenshot(panel: RunnerPanel, sandbox: Any, qtbot: Any) -> None:
    coll = reads()
    coll.add(SavedRequest("Expect 404", Draft("contacts"), expect_status=(404,)))
    panel.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, is_sandbox=True))
    panel.set_collections([coll])
    task = panel.run()
    assert task is not None
    qtbot.waitUntil(task.done, timeout=10_000)
    qtbot.wait(50)
    assert panel.grab().save("/tmp/runner_panel.png")
