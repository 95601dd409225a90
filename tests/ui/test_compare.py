"""Comparing two responses from history, against a sandbox of its own over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from test_link_menu import send

from explorer.core.catalog import catalog
from explorer.core.client import make_http_client
from explorer.core.connection import Connection
from explorer.core.json_diff import ChangeKind
from explorer.store.history import HistoryEntry
from explorer.ui.main_window import MainWindow


@pytest.fixture
def own(qtbot: Any, qloop: Any, fresh_sandbox: Any, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    window = MainWindow(catalog(), make_http_client(), settings)
    qtbot.addWidget(window)
    window.set_connection(
        Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token, is_sandbox=True)
    )
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.ask_before_close = False
    window.close()


def rename_first_contact(sandbox: Any, contact: dict[str, Any], name: str) -> None:
    headers = {"Authorization": f"Token {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as api:
        answer = api.post(
            "/api/v2/contacts.json", params={"uuid": contact["uuid"]}, json={"name": name}
        )
    assert answer.status_code == 200, answer.text


def test_history_compares_two_pages_showing_exactly_the_changed_value(
    own: MainWindow, qtbot: Any, fresh_sandbox: Any
) -> None:
    own.endpoints.select("contacts")
    first = send(qtbot, own)
    contact = first.results[0]
    rename_first_contact(fresh_sandbox, contact, "Compared Person")
    send(qtbot, own)
    own.side_tabs.setCurrentWidget(own.panels.history_slot)
    history = own.panels.history
    assert not history.compare_button.isEnabled()
    chosen = history.table.selectionModel()
    rows = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (0, 1):
        chosen.select(history.model.index(row, 0), rows)
    assert history.compare_button.isEnabled()
    qtbot.mouseClick(history.compare_button, Qt.MouseButton.LeftButton)
    view = own.response.compare_view
    assert view is not None and view.isVisible()
    qtbot.waitUntil(lambda: view.summary_label.text() != "Comparing…")
    assert [(c.where, c.kind, c.old, c.new) for c in view.changes()] == [
        ("results[0].name", ChangeKind.CHANGED, contact["name"], "Compared Person")
    ]
    assert view.summary_label.text() == "1 changed."
    assert "Before" in view.before_label.text() and "contacts" in view.after_label.text()
    model = view.model
    assert [model.index(0, c).data() for c in range(4)] == [
        "changed",
        "results[0].name",
        contact["name"],
        "Compared Person",
    ]
    with qtbot.waitSignal(view.compared, timeout=10000) as shown:
        view.hide_volatile.setChecked(False)
    assert {c.where for c in shown.args[0]} == {"results[0].name", "results[0].modified_on"}


def test_compare_with_the_previous_response(own: MainWindow, qtbot: Any) -> None:
    assert not own.response.compare_button.isEnabled()
    own.endpoints.select("groups")
    send(qtbot, own)
    own.endpoints.select("labels")
    send(qtbot, own)
    assert own.response.compare_button.isEnabled()
    qtbot.mouseClick(own.response.compare_button, Qt.MouseButton.LeftButton)
    view = own.response.compare_view
    qtbot.waitUntil(lambda: view.summary_label.text() != "Comparing…", timeout=10000)
    kinds = {c.kind for c in view.changes()}
    assert ChangeKind.CHANGED in kinds or ChangeKind.ADDED in kinds


def test_a_response_from_before_a_restart_cannot_be_compared(own: MainWindow, qtbot: Any) -> None:
    own.endpoints.select("groups")
    send(qtbot, own)
    (kept,) = own.panels.history_store.entries()
    old = HistoryEntry(datetime(2026, 1, 5, 9, 30, tzinfo=UTC), "groups")
    assert own.response.compare_entries(old, kept) is None
    assert "was not kept" in own.statusBar().currentMessage()
