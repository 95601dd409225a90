"""The rate-limit banner: "Rate limit reached: you can send again in 0:42", counting down.

The window owns one banner, so the wait stays visible across endpoint and tab switches; it
is started from a 429's ``Retry-After`` and hides itself when the wait is over. It can count
down on its own (:meth:`RateLimitBanner.start`) or show a wait that
:func:`explorer.core.retry.send_retrying` runs (:meth:`RateLimitBanner.follow` as its
``on_wait``), so the window, fetch-all and the runner show the same countdown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from explorer.core.ratelimit import Countdown, format_wait

log = logging.getLogger(__name__)

STYLE = "background: #fff3e0; color: #e65100; padding: 4px; border-radius: 3px;"


class RateLimitBanner(QWidget):
    """A banner counting down a rate-limit wait, once a second, hidden when idle.

    The seconds come from a monotonic clock, not from counting ticks, so a busy event loop
    cannot make the banner lag behind the server.

    Signals:
        finished(): the wait is over (not emitted after :meth:`stop`).
        remaining_changed(int): whole seconds left, as shown.
    """

    finished = Signal()
    remaining_changed = Signal(int)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        text: str = "Rate limit reached: you can send again in {time}",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("rateLimitBanner")
        self.setAccessibleName("Rate limit")
        self.template = text
        self._clock = clock
        self._countdown: Countdown | None = None
        self._shown = -1
        self.label = QLabel(self)
        self.label.setObjectName("rateLimitText")
        self.label.setStyleSheet(STYLE)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self.hide()

    @property
    def remaining(self) -> int:
        """Whole seconds left (0 when not waiting)."""
        return self._countdown.seconds_left if self._countdown is not None else 0

    @property
    def active(self) -> bool:
        return self._countdown is not None

    def text(self) -> str:
        return self.label.text()

    def start(self, seconds: float) -> None:
        """Show the wait from now (a later 429 replaces an earlier wait)."""
        self._countdown = Countdown(max(0.0, float(seconds)), clock=self._clock)
        self._shown = -1
        self.show()
        self._tick()

    def follow(self, seconds_left: int, reason: str = "") -> None:
        """Show a wait someone else counts down (``on_wait`` of ``send_retrying``).

        ``0`` hides the banner (the request is going again; :attr:`finished` is not
        emitted: whoever waits sends). The reason is the tooltip. A wait that is cancelled
        sends no ``0``: call :meth:`stop` then.
        """
        self._timer.stop()  # the feeder ticks, not this banner
        if seconds_left <= 0:
            self._countdown = None
            self.hide()
            self.remaining_changed.emit(0)
            return
        self._countdown = Countdown(float(seconds_left), clock=self._clock)
        self.label.setText(self.template.format(time=format_wait(seconds_left)))
        self.label.setToolTip(reason)
        self.show()
        if seconds_left != self._shown:
            self._shown = seconds_left
            self.remaining_changed.emit(seconds_left)

    def stop(self) -> None:
        """Hide the banner without emitting :attr:`finished` (e.g. the workspace changed)."""
        self._timer.stop()
        self._countdown = None
        self.hide()

    def finish(self) -> None:
        """The wait is over (whoever keeps the time says so): hide, and say it is finished."""
        if self._countdown is None:
            return
        self._timer.stop()
        self._countdown = None
        self.hide()
        self.remaining_changed.emit(0)
        self.finished.emit()

    def _tick(self) -> None:
        countdown = self._countdown
        if countdown is None:
            return
        left = countdown.seconds_left
        if left <= 0:
            self.finish()
            return
        if left != self._shown:
            self._shown = left
            self.label.setText(self.template.format(time=countdown.text()))
            self.remaining_changed.emit(left)
        # Wake just after the shown second runs out (ticks track the clock, not each other).
        self._timer.start(max(1, int(countdown.until_next_second() * 1000) + 5))
