"""Status-bar messages, with one policy for how long each stays.

Every passing message in the app goes through :func:`show`: a message stays long enough
to be read (a few seconds plus time for its words), never so long that it hides the next
one. Code that is not a window finds the window it belongs to.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

log = logging.getLogger(__name__)

SHORT_MS = 4_000  # the least any message stays: "Cancelled", "Saved Contacts"
LONG_MS = 20_000  # the most: a path or a reason of several lines stays this long
PER_CHARACTER_MS = 60  # about 200 words a minute


def timeout_for(text: str) -> int:
    """How long ``text`` stays: reading time, between :data:`SHORT_MS` and :data:`LONG_MS`."""
    return max(SHORT_MS, min(LONG_MS, 1_500 + PER_CHARACTER_MS * len(text)))


def window_of(widget: QWidget | None) -> QMainWindow | None:
    """The main window ``widget`` is in, else the active one, else None."""
    if widget is not None:
        top = widget.window()
        while top is not None:
            if isinstance(top, QMainWindow):
                return top
            top = top.parentWidget().window() if top.parentWidget() is not None else None
    active = QApplication.activeWindow()
    if isinstance(active, QMainWindow):
        return active
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow)]
    return windows[0] if windows else None


def show(where: QWidget | None, text: str) -> None:
    """Show ``text`` in the status bar of the window ``where`` is in, for its reading time."""
    window = window_of(where)
    if window is None:
        log.info("%s", text)  # no window yet (or any more): the log still has it
        return
    window.statusBar().showMessage(text, timeout_for(text))
