"""Parsing a big JSON body a slice at a time, so the event loop is never held for long.

``json.loads`` of a 200 MB page holds the interpreter for most of a second, in any thread
(it keeps the GIL). :class:`SlicedParser` decodes the text in pieces, then walks the top
two levels itself (the page object, and its ``results`` list) and hands each element below
to the C scanner, which is quick on one small record. It also gathers the keys of a
page's ``results`` (a results table's columns), which for a million records is itself a
stall. :func:`parse_sliced` runs it on the running loop, yielding between slices.
Nesting deeper than Python can parse is reported as an error, never raised. No Qt here.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import re
import time
from collections.abc import Generator
from typing import Any

SLICE_S = 0.005  # work per loop turn
DECODE_STEP = 4 << 20  # bytes of UTF-8 decoded per step
WALK_DEPTH = 2  # containers walked element by element; deeper values go to the C scanner
TOO_DEEP = "the body nests JSON too deeply to read"

_WS = re.compile(r"[ \t\n\r]*")
_scan = json.JSONDecoder().scan_once
_Steps = Generator[None, None, tuple[Any, int]]


class _Bad(Exception):
    def __init__(self, why: str, pos: int) -> None:
        super().__init__(why)
        self.why = why
        self.pos = pos


class SlicedParser:
    """``advance(seconds)`` until it returns True; then ``value`` or ``error`` is set."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.value: Any = None
        self.error: str | None = None
        self.record_keys: tuple[str, ...] | None = None  # keys of ``results``, in first-seen order
        self.done = False
        self._steps = self._run()

    def advance(self, seconds: float = SLICE_S) -> bool:
        """Work for about ``seconds``; True once the body is parsed (or found bad)."""
        deadline = time.perf_counter() + seconds
        n = 0
        while not self.done:
            try:
                next(self._steps)
            except StopIteration:
                self.done = True
                break
            n += 1
            if time.perf_counter() >= deadline:
                break
        return self.done

    def _run(self) -> Generator[None, None, None]:
        try:
            text = yield from _decode(self.data)
            value, end = yield from _value(text, _WS.match(text, 0).end(), 0)
            if _WS.match(text, end).end() != len(text):
                raise _Bad("extra data after the JSON value", end)
            self.value = value
            yield from self._gather_keys(value)
        except _Bad as bad:
            self.error = f"the body is not valid JSON ({bad.why}: char {bad.pos:,})"
        except UnicodeDecodeError:
            self.error = "the body is not valid JSON (it is not UTF-8 text)"
        except RecursionError:
            self.error = TOO_DEEP


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


def _decode(data: bytes) -> Generator[None, None, str]:
    # utf-8-sig: json.loads accepts a leading byte-order mark on bytes, so this does too.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pieces = []
    for start in range(0, len(data), DECODE_STEP):
        end = start + DECODE_STEP
        pieces.append(decoder.decode(data[start:end], final=end >= len(data)))
        yield
    return "".join(pieces)


def _value(text: str, pos: int, depth: int) -> _Steps:
    char = text[pos : pos + 1]
    if depth < WALK_DEPTH and char == "[":
        return (yield from _array(text, pos, depth))
    if depth < WALK_DEPTH and char == "{":
        return (yield from _object(text, pos, depth))
    return _scan_one(text, pos)


def _scan_one(text: str, pos: int) -> tuple[Any, int]:
    try:
        return _scan(text, pos)
    except StopIteration:
        raise _Bad("expecting a value", pos) from None
    except json.JSONDecodeError as exc:
        raise _Bad(exc.msg.lower(), exc.pos) from None


def _array(text: str, pos: int, depth: int) -> _Steps:
    out: list[Any] = []
    pos = _WS.match(text, pos + 1).end()
    if text[pos : pos + 1] == "]":
        return out, pos + 1
    n = 0
    while True:
        if depth + 1 < WALK_DEPTH:
            value, pos = yield from _value(text, pos, depth + 1)
        else:  # a page's records: scanned in a tight loop
            value, pos = _scan_one(text, pos)
        out.append(value)
        n += 1
        if n % 256 == 0:
            yield
        pos = _WS.match(text, pos).end()
        char = text[pos : pos + 1]
        if char == "]":
            return out, pos + 1
        if char != ",":
            raise _Bad("expecting ',' delimiter", pos)
        pos = _WS.match(text, pos + 1).end()


def _object(text: str, pos: int, depth: int) -> _Steps:
    out: dict[str, Any] = {}
    pos = _WS.match(text, pos + 1).end()
    if text[pos : pos + 1] == "}":
        return out, pos + 1
    while True:
        if text[pos : pos + 1] != '"':
            raise _Bad("expecting property name enclosed in double quotes", pos)
        key, pos = yield from _value(text, pos, WALK_DEPTH)
        pos = _WS.match(text, pos).end()
        if text[pos : pos + 1] != ":":
            raise _Bad("expecting ':' delimiter", pos)
        value, pos = yield from _value(text, _WS.match(text, pos + 1).end(), depth + 1)
        out[key] = value
        if len(out) % 256 == 0:
            yield
        pos = _WS.match(text, pos).end()
        char = text[pos : pos + 1]
        if char == "}":
            return out, pos + 1
        if char != ",":
            raise _Bad("expecting ',' delimiter", pos)
        pos = _WS.match(text, pos + 1).end()


async def parse_sliced(data: bytes, *, seconds: float = SLICE_S) -> SlicedParser:
    """``data`` parsed on the running loop, a slice at a time (see the parser's fields)."""
    parser = SlicedParser(data)
    while not parser.advance(seconds):
        await asyncio.sleep(0)
    return parser
