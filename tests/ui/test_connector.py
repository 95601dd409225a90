"""Switching workspaces from the window: the token comes from the keyring, the banner says
whose data requests act on, and the sandbox starts only when it is used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt

from explorer.core.catalog import catalog
from explorer.core.client import make_http_client
from explorer.store.secrets import TokenVault
from explorer.store.workspaces import SANDBOX_WORKSPACE_NAME, Workspace, WorkspaceStore
from explorer.ui.app import wire_workspaces
from explorer.ui.connector import Connector
from explorer.ui.main_window import MainWindow


class _Started:
    """Counts sandbox starts; hands out the session's sandbox (stop is the fixture's job)."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.count = 0

    def __call__(self) -> Any:
        self.count += 1
        return _Unstoppable(self.sandbox)


class _Unstoppable:
    def __init__(self, server: Any) -> None:
        self.base_url, self.token = server.base_url, server.token

    def stop(self) -> None:
        pass


def open_window(
    qtbot: Any, tmp_path: Path, store: WorkspaceStore, vault: TokenVault, start_sandbox: Any
) -> tuple[MainWindow, Connector, Any]:
    """The window, shown and wired to a connector as the app wires them."""
    http = make_http_client()
    connector = Connector(store, vault, start_sandbox, http)
    window = MainWindow(
        catalog(), http, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    wire_workspaces(window, connector, http)
    window.show()
    return window, connector, http


@pytest.fixture
def setup(qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path, arun: Any) -> Iterator[Any]:
    vault = TokenVault()
    store = WorkspaceStore(vault=vault)
    # The session sandbox stands in for a real workspace: loopback http is allowed.
    store.add(Workspace("Staging", sandbox.base_url, default_country="RW"))
    arun(vault.set("Staging", sandbox.token))
    starts = _Started(sandbox)
    window, connector, _http = open_window(qtbot, tmp_path, store, vault, starts)
    yield window, connector, store, starts
    window.close()


def test_selector_lists_sandbox_and_workspaces(setup: Any) -> None:
    window, *_ = setup
    items = [
        window.workspace_selector.itemText(i) for i in range(window.workspace_selector.count())
    ]
    assert items == [SANDBOX_WORKSPACE_NAME, "Staging"]


def test_switching_to_a_real_workspace_uses_its_keyring_token(
    setup: Any, qtbot: Any, sandbox: Any
) -> None:
    window, _, store, starts = setup
    window.workspace_selector.setCurrentIndex(1)
    window.workspace_selector.activated.emit(1)
    qtbot.waitUntil(lambda: window.connection is not None, timeout=5000)
    assert window.connection.name == "Staging"
    assert window.connection.token == sandbox.token
    assert "real data of Staging" in window.workspace_banner.text()
    assert window.connection.default_country == "RW"
    assert store.current == "Staging"  # used again at the next start
    assert starts.count == 0  # no sandbox was needed


def _type_local_number_in_a_new_contact(window: MainWindow) -> str:
    """What the preview sends for a contact typed with a local phone number."""
    import json

    from PySide6.QtWidgets import QLineEdit, QWidget

    window.endpoints.select("contacts")
    names = [m.value for m in window.catalog["contacts"].method_names]
    window.method_selector.setCurrentIndex(names.index("POST"))
    window.raw_body.setPlainText(json.dumps({"urns": ["0788123456"]}))
    window.raw.read()
    editor = window.findChild(QWidget, "field_urns")
    assert editor is not None and editor.findChild(QLineEdit) is not None
    return window.preview.toPlainText()


def test_a_workspace_without_a_saved_country_takes_its_own(
    setup: Any, qtbot: Any, arun: Any, sandbox: Any
) -> None:
    window, connector, store, _ = setup
    store.add(Workspace("Ministry", sandbox.base_url))  # no country chosen
    arun(connector.vault.set("Ministry", sandbox.token))
    connection = arun(connector.use("Ministry"))
    assert connection.default_country == "RW"  # from its /workspace.json
    assert store.get("Ministry").default_country is None  # the setting stays the person's
    assert "tel:+250788123456" in _type_local_number_in_a_new_contact(window)
    assert window.send_button.isEnabled(), window.send_problem.text()


def test_a_country_the_person_chose_wins_over_the_workspaces(
    setup: Any, arun: Any, sandbox: Any
) -> None:
    window, connector, store, _ = setup
    store.add(Workspace("Nairobi office", sandbox.base_url, default_country="KE"))
    arun(connector.vault.set("Nairobi office", sandbox.token))
    assert arun(connector.use("Nairobi office")).default_country == "KE"
    assert "tel:+254788123456" in _type_local_number_in_a_new_contact(window)


def test_the_sandbox_takes_its_workspace_country(setup: Any, arun: Any) -> None:
    window, connector, *_ = setup
    assert arun(connector.use(None)).default_country == "RW"
    assert "tel:+250788123456" in _type_local_number_in_a_new_contact(window)


def test_switching_back_to_the_sandbox_starts_it_once(setup: Any, qtbot: Any) -> None:
    window, _, store, starts = setup
    window.workspace_selector.activated.emit(0)
    qtbot.waitUntil(lambda: window.connection is not None, timeout=5000)
    assert window.connection.is_sandbox
    assert "local demo workspace" in window.workspace_banner.text()
    window.workspace_selector.activated.emit(1)
    qtbot.waitUntil(lambda: window.connection is not None and not window.connection.is_sandbox)
    window.workspace_selector.activated.emit(0)
    qtbot.waitUntil(lambda: window.connection is not None and window.connection.is_sandbox)
    assert starts.count == 1
    assert store.current is None


def test_a_workspace_without_a_token_says_so(setup: Any, qtbot: Any, arun: Any) -> None:
    window, connector, store, _ = setup
    store.add(Workspace("Empty", "https://textit.com"))
    window.set_workspaces(connector.names())
    index = window.workspace_selector.findText("Empty")
    window.workspace_selector.activated.emit(index)
    qtbot.waitUntil(lambda: window.connection is not None, timeout=5000)
    assert window.connection.token is None
    assert "No token is saved for Empty" in window.statusBar().currentMessage()


def test_while_connecting_the_window_names_the_workspace_and_waits(
    setup: Any, qtbot: Any, arun: Any
) -> None:
    window, connector, *_ = setup
    window.set_connection(None, connecting_to="Staging")  # as at start-up, before the loop
    window.set_workspaces(connector.names())  # the store's list arrives meanwhile
    assert window.workspace_selector.currentText() == "Staging"
    assert window.workspace_banner.text() == "Connecting to Staging…"
    assert not window.send_button.isEnabled()
    assert window.send_problem.text() == "Connecting to Staging…"
    assert window.preview.toPlainText().startswith("GET /api/v2/contacts.json")  # no host yet
    arun(connector.use("Staging"))
    assert window.send_button.isEnabled()
    assert window.preview.toPlainText().startswith(f"GET {window.connection.base_url}/api/v2/")


def test_a_sandbox_that_cannot_start_is_explained_and_another_workspace_still_works(
    qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path, arun: Any
) -> None:
    def refuse() -> Any:
        raise RuntimeError("sandbox.sqlite3 was left untouched")

    vault = TokenVault()
    store = WorkspaceStore(vault=vault)
    store.add(Workspace("Staging", sandbox.base_url))
    arun(vault.set("Staging", sandbox.token))
    window, connector, _http = open_window(qtbot, tmp_path, store, vault, refuse)
    assert arun(connector.use(None)) is None
    why = "The sandbox could not start: sandbox.sqlite3 was left untouched"
    assert window.workspace_banner.text() == why
    assert window.connection is None and not window.send_button.isEnabled()
    assert window.send_problem.text() == why
    window.workspace_selector.activated.emit(window.workspace_selector.findText("Staging"))
    qtbot.waitUntil(lambda: window.connection is not None, timeout=5000)
    assert window.send_button.isEnabled()
    assert "real data of Staging" in window.workspace_banner.text()
    window.close()


def test_a_sandbox_database_that_will_not_open_can_be_set_aside_for_a_fresh_one(
    qtbot: Any, qloop: Any, tmp_path: Path, arun: Any
) -> None:
    from explorer.sandbox.server import SandboxServer

    db = tmp_path / "sandbox.sqlite3"
    db.write_bytes(b"not a database at all" * 100)
    (tmp_path / "sandbox.sqlite3-wal").write_bytes(b"stale")

    def start() -> Any:
        server = SandboxServer(token="t" * 40, contacts=20, db_path=db)
        server.start()
        return server

    vault = TokenVault()
    window, connector, http = open_window(
        qtbot, tmp_path, WorkspaceStore(vault=vault), vault, start
    )
    try:
        assert arun(connector.use(None)) is None
        assert str(db) in window.workspace_banner.text()
        assert window.start_afresh_button.isVisible()
        assert not window.send_button.isEnabled()

        qtbot.mouseClick(window.start_afresh_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.connection is not None, timeout=20_000)
        assert window.connection.is_sandbox and window.send_button.isEnabled()
        assert not window.start_afresh_button.isVisible()
        assert "Sandbox:" in window.workspace_banner.text()
        # The old file is kept, renamed, with SQLite's file beside it; the status bar names it.
        kept = list(tmp_path.glob("sandbox.unusable-*.sqlite3"))
        assert len(kept) == 1
        assert kept[0].read_bytes() == b"not a database at all" * 100
        assert kept[0].with_name(kept[0].name + "-wal").read_bytes() == b"stale"
        assert str(kept[0]) in window.statusBar().currentMessage()
        # ...and the fresh one answers requests.
        window.endpoints.select("contacts")
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "200" in window.response.status_label.text(), timeout=20_000)
    finally:
        window.close()
        arun(connector.close())
        arun(http.aclose())


def test_when_the_bad_database_cannot_be_set_aside_the_window_says_so(
    qtbot: Any, qloop: Any, tmp_path: Path, arun: Any
) -> None:
    from explorer.sandbox.db import SandboxDatabaseError

    missing = tmp_path / "gone" / "sandbox.sqlite3"  # vanished meanwhile: rename fails

    def refuse() -> Any:
        raise SandboxDatabaseError(missing, "is not a RapidPro Explorer sandbox database")

    vault = TokenVault()
    window, connector, http = open_window(
        qtbot, tmp_path, WorkspaceStore(vault=vault), vault, refuse
    )
    try:
        assert arun(connector.use(None)) is None
        assert window.start_afresh_button.isVisible()
        assert arun(connector.start_afresh()) is None
        assert f"{missing} could not be set aside" in window.workspace_banner.text()
        assert window.start_afresh_button.isVisible()  # still the way out, once it is fixed
        assert window.connection is None and not window.send_button.isEnabled()
    finally:
        window.close()
        arun(http.aclose())


def test_the_limit_the_server_showed_is_saved_for_the_workspace(
    qtbot: Any, qloop: Any, fresh_sandbox: Any, tmp_path: Path, arun: Any
) -> None:
    from explorer.core.client import send
    from explorer.core.request import Draft, build_request, prepare

    fresh_sandbox.set_rate("2/hour")  # throttles far below the 2,500 the workspace is set to
    vault = TokenVault()
    store = WorkspaceStore(vault=vault)
    # A chosen country: connecting asks the server nothing, so the meter sees every request.
    store.add(Workspace("Busy", fresh_sandbox.base_url, default_country="RW"))
    arun(vault.set("Busy", fresh_sandbox.token))
    window, connector, http = open_window(qtbot, tmp_path, store, vault, _Started(fresh_sandbox))
    arun(connector.use("Busy"))
    base = fresh_sandbox.base_url
    request = build_request(base, fresh_sandbox.token, prepare(Draft("flows")))
    for _ in range(3):
        window.budget_meter.record_outcome(arun(send(http, request, base_url=base)))
    meter = window.budget_meter
    assert meter.text() == "API: 2 / 2,500 this hour · server refused at 2"
    assert meter.use_server_limit.isVisible()
    window.resize(1100, 700)
    # The whole sentence shows, beside the workspace banner, at the window's usual width.
    label = meter.label
    qtbot.waitUntil(lambda: label.width() >= label.sizeHint().width(), timeout=2000)
    qtbot.mouseClick(meter.use_server_limit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: store.get("Busy").rate_limit_per_hour == 2, timeout=5000)
    assert meter.text() == "API: 2 / 2 this hour"
    assert "Busy now counts against 2 requests an hour" in window.statusBar().currentMessage()
    reloaded = WorkspaceStore(vault=vault)
    assert reloaded.get("Busy").rate_limit_per_hour == 2  # kept for the next start
    window.close()
