"""A clear ring around whichever control has keyboard focus, in light and dark palettes.

Qt's Fusion style marks focus with a faint tint that is easy to lose on a busy screen (and
on some controls, such as tab bars, tables and text areas, barely at all). One frame, drawn
just outside the focused control in the palette's highlight colour, shows where typing and
Space will go on every kind of widget alike.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QApplication, QFocusFrame, QMenu, QMenuBar, QWidget

from explorer.ui.errors import guarded

log = logging.getLogger(__name__)

RING_WIDTH = 2.0
_RESTACKED = (QEvent.Type.ZOrderChange, QEvent.Type.Show, QEvent.Type.ParentChange)
MIN_LIGHTNESS_GAP = 90  # below this the highlight is pushed away from the background


def ring_colour(palette: QPalette) -> QColor:
    """The palette's highlight, made lighter or darker when it is too close to the window
    background to stand out (some dark palettes pair a dark blue with a near-black window)."""
    colour = QColor(palette.color(QPalette.ColorRole.Highlight))
    background = palette.color(QPalette.ColorRole.Window).lightness()
    dark = background < 128
    for _ in range(4):
        if abs(colour.lightness() - background) >= MIN_LIGHTNESS_GAP:
            break
        colour = colour.lighter(140) if dark else colour.darker(140)
    return colour


class FocusRing(QFocusFrame):
    """The frame around the focused widget (QFocusFrame keeps it on the widget's geometry).

    Drawn above the widget: Fusion stacks a focus frame under it, where an opaque button
    hides it.
    """

    @guarded("following the focused widget", False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        handled = super().eventFilter(watched, event)
        if watched is self.widget() and event.type() in _RESTACKED:
            self.raise_()
        return handled

    @guarded("drawing the focus ring")
    def paintEvent(self, event: QPaintEvent) -> None:
        target = self.widget()
        if target is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(ring_colour(target.palette()), RING_WIDTH)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        inset = RING_WIDTH / 2
        ring = QRectF(self.rect()).adjusted(inset, inset, -inset, -inset)
        painter.drawRoundedRect(ring, 3, 3)
        painter.end()


class FocusRingFollower(QObject):
    """Moves one :class:`FocusRing` to each widget that takes focus, application-wide."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.ring: FocusRing | None = None
        self._active = True
        app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if not self._active:
            return
        try:
            if not _wants_ring(new):
                if self.ring is not None:
                    self.ring.setWidget(None)
                return
            if self.ring is None:
                self.ring = FocusRing()
                self.ring.setObjectName("focusRing")
                # It lives among the focused widget's siblings, and goes when they go.
                self.ring.destroyed.connect(self._ring_gone)
            self.ring.setWidget(new)
            self.ring.raise_()
        except Exception:
            log.exception("moving the focus ring failed")

    def stop(self) -> None:
        """Show no ring from now on (the ring goes with it)."""
        self._active = False
        self.setParent(None)  # follow_focus() makes a new one after this
        if self.ring is not None:
            self.ring.setWidget(None)
            self.ring.deleteLater()
            self.ring = None

    def _ring_gone(self) -> None:
        self.ring = None


def _wants_ring(widget: QWidget | None) -> bool:
    if widget is None or widget.isWindow() or isinstance(widget, QMenu | QMenuBar):
        return False
    # A popup (a combo box's list, a completer) shows its own current item.
    return widget.window().windowType() != Qt.WindowType.Popup


def follow_focus(app: QApplication) -> FocusRingFollower:
    """Show the focus ring in every window of ``app`` from now on."""
    existing = app.findChild(FocusRingFollower)
    return existing if existing is not None else FocusRingFollower(app)
