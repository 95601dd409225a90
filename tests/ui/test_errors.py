"""Errors in one place: an override that raises is survived, logged and said once."""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from explorer.ui import errors
from explorer.ui.errors import guarded


class _Broken(QWidget):
    paints = 0

    @guarded("drawing the broken widget")
    def paintEvent(self, event: QPaintEvent) -> None:
        _Broken.paints += 1
        len(1)  # type: ignore[arg-type]  # the TypeError that segfaults unguarded


def test_a_failing_paint_is_survived_and_said_once(qtbot: Any, caplog: Any) -> None:
    window = QMainWindow()
    window.setCentralWidget(_Broken())
    qtbot.addWidget(window)
    window.show()
    with caplog.at_level(logging.ERROR, logger="explorer.ui.errors"):
        for _ in range(3):
            window.centralWidget().grab()
    assert _Broken.paints >= 3
    assert "drawing the broken widget" in window.statusBar().currentMessage()
    failures = [r for r in caplog.records if "drawing the broken widget failed" in r.message]
    assert len(failures) == 1  # logged with its traceback once, not at every repaint
    assert failures[0].exc_info is not None


def test_a_slot_that_raises_reaches_the_status_bar(qtbot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    previous = sys.excepthook
    errors.install()
    try:
        try:
            {}["uuid"]
        except KeyError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]  # as Qt does for a slot
    finally:
        sys.excepthook = previous
    assert "Something went wrong" in window.statusBar().currentMessage()
