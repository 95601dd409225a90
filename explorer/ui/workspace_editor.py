"""The workspace manager's editor: one workspace's fields, their messages, and Test.

It shows and reads :class:`~explorer.ui.workspace_entry.Values`, puts each problem under
its field, and sets itself up for the row chosen (the sandbox is read-only; a saved
workspace's token loads in the background). It does no work of its own: the dialog
decides what a change or a test means.
"""

from __future__ import annotations

import contextlib

import phonenumbers
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.client import DEFAULT_DEADLINE
from explorer.store.workspaces import DEADLINE_RANGE, DEFAULT_RATE_LIMIT
from explorer.ui.workspace_entry import Kind, Values

QUICK_PICKS = ("https://app.rapidpro.io", "https://textit.com")
MAX_RATE_LIMIT = 1_000_000

ERROR_STYLE = "color: #c62828;"
OK_STYLE = "color: #1b5e20;"
_SANDBOX_STYLE = "background: #e8f5e9; color: #1b5e20; padding: 4px; border-radius: 3px;"

# The fields the sandbox shows but does not let anyone change.
_SETTINGS = ("name", "base_url", "default_country", "rate_limit_per_hour", "request_deadline_s")


class WorkspaceEditor(QGroupBox):
    """The fields of one workspace, each with its message underneath, and Test connection.

    Signals:
        edited(str): the person changed the field with this key (not when filled in).
        test_requested(): Test connection (or Cancel test) was pressed.
    """

    edited = Signal(str)
    test_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Workspace", parent)
        self.setObjectName("workspaceEditor")
        self._populating = False
        self.error_labels: dict[str, QLabel] = {}
        self._build_fields()
        self._build_numbers()
        self.editors: dict[str, QWidget] = {
            "name": self.name_edit,
            "base_url": self.url_edit,
            "token": self.token_edit,
            "default_country": self.country_edit,
            "rate_limit_per_hour": self.rate_spin,
            "request_deadline_s": self.deadline_spin,
        }
        self._build_test_row()
        self._lay_out()
        for key, editor in self.editors.items():
            signal = editor.valueChanged if isinstance(editor, QSpinBox) else editor.textChanged
            signal.connect(lambda *_args, k=key: self._on_edited(k))

    # --- building --------------------------------------------------------------------------

    def _build_fields(self) -> None:
        self.name_edit = _line("workspaceName", "Workspace name", "e.g. Ministry of Health")

        self.url_edit = _line("workspaceUrl", "Base URL", QUICK_PICKS[0])
        completer = QCompleter(list(QUICK_PICKS), self.url_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.url_edit.setCompleter(completer)
        self.url_picks = _tool_button(
            "workspaceUrlPicks", "Hosted…", "Choose a hosted RapidPro server"
        )
        self.url_picks.setToolTip("Fill in the address of a hosted service")
        self.url_picks.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        picks = QMenu(self.url_picks)
        for url in QUICK_PICKS:
            action = picks.addAction(url)
            action.triggered.connect(lambda _checked=False, u=url: self._pick_url(u))
        self.url_picks.setMenu(picks)

        self.token_edit = _line("tokenEdit", "API token", "")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = _tool_button("showTokenButton", "Show", "Show the token")
        self.show_token.setCheckable(True)
        self.show_token.setToolTip("Show or hide the token")
        self.show_token.toggled.connect(self._on_show_token)

        self.country_edit = _line(
            "workspaceCountry", "Default country for local phone numbers", "e.g. RW"
        )
        self.country_edit.setToolTip(
            "Two-letter country code (ISO 3166) used for phone numbers written without "
            "+country code, e.g. RW for Rwanda. Leave empty to always need the +."
        )
        countries = QCompleter(sorted(phonenumbers.SUPPORTED_REGIONS), self.country_edit)
        countries.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.country_edit.setCompleter(countries)

    def _build_numbers(self) -> None:
        self.rate_spin = _spin("workspaceRate", "Rate limit, requests per hour")
        self.rate_spin.setRange(1, MAX_RATE_LIMIT)
        self.rate_spin.setValue(DEFAULT_RATE_LIMIT)
        self.rate_spin.setSuffix(" requests per hour")
        self.rate_spin.setToolTip(
            f"How many API requests the server allows per hour; RapidPro's default is "
            f"{DEFAULT_RATE_LIMIT}."
        )
        # The whole exchange, however slowly the bytes come: a server that drips its answer
        # would otherwise hold a send (or a fetch-all) for ever.
        self.deadline_spin = _spin(
            "workspaceDeadline", "Give up on a request after this many seconds"
        )
        self.deadline_spin.setRange(*DEADLINE_RANGE)
        self.deadline_spin.setValue(int(DEFAULT_DEADLINE))
        self.deadline_spin.setSuffix(" s")
        self.deadline_spin.setToolTip(
            "The longest one request to this server may take in all, from sending to the last "
            "byte. For a server that answers very slowly: raise it if big pages are cut off, "
            f"lower it to give up sooner. The usual is {int(DEFAULT_DEADLINE)} s."
        )

    def _build_test_row(self) -> None:
        self.sandbox_note = QLabel(
            "The sandbox is local demo data on this computer, started by the app: nothing "
            "sent to it leaves this computer. It cannot be edited or removed."
        )
        self.sandbox_note.setObjectName("sandboxNote")
        self.sandbox_note.setWordWrap(True)
        self.sandbox_note.setStyleSheet(_SANDBOX_STYLE)
        self.sandbox_note.hide()
        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setToolTip(
            "Ask the server for /api/v2/workspace.json with this address and token"
        )
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.test_requested)
        self.test_result = QLabel()
        self.test_result.setObjectName("testConnectionResult")
        self.test_result.setAccessibleName("Connection test result")
        self.test_result.setWordWrap(True)
        # The server's answer is shown as text: a workspace name must not be read as HTML.
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        extras = {"base_url": self.url_picks, "token": self.show_token}
        labels = {
            "name": "&Name:",
            "base_url": "Base &URL:",
            "token": "API to&ken:",
            "default_country": "Default &country:",
            "rate_limit_per_hour": "Rate &limit:",
            "request_deadline_s": "Give &up on a request after:",
        }
        for key, text in labels.items():
            label = QLabel(text)
            label.setBuddy(self.editors[key])
            form.addRow(label, self._field(key, extras.get(key)))
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sandbox_note)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addLayout(test_row)
        layout.addStretch(1)

    def _field(self, key: str, extra: QWidget | None) -> QWidget:
        """The editor with its error message underneath, where the eye already is."""
        editor = self.editors[key]
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
        error.setObjectName(f"{editor.objectName()}Error")
        error.setWordWrap(True)
        error.setStyleSheet(ERROR_STYLE)
        error.hide()
        column.addWidget(error)
        self.error_labels[key] = error
        return box

    def tab_chain(self) -> list[QWidget]:
        """The editor's controls in the order Tab visits them."""
        return [
            self.name_edit,
            self.url_edit,
            self.url_picks,
            self.token_edit,
            self.show_token,
            self.country_edit,
            self.rate_spin,
            self.deadline_spin,
            self.test_button,
        ]

    # --- values ----------------------------------------------------------------------------

    def fill(self, values: Values) -> None:
        """Show ``values`` without counting it as the person's edit."""
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

    def values(self) -> Values:
        return Values(
            name=self.name_edit.text(),
            base_url=self.url_edit.text(),
            token=self.token_edit.text(),
            default_country=self.country_edit.text(),
            rate_limit_per_hour=self.rate_spin.value(),
            request_deadline_s=self.deadline_spin.value(),
        )

    def show_kind(self, kind: Kind, *, token_loading: bool) -> None:
        """Set the fields up for a row of ``kind``: the sandbox is read-only."""
        sandbox = kind is Kind.SANDBOX
        self.show_token.setChecked(False)
        self.sandbox_note.setVisible(sandbox)
        for key in _SETTINGS:
            self.editors[key].setEnabled(not sandbox)
        self.url_picks.setEnabled(not sandbox)
        self.url_edit.setPlaceholderText("On this computer" if sandbox else QUICK_PICKS[0])
        self.country_edit.setPlaceholderText("" if sandbox else "e.g. RW")
        self.setTitle(
            "Sandbox" if sandbox else "New workspace" if kind is Kind.NEW else "Workspace"
        )
        token_editable = not sandbox and not token_loading
        self.token_edit.setEnabled(token_editable)
        self.show_token.setEnabled(token_editable)
        if sandbox:
            self.token_edit.setPlaceholderText("Not needed: the app knows the sandbox's token")
        elif token_loading:
            self.token_edit.setPlaceholderText("Loading…")
        else:
            self.token_edit.setPlaceholderText("The API token from the workspace's account page")

    def show_loaded_token(self, token: str | None) -> None:
        """Put the token read from the keyring in its field and let it be edited."""
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

    def show_errors(self, by_field: dict[str, list[str]], touched: set[str]) -> None:
        """Each field's messages under it, for the fields the person has been in."""
        for key, messages in by_field.items():
            shown = messages if key in touched else []
            label = self.error_labels[key]
            label.setText("\n".join(shown))
            label.setVisible(bool(shown))
            # Screen readers announce the description with the field.
            self.editors[key].setAccessibleDescription(" ".join(shown))

    def fill_country(self, country: str) -> bool:
        """Fill in the default country from the server when the person left it empty."""
        if not self.country_edit.isEnabled() or self.country_edit.text().strip():
            return False
        self.country_edit.setText(country)  # the server's own; the person may change it
        return True

    # --- testing ---------------------------------------------------------------------------

    def show_testing(self, *, testing: bool, testable: bool) -> None:
        self.test_button.setEnabled(testing or testable)
        self.test_button.setText("Cancel &test" if testing else "&Test connection")

    def show_result(self, text: str, ok: bool | None) -> None:
        """The test's result under the button: green when connected, red when not."""
        with contextlib.suppress(RuntimeError):  # the dialog may be gone already
            self.test_result.setText(text)
            self.test_result.setStyleSheet("" if ok is None else OK_STYLE if ok else ERROR_STYLE)

    # --- reactions -------------------------------------------------------------------------

    def _on_edited(self, key: str) -> None:
        if not self._populating:
            self.edited.emit(key)

    def _pick_url(self, url: str) -> None:
        self.url_edit.setText(url)
        self.url_edit.setFocus()

    def _on_show_token(self, shown: bool) -> None:
        self.token_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        )
        self.show_token.setText("Hide" if shown else "Show")
        self.show_token.setAccessibleName("Hide the token" if shown else "Show the token")


def _line(name: str, accessible: str, placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    return edit


def _tool_button(name: str, text: str, accessible: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName(name)
    button.setText(text)
    button.setAccessibleName(accessible)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


def _spin(name: str, accessible: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setAccessibleName(accessible)
    spin.setGroupSeparatorShown(True)
    spin.setAccelerated(True)
    return spin
