"""A multi-line editor for lists (one item per line) and JSON values."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from explorer.core.catalog import Kind, Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor


class MultilineEditor(Editor):
    """Long text as typed; JSON values (objects, lists of objects) as JSON text.

    Signals:
        value_changed(): the text changed.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName(param.name)
        self.text.setTabChangesFocus(True)
        self.is_list_of_scalars = param.spec.kind is Kind.LIST and param.spec.base.kind not in (
            Kind.DICT,
            Kind.JSON,
        )
        self.takes_json = not self.is_list_of_scalars and param.spec.kind is not Kind.STRING
        if self.takes_json:
            self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        example = param.example
        if example is not None:
            if self.is_list_of_scalars and isinstance(example, list):
                shown = "\n".join(str(x) for x in example)
            elif self.takes_json:
                shown = json.dumps(example, ensure_ascii=False)
            else:
                shown = str(example)
            self.text.setPlaceholderText(f"e.g.\n{shown}" if "\n" in shown else f"e.g. {shown}")
        metrics = self.text.fontMetrics()
        self.text.setFixedHeight(metrics.lineSpacing() * 3 + 12)
        self.text.textChanged.connect(self.value_changed)
        self._finish(self.text)

    def value(self) -> Any:
        raw = self.text.toPlainText()
        if not raw.strip():
            return None
        if self.takes_json:
            try:
                return json.loads(raw)
            except ValueError:
                # Left as text: the core reports line and column, and for translations a
                # bare text is valid (it is taken as the workspace's default language).
                return raw
        return raw

    def set_value(self, value: Any) -> None:
        if value is None:
            self.text.setPlainText("")
        elif self.is_list_of_scalars and isinstance(value, list):
            self.text.setPlainText("\n".join(str(x) for x in value))
        elif self.takes_json and not isinstance(value, str):
            self.text.setPlainText(json.dumps(value, ensure_ascii=False, indent=2))
        else:
            self.text.setPlainText(str(value))
