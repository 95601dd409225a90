"""A response body viewer that stays fast at any size: pretty or raw, highlighted, searchable.

The body is kept as the bytes received. :class:`~explorer.core.json_text.BodyIndex` finds,
a few milliseconds per loop turn, where each row starts; the view paints only the rows on
screen, tokenising and colouring each when it is first shown. So a 100 MB body shows its
first screen at once, and neither loading, searching nor scrolling blocks the GUI thread
(see tests/benchmarks/bench_json_view.py for the figures).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from pygments.token import _TokenType
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QButtonGroup,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core import json_text
from explorer.core.json_text import BodyIndex, Finder, Row, is_json_type, needle_pattern
from explorer.store.atomic import write_atomic
from explorer.store.errors import StoreError

log = logging.getLogger(__name__)

SLICE_S = 0.005
"""Work per loop turn. With painting and Qt's own work a turn stays well under 50 ms."""
UI_EVERY_S = 0.1  # progress, scroll ranges: refreshed this often while work goes on
INDEX_STEP = 32 * 1024
SEARCH_STEP = 256 * 1024
SYNC_SEARCH_S = 0.015  # find() searches this long before returning; the rest goes on in slices
COPY_SYNC_ROWS = 20_000  # bigger pretty copies are built in slices
ROW_CACHE = 4096
PAD = 6.0  # pixels between the gutter and the text


@dataclass(frozen=True, slots=True)
class _Theme:
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
    def for_palette(cls, palette: QPalette) -> _Theme:
        base = palette.color(QPalette.ColorRole.Base)
        dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
        text = palette.color(QPalette.ColorRole.Text)
        if dark:
            tokens = {
                json_text.KEY: QColor("#79b8ff"),
                json_text.STRING: QColor("#9ecf7c"),
                json_text.NUMBER: QColor("#f0a35e"),
                json_text.LITERAL: QColor("#d19cf0"),
                json_text.PUNCTUATION: QColor("#9aa0a6"),
                json_text.ERROR: QColor("#ff6b6b"),
            }
            return cls(
                True,
                base,
                text,
                base.lighter(125),
                QColor("#8b9199"),
                QColor(38, 79, 120),
                QColor(120, 100, 20),
                QColor(190, 110, 20),
                QColor("#e6e6e6"),
                tokens,
            )
        tokens = {
            json_text.KEY: QColor("#0b57a4"),
            json_text.STRING: QColor("#1f7a34"),
            json_text.NUMBER: QColor("#b24d00"),
            json_text.LITERAL: QColor("#8a2fb0"),
            json_text.PUNCTUATION: QColor("#5f6368"),
            json_text.ERROR: QColor("#c62828"),
        }
        return cls(
            False,
            base,
            text,
            base.darker(104),
            QColor("#80868b"),
            QColor(179, 212, 252),
            QColor(255, 236, 140),
            QColor(255, 176, 64),
            QColor("#202124"),
            tokens,
        )


class _Relay(QObject):
    """Carries a background save's result to the GUI thread (signals queue across threads)."""

    save_done = Signal(str, str)  # path, error ("" when saved)


class _BodyArea(QAbstractScrollArea):
    """The text: paints only the rows on screen, straight from the body's bytes.

    Positions are (row, character) pairs in the rows as displayed. The vertical scroll bar
    counts rows; the horizontal one pixels.
    """

    def __init__(self, view: JsonView) -> None:
        super().__init__(view)
        self._view = view
        self.setObjectName("jsonBody")
        self.setAccessibleName("Response body text")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
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
        self.theme = _Theme.for_palette(self.palette())
        self._drag_timer = QTimer(self)
        self._drag_timer.setInterval(50)
        self._drag_timer.timeout.connect(self._drag_scroll)
        self._drag_pos = QPointF()
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._metrics()

    # --- state ------------------------------------------------------------------------------

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

    def paintEvent(self, event: object) -> None:
        try:
            painter = QPainter(self.viewport())
            try:
                self._paint(painter, event.rect())  # type: ignore[attr-defined]
            finally:
                painter.end()
            if not self._painted_once and self.index is not None:
                self._painted_once = True
                self._view._first_paint()
        except Exception:  # a Python error inside a Qt override must not reach Qt
            log.exception("painting the body failed")

    def _paint(self, p: QPainter, dirty: QRect) -> None:
        theme = self.theme
        vp = self.viewport().rect()
        width, height = float(vp.width()), float(vp.height())
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
        index = self.index
        data = index.data
        gutter = self._gutter_width()
        p.fillRect(QRectF(0, 0, gutter, height), theme.gutter)
        top = self.top_row()
        last = min(n, top + int(height / self.line_h) + 2)
        # Only the rows in the dirty band: after a scroll Qt moved the others already.
        screen_top = top
        top = screen_top + max(0, int(dirty.top() // self.line_h))
        last = min(last, screen_top + int(dirty.bottom() // self.line_h) + 1)
        hx = float(self.horizontalScrollBar().value())
        x0 = gutter + PAD - hx
        lh, ascent, cw = self.line_h, self._ascent, self.char_w
        sel = self.selection()
        # Matches on screen: they are sorted and do not overlap, so ends are sorted too.
        matches: list[tuple[int, int, int]] = []
        finder = self.finder
        if finder is not None and finder.count:
            lo = index.row_span(self.pretty, top)[0]
            hi = index.row_span(self.pretty, last - 1)[1]
            i0 = bisect_right(finder.ends, lo)
            i1 = bisect_left(finder.starts, hi)
            matches = [(i, finder.starts[i], finder.ends[i]) for i in range(i0, min(i1, i0 + 2000))]
        pen_for = theme.tokens
        for r in range(top, last):
            y = (r - screen_top) * lh
            row = self.row(r)
            text = row.text
            xs = self._xs(r, row)

            def xat(col: int, xs: list[float] | None = xs) -> float:
                return xs[col] if xs is not None else col * cw

            if sel is not None and sel[0][0] <= r <= sel[1][0]:
                ca = sel[0][1] if r == sel[0][0] else 0
                cb = sel[1][1] if r == sel[1][0] else len(text)
                extra = cw / 2 if r != sel[1][0] else 0.0  # the line break is selected too
                left = x0 + xat(min(ca, len(text)))
                right = x0 + xat(min(cb, len(text))) + extra
                if right > left:
                    p.fillRect(QRectF(left, y, right - left, lh), theme.selection)
            start, end = index.row_span(self.pretty, r)
            # Drawn over the selection: the current match is selected, and shown as found.
            for i, a, b in matches:
                if b <= start or a >= end:
                    continue
                ca = row.col_of(data, max(a, start))
                cb = row.col_of(data, min(b, end))
                colour = theme.current_match if i == self.current_match else theme.match
                p.fillRect(QRectF(x0 + xat(ca), y, max(2.0, xat(cb) - xat(ca)), lh), colour)
            # Text, one coloured run at a time, only the part that is on screen.
            if xs is None:
                c_lo = max(0, int((hx - PAD) / cw) - 1)
                c_hi = c_lo + int(width / cw) + 3
            else:
                c_lo = max(0, bisect_left(xs, hx - PAD) - 1)
                c_hi = bisect_right(xs, hx + width) + 1
            baseline = y + ascent
            if xs is None:
                # One draw per colour, not per token: in a fixed-pitch font, blanking the
                # other colours' characters with spaces keeps every glyph in its place.
                runs: dict[_TokenType, list[str]] = {}
                ends: dict[_TokenType, int] = {}
                for first, end, kind in row.spans:
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
                for kind, run in runs.items():
                    p.setPen(pen_for.get(kind, theme.text))
                    p.drawText(QPointF(x0 + c_lo * cw, baseline), "".join(run))
            else:
                for first, end, kind in row.spans:
                    if end <= c_lo or first >= c_hi:
                        continue
                    a, b = max(first, c_lo), min(end, c_hi)
                    p.setPen(pen_for.get(kind, theme.text))
                    p.drawText(QPointF(x0 + xat(a), baseline), text[a:b])
            if xs is not None and xs[-1] > self._max_cols * cw:
                self._max_cols = int(xs[-1] / cw) + 1
                QTimer.singleShot(0, self._update_scrollbars)
        # The gutter goes on top, so text scrolled left slides under it.
        p.fillRect(QRectF(0, 0, gutter, height), theme.gutter)
        p.setPen(theme.gutter_text)
        for r in range(top, last):
            y = (r - screen_top) * lh
            number = index.line_number(self.pretty, r)
            label = "↪" if number is None else str(number)
            right = gutter - PAD / 2
            p.drawText(QPointF(right - len(label) * cw, y + ascent), label)
        if self.hasFocus() and top <= self.caret[0] < last:
            r, c = self.caret
            row = self.row(r)
            x = x0 + self.x_of(r, row, c)
            if x >= gutter:
                p.fillRect(QRectF(x, (r - screen_top) * lh, 1.0, lh), theme.caret)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        try:
            self.viewport().update()
        except Exception:
            log.exception("scrolling failed")

    def resizeEvent(self, event: object) -> None:
        try:
            super().resizeEvent(event)  # type: ignore[arg-type]
            self._update_scrollbars()
        except Exception:
            log.exception("resizing the body view failed")

    def changeEvent(self, event: QEvent) -> None:
        try:
            kind = event.type()
            if kind in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
                self.theme = _Theme.for_palette(self.palette())
                self.viewport().update()
            elif kind == QEvent.Type.FontChange:
                self._metrics()
                self._xs_cache.clear()
                self._update_scrollbars()
            super().changeEvent(event)
        except Exception:
            log.exception("restyling the body view failed")

    def focusInEvent(self, event: object) -> None:
        try:
            super().focusInEvent(event)  # type: ignore[arg-type]
            self.viewport().update()
        except Exception:
            log.exception("focus handling failed")

    def focusOutEvent(self, event: object) -> None:
        try:
            super().focusOutEvent(event)  # type: ignore[arg-type]
            self.viewport().update()
        except Exception:
            log.exception("focus handling failed")

    # --- mouse and keys ---------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        try:
            if event.button() != Qt.MouseButton.LeftButton or not self.row_count():
                return
            pos = self.hit(event.position())
            if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier or self.anchor is None:
                self.anchor = pos
            self.caret = pos
            self.viewport().update()
        except Exception:
            log.exception("mouse press failed")

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        try:
            if not event.buttons() & Qt.MouseButton.LeftButton or not self.row_count():
                return
            self._drag_pos = event.position()
            self.caret = self.hit(self._drag_pos)
            inside = 0 <= self._drag_pos.y() < self.viewport().height()
            if inside:
                self._drag_timer.stop()
            elif not self._drag_timer.isActive():
                self._drag_timer.start()
            self.viewport().update()
        except Exception:
            log.exception("mouse move failed")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        try:
            self._drag_timer.stop()
        except Exception:
            log.exception("mouse release failed")

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        try:
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
        except Exception:
            log.exception("double click failed")

    def _drag_scroll(self) -> None:
        try:
            vbar = self.verticalScrollBar()
            vbar.setValue(vbar.value() + (-3 if self._drag_pos.y() < 0 else 3))
            self.caret = self.hit(self._drag_pos)
            self.viewport().update()
        except Exception:
            log.exception("drag scrolling failed")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        try:
            if not self._key(event):
                super().keyPressEvent(event)
        except Exception:
            log.exception("key handling failed")

    def _key(self, event: QKeyEvent) -> bool:
        if event.matches(QKeySequence.StandardKey.Copy):
            self._view.copy_selection()
            return True
        if event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
            return True
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


class JsonView(QWidget):
    """Shows a response body, pretty (re-indented) or raw (as received), at any size.

    ``load()`` returns at once: the first screen is painted right away and the rest of the
    body is indexed a few milliseconds per loop turn; a new ``load()`` or ``clear()`` drops
    the previous body's remaining work. JSON is coloured (keys, strings, numbers, literals,
    punctuation); other content types are shown as text, and a body that says it is JSON
    but is not falls back to text with a note saying where it breaks.

    Signals:
        loaded(): the first screen of a body is on screen.
        finished(): the whole body is indexed (and checked, for JSON).
        search_finished(int): a search went through the whole body; the number of matches.
        saved(str): the body was saved to this path.
        save_failed(str): the body could not be saved; a sentence saying why.
    """

    loaded = Signal()
    finished = Signal()
    search_finished = Signal(int)
    saved = Signal(str)
    save_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jsonView")
        self.setAccessibleName("Response body")
        self._data = b""
        self._content_type = ""
        self._index: BodyIndex | None = None
        self._pretty = True
        self._note = ""
        self._copy_job: Iterator[str] | None = None
        self._copy_parts: list[str] = []
        self._loaded_pending = False
        self._finished_sent = True
        self._pending_match = -1
        self._search_text = ""
        self._search_origin = 0
        self._ui_at = 0.0
        # For the benchmark: time.perf_counter() when the last load began, was first painted
        # and was fully indexed.
        self.load_started_at = 0.0
        self.first_paint_at = 0.0
        self.finished_at = 0.0
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._work)
        self._find_timer = QTimer(self)
        self._find_timer.setSingleShot(True)
        self._find_timer.setInterval(200)
        self._find_timer.timeout.connect(self._find_typed)
        self._relay = _Relay(self)
        self._relay.save_done.connect(self._saved)
        self._show_state()

    def _build(self) -> None:
        self.pretty_button = QToolButton(self)
        self.pretty_button.setText("Pretty")
        self.pretty_button.setObjectName("jsonPrettyButton")
        self.pretty_button.setToolTip("Show JSON re-indented, two spaces a level")
        self.raw_button = QToolButton(self)
        self.raw_button.setText("Raw")
        self.raw_button.setObjectName("jsonRawButton")
        self.raw_button.setToolTip("Show the body exactly as received")
        group = QButtonGroup(self)
        for button in (self.pretty_button, self.raw_button):
            button.setCheckable(True)
            button.setAutoRaise(True)
            group.addButton(button)
        self.pretty_button.setChecked(True)
        self.pretty_button.toggled.connect(self.set_pretty)
        self.find_edit = QLineEdit(self)
        self.find_edit.setObjectName("jsonFindEdit")
        self.find_edit.setAccessibleName("Find in body")
        self.find_edit.setPlaceholderText("Find (Ctrl+F)")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setMaximumWidth(260)
        self.find_edit.textEdited.connect(lambda _text: self._find_timer.start())
        self.find_edit.installEventFilter(self)
        self.find_count = QLabel(self)
        self.find_count.setObjectName("jsonFindCount")
        self.find_count.setMinimumWidth(self.fontMetrics().horizontalAdvance("00 of 0,000+") + 4)
        self.prev_button = QToolButton(self)
        self.prev_button.setArrowType(Qt.ArrowType.UpArrow)
        self.prev_button.setToolTip("Previous match (Shift+Enter)")
        self.prev_button.setAccessibleName("Previous match")
        self.prev_button.setAutoRaise(True)
        self.prev_button.clicked.connect(self.find_previous)
        self.next_button = QToolButton(self)
        self.next_button.setArrowType(Qt.ArrowType.DownArrow)
        self.next_button.setToolTip("Next match (Enter)")
        self.next_button.setAccessibleName("Next match")
        self.next_button.setAutoRaise(True)
        self.next_button.clicked.connect(self.find_next)
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy")
        self.copy_button.setObjectName("jsonCopyButton")
        self.copy_button.setToolTip("Copy the selection (or, with none, the whole body)")
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self.copy_selection)
        self.save_button = QToolButton(self)
        self.save_button.setText("Save…")
        self.save_button.setObjectName("jsonSaveButton")
        self.save_button.setToolTip("Save the body exactly as received")
        self.save_button.setAutoRaise(True)
        self.save_button.clicked.connect(self.open_save_dialog)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("jsonStatus")
        self.note_label = QLabel(self)
        self.note_label.setObjectName("jsonNote")
        self.note_label.setWordWrap(True)
        self.note_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.area = _BodyArea(self)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        for widget in (self.pretty_button, self.raw_button):
            bar.addWidget(widget)
        bar.addSpacing(8)
        for widget in (self.find_edit, self.prev_button, self.next_button, self.find_count):
            bar.addWidget(widget)
        bar.addSpacing(8)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.save_button)
        bar.addStretch(1)
        bar.addWidget(self.status_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.note_label)
        layout.addWidget(self.area, 1)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (
            (QKeySequence.StandardKey.Find, self.focus_find),
            (QKeySequence.StandardKey.FindNext, self.find_next),
            (QKeySequence.StandardKey.FindPrevious, self.find_previous),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(context)
            shortcut.activated.connect(slot)

    # --- loading ----------------------------------------------------------------------------

    def load(self, data: bytes, *, content_type: str = "application/json") -> None:
        """Show a body. Returns at once; ``loaded`` and ``finished`` follow."""
        self.load_started_at = time.perf_counter()
        self.first_paint_at = self.finished_at = 0.0
        self._data = data if isinstance(data, bytes) else bytes(data)
        self._content_type = content_type
        media = content_type.split(";", 1)[0].strip()
        is_json = is_json_type(content_type) or (
            not media and self._data.lstrip()[:1] in (b"{", b"[")
        )
        self._copy_job = None
        self._pending_match = -1
        self._index = BodyIndex(self._data, is_json=is_json)
        self.area.placeholder = "No content." if not self._data else ""
        self.area.set_index(self._index, self._pretty and self._index.is_json)
        self._finished_sent = False
        self._loaded_pending = True
        self._index_for(SLICE_S)
        self._restart_search()
        self._show_state()
        if not self.area.isVisible():
            self._first_paint()  # nothing will be painted: the first screen is ready
        self._timer.start()

    def clear(self) -> None:
        """Show nothing, and stop any work on the previous body."""
        self._timer.stop()
        self._data = b""
        self._index = None
        self._copy_job = None
        self._loaded_pending = False
        self._finished_sent = True
        self.area.placeholder = "No body."
        self.area.set_index(None, self._pretty)
        self._search_text = ""
        self.find_edit.clear()
        self._show_state()

    def set_pretty(self, pretty: bool) -> None:
        """Pretty re-indents JSON; raw shows the bytes as received."""
        self._pretty = bool(pretty)
        for button, checked in (
            (self.pretty_button, self._pretty),
            (self.raw_button, not self._pretty),
        ):
            if button.isChecked() != checked:
                button.blockSignals(True)
                button.setChecked(checked)
                button.blockSignals(False)
        index = self._index
        self.area.set_pretty(self._pretty and index is not None and index.is_json)
        self._show_match_count()

    def is_pretty(self) -> bool:
        """Whether rows are shown re-indented (False for raw, text and invalid JSON)."""
        return self.area.pretty and self._index is not None and self._index.is_json

    def body(self) -> bytes:
        """The body as received."""
        return self._data

    def note(self) -> str:
        """The note under the toolbar (why a body is shown as text, a save's outcome)."""
        return self._note

    def is_finished(self) -> bool:
        return self._index is None or self._index.done

    def row_count(self) -> int:
        return self.area.row_count()

    def row_text(self, row: int) -> str:
        """A row's text as shown."""
        return self.area.row(row).text

    def row_spans(self, row: int) -> list[tuple[str, _TokenType]]:
        """A row's coloured runs as (text, pygments token type)."""
        r = self.area.row(row)
        return [(r.text[a:b], kind) for a, b, kind in r.spans]

    def token_colour(self, kind: _TokenType) -> QColor:
        return self.area.theme.tokens.get(kind, self.area.theme.text)

    def top_row(self) -> int:
        return self.area.top_row()

    def _first_paint(self) -> None:
        # Called from paintEvent: emit on the next turn, so no slot runs inside a paint.
        if self._loaded_pending:
            self._loaded_pending = False
            self.first_paint_at = time.perf_counter()
            QTimer.singleShot(0, self.loaded.emit)

    def _index_for(self, seconds: float) -> None:
        index = self._index
        if index is None or index.done:
            return
        deadline = time.perf_counter() + seconds
        while not index.advance(INDEX_STEP) and time.perf_counter() < deadline:
            pass
        area = self.area
        rows = index.row_count(area.pretty)
        needed = area.top_row() + area.page_rows() + 1 >= rows  # rows on screen were missing
        now = time.perf_counter()
        if needed or index.done or now - self._ui_at >= UI_EVERY_S:
            # Repainting scroll bars and labels costs Qt time too: not on every turn.
            self._ui_at = now
            area.index_grew()
            if needed or index.done:
                area.viewport().update()
            self._show_state()
        if self._pending_match >= 0:
            self._show_match(self._pending_match)

    def _work(self) -> None:
        """One loop turn's worth of indexing, searching and copying."""
        try:
            index = self._index
            more = False
            if index is not None and not index.done:
                was_json = index.is_json
                self._index_for(SLICE_S / 2 if self._searching() else SLICE_S)
                if was_json and not index.is_json:
                    self.area.set_index(index, False)  # not JSON after all: show it as text
                    self._restart_search()
                more = not index.done
                if index.done:
                    self.area.viewport().update()
            if self._searching():
                self._search_for(SLICE_S / 2 if more else SLICE_S)
                more = more or self._searching()
            if self._copy_job is not None:
                self._copy_for(SLICE_S)
                more = more or self._copy_job is not None
                if self._copy_job is None:
                    self._show_state()
            if index is not None and index.done and not self._finished_sent:
                self._finished_sent = True
                self.finished_at = time.perf_counter()
                self.finished.emit()
            if more:
                self._timer.start()
        except Exception:
            log.exception("background work on the body failed")

    def _show_state(self) -> None:
        index = self._index
        is_json = index is not None and index.is_json
        self.pretty_button.setEnabled(is_json)
        self.raw_button.setEnabled(is_json)
        has_body = bool(self._data)
        self.copy_button.setEnabled(has_body)
        self.save_button.setEnabled(has_body)
        note = ""
        if index is not None and index.error:
            what = "Too deep to show as JSON" if index.too_deep else "Not valid JSON"
            note = f"{what}: {index.error}. Shown as received."
        self._set_note(note, keep_save_note=True)
        status = ""
        if index is not None and not index.done and index.size:
            status = f"Indexing… {100 * index.scanned // index.size} %"
        elif self._copy_job is not None:
            status = "Copying…"
        if self.status_label.text() != status:
            self.status_label.setText(status)

    def _set_note(self, text: str, *, keep_save_note: bool = False) -> None:
        if keep_save_note and not text and self._note.startswith(("Saved", "Could not")):
            return
        if text != self._note:
            self._note = text
            self.note_label.setText(text)
            self.note_label.setVisible(bool(text))

    # --- find -------------------------------------------------------------------------------

    def focus_find(self) -> None:
        self.find_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_edit.selectAll()

    def find(self, text: str) -> int:
        """Search the whole body for ``text`` and go to the first match from the caret on.

        Returns the number of matches; for a body too big to search in one go this is the
        count so far, the search goes on in slices and ``search_finished`` gives the total.
        """
        if self.find_edit.text() != text:
            self.find_edit.setText(text)
        self._find_timer.stop()
        self._search_text = text
        self._restart_search()
        self._search_for(SYNC_SEARCH_S)
        finder = self.area.finder
        if self._searching():
            self._timer.start()
        self._show_match_count()
        return finder.count if finder is not None else 0

    def _find_typed(self) -> None:
        try:
            self.find(self.find_edit.text())
        except Exception:
            log.exception("find failed")

    def find_next(self) -> None:
        self._step_match(1)

    def find_previous(self) -> None:
        self._step_match(-1)

    def match_count(self) -> int:
        return self.area.finder.count if self.area.finder is not None else 0

    def current_match(self) -> int:
        """1-based number of the current match, 0 when there is none."""
        return self.area.current_match + 1

    def _step_match(self, step: int) -> None:
        if self.find_edit.text() != self._search_text:
            self.find(self.find_edit.text())
            return
        finder = self.area.finder
        if finder is None or not finder.count:
            return
        i = self.area.current_match
        i = (i + step) % finder.count if i >= 0 else 0
        self._show_match(i)
        self._show_match_count()

    def _restart_search(self) -> None:
        pattern = needle_pattern(self._search_text) if self._search_text else None
        index = self._index
        area = self.area
        sel = area.selection()
        # Matches are looked for from the caret (or a selection's start) on, then wrap around.
        self._search_origin = (
            area.offset_at(sel[0] if sel else area.caret)
            if (index is not None and area.row_count())
            else 0
        )
        self.area.finder = Finder(index.data, pattern) if pattern and index is not None else None
        self.area.current_match = -1
        self._pending_match = -1
        self.area.viewport().update()

    def _searching(self) -> bool:
        finder = self.area.finder
        return finder is not None and not finder.done

    def _search_for(self, seconds: float) -> None:
        finder = self.area.finder
        if finder is None or finder.done:
            return
        deadline = time.perf_counter() + seconds
        while not finder.advance(SEARCH_STEP) and time.perf_counter() < deadline:
            pass
        if finder.count and self.area.current_match < 0 and self._pending_match < 0:
            first = finder.index_at_or_after(self._search_origin)
            if first < finder.count:
                self._show_match(first)
            elif finder.done:
                self._show_match(0)
        if finder.done:
            self.search_finished.emit(finder.count)
        self._show_match_count()
        self.area.viewport().update()

    def _show_match(self, i: int) -> None:
        """Select match ``i`` and scroll to it (once the index reaches it)."""
        finder = self.area.finder
        index = self._index
        if finder is None or index is None or not 0 <= i < finder.count:
            return
        a, b = finder.starts[i], finder.ends[i]
        self.area.current_match = i
        rows = index.row_count(self.area.pretty)
        reach = index.row_span(self.area.pretty, rows - 1)[1] if rows else 0
        if not index.done and b > reach:
            self._pending_match = i  # shown when indexing gets there
            return
        self._pending_match = -1
        self.area.anchor = self.area.pos_at_offset(a)
        self.area.caret = self.area.pos_at_offset(b)
        self.area.ensure_visible(self.area.anchor, center=True)
        self.area.viewport().update()

    def _show_match_count(self) -> None:
        finder = self.area.finder
        if finder is None:
            text = ""
        elif not finder.count:
            text = "No matches" if finder.done else "Searching…"
        else:
            more = "+" if (not finder.done or finder.capped) else ""
            text = f"{max(0, self.area.current_match) + 1:,} of {finder.count:,}{more}"
        if self.find_count.text() != text:
            self.find_count.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        try:
            if watched is self.find_edit and event.type() == QEvent.Type.KeyPress:
                assert isinstance(event, QKeyEvent)
                if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                        self.find_previous()
                    else:
                        self.find_next()
                    return True
                if event.key() == Qt.Key.Key_Escape:
                    self.area.setFocus()
                    return True
            return super().eventFilter(watched, event)
        except Exception:
            log.exception("find box key handling failed")
            return False

    # --- copy and save ----------------------------------------------------------------------

    def text_for_copy(self) -> str:
        """The selected text, or the whole body as shown when nothing is selected.

        Pretty text is re-indented; raw text is the body's bytes as received. Built here and
        now: for a big pretty body prefer :meth:`copy_selection`, which builds it in slices.
        """
        return "".join(self._copy_pieces())

    def _copy_pieces(self) -> Iterator[str]:
        area = self.area
        if self._index is None or not area.row_count():
            return iter(())
        sel = area.selection()
        if sel is not None:
            return area.iter_text(*sel)
        if not area.pretty:
            return iter((self._data.decode("utf-8", "replace"),))
        last = area.row_count() - 1
        return area.iter_text((0, 0), (last, len(area.row(last).text)))

    def copy_selection(self) -> None:
        """Put the selection (or the whole body) on the clipboard, in slices when it is big."""
        area = self.area
        if self._index is None or not area.row_count():
            return
        sel = area.selection()
        rows = (sel[1][0] - sel[0][0]) if sel else area.row_count()
        if not area.pretty or rows < COPY_SYNC_ROWS:
            QGuiApplication.clipboard().setText(self.text_for_copy())
            return
        self._copy_job = self._copy_pieces()
        self._copy_parts = []
        self._show_state()
        self._timer.start()

    def _copy_for(self, seconds: float) -> None:
        job = self._copy_job
        if job is None:
            return
        deadline = time.perf_counter() + seconds
        parts = self._copy_parts
        for piece in job:
            parts.append(piece)
            if len(parts) % 256 == 0 and time.perf_counter() > deadline:
                return
        self._copy_job = None
        QGuiApplication.clipboard().setText("".join(parts))
        self._copy_parts = []

    def save_to(self, path: str | Path) -> None:
        """Write the body as received to ``path``, atomically. Raises StoreError."""
        write_atomic(Path(path), self._data)

    def open_save_dialog(self) -> None:
        """Ask where to save (a non-modal dialog); the body is then written in the background."""
        suffix = "json" if is_json_type(self._content_type) else "txt"
        dialog = QFileDialog(self, "Save response body")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix)
        dialog.selectFile(f"response.{suffix}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.save_in_background)
        dialog.open()

    def save_in_background(self, path: str) -> None:
        """Save the body to ``path`` on a worker thread; ``saved``/``save_failed`` follow."""
        data, relay = self._data, self._relay

        def work() -> None:
            try:
                write_atomic(Path(path), data)
            except StoreError as exc:
                relay.save_done.emit(path, str(exc))
            except Exception as exc:  # the thread must report, whatever happened
                log.exception("saving %s failed", path)
                relay.save_done.emit(path, f"Could not save {Path(path).name}: {exc}")
            else:
                relay.save_done.emit(path, "")

        threading.Thread(target=work, name="save-body", daemon=True).start()

    def _saved(self, path: str, error: str) -> None:
        if error:
            self._set_note(error)
            self.save_failed.emit(error)
        else:
            self._set_note(f"Saved to {path}.")
            self.saved.emit(path)
