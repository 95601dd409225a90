"""Re-indenting, tokenising and searching JSON text without Qt, for the response viewer.

The viewer never builds the re-indented text of a big body. :class:`BodyIndex` scans the
body as received, a bounded slice at a time, and records where each *row* of the pretty
(re-indented) view and of the raw view starts in the original bytes, and how deep each pretty
row is nested. :func:`render_row` turns one row into display text and highlight spans when it
is painted, so only what is on screen is ever decoded. :class:`Finder` searches the bytes in
slices too. Byte offsets into the body are the common coordinates of all three.

Pretty rows follow the usual two-space layout: a line break after ``{``, ``[`` and ``,``,
and before ``}`` and ``]``, except inside strings and for empty containers; ``": "`` after a
key. Rows longer than ``row_max`` bytes (a long string) are continued on further rows, and raw
lines are wrapped too (a compact body is a single line), so no row is too long to lay out.
"""

from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, compress, count, repeat
from operator import add, itemgetter, sub

from pygments.token import Token, _TokenType

from explorer.core.column import Column

__all__ = [
    "EXACT_CHECK_LIMIT",
    "ROW_MAX",
    "BodyIndex",
    "Finder",
    "Row",
    "is_json_type",
    "needle_pattern",
    "pretty_text",
    "render_row",
]

ROW_MAX = 4096
"""Bytes in one pretty row before it is continued on the next (a very long string)."""

RAW_ROW_MAX = 128
"""Raw lines longer than this are wrapped, where a pretty row starts (so between tokens,
not inside a string) or, for text, at this many bytes. A compact body is one line: wrapped,
it reads like text, and a screen never holds more than a few thousand characters."""

EXACT_CHECK_LIMIT = 512 * 1024
"""Bodies up to this size are checked with ``json.loads`` too (about 20 ms at most here);
bigger ones only by the scanner: balanced brackets, closed strings, JSON's characters."""

INDENT = "  "
MAX_INDENT_LEVELS = 64  # deeper rows are drawn at this indent, so they stay on screen

# Token types, as pygments names them (so themes and tests speak one language).
KEY = Token.Name.Tag
STRING = Token.Literal.String.Double
NUMBER = Token.Literal.Number
LITERAL = Token.Keyword.Constant
PUNCTUATION = Token.Punctuation
ERROR = Token.Error
TEXT = Token.Text

# --- the scanner's patterns ------------------------------------------------------------------

# Outside strings JSON has only whitespace, punctuation, digits, signs and three lowercase
# words. Allowing just those catches HTML, single quotes, NaN and most garbage at regex speed.
_NS = rb"[ \t\r\n:0-9a-zE.+\-]"
_STR = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
# A segment: everything up to and including the next {, }, [, ], or , outside a string.
_SEG = _NS + rb"*(?:" + _STR + _NS + rb"*)*[\[\]{},]"
# What is left at the end of a slice: a segment's beginning, maybe inside a string.
_TAIL = _NS + rb"*(?:" + _STR + _NS + rb'*)*(?:"[^"\\]*(?:\\.[^"\\]*)*\\?)?\Z'
_SEG_OR_TAIL = re.compile(_SEG + rb"|" + _TAIL, re.DOTALL)
_SEG_ONLY = re.compile(_SEG, re.DOTALL)
_VALID_PREFIX = re.compile(rb"(?:" + _NS + rb"|" + _STR + rb")*", re.DOTALL)
_STR_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_NS_RUN = re.compile(_NS + rb"*")
_WS = b" \t\r\n"

# Per structural byte: depth change + 1, and 1 for a closer (whose row starts *at* it).
_DELTA = bytes.maketrans(b"{[,}]", b"\x02\x02\x01\x00\x00")
_CLOSER = bytes.maketrans(b"{[,}]", b"\x00\x00\x00\x01\x01")
_MAX_DEPTH = 255  # array('B'): deeper rows are drawn at MAX_INDENT_LEVELS anyway

_BOM = b"\xef\xbb\xbf"


def is_json_type(content_type: str) -> bool:
    """Whether a Content-Type names JSON (``application/json``, ``…+json``, ``text/json``)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("application/json", "text/json") or media.endswith("+json")


def _describe(data: bytes, offset: int) -> str:
    """A short quote of what is at ``offset``, for a message a person can act on."""
    snippet = data[offset : offset + 12].decode("utf-8", "replace")
    snippet = snippet.translate(_CONTROL)
    return f"“{snippet}”" if snippet else "the end"


class RowSet:
    """Row numbers, added in increasing order; membership and rank by bisection."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows = Column("I")

    def add(self, row: int) -> None:
        self.rows.append(row)

    def __contains__(self, row: object) -> bool:
        i = self.rows.bisect_left(row)
        return i < len(self.rows) and self.rows[i] == row

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows)

    def rank(self, row: int) -> int:
        """How many rows in the set come before ``row``."""
        return self.rows.bisect_left(row)

    def discard_last(self, row: int) -> None:
        if self.rows and self.rows[-1] == row:
            self.rows.pop()


class BodyIndex:
    """Where each row of a body starts, built a slice at a time by :meth:`advance`.

    ``pretty_starts[i]`` is the byte offset where pretty row ``i`` starts and
    ``pretty_depths[i]`` its nesting depth; ``raw_starts`` the same for the raw view (rows
    start after each newline, and long lines are cut where a pretty row starts, so a raw
    row never begins inside a string unless a string is itself longer than a row).
    Continuation rows (the second and later pieces of a long row) are in ``pretty_cont``/
    ``raw_cont``, those of them that begin inside a string in ``pretty_instr``/``raw_instr``.
    Offsets are kept in 4 bytes and depths in 1 while they fit, so a 100 MB compact body
    costs about 40 MB of index, in fixed blocks (:class:`~explorer.core.column.Column`): an
    index that grows never copies what it holds.

    When the body turns out not to be JSON, ``error`` says why and the index starts again
    as plain text (raw rows only).
    """

    def __init__(
        self,
        data: bytes,
        *,
        is_json: bool = True,
        row_max: int = ROW_MAX,
        raw_row_max: int = RAW_ROW_MAX,
        exact: bool = True,
    ) -> None:
        self.data = data
        self.row_max = max(16, row_max)
        self.raw_row_max = max(8, raw_row_max)
        self.is_json = is_json
        self.error: str | None = None
        self.too_deep = False  # the error is the nesting, not the JSON itself
        self.error_offset = -1
        self.done = False
        n = len(data)
        self._offset_type = "I" if len(data) < (1 << 32) else "q"
        self.pretty_starts = Column(self._offset_type)
        self.pretty_depths = Column("B")
        self.pretty_cont = RowSet()
        self.pretty_instr = RowSet()
        self.widest_pretty = 0  # bytes, indent included: about the widest row's characters
        self._reset_raw()
        # Scanner state.
        start = 3 if data.startswith(_BOM) else 0
        self._pos = start
        self._depth = 0
        self._pending: tuple[int, int] | None = (start, 0)
        self._pend_keep = True
        self._closed = False
        self._seen_struct = False
        self._long = False
        self._lp = 0
        self._lin = False
        self._lrow = 0
        self._lseg = 0
        if n == 0:
            self.is_json = False
        elif is_json:
            first = data[start : start + 64].lstrip(_WS)[:1]
            if first and first not in b'{["-0123456789tfn':
                self._fail(
                    start + len(data[start:]) - len(data[start:].lstrip(_WS)),
                    "it does not start like JSON",
                )
            elif exact and n <= EXACT_CHECK_LIMIT:
                self._exact_check()
        if not self.is_json:
            self._pos = n

    # --- public -------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def scanned(self) -> int:
        """Bytes of the body indexed so far (for a progress figure)."""
        if self.done:
            return len(self.data)
        return self._raw_scan if not self.is_json else min(self._pos, self._raw_scan)

    def advance(self, max_bytes: int = 65536) -> bool:
        """Index about ``max_bytes`` more of the body; True once all of it is indexed."""
        if self.done:
            return True
        n = len(self.data)
        if self.is_json:
            if self._long:
                self._step_long(max_bytes)
            elif self._pos < n:
                self._step(min(n, self._pos + max(1, max_bytes)))
            if self.is_json:  # still: a step may have found an error
                upto = n if self._pos >= n and not self._long else self._frontier()
                self._advance_raw(upto)
                if self._pos >= n and not self._long:
                    self._finish()
                return self.done
        # Plain text (or JSON that turned out not to be).
        self._advance_raw(min(n, self._raw_scan + max_bytes))
        if self._raw_scan >= n:
            self._finish()
        return self.done

    def run(self) -> BodyIndex:
        """Index the whole body now (for tests and small bodies)."""
        while not self.advance(1 << 20):
            pass
        return self

    def row_count(self, pretty: bool) -> int:
        return len(self.pretty_starts) if pretty and self.is_json else len(self.raw_starts)

    def row_span(self, pretty: bool, row: int) -> tuple[int, int]:
        """Byte range ``[start, end)`` of a row (the last row may still grow)."""
        starts = self.pretty_starts if pretty and self.is_json else self.raw_starts
        start = starts[row]
        if row + 1 < len(starts):
            return start, starts[row + 1]
        if self.done:
            return start, len(self.data)
        end = self._frontier() if pretty and self.is_json else self._raw_scan
        return start, max(start, end)

    def row_depth(self, pretty: bool, row: int) -> int:
        return self.pretty_depths[row] if pretty and self.is_json else 0

    def row_state(self, pretty: bool, row: int) -> tuple[bool, bool]:
        """(is a continuation row, begins inside a string)."""
        if pretty and self.is_json:
            return row in self.pretty_cont, row in self.pretty_instr
        return row in self.raw_cont, row in self.raw_instr

    def row_of_offset(self, pretty: bool, offset: int) -> int:
        """The row holding byte ``offset`` (the last row for offsets past the index)."""
        starts = self.pretty_starts if pretty and self.is_json else self.raw_starts
        return max(0, starts.bisect_right(offset) - 1)

    def line_number(self, pretty: bool, row: int) -> int | None:
        """1-based line number of a row, None for a continuation row."""
        cont = self.pretty_cont if pretty and self.is_json else self.raw_cont
        if row in cont:
            return None
        return row + 1 - cont.rank(row)

    def render(self, pretty: bool, row: int) -> Row:
        start, end = self.row_span(pretty, row)
        cont, in_string = self.row_state(pretty, row)
        if pretty and self.is_json:
            depth = self.pretty_depths[row]
            return render_row(
                self.data,
                start,
                end,
                depth=depth,
                pretty=True,
                in_string=in_string,
                continuation=cont,
            )
        return render_row(
            self.data,
            start,
            end,
            pretty=False,
            in_string=in_string,
            continuation=cont,
            highlight=self.is_json,
        )

    def memory_bytes(self) -> int:
        """What the index itself holds (the body not counted)."""
        sets = (self.pretty_cont, self.pretty_instr, self.raw_cont, self.raw_instr)
        arrays = (self.pretty_starts, self.pretty_depths, self.raw_starts, *(s.rows for s in sets))
        return sum(a.nbytes() for a in arrays)

    # --- pretty rows: the fast path -----------------------------------------------------------

    def _frontier(self) -> int:
        """Everything before this offset is final in the pretty index."""
        if self._pending is not None:
            return self._pending[0]
        if self.pretty_starts:
            return self.pretty_starts[-1]
        return 0

    def _step(self, end: int) -> None:
        data, pos, n = self.data, self._pos, len(self.data)
        parts = _SEG_OR_TAIL.findall(data, pos, end)
        while parts and not parts[-1]:
            parts.pop()
        lens = list(map(len, parts))
        total = sum(lens)
        if total != end - pos:
            self._locate_error(pos, end)
            return
        tail = b""
        # The last part may be a tail even when it ends in a bracket: '"[' cut inside a string.
        if parts and (parts[-1][-1] not in b"[]{}," or _SEG_ONLY.fullmatch(parts[-1]) is None):
            tail = parts.pop()
            lens.pop()
        if parts:
            if max(lens) > self.row_max:
                # A long segment is cut into continuation rows, a bounded step at a time.
                k = next(i for i, length in enumerate(lens) if length > self.row_max)
                if k:
                    self._emit(parts[:k], lens[:k], pos)
                    if not self.is_json:
                        return
                self._enter_long(pos + sum(lens[:k]))
                return
            self._emit(parts, lens, pos)
            if not self.is_json:
                return
            pos += total - len(tail)
        self._pos = pos
        if tail and (len(tail) > self.row_max or (not parts and end < n)):
            # A segment longer than a row, or than this slice: walk it a bounded step at a time.
            self._enter_long(pos)
        elif end >= n:
            self._end_tail(pos)

    def _emit(self, parts: list[bytes], lens: list[int], base: int) -> None:
        """Record the rows that end and begin at each segment's structural byte."""
        ends = list(accumulate(lens, initial=base))
        del ends[0]
        kinds = bytes(map(itemgetter(-1), parts))
        depths = list(map(sub, accumulate(kinds.translate(_DELTA)), count(1 - self._depth)))
        if self._closed:
            self._fail(base, "there is more after the JSON value")
            return
        if not self._seen_struct:
            if parts[0][:-1].strip(_WS) or kinds[0] not in b"{[":
                self._fail(base, f"unexpected {_describe(self.data, base)}")
                return
            self._seen_struct = True
        lowest = min(depths)
        if lowest < 0:
            i = depths.index(-1)
            self._fail(ends[i] - 1, f"unexpected {_describe(self.data, ends[i] - 1)}")
            return
        if lowest == 0:
            i = depths.index(0)
            if i != len(depths) - 1:
                self._fail(ends[i], "there is more after the JSON value")
                return
            self._closed = True
        self._depth = depths[-1]
        deepest = max(depths)
        self.widest_pretty = max(
            self.widest_pretty, max(lens) + len(INDENT) * min(deepest, MAX_INDENT_LEVELS)
        )
        if deepest > _MAX_DEPTH:
            depths = list(map(min, depths, repeat(_MAX_DEPTH)))
        starts = list(map(sub, ends, kinds.translate(_CLOSER)))
        # An empty container's opener and closer rows start at the same byte: drop both, so
        # "{}" stays on the row before. Hold the last row back: the next slice may pair it.
        assert self._pending is not None
        pend_start, pend_depth = self._pending
        # Indices into [pending, *starts] of rows to leave out (few: one per empty container).
        m = len(starts)
        drop: set[int] = set()
        if not self._pend_keep:
            drop.add(0)
        if starts[0] == pend_start:
            drop.update((0, 1))
        for pair in (b"{}", b"[]"):
            i = kinds.find(pair)
            while i >= 0:
                if starts[i] == starts[i + 1]:
                    drop.update((i + 1, i + 2))
                i = kinds.find(pair, i + 1)
        out_s, out_d = self.pretty_starts, self.pretty_depths
        if not drop:
            out_s.append(pend_start)
            out_d.append(pend_depth)
            out_s.extend(starts[:-1])
            out_d.extend(depths[:-1])
        else:
            keep = bytearray(b"\x01") * m  # row m, the last, is held back as pending
            for j in drop:
                if j < m:
                    keep[j] = 0
            s_all = [pend_start, *starts]
            d_all = [pend_depth, *depths]
            out_s.extend(compress(s_all, keep))
            out_d.extend(compress(d_all, keep))
        self._pending = (starts[-1], depths[-1])
        self._pend_keep = m not in drop

    def _flush_pending(self) -> None:
        if self._pending is not None and self._pend_keep:
            self.pretty_starts.append(self._pending[0])
            self.pretty_depths.append(min(self._pending[1], _MAX_DEPTH))
        self._pending = None

    def _locate_error(self, pos: int, end: int) -> None:
        data, p = self.data, pos
        while p < end:
            m = _SEG_OR_TAIL.match(data, p, end)
            if m is None or m.end() == p:
                break
            p = m.end()
        bad = _VALID_PREFIX.match(data, p, end)
        at = bad.end() if bad else p
        self._fail(at, f"unexpected {_describe(data, at)}")

    def _end_tail(self, pos: int) -> None:
        """The bytes after the last structural byte: whitespace, or a lone top-level value."""
        data = self.data
        rest = data[pos:]
        if self._seen_struct:
            if self._depth != 0:
                self._fail(len(data), "the body ends before the JSON value is complete")
            elif rest.strip(_WS):
                self._fail(pos, "there is more after the JSON value")
        elif len(rest) <= (1 << 20):
            try:
                json.loads(rest)
            except json.JSONDecodeError as exc:
                self._fail(pos + exc.pos, exc.msg.lower())
            except ValueError:
                self._fail(pos, "it is not UTF-8 text")
        self._pos = len(data)

    # --- pretty rows: long segments, a bounded step at a time ----------------------------

    def _enter_long(self, pos: int) -> None:
        self._long = True
        self._lseg = pos
        self._lp = pos
        self._lin = False
        if self._pending is not None:
            self._lrow = self._pending[0]
        else:
            self._lrow = self.pretty_starts[-1] if self.pretty_starts else pos
        self._pos = pos

    def _step_long(self, max_bytes: int) -> None:
        data, n, rm = self.data, len(self.data), self.row_max
        stop = min(n, self._lp + max_bytes)
        p = self._lp
        while p < stop:
            lim = min(n, self._lrow + rm)
            if p >= lim:
                self._split_long(p)
                continue
            if self._lin:
                p = _STR_BODY.match(data, p, lim).end()
                if p < lim and data[p] == 0x22:
                    p += 1
                    self._lin = False
                elif p < lim:  # an escape cut by the limit: the row ends before it
                    if p <= self._lrow:
                        p = lim
                    self._lp = p
                    self._split_long(p)
                    continue
            else:
                p = _NS_RUN.match(data, p, lim).end()
                if p < lim:
                    c = data[p]
                    if c == 0x22:
                        self._lin = True
                        p += 1
                    elif c in b"[]{},":
                        self._lp = p
                        self._long_done(p)
                        return
                    else:
                        self._fail(p, f"unexpected {_describe(data, p)}")
                        return
        self._lp = p
        if p >= n:
            self._long = False
            if self._lin:
                self._fail(n, "a string is not closed")
            else:
                self._end_tail(self._lseg)

    def _split_long(self, p: int) -> None:
        """Start a continuation row at ``p`` (moved back to a character boundary)."""
        data, sp = self.data, p
        if self._lin:
            while sp > self._lrow + 1 and 0x80 <= data[sp] < 0xC0:
                sp -= 1
            run = 0
            while sp - run - 1 > self._lrow and data[sp - run - 1] == 0x5C:
                run += 1
            if run % 2:
                sp -= 1  # never between a backslash and the character it escapes
            if sp <= self._lrow:
                sp = p
        self._flush_pending()
        self.pretty_cont.add(len(self.pretty_starts))
        if self._lin:
            self.pretty_instr.add(len(self.pretty_starts))
        self.pretty_starts.append(sp)
        self.pretty_depths.append(self.pretty_depths[-1] if self.pretty_depths else 0)
        self._lrow = sp

    def _long_done(self, q: int) -> None:
        """The long segment ends at the structural byte ``q``: back to the fast path."""
        data = self.data
        c = data[q]
        if self._closed:
            self._fail(self._lseg, "there is more after the JSON value")
            return
        if not self._seen_struct:
            if data[self._lseg : q].strip(_WS) or c not in b"{[":
                self._fail(self._lseg, f"unexpected {_describe(data, self._lseg)}")
                return
            self._seen_struct = True
        depth = self._depth + (1 if c in b"{[" else -1 if c in b"}]" else 0)
        if depth < 0:
            self._fail(q, f"unexpected {_describe(data, q)}")
            return
        if depth == 0:
            self._closed = True
        self._depth = depth
        start = q if c in b"}]" else q + 1
        keep = True
        if self._pending is not None and self._pending[0] == start:
            keep = False  # an empty container cut by a slice: both rows go, as in _emit
        else:
            self._flush_pending()
        self._pending = (start, min(depth, _MAX_DEPTH))
        self._pend_keep = keep
        self._long = False
        self._pos = q + 1

    # --- raw rows -------------------------------------------------------------------------

    def _reset_raw(self) -> None:
        self.raw_starts = Column(self._offset_type, [0] if self.data else [])
        self.widest_raw = 0
        self.raw_cont = RowSet()
        self.raw_instr = RowSet()
        self._raw_scan = 0

    def _advance_raw(self, upto: int) -> None:
        a = self._raw_scan
        if upto <= a or not self.raw_starts:
            return
        data, rm, starts = self.data, self.raw_row_max, self.raw_starts
        piece = data[a:upto]
        newlines = piece.count(b"\n")
        if newlines:
            lines = piece.split(b"\n")
            lens = list(map(len, lines))
            first_len = a - starts[-1] + lens[0]
            self.widest_raw = max(self.widest_raw, *lens, first_len)
            if max(lens) <= rm and first_len <= rm:
                nl_starts = list(accumulate(map(add, lens, repeat(1)), initial=a))
                del nl_starts[0]
                del nl_starts[-1]  # the part after the last newline is not a row yet
                starts.extend(nl_starts)
            else:
                p = a
                for length in lens[:-1]:
                    self._split_raw(p + length)
                    p += length + 1
                    starts.append(p)
        self._split_raw(upto)
        self._raw_scan = upto

    def _split_raw(self, lim: int) -> None:
        """Wrap the current raw row into rows of about ``raw_row_max`` bytes, up to ``lim``."""
        starts, rm, data = self.raw_starts, self.raw_row_max, self.data
        while lim - starts[-1] > rm:
            rs = starts[-1]
            in_string = False
            if self.is_json:
                ps = self.pretty_starts
                k = ps.bisect_right(rs + rm) - 1
                if k < 0 or ps[k] <= rs:
                    k = ps.bisect_right(rs)
                    if k >= len(ps) or ps[k] >= lim:
                        return  # wait until the pretty index has a place to cut
                s = ps[k]
                in_string = k in self.pretty_instr
            else:
                s = rs + rm
                while s > rs + 1 and 0x80 <= data[s] < 0xC0:
                    s -= 1
            self.widest_raw = max(self.widest_raw, s - rs)
            self.raw_cont.add(len(starts))
            if in_string:
                self.raw_instr.add(len(starts))
            starts.append(s)

    def _finish(self) -> None:
        n = len(self.data)
        if self.is_json:
            self._flush_pending()
            self._advance_raw(n)
            self._split_raw(n)
        if self.raw_starts and self.raw_starts[-1] >= n and len(self.raw_starts) > 1:
            self.raw_starts.pop()  # a final newline ends the last line; it starts none
            self.raw_cont.discard_last(len(self.raw_starts))
            self.raw_instr.discard_last(len(self.raw_starts))
        self.done = True

    # --- errors -------------------------------------------------------------------------------

    def _exact_check(self) -> None:
        try:
            json.loads(self.data)
        except RecursionError:
            # Valid or not, Python cannot read JSON this deep (100,000 "[" is 100 kB).
            self.too_deep = True
            self.error = "more levels of nesting than this app can read"
            self._fail(0, self.error)
        except (ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, json.JSONDecodeError):
                why = f"{exc.msg.lower()} (line {exc.lineno:,}, column {exc.colno:,})"
                self._fail(exc.pos, why)
            else:
                self._fail(0, "it is not UTF-8 text")

    def _fail(self, offset: int, why: str) -> None:
        """Not JSON after all: remember why and index the body again as plain text."""
        if self.error is None:
            if "(line " in why:
                pass
            elif offset < (8 << 20):  # counting lines further in would stall the GUI
                line = self.data.count(b"\n", 0, offset) + 1
                why = f"{why} (line {line:,}, byte {offset:,})"
            else:
                why = f"{why} (byte {offset:,})"
            self.error = why
            self.error_offset = offset
        self.is_json = False
        self._long = False
        self._pos = len(self.data)
        self.pretty_starts = Column(self._offset_type)
        self.pretty_depths = Column("B")
        self.pretty_cont = RowSet()
        self.pretty_instr = RowSet()
        self._reset_raw()


# --- rows: display text and highlight spans ------------------------------------------------

_TOKEN = re.compile(
    rb'(?P<s>"[^"\\]*(?:\\.[^"\\]*)*"?)'
    rb"|(?P<w>[ \t\r\n]+)"
    rb"|(?P<p>[{}\[\],:])"
    rb"|(?P<n>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![0-9A-Za-z_.+\-]))"
    rb"|(?P<l>(?:true|false|null)(?![0-9A-Za-z_]))"
    rb'|(?P<e>[^ \t\r\n{}\[\],:"]+)',
    re.DOTALL,
)
_STR_CONT = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_KINDS = {"s": STRING, "p": PUNCTUATION, "n": NUMBER, "l": LITERAL, "e": ERROR}
# Control characters are shown as their Unicode pictures, one for one, so columns still map
# to characters; a tab is shown as one space for the same reason.
_CONTROL = {c: 0x2400 + c for c in range(32)} | {9: 0x20}
_CONTROL_BYTES = re.compile(rb"[\x00-\x1f]")


@dataclass(frozen=True, slots=True)
class Row:
    """One row as displayed: its text, coloured spans and how text maps to body bytes.

    ``spans`` are ``(first, end, token type)`` in characters of ``text``; ``pieces`` are
    ``(first character, first byte, end byte)`` of each run of text taken from the body
    (indent and the space after a colon are not). ``indent`` characters lead the text.
    """

    text: str
    spans: tuple[tuple[int, int, _TokenType], ...]
    pieces: tuple[tuple[int, int, int], ...]
    indent: int = 0
    continuation: bool = False

    def col_of(self, data: bytes, offset: int) -> int:
        """The character position of body byte ``offset`` in this row's text."""
        pieces = self.pieces
        if not pieces or offset <= pieces[0][1]:
            return pieces[0][0] if pieces else len(self.text)
        i = bisect_right(pieces, offset, key=itemgetter(1)) - 1
        col, first, end = pieces[i]
        if offset >= end:
            return pieces[i + 1][0] if i + 1 < len(pieces) else len(self.text)
        return col + len(data[first:offset].decode("utf-8", "replace"))

    def offset_of(self, data: bytes, col: int) -> int:
        """The body byte offset of character ``col`` of this row's text."""
        pieces = self.pieces
        if not pieces:
            return 0
        i = bisect_right(pieces, col, key=itemgetter(0)) - 1
        if i < 0:
            return pieces[0][1]
        first_col, first, end = pieces[i]
        chars = data[first:end].decode("utf-8", "replace")
        k = col - first_col
        if k >= len(chars):
            return end
        return first + len(chars[:k].encode("utf-8"))


def _decode(data: bytes, a: int, b: int) -> str:
    return data[a:b].decode("utf-8", "replace").translate(_CONTROL)


def render_row(
    data: bytes,
    start: int,
    end: int,
    *,
    depth: int = 0,
    pretty: bool = True,
    in_string: bool = False,
    continuation: bool = False,
    highlight: bool = True,
) -> Row:
    """Display text and highlight spans for the body bytes ``[start, end)``.

    Pretty rows drop the whitespace between tokens, are indented by ``depth`` and get a space
    after each colon; raw rows show the bytes as they are (the line break trimmed).
    ``in_string`` says the row starts inside a string (a continuation of a long one).
    """
    while end > start and data[end - 1] in b"\r\n":
        end -= 1
    raw = data[start:end]
    # Most rows are ASCII without control characters: then bytes are characters, and the
    # text is decoded once instead of token by token.
    simple = raw.isascii() and _CONTROL_BYTES.search(raw) is None
    full = raw.decode("ascii") if simple else ""
    spans: list[tuple[int, int, _TokenType]] = []
    if not highlight or not pretty:
        text = full if simple else _decode(data, start, end)
        if not highlight:
            if text:
                spans.append((0, len(text), TEXT))
        else:
            _raw_spans(data, start=start, end=end, in_string=in_string, simple=simple, spans=spans)
        return Row(text, tuple(spans), ((0, start, end),), continuation=continuation)
    out: list[str] = []
    pieces: list[tuple[int, int, int]] = []
    indent = INDENT * min(depth, MAX_INDENT_LEVELS)
    out.append(indent)
    col = len(indent)
    p = start
    if in_string:
        m = _STR_CONT.match(data, p, end)
        q = m.end() if m else p
        if q > p:
            text = full[p - start : q - start] if simple else _decode(data, p, q)
            spans.append((col, col + len(text), STRING))
            pieces.append((col, p, q))
            out.append(text)
            col += len(text)
            p = q
    last_string = -1  # index in spans of the last string, until something else follows
    for m in _TOKEN.finditer(data, p, end):
        kind = m.lastgroup
        if kind == "w":
            continue
        a, b = m.span()
        text = full[a - start : b - start] if simple else _decode(data, a, b)
        if kind == "p" and text == ":":
            if last_string >= 0:
                s0, s1, _ = spans[last_string]
                spans[last_string] = (s0, s1, KEY)
            spans.append((col, col + 1, PUNCTUATION))
            pieces.append((col, a, b))
            out.append(": ")
            col += 2
            last_string = -1
            continue
        spans.append((col, col + len(text), _KINDS[kind or "e"]))
        last_string = len(spans) - 1 if kind == "s" else -1
        pieces.append((col, a, b))
        out.append(text)
        col += len(text)
    return Row("".join(out), tuple(spans), tuple(pieces), len(indent), continuation)


def _raw_spans(
    data: bytes,
    *,
    start: int,
    end: int,
    in_string: bool,
    simple: bool,
    spans: list[tuple[int, int, _TokenType]],
) -> None:
    """Colour a raw row: token positions in characters of the row as it is."""
    col = 0
    p = start
    if in_string:
        m = _STR_CONT.match(data, p, end)
        q = m.end() if m else p
        if q > p:
            width = q - p if simple else len(data[p:q].decode("utf-8", "replace"))
            spans.append((0, width, STRING))
            col, p = width, q
    last_string = -1
    for m in _TOKEN.finditer(data, p, end):
        kind = m.lastgroup
        a, b = m.span()
        width = b - a if simple else len(data[a:b].decode("utf-8", "replace"))
        if kind != "w":
            if kind == "p" and b - a == 1 and data[a] == 0x3A and last_string >= 0:
                s0, s1, _ = spans[last_string]
                spans[last_string] = (s0, s1, KEY)
            spans.append((col, col + width, _KINDS[kind or "e"]))
            last_string = len(spans) - 1 if kind == "s" else -1
        col += width


def iter_lines(
    index: BodyIndex, pretty: bool, first: int = 0, last: int | None = None
) -> Iterator[str]:
    """The text of rows ``first`` to ``last`` (exclusive) as lines, continuations joined."""
    last = index.row_count(pretty) if last is None else last
    line = ""
    for row in range(first, last):
        r = index.render(pretty, row)
        if r.continuation and row > first:
            line += r.text[r.indent :]
            continue
        if row > first:
            yield line
        line = r.text
    if last > first:
        yield line


def pretty_text(data: bytes, *, row_max: int = ROW_MAX, chunk: int = 65536) -> str:
    """The body re-indented (two spaces), or as it is when it is not JSON."""
    index = BodyIndex(data, row_max=row_max)
    while not index.advance(chunk):
        pass
    return "\n".join(iter_lines(index, True))


# --- search -----------------------------------------------------------------------------------

_PUNCT_SPLIT = re.compile(r"(\s*[{}\[\],:]\s*)")


def needle_pattern(text: str) -> re.Pattern[bytes] | None:
    """A bytes pattern for what the user typed: ASCII case ignored, and whitespace next to
    JSON punctuation optional, so ``"a": 1`` also finds ``"a":1`` in a compact body."""
    if not text:
        return None
    parts = [p for p in _PUNCT_SPLIT.split(text) if p]
    out: list[bytes] = []
    for i, part in enumerate(parts):
        punct = part.strip()
        if punct and len(punct) == 1 and punct in "{}[],:" and _PUNCT_SPLIT.fullmatch(part):
            left = rb"\s*" if i > 0 else b""
            right = rb"\s*" if i < len(parts) - 1 else b""
            out.append(left + re.escape(punct.encode()) + right)
        else:
            out.append(re.escape(part.encode("utf-8")))
    return re.compile(b"".join(out), re.IGNORECASE)


class Finder:
    """All matches of a pattern in a body, found a slice at a time (at most ``limit``)."""

    OVERLAP = 4096  # a match may run this far past a slice's end

    def __init__(self, data: bytes, pattern: re.Pattern[bytes], *, limit: int = 1_000_000):
        self.data = data
        self.pattern = pattern
        self.limit = limit
        self.starts = array("q")
        self.ends = array("q")
        self.pos = 0
        self.done = not data
        self.capped = False

    @property
    def count(self) -> int:
        return len(self.starts)

    def advance(self, max_bytes: int = 1 << 20) -> bool:
        """Search about ``max_bytes`` more; True once the whole body is searched."""
        if self.done:
            return True
        n = len(self.data)
        stop = min(n, self.pos + max_bytes)
        end = min(n, stop + self.OVERLAP)
        nxt = stop
        for m in self.pattern.finditer(self.data, self.pos, end):
            a, b = m.span()
            if a >= stop:
                break
            if b == a:
                continue
            self.starts.append(a)
            self.ends.append(b)
            nxt = max(nxt, b)
            if len(self.starts) >= self.limit:
                self.capped = True
                self.done = True
                return True
        self.pos = nxt
        if self.pos >= n:
            self.done = True
        return self.done

    def run(self) -> Finder:
        while not self.advance(1 << 22):
            pass
        return self

    def index_at_or_after(self, offset: int) -> int:
        """The first match starting at or after ``offset`` (``count`` when there is none)."""
        return bisect_left(self.starts, offset)
