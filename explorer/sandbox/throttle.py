"""Rate limiting per throttle scope, counted the way Django REST framework counts it.

RapidPro throttles each workspace per scope (``v2``, ``v2.contacts``, ``v2.messages``,
``v2.runs``) with DRF's ``SimpleRateThrottle``: a sliding window of request times. Over the
limit a request gets 429, a ``Retry-After`` header and a body saying when to come back.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$", re.I)
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    """``N`` requests per ``period`` seconds, parsed from text such as ``2500/hour``."""

    requests: int
    period: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        m = _RATE_RE.match(text or "")
        if not m or int(m[1]) < 1:
            raise ValueError(
                f"{text!r} is not a rate: use N/second, N/minute, N/hour or N/day, e.g. 2500/hour"
            )
        return cls(int(m[1]), _PERIODS[m[2][0].lower()])

    def __str__(self) -> str:
        unit = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}[self.period]
        return f"{self.requests}/{unit}"


class Throttle:
    """Sliding-window counters, one per scope; safe to reconfigure from another thread."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._clock = clock
        self._history: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def rate(self) -> Rate:
        return self._rate

    def set_rate(self, rate: Rate) -> None:
        """Use ``rate`` from now on and forget every request counted so far."""
        with self._lock:
            self._rate = rate
            self._history.clear()

    def check(self, scope: str) -> int | None:
        """Count one request in ``scope``: None when allowed, else seconds to wait (>= 1)."""
        with self._lock:
            now = self._clock()
            history = self._history.setdefault(scope, deque())
            # Newest first, as DRF keeps it, so the oldest request is at the right end.
            while history and history[-1] <= now - self._rate.period:
                history.pop()
            if len(history) >= self._rate.requests:
                remaining = self._rate.period - (now - history[-1])
                available = self._rate.requests - len(history) + 1
                wait = remaining / available if available > 0 else remaining
                return max(1, math.ceil(wait))
            history.appendleft(now)
            return None


def throttled_detail(wait: int) -> str:
    """DRF's text for a throttled request."""
    unit = "second" if wait == 1 else "seconds"
    return f"Request was throttled. Expected available in {wait} {unit}."
