"""Inflating a compressed body with a ceiling counted on the inflated bytes.

A small gzip body can inflate a thousand times over (a "gzip bomb"): the size limit has to
apply to what comes out, and no single step may produce more than the room left. The work
is plain zlib, which releases the GIL, so callers run :meth:`BoundedInflater.feed` in a
worker thread and the event loop keeps turning.
"""

from __future__ import annotations

import zlib

# The encodings inflated here; anything else is left to httpx's own decoders.
ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
_AUTO_HEADER = 32 + zlib.MAX_WBITS  # gzip or zlib header, whichever is there
_RAW_DEFLATE = -zlib.MAX_WBITS  # some servers send "deflate" without the zlib header
STEP = 4 << 20  # most bytes inflated by one call


class InflateTooLarge(Exception):
    """More would come out than the limit allows; what was inflated so far is dropped."""


class InflateError(Exception):
    """The body is not valid data in the encoding it claims."""


class BoundedInflater:
    """Turns compressed chunks into bytes, never holding more than ``limit`` inflated bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.size = 0
        self._started = False
        self._z = zlib.decompressobj(_AUTO_HEADER)

    def feed(self, data: bytes) -> list[bytes]:
        """The bytes ``data`` inflates to, in pieces of a few MB (joining them would hold the
        GIL for a while). Raises :class:`InflateTooLarge` past the limit."""
        if not data or self._z.eof:
            return []
        try:
            out = self._inflate(data)
        except zlib.error as exc:
            raise InflateError(f"the {self.encoding} data is damaged ({exc})") from None
        self._started = True
        return out

    def _inflate(self, data: bytes) -> list[bytes]:
        try:
            return self._inflate_all(data)
        except zlib.error:
            if self._started or self.encoding != "deflate" or self.size:
                raise
            self._z = zlib.decompressobj(_RAW_DEFLATE)
            return self._inflate_all(data)

    def _inflate_all(self, data: bytes) -> list[bytes]:
        parts = []
        while data and not self._z.eof:
            room = self.limit - self.size
            # At most one byte over the room (enough to know the limit is passed), and a few
            # MB a call: zlib inflates without the GIL but hands its output over with it.
            out = self._z.decompress(data, min(room + 1, STEP))
            if len(out) > room:
                raise InflateTooLarge
            self.size += len(out)
            parts.append(out)
            data = self._z.unconsumed_tail
        return parts
