"""A drop-down of a parameter's choices, with an empty entry for "not set"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor


class ChoiceEditor(Editor):
    """One of the catalog's choices, or nothing.

    Signals:
        value_changed(): another choice was made.
    """

    def __init__(
        self,
        param: Param,
        parent: QWidget | None = None,
        context: EditorContext | None = None,
        *,
        items: Sequence[tuple[str, Any]] | None = None,
    ) -> None:
        super().__init__(param, parent, context)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName(param.name)
        default = "" if param.default is None else f" (default {self._shown(param.default)})"
        self.combo.addItem(f"not set{default}", None)
        for label, data in items if items is not None else [(c, c) for c in param.choices]:
            self.combo.addItem(label, data)
        self.combo.currentIndexChanged.connect(self.value_changed)
        self._finish(self.combo)

    @staticmethod
    def _shown(default: Any) -> str:
        return str(default)

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        if value is None or value == "":
            self.combo.setCurrentIndex(0)
            return
        index = self.combo.findData(value)
        if index < 0 and isinstance(value, str):
            # A saved request may spell a case-insensitive choice differently.
            folded = value.strip().casefold()
            index = next(
                (
                    i
                    for i in range(1, self.combo.count())
                    if str(self.combo.itemData(i)).casefold() == folded
                ),
                -1,
            )
        if index < 0:
            # Keep an unknown value visible (and sent), so the core can say it is not a choice.
            self.combo.addItem(f"{value} (not a choice)", value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)
