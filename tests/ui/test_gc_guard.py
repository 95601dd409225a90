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
