"""The workspace manager driven as a person would: tokens in the keyring only, fields checked
inline, connections tested against the sandbox over real HTTP."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QPushButton, QWidget

from explorer.core.client import make_http_client
from explorer.store.secrets import SERVICE, TokenVault
from explorer.store.workspaces import SANDBOX_WORKSPACE_NAME, Workspace, WorkspaceStore
from explorer.ui.workspace_dialog import WorkspaceDialog

TOKEN = "0123456789abcdef0123456789abcdef01234567"

OBJECT_NAMES = [
    "workspaceList",
    "workspaceName",
    "workspaceUrl",
    "tokenEdit",
    "workspaceCountry",
    "workspaceRate",
    "workspaceDeadline",
    "testConnectionButton",
    "testConnectionResult",
    "saveWorkspaceButton",
    "addWorkspaceButton",
    "removeWorkspaceButton",
    "useWorkspaceButton",
]


@pytest.fixture
def http(arun: Callable[..., Any]) -> Iterator[httpx.AsyncClient]:
    client = make_http_client(timeout=10.0)
    yield client
    arun(client.aclose())


@pytest.fixture
def vault() -> TokenVault:
    return TokenVault(timeout=2.0)


@pytest.fixture
def store(vault: TokenVault) -> WorkspaceStore:
    return WorkspaceStore(vault=vault)


@pytest.fixture
def make_dialog(
    qtbot: Any, qloop: Any, store: WorkspaceStore, vault: TokenVault, http: httpx.AsyncClient
) -> Callable[..., WorkspaceDialog]:
    def make(store: WorkspaceStore = store, vault: TokenVault = vault) -> WorkspaceDialog:
        dlg = WorkspaceDialog(store, vault, http)
        qtbot.addWidget(dlg)
        dlg.open()
        qtbot.waitExposed(dlg)
        return dlg

    return make


@pytest.fixture
def dialog(make_dialog: Callable[..., WorkspaceDialog]) -> WorkspaceDialog:
    return make_dialog()


def ring() -> Any:
    return keyring.get_keyring()


def child(dlg: QWidget, kind: type[Any], name: str) -> Any:
    widget = dlg.findChild(kind, name)
    assert widget is not None, name
    return widget


def error_under(dlg: WorkspaceDialog, name: str) -> str:
    """The message shown under the field called ``name`` ('' when none is visible)."""
    label = child(dlg, QLabel, f"{name}Error")
    return label.text() if label.isVisible() else ""


def fill_new(dlg: WorkspaceDialog, name: str, url: str, token: str, country: str = "") -> None:
    child(dlg, QPushButton, "addWorkspaceButton").click()
    child(dlg, QLineEdit, "workspaceName").setText(name)
    child(dlg, QLineEdit, "workspaceUrl").setText(url)
    child(dlg, QLineEdit, "tokenEdit").setText(token)
    child(dlg, QLineEdit, "workspaceCountry").setText(country)


def save(qtbot: Any, dlg: WorkspaceDialog) -> None:
    button = child(dlg, QPushButton, "saveWorkspaceButton")
    problem = child(dlg, QLabel, "saveProblem").text()
    assert button.isEnabled(), problem
    with qtbot.waitSignal(dlg.workspaces_changed, timeout=5000):
        button.click()


def add(qtbot: Any, dlg: WorkspaceDialog, name: str, token: str = TOKEN) -> None:
    fill_new(dlg, name, "https://app.rapidpro.io", token)
    save(qtbot, dlg)


def select(qtbot: Any, dlg: WorkspaceDialog, name: str) -> None:
    """Click the row of ``name`` and wait for its token to load from the vault."""
    listing = dlg.workspace_list
    rows = [listing.item(i) for i in range(listing.count())]
    row = next(i for i, item in enumerate(rows) if item.text().startswith(name))
    listing.setCurrentRow(row)
    qtbot.waitUntil(child(dlg, QLineEdit, "tokenEdit").isEnabled, timeout=5000)


def row_texts(dlg: WorkspaceDialog) -> list[str]:
    return [dlg.workspace_list.item(i).text() for i in range(dlg.workspace_list.count())]


def test_every_part_is_named_and_keyboard_reachable(dialog: WorkspaceDialog) -> None:
    for name in OBJECT_NAMES:
        widget = child(dialog, QWidget, name)
        if name != "testConnectionResult":
            assert widget.accessibleName(), name
            assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus, name
    token = child(dialog, QLineEdit, "tokenEdit")
    assert token.echoMode() is QLineEdit.EchoMode.Password
    child(dialog, QPushButton, "addWorkspaceButton").click()
    assert child(dialog, QLineEdit, "workspaceUrl").placeholderText() == "https://app.rapidpro.io"
    assert dialog.rate_spin.value() == 2500


def test_sandbox_is_listed_read_only_and_in_use(dialog: WorkspaceDialog) -> None:
    assert row_texts(dialog) == [f"{SANDBOX_WORKSPACE_NAME}  ✓ in use"]
    assert "local demo data" in row_texts(dialog)[0]
    assert dialog.sandbox_note.isVisible()
    assert not child(dialog, QLineEdit, "workspaceName").isEnabled()
    assert not child(dialog, QLineEdit, "tokenEdit").isEnabled()
    assert not child(dialog, QPushButton, "saveWorkspaceButton").isEnabled()
    assert not child(dialog, QPushButton, "removeWorkspaceButton").isEnabled()


def test_added_token_is_in_the_keyring_and_in_no_file(
    qtbot: Any, dialog: WorkspaceDialog, store: WorkspaceStore, private_dirs: Path
) -> None:
    fill_new(dialog, "Ministry", "app.rapidpro.io/api/v2/", f"  Token {TOKEN} ", "rw")
    save(qtbot, dialog)

    saved = store.get("Ministry")
    assert saved == Workspace("Ministry", "https://app.rapidpro.io", default_country="RW")
    assert ring().get_password(SERVICE, "Ministry") == TOKEN
    # The editor shows what was saved, tidied up.
    assert child(dialog, QLineEdit, "workspaceUrl").text() == "https://app.rapidpro.io"
    assert child(dialog, QLineEdit, "workspaceCountry").text() == "RW"
    assert "Ministry" in row_texts(dialog)

    files = [p for p in private_dirs.rglob("*") if p.is_file()]
    assert any(p.name == "workspaces.json" for p in files)
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path


def test_saved_token_loads_from_the_vault_off_the_gui_thread(
    qtbot: Any, store: WorkspaceStore, make_dialog: Callable[..., WorkspaceDialog]
) -> None:
    store.add(Workspace("Clinic", "https://textit.com"))
    ring().set_password(SERVICE, "Clinic", TOKEN)
    dlg = make_dialog()

    dlg.workspace_list.setCurrentRow(1)
    token = child(dlg, QLineEdit, "tokenEdit")
    # The keyring is read in the background: meanwhile the field says so and takes no input.
    assert not token.isEnabled()
    assert token.placeholderText() == "Loading…"
    assert not child(dlg, QPushButton, "saveWorkspaceButton").isEnabled()
    qtbot.waitUntil(token.isEnabled, timeout=5000)
    assert token.text() == TOKEN
    assert child(dlg, QLineEdit, "workspaceUrl").text() == "https://textit.com"
    assert child(dlg, QLabel, "saveProblem").text() == "No changes to save."


def test_show_toggle_reveals_the_token(qtbot: Any, dialog: WorkspaceDialog) -> None:
    fill_new(dialog, "Ministry", "https://app.rapidpro.io", TOKEN)
    token = child(dialog, QLineEdit, "tokenEdit")
    dialog.show_token.click()
    assert token.echoMode() is QLineEdit.EchoMode.Normal
    dialog.show_token.click()
    assert token.echoMode() is QLineEdit.EchoMode.Password


def test_rename_and_edit_keep_the_token(
    qtbot: Any, dialog: WorkspaceDialog, store: WorkspaceStore
) -> None:
    add(qtbot, dialog, "Ministry")
    select(qtbot, dialog, "Ministry")

    child(dialog, QLineEdit, "workspaceName").setText("Ministry of Health")
    child(dialog, QLineEdit, "workspaceUrl").setText("https://textit.com")
    save(qtbot, dialog)

    assert store.names() == ["Ministry of Health"]
    assert store.get("Ministry of Health").base_url == "https://textit.com"  # type: ignore[union-attr]
    assert ring().get_password(SERVICE, "Ministry of Health") == TOKEN
    assert ring().get_password(SERVICE, "Ministry") is None
    assert "Ministry of Health" in row_texts(dialog)

    select(qtbot, dialog, "Ministry of Health")
    assert child(dialog, QLineEdit, "tokenEdit").text() == TOKEN


def test_a_new_token_replaces_the_old_one(
    qtbot: Any, dialog: WorkspaceDialog, store: WorkspaceStore
) -> None:
    add(qtbot, dialog, "Ministry")
    select(qtbot, dialog, "Ministry")
    child(dialog, QLineEdit, "tokenEdit").setText("f" * 40)
    save(qtbot, dialog)
    assert ring().get_password(SERVICE, "Ministry") == "f" * 40


def test_remove_asks_first_then_deletes_the_token(
    qtbot: Any, dialog: WorkspaceDialog, store: WorkspaceStore
) -> None:
    add(qtbot, dialog, "Ministry")
    select(qtbot, dialog, "Ministry")
    remove = child(dialog, QPushButton, "removeWorkspaceButton")

    remove.click()
    box = dialog.confirm_box
    assert box is not None and box.isVisible()
    assert "Ministry" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert store.names() == ["Ministry"]
    assert ring().get_password(SERVICE, "Ministry") == TOKEN

    remove.click()
    box = dialog.confirm_box
    assert box is not None
    with qtbot.waitSignal(dialog.workspaces_changed, timeout=5000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert store.names() == []
    assert ring().get_password(SERVICE, "Ministry") is None
    assert row_texts(dialog) == [f"{SANDBOX_WORKSPACE_NAME}  ✓ in use"]


def test_plain_http_is_refused_inline_except_on_this_computer(dialog: WorkspaceDialog) -> None:
    fill_new(dialog, "Local", "http://example.org", TOKEN)
    save_button = child(dialog, QPushButton, "saveWorkspaceButton")

    message = error_under(dialog, "workspaceUrl")
    assert "plain http" in message and "unencrypted" in message
    assert not save_button.isEnabled()
    assert child(dialog, QLabel, "saveProblem").text() == "Fix the problem marked above to save."
    assert error_under(dialog, "workspaceName") == ""

    child(dialog, QLineEdit, "workspaceUrl").setText("http://127.0.0.1:8000")
    assert error_under(dialog, "workspaceUrl") == ""
    assert save_button.isEnabled()


def test_each_problem_shows_under_its_own_field(qtbot: Any, dialog: WorkspaceDialog) -> None:
    add(qtbot, dialog, "Ministry")
    fill_new(dialog, "ministry", "https://app.rapidpro.io", TOKEN, country="Rwanda")
    assert error_under(dialog, "workspaceName") == "There is already a workspace called Ministry"
    assert "Rwanda is RW" in error_under(dialog, "workspaceCountry")
    assert child(dialog, QLabel, "saveProblem").text() == "Fix the 2 problems marked above to save."
    child(dialog, QLineEdit, "tokenEdit").setText("   ")
    assert error_under(dialog, "tokenEdit") == "Enter the workspace's API token"
    assert not child(dialog, QPushButton, "saveWorkspaceButton").isEnabled()


def test_a_new_form_does_not_scold_untouched_fields(dialog: WorkspaceDialog) -> None:
    child(dialog, QPushButton, "addWorkspaceButton").click()
    for name in ("workspaceName", "workspaceUrl", "tokenEdit"):
        assert error_under(dialog, name) == "", name
    assert not child(dialog, QPushButton, "saveWorkspaceButton").isEnabled()
    # …but Save says what is missing.
    assert child(dialog, QLabel, "saveProblem").text() == (
        "Before saving: Name — Give the workspace a name."
    )


def test_test_connection_shows_the_workspace_name(
    qtbot: Any, dialog: WorkspaceDialog, sandbox: Any
) -> None:
    fill_new(dialog, "Local", sandbox.base_url, sandbox.token)
    result = child(dialog, QLabel, "testConnectionResult")
    child(dialog, QPushButton, "testConnectionButton").click()
    qtbot.waitUntil(lambda: "Sandbox Workspace" in result.text(), timeout=10_000)
    assert result.text().startswith("Connected to")


def test_test_connection_fills_an_empty_country_from_the_workspace(
    qtbot: Any, dialog: WorkspaceDialog, sandbox: Any, store: WorkspaceStore
) -> None:
    fill_new(dialog, "Local", sandbox.base_url, sandbox.token)
    country = child(dialog, QLineEdit, "workspaceCountry")
    result = child(dialog, QLabel, "testConnectionResult")
    child(dialog, QPushButton, "testConnectionButton").click()
    qtbot.waitUntil(lambda: "Sandbox Workspace" in result.text(), timeout=10_000)
    assert country.text() == "RW" and "filled in" in result.text()
    save(qtbot, dialog)
    saved = store.get("Local")
    assert saved is not None and saved.default_country == "RW"


def test_test_connection_keeps_the_country_the_person_typed(
    qtbot: Any, dialog: WorkspaceDialog, sandbox: Any
) -> None:
    fill_new(dialog, "Local", sandbox.base_url, sandbox.token, country="KE")
    result = child(dialog, QLabel, "testConnectionResult")
    child(dialog, QPushButton, "testConnectionButton").click()
    qtbot.waitUntil(lambda: "Sandbox Workspace" in result.text(), timeout=10_000)
    assert child(dialog, QLineEdit, "workspaceCountry").text() == "KE"
    assert "(country RW)" in result.text() and "filled in" not in result.text()


def test_a_wrong_token_shows_what_403_means(
    qtbot: Any, dialog: WorkspaceDialog, sandbox: Any
) -> None:
    fill_new(dialog, "Local", sandbox.base_url, "not-the-token")
    result = child(dialog, QLabel, "testConnectionResult")
    child(dialog, QPushButton, "testConnectionButton").click()
    qtbot.waitUntil(lambda: "check the token" in result.text(), timeout=10_000)
    assert result.text().startswith("403 Forbidden")
    assert "Invalid token" in result.text()


def test_a_refused_port_says_nothing_is_listening(qtbot: Any, dialog: WorkspaceDialog) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fill_new(dialog, "Local", f"http://127.0.0.1:{port}", TOKEN)
    result = child(dialog, QLabel, "testConnectionResult")
    child(dialog, QPushButton, "testConnectionButton").click()
    qtbot.waitUntil(lambda: "Nothing is listening" in result.text(), timeout=10_000)


def test_a_second_click_cancels_a_hanging_test(qtbot: Any, dialog: WorkspaceDialog) -> None:
    # A server that accepts connections but never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        fill_new(dialog, "Local", f"http://127.0.0.1:{silent.getsockname()[1]}", TOKEN)
        button = child(dialog, QPushButton, "testConnectionButton")
        result = child(dialog, QLabel, "testConnectionResult")
        button.click()
        qtbot.waitUntil(lambda: button.text() == "Cancel &test", timeout=5000)
        assert result.text().startswith("Asking")
        qtbot.wait(100)
        assert dialog.isEnabled()  # the GUI is not blocked while it waits
        button.click()
        qtbot.waitUntil(lambda: result.text() == "Test cancelled.", timeout=5000)
        assert button.text() == "&Test connection"


def test_without_a_keyring_the_token_lasts_for_this_session(
    qtbot: Any, make_dialog: Callable[..., WorkspaceDialog]
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # conftest puts the test one back
    vault = TokenVault(timeout=2.0)
    store = WorkspaceStore(vault=vault)
    dlg = make_dialog(store, vault)
    note = child(dlg, QLabel, "keyringProblem")
    assert not note.isVisible()

    add(qtbot, dlg, "Ministry")
    assert note.isVisible()
    assert "kept for this session only" in note.text()
    select(qtbot, dlg, "Ministry")
    assert child(dlg, QLineEdit, "tokenEdit").text() == TOKEN


def test_use_this_workspace_switches_and_emits_its_name(
    qtbot: Any, dialog: WorkspaceDialog, store: WorkspaceStore
) -> None:
    add(qtbot, dialog, "Ministry")
    use = child(dialog, QPushButton, "useWorkspaceButton")
    assert use.isEnabled()
    with qtbot.waitSignal(dialog.workspace_chosen, timeout=2000) as chosen:
        use.click()
    assert chosen.args == ["Ministry"]
    assert store.current == "Ministry"
    assert "Ministry  ✓ in use" in row_texts(dialog)
    assert row_texts(dialog)[0] == SANDBOX_WORKSPACE_NAME

    select(qtbot, dialog, "Ministry")
    child(dialog, QLineEdit, "workspaceUrl").setText("https://textit.com")
    assert not use.isEnabled()  # unsaved changes: save them first
    with qtbot.waitSignal(dialog.workspace_chosen, timeout=5000) as edited:
        save(qtbot, dialog)  # the one in use changed: the main window must reconnect
    assert edited.args == ["Ministry"]

    dialog.workspace_list.setCurrentRow(0)
    with qtbot.waitSignal(dialog.workspace_chosen, timeout=2000) as back:
        use.click()
    assert back.args == [SANDBOX_WORKSPACE_NAME]
    assert store.current is None


def test_removing_the_workspace_in_use_falls_back_to_the_sandbox(
    qtbot: Any, dialog: WorkspaceDialog, store: WorkspaceStore
) -> None:
    add(qtbot, dialog, "Ministry")
    child(dialog, QPushButton, "useWorkspaceButton").click()
    child(dialog, QPushButton, "removeWorkspaceButton").click()
    assert dialog.confirm_box is not None
    with qtbot.waitSignal(dialog.workspace_chosen, timeout=5000) as chosen:
        dialog.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert chosen.args == [SANDBOX_WORKSPACE_NAME]
    assert store.current is None


def test_an_unsaved_new_workspace_goes_when_left(qtbot: Any, dialog: WorkspaceDialog) -> None:
    child(dialog, QPushButton, "addWorkspaceButton").click()
    assert row_texts(dialog)[-1] == "New workspace (not saved)"
    assert dialog.focusWidget() is child(dialog, QLineEdit, "workspaceName")
    dialog.workspace_list.setCurrentRow(0)
    assert row_texts(dialog) == [f"{SANDBOX_WORKSPACE_NAME}  ✓ in use"]


def test_the_request_deadline_is_saved_shown_kept_and_used_to_connect(
    qtbot: Any, dialog: WorkspaceDialog, store: WorkspaceStore, vault: TokenVault, arun: Any
) -> None:
    from PySide6.QtWidgets import QSpinBox

    from explorer.ui.connector import Connector

    deadline = child(dialog, QSpinBox, "workspaceDeadline")
    label = next(w for w in dialog.findChildren(QLabel) if w.buddy() is deadline)
    assert label.text().replace("&", "") == "Give up on a request after:"
    assert deadline.suffix() == " s" and "answers very slowly" in deadline.toolTip()
    fill_new(dialog, "Slow server", "https://slow.example.org", TOKEN)
    assert deadline.value() == 180  # the usual, until changed
    deadline.setValue(600)
    save(qtbot, dialog)
    assert store.get("Slow server").request_deadline_s == 600

    # Editing something else keeps it, and it is what the form shows next time.
    child(dialog, QLineEdit, "workspaceCountry").setText("RW")
    save(qtbot, dialog)
    assert WorkspaceStore(vault=vault).get("Slow server").request_deadline_s == 600
    dialog.select_workspace(SANDBOX_WORKSPACE_NAME)
    assert not deadline.isEnabled()  # the sandbox is not edited
    select(qtbot, dialog, "Slow server")
    assert deadline.value() == 600

    connection = arun(Connector(store, vault, lambda: None).use("Slow server"))
    assert connection.deadline == 600.0


def test_a_deadline_out_of_range_cannot_be_typed(dialog: WorkspaceDialog) -> None:
    from PySide6.QtWidgets import QSpinBox

    deadline = child(dialog, QSpinBox, "workspaceDeadline")
    fill_new(dialog, "Slow server", "https://slow.example.org", TOKEN)
    deadline.setValue(1)
    assert deadline.value() == 5  # the least the store accepts
    deadline.setValue(10**7)
    assert deadline.value() == 86_400
