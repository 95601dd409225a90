"""Rate limits as a person sees them: how much of the hour's budget is used, how long to wait.

:class:`BudgetMeter` counts the requests a workspace sent in the last rolling hour, per
throttle scope as RapidPro counts them, against the workspace's limit. :class:`Countdown` is
a wait started from a 429's ``Retry-After``. Both take an injectable monotonic clock so tests
need no sleeps. No Qt here: the widgets in ``explorer.ui`` present these models.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.core.catalog import DOCUMENTED_RATE_LIMIT, catalog

if TYPE_CHECKING:
    from explorer.core.client import Outcome

Clock = Callable[[], float]

WINDOW = 3600.0  # seconds: RapidPro's limits are per hour
WARN_AT = 0.8  # share of the limit past which the meter warns
DEFAULT_SCOPE = "v2"

# Statuses the server answers before its throttle counts the request (Django REST framework
# authenticates and checks permissions first) or because the throttle refused it.
_NOT_COUNTED = frozenset({401, 403, 429})

SCOPE_NAMES = {
    "v2": "API",
    "v2.contacts": "Contacts",
    "v2.messages": "Messages",
    "v2.runs": "Runs",
}
"""What each throttle scope is called on screen: ``v2`` covers every endpoint but
contacts, messages and runs, which RapidPro counts apart."""


def scope_name(scope: str | None) -> str:
    """``v2.contacts`` → ``Contacts`` (the general ``v2`` scope when None)."""
    scope = scope or DEFAULT_SCOPE
    return SCOPE_NAMES.get(scope, scope)


@dataclass(frozen=True)
class EarlyRefusal:
    """The server answered 429 while the meter counted fewer requests than the limit.

    ``used`` is how many this app had sent in ``scope`` in the hour before (``at``, on the
    meter's clock): the server's own limit is at most that, or other apps share the budget.
    """

    scope: str
    used: int
    at: float

    @property
    def suggested_limit(self) -> int | None:
        """The hourly limit the server behaved as if it had (None: it refused the first)."""
        return self.used if self.used >= 1 else None


def format_wait(seconds: float, *, round_up: bool = True) -> str:
    """``42`` → ``0:42``, ``125`` → ``2:05``, ``3725`` → ``1:02:05``.

    Waits round up (0.2 s left still reads ``0:01``); ``round_up=False`` suits time spent.
    """
    total = max(0, math.ceil(seconds - 1e-9) if round_up else math.floor(seconds + 1e-9))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def scope_of(outcome: Outcome) -> str | None:
    """The throttle scope an outcome's request counted in, or None when it did not count.

    Requests that got no response, an authentication or permission refusal, a 429, or that
    went to a path outside the API are not counted by the server, so not here either.
    """
    if outcome.status is None or outcome.status in _NOT_COUNTED:
        return None
    return _path_scope(outcome)


def _path_scope(outcome: Outcome) -> str | None:
    endpoint = catalog().by_path(outcome.request.url.path)
    return endpoint.throttle_scope if endpoint is not None else None


class BudgetMeter:
    """Requests sent in the last rolling hour, per throttle scope, against a per-hour limit.

    RapidPro counts each scope (``v2``, ``v2.contacts``, ``v2.messages``, ``v2.runs``) on its
    own, each against the same limit, so the meter reports the fullest scope: that is the
    one that will be refused first. Memory is bounded by the requests of one hour.
    """

    def __init__(
        self,
        limit: int = DOCUMENTED_RATE_LIMIT,
        *,
        warn_at: float = WARN_AT,
        window: float = WINDOW,
        clock: Clock = time.monotonic,
    ) -> None:
        self._limit = _checked_limit(limit)
        if not 0 < warn_at <= 1:
            raise ValueError("warn_at is a share of the limit, between 0 and 1")
        self.warn_at = warn_at
        self.window = window
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._refusal: EarlyRefusal | None = None

    # --- counting ---------------------------------------------------------------------------

    def record(self, scope: str = DEFAULT_SCOPE, *, at: float | None = None) -> None:
        """Count one request in ``scope`` (now, unless ``at`` says when)."""
        self._sent.setdefault(scope, deque()).append(self._clock() if at is None else at)

    def record_outcome(self, outcome: Outcome) -> bool:
        """Count ``outcome``'s request if the server counted it, or note a 429 that came
        before the limit; True when what the meter shows changed."""
        if outcome.status == 429:
            return self._refused(outcome)
        scope = scope_of(outcome)
        if scope is None:
            return False
        self.record(scope)
        return True

    def _refused(self, outcome: Outcome) -> bool:
        scope = _path_scope(outcome)
        if scope is None:
            return False
        used = self.used(scope)
        if used >= self._limit:
            return False  # refused where the meter expected it: nothing to say
        self._refusal = EarlyRefusal(scope, used, self._clock())
        return True

    def reset(self) -> None:
        self._sent.clear()
        self._refusal = None

    # --- reading ----------------------------------------------------------------------------

    @property
    def limit(self) -> int:
        """Requests allowed per hour in each scope (editable: workspaces may have their own)."""
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        new = _checked_limit(value)
        if new != self._limit:
            self._refusal = None  # said against the old limit
        self._limit = new

    @property
    def early_refusal(self) -> EarlyRefusal | None:
        """The last 429 that came below the limit, within the hour; None if there was none."""
        refusal = self._refusal
        if refusal is not None and refusal.at <= self._clock() - self.window:
            self._refusal = refusal = None
        return refusal

    def used(self, scope: str | None = None) -> int:
        """Requests in the last hour in ``scope``, or in the fullest scope when None."""
        self._prune()
        if scope is not None:
            return len(self._sent.get(scope, ()))
        return max((len(q) for q in self._sent.values()), default=0)

    def by_scope(self) -> dict[str, int]:
        """Requests in the last hour for every scope used, fullest first."""
        self._prune()
        counts = {s: len(q) for s, q in self._sent.items() if q}
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def busiest_scope(self) -> str | None:
        scopes = self.by_scope()
        return next(iter(scopes), None)

    @property
    def remaining(self) -> int:
        return max(0, self._limit - self.used())

    @property
    def fraction(self) -> float:
        """Share of the limit used in the fullest scope (can pass 1 if the limit is set low)."""
        return self.used() / self._limit

    @property
    def warning(self) -> bool:
        """Whether the fullest scope is past the warning share of the limit."""
        return self.used() >= self.warn_at * self._limit

    @property
    def exhausted(self) -> bool:
        return self.used() >= self._limit

    def seconds_until_free(self, scope: str | None = None) -> float:
        """How long until one more request fits in ``scope`` (the fullest when None); 0 if now."""
        self._prune()
        if scope is None:
            scope = self.busiest_scope
        queue = self._sent.get(scope or "", deque())
        if len(queue) < self._limit:
            return 0.0
        # The request that must age out is the one ``limit`` places from the newest.
        oldest_needed = queue[len(queue) - self._limit]
        return max(0.0, oldest_needed + self.window - self._clock())

    @property
    def shown_scope(self) -> str:
        """The scope the meter reports: one the server refused early, else the fullest."""
        refusal = self.early_refusal
        if refusal is not None:
            return refusal.scope
        return self.busiest_scope or DEFAULT_SCOPE

    def text(self) -> str:
        """``Contacts: 312 / 2,500 this hour``, and ``· refused at 2`` after an early 429."""
        scope = self.shown_scope
        text = f"{scope_name(scope)}: {self.used(scope):,} / {self._limit:,} this hour"
        refusal = self.early_refusal
        return text if refusal is None else f"{text} · server refused at {refusal.used:,}"

    def _prune(self) -> None:
        horizon = self._clock() - self.window
        for queue in self._sent.values():
            while queue and queue[0] <= horizon:
                queue.popleft()


class BudgetMeters:
    """One :class:`BudgetMeter` per workspace, by name, kept while the app runs."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._meters: dict[str, BudgetMeter] = {}

    def for_workspace(self, name: str, limit: int | None = None) -> BudgetMeter:
        """The meter of workspace ``name``; ``limit`` (when given) updates its limit."""
        meter = self._meters.get(name)
        if meter is None:
            meter = BudgetMeter(limit or DOCUMENTED_RATE_LIMIT, clock=self._clock)
            self._meters[name] = meter
        elif limit is not None:
            meter.limit = limit
        return meter


class Countdown:
    """A wait that started from a ``Retry-After``: seconds left, ``0:42``, done."""

    def __init__(self, seconds: float, *, clock: Clock = time.monotonic) -> None:
        if not math.isfinite(seconds):
            raise ValueError("a countdown needs a finite number of seconds")
        self._clock = clock
        self.total = max(0.0, float(seconds))
        self._end = clock() + self.total

    @property
    def remaining(self) -> float:
        """Seconds left, never below 0."""
        return max(0.0, self._end - self._clock())

    @property
    def seconds_left(self) -> int:
        """Whole seconds left, rounded up (a wait of 0.2 s still shows ``0:01``)."""
        return math.ceil(self.remaining - 1e-9)

    @property
    def done(self) -> bool:
        return self.remaining <= 0

    def text(self) -> str:
        return format_wait(self.remaining)

    def until_next_second(self) -> float:
        """Seconds until :attr:`seconds_left` next changes (for timers that tick on it)."""
        left = self.remaining
        if left <= 0:
            return 0.0
        return left - (math.ceil(left - 1e-9) - 1)


def _checked_limit(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("a rate limit is a whole number of requests per hour, at least 1")
    return value
