"""A yes/no editor that can also be left unset (the server's default then applies)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor


class BoolEditor(Editor):
    """Three states: not set, true, false.

    Signals:
        value_changed(): another state was chosen.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName(param.name)
        default = "" if param.default is None else f" (default {str(param.default).lower()})"
        self.combo.addItem(f"not set{default}", None)
        self.combo.addItem("true", True)
        self.combo.addItem("false", False)
        self.combo.currentIndexChanged.connect(self.value_changed)
        self._finish(self.combo)

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        if value is None or value == "":
            self.combo.setCurrentIndex(0)
        else:
            truthy = value is True or str(value).strip().lower() in ("true", "1", "yes", "y")
            self.combo.setCurrentIndex(1 if truthy else 2)
