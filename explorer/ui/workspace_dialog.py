"""The workspace manager: add, edit, test, remove and choose the RapidPro workspaces.

Opened non-modally with ``open()``. The dialog holds the list and wires it to the
:class:`~explorer.ui.workspace_editor.WorkspaceEditor`; the work behind its buttons is in
:mod:`explorer.ui.workspace_ops`, run as operations on the running (qasync) loop, so a
slow or locked keyring never freezes the window. Tokens go only through the
:class:`TokenVault`, never through a file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import threading
from typing import Any

import httpx
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.client import Outcome
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import normalize_base_url
from explorer.store.errors import StoreError
from explorer.store.secrets import TokenVault
from explorer.store.workspaces import SANDBOX_WORKSPACE_NAME, Workspace, WorkspaceStore
from explorer.ui import errors, workspace_ops
from explorer.ui.confirm import said_yes, warning_box
from explorer.ui.operation import Operation
from explorer.ui.workspace_editor import ERROR_STYLE, WorkspaceEditor
from explorer.ui.workspace_entry import (
    FIELD_LABELS,
    NEW,
    SANDBOX,
    Entry,
    Kind,
    Values,
    clean_token,
)

log = logging.getLogger(__name__)

_NOTE_STYLE = "background: #fff3e0; color: #e65100; padding: 4px; border-radius: 3px;"


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
        self._entry: Entry | None = None
        self._snapshot = Values()
        self._loaded_token: str | None = None
        self._token_loading = False
        self._touched: set[str] = set()
        self._extra_errors: list[ValidationError] = []
        self._load: Operation[str | None] | None = None
        self._test: Operation[Outcome] | None = None
        self._busy: Operation[Any] | None = None  # a save or a removal
        self.confirm_box: QMessageBox | None = None
        self.editor = WorkspaceEditor()
        # The editor's parts, by the names the rest of the app and its tests know them.
        self.name_edit = self.editor.name_edit
        self.token_edit = self.editor.token_edit
        self.show_token = self.editor.show_token
        self.rate_spin = self.editor.rate_spin
        self.sandbox_note = self.editor.sandbox_note
        self._build()
        _warm_country_names()
        self._reload_list(self._current_entry())
        self._show_vault_state()
        self.resize(820, 500)

    # --- building --------------------------------------------------------------------------

    def _build(self) -> None:
        # Top: a workspaces.json the store could not read. Nothing is saved over it.
        self.store_problem = _note("storeProblem", _NOTE_STYLE)
        if self.store.problem is not None:
            self.store_problem.setText(
                f"{self.store.problem}. Workspaces cannot be changed until it is moved aside "
                "or fixed."
            )
            self.store_problem.show()
        self.vault_problem = _note("keyringProblem", _NOTE_STYLE)
        self.general_problem = _note("workspaceProblem", ERROR_STYLE)
        left = self._build_list()
        save_row = self._build_save_row()
        self.editor.edited.connect(self._on_edited)
        self.editor.test_requested.connect(self.test_connection)

        right = QVBoxLayout()
        right.addWidget(self.editor, 1)
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
            *self.editor.tab_chain(),
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

    def _build_list(self) -> QVBoxLayout:
        self.workspace_list = QListWidget()
        self.workspace_list.setObjectName("workspaceList")
        self.workspace_list.setAccessibleName("Workspaces")
        self.workspace_list.setMinimumWidth(270)  # "Sandbox (local demo data)  ✓ in use", bold
        self.workspace_list.currentItemChanged.connect(self._on_current_item)
        list_label = QLabel("&Workspaces")
        list_label.setBuddy(self.workspace_list)
        self.add_button = _button("addWorkspaceButton", "&Add", "Add a workspace")
        self.add_button.setToolTip("Add a workspace (Ctrl+N)")
        self.add_button.clicked.connect(self.add_workspace)
        self.remove_button = _button(
            "removeWorkspaceButton", "Re&move…", "Remove the selected workspace"
        )
        self.remove_button.setToolTip("Remove the selected workspace and its token (Delete)")
        self.remove_button.clicked.connect(self.ask_remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(list_label)
        left.addWidget(self.workspace_list, 1)
        left.addLayout(buttons)
        return left

    def _build_save_row(self) -> QHBoxLayout:
        self.save_problem = QLabel()
        self.save_problem.setObjectName("saveProblem")
        self.save_problem.setWordWrap(True)
        self.save_problem.setStyleSheet("color: #6d6d6d;")
        self.save_button = _button("saveWorkspaceButton", "&Save", "Save the workspace")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.use_button = _button("useWorkspaceButton", "&Use this workspace", "Use this workspace")
        self.use_button.clicked.connect(self.use_workspace)
        row = QHBoxLayout()
        row.addWidget(self.save_problem, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.use_button)
        return row

    # --- the list --------------------------------------------------------------------------

    def _current_entry(self) -> Entry:
        current = self.store.current_workspace()
        return Entry(Kind.SAVED, current.name) if current is not None else SANDBOX

    def _is_current(self, entry: Entry) -> bool:
        return entry.same(self._current_entry())

    def _reload_list(self, select: Entry, *, populate: bool = True) -> None:
        """Rebuild the rows; select ``select`` (filling the editor only when ``populate``)."""
        entries = [SANDBOX] + [Entry(Kind.SAVED, ws.name) for ws in self.store.workspaces()]
        if select.kind is Kind.NEW:
            entries.append(NEW)
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

    def _item(self, entry: Entry) -> QListWidgetItem:
        if entry.kind is Kind.NEW:
            item = QListWidgetItem("New workspace (not saved)")
            font = item.font()
            font.setItalic(True)
            item.setFont(font)
        else:
            current = self._is_current(entry)
            item = QListWidgetItem(entry.name + ("  ✓ in use" if current else ""))
            if current:
                font = item.font()
                font.setWeight(QFont.Weight.Bold)
                item.setFont(font)
            if entry.kind is Kind.SANDBOX:
                item.setToolTip("Local demo data on this computer; read-only here")
                item.setForeground(Qt.GlobalColor.darkGreen)
            else:
                ws = self.store.get(entry.name)
                item.setToolTip(ws.base_url if ws is not None else "")
        item.setData(Qt.ItemDataRole.UserRole, entry)
        return item

    def _on_current_item(self, item: QListWidgetItem | None, _previous: object) -> None:
        entry = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(entry, Entry) or entry.same(self._entry):
            return
        if self._entry is not None and self._entry.kind is Kind.NEW:
            # Leaving an unsaved new workspace abandons it: take its row away.
            self._reload_list(entry)
            return
        self._select(entry)

    def select_workspace(self, name: str) -> None:
        """Show workspace ``name`` (or the sandbox, by its name) in the editor."""
        if name.casefold() == SANDBOX_WORKSPACE_NAME.casefold():
            self._reload_list(SANDBOX)
        elif name in self.store:
            self._reload_list(Entry(Kind.SAVED, name))

    # --- the editor ------------------------------------------------------------------------

    def _select(self, entry: Entry) -> None:
        """Fill the editor for ``entry``; a saved workspace's token loads in the background."""
        _cancel(self._load)
        self._abandon_test()
        self._entry = entry
        self._extra_errors = []
        self._loaded_token = None
        ws = self.store.get(entry.name) if entry.kind is Kind.SAVED else None
        values = Values(name=SANDBOX_WORKSPACE_NAME) if entry.kind is Kind.SANDBOX else Values()
        if ws is not None:
            values = Values.of(ws)
        self.editor.fill(values)
        self._token_loading = ws is not None
        self.editor.show_kind(entry.kind, token_loading=self._token_loading)
        if ws is not None:
            self._load = (
                Operation(
                    self, workspace_ops.load_token(self.vault, ws.name), doing="loading a token"
                )
                .success(lambda token, e=entry: self._on_token_loaded(e, token))
                .run()
            )
        # A saved workspace's values were accepted before: any problem with them shows at once.
        # A new one's empty fields are not scolded before the person has typed in them.
        self._touched = set(FIELD_LABELS) if ws is not None else set()
        self._snapshot = values
        self._refresh()

    def _on_token_loaded(self, entry: Entry, token: str | None) -> None:
        if not entry.same(self._entry):
            return
        self._token_loading = False
        self._loaded_token = token
        self.editor.show_loaded_token(token)
        self._snapshot = dataclasses.replace(self._snapshot, token=token or "")
        self._show_vault_state()
        self._refresh()

    def _on_edited(self, key: str) -> None:
        self._touched.add(key)
        self._extra_errors = []
        self._refresh()

    # --- checking --------------------------------------------------------------------------

    def problems(self) -> list[ValidationError]:
        """Everything wrong with the editor's values, each under its field's key."""
        found = workspace_ops.problems(
            self.store, self._entry, self.editor.values(), token_loading=self._token_loading
        )
        return found + self._extra_errors

    def _refresh(self) -> None:
        """Show each problem under its field and enable what can be done now."""
        problems = self.problems()
        general: list[str] = []
        by_field: dict[str, list[str]] = {key: [] for key in FIELD_LABELS}
        for error in problems:
            key = str(error.path[0]) if error.path else ""
            by_field.get(key, general).append(error.message)
        self.editor.show_errors(by_field, self._touched)
        self._set_general(general)

        entry = self._entry
        editable = (
            entry is not None and entry.kind is not Kind.SANDBOX and self.store.problem is None
        )
        busy = self._busy is not None and self._busy.running
        dirty = entry is not None and (
            entry.kind is Kind.NEW or self.editor.values() != self._snapshot
        )
        reason = self._save_off_reason(problems, editable=editable, busy=busy, dirty=dirty)
        self.save_button.setEnabled(editable and not busy and not reason)
        self.save_problem.setText(reason)
        self.save_button.setToolTip(reason or "Save the workspace (Ctrl+S)")

        usable = (
            entry is not None
            and entry.kind is not Kind.NEW
            and self.store.problem is None
            and not busy
        )
        self.use_button.setEnabled(usable and not dirty)
        self.use_button.setToolTip(
            "Save the changes first"
            if usable and dirty
            else "Send requests to this workspace from now on"
        )
        self.remove_button.setEnabled(editable and not busy)
        self.add_button.setEnabled(self.store.problem is None and not busy)
        self.editor.show_testing(
            testing=self._test is not None and self._test.running,
            testable=entry is not None
            and entry.kind is not Kind.SANDBOX
            and not self._token_loading,
        )

    def _save_off_reason(
        self, problems: list[ValidationError], *, editable: bool, busy: bool, dirty: bool
    ) -> str:
        """Why Save is off now, or "" when it can be pressed."""
        entry = self._entry
        if not editable:
            return "" if entry is None or entry.kind is Kind.SANDBOX else "Cannot save."
        if busy:
            return "Saving…"
        if self._token_loading:
            return "Loading the token…"
        if problems:
            return self._save_hint(problems)
        return "" if dirty else "No changes to save."

    def _save_hint(self, problems: list[ValidationError]) -> str:
        """Why Save is off, without repeating what is already shown under the fields."""
        unseen = [
            e
            for e in problems
            if e.path and str(e.path[0]) in FIELD_LABELS and str(e.path[0]) not in self._touched
        ]
        if unseen:
            first = unseen[0]
            return f"Before saving: {FIELD_LABELS[str(first.path[0])]} — {first.message}."
        if len(problems) > 1:
            return f"Fix the {len(problems)} problems marked above to save."
        return "Fix the problem marked above to save."

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
        if self._entry is None or self._entry.kind is not Kind.NEW:
            self._reload_list(NEW)
        self.name_edit.setFocus()

    def save(self) -> None:
        """Save the editor's workspace and its token (the button, Ctrl+S)."""
        entry = self._entry
        if not self.save_button.isEnabled() or entry is None:
            return
        values = self.editor.values()
        was_current = self._is_current(entry)
        work = workspace_ops.save(self.store, self.vault, entry, values, self._loaded_token)
        self._busy = (
            Operation(self, work, doing="saving the workspace")
            .success(
                lambda saved: self._on_saved(entry, clean_token(values.token), saved, was_current)
            )
            .failure(self._on_refused)
            .finally_(self._on_busy_ended)
            .run()
        )
        self._refresh()

    def _on_busy_ended(self) -> None:
        self._busy = None
        with contextlib.suppress(RuntimeError):  # the dialog may be gone already
            self._show_vault_state()
            self._refresh()

    def _on_refused(self, exc: Exception) -> None:
        """The store said no: show its reasons where the person looks."""
        if isinstance(exc, ValidationErrors):
            self._touched = set(FIELD_LABELS)
            self._extra_errors = list(exc)
        elif isinstance(exc, ValidationError | StoreError):
            self._extra_errors = [ValidationError(exc.message)]
        else:
            errors.report(exc, "saving the workspace", self)

    def _on_saved(self, entry: Entry, token: str, saved: Workspace, was_current: bool) -> None:
        log.info("saved workspace %r", saved.name)
        saved_entry = Entry(Kind.SAVED, saved.name)
        if not entry.same(self._entry):
            # The person moved on while it saved: leave their new selection alone.
            self._reload_list(self._entry or saved_entry, populate=False)
        else:
            self._loaded_token = token
            # Show what was saved: the URL normalised, the country upper-cased, the token
            # without spaces…
            self.editor.fill(Values.of(saved, token))
            self._snapshot = self.editor.values()
            self._touched = set(FIELD_LABELS)
            # The editor already holds it: re-selecting would reload the token for nothing.
            self._entry = saved_entry
            self._reload_list(saved_entry, populate=False)
            self.editor.setTitle("Workspace")
        self.workspaces_changed.emit()
        if was_current:
            self.workspace_chosen.emit(saved.name)

    def ask_remove(self) -> None:
        """Ask before removing the selected workspace (a new, unsaved one just goes)."""
        entry = self._entry
        if entry is None or not self.remove_button.isEnabled():
            return
        if entry.kind is Kind.NEW:
            self._reload_list(self._current_entry())
            return
        if entry.kind is not Kind.SAVED or self.confirm_box is not None:
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

    def _on_remove_answer(self, box: QMessageBox, entry: Entry) -> None:
        yes = said_yes(box)
        self.confirm_box = None
        box.deleteLater()
        if not yes:
            return
        was_current = self._is_current(entry)
        self._busy = (
            Operation(
                self,
                workspace_ops.remove(self.store, self.vault, entry.name),
                doing="removing the workspace",
            )
            .success(lambda _none: self._on_removed(was_current))
            .failure(self._on_refused)
            .finally_(self._on_busy_ended)
            .run()
        )
        self._refresh()

    def _on_removed(self, was_current: bool) -> None:
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
            self.store.set_current(None if entry.kind is Kind.SANDBOX else entry.name)
        except (ValidationError, StoreError) as exc:
            self._set_general([exc.message])
            return
        self._reload_list(entry, populate=False)
        self.workspace_chosen.emit(entry.name)

    # --- testing the connection ------------------------------------------------------------

    def test_connection(self) -> None:
        """Read /api/v2/workspace.json with the typed address and token; again: cancel."""
        if self._test is not None and self._test.running:
            self._abandon_test()
            self.editor.show_result("Test cancelled.", None)
            self._refresh()
            return
        values = self.editor.values()
        try:
            base_url = normalize_base_url(values.base_url)
        except ValidationError as exc:
            self.editor.show_result(exc.message, ok=False)
            return
        token = clean_token(values.token)
        if not token:
            self.editor.show_result(
                "Enter the token first: the API answers nothing without it.", False
            )
            return
        self.editor.show_result(f"Asking {base_url}/api/v2/workspace.json…", None)
        work = workspace_ops.check_connection(
            self.http, base_url, token, float(values.request_deadline_s)
        )
        test = Operation(self, work, doing="testing the connection")
        self._test = (
            test.success(lambda outcome: self._on_tested(base_url, outcome))
            .finally_(lambda: self._on_test_ended(test))
            .run()
        )
        self._refresh()

    def _on_test_ended(self, test: Operation[Outcome]) -> None:
        if self._test is test:
            self._test = None
            with contextlib.suppress(RuntimeError):  # the dialog may be gone already
                self._refresh()

    def _on_tested(self, base_url: str, outcome: Outcome) -> None:
        found = workspace_ops.verdict(base_url, outcome)
        if found.country and self.editor.fill_country(found.country):
            found = found.with_country_filled()
        self.editor.show_result(found.text, found.ok)

    def _abandon_test(self) -> None:
        """Stop a test whose result would no longer match the editor."""
        test, self._test = self._test, None
        _cancel(test)
        self.editor.test_result.clear()

    # --- opening and closing ---------------------------------------------------------------

    def open(self) -> None:
        """Show the dialog non-modally, with the store's workspaces as they are now."""
        self._reload_list(self._entry if self._entry is not None else self._current_entry())
        self._show_vault_state()
        super().open()

    @errors.guarded("closing the workspace dialog")
    def done(self, result: int) -> None:
        """Closing abandons a running test and token load; a save or removal finishes."""
        self._abandon_test()
        _cancel(self._load)
        if self.confirm_box is not None:
            self.confirm_box.reject()
        super().done(result)


def _cancel(operation: Operation[Any] | None) -> None:
    if operation is not None:
        operation.cancel()


def _note(name: str, style: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(style)
    label.hide()
    return label


def _button(name: str, text: str, accessible: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setAutoDefault(False)
    return button


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
