"""A whole-number editor that can also be left empty (unset), unlike a spin box."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QLineEdit, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor


class IntEditor(Editor):
    """Digits only (a sign where negatives are allowed); the bounds show as the placeholder.

    Signals:
        value_changed(): the number changed.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        self.line = QLineEdit(self)
        self.line.setAccessibleName(param.name)
        signed = param.minimum is None or param.minimum < 0
        # Keys that cannot make a number are refused as they are typed; text set in code
        # (a saved request) is kept as it is and the core says what is wrong with it.
        pattern = r"[+-]?[0-9]*" if signed else r"\+?[0-9]*"
        self.line.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self.line))
        self.line.setPlaceholderText(_placeholder(param))
        self.line.textChanged.connect(self.value_changed)
        self._finish(self.line)

    def value(self) -> Any:
        return self.line.text().strip() or None

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))


def _placeholder(param: Param) -> str:
    parts = []
    if param.example is not None:
        parts.append(f"e.g. {param.example}")
    if param.minimum is not None and param.maximum is not None:
        parts.append(f"{param.minimum} to {param.maximum}")
    elif param.minimum is not None:
        parts.append(f"at least {param.minimum}")
    elif param.maximum is not None:
        parts.append(f"at most {param.maximum}")
    return " · ".join(parts) or "a whole number"
