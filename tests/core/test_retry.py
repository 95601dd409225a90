"""The one way to wait out a 429 and send again, against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from explorer.core.client import DEFAULT_RETRY_AFTER, Kind, Outcome
from explorer.core.connection import Connection
from explorer.core.request import Draft, prepare
from explorer.core.retry import (
    NO_RETRY,
    Retried,
    RetryPolicy,
    send_retrying,
    wait_out,
    wait_seconds,
)

Aio = Callable[[Any], Any]


class FakeTime:
    """A clock that moves only when slept on: countdowns run at once, every tick still seen."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def policy(self, **kw: Any) -> RetryPolicy:
        return RetryPolicy(clock=self.clock, sleep=self.sleep, **kw)


def connection(server: Any) -> Connection:
    return Connection("Sandbox", server.base_url, server.token, is_sandbox=True)


def contacts(
    aio: Aio,
    server: Any,
    policy: RetryPolicy,
    on_wait: Callable[[int, str], None] | None = None,
) -> tuple[Retried, list[Outcome]]:
    """Send GET workspace through send_retrying; every answer on the way, in order."""
    conn = connection(server)
    prepared = prepare(Draft("workspace"))
    answers: list[Outcome] = []

    async def go() -> Retried:
        async with httpx.AsyncClient() as http:
            return await send_retrying(
                lambda: conn.send(http, conn.request(prepared)),
                policy=policy,
                on_outcome=answers.append,
                on_wait=on_wait,
            )

    return aio(go()), answers


def test_a_429_is_waited_out_with_a_countdown_then_the_request_goes_again(
    aio: Aio, fresh_sandbox: Any
) -> None:
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 3
    time = FakeTime()
    ticks: list[tuple[int, str]] = []

    def on_wait(left: int, reason: str) -> None:
        ticks.append((left, reason))
        fresh_sandbox.faults.throttle_storm = False  # the server lets up during the wait

    result, answers = contacts(aio, fresh_sandbox, time.policy(), on_wait)
    assert [a.status for a in answers] == [429, 200]
    assert result.outcome.ok and result.outcome.json["name"]
    assert result.waits == 1 and not result.gave_up
    # The countdown starts from the server's Retry-After and ends at 0, once a second.
    assert [left for left, _ in ticks] == [3, 2, 1, 0]
    assert {reason for _, reason in ticks} == {"The server asks to wait 0:03."}
    assert time.slept == [1.0, 1.0, 1.0]


def test_a_server_that_never_lets_up_is_asked_a_bounded_number_of_times(
    aio: Aio, fresh_sandbox: Any
) -> None:
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 2
    result, answers = contacts(aio, fresh_sandbox, FakeTime().policy(max_waits=2))
    assert [a.status for a in answers] == [429, 429, 429]
    assert result.gave_up and result.waits == 2 and result.outcome.status == 429
    assert result.elapsed == pytest.approx(sum(a.elapsed for a in answers))


def test_no_retry_and_a_wait_too_long_return_the_429_at_once(aio: Aio, fresh_sandbox: Any) -> None:
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 120
    ticks: list[int] = []
    for policy in (NO_RETRY, FakeTime().policy(max_wait=60)):
        result, answers = contacts(aio, fresh_sandbox, policy, lambda s, _r: ticks.append(s))
        assert len(answers) == 1 and result.gave_up and result.waits == 0
        assert wait_seconds(result.outcome) == 120
    assert ticks == []


def test_cancelling_the_task_cancels_the_wait(aio: Aio, fresh_sandbox: Any) -> None:
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 30  # real sleep: only a cancel ends it soon
    conn = connection(fresh_sandbox)
    prepared = prepare(Draft("contacts"))
    ticks: list[int] = []
    sent: list[int | None] = []

    async def go() -> None:
        async with httpx.AsyncClient() as http:
            task: asyncio.Task[Retried]

            def on_wait(left: int, _reason: str) -> None:
                ticks.append(left)
                task.cancel()

            async def send() -> Outcome:
                outcome = await conn.send(http, conn.request(prepared))
                sent.append(outcome.status)
                return outcome

            task = asyncio.ensure_future(send_retrying(send, on_wait=on_wait))
            with pytest.raises(asyncio.CancelledError):
                await task

    aio(go())
    assert ticks == [30]  # no 0: the wait did not end, it was called off
    assert sent == [429]  # and nothing was sent again


def test_the_one_default_wait_applies_when_a_429_says_nothing() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/api/v2/contacts.json")
    unsaid = Outcome(Kind.RATE_LIMITED, request, status=429)
    assert wait_seconds(unsaid) == DEFAULT_RETRY_AFTER
    assert wait_seconds(Outcome(Kind.RATE_LIMITED, request, status=429, retry_after=0.0)) == 0


def test_wait_out_reports_each_second_on_a_fake_clock(aio: Aio) -> None:
    time = FakeTime()
    reported: list[int] = []
    aio(wait_out(2.5, reported.append, clock=time.clock, sleep=time.sleep))
    assert reported == [3, 2, 1, 0]
    assert time.slept == [0.5, 1.0, 1.0]  # the fraction first, then whole seconds
