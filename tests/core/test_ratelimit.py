"""The request budget and the rate-limit countdown, on an injected clock (no sleeps)."""

from __future__ import annotations

import httpx
import pytest

from explorer.core.client import Kind, Outcome
from explorer.core.ratelimit import BudgetMeter, BudgetMeters, Countdown, format_wait, scope_of

BASE = "https://app.rapidpro.io"


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def outcome(path: str, status: int | None, kind: Kind = Kind.OK) -> Outcome:
    return Outcome(kind, httpx.Request("GET", BASE + path), status=status)


def test_format_wait_reads_like_a_clock() -> None:
    assert format_wait(42) == "0:42"
    assert format_wait(41.2) == "0:42"  # a wait rounds up: never "0:00" while still waiting
    assert format_wait(0.2) == "0:01"
    assert format_wait(0) == "0:00"
    assert format_wait(125) == "2:05"
    assert format_wait(3725) == "1:02:05"
    assert format_wait(59.9, round_up=False) == "0:59"


def test_meter_counts_the_last_rolling_hour_and_forgets_older_requests() -> None:
    clock = FakeClock()
    meter = BudgetMeter(2500, clock=clock)
    for _ in range(312):
        meter.record()
    assert meter.used() == 312
    assert meter.text() == "API: 312 / 2,500 this hour"
    clock.advance(1800)
    meter.record()
    assert meter.used() == 313
    clock.advance(1800)  # the first 312 are now an hour old
    assert meter.used() == 1
    assert meter.remaining == 2499


def test_meter_reports_the_fullest_scope_as_rapidpro_counts_each_on_its_own() -> None:
    clock = FakeClock()
    meter = BudgetMeter(100, clock=clock)
    for _ in range(30):
        meter.record("v2")
    for _ in range(70):
        meter.record("v2.contacts")
    assert meter.used() == 70
    assert meter.used("v2") == 30
    assert meter.busiest_scope == "v2.contacts"
    assert list(meter.by_scope()) == ["v2.contacts", "v2"]


def test_meter_warns_before_the_limit_and_says_when_a_request_fits_again() -> None:
    clock = FakeClock()
    meter = BudgetMeter(10, clock=clock)
    for _ in range(7):
        meter.record()
        clock.advance(60)
    assert not meter.warning
    meter.record()
    assert meter.warning and not meter.exhausted  # 8 of 10 is the 80% mark
    meter.record()
    meter.record()
    assert meter.exhausted
    # The oldest request was 7 minutes ago: it leaves the hour in 53 minutes.
    assert meter.seconds_until_free() == pytest.approx(3600 - 7 * 60)
    meter.limit = 20  # a workspace with its own limit
    assert not meter.warning and meter.seconds_until_free() == 0


def test_limit_must_be_a_whole_positive_number() -> None:
    meter = BudgetMeter()
    assert meter.limit == 2500  # RapidPro's documented default
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="whole number"):
            meter.limit = bad  # type: ignore[assignment]


def test_only_requests_the_server_counts_are_counted() -> None:
    meter = BudgetMeter(clock=FakeClock())
    assert meter.record_outcome(outcome("/api/v2/contacts.json", 200))
    assert meter.record_outcome(outcome("/api/v2/flows.json", 400, Kind.BAD_REQUEST))
    meter.record_outcome(outcome("/api/v2/flows.json", 429, Kind.RATE_LIMITED))  # noted only
    assert not meter.record_outcome(outcome("/api/v2/flows.json", 403, Kind.FORBIDDEN))
    assert not meter.record_outcome(outcome("/api/v2/flows.json", None, Kind.TIMEOUT))
    assert not meter.record_outcome(outcome("/elsewhere", 200))
    assert meter.by_scope() == {"v2": 1, "v2.contacts": 1}
    assert scope_of(outcome("/api/v2/messages.json", 200)) == "v2.messages"


def test_each_workspace_has_its_own_meter() -> None:
    meters = BudgetMeters(clock=FakeClock())
    a = meters.for_workspace("A")
    a.record()
    assert meters.for_workspace("A") is a
    assert meters.for_workspace("B").used() == 0
    assert meters.for_workspace("A", 5000).limit == 5000


def test_countdown_from_retry_after() -> None:
    clock = FakeClock()
    countdown = Countdown(42, clock=clock)
    assert countdown.text() == "0:42" and countdown.seconds_left == 42
    clock.advance(0.5)
    assert countdown.text() == "0:42"  # still 41.5 s: shows the second it is in
    assert countdown.until_next_second() == pytest.approx(0.5)
    clock.advance(41)
    assert countdown.text() == "0:01" and not countdown.done
    clock.advance(0.5)
    assert countdown.done and countdown.text() == "0:00" and countdown.remaining == 0


def test_a_429_below_the_limit_is_noted_with_the_count_the_server_allowed() -> None:
    clock = FakeClock()
    meter = BudgetMeter(2500, clock=clock)
    for _ in range(5):
        meter.record()  # the general scope, busier
    for _ in range(2):
        assert meter.record_outcome(outcome("/api/v2/contacts.json", 200))
    assert meter.early_refusal is None
    assert meter.record_outcome(outcome("/api/v2/contacts.json", 429, Kind.RATE_LIMITED))
    refusal = meter.early_refusal
    assert refusal is not None and (refusal.scope, refusal.used) == ("v2.contacts", 2)
    assert refusal.suggested_limit == 2
    assert meter.used("v2.contacts") == 2  # the refused request is not counted
    assert meter.text() == "Contacts: 2 / 2,500 this hour · server refused at 2"
    clock.advance(3600)
    assert meter.early_refusal is None, "an hour later it no longer says anything"
    assert meter.text() == "API: 0 / 2,500 this hour"


def test_a_new_limit_or_a_429_at_the_limit_leaves_nothing_to_say() -> None:
    meter = BudgetMeter(3, clock=FakeClock())
    assert meter.record_outcome(outcome("/api/v2/runs.json", 429, Kind.RATE_LIMITED))
    assert meter.early_refusal is not None and meter.early_refusal.suggested_limit is None
    meter.limit = 2500
    assert meter.early_refusal is None
    meter.limit = 3
    for _ in range(3):
        meter.record_outcome(outcome("/api/v2/runs.json", 200))
    assert not meter.record_outcome(outcome("/api/v2/runs.json", 429, Kind.RATE_LIMITED))
    assert meter.early_refusal is None and meter.text() == "Runs: 3 / 3 this hour"
