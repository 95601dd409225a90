"""The links of the response body viewer: where they are on screen, and how they are drawn.

The references themselves come from :class:`~explorer.core.links.LinkScanner` (byte spans
in the body, typed by the catalog); this module maps them to the rows and characters the
area shows, steps between those on screen for Tab and Shift+Tab, and paints them as links:
the link colour, underlined, and a focus frame around the current one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pygments.token import Token, _TokenType
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen

from explorer.core.links import Link, LinkScanner

if TYPE_CHECKING:
    from explorer.core.json_text import BodyIndex, Row

LINK = Token.Name.Link
"""The token type a link's characters are painted with (in the palette's link colour)."""


class BodyLinks:
    """The links of one body, as the area shows them (pretty or raw rows).

    ``current`` is the link Tab reached (or a click chose); ``hover`` the one under the
    pointer. Both are cleared with a new body.
    """

    def __init__(self) -> None:
        self.scanner: LinkScanner | None = None
        self.current: Link | None = None
        self.hover: Link | None = None

    def set_scanner(self, scanner: LinkScanner | None) -> None:
        self.scanner = scanner
        self.current = self.hover = None

    def in_row(
        self, index: BodyIndex, pretty: bool, r: int, row: Row
    ) -> list[tuple[int, int, Link]]:
        """(first character, end character, link) of the links in row ``r``."""
        if self.scanner is None or not self.scanner.links:
            return []
        start, end = index.row_span(pretty, r)
        data = index.data
        return [
            # The string's text, not its quotes, is the link.
            (
                row.col_of(data, max(link.start + 1, start)),
                row.col_of(data, min(link.end - 1, end)),
                link,
            )
            for link in self.scanner.between(start, end)
        ]

    def at(self, index: BodyIndex, pretty: bool, r: int, row: Row, col: int) -> Link | None:
        """The link under character ``col`` of row ``r``."""
        for a, b, link in self.in_row(index, pretty, r, row):
            if a <= col < b:
                return link
        return None

    def step(self, index: BodyIndex, pretty: bool, rows: range, forward: bool) -> Link | None:
        """The next (or previous) link on the rows shown, from the current one or the top."""
        scanner = self.scanner
        if scanner is None or not rows or not len(rows):
            return None
        lo = index.row_span(pretty, rows.start)[0]
        hi = index.row_span(pretty, rows.stop - 1)[1]
        on_screen = scanner.between(lo, hi)
        if not on_screen:
            return None
        current = self.current
        if current is None or not lo <= current.start < hi:
            return on_screen[0] if forward else on_screen[-1]
        starts = [link.start for link in on_screen]
        i = starts.index(current.start) if current.start in starts else -1
        j = i + 1 if forward else i - 1
        return on_screen[j] if 0 <= j < len(on_screen) else None


def link_colour(palette: QPalette, dark: bool) -> QColor:
    colour = palette.color(QPalette.ColorRole.Link)
    if dark and colour.lightness() < 110:  # the default link blue is too dark on dark bases
        colour = QColor("#8ab4f8")
    return colour


def spans_with_links(
    spans: tuple[tuple[int, int, _TokenType], ...], cols: list[tuple[int, int, Link]]
) -> tuple[tuple[int, int, _TokenType], ...]:
    """A row's coloured runs, with the characters of its links in the link colour."""
    if not cols:
        return spans
    out: list[tuple[int, int, _TokenType]] = []
    for first, end, kind in spans:
        pos = first
        for a, b, _link in cols:
            if b <= pos or a >= end:
                continue
            if a > pos:
                out.append((pos, a, kind))
            out.append((max(a, pos), min(b, end), LINK))
            pos = min(b, end)
        if pos < end:
            out.append((pos, end, kind))
    return tuple(out)


def paint_marks(
    p: QPainter,
    spans: list[tuple[float, float, Link]],
    y: float,
    line_h: float,
    colour: QColor,
    focused: Link | None,
) -> None:
    """Underline each link (x from, x to, link) of a row; frame the focused one."""
    pen = QPen(colour)
    pen.setWidthF(1.0)
    p.setPen(pen)
    base = y + line_h - 2.0
    for x0, x1, link in spans:
        p.drawLine(QPointF(x0, base), QPointF(x1, base))
        if focused is not None and link.start == focused.start:
            frame = QPen(colour)
            frame.setStyle(Qt.PenStyle.DotLine)
            p.setPen(frame)
            p.drawRect(QRectF(x0 - 1.0, y, x1 - x0 + 2.0, line_h - 1.0))
            p.setPen(pen)
