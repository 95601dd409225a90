"""Request tabs, used as a person would: several requests open, sent at once, closed,
moved between with the keyboard, and back after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QTabWidget

from explorer.core.catalog import catalog
from explorer.core.client import Outcome, make_http_client
from explorer.core.connection import Connection
from explorer.core.request import Draft
from explorer.ui.main_window import MainWindow
from explorer.ui.request_tab import RequestTab
from tests.ui.test_main_window import choose, line, window  # noqa: F401


def trigger(win: MainWindow, text: str) -> None:
    """The Tabs menu's entry called ``text``, as clicking it does."""
    for menu_action in win.menuBar().actions():
        if menu_action.text().replace("&", "") == "Tabs":
            for action in menu_action.menu().actions():
                if action.text().replace("&", "") == text:
                    action.trigger()
                    return
    raise AssertionError(f"no {text!r} in the Tabs menu")


def set_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def tab_titles(win: MainWindow) -> list[str]:
    return [win.tabs.tabText(i) for i in range(win.tabs.count())]


def test_three_tabs_send_at_once_and_each_keeps_its_own_response(
    window: MainWindow,  # noqa: F811
    qtbot: Any,
    fresh_sandbox: Any,
) -> None:
    window.set_connection(
        Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token, is_sandbox=True)
    )
    bar = window.findChild(QTabWidget, "requestTabs")
    assert bar is window.tabs and bar.count() == 1
    choose(window, "groups", "GET")
    first = window.current_tab
    trigger(window, "New tab")
    choose(window, "fields", "GET")
    second = window.current_tab
    trigger(window, "New tab")
    choose(window, "contacts", "POST")
    third = window.current_tab
    assert window.tabs.count() == 3 and len({first, second, third}) == 3
    assert tab_titles(window) == ["groups · GET", "fields · GET", "contacts · POST"]

    # A slow server: both sends are on the wire together, each in its own tab.
    fresh_sandbox.faults.latency_ms = 600
    answers: list[Outcome] = []
    window.outcome_shown.connect(answers.append)
    first.session.send()
    second.session.send()
    assert first.session.busy and second.session.busy
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=15000)
    fresh_sandbox.faults.latency_ms = 0
    assert first.session.outcome.request.url.path.endswith("/groups.json")
    assert second.session.outcome.request.url.path.endswith("/fields.json")
    assert "groups.json" not in second.response.status_label.text()
    assert third.session.outcome is None  # nothing was sent from the third

    # Closing a tab with unsaved changes asks first; "Cancel" keeps it.
    window.tabs.setCurrentWidget(third)
    line(window, "field_name").setText("Typed, not saved")
    assert window.tabs.tabText(2).startswith("• ")
    trigger(window, "Close tab")
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "not saved" in boxes[0].text()
    boxes[0].button(QMessageBox.StandardButton.Cancel).click()
    assert window.tabs.count() == 3
    trigger(window, "Close tab")
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    boxes[0].button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: window.tabs.count() == 2, timeout=2000)
    assert window.tabs.all() == [first, second]


def test_keys_move_between_tabs_and_duplicate_copies_the_request(
    window: MainWindow,  # noqa: F811
    qtbot: Any,
) -> None:
    choose(window, "flows", "GET")
    window.form.set_values({"type": "message"}, {})
    trigger(window, "Duplicate tab")
    assert window.tabs.count() == 2 and window.tabs.currentIndex() == 1
    assert window.form.draft().params.get("type") == "message"  # the same request, in a copy
    trigger(window, "New tab")
    assert window.tabs.currentIndex() == 2
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 2  # 9 is the last, as in browsers
    trigger(window, "Next tab")
    assert window.tabs.currentIndex() == 0  # round the end
    trigger(window, "Previous tab")
    assert window.tabs.currentIndex() == 2
    # The endpoint list shows where the tab in front is, without opening anything anew.
    window.tabs.setCurrentIndex(0)
    assert window.endpoints.current() == "flows"
    assert window.form.draft().params.get("type") == "message"


def test_open_tabs_and_their_drafts_come_back_after_a_restart(
    qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    http = make_http_client()
    first = MainWindow(catalog(), http, settings)
    qtbot.addWidget(first)
    first.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, True))
    first.load_draft(Draft("groups", params={"name": "Farmers"}))
    first.new_tab(Draft("contacts", body={"name": "Ben Haggerty"}, method="POST"))  # type: ignore[arg-type]
    first.tabs.setCurrentIndex(0)
    first.ask_before_close = False
    first.close()

    second = MainWindow(catalog(), http, settings)
    qtbot.addWidget(second)
    tabs: list[RequestTab] = second.tabs.all()
    assert [t.name() for t in tabs] == ["groups · GET", "contacts · POST"]
    assert second.tabs.currentIndex() == 0
    assert set_values(tabs[0].request_panel.draft().params) == {"name": "Farmers"}
    assert tabs[1].request_panel.draft().body.get("name") == "Ben Haggerty"
    second.ask_before_close = False
    second.close()


def test_a_rate_limit_holds_every_tab_on_its_scope(
    window: MainWindow,  # noqa: F811
    qtbot: Any,
    fresh_sandbox: Any,
) -> None:
    window.set_connection(
        Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token, is_sandbox=True)
    )
    choose(window, "groups", "GET")  # the general v2 scope
    groups = window.current_tab
    trigger(window, "New tab")
    choose(window, "labels", "GET")  # the same scope
    labels = window.current_tab
    trigger(window, "New tab")
    choose(window, "contacts", "GET")  # a scope of its own
    contacts = window.current_tab
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 30
    with qtbot.waitSignal(groups.session.outcome_arrived, timeout=10000) as refused:
        groups.session.send()
    assert refused.args[0].status == 429
    assert groups.session.waiting and labels.session.waiting
    assert labels.session.blocked_by().startswith("Rate limit: you can send again in 0:")
    assert not contacts.session.waiting and contacts.session.blocked_by() == ""
    fresh_sandbox.faults.throttle_storm = False


def test_a_tab_opened_from_a_saved_request_is_still_that_request_after_a_restart(
    qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path
) -> None:
    from explorer.store.collections import SavedRequest, create_collection

    coll = create_collection("Kept")
    saved = coll.add(SavedRequest("Farmers group", Draft("groups", params={"name": "Farmers"})))
    settings = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    http = make_http_client()
    first = MainWindow(catalog(), http, settings)
    qtbot.addWidget(first)
    shown = next(c for c in first.panels.collections.collections() if c.root == coll.root)
    first.open_saved(shown.get(saved.path or ""), shown)
    assert first.tabs.tabText(0) == "Farmers group"
    first.close()

    second = MainWindow(catalog(), http, settings)
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: second.tabs.tabText(0) == "Farmers group", timeout=5000)
    assert not second.tracker.dirty  # unchanged since it was saved: Ctrl+S saves in place
    second.ask_before_close = False
    second.close()
