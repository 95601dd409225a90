"""One way to wait out a 429 and send again, for every part of the app that sends.

The window's auto-retry, fetch-all and the collection runner all do the same thing when the
server says "too many requests": wait as long as it asks (its ``Retry-After``, or
:data:`~explorer.core.client.DEFAULT_RETRY_AFTER` when it says nothing usable), showing the
seconds left, then send the same request again, a bounded number of times. This module is
that, once::

    result = await send_retrying(
        lambda: connection.send(http, connection.request(prepared)),
        policy=RetryPolicy(max_waits=3),   # RetryPolicy(max_waits=0): a 429 is the answer
        on_outcome=show_outcome,           # every answer, each 429 too (history, budget)
        on_wait=banner.follow,             # (seconds_left, reason) once a second, then 0
    )
    result.outcome, result.waits           # the last answer; how many 429s were waited out

- ``send`` is a callable making a *new* send each time (an ``httpx.Request`` with a body
  cannot be sent twice, and a caller may want fresh headers).
- ``on_wait(seconds_left, reason)`` is called when a wait starts and each time the whole
  seconds left change, ending with ``0`` just before the request goes again; ``reason`` is a
  sentence for a person (:meth:`Outcome.wait_advice`). A banner, a progress line and a
  terminal countdown all draw from it.
- Cancelling the task cancels the wait (and the send): ``CancelledError`` propagates, and no
  ``0`` is reported, so a UI clears its countdown in its own cancel path.
- When the policy allows no more waits, or the server asks for longer than
  :attr:`RetryPolicy.max_wait`, the 429 itself is returned (``result.gave_up`` is True);
  what to say about it is the caller's business.

The clock and sleep live in the policy so tests run countdowns without sleeping. No Qt here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.core.ratelimit import Countdown

if TYPE_CHECKING:
    from explorer.core.client import Outcome

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
Send = Callable[[], Awaitable["Outcome"]]
OnWait = Callable[[int, str], None]
"""``(seconds_left, reason)``: a countdown tick of a rate-limit wait (0: the wait is over)."""

DEFAULT_MAX_WAITS = 10
"""429s waited out for one request before the 429 counts as its answer."""


@dataclass(frozen=True)
class RetryPolicy:
    """How a 429 is waited out: how many times, how long at most, on which clock.

    ``max_waits`` None waits as often as the server asks (cancel the task to stop);
    0 never waits. ``max_wait`` (seconds) None waits however long the server asks.
    """

    max_waits: int | None = DEFAULT_MAX_WAITS
    max_wait: float | None = None
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep

    def allows(self, seconds: float, waits: int) -> bool:
        """Whether a wait of ``seconds`` may follow the ``waits`` already waited out."""
        if self.max_waits is not None and waits >= self.max_waits:
            return False
        return self.max_wait is None or seconds <= self.max_wait


NO_RETRY = RetryPolicy(max_waits=0)
"""Send once: a 429 is the answer (the user asked not to wait)."""

AUTO_RETRY = RetryPolicy()
"""The window's auto-retry: wait out up to :data:`DEFAULT_MAX_WAITS` 429s for one send."""


@dataclass(frozen=True)
class Retried:
    """The answer a request got in the end, and what it took.

    ``elapsed`` is the time spent on the requests themselves (waits left out), ``waits``
    how many 429s were waited out on the way.
    """

    outcome: Outcome
    waits: int = 0
    elapsed: float = 0.0

    @property
    def gave_up(self) -> bool:
        """Still a 429: the policy allowed no more waiting (or the wait asked was too long)."""
        return _is_rate_limited(self.outcome)


def wait_seconds(outcome: Outcome) -> float:
    """How long a 429 asks to wait: its ``Retry-After``, else the app's one default.

    The client already applies the default to a missing or garbled header; it is applied
    here again for outcomes made elsewhere. 0 is a wait too: only None is unsaid.
    """
    from explorer.core.client import DEFAULT_RETRY_AFTER

    return DEFAULT_RETRY_AFTER if outcome.retry_after is None else outcome.retry_after


def will_wait(policy: RetryPolicy, outcome: Outcome, waits: int) -> bool:
    """Whether :func:`send_retrying` waits out ``outcome`` after ``waits`` waits (a caller's
    ``on_outcome`` can tell a 429 that will go again from one that is the answer)."""
    return _is_rate_limited(outcome) and policy.allows(wait_seconds(outcome), waits)


async def wait_out(
    seconds: float,
    on_wait: Callable[[int], None] | None = None,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Wait ``seconds``, reporting whole seconds left (``42``, ``41``, …, ``0``) as they change.

    Ticks follow the clock, not each other, so a busy loop cannot make the count drift; the
    first sleep is the fraction (2.5 s reads 3, then 2 half a second later).
    """
    countdown = Countdown(seconds, clock=clock)
    shown = -1
    while not countdown.done:
        left = countdown.seconds_left
        if on_wait is not None and left != shown:
            on_wait(left)
        shown = left
        await sleep(countdown.until_next_second())
    if on_wait is not None:
        on_wait(0)


async def send_retrying(
    send: Send,
    *,
    policy: RetryPolicy = RetryPolicy(),  # frozen: one shared default is safe
    on_outcome: Callable[[Outcome], None] | None = None,
    on_wait: OnWait | None = None,
) -> Retried:
    """Send, and while the answer is a 429 the policy allows waiting for, wait and send again.

    Returns the last answer with the number of waits and the time spent sending. See the
    module docstring for the callbacks and cancellation.
    """
    waits = 0
    elapsed = 0.0
    while True:
        outcome = await send()
        elapsed += outcome.elapsed
        if on_outcome is not None:
            on_outcome(outcome)
        if not will_wait(policy, outcome, waits):
            return Retried(outcome, waits, elapsed)
        seconds = wait_seconds(outcome)
        waits += 1
        reason = outcome.wait_advice()
        log.info("rate limited: waiting %.0f s before sending again (wait %d)", seconds, waits)

        def tick(left: int, reason: str = reason) -> None:
            if on_wait is not None:
                on_wait(left, reason)

        await wait_out(seconds, tick, clock=policy.clock, sleep=policy.sleep)


def _is_rate_limited(outcome: Outcome) -> bool:
    from explorer.core.client import Kind

    return outcome.kind is Kind.RATE_LIMITED
