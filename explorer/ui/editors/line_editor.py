"""A one-line editor for scalar values: text, numbers, UUIDs, URNs, dates, references."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.editor import Editor


class LineEditor(Editor):
    """A QLineEdit whose placeholder is the catalog's example."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.line = QLineEdit(self)
        if param.example is not None:
            self.line.setPlaceholderText(f"e.g. {param.example}")
        if param.max_length:
            self.line.setMaxLength(max(param.max_length * 2, param.max_length + 20))
        self.line.textChanged.connect(self.value_changed)
        self._finish(self.line)

    def value(self) -> Any:
        return self.line.text()

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))
