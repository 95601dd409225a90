"""The painted text of the response body viewer: only the rows on screen, from the bytes.

Rows come from a :class:`~explorer.core.json_text.BodyIndex` and are rendered (tokenised
and coloured) when first shown, then cached. The area keeps the caret, the selection and
the matches to mark; it knows nothing of toolbars, loading or the clipboard, and says what
the user asked for by its signals.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from pygments.token import _TokenType
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFontDatabase,
    QFontMetricsF,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
)
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from explorer.core.json_text import BodyIndex, Finder, Row
from explorer.core.links import Link
from explorer.ui.errors import guarded
from explorer.ui.json_links import LINK, BodyLinks, link_colour, paint_marks, spans_with_links
from explorer.ui.json_theme import JsonTheme

ROW_CACHE = 4096
PAD = 6.0  # pixels between the gutter and the text


@dataclass(frozen=True, slots=True)
class _Frame:
    """What painting each row needs, worked out once per paint."""

    painter: QPainter
    screen_top: int  # the row at the top of the viewport
    x0: float  # where column 0 is drawn
    hx: float  # the horizontal scroll
    width: float
    selection: tuple[tuple[int, int], tuple[int, int]] | None
    matches: list[tuple[int, int, int]]


class JsonBodyArea(QAbstractScrollArea):
    """The text: paints only the rows on screen, straight from the body's bytes.

    Positions are (row, character) pairs in the rows as displayed. The vertical scroll bar
    counts rows; the horizontal one pixels.

    References the catalog types are drawn as links (:mod:`~explorer.ui.json_links`): the
    pointer turns to a hand over one, Tab and Shift+Tab move between those on screen, and
    Enter or a click asks for its menu.

    Signals:
        first_painted(): a body's first screen was painted (emitted inside the paint).
        copy_requested(): the user pressed the copy keys.
        link_activated(object, object, bool): a link (a Link) was clicked or Entered; where
            its menu goes (a global QPoint); whether Ctrl or Shift was held (this tab).
    """

    first_painted = Signal()
    copy_requested = Signal()
    link_activated = Signal(object, object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jsonBody")
        self.setAccessibleName("Response body text")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.viewport().setMouseTracking(True)  # the pointer shows a link under it
        self.links = BodyLinks()
        self._press_link: Link | None = None
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.index: BodyIndex | None = None
        self.pretty = True
        self.placeholder = "No body."
        self.finder: Finder | None = None
        self.current_match = -1
        self.anchor: tuple[int, int] | None = None
        self.caret = (0, 0)
        self._cache: OrderedDict[tuple[bool, int, int], Row] = OrderedDict()
        self._xs_cache: OrderedDict[tuple[bool, int, int], list[float]] = OrderedDict()
        self._char_w: dict[str, float] = {}
        self._max_cols = 0
        self._painted_once = False
        self._gutter_seen = 0.0
        self._set_theme()
        self._drag_timer = QTimer(self)
        self._drag_timer.setInterval(50)
        self._drag_timer.timeout.connect(self._drag_scroll)
        self._drag_pos = QPointF()
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._metrics()

    # --- state ------------------------------------------------------------------------------

    def _set_theme(self) -> None:
        self.theme = JsonTheme.for_palette(self.palette())
        self.link_colour = link_colour(self.palette(), self.theme.dark)
        self._pens = {**self.theme.tokens, LINK: self.link_colour}

    def _metrics(self) -> None:
        fm = QFontMetricsF(self.font())
        self._fm = fm
        # Whole pixels, so scrolling can move painted rows instead of painting them again.
        self.line_h = float(max(1, math.ceil(fm.lineSpacing())))
        # Measured over many characters: what the text engine really advances per character.
        self.char_w = fm.horizontalAdvance("0" * 100) / 100
        self._ascent = fm.ascent()
        self._char_w = {}

    def set_index(self, index: BodyIndex | None, pretty: bool) -> None:
        self.index = index
        self.pretty = pretty
        self.finder = None
        self.current_match = -1
        self.anchor = None
        self.caret = (0, 0)
        self.links.set_scanner(None)
        self._cache.clear()
        self._xs_cache.clear()
        self._max_cols = 0
        self._painted_once = False
        self.verticalScrollBar().setValue(0)
        self.horizontalScrollBar().setValue(0)
        self.index_grew()
        self.viewport().update()

    def set_pretty(self, pretty: bool) -> None:
        """Switch views, keeping the same part of the body at the top."""
        if pretty == self.pretty:
            return
        index = self.index
        top_offset = 0
        caret_offset = 0
        if index is not None and self.row_count():
            top_offset = index.row_span(self.pretty, self.top_row())[0]
            caret_offset = self.offset_at(self.caret)
        self.pretty = pretty
        self.anchor = None
        self._cache.clear()
        self._xs_cache.clear()
        self._max_cols = 0
        self.index_grew()
        if index is not None and self.row_count():
            self.verticalScrollBar().setValue(index.row_of_offset(pretty, top_offset))
            self.caret = self.pos_at_offset(caret_offset)
        self.viewport().update()

    def row_count(self) -> int:
        return self.index.row_count(self.pretty) if self.index is not None else 0

    def top_row(self) -> int:
        return self.verticalScrollBar().value()

    def page_rows(self) -> int:
        return max(1, int(self.viewport().height() / self.line_h))

    def row(self, r: int) -> Row:
        """Row ``r`` as displayed (rendered on first use, then cached)."""
        assert self.index is not None
        _start, end = self.index.row_span(self.pretty, r)
        key = (self.pretty, r, end)
        row = self._cache.get(key)
        if row is None:
            row = self.index.render(self.pretty, r)
            self._cache[key] = row
            if len(self._cache) > ROW_CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return row

    def index_grew(self) -> None:
        """New rows were indexed: widen the scroll ranges to take them in."""
        index = self.index
        if index is not None:
            if self.pretty and index.is_json:
                widest = index.widest_pretty
            else:
                widest = max(index.widest_raw, min(index.scanned, index.raw_row_max))
            self._max_cols = max(self._max_cols, widest)
        self._update_scrollbars()

    def _update_scrollbars(self) -> None:
        gutter = self._gutter_width()
        if gutter != self._gutter_seen:
            self._gutter_seen = gutter  # rows moved sideways: what is painted is stale
            self.viewport().update()
        n = self.row_count()
        page = self.page_rows()
        vbar = self.verticalScrollBar()
        vbar.setPageStep(page)
        vbar.setSingleStep(1)
        vbar.setRange(0, max(0, n - page + 1) if n > page else 0)
        hbar = self.horizontalScrollBar()
        width = self._max_cols * self.char_w + 2 * PAD + self.char_w
        visible = self.viewport().width() - self._gutter_width()
        hbar.setPageStep(max(1, int(visible)))
        hbar.setSingleStep(max(1, int(self.char_w * 4)))
        hbar.setRange(0, max(0, int(width - visible)))

    def _gutter_width(self) -> float:
        digits = len(str(max(1, self.row_count())))
        return (max(3, digits) + 1) * self.char_w + PAD

    # --- geometry ---------------------------------------------------------------------------

    def _xs(self, r: int, row: Row) -> list[float] | None:
        """x of each character boundary of a row, or None when all characters are one width.

        Accented Latin, Greek and Cyrillic are as wide as ASCII in the fixed-pitch font;
        emoji and CJK (drawn from fallback fonts) are not, and need positions of their own.
        """
        if row.text.isascii():
            return None
        _start, end = self.index.row_span(self.pretty, r) if self.index else (0, 0)
        key = (self.pretty, r, end)
        xs = self._xs_cache.get(key)
        if xs is None:
            widths = self._char_w
            fm = self._fm
            advances = []
            for ch in set(row.text):
                if ch not in widths:
                    widths[ch] = fm.horizontalAdvance(ch)
            advances = list(map(widths.__getitem__, row.text))
            if max(advances) == min(advances) == self.char_w:
                xs = []  # uniform: positions are column × width
            else:
                xs = list(accumulate(advances, initial=0.0))
            self._xs_cache[key] = xs
            if len(self._xs_cache) > 2048:
                self._xs_cache.popitem(last=False)
        return xs or None

    def x_of(self, r: int, row: Row, col: int) -> float:
        xs = self._xs(r, row)
        col = max(0, min(col, len(row.text)))
        return xs[col] if xs is not None else col * self.char_w

    def hit(self, pos: QPointF) -> tuple[int, int]:
        """The (row, character) under a point of the viewport."""
        n = self.row_count()
        if n == 0:
            return (0, 0)
        r = self.top_row() + int(max(0.0, pos.y()) // self.line_h)
        r = max(0, min(n - 1, r))
        row = self.row(r)
        x = pos.x() - self._gutter_width() - PAD + self.horizontalScrollBar().value()
        xs = self._xs(r, row)
        if xs is None:
            col = round(x / self.char_w)
        else:
            i = bisect_left(xs, x)
            col = i - 1 if 0 < i < len(xs) and x - xs[i - 1] < xs[i] - x else i
        return r, max(0, min(len(row.text), col))

    def offset_at(self, pos: tuple[int, int]) -> int:
        assert self.index is not None
        r, c = pos
        if r >= self.row_count():
            return self.index.size
        return self.row(r).offset_of(self.index.data, c)

    def pos_at_offset(self, offset: int) -> tuple[int, int]:
        assert self.index is not None
        r = self.index.row_of_offset(self.pretty, offset)
        if r >= self.row_count():
            return (max(0, self.row_count() - 1), 0)
        return r, self.row(r).col_of(self.index.data, offset)

    def ensure_visible(self, pos: tuple[int, int], *, center: bool = False) -> None:
        r, c = pos
        vbar = self.verticalScrollBar()
        page = self.page_rows()
        if center and not (vbar.value() <= r < vbar.value() + page - 1):
            vbar.setValue(max(0, r - page // 2))
        elif r < vbar.value():
            vbar.setValue(r)
        elif r >= vbar.value() + page - 1:
            vbar.setValue(r - page + 2)
        if r < self.row_count():
            x = self.x_of(r, self.row(r), c)
            hbar = self.horizontalScrollBar()
            visible = self.viewport().width() - self._gutter_width() - 2 * PAD
            if x < hbar.value():
                hbar.setValue(int(max(0.0, x - visible / 3)))
            elif x > hbar.value() + visible:
                if x > hbar.maximum() + visible:
                    self._max_cols = max(self._max_cols, int(x / self.char_w) + 8)
                    self._update_scrollbars()
                hbar.setValue(int(x - visible * 2 / 3))

    def selection(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        if self.anchor is None or self.anchor == self.caret:
            return None
        return (min(self.anchor, self.caret), max(self.anchor, self.caret))

    # --- text out -------------------------------------------------------------------------

    def selected_text(self) -> str:
        sel = self.selection()
        if sel is None or self.index is None:
            return ""
        return "".join(self.iter_text(*sel))

    def iter_text(self, first: tuple[int, int], last: tuple[int, int]) -> Iterator[str]:
        """The displayed text between two positions, in pieces (pretty), or as received (raw)."""
        index = self.index
        assert index is not None
        if not self.pretty or not index.is_json:
            a, b = self.offset_at(first), self.offset_at(last)
            yield index.data[a:b].decode("utf-8", "replace")
            return
        (r0, c0), (r1, c1) = first, last
        for r in range(r0, min(r1, self.row_count() - 1) + 1):
            row = self.row(r) if r1 - r0 < ROW_CACHE // 2 else index.render(True, r)
            a = c0 if r == r0 else (row.indent if row.continuation else 0)
            b = c1 if r == r1 else len(row.text)
            if r > r0 and not row.continuation:
                yield "\n"
            yield row.text[a:b]

    # --- painting -------------------------------------------------------------------------

    @guarded("painting the response body")
    def paintEvent(self, event: object) -> None:
        painter = QPainter(self.viewport())
        try:
            self._paint(painter, event.rect())  # type: ignore[attr-defined]
        finally:
            painter.end()
        if not self._painted_once and self.index is not None:
            self._painted_once = True
            self.first_painted.emit()

    def _paint(self, p: QPainter, dirty: QRect) -> None:
        theme = self.theme
        vp = self.viewport().rect()
        p.fillRect(dirty, theme.base)
        n = self.row_count()
        if n == 0 or self.index is None:
            p.setPen(theme.gutter_text)
            p.drawText(
                vp.adjusted(12, 12, -12, -12),
                int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft),
                self.placeholder,
            )
            return
        height = float(vp.height())
        gutter = self._gutter_width()
        p.fillRect(QRectF(0, 0, gutter, height), theme.gutter)
        screen_top = self.top_row()
        last = min(n, screen_top + int(height / self.line_h) + 2)
        # Only the rows in the dirty band: after a scroll Qt moved the others already.
        top = screen_top + max(0, int(dirty.top() // self.line_h))
        last = min(last, screen_top + int(dirty.bottom() // self.line_h) + 1)
        hx = float(self.horizontalScrollBar().value())
        frame = _Frame(
            p,
            screen_top,
            gutter + PAD - hx,
            hx,
            float(vp.width()),
            self.selection(),
            self._matches_on_screen(top, last),
        )
        for r in range(top, last):
            self._paint_row(frame, r)
        # The gutter goes on top, so text scrolled left slides under it.
        p.fillRect(QRectF(0, 0, gutter, height), theme.gutter)
        p.setPen(theme.gutter_text)
        for r in range(top, last):
            number = self.index.line_number(self.pretty, r)
            label = "↪" if number is None else str(number)
            right = gutter - PAD / 2
            y = (r - screen_top) * self.line_h
            p.drawText(QPointF(right - len(label) * self.char_w, y + self._ascent), label)
        if self.hasFocus() and top <= self.caret[0] < last:
            r, c = self.caret
            x = frame.x0 + self.x_of(r, self.row(r), c)
            if x >= gutter:
                y = (r - screen_top) * self.line_h
                p.fillRect(QRectF(x, y, 1.0, self.line_h), theme.caret)

    def _matches_on_screen(self, top: int, last: int) -> list[tuple[int, int, int]]:
        """(number, start, end) of the matches in rows ``top`` to ``last``, at most 2,000."""
        finder = self.finder
        if finder is None or not finder.count or self.index is None:
            return []
        # They are sorted and do not overlap, so their ends are sorted too.
        lo = self.index.row_span(self.pretty, top)[0]
        hi = self.index.row_span(self.pretty, last - 1)[1]
        i0 = bisect_right(finder.ends, lo)
        i1 = bisect_left(finder.starts, hi)
        return [(i, finder.starts[i], finder.ends[i]) for i in range(i0, min(i1, i0 + 2000))]

    def _paint_row(self, frame: _Frame, r: int) -> None:
        assert self.index is not None
        p, theme, x0 = frame.painter, self.theme, frame.x0
        lh, cw = self.line_h, self.char_w
        y = (r - frame.screen_top) * lh
        row = self.row(r)
        text = row.text
        xs = self._xs(r, row)

        def xat(col: int, xs: list[float] | None = xs) -> float:
            return xs[col] if xs is not None else col * cw

        sel = frame.selection
        if sel is not None and sel[0][0] <= r <= sel[1][0]:
            ca = sel[0][1] if r == sel[0][0] else 0
            cb = sel[1][1] if r == sel[1][0] else len(text)
            extra = cw / 2 if r != sel[1][0] else 0.0  # the line break is selected too
            left = x0 + xat(min(ca, len(text)))
            right = x0 + xat(min(cb, len(text))) + extra
            if right > left:
                p.fillRect(QRectF(left, y, right - left, lh), theme.selection)
        start, end = self.index.row_span(self.pretty, r)
        data = self.index.data
        # Drawn over the selection: the current match is selected, and shown as found.
        for i, a, b in frame.matches:
            if b <= start or a >= end:
                continue
            ca = row.col_of(data, max(a, start))
            cb = row.col_of(data, min(b, end))
            colour = theme.current_match if i == self.current_match else theme.match
            p.fillRect(QRectF(x0 + xat(ca), y, max(2.0, xat(cb) - xat(ca)), lh), colour)
        cols = self.links.in_row(self.index, self.pretty, r, row)
        spans = spans_with_links(row.spans, cols)
        if xs is None:
            self._paint_uniform_text(frame, row, spans, y + self._ascent)
        else:
            self._paint_spaced_text(frame, row, spans, xs, y + self._ascent)
        if cols:
            focused = self.links.current if self.hasFocus() else None
            marks = [(x0 + xat(a), x0 + xat(b), link) for a, b, link in cols]
            paint_marks(p, marks, y, lh, self.link_colour, focused)
        if xs is not None and xs[-1] > self._max_cols * cw:
            self._max_cols = int(xs[-1] / cw) + 1
            QTimer.singleShot(0, self._update_scrollbars)

    def _paint_uniform_text(
        self,
        frame: _Frame,
        row: Row,
        spans: tuple[tuple[int, int, _TokenType], ...],
        baseline: float,
    ) -> None:
        """A row of characters all one width: only its part on screen, one draw per colour.

        Not one draw per token: in a fixed-pitch font, blanking the other colours'
        characters with spaces keeps every glyph in its place.
        """
        cw, text = self.char_w, row.text
        c_lo = max(0, int((frame.hx - PAD) / cw) - 1)
        c_hi = c_lo + int(frame.width / cw) + 3
        runs: dict[_TokenType, list[str]] = {}
        ends: dict[_TokenType, int] = {}
        for first, end, kind in spans:
            if end <= c_lo or first >= c_hi:
                continue
            a, b = max(first, c_lo), min(end, c_hi)
            run = runs.get(kind)
            if run is None:
                run = runs[kind] = []
                ends[kind] = c_lo
            run.append(" " * (a - ends[kind]))
            run.append(text[a:b])
            ends[kind] = b
        p, pen_for = frame.painter, self._pens
        for kind, run in runs.items():
            p.setPen(pen_for.get(kind, self.theme.text))
            p.drawText(QPointF(frame.x0 + c_lo * cw, baseline), "".join(run))

    def _paint_spaced_text(
        self,
        frame: _Frame,
        row: Row,
        spans: tuple[tuple[int, int, _TokenType], ...],
        xs: list[float],
        baseline: float,
    ) -> None:
        """A row with wider characters (emoji, CJK): each coloured run at its own place."""
        c_lo = max(0, bisect_left(xs, frame.hx - PAD) - 1)
        c_hi = bisect_right(xs, frame.hx + frame.width) + 1
        p, pen_for = frame.painter, self._pens
        for first, end, kind in spans:
            if end <= c_lo or first >= c_hi:
                continue
            a, b = max(first, c_lo), min(end, c_hi)
            p.setPen(pen_for.get(kind, self.theme.text))
            p.drawText(QPointF(frame.x0 + xs[a], baseline), row.text[a:b])

    @guarded("scrolling the response body")
    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    @guarded("resizing the response body")
    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._update_scrollbars()

    @guarded("restyling the response body")
    def changeEvent(self, event: QEvent) -> None:
        kind = event.type()
        if kind in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._set_theme()
            self.viewport().update()
        elif kind == QEvent.Type.FontChange:
            self._metrics()
            self._xs_cache.clear()
            self._update_scrollbars()
        super().changeEvent(event)

    @guarded("showing the caret")
    def focusInEvent(self, event: object) -> None:
        super().focusInEvent(event)  # type: ignore[arg-type]
        self.viewport().update()

    @guarded("hiding the caret")
    def focusOutEvent(self, event: object) -> None:
        super().focusOutEvent(event)  # type: ignore[arg-type]
        self.viewport().update()

    # --- mouse and keys ---------------------------------------------------------------------

    @guarded("placing the caret")
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self.row_count():
            return
        pos = self.hit(event.position())
        self._press_link = self.link_at(event.position())
        if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier or self.anchor is None:
            self.anchor = pos
        self.caret = pos
        self.viewport().update()

    @guarded("selecting with the mouse")
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self.row_count():
            return
        if not event.buttons() & Qt.MouseButton.LeftButton:
            self._hover(self.link_at(event.position()))
            return
        self._drag_pos = event.position()
        self.caret = self.hit(self._drag_pos)
        inside = 0 <= self._drag_pos.y() < self.viewport().height()
        if inside:
            self._drag_timer.stop()
        elif not self._drag_timer.isActive():
            self._drag_timer.start()
        self.viewport().update()

    @guarded("selecting with the mouse")
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_timer.stop()
        link, self._press_link = self._press_link, None
        if (
            link is not None
            and event.button() == Qt.MouseButton.LeftButton
            and self.selection() is None  # a drag that began on a link selects text
            and self.link_at(event.position()) == link
        ):
            self.links.current = link
            self.viewport().update()
            in_place = _in_place(event.modifiers())
            self.link_activated.emit(link, event.globalPosition().toPoint(), in_place)

    # --- links ------------------------------------------------------------------------------

    def link_at(self, pos: QPointF) -> Link | None:
        """The link under a point of the viewport."""
        if self.index is None or not self.row_count() or self.links.scanner is None:
            return None
        r = self.top_row() + int(max(0.0, pos.y()) // self.line_h)
        if r >= self.row_count():
            return None
        row = self.row(r)
        x = pos.x() - self._gutter_width() - PAD + self.horizontalScrollBar().value()
        for a, b, link in self.links.in_row(self.index, self.pretty, r, row):
            if self.x_of(r, row, a) <= x < self.x_of(r, row, b):
                return link
        return None

    def _hover(self, link: Link | None) -> None:
        if link != self.links.hover:
            self.links.hover = link
            shape = Qt.CursorShape.PointingHandCursor if link else Qt.CursorShape.IBeamCursor
            self.viewport().setCursor(shape)
            self.setToolTip(f"{link.ref.title}: click for what you can do with it" if link else "")

    def link_point(self, link: Link) -> QPoint:
        """Where a link's menu opens: under its first character, in global coordinates."""
        assert self.index is not None
        r, c = self.pos_at_offset(link.start + 1)
        x = self._gutter_width() + PAD - self.horizontalScrollBar().value()
        x += self.x_of(r, self.row(r), c)
        y = (r - self.top_row() + 1) * self.line_h
        return self.viewport().mapToGlobal(QPointF(x, y).toPoint())

    def focus_link(self, link: Link | None) -> None:
        """Make ``link`` the current one (framed while the body has focus), caret on it."""
        self.links.current = link
        if link is not None and self.index is not None:
            self.anchor = None
            self.caret = self.pos_at_offset(link.start + 1)
            self.ensure_visible(self.caret)
        self.viewport().update()

    def open_current_link(self, *, in_place: bool = False) -> bool:
        link = self.links.current
        if link is None or self.index is None:
            return False
        self.ensure_visible(self.pos_at_offset(link.start + 1))  # scrolled away since
        self.link_activated.emit(link, self.link_point(link), in_place)
        return True

    @guarded("moving between links", False)
    def focusNextPrevChild(self, next: bool) -> bool:
        if self.index is not None:
            top = self.top_row()
            shown = range(top, min(self.row_count(), top + self.page_rows()))
            link = self.links.step(self.index, self.pretty, shown, next)
            if link is not None:
                self.focus_link(link)
                return True
        return super().focusNextPrevChild(next)

    @guarded("selecting a token")
    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if not self.row_count():
            return
        r, c = self.hit(event.position())
        row = self.row(r)
        for first, end, _kind in row.spans:  # a double click takes a token (a UUID, say)
            if first <= c < end:
                a, b = first, end
                if b - a > 2 and row.text[a] == '"' and row.text[b - 1] == '"':
                    a, b = a + 1, b - 1  # a string's text, not its quotes
                self.anchor, self.caret = (r, a), (r, b)
                break
        self.viewport().update()

    @guarded("scrolling while selecting")
    def _drag_scroll(self) -> None:
        vbar = self.verticalScrollBar()
        vbar.setValue(vbar.value() + (-3 if self._drag_pos.y() < 0 else 3))
        self.caret = self.hit(self._drag_pos)
        self.viewport().update()

    @guarded("handling a key in the response body")
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._key(event):
            super().keyPressEvent(event)

    def _key(self, event: QKeyEvent) -> bool:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
            return True
        if event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
            return True
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Menu):
            return self.open_current_link(in_place=_in_place(event.modifiers()))
        n = self.row_count()
        if n == 0:
            return False
        key = event.key()
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        r, c = self.caret
        page = self.page_rows()
        K = Qt.Key
        if key == K.Key_Up:
            r = max(0, r - 1)
        elif key == K.Key_Down:
            r = min(n - 1, r + 1)
        elif key == K.Key_PageUp:
            r = max(0, r - page)
            self.verticalScrollBar().setValue(self.top_row() - page)
        elif key == K.Key_PageDown:
            r = min(n - 1, r + page)
            self.verticalScrollBar().setValue(self.top_row() + page)
        elif key == K.Key_Left:
            if c > 0:
                c -= 1
            elif r > 0:
                r -= 1
                c = len(self.row(r).text)
        elif key == K.Key_Right:
            if c < len(self.row(r).text):
                c += 1
            elif r < n - 1:
                r, c = r + 1, 0
        elif key == K.Key_Home:
            r, c = (0, 0) if ctrl else (r, 0)
        elif key == K.Key_End:
            r = n - 1 if ctrl else r
            c = len(self.row(r).text)
        else:
            return False
        c = min(c, len(self.row(r).text))
        if shift:
            if self.anchor is None:
                self.anchor = self.caret
        else:
            self.anchor = None
        self.caret = (r, c)
        self.ensure_visible(self.caret)
        self.viewport().update()
        return True

    def select_all(self) -> None:
        n = self.row_count()
        if n:
            self.anchor = (0, 0)
            self.caret = (n - 1, len(self.row(n - 1).text))
            self.viewport().update()


def _in_place(mods: Qt.KeyboardModifier) -> bool:
    """Ctrl or Shift with a click or Enter: open in this request rather than a new one."""
    return bool(mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
