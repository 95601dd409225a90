"""Parsing a big JSON body a slice at a time, so the event loop is never held for long.

``json.loads`` of a 200 MB page holds the interpreter for seconds, in any thread (it keeps
the GIL), and first decodes the whole body into one string: with a single emoji in it that
string takes four bytes a character. :class:`SlicedParser` decodes the body a megabyte at a
time and keeps only a window of text; it walks the top two levels itself (the page object
and its ``results`` list) and hands each value below to the C scanner, which is quick on
one record. It also gathers the keys of a page's ``results`` (a results table's columns),
which for a million records is itself a stall. :func:`parse_sliced` runs it on the running
loop, yielding between slices. Nesting deeper than Python can parse is reported as an
error, never raised. No Qt here.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import re
import time
from collections.abc import Generator, Iterator
from typing import Any

SLICE_S = 0.005  # work per loop turn
DECODE_STEP = 1 << 18
"""Bytes of UTF-8 decoded at a time. A megabyte made two fresh 4 MB strings a piece (the
piece and the window it joins), whose 2,000+ page faults cost 20-30 ms of kernel time in
one slice; a quarter of that keeps every slice near its budget."""
WALK_DEPTH = 2  # containers walked element by element; deeper values go to the C scanner
YIELD_EVERY = 256  # elements between two chances to stop
TOO_DEEP = "the body nests JSON too deeply to read"

_WS = re.compile(r"[ \t\n\r]*")
_scan_once = json.JSONDecoder().scan_once
_Steps = Generator[None, None, Any]


class _Bad(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class SlicedParser:
    """``advance(seconds)`` until it returns True; then ``value`` or ``error`` is set."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.value: Any = None
        self.error: str | None = None
        self.record_keys: tuple[str, ...] | None = None  # keys of ``results``, first seen first
        self.done = False
        self._pieces = _decoded(data)
        self._text = ""  # the window of decoded text still needed
        self._pos = 0  # where the walk is in the window
        self._dropped = 0  # characters before the window (for error positions)
        self._final = False  # the window reaches the end of the body
        self._steps = self._run()

    def advance(self, seconds: float = SLICE_S) -> bool:
        """Work for about ``seconds``; True once the body is parsed (or found bad)."""
        deadline = time.perf_counter() + seconds
        while not self.done:
            try:
                next(self._steps)
            except StopIteration:
                self.done = True
                break
            if time.perf_counter() >= deadline:
                break
        return self.done

    # --- the window of text ---------------------------------------------------------------

    def _fill(self, *, grow: bool = False) -> bool:
        """More text after the window, dropping what was walked; False at the end.

        ``grow`` at least doubles the window: one value that spans many pieces is then
        rescanned a few times, not once per piece.
        """
        wanted = max(1, len(self._text) - self._pos) if grow else 1
        added: list[str] = []
        size = 0
        for piece in self._pieces:
            added.append(piece)
            size += len(piece)
            if size >= wanted:
                break
        else:
            self._final = True
        if not added:
            return False
        self._dropped += self._pos
        self._text = self._text[self._pos :] + "".join(added)
        self._pos = 0
        return True

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end of the body)."""
        while True:
            self._pos = _WS.match(self._text, self._pos).end()
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._fill():
                return ""

    def _scan(self) -> Any:
        """One value, whole, by the C scanner (widening the window until it fits)."""
        self._peek()
        while True:
            try:
                value, end = _scan_once(self._text, self._pos)
            except (StopIteration, json.JSONDecodeError) as exc:
                if self._final or not self._fill(grow=True):
                    raise _Bad(_why(exc)) from None
                continue
            if end == len(self._text) and not self._final and self._fill(grow=True):
                continue  # a number cut at the window's end would read short
            self._pos = end
            return value

    def _expect(self, char: str, what: str) -> None:
        if self._peek() != char:
            raise _Bad(f"expecting {what}")
        self._pos += 1

    def _bad(self, why: str) -> str:
        return f"the body is not valid JSON ({why}: char {self._dropped + self._pos:,})"

    # --- the walk ---------------------------------------------------------------------------

    def _run(self) -> Generator[None, None, None]:
        try:
            value = yield from self._value(0)
            if self._peek() != "":
                raise _Bad("extra data after the JSON value")
            self.value = value
            yield from self._gather_keys(value)
        except _Bad as bad:
            self.error = self._bad(bad.why)
        except UnicodeDecodeError:
            self.error = "the body is not valid JSON (it is not UTF-8 text)"
        except RecursionError:
            self.error = TOO_DEEP

    def _value(self, depth: int) -> _Steps:
        char = self._peek()
        if depth < WALK_DEPTH and char == "[":
            return (yield from self._array(depth))
        if depth < WALK_DEPTH and char == "{":
            return (yield from self._object(depth))
        return self._scan()

    def _array(self, depth: int) -> _Steps:
        out: list[Any] = []
        if self._opened("]"):
            return out
        while True:
            if depth + 1 < WALK_DEPTH:
                out.append((yield from self._value(depth + 1)))
            else:  # a page's records: one scanner call each
                out.append(self._scan())
            if len(out) % YIELD_EVERY == 0:
                yield
            if self._closed("]"):
                return out

    def _object(self, depth: int) -> _Steps:
        out: dict[str, Any] = {}
        if self._opened("}"):
            return out
        while True:
            if self._peek() != '"':
                raise _Bad("expecting property name enclosed in double quotes")
            key = self._scan()
            self._expect(":", "':' delimiter")
            out[key] = yield from self._value(depth + 1)
            if len(out) % YIELD_EVERY == 0:
                yield
            if self._closed("}"):
                return out

    def _opened(self, close: str) -> bool:
        """Past a container's opening bracket: True when it is empty (and closed too)."""
        self._pos += 1
        if self._peek() != close:
            return False
        self._pos += 1
        return True

    def _closed(self, close: str) -> bool:
        """After an element: True past the closing bracket, False past a comma."""
        char = self._peek()
        if char not in (close, ","):
            raise _Bad("expecting ',' delimiter")
        self._pos += 1
        return char == close

    def _gather_keys(self, value: Any) -> Generator[None, None, None]:
        records = value.get("results") if isinstance(value, dict) else None
        if not isinstance(records, list):
            return
        present: dict[str, None] = {}
        for start in range(0, len(records), 4096):
            for record in records[start : start + 4096]:
                if isinstance(record, dict):
                    present.update(dict.fromkeys(record))
                else:
                    present.setdefault("value", None)  # as a results table names them
            yield
        self.record_keys = tuple(present)


def _decoded(data: bytes) -> Iterator[str]:
    # utf-8-sig: json.loads accepts a leading byte-order mark on bytes, so this does too.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    view = memoryview(data)
    for start in range(0, len(data), DECODE_STEP):
        end = start + DECODE_STEP
        yield decoder.decode(view[start:end], final=end >= len(data))


def _why(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg.lower()
    return "expecting a value"


async def parse_sliced(data: bytes, *, seconds: float = SLICE_S) -> SlicedParser:
    """``data`` parsed on the running loop, a slice at a time (see the parser's fields)."""
    parser = SlicedParser(data)
    while not parser.advance(seconds):
        await asyncio.sleep(0)
    return parser
