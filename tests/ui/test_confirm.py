"""Before a broadcast, flow start or contact action on a real workspace, the window says how
many contacts it reaches, counted from the workspace; past 1,000 the name must be typed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from explorer.core.catalog import catalog
from explorer.core.client import make_http_client
from explorer.core.connection import Connection
from explorer.ui.main_window import MainWindow
from explorer.ui.typed_name_dialog import TypedNameDialog

WORKSPACE = "Ministry of Health"


def _open(qtbot: Any, tmp_path: Path, server: Any) -> MainWindow:
    """The window pointed at ``server`` as if it were a real workspace (not the sandbox)."""
    settings = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog(), make_http_client(), settings)
    qtbot.addWidget(win)
    win.set_connection(Connection(WORKSPACE, server.base_url, server.token))
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path) -> Iterator[MainWindow]:
    win = _open(qtbot, tmp_path, sandbox)
    yield win
    win.ask_before_close = False
    win.close()


@pytest.fixture
def big_sandbox() -> Iterator[Any]:
    """A workspace with groups of more than a thousand contacts."""
    from explorer.sandbox.server import SandboxServer

    server = SandboxServer(token="big-token-0123456789", contacts=1500, rate="100000/hour")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def api(server: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Token {server.token}"}
    response = httpx.get(f"{server.base_url}/api/v2/{path}", params=params, headers=headers)
    return list(response.json()["results"])


def write(win: MainWindow, endpoint: str, body: dict[str, Any]) -> None:
    win.endpoints.select(endpoint)
    names = [m.value for m in win.catalog[endpoint].method_names]
    win.method_selector.setCurrentIndex(names.index("POST"))
    win.raw_body.setPlainText(json.dumps(body))
    win.raw.read()
    assert win.send_button.isEnabled(), win.send_problem.text()


def wait_for(qtbot: Any, win: MainWindow, kind: type[Any]) -> Any:
    found: list[Any] = []

    def visible() -> bool:
        found[:] = [d for d in win.findChildren(kind) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=10_000)
    return found[0]


def not_sent(qtbot: Any, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: not win.session.busy, timeout=5000)
    assert "Not sent" in win.response.status_label.text()


def test_a_broadcast_says_how_many_contacts_it_reaches(
    window: MainWindow, qtbot: Any, sandbox: Any
) -> None:
    farmers = api(sandbox, "groups.json", name="Farmers")[0]["count"]
    contact = api(sandbox, "contacts.json")[0]["uuid"]
    write(
        window,
        "broadcasts",
        {
            "text": {"eng": "Market day is Friday"},
            "groups": ["farmers"],
            # One contact listed twice counts once; each URN counts one.
            "contacts": [contact, contact],
            "urns": ["tel:+250788000001", "tel:+250788000002"],
        },
    )
    window.send()
    box = wait_for(qtbot, window, QMessageBox)
    assert box.text() == (
        f"Send to {farmers + 3:,} contacts (Farmers {farmers:,} + 3 contacts) in {WORKSPACE}?"
    )
    assert "counted once for each" in box.informativeText()
    assert box.button(QMessageBox.StandardButton.Yes).text() == "Send"
    box.button(QMessageBox.StandardButton.Cancel).click()
    not_sent(qtbot, window)
    # The group's size was asked of the workspace, and the meter counted that request.
    assert window.budget_meter.model.used("v2") == 1


def test_a_contact_action_counts_its_contacts_only(window: MainWindow, qtbot: Any) -> None:
    contacts = [c["uuid"] for c in api_contacts(window)][:2]
    write(window, "contact_actions", {"contacts": contacts, "action": "block"})
    window.send()
    box = wait_for(qtbot, window, QMessageBox)
    assert box.text() == f"Apply 'block' to 2 contacts in {WORKSPACE}?"
    assert box.informativeText() == ""
    box.button(QMessageBox.StandardButton.Cancel).click()
    not_sent(qtbot, window)


def api_contacts(win: MainWindow) -> list[dict[str, Any]]:
    assert win.connection is not None
    headers = {"Authorization": f"Token {win.connection.token}"}
    url = f"{win.connection.base_url}/api/v2/contacts.json"
    return list(httpx.get(url, headers=headers).json()["results"])


def test_above_a_thousand_contacts_the_workspace_name_must_be_typed(
    qtbot: Any, qloop: Any, big_sandbox: Any, tmp_path: Path
) -> None:
    active = api(big_sandbox, "groups.json", name="Active")[0]["count"]
    assert active > 1000, "the workspace needs a group this big"
    flow = api(big_sandbox, "flows.json")[0]["uuid"]
    starts = len(api(big_sandbox, "flow_starts.json"))
    win = _open(qtbot, tmp_path, big_sandbox)
    write(win, "flow_starts", {"flow": flow, "groups": ["Active"]})

    win.send()
    dialog = wait_for(qtbot, win, TypedNameDialog)
    assert dialog.question.text() == (
        f"Start the flow for {active:,} contacts (Active {active:,}) in {WORKSPACE}?"
    )
    assert not dialog.go_button.isEnabled()
    qtbot.keyClicks(dialog.edit, "Ministry")
    assert not dialog.go_button.isEnabled(), "half the name is not the name"
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)  # Enter does not send half-typed
    assert dialog.isVisible()
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Escape)
    not_sent(qtbot, win)
    assert len(api(big_sandbox, "flow_starts.json")) == starts

    with qtbot.waitSignal(win.outcome_shown, timeout=15_000) as sent:
        win.send()
        dialog = wait_for(qtbot, win, TypedNameDialog)
        qtbot.keyClicks(dialog.edit, " ministry of health ")
        assert dialog.go_button.isEnabled()
        qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)
    assert sent.args[0].status == 201
    assert len(api(big_sandbox, "flow_starts.json")) == starts + 1
    win.ask_before_close = False
    win.close()


def test_a_group_whose_size_cannot_be_read_needs_the_name_too(
    window: MainWindow, qtbot: Any
) -> None:
    write(window, "broadcasts", {"text": {"eng": "Hello"}, "groups": ["No Such Group"]})
    window.send()
    dialog = wait_for(qtbot, window, TypedNameDialog)
    assert dialog.question.text() == (
        f"Send to an unknown number of contacts (No Such Group (size unknown)) in {WORKSPACE}?"
    )
    assert "could not be read" in dialog.details.text()
    dialog.reject()
    not_sent(qtbot, window)
