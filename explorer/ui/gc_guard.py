"""Python's cycle collector, run on the GUI thread only.

The collector runs on whichever thread happens to allocate when a threshold is crossed:
the sandbox's server thread, an executor thread, a keyring thread. When a reference cycle
holds a Qt object, collecting it there deletes the C++ object off the GUI thread, and Qt
crashes later, far from the cause. So automatic collection is switched off and this guard
collects, generation by generation as the thresholds say, from a timer on the GUI thread.

A body being parsed makes containers by the million. Walking them costs in proportion to
their number, young and then old: 50-180 ms a young collection and 1.06 s a full one for
a 200 MB page. They are data that lives as long as its page is shown, so while containers
are made in bulk, every ``GROWTH`` of them are collected once and then set aside
(``gc.freeze``), where no collection walks them again. What a user does at a normal pace
is collected as before.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

BULK = 5_000
"""New containers between two checks that mean a page is being built, not a user at work:
a repaint or a small page makes a few hundred, a parse of a big body tens of thousands."""
GROWTH = 40_000
"""Containers made in bulk after which they are collected once and frozen: a full
collection of this many takes 10-20 ms here (a parsed record costs about 0.4 µs)."""


class GcGuard(QObject):
    """Collects garbage from the GUI thread every ``interval_ms`` when it is due.

    Checking often keeps each collection small: a young generation left to grow through a
    busy half second took 30-60 ms to collect."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 50) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self._long_lived = 0  # objects that survived the last full collection
        self._promoted = 0  # at most this many reached the oldest generation since
        self._grown = 0  # about this many containers were made in bulk since the last freeze
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds (as gc itself would)."""
        try:
            count0, count1, count2 = gc.get_count()
            if count0 > BULK:
                self._grown += count0
            if self._grown > GROWTH:
                self._set_aside()
            elif count0 > self.thresholds[0]:
                generation = 0
                if count1 > self.thresholds[1]:
                    generation = 1
                    if count2 > self.thresholds[2] and self._full_is_due():
                        generation = 2
                gc.collect(generation)
                self._collected(generation)
        except Exception:  # a slot Qt calls must not raise
            log.exception("garbage collection failed")

    def _set_aside(self) -> None:
        # First the youngest generation is collected (the newest containers, a few ms; a full
        # collection of all made since the last freeze took 30-45 ms, a stall of its own),
        # then the survivors are frozen. A cycle made in the last moments and already older
        # may be frozen with the page: a little memory, never a crash. JSON values hold no
        # reference cycles, so when the page is dropped reference counting frees them,
        # frozen or not.
        gc.collect(0)
        gc.freeze()
        self._grown = 0
        self._long_lived = 0  # the oldest generation is empty now: a full collection is cheap
        self._promoted = 0

    def _full_is_due(self) -> bool:
        # As CPython itself decides: a full collection walks every live object, so it waits
        # until those that reached the oldest generation since the last one are a quarter
        # of the survivors. Without this, a big page of results held (millions of objects)
        # cost a second-long stall every few hundred milliseconds.
        return self._promoted > self._long_lived // 4

    def _collected(self, generation: int) -> None:
        if generation == 2:
            self._long_lived = len(gc.get_objects(2))
            self._promoted = 0
        elif generation == 1:
            # At most this many objects moved on to the oldest generation.
            self._promoted += self.thresholds[0] * self.thresholds[1]

    @staticmethod
    def settle() -> None:
        """Start-up is over: what is alive now (modules, classes, the window) lives as long
        as the app, so it is moved out of the collector's way (``gc.freeze``). A full
        collection then walks only what was made since, and stays well under the 50 ms a
        frame may take, where walking everything took 60-70 ms."""
        gc.freeze()

    def stop(self) -> None:
        """Hand collection back to Python (at shut-down)."""
        self._timer.stop()
        gc.enable()
