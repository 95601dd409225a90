"""A yes/no editor that can also be left unset (the server's default then applies)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.choice_editor import ChoiceEditor
from explorer.ui.editors.context import EditorContext


class BoolEditor(ChoiceEditor):
    """Three states: not set, true, false.

    Signals:
        value_changed(): another state was chosen.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context, items=[("true", True), ("false", False)])

    @staticmethod
    def _shown(default: Any) -> str:
        return str(default).lower()

    def set_value(self, value: Any) -> None:
        if value is None or value == "":
            self.combo.setCurrentIndex(0)
        else:
            truthy = value is True or str(value).strip().lower() in ("true", "1", "yes", "y")
            self.combo.setCurrentIndex(1 if truthy else 2)
