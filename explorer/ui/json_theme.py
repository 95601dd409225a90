"""Colours of the response body viewer, for a light or a dark palette.

Token colours are keyed by the pygments token types that
:mod:`explorer.core.json_text` gives each run of a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from pygments.token import _TokenType
from PySide6.QtGui import QColor, QPalette

from explorer.core import json_text

# Per lightness: key, string, number, literal, punctuation and error colours, then the
# gutter's text, the selection, a match, the current match and the caret.
_TOKEN_KINDS = (
    json_text.KEY,
    json_text.STRING,
    json_text.NUMBER,
    json_text.LITERAL,
    json_text.PUNCTUATION,
    json_text.ERROR,
)
_DARK = (
    ("#79b8ff", "#9ecf7c", "#f0a35e", "#d19cf0", "#9aa0a6", "#ff6b6b"),
    ("#8b9199", "#264f78", "#786414", "#be6e14", "#e6e6e6"),
)
_LIGHT = (
    ("#0b57a4", "#1f7a34", "#b24d00", "#8a2fb0", "#5f6368", "#c62828"),
    ("#80868b", "#b3d4fc", "#ffec8c", "#ffb040", "#202124"),
)


@dataclass(frozen=True, slots=True)
class JsonTheme:
    """Colours for one palette lightness; token colours keyed by pygments token type."""

    dark: bool
    base: QColor
    text: QColor
    gutter: QColor
    gutter_text: QColor
    selection: QColor
    match: QColor
    current_match: QColor
    caret: QColor
    tokens: dict[_TokenType, QColor]

    @classmethod
    def for_palette(cls, palette: QPalette) -> JsonTheme:
        base = palette.color(QPalette.ColorRole.Base)
        dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
        tokens, marks = _DARK if dark else _LIGHT
        gutter_text, selection, match, current, caret = (QColor(c) for c in marks)
        return cls(
            dark,
            base,
            palette.color(QPalette.ColorRole.Text),
            base.lighter(125) if dark else base.darker(104),
            gutter_text,
            selection,
            match,
            current,
            caret,
            {kind: QColor(c) for kind, c in zip(_TOKEN_KINDS, tokens, strict=True)},
        )
