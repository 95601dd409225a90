"""The blocked column behind the body viewer's row index: the same answers as one array."""

from __future__ import annotations

import bisect
import random

import pytest

from explorer.core import column
from explorer.core.column import Column


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of four, so a few dozen values cross many block edges.
    monkeypatch.setattr(column, "SHIFT", 2)
    monkeypatch.setattr(column, "BLOCK", 4)
    monkeypatch.setattr(column, "_MASK", 3)


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("seed", range(40))
def test_a_column_answers_as_a_sorted_list_does(seed: int) -> None:
    rng = random.Random(seed)
    values: list[int] = []
    col = Column("I")
    for _ in range(rng.randrange(1, 40)):
        nxt = values[-1] + rng.randrange(0, 3) if values else 0  # increasing, with repeats
        if rng.random() < 0.5:
            col.append(nxt)
            values.append(nxt)
        else:
            more = [nxt + i for i in range(rng.randrange(0, 11))]
            col.extend(more)
            values.extend(more)
        if values and rng.random() < 0.2:
            assert col.pop() == values.pop()
    assert len(col) == len(values) and bool(col) == bool(values)
    assert list(col) == values
    assert [col[i] for i in range(-len(values), len(values))] == values + values
    for probe in range(-1, (values[-1] if values else 0) + 2):
        assert col.bisect_left(probe) == bisect.bisect_left(values, probe)
        assert col.bisect_right(probe) == bisect.bisect_right(values, probe)
    with pytest.raises(IndexError):
        col[len(values)]
    with pytest.raises(IndexError):
        col[-len(values) - 1]


def test_popping_everything_leaves_an_empty_column() -> None:
    col = Column("B", [1, 2, 3])
    assert [col.pop(), col.pop(), col.pop()] == [3, 2, 1]
    assert not col and len(col) == 0 and list(col) == []
    with pytest.raises(IndexError):
        col.pop()
    assert col.bisect_right(5) == 0


def test_a_column_of_a_million_never_holds_a_block_bigger_than_its_size() -> None:
    col = Column("I", range(1_000_000))
    assert len(col) == 1_000_000 and col[-1] == 999_999 and col[column.BLOCK] == column.BLOCK
    assert col.bisect_right(654_321) == 654_322
    assert col.nbytes() < 1_000_000 * 4 * 1.1  # blocks, not one array over-allocated
