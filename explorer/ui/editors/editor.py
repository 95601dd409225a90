"""The base of every form editor: a raw value, a change signal and an inline error."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.core.catalog import Param


class Editor(QWidget):
    """Holds one parameter's raw value as the user typed it; the core validates it.

    Signals:
        value_changed(): the raw value changed.
    """

    value_changed = Signal()

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("editorError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()

    def _finish(self, widget: QWidget) -> None:
        """Place the input widget above the (hidden) error line."""
        self._layout.addWidget(widget)
        self._layout.addWidget(self.error_label)
        self.setFocusProxy(widget)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.set_value(None)

    def set_error(self, message: str | None) -> None:
        """Show the core's message under the input (or hide it)."""
        if message:
            self.error_label.setText(message)
            self.error_label.show()
            self.setAccessibleDescription(f"Invalid: {message}")
        else:
            self.error_label.clear()
            self.error_label.hide()
            self.setAccessibleDescription(self.param.help)

    @property
    def error(self) -> str | None:
        """The message shown under the input, if any."""
        return self.error_label.text() or None
