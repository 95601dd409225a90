"""The base of every form editor: a raw value, a change signal and an inline error."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.core.catalog import Kind, Param
from explorer.core.errors import ValidationError
from explorer.core.request import is_unset, parse_value
from explorer.ui.editors.context import EditorContext

ERROR_COLOUR = "#c62828"
HINT_COLOUR = "#616161"


def tint(
    widget: QWidget, colour: str, role: QPalette.ColorRole = QPalette.ColorRole.WindowText
) -> None:
    """Colour a label's text (or, with ``Window``, a frame's fill).

    A palette rather than a style sheet: a form has dozens of these, and each style sheet
    costs a trip through Qt's style sheet engine when the form is built.
    """
    palette = widget.palette()
    palette.setColor(role, QColor(colour))
    widget.setPalette(palette)


def hint_label(parent: QWidget, name: str) -> QLabel:
    """A grey line of extra information (what a value will be sent as, whose UUID it is)."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    tint(label, HINT_COLOUR)
    label.hide()
    return label


class Editor(QWidget):
    """Holds one parameter's raw value as the user typed it; the core validates it.

    ``value()`` is what a :class:`~explorer.core.request.Draft` holds (None when empty, so the
    parameter is left out); ``set_value()`` takes that back, and also the JSON values of a
    saved request or raw mode. Every change is checked at once with the core's own parser and
    its message shown under the input.

    Signals:
        value_changed(): the raw value changed.
    """

    value_changed = Signal()

    def __init__(
        self,
        param: Param,
        parent: QWidget | None = None,
        context: EditorContext | None = None,
    ) -> None:
        super().__init__(parent)
        self.param = param
        self.context = context or EditorContext()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._error_label: QLabel | None = None
        # Connected before anyone else, so the form's own check (which agrees) has the last word.
        self.value_changed.connect(self.validate)

    def _finish(self, widget: QWidget) -> None:
        """Place the input widget (the error line goes under it when there is one)."""
        self._layout.addWidget(widget)
        self.setFocusProxy(widget)

    @property
    def error_label(self) -> QLabel:
        """The line under the input that shows the core's message.

        Made the first time there is a message: most editors never need one, and a form
        builds faster without dozens of hidden labels.
        """
        if self._error_label is None:
            label = QLabel(self)
            label.setObjectName("editorError")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            tint(label, ERROR_COLOUR)
            label.hide()
            self._layout.addWidget(label)
            self._error_label = label
        return self._error_label

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.set_value(None)

    def set_context(self, context: EditorContext) -> None:
        """Take the workspace's defaults (country, languages, suggestions); re-check when
        the country changed, the one part a value's validity depends on. (Re-checking on
        any change would also wipe what the server said about this field.)"""
        before, self.context = self.context, context
        self._context_changed()
        if context.default_country != before.default_country:
            self.validate()

    def _context_changed(self) -> None:
        """Editors that use the context refresh what depends on it here."""

    def check(self) -> ValidationError | None:
        """The core's verdict on the current value (None when valid or unset)."""
        value = self.value()
        if is_unset(value) or self.param.spec.kind is Kind.FILE:
            return None
        try:
            parse_value(
                self.param.spec, value, self.param, default_country=self.context.default_country
            )
        except ValidationError as exc:
            return exc
        return None

    @Slot()
    def validate(self) -> None:
        """Show the core's message for the current value, or clear it."""
        problem = self.check()
        self._mark(problem)
        # Placed under the parameter's name, as the form shows it: "urns[1]: …".
        self.set_error(None if problem is None else _message(problem, self.param.name))

    def _mark(self, problem: ValidationError | None) -> None:
        """Editors with parts (rows, languages) point at the part ``problem`` is about."""

    def set_error(self, message: str | None) -> None:
        """Show the core's message under the input (or hide it)."""
        if message:
            self.error_label.setText(message)
            self.error_label.show()
            self.setAccessibleDescription(f"Invalid: {message}")
        elif self._error_label is not None and self._error_label.text():
            self._error_label.clear()
            self._error_label.hide()
            self.setAccessibleDescription(self.param.help)

    @property
    def error(self) -> str | None:
        """The message shown under the input, if any."""
        return (self._error_label.text() or None) if self._error_label is not None else None


def _message(problem: ValidationError, name: str) -> str:
    return str(problem.at(name)) if problem.path else problem.message
