"""The editor for lists of scalars: URNs, references, UUIDs, numbers and text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget

from explorer.core.catalog import Kind, Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.ref_completer import RefCompleter
from explorer.ui.editors.ref_editor import placeholder_for
from explorer.ui.editors.ref_options import RefOptions
from explorer.ui.editors.rows_editor import Row, RowsEditor
from explorer.ui.editors.urn_input import UrnInput

_NOUNS = {
    Kind.URN: "URN",
    Kind.UUID: "UUID",
    Kind.INT: "number",
    Kind.STRING: "item",
}
_TARGET_NOUNS = {"media": "attachment", "contacts": "contact"}


class ListEditor(RowsEditor):
    """One row per item (URN rows have a scheme chooser; reference rows complete from the
    workspace), or one item per line as text. ``value()`` is a list of strings.

    Signals:
        value_changed(): an item, the number of items or the text changed.
    """

    text_label = "One per line"

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        self.item = param.spec.base
        target = self.item.target or ""
        self.noun = _TARGET_NOUNS.get(target, target.removesuffix("s")) or _NOUNS.get(
            self.item.kind, "item"
        )
        ctx = context or EditorContext()
        # Every row completes from the same suggestions: one model, fetched once.
        self.options = (
            RefOptions(target, param.accepts, ctx.cache) if self.item.kind is Kind.REF else None
        )
        super().__init__(param, parent, ctx)
        if self.options is not None:
            self.options.setParent(self)
        example = param.example
        if isinstance(example, list) and example:
            self.text.setPlaceholderText("e.g.\n" + "\n".join(str(x) for x in example))

    # --- rows -------------------------------------------------------------------------------

    def _make_row(self, row: QWidget, layout: QHBoxLayout) -> tuple[list[QWidget], QWidget, dict]:
        if self.item.kind is Kind.URN:
            urn = UrnInput(
                row, name=f"{self.param.name} item", default_country=self.context.default_country
            )
            urn.changed.connect(self._rows_changed)
            layout.addWidget(urn, 1)
            return urn.focusables(), urn.path, {"urn": urn}
        line = QLineEdit(row)
        line.setAccessibleName(f"{self.param.name} item")
        if self.options is not None:
            RefCompleter(self.options, line)
            line.setPlaceholderText(
                placeholder_for(self.param, searchable=self.context.cache is not None)
            )
        elif isinstance(self.param.example, list) and self.param.example:
            line.setPlaceholderText(f"e.g. {self.param.example[0]}")
        if self.item.kind is Kind.INT:
            line.setValidator(QRegularExpressionValidator(QRegularExpression(r"[+-]?[0-9]*"), line))
        line.textChanged.connect(self._rows_changed)
        layout.addWidget(line, 1)
        return [line], line, {"line": line}

    def _row_value(self, row: Row) -> Any:
        if "urn" in row.parts:
            return row.parts["urn"].text() or None
        return row.parts["line"].text().strip() or None

    def _set_row(self, row: Row, value: Any) -> None:
        text = "" if value is None else str(value)
        if "urn" in row.parts:
            row.parts["urn"].set_text(text)
        else:
            row.parts["line"].setText(text)

    def _split(self, value: Any) -> list[Any] | None:
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        if isinstance(value, list | tuple):
            return [_item_text(x) for x in value]
        return [_item_text(value)]

    def _to_text(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        parts = self._split(value) or []
        return "\n".join(parts)

    def _from_text(self, text: str) -> Any:
        return text

    def _context_changed(self) -> None:
        if self.options is not None:
            self.options.set_cache(self.context.cache)
        for row in self.rows:
            if "urn" in row.parts:
                row.parts["urn"].set_default_country(self.context.default_country)


def _item_text(item: Any) -> str:
    # A {"uuid": …, "name": …} pasted from a result refers by its UUID.
    if isinstance(item, Mapping):
        for key in ("uuid", "key", "email", "name"):
            if item.get(key):
                return str(item[key])
    return "" if item is None else str(item)
