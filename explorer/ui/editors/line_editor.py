"""A one-line editor for text and UUIDs (and any scalar without an editor of its own)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor


class LineEditor(Editor):
    """A QLineEdit whose placeholder is the catalog's example.

    Signals:
        value_changed(): the text changed.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        self.line = QLineEdit(self)
        self.line.setAccessibleName(param.name)
        if param.example is not None:
            self.line.setPlaceholderText(f"e.g. {param.example}")
        if param.max_length:
            # Room past the limit, so the core can say how long the text is instead of the
            # box silently dropping what was pasted.
            self.line.setMaxLength(max(param.max_length * 2, param.max_length + 20))
        self.line.textChanged.connect(self.value_changed)
        self._finish(self.line)

    def value(self) -> Any:
        return self.line.text() or None

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))
