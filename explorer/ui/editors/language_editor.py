"""The editor for one language code, chosen by code or searched by name."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from explorer.core.catalog import Param
from explorer.core.errors import ValidationError
from explorer.core.request import is_unset
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor
from explorer.ui.editors.language_combo import LanguageCombo, check_when_ready


class LanguageEditor(Editor):
    """A :class:`LanguageCombo`; ``value()`` is the ISO-639-3 code (``fra``).

    A translation's base language may only be one RapidPro takes as a translation key, so
    ``base_language`` offers just those.

    Signals:
        value_changed(): the text changed.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        self.combo = LanguageCombo(
            self,
            # The same rule the core applies (request.parse_value).
            translations_only=param.name == "base_language",
            preferred=self.context.workspace_languages,
            name=param.name,
        )
        self.combo.code_changed.connect(self.value_changed)
        self._finish(self.combo)

    def check(self) -> ValidationError | None:
        if is_unset(self.value()) or check_when_ready(self, self.validate):
            return super().check()
        return None  # checked again as soon as the languages are read

    def value(self) -> Any:
        return self.combo.code() or None

    def set_value(self, value: Any) -> None:
        self.combo.set_code(None if value is None else str(value))

    def _context_changed(self) -> None:
        self.combo.set_preferred(self.context.workspace_languages)
