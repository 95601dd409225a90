"""The editor for a text-to-text object, such as a contact's ``fields``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.ref_completer import RefCompleter
from explorer.ui.editors.ref_options import RefOptions
from explorer.ui.editors.rows_editor import Row, RowsEditor


class DictEditor(RowsEditor):
    """Key and value rows; keys complete from the workspace's contact fields.

    ``value()`` is a dict (None when every row is empty); a row with a key and no value sends
    ``""``, which clears that field. As JSON, ``null`` values can be given too.

    Signals:
        value_changed(): a key, a value, the number of rows or the JSON changed.
    """

    noun = "field"
    text_label = "Edit as JSON"

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        ctx = context or EditorContext()
        # Contact fields are the only text-to-text object in the API; their keys are what
        # the workspace's /fields.json lists.
        self.options = RefOptions("fields", "contact field key", ctx.cache)
        super().__init__(param, parent, ctx, json_text=True)
        self.options.setParent(self)
        if isinstance(param.example, dict):
            self.text.setPlaceholderText(
                "e.g. " + json.dumps(param.example, ensure_ascii=False, indent=2)
            )

    def _make_row(self, row: QWidget, layout: QHBoxLayout) -> tuple[list[QWidget], QWidget, dict]:
        key = QLineEdit(row)
        key.setObjectName("dictKey")
        key.setAccessibleName(f"{self.param.name} key")
        value = QLineEdit(row)
        value.setObjectName("dictValue")
        value.setAccessibleName(f"{self.param.name} value")
        example = self.param.example if isinstance(self.param.example, dict) else {}
        first = next(iter(example.items()), None)
        if first is not None:
            key.setPlaceholderText(f"key, e.g. {first[0]}")
            value.setPlaceholderText(f"value, e.g. {first[1]}")
        else:
            key.setPlaceholderText("key")
            value.setPlaceholderText("value")
        RefCompleter(self.options, key)
        key.textChanged.connect(self._rows_changed)
        value.textChanged.connect(self._rows_changed)
        layout.addWidget(key, 2)
        layout.addWidget(value, 3)
        return [key, value], key, {"key": key, "value": value}

    def _row_value(self, row: Row) -> Any:
        key = row.parts["key"].text().strip()
        value = row.parts["value"].text()
        if not key and not value.strip():
            return None
        return (key, value)

    def _set_row(self, row: Row, value: Any) -> None:
        key, text = value if value is not None else ("", "")
        row.parts["key"].setText(key)
        row.parts["value"].setText(text)

    def _combine(self, values: list[Any]) -> Any:
        return dict(values)

    def _split(self, value: Any) -> list[Any] | None:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        if not isinstance(value, Mapping):
            return None
        rows = []
        for key, item in value.items():
            # null (clear the field) and numbers cannot be told from text in a row.
            if not isinstance(key, str) or not isinstance(item, str):
                return None
            rows.append((key, item))
        return rows

    def _to_text(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)

    def _from_text(self, text: str) -> Any:
        return json.loads(text)  # ValueError (JSONDecodeError) when it is not JSON

    def _row_for(self, key: str | int) -> Row | None:
        for row in self._value_rows:
            if row.parts["key"].text().strip() == key:
                return row
        return None

    def _context_changed(self) -> None:
        self.options.set_cache(self.context.cache)
