"""The garbage-collection guard: cycles freed on the GUI thread only, start-up set aside."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from explorer.ui.gc_guard import GcGuard


class Node:
    """A reference cycle that records the thread it is freed on."""

    freed_on: list[int] = []  # noqa: RUF012 - shared record, reset by each test

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Node.freed_on.append(threading.get_ident())


def guard(qapp: Any) -> GcGuard:
    found = qapp.findChild(GcGuard)  # the one the test session runs, as the app does
    assert found is not None
    return found


def test_a_cycle_is_freed_on_the_gui_thread_not_where_memory_was_allocated(
    qapp: Any, qtbot: Any
) -> None:
    guard(qapp)
    Node.freed_on = []
    Node()  # garbage at once, but only a collection can free it
    # A worker allocates far past the collection threshold (and keeps what it made, so the
    # count stays up): nothing is collected there.
    made: list[list[object]] = []
    worker = threading.Thread(target=lambda: made.extend([] for _ in range(50_000)))
    worker.start()
    worker.join()
    assert Node.freed_on == []
    qtbot.waitUntil(lambda: Node.freed_on != [], timeout=5000)
    assert Node.freed_on == [threading.get_ident()]  # the GUI thread's


def test_settled_objects_are_left_out_but_new_garbage_is_still_freed(qapp: Any) -> None:
    before = gc.get_freeze_count()
    kept = [[i] for i in range(1000)]  # alive at start-up: set aside by settle()
    guard(qapp).settle()
    try:
        assert gc.get_freeze_count() >= before + len(kept)
        Node.freed_on = []
        node = Node()
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None and Node.freed_on == [threading.get_ident()]
    finally:
        gc.unfreeze()  # the rest of the session collects as before


def test_a_big_live_page_is_not_walked_by_a_full_collection_each_time(qapp: Any) -> None:
    """Millions of parsed records alive: full collections wait, as CPython's own would."""
    watched = GcGuard()
    watched._timer.stop()  # driven by hand here
    collected: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collected.append(info["generation"])

    page = [[i] for i in range(1_000_000)]  # a big page of results, held by the window
    gc.collect()  # the page now sits in the oldest generation
    watched._collected(2)
    gc.callbacks.append(note)
    try:
        while collected.count(1) < 25:  # past the 10 after which gc.collect(2) was due
            junk = [[j] for j in range(watched.thresholds[0] + 100)]
            watched.check()
            del junk
    finally:
        gc.callbacks.remove(note)
        watched.deleteLater()
    assert gc.get_count()[2] > watched.thresholds[2]  # a plain count would collect all now
    assert 2 not in collected  # but the million lists are not walked again and again
    assert len(page) == 1_000_000


def test_a_page_being_built_is_set_aside_and_freed_when_dropped(qapp: Any) -> None:
    """A parse makes containers in bulk: they are frozen (never walked), yet freed with the
    page, and garbage made afterwards is still collected."""
    watched = GcGuard()
    watched._timer.stop()  # driven by hand here
    before = gc.get_freeze_count()
    try:
        page = [{"i": [i]} for i in range(100_000)]  # a page parsed since the last check
        watched.check()
        frozen = gc.get_freeze_count()
        assert frozen >= before + 200_000  # its dicts and lists are out of the walk
        del page  # the next response replaces it
        assert gc.get_freeze_count() <= frozen - 200_000  # freed by reference counting
        Node.freed_on = []
        Node()
        gc.collect()
        assert Node.freed_on == [threading.get_ident()]
    finally:
        watched.deleteLater()
        gc.unfreeze()  # the rest of the session collects as before
