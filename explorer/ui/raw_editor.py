"""Raw mode: the query string and JSON body, editable, in two-way sync with the form."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from explorer.core.errors import ValidationError
from explorer.core.raw import body_to_text, params_to_query, query_to_params, text_to_body
from explorer.core.request import Draft


class RawEditor(QWidget):
    """Two editors; edits are read after a short pause and handed to the form.

    Text that cannot be read (JSON with a syntax error, say) is reported with its line and
    column under the editor and stays as typed; while it does, ``unreadable`` says why, so
    nothing is sent in its place (the form's older values are not what the user means).

    Signals:
        raw_edited(dict, dict): the user's query parameters and body, as read from the text.
        unreadable_changed(str): the text became unreadable (the reason) or readable again ("").
    """

    raw_edited = Signal(dict, dict)
    unreadable_changed = Signal(str)
    DELAY_MS = 300

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.query = QPlainTextEdit(self)
        self.query.setObjectName("rawQueryEdit")
        self.query.setAccessibleName("Raw query string")
        self.query.setPlaceholderText("name=value&other=value")
        self.query.setFont(fixed)
        self.query.setTabChangesFocus(True)
        self.query.setMaximumHeight(self.query.fontMetrics().lineSpacing() * 3 + 12)
        self.body = QPlainTextEdit(self)
        self.body.setObjectName("rawBodyEdit")
        self.body.setAccessibleName("Raw JSON body")
        self.body.setPlaceholderText('{\n  "name": "…"\n}')
        self.body.setFont(fixed)
        self.body.setTabChangesFocus(True)
        self.problem = QLabel(self)
        self.problem.setObjectName("rawProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.hide()
        query_label = QLabel("&Query string", self)
        query_label.setBuddy(self.query)
        self.body_label = QLabel("JSON &body", self)
        self.body_label.setBuddy(self.body)
        layout = QVBoxLayout(self)
        layout.addWidget(query_label)
        layout.addWidget(self.query)
        layout.addWidget(self.body_label)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.problem)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DELAY_MS)
        self._timer.timeout.connect(self.read)
        self._showing = False
        self.query.textChanged.connect(self._edited)
        self.body.textChanged.connect(self._edited)

    @property
    def unreadable(self) -> str:
        """Why the raw text cannot be used ("" when it can)."""
        return self.problem.text()

    def flush(self) -> None:
        """Read what is still waiting for the pause to end (before a send, say)."""
        if self._timer.isActive():
            self.read()

    def set_has_body(self, has_body: bool) -> None:
        """A new endpoint or method: what could not be read belonged to the previous one."""
        self._timer.stop()
        self._set_problem(None, quiet=True)
        self.body.setEnabled(has_body)
        self.body_label.setEnabled(has_body)
        hint = '{\n  "name": "…"\n}' if has_body else "No body for this method."
        self.body.setPlaceholderText(hint)

    def show_draft(self, draft: Draft) -> None:
        """Show the form's values, unless the user is typing here or their text is unreadable
        (their text wins: replacing it would lose what they typed)."""
        if self._timer.isActive() or self.query.hasFocus() or self.body.hasFocus():
            return
        if self.unreadable:
            return
        query = params_to_query(draft.params)
        body = body_to_text(draft.body)
        self._showing = True
        try:
            if self.query.toPlainText() != query:
                self.query.setPlainText(query)
            if self.body.toPlainText() != body:
                self.body.setPlainText(body)
        finally:
            self._showing = False
        self._set_problem(None)

    def _edited(self) -> None:
        if not self._showing:
            self._timer.start()

    def read(self) -> bool:
        """Read both editors now; emits ``raw_edited`` and returns True when both are valid."""
        self._timer.stop()
        try:
            params: dict[str, Any] = query_to_params(self.query.toPlainText())
        except ValidationError as exc:
            self._set_problem(f"Query string: {exc.message}")
            return False
        try:
            body = text_to_body(self.body.toPlainText())
        except ValidationError as exc:
            self._set_problem(f"JSON body: {exc.message}.")
            return False
        self._set_problem(None)
        self.raw_edited.emit(params, body)
        return True

    def _set_problem(self, text: str | None, *, quiet: bool = False) -> None:
        changed = self.problem.text() != (text or "")
        self.problem.setText(text or "")
        self.problem.setVisible(bool(text))
        if changed and not quiet:
            self.unreadable_changed.emit(text or "")
