"""The workspace manager: add, edit, test, remove and choose the RapidPro workspaces.

Opened non-modally with ``open()``. Tokens are read and saved only through the
:class:`TokenVault`, awaited in tasks on the running (qasync) loop, so a slow or locked
keyring never freezes the window, and never through a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import itertools
import logging
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import httpx
import phonenumbers
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.client import DEFAULT_DEADLINE, Outcome, send
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import Draft, build_request, normalize_base_url, prepare
from explorer.store.errors import StoreError
from explorer.store.secrets import TokenVault
from explorer.store.workspaces import (
    DEADLINE_RANGE,
    DEFAULT_RATE_LIMIT,
    SANDBOX_WORKSPACE_NAME,
    Workspace,
    WorkspaceStore,
    validated,
)
from explorer.ui.confirm import said_yes, warning_box
from explorer.ui.workspace_cache import workspace_country

log = logging.getLogger(__name__)

QUICK_PICKS = ("https://app.rapidpro.io", "https://textit.com")
MAX_RATE_LIMIT = 1_000_000

# Field keys as the store's ValidationErrors name them, in the order the editor shows them.
FIELD_LABELS = {
    "name": "Name",
    "base_url": "Base URL",
    "token": "API token",
    "default_country": "Default country",
    "rate_limit_per_hour": "Rate limit",
    "request_deadline_s": "Give up after",
}

_ERROR_STYLE = "color: #c62828;"
_OK_STYLE = "color: #1b5e20;"
_NOTE_STYLE = "background: #fff3e0; color: #e65100; padding: 4px; border-radius: 3px;"
_SANDBOX_STYLE = "background: #e8f5e9; color: #1b5e20; padding: 4px; border-radius: 3px;"


class _Kind(enum.Enum):
    SANDBOX = "sandbox"
    SAVED = "saved"
    NEW = "new"


@dataclass(frozen=True)
class _Entry:
    """What a row of the list stands for: the sandbox, a saved workspace, or one being added."""

    kind: _Kind
    name: str = ""

    def same(self, other: _Entry | None) -> bool:
        # Workspace names are unique ignoring case, as the store compares them.
        return (
            other is not None
            and self.kind is other.kind
            and self.name.casefold() == other.name.casefold()
        )


_SANDBOX = _Entry(_Kind.SANDBOX, SANDBOX_WORKSPACE_NAME)
_NEW = _Entry(_Kind.NEW)


@dataclass(frozen=True)
class _Values:
    """The editor's raw contents, compared with a snapshot to tell whether anything changed."""

    name: str = ""
    base_url: str = ""
    token: str = ""
    default_country: str = ""
    rate_limit_per_hour: int = DEFAULT_RATE_LIMIT
    request_deadline_s: int = int(DEFAULT_DEADLINE)

    def workspace(self) -> Workspace:
        return Workspace(
            name=self.name,
            base_url=self.base_url,
            default_country=self.default_country.strip() or None,
            rate_limit_per_hour=self.rate_limit_per_hour,
            request_deadline_s=self.request_deadline_s,
        )


def clean_token(text: str) -> str:
    """The token as typed, without spaces or the ``Token`` prefix copied from a curl line."""
    token = text.strip()
    if token[:6].lower() == "token ":
        token = token[6:].strip()
    return token


class WorkspaceDialog(QDialog):
    """Lists the workspaces (and the built-in sandbox) and edits, tests and chooses them.

    Open it with ``open()``; it stays usable beside the main window.

    Signals:
        workspace_chosen(str): the workspace in use is now the one with this name
            (:data:`SANDBOX_WORKSPACE_NAME` for the sandbox): after "Use this workspace",
            after the one in use was edited or renamed (its connection must be rebuilt),
            and after the one in use was removed (the sandbox takes over).
        workspaces_changed(): a workspace was added, edited or removed.
    """

    workspace_chosen = Signal(str)
    workspaces_changed = Signal()

    def __init__(
        self,
        store: WorkspaceStore,
        vault: TokenVault,
        http: httpx.AsyncClient,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workspaceDialog")
        self.setWindowTitle("Workspaces")
        self.store = store
        self.vault = vault
        self.http = http
        self._entry: _Entry | None = None
        self._snapshot = _Values()
        self._loaded_token: str | None = None
        self._token_loading = False
        self._populating = False
        self._touched: set[str] = set()
        self._extra_errors: list[ValidationError] = []
        self._load_task: asyncio.Task[None] | None = None
        self._test_task: asyncio.Task[None] | None = None
        self._busy_task: asyncio.Task[None] | None = None  # a save or a removal
        self._test_serial = 0
        self.confirm_box: QMessageBox | None = None
        self._build()
        _warm_country_names()
        self._reload_list(self._current_entry())
        self._show_vault_state()
        self.resize(820, 500)

    # --- building --------------------------------------------------------------------------

    def _build(self) -> None:
        # Top: a workspaces.json the store could not read. Nothing is saved over it.
        self.store_problem = QLabel()
        self.store_problem.setObjectName("storeProblem")
        self.store_problem.setWordWrap(True)
        self.store_problem.setStyleSheet(_NOTE_STYLE)
        self.store_problem.setVisible(self.store.problem is not None)
        if self.store.problem is not None:
            self.store_problem.setText(
                f"{self.store.problem}. Workspaces cannot be changed until it is moved aside "
                "or fixed."
            )

        # --- left: the list
        self.workspace_list = QListWidget()
        self.workspace_list.setObjectName("workspaceList")
        self.workspace_list.setAccessibleName("Workspaces")
        self.workspace_list.setMinimumWidth(220)
        self.workspace_list.currentItemChanged.connect(self._on_current_item)
        list_label = QLabel("&Workspaces")
        list_label.setBuddy(self.workspace_list)
        self.add_button = QPushButton("&Add")
        self.add_button.setObjectName("addWorkspaceButton")
        self.add_button.setAccessibleName("Add a workspace")
        self.add_button.setToolTip("Add a workspace (Ctrl+N)")
        self.add_button.clicked.connect(self.add_workspace)
        self.remove_button = QPushButton("Re&move…")
        self.remove_button.setObjectName("removeWorkspaceButton")
        self.remove_button.setAccessibleName("Remove the selected workspace")
        self.remove_button.setToolTip("Remove the selected workspace and its token (Delete)")
        self.remove_button.clicked.connect(self.ask_remove)
        for button in (self.add_button, self.remove_button):
            button.setAutoDefault(False)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.add_button)
        list_buttons.addWidget(self.remove_button)
        list_buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(list_label)
        left.addWidget(self.workspace_list, 1)
        left.addLayout(list_buttons)

        # --- right: the editor
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("workspaceName")
        self.name_edit.setAccessibleName("Workspace name")
        self.name_edit.setPlaceholderText("e.g. Ministry of Health")

        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("workspaceUrl")
        self.url_edit.setAccessibleName("Base URL")
        self.url_edit.setPlaceholderText(QUICK_PICKS[0])
        completer = QCompleter(list(QUICK_PICKS), self.url_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.url_edit.setCompleter(completer)
        self.url_picks = QToolButton()
        self.url_picks.setObjectName("workspaceUrlPicks")
        self.url_picks.setText("Hosted…")
        self.url_picks.setAccessibleName("Choose a hosted RapidPro server")
        self.url_picks.setToolTip("Fill in the address of a hosted service")
        self.url_picks.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.url_picks.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        picks = QMenu(self.url_picks)
        for url in QUICK_PICKS:
            action = picks.addAction(url)
            action.triggered.connect(lambda _checked=False, u=url: self._pick_url(u))
        self.url_picks.setMenu(picks)

        self.token_edit = QLineEdit()
        self.token_edit.setObjectName("tokenEdit")
        self.token_edit.setAccessibleName("API token")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = QToolButton()
        self.show_token.setObjectName("showTokenButton")
        self.show_token.setText("Show")
        self.show_token.setCheckable(True)
        self.show_token.setAccessibleName("Show the token")
        self.show_token.setToolTip("Show or hide the token")
        self.show_token.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.show_token.toggled.connect(self._on_show_token)

        self.country_edit = QLineEdit()
        self.country_edit.setObjectName("workspaceCountry")
        self.country_edit.setAccessibleName("Default country for local phone numbers")
        self.country_edit.setPlaceholderText("e.g. RW")
        self.country_edit.setToolTip(
            "Two-letter country code (ISO 3166) used for phone numbers written without "
            "+country code, e.g. RW for Rwanda. Leave empty to always need the +."
        )
        country_completer = QCompleter(sorted(phonenumbers.SUPPORTED_REGIONS), self.country_edit)
        country_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.country_edit.setCompleter(country_completer)

        self.rate_spin = QSpinBox()
        self.rate_spin.setObjectName("workspaceRate")
        self.rate_spin.setAccessibleName("Rate limit, requests per hour")
        self.rate_spin.setRange(1, MAX_RATE_LIMIT)
        self.rate_spin.setValue(DEFAULT_RATE_LIMIT)
        self.rate_spin.setSuffix(" requests per hour")
        self.rate_spin.setGroupSeparatorShown(True)
        self.rate_spin.setAccelerated(True)
        self.rate_spin.setToolTip(
            f"How many API requests the server allows per hour; RapidPro's default is "
            f"{DEFAULT_RATE_LIMIT}."
        )

        # The whole exchange, however slowly the bytes come: a server that drips its answer
        # would otherwise hold a send (or a fetch-all) for ever.
        self.deadline_spin = QSpinBox()
        self.deadline_spin.setObjectName("workspaceDeadline")
        self.deadline_spin.setAccessibleName("Give up on a request after this many seconds")
        self.deadline_spin.setRange(*DEADLINE_RANGE)
        self.deadline_spin.setValue(int(DEFAULT_DEADLINE))
        self.deadline_spin.setSuffix(" s")
        self.deadline_spin.setGroupSeparatorShown(True)
        self.deadline_spin.setAccelerated(True)
        self.deadline_spin.setToolTip(
            "The longest one request to this server may take in all, from sending to the last "
            "byte. For a server that answers very slowly: raise it if big pages are cut off, "
            f"lower it to give up sooner. The usual is {int(DEFAULT_DEADLINE)} s."
        )

        self.error_labels: dict[str, QLabel] = {}
        self.editors: dict[str, QWidget] = {
            "name": self.name_edit,
            "base_url": self.url_edit,
            "token": self.token_edit,
            "default_country": self.country_edit,
            "rate_limit_per_hour": self.rate_spin,
            "request_deadline_s": self.deadline_spin,
        }
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.addRow(self._label("&Name:", "name"), self._field("name", self.name_edit))
        form.addRow(
            self._label("Base &URL:", "base_url"),
            self._field("base_url", self.url_edit, self.url_picks),
        )
        form.addRow(
            self._label("API to&ken:", "token"),
            self._field("token", self.token_edit, self.show_token),
        )
        form.addRow(
            self._label("Default &country:", "default_country"),
            self._field("default_country", self.country_edit),
        )
        form.addRow(
            self._label("Rate &limit:", "rate_limit_per_hour"),
            self._field("rate_limit_per_hour", self.rate_spin),
        )
        form.addRow(
            self._label("Give &up on a request after:", "request_deadline_s"),
            self._field("request_deadline_s", self.deadline_spin),
        )
        for edit in (self.name_edit, self.url_edit, self.token_edit, self.country_edit):
            edit.textChanged.connect(self._on_edited)
        self.rate_spin.valueChanged.connect(self._on_edited)
        self.deadline_spin.valueChanged.connect(self._on_edited)

        self.sandbox_note = QLabel(
            "The sandbox is local demo data on this computer, started by the app: nothing "
            "sent to it leaves this computer. It cannot be edited or removed."
        )
        self.sandbox_note.setObjectName("sandboxNote")
        self.sandbox_note.setWordWrap(True)
        self.sandbox_note.setStyleSheet(_SANDBOX_STYLE)
        self.sandbox_note.hide()

        self.vault_problem = QLabel()
        self.vault_problem.setObjectName("keyringProblem")
        self.vault_problem.setWordWrap(True)
        self.vault_problem.setStyleSheet(_NOTE_STYLE)
        self.vault_problem.hide()

        self.general_problem = QLabel()
        self.general_problem.setObjectName("workspaceProblem")
        self.general_problem.setWordWrap(True)
        self.general_problem.setStyleSheet(_ERROR_STYLE)
        self.general_problem.hide()

        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setToolTip(
            "Ask the server for /api/v2/workspace.json with this address and token"
        )
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setObjectName("testConnectionResult")
        self.test_result.setAccessibleName("Connection test result")
        self.test_result.setWordWrap(True)
        # The server's answer is shown as text: a workspace name must not be read as HTML.
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)

        self.save_problem = QLabel()
        self.save_problem.setObjectName("saveProblem")
        self.save_problem.setWordWrap(True)
        self.save_problem.setStyleSheet("color: #6d6d6d;")
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("saveWorkspaceButton")
        self.save_button.setAccessibleName("Save the workspace")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.use_button = QPushButton("&Use this workspace")
        self.use_button.setObjectName("useWorkspaceButton")
        self.use_button.setAccessibleName("Use this workspace")
        self.use_button.setAutoDefault(False)
        self.use_button.clicked.connect(self.use_workspace)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_problem, 1)
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.use_button)

        self.editor_box = QGroupBox("Workspace")
        self.editor_box.setObjectName("workspaceEditor")
        box_layout = QVBoxLayout(self.editor_box)
        box_layout.addWidget(self.sandbox_note)
        box_layout.addLayout(form)
        box_layout.addSpacing(8)
        box_layout.addLayout(test_row)
        box_layout.addStretch(1)

        right = QVBoxLayout()
        right.addWidget(self.editor_box, 1)
        right.addWidget(self.vault_problem)
        right.addWidget(self.general_problem)
        right.addLayout(save_row)

        columns = QHBoxLayout()
        columns.addLayout(left, 2)
        columns.addLayout(right, 5)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        close_button = close.button(QDialogButtonBox.StandardButton.Close)
        close_button.setAutoDefault(False)
        close_button.setObjectName("closeWorkspacesButton")

        layout = QVBoxLayout(self)
        layout.addWidget(self.store_problem)
        layout.addLayout(columns, 1)
        layout.addWidget(close)

        chain: list[QWidget] = [
            self.workspace_list,
            self.add_button,
            self.remove_button,
            self.name_edit,
            self.url_edit,
            self.url_picks,
            self.token_edit,
            self.show_token,
            self.country_edit,
            self.rate_spin,
            self.deadline_spin,
            self.test_button,
            self.save_button,
            self.use_button,
            close_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save)
        QShortcut(QKeySequence(QKeySequence.StandardKey.New), self, self.add_workspace)
        delete = QShortcut(
            QKeySequence(QKeySequence.StandardKey.Delete), self.workspace_list, self.ask_remove
        )
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)

    def _label(self, text: str, key: str) -> QLabel:
        label = QLabel(text)
        label.setBuddy(self.editors[key])
        return label

    def _field(self, key: str, editor: QWidget, extra: QWidget | None = None) -> QWidget:
        """The editor with its error message underneath, where the eye already is."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if extra is None:
            column.addWidget(editor)
        else:
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(editor, 1)
            row.addWidget(extra)
            column.addLayout(row)
        error = QLabel()
        error.setObjectName(f"{self.editors[key].objectName()}Error")
        error.setWordWrap(True)
        error.setStyleSheet(_ERROR_STYLE)
        error.hide()
        column.addWidget(error)
        self.error_labels[key] = error
        return box

    # --- the list --------------------------------------------------------------------------

    def _current_entry(self) -> _Entry:
        current = self.store.current_workspace()
        return _Entry(_Kind.SAVED, current.name) if current is not None else _SANDBOX

    def _is_current(self, entry: _Entry) -> bool:
        return entry.same(self._current_entry())

    def _reload_list(self, select: _Entry, *, populate: bool = True) -> None:
        """Rebuild the rows; select ``select`` (filling the editor only when ``populate``)."""
        entries = [_SANDBOX] + [_Entry(_Kind.SAVED, ws.name) for ws in self.store.workspaces()]
        if select.kind is _Kind.NEW:
            entries.append(_NEW)
        self.workspace_list.blockSignals(True)
        try:
            self.workspace_list.clear()
            row_to_select = 0
            for row, entry in enumerate(entries):
                self.workspace_list.addItem(self._item(entry))
                if entry.same(select):
                    row_to_select = row
            self.workspace_list.setCurrentRow(row_to_select)
        finally:
            self.workspace_list.blockSignals(False)
        chosen = entries[row_to_select]
        if populate or not chosen.same(self._entry):
            self._select(chosen)
        else:
            self._entry = chosen
            self._refresh()

    def _item(self, entry: _Entry) -> QListWidgetItem:
        if entry.kind is _Kind.NEW:
            item = QListWidgetItem("New workspace (not saved)")
            font = item.font()
            font.setItalic(True)
            item.setFont(font)
        else:
            text = entry.name
            if self._is_current(entry):
                text += "  ✓ in use"
            item = QListWidgetItem(text)
            if self._is_current(entry):
                font = item.font()
                font.setWeight(QFont.Weight.Bold)
                item.setFont(font)
            if entry.kind is _Kind.SANDBOX:
                item.setToolTip("Local demo data on this computer; read-only here")
                item.setForeground(Qt.GlobalColor.darkGreen)
            else:
                ws = self.store.get(entry.name)
                item.setToolTip(ws.base_url if ws is not None else "")
        item.setData(Qt.ItemDataRole.UserRole, entry)
        return item

    def _on_current_item(self, item: QListWidgetItem | None, _previous: object) -> None:
        entry = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(entry, _Entry) or entry.same(self._entry):
            return
        if self._entry is not None and self._entry.kind is _Kind.NEW:
            # Leaving an unsaved new workspace abandons it: take its row away.
            self._reload_list(entry)
            return
        self._select(entry)

    def select_workspace(self, name: str) -> None:
        """Show workspace ``name`` (or the sandbox, by its name) in the editor."""
        if name.casefold() == SANDBOX_WORKSPACE_NAME.casefold():
            self._reload_list(_SANDBOX)
        elif name in self.store:
            self._reload_list(_Entry(_Kind.SAVED, name))

    # --- the editor ------------------------------------------------------------------------

    def _select(self, entry: _Entry) -> None:
        """Fill the editor for ``entry``; a saved workspace's token loads in the background."""
        _cancel(self._load_task)
        self._load_task = None
        self._abandon_test()
        self._entry = entry
        self._extra_errors = []
        self._loaded_token = None
        self._token_loading = False
        self.show_token.setChecked(False)
        ws = self.store.get(entry.name) if entry.kind is _Kind.SAVED else None
        values = _Values()
        if ws is not None:
            values = _Values(
                name=ws.name,
                base_url=ws.base_url,
                default_country=ws.default_country or "",
                rate_limit_per_hour=ws.rate_limit_per_hour,
                request_deadline_s=ws.request_deadline_s,
            )
        elif entry.kind is _Kind.SANDBOX:
            values = _Values(name=SANDBOX_WORKSPACE_NAME)
        self._fill(values)

        sandbox = entry.kind is _Kind.SANDBOX
        self.sandbox_note.setVisible(sandbox)
        for key in (
            "name",
            "base_url",
            "default_country",
            "rate_limit_per_hour",
            "request_deadline_s",
        ):
            self.editors[key].setEnabled(not sandbox)
        self.url_picks.setEnabled(not sandbox)
        self.url_edit.setPlaceholderText("On this computer" if sandbox else QUICK_PICKS[0])
        self.country_edit.setPlaceholderText("" if sandbox else "e.g. RW")
        self.editor_box.setTitle(
            "Sandbox" if sandbox else "New workspace" if entry.kind is _Kind.NEW else "Workspace"
        )
        if sandbox:
            self.token_edit.setEnabled(False)
            self.show_token.setEnabled(False)
            self.token_edit.setPlaceholderText("Not needed: the app knows the sandbox's token")
        elif ws is not None:
            self._token_loading = True
            self.token_edit.setEnabled(False)
            self.show_token.setEnabled(False)
            self.token_edit.setPlaceholderText("Loading…")
            self._load_task = self._start(self._load_token(entry))
        else:
            self.token_edit.setEnabled(True)
            self.show_token.setEnabled(True)
            self.token_edit.setPlaceholderText("The API token from the workspace's account page")
        # A saved workspace's values were accepted before: any problem with them shows at once.
        # A new one's empty fields are not scolded before the person has typed in them.
        self._touched = set(FIELD_LABELS) if ws is not None else set()
        self._snapshot = values
        self._refresh()

    def _fill(self, values: _Values) -> None:
        self._populating = True
        try:
            self.name_edit.setText(values.name)
            self.url_edit.setText(values.base_url)
            self.token_edit.setText(values.token)
            self.country_edit.setText(values.default_country)
            self.rate_spin.setValue(values.rate_limit_per_hour)
            self.deadline_spin.setValue(values.request_deadline_s)
            for edit in (self.name_edit, self.url_edit, self.token_edit, self.country_edit):
                edit.setCursorPosition(0)  # show the start of long values, not their end
        finally:
            self._populating = False

    def _values(self) -> _Values:
        return _Values(
            name=self.name_edit.text(),
            base_url=self.url_edit.text(),
            token=self.token_edit.text(),
            default_country=self.country_edit.text(),
            rate_limit_per_hour=self.rate_spin.value(),
            request_deadline_s=self.deadline_spin.value(),
        )

    async def _load_token(self, entry: _Entry) -> None:
        try:
            token = await self.vault.get(entry.name)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The vault turns keyring failures into a session-only fallback; this is a bug.
            log.exception("loading the token of workspace %r failed", entry.name)
            token = None
        if not entry.same(self._entry):
            return
        self._load_task = None
        self._token_loading = False
        self._loaded_token = token
        self._populating = True
        try:
            self.token_edit.setText(token or "")
            self.token_edit.setCursorPosition(0)
        finally:
            self._populating = False
        self.token_edit.setEnabled(True)
        self.show_token.setEnabled(True)
        self.token_edit.setPlaceholderText(
            "No token saved for this workspace: paste it here" if token is None else ""
        )
        self._snapshot = dataclasses.replace(self._snapshot, token=token or "")
        self._show_vault_state()
        self._refresh()

    def _on_edited(self, *_args: object) -> None:
        if self._populating:
            return
        sender = self.sender()
        for key, editor in self.editors.items():
            if editor is sender:
                self._touched.add(key)
        self._extra_errors = []
        self._refresh()

    def _pick_url(self, url: str) -> None:
        self.url_edit.setText(url)
        self.url_edit.setFocus()

    def _on_show_token(self, shown: bool) -> None:
        self.token_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        )
        self.show_token.setText("Hide" if shown else "Show")
        self.show_token.setAccessibleName("Hide the token" if shown else "Show the token")

    # --- checking --------------------------------------------------------------------------

    def problems(self) -> list[ValidationError]:
        """Everything wrong with the editor's values, each under its field's key."""
        entry = self._entry
        if entry is None or entry.kind is _Kind.SANDBOX:
            return []
        values = self._values()
        errors: list[ValidationError] = []
        try:
            validated(values.workspace())
        except ValidationErrors as exc:
            errors.extend(exc)
        name = values.name.strip()
        if name and not any(e.path[:1] == ("name",) for e in errors):
            taken = self.store.get(name)
            if name.casefold() == SANDBOX_WORKSPACE_NAME.casefold():
                errors.append(ValidationError("That name is kept for the sandbox", ("name",)))
            elif taken is not None and not _Entry(_Kind.SAVED, taken.name).same(entry):
                errors.append(
                    ValidationError(f"There is already a workspace called {taken.name}", ("name",))
                )
        if not self._token_loading and not clean_token(values.token):
            errors.append(ValidationError("Enter the workspace's API token", ("token",)))
        return errors + self._extra_errors

    def _refresh(self) -> None:
        """Show each problem under its field and enable what can be done now."""
        errors = self.problems()
        general: list[str] = []
        by_field: dict[str, list[str]] = {key: [] for key in FIELD_LABELS}
        for error in errors:
            key = str(error.path[0]) if error.path else ""
            if key in by_field:
                by_field[key].append(error.message)
            else:
                general.append(error.message)
        for key, messages in by_field.items():
            shown = messages if key in self._touched else []
            label = self.error_labels[key]
            label.setText("\n".join(shown))
            label.setVisible(bool(shown))
            # Screen readers announce the description with the field.
            self.editors[key].setAccessibleDescription(" ".join(shown))
        self._set_general(general)

        entry = self._entry
        editable = (
            entry is not None and entry.kind is not _Kind.SANDBOX and self.store.problem is None
        )
        busy = self._busy_task is not None and not self._busy_task.done()
        dirty = entry is not None and (entry.kind is _Kind.NEW or self._values() != self._snapshot)
        if not editable:
            reason = "" if entry is None or entry.kind is _Kind.SANDBOX else "Cannot save."
        elif busy:
            reason = "Saving…"
        elif self._token_loading:
            reason = "Loading the token…"
        elif errors:
            reason = self._save_hint(errors)
        elif not dirty:
            reason = "No changes to save."
        else:
            reason = ""
        self.save_button.setEnabled(editable and not busy and not reason)
        self.save_problem.setText(reason)
        self.save_button.setToolTip(reason or "Save the workspace (Ctrl+S)")

        usable = (
            entry is not None
            and entry.kind is not _Kind.NEW
            and self.store.problem is None
            and not busy
        )
        if usable and dirty:
            self.use_button.setEnabled(False)
            self.use_button.setToolTip("Save the changes first")
        else:
            self.use_button.setEnabled(usable)
            self.use_button.setToolTip("Send requests to this workspace from now on")
        self.remove_button.setEnabled(editable and not busy)
        self.add_button.setEnabled(self.store.problem is None and not busy)
        testing = self._test_task is not None and not self._test_task.done()
        testable = entry is not None and entry.kind is not _Kind.SANDBOX and not self._token_loading
        self.test_button.setEnabled(testing or testable)
        self.test_button.setText("Cancel &test" if testing else "&Test connection")

    def _save_hint(self, errors: list[ValidationError]) -> str:
        """Why Save is off, without repeating what is already shown under the fields."""
        unseen = [
            e
            for e in errors
            if e.path and str(e.path[0]) in FIELD_LABELS and str(e.path[0]) not in self._touched
        ]
        if unseen:
            first = unseen[0]
            return f"Before saving: {FIELD_LABELS[str(first.path[0])]} — {first.message}."
        count = len(errors)
        return (
            f"Fix the {count} problems marked above to save."
            if count > 1
            else ("Fix the problem marked above to save.")
        )

    def _set_general(self, messages: list[str]) -> None:
        self.general_problem.setText("\n".join(messages))
        self.general_problem.setVisible(bool(messages))

    def _show_vault_state(self) -> None:
        problem = self.vault.problem if not self.vault.persistent else None
        self.vault_problem.setText(problem or "")
        self.vault_problem.setVisible(bool(problem))

    # --- actions ---------------------------------------------------------------------------

    def add_workspace(self) -> None:
        """Start a new workspace in the editor (saved only with Save)."""
        if not self.add_button.isEnabled():
            return
        if self._entry is None or self._entry.kind is not _Kind.NEW:
            self._reload_list(_NEW)
        self.name_edit.setFocus()

    def save(self) -> None:
        """Save the editor's workspace and its token (the button, Ctrl+S)."""
        if not self.save_button.isEnabled() or self._entry is None:
            return
        self._busy_task = self._start(self._save(self._entry, self._values()))
        self._refresh()

    async def _save(self, entry: _Entry, values: _Values) -> None:
        token = clean_token(values.token)
        was_current = self._is_current(entry)
        try:
            if entry.kind is _Kind.NEW:
                saved = self.store.add(values.workspace())
                await self.vault.set(saved.name, token)
            else:
                saved = await self.store.update(entry.name, values.workspace())
                if saved.name != entry.name and self.store.vault is not self.vault:
                    # The store moves tokens through its own vault; this one must follow.
                    await self.vault.rename(entry.name, saved.name)
                if token != self._loaded_token:
                    await self.vault.set(saved.name, token)
        except ValidationErrors as exc:
            self._touched = set(FIELD_LABELS)
            self._extra_errors = list(exc)
            return
        except (ValidationError, StoreError) as exc:
            self._extra_errors = [ValidationError(exc.message)]
            return
        finally:
            self._busy_task = None
            self._show_vault_state()
            self._refresh()
        log.info("saved workspace %r", saved.name)
        saved_entry = _Entry(_Kind.SAVED, saved.name)
        if not entry.same(self._entry):
            # The person moved on while it saved: leave their new selection alone.
            self._reload_list(self._entry or saved_entry, populate=False)
        else:
            self._loaded_token = token
            # Show what was saved: the URL normalised, the country upper-cased, the token
            # without spaces…
            self._fill(
                _Values(
                    name=saved.name,
                    base_url=saved.base_url,
                    token=token,
                    default_country=saved.default_country or "",
                    rate_limit_per_hour=saved.rate_limit_per_hour,
                    request_deadline_s=saved.request_deadline_s,
                )
            )
            self._snapshot = self._values()
            self._touched = set(FIELD_LABELS)
            # The editor already holds it: re-selecting would reload the token for nothing.
            self._entry = saved_entry
            self._reload_list(saved_entry, populate=False)
            self.editor_box.setTitle("Workspace")
        self.workspaces_changed.emit()
        if was_current:
            self.workspace_chosen.emit(saved.name)

    def ask_remove(self) -> None:
        """Ask before removing the selected workspace (a new, unsaved one just goes)."""
        entry = self._entry
        if entry is None or not self.remove_button.isEnabled():
            return
        if entry.kind is _Kind.NEW:
            self._reload_list(self._current_entry())
            return
        if entry.kind is not _Kind.SAVED or self.confirm_box is not None:
            return
        box = warning_box(
            self,
            "Remove workspace",
            f"Remove the workspace “{entry.name}”?",
            details="Its address and settings are deleted here and its token is removed from "
            "the keyring. Nothing on the server changes.",
            yes="Remove",
        )
        box.setObjectName("removeWorkspaceConfirm")
        box.finished.connect(lambda _code: self._on_remove_answer(box, entry))
        self.confirm_box = box
        box.open()  # not exec(): a nested event loop would break the tasks on the qasync loop

    def _on_remove_answer(self, box: QMessageBox, entry: _Entry) -> None:
        yes = said_yes(box)
        self.confirm_box = None
        box.deleteLater()
        if yes:
            self._busy_task = self._start(self._remove(entry))
            self._refresh()

    async def _remove(self, entry: _Entry) -> None:
        was_current = self._is_current(entry)
        try:
            await self.store.remove(entry.name)
            if self.store.vault is not self.vault:
                await self.vault.delete(entry.name)
        except (ValidationError, StoreError) as exc:
            self._extra_errors = [ValidationError(exc.message)]
            return
        finally:
            self._busy_task = None
            self._show_vault_state()
            self._refresh()
        self._reload_list(self._current_entry())
        self.workspaces_changed.emit()
        if was_current:
            self.workspace_chosen.emit(SANDBOX_WORKSPACE_NAME)

    def use_workspace(self) -> None:
        """Make the selected workspace (or the sandbox) the one requests go to."""
        entry = self._entry
        if entry is None or not self.use_button.isEnabled():
            return
        try:
            self.store.set_current(None if entry.kind is _Kind.SANDBOX else entry.name)
        except (ValidationError, StoreError) as exc:
            self._set_general([exc.message])
            return
        self._reload_list(entry, populate=False)
        self.workspace_chosen.emit(entry.name)

    # --- testing the connection ------------------------------------------------------------

    def test_connection(self) -> None:
        """Read /api/v2/workspace.json with the typed address and token; again: cancel."""
        if self._test_task is not None and not self._test_task.done():
            self._test_task.cancel()
            return
        values = self._values()
        try:
            base_url = normalize_base_url(values.base_url)
        except ValidationError as exc:
            self._show_result(exc.message, ok=False)
            return
        token = clean_token(values.token)
        if not token:
            self._show_result("Enter the token first: the API answers nothing without it.", False)
            return
        self._test_serial += 1
        self._show_result(f"Asking {base_url}/api/v2/workspace.json…", None)
        self._test_task = self._start(
            self._test(base_url, token, float(values.request_deadline_s), self._test_serial)
        )
        self._refresh()

    async def _test(self, base_url: str, token: str, deadline: float, serial: int) -> None:
        task = asyncio.current_task()
        try:
            request = build_request(base_url, token, prepare(Draft("workspace")))
            outcome = await send(self.http, request, base_url=base_url, deadline=deadline)
        except asyncio.CancelledError:
            if serial == self._test_serial:
                self._show_result("Test cancelled.", None)
            raise
        finally:
            if self._test_task is task:
                self._test_task = None
                with contextlib.suppress(RuntimeError):  # the dialog may be gone already
                    self._refresh()
        if serial == self._test_serial:
            self._show_outcome(base_url, outcome)

    def _abandon_test(self) -> None:
        """Stop a test whose result would no longer match the editor."""
        self._test_serial += 1
        _cancel(self._test_task)
        self._test_task = None
        self.test_result.clear()

    def _show_outcome(self, base_url: str, outcome: Outcome) -> None:
        data = outcome.json
        if outcome.ok and isinstance(data, dict) and isinstance(data.get("name"), str):
            country = workspace_country(data)
            extra = f" (country {country})" if country else ""
            if country and self.country_edit.isEnabled() and not self.country_edit.text().strip():
                self.country_edit.setText(country)  # the server's own; the person may change it
                extra = f" (country {country}, now filled in as the default country)"
            self._show_result(f"Connected to “{data['name']}”{extra}.", ok=True)
        elif outcome.ok:
            self._show_result(
                f"{base_url} answered, but not as RapidPro does: is the address right?", False
            )
        elif outcome.failed:
            detail = f" ({outcome.error})" if outcome.error else ""
            self._show_result(f"{outcome.meaning}{detail}", ok=False)
        else:
            said = f" The server said: {outcome.detail}" if outcome.detail else ""
            self._show_result(
                f"{outcome.status} {outcome.reason}: {outcome.meaning}{said}".strip(), ok=False
            )

    def _show_result(self, text: str, ok: bool | None) -> None:
        with contextlib.suppress(RuntimeError):  # the dialog may be gone already
            self.test_result.setText(text)
            style = "" if ok is None else _OK_STYLE if ok else _ERROR_STYLE
            self.test_result.setStyleSheet(style)

    # --- tasks -----------------------------------------------------------------------------

    def _start(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_log_failure)
        return task

    def open(self) -> None:
        """Show the dialog non-modally, with the store's workspaces as they are now."""
        self._reload_list(self._entry if self._entry is not None else self._current_entry())
        self._show_vault_state()
        super().open()

    def done(self, result: int) -> None:
        """Closing abandons a running test and token load; a save or removal finishes."""
        try:
            self._abandon_test()
            _cancel(self._load_task)
            if self.confirm_box is not None:
                self.confirm_box.reject()
        except Exception:  # Qt calls this: an escaping error would crash, not raise
            log.exception("closing the workspace dialog failed")
        super().done(result)


def _cancel(task: asyncio.Task[Any] | None) -> None:
    if task is not None and not task.done():
        task.cancel()


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("workspace dialog task failed", exc_info=task.exception())


def _warm_country_names() -> None:
    """Load pycountry's tables off the GUI thread.

    The first "not a country code" hint reads them, which takes ~80 ms: enough to stall a
    keystroke if done on the GUI thread.
    """

    def load() -> None:
        with contextlib.suppress(Exception):
            import pycountry

            pycountry.countries.lookup("RW")

    threading.Thread(target=load, name="pycountry-warmup", daemon=True).start()
