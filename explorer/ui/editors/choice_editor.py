"""A drop-down of a parameter's choices, with an empty entry for "not set"."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.editor import Editor


class ChoiceEditor(Editor):
    """One of the catalog's choices, or nothing."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.combo = QComboBox(self)
        self.combo.addItem("", None)
        for choice in param.choices:
            self.combo.addItem(choice, choice)
        self.combo.currentIndexChanged.connect(self.value_changed)
        self._finish(self.combo)

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value) if value is not None else 0
        self.combo.setCurrentIndex(max(index, 0))
