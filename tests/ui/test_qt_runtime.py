"""The Qt runtime the app ships on.

PySide6 6.12.0 on Python 3.11 drops a reference to None each time Qt calls back into Python
through a timer (QTimer.singleShot, which qasync uses for every asyncio callback), until the
process aborts with "none_dealloc". pyproject pins PySide6 below 6.12 on Python < 3.12;
this test fails on such a build.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from PySide6.QtCore import QTimer

CALLS = 2000


def test_timer_callbacks_do_not_leak_none(qtbot: Any) -> None:
    state = {"calls": 0, "before": 0, "after": 0}

    def tick() -> None:
        state["calls"] += 1
        if state["calls"] == 50:  # warmed up
            state["before"] = sys.getrefcount(None)
        if state["calls"] == 50 + CALLS:
            state["after"] = sys.getrefcount(None)
            return
        QTimer.singleShot(0, tick)

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()  # garbage from earlier tests must not be freed in the middle
    try:
        QTimer.singleShot(0, tick)
        qtbot.waitUntil(lambda: state["after"] != 0, timeout=30000)
    finally:
        if was_enabled:
            gc.enable()
    lost = state["before"] - state["after"]
    # An affected build loses one reference per callback (≈ 2,000 here); a healthy one stays
    # within a few dozen. Immortal None (Python 3.12+) reports a constant.
    assert lost < 500, f"None lost {lost} references over {CALLS} timer callbacks"
