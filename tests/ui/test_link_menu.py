"""Following references from a response, keyboard only, against the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from explorer.core.catalog import catalog
from explorer.core.client import Outcome, make_http_client
from explorer.core.connection import Connection
from explorer.ui.main_window import MainWindow


@pytest.fixture
def win(qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path) -> Iterator[MainWindow]:
    http = make_http_client()
    window = MainWindow(
        catalog(), http, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, is_sandbox=True))
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.ask_before_close = False
    window.close()


def send(qtbot: Any, window: MainWindow) -> Outcome:
    assert window.send_button.isEnabled(), window.send_problem.text()
    with qtbot.waitSignal(window.outcome_shown, timeout=15000) as blocker:
        qtbot.keyClick(window.send_button, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    body = window.response.body
    qtbot.waitUntil(lambda: body.links() is not None and body.links().done, timeout=10000)
    return blocker.args[0]


def open_listing(qtbot: Any, window: MainWindow, endpoint: str) -> Outcome:
    window.endpoints.select(endpoint)
    return send(qtbot, window)


def follow(qtbot: Any, window: MainWindow, tabs: int, label: str) -> Any:
    """Tab to the ``tabs``-th link on screen, Enter, then arrow down to ``label`` and Enter."""
    area = window.response.body.area
    area.setFocus(Qt.FocusReason.TabFocusReason)
    for _ in range(tabs):
        qtbot.keyClick(area, Qt.Key.Key_Tab)
    link = area.links.current
    assert link is not None
    qtbot.keyClick(area, Qt.Key.Key_Return)
    menu = window.response.link_menu
    assert menu is not None and menu.isVisible()
    labels = menu.labels()
    assert label in labels, labels
    for _ in range(labels.index(label)):
        qtbot.keyClick(menu, Qt.Key.Key_Down)
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.response.link_menu is None or not menu.isVisible())
    return link


def a_contact_with_messages_and_runs(sandbox: Any) -> str:
    """A seeded contact with both (other tests add contacts that have neither)."""
    headers = {"Authorization": f"Token {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as api:
        messaged = {
            m["contact"]["uuid"] for m in api.get("/api/v2/messages.json").json()["results"]
        }
        ran = [r["contact"]["uuid"] for r in api.get("/api/v2/runs.json").json()["results"]]
    return next(uuid for uuid in ran if uuid in messaged)


def list_contacts(qtbot: Any, window: MainWindow, uuid: str) -> Outcome:
    window.endpoints.select("contacts")
    window.form.set_values({"uuid": uuid}, {})
    return send(qtbot, window)


def test_a_contact_leads_to_its_messages_and_its_runs_by_keyboard(
    win: MainWindow, qtbot: Any, sandbox: Any
) -> None:
    outcome = list_contacts(qtbot, win, a_contact_with_messages_and_runs(sandbox))
    first = outcome.results[0]
    listing = win.current_tab
    link = follow(qtbot, win, 1, "Its messages")
    assert (link.ref.kind, link.ref.value, link.ref.name) == (
        "contacts",
        first["uuid"],
        first["name"],
    )
    # A new tab holds the request, not yet sent; the contacts stay in the tab they came in.
    assert win.tabs.count() == 2 and win.current_tab is not listing
    assert win.form.endpoint.name == "messages" and win.form.method.value == "GET"
    assert win.form.draft().params["contact"] == first["uuid"]
    assert win.response.status_label.text() == "No request sent yet."
    assert listing.response.body.body() == outcome.content
    messages = send(qtbot, win)
    assert messages.ok and messages.results
    assert {m["contact"]["uuid"] for m in messages.results} == {first["uuid"]}

    win.tabs.setCurrentWidget(listing)
    list_contacts(qtbot, win, first["uuid"])
    follow(qtbot, win, 1, "Its runs")
    assert win.tabs.count() == 3 and win.form.endpoint.name == "runs"
    runs = send(qtbot, win)
    assert runs.ok and runs.results
    assert {r["contact"]["uuid"] for r in runs.results} == {first["uuid"]}


def test_a_flow_leads_to_its_definition(win: MainWindow, qtbot: Any) -> None:
    outcome = open_listing(qtbot, win, "flows")
    flow = outcome.results[0]
    link = follow(qtbot, win, 1, "Its definition")
    assert link.ref.value == flow["uuid"]
    assert win.form.endpoint.name == "definitions"
    definition = send(qtbot, win)
    assert definition.ok
    assert flow["uuid"] in {f["uuid"] for f in definition.json["flows"]}


def test_tab_walks_the_links_on_screen_then_leaves_the_body(win: MainWindow, qtbot: Any) -> None:
    open_listing(qtbot, win, "runs")
    area = win.response.body.area
    area.setFocus(Qt.FocusReason.TabFocusReason)
    top = area.top_row()
    lo = area.index.row_span(True, top)[0]
    hi = area.index.row_span(True, top + area.page_rows() - 1)[1]
    on_screen = area.links.scanner.between(lo, hi)
    assert len(on_screen) >= 3
    seen = []
    for _ in on_screen:
        qtbot.keyClick(area, Qt.Key.Key_Tab)
        seen.append(area.links.current)
    assert seen == on_screen
    qtbot.keyClick(area, Qt.Key.Key_Backtab)
    assert area.links.current == on_screen[-2]
    area.links.current = on_screen[-1]
    qtbot.keyClick(area, Qt.Key.Key_Tab)  # past the last: on to the next control
    assert not area.hasFocus()


def hover(area: Any, where: QPointF) -> None:
    """The pointer moves over the body, no button held."""
    viewport = area.viewport()
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        where,
        QPointF(viewport.mapToGlobal(where.toPoint())),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, event)


def test_the_pointer_turns_to_a_hand_over_a_link_only(win: MainWindow, qtbot: Any) -> None:
    open_listing(qtbot, win, "runs")
    area = win.response.body.area
    link = area.links.scanner.links[0]
    point = area.viewport().mapFromGlobal(area.link_point(link))
    over = QPointF(point.x() + area.char_w * 2, point.y() - area.line_h / 2)
    hover(area, over)
    assert area.links.hover == link
    assert area.viewport().cursor().shape() == Qt.CursorShape.PointingHandCursor
    beside = QPointF(2.0, over.y())  # the line numbers beside it
    hover(area, beside)
    assert area.links.hover is None
    assert area.viewport().cursor().shape() == Qt.CursorShape.IBeamCursor
    qtbot.mouseClick(area.viewport(), Qt.MouseButton.LeftButton, pos=over.toPoint())
    menu = win.response.link_menu
    assert menu is not None and menu.isVisible() and "Open it" in menu.labels()
    menu.close()


def test_copy_uuid_from_the_menu(win: MainWindow, qtbot: Any) -> None:
    outcome = open_listing(qtbot, win, "groups")
    area = win.response.body.area
    area.setFocus()
    qtbot.keyClick(area, Qt.Key.Key_Tab)
    qtbot.keyClick(area, Qt.Key.Key_Return)
    menu = win.response.link_menu
    assert menu.labels()[:2] == ["Open it", "Its contacts"]
    menu.copy_action.trigger()
    assert QApplication.clipboard().text() == outcome.results[0]["uuid"]


def table_of(qtbot: Any, window: MainWindow) -> Any:
    window.response.tabs.setCurrentIndex(1)
    table = window.results_table
    qtbot.waitUntil(lambda: table.row_count() > 0)
    return table


def test_the_table_shows_references_by_name_with_their_uuid(win: MainWindow, qtbot: Any) -> None:
    outcome = open_listing(qtbot, win, "runs")
    table = table_of(qtbot, win)
    model = table.model
    column = table.columns.index("contact")
    first = outcome.results[0]["contact"]
    index = model.index(0, column)
    assert model.data(index) == first["name"]
    assert first["uuid"] in model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert model.data(index, Qt.ItemDataRole.FontRole).underline()
    # Only the catalog's references are links: the run, its flow, contact and start.
    linked = {
        name
        for c, name in enumerate(table.columns)
        if any(model.refs_at(r, c) for r in range(model.rowCount()))
    }
    assert linked <= {"uuid", "flow", "contact", "start"} and {"uuid", "flow", "contact"} <= linked
    assert (
        model.data(model.index(0, table.columns.index("responded")), Qt.ItemDataRole.FontRole)
        is None
    )
    table.view.setCurrentIndex(index)
    assert table.copy_uuid_action.isEnabled()
    table.copy_uuid_action.trigger()
    assert QApplication.clipboard().text() == first["uuid"]


def test_enter_on_a_table_reference_opens_its_menu(win: MainWindow, qtbot: Any) -> None:
    outcome = open_listing(qtbot, win, "contacts")
    table = table_of(qtbot, win)
    table.view.setFocus()
    table.view.setCurrentIndex(table.model.index(0, table.columns.index("uuid")))
    qtbot.keyClick(table.view, Qt.Key.Key_Return)
    menu = win.response.link_menu
    assert menu is not None and menu.isVisible()
    labels = menu.labels()
    for _ in range(labels.index("Its runs")):
        qtbot.keyClick(menu, Qt.Key.Key_Down)
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    assert win.form.endpoint.name == "runs"
    assert win.form.draft().params["contact"] == outcome.results[0]["uuid"]


def test_a_contacts_fields_can_be_columns(win: MainWindow, qtbot: Any, tmp_path: Path) -> None:
    outcome = open_listing(qtbot, win, "contacts")
    table = table_of(qtbot, win)
    assert table.fields_box.isVisible() and "fields" in table.columns
    table.fields_box.setChecked(True)
    keys = {k for c in outcome.results for k in c["fields"]}
    assert {f"fields.{k}" for k in keys} <= set(table.columns) and "fields" not in table.columns
    column = table.columns.index(f"fields.{sorted(keys)[0]}")
    wanted = outcome.results[0]["fields"].get(sorted(keys)[0])
    assert table.model.value(0, column) == wanted
    path = tmp_path / "contacts.csv"
    assert table.export(path)
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert f"fields.{sorted(keys)[0]}" in header
    table.fields_box.setChecked(False)
    assert "fields" in table.columns


def test_a_new_tab_is_asked_for_unless_shift_is_held(win: MainWindow, qtbot: Any) -> None:
    open_listing(qtbot, win, "groups")
    response = win.response
    area = response.body.area
    area.setFocus()
    qtbot.keyClick(area, Qt.Key.Key_Tab)
    asked: list[tuple[Any, bool]] = []
    response.link_followed.connect(lambda draft, new_tab: asked.append((draft, new_tab)))
    # Shift, from the keyboard: Ctrl+Enter is Send's key everywhere in the window.
    for mods in (Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.NoModifier):
        win.tabs.setCurrentIndex(0)
        area.setFocus()
        qtbot.keyClick(area, Qt.Key.Key_Return, mods)
        menu = response.link_menu
        qtbot.keyClick(menu, Qt.Key.Key_Down)  # "Its contacts"
        qtbot.keyClick(menu, Qt.Key.Key_Return)
    assert [(d.endpoint, new_tab) for d, new_tab in asked] == [
        ("contacts", False),
        ("contacts", True),
    ]
    # In place, then in a tab of its own.
    assert [t.name() for t in win.tabs.all()] == ["contacts · GET", "contacts · GET"]
