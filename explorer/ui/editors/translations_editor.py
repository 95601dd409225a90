"""The editor for translations: one row per language, or the whole object as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QWidget

from explorer.core.catalog import Kind, Param, TypeSpec
from explorer.core.errors import ValidationError
from explorer.core.request import is_unset
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.language_combo import LanguageCombo, check_when_ready
from explorer.ui.editors.rows_editor import Row, RowsEditor

_TEXT_LINES = 3


class TranslationsEditor(RowsEditor):
    """A language chooser and a text box per row; the workspace's languages come first.

    ``value()`` is ``{"eng": …, "fra": …}``. Each language's value is text for messages;
    for lists it is one item per line (attachments) or JSON (quick replies). A single row
    without a language sends a bare value, which RapidPro takes as the workspace's default
    language.

    Signals:
        value_changed(): a language, a text, the number of rows or the JSON changed.
    """

    noun = "language"
    text_label = "Edit as JSON"

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        self.item = param.value_spec or TypeSpec(Kind.STRING)
        # Lists of objects (quick replies) are only sensible as JSON; lists of references
        # (attachments) read best one per line.
        self.item_is_json = self.item.kind is Kind.LIST and self.item.base.kind in (
            Kind.DICT,
            Kind.JSON,
        )
        self.item_is_lines = self.item.kind is Kind.LIST and not self.item_is_json
        super().__init__(param, parent, context, json_text=True)
        if isinstance(param.example, dict):
            self.text.setPlaceholderText(
                "e.g. " + json.dumps(param.example, ensure_ascii=False, indent=2)
            )
        self._set_row(self.rows[0], None)

    def check(self) -> ValidationError | None:
        if is_unset(self.value()) or check_when_ready(self, self.validate):
            return super().check()
        return None  # checked again as soon as the languages are read

    # --- rows -------------------------------------------------------------------------------

    def _make_row(self, row: QWidget, layout: QHBoxLayout) -> tuple[list[QWidget], QWidget, dict]:
        language = LanguageCombo(
            row,
            translations_only=True,
            preferred=self.context.workspace_languages,
            name=f"{self.param.name} language",
        )
        language.lineEdit().setPlaceholderText("language")
        language.setMinimumContentsLength(8)
        text = QPlainTextEdit(row)
        text.setAccessibleName(f"{self.param.name} text")
        text.setTabChangesFocus(True)
        if self.item_is_json:
            text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        text.setFixedHeight(text.fontMetrics().lineSpacing() * _TEXT_LINES + 12)
        text.setPlaceholderText(self._placeholder())
        # The text has most of the row: a short sentence per line before it wraps, or the
        # row goes under its label in a narrow form.
        text.setMinimumWidth(text.fontMetrics().horizontalAdvance("Hello, your") + 12)
        language.code_changed.connect(self._rows_changed)
        text.textChanged.connect(self._rows_changed)
        layout.addWidget(language, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(text, 1)
        return [language, text], text, {"language": language, "text": text}

    def _placeholder(self) -> str:
        example = self.param.example
        sample = next(iter(example.values()), None) if isinstance(example, Mapping) else None
        if sample is None:
            return "text"
        if self.item_is_lines and isinstance(sample, list):
            return "one per line, e.g.\n" + "\n".join(str(x) for x in sample)
        if self.item_is_json:
            return "JSON, e.g. " + json.dumps(sample, ensure_ascii=False)
        return f"e.g. {sample}"

    def _row_value(self, row: Row) -> Any:
        code = row.parts["language"].code()
        text = row.parts["text"].toPlainText()
        if not text.strip():
            return None
        return (code, self._item_value(text))

    def _item_value(self, text: str) -> Any:
        if self.item_is_lines:
            return [line.strip() for line in text.splitlines() if line.strip()]
        if self.item_is_json:
            try:
                return json.loads(text)
            except ValueError:
                return text  # the core says where the JSON goes wrong
        return text

    def _item_text(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if self.item_is_lines and isinstance(value, list):
            return "\n".join(str(x) for x in value)
        return json.dumps(value, ensure_ascii=False, indent=2)

    def _set_row(self, row: Row, value: Any) -> None:
        if value is None:
            code, item = self._unused_language(row), ""
        else:
            code, item = value
        row.parts["language"].set_code(code)
        row.parts["text"].setPlainText(self._item_text(item))

    def _unused_language(self, row: Row) -> str:
        """A new row starts in the first workspace language no other row uses."""
        taken = {r.parts["language"].code() for r in self.rows if r is not row}
        return next((c for c in self.context.workspace_languages if c not in taken), "")

    def _combine(self, values: list[Any]) -> Any:
        if len(values) == 1 and not values[0][0]:
            return values[0][1]  # a bare value: the workspace's default language
        return dict(values)

    def _split(self, value: Any) -> list[Any] | None:
        if isinstance(value, Mapping):
            rows = []
            for code, item in value.items():
                if not isinstance(code, str) or not self._fits(item):
                    return None
                rows.append((code, item))
            return rows
        return [("", value)] if self._fits(value) else None

    def _fits(self, item: Any) -> bool:
        """Whether a row's text box can show ``item`` without losing anything."""
        if self.item_is_lines:
            return isinstance(item, list) and all(isinstance(x, str) for x in item)
        if self.item_is_json:
            return isinstance(item, list | dict)
        return isinstance(item, str)

    def _to_text(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2)

    def _from_text(self, text: str) -> Any:
        return json.loads(text)

    def _row_for(self, key: str | int) -> Row | None:
        for row in self._value_rows:
            if row.parts["language"].code().lower() == str(key).lower():
                return row
        return None

    @Slot()
    def add_row(self) -> Row:
        row = super().add_row()
        row.parts["language"].set_code(self._unused_language(row))
        row.parts["language"].setFocus()
        return row

    def _context_changed(self) -> None:
        # An empty row's value is nothing, with a language or without: filling one in is
        # no change for the form to hear of (it would take the server's message off).
        blocked = self.blockSignals(True)
        try:
            for row in self.rows:
                row.parts["language"].set_preferred(self.context.workspace_languages)
                if not row.parts["language"].code() and not row.parts["text"].toPlainText():
                    row.parts["language"].set_code(self._unused_language(row))
        finally:
            self.blockSignals(blocked)
