"""The editor for one URN: scheme chooser, path box and the core's verdict as you type."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor
from explorer.ui.editors.urn_input import UrnInput


class UrnEditor(Editor):
    """A ``urn`` parameter; ``value()`` is ``scheme:path`` as typed (the core normalises it).

    Signals:
        value_changed(): the scheme or the path changed.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        self.input = UrnInput(self, name=param.name, default_country=self.context.default_country)
        self.input.changed.connect(self.value_changed)
        self._finish(self.input)

    def value(self) -> Any:
        return self.input.text() or None

    def set_value(self, value: Any) -> None:
        self.input.set_text(None if value is None else str(value))

    def _context_changed(self) -> None:
        self.input.set_default_country(self.context.default_country)
