"""A growing column of numbers kept in blocks of fixed size, for indexes that reach millions.

One ``array`` that grows to tens of megabytes is reallocated again and again as it grows
(by a sixteenth each time), and where the allocator cannot grow it in place, each time is a
copy of the whole array into fresh memory: for a 200 MB body's row index, one append that
copied 36 MB and touched 9,000 new pages held the window 41 ms. A :class:`Column` only ever
adds a block of ``BLOCK`` values, so no append costs more than filling one block. No Qt here.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from itertools import chain
from operator import itemgetter

SHIFT = 16
BLOCK = 1 << SHIFT  # values a block holds: 256 kB of 4-byte offsets
_MASK = BLOCK - 1
_first = itemgetter(0)


class Column:
    """Numbers of one ``array`` typecode: append, extend, index, pop the last, and (kept in
    increasing order by the caller) bisect."""

    __slots__ = ("_blocks", "typecode")

    def __init__(self, typecode: str, values: Iterable[int] = ()) -> None:
        self.typecode = typecode
        self._blocks: list[array[int]] = []  # all full but the last, which is never empty
        self.extend(values)

    def __len__(self) -> int:
        blocks = self._blocks
        return (len(blocks) - 1) * BLOCK + len(blocks[-1]) if blocks else 0

    def __bool__(self) -> bool:
        return bool(self._blocks)

    def __getitem__(self, i: int) -> int:
        if i < 0:
            i += len(self)
            if i < 0:
                raise IndexError("column index out of range")
        try:
            return self._blocks[i >> SHIFT][i & _MASK]
        except IndexError:
            raise IndexError("column index out of range") from None

    def __iter__(self) -> Iterator[int]:
        return chain.from_iterable(self._blocks)

    def append(self, value: int) -> None:
        blocks = self._blocks
        if not blocks or len(blocks[-1]) == BLOCK:
            blocks.append(array(self.typecode))
        blocks[-1].append(value)

    def extend(self, values: Iterable[int]) -> None:
        values = values if isinstance(values, list) else list(values)
        blocks, done, n = self._blocks, 0, len(values)
        while done < n:
            if not blocks or len(blocks[-1]) == BLOCK:
                blocks.append(array(self.typecode))
            last = blocks[-1]
            room = BLOCK - len(last)
            last.fromlist(values if done == 0 and n <= room else values[done : done + room])
            done += room

    def pop(self) -> int:
        """Remove and return the last value."""
        if not self._blocks:
            raise IndexError("pop from an empty column")
        last = self._blocks[-1]
        value = last.pop()
        if not last:
            self._blocks.pop()
        return value

    def bisect_left(self, value: int) -> int:
        """How many values are less than ``value``."""
        blocks = self._blocks
        k = bisect_left(blocks, value, key=_first) - 1  # the last block starting below it
        return 0 if k < 0 else k * BLOCK + bisect_left(blocks[k], value)

    def bisect_right(self, value: int) -> int:
        """How many values are at most ``value``."""
        blocks = self._blocks
        k = bisect_right(blocks, value, key=_first) - 1  # the last block starting at or below
        return 0 if k < 0 else k * BLOCK + bisect_right(blocks[k], value)

    def nbytes(self) -> int:
        """The memory the values take (what each block has allocated)."""
        return sum(b.buffer_info()[1] * b.itemsize for b in self._blocks)
