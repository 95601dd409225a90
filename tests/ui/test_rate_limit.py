"""The rate-limit banner and the request budget meter, fed by real sandbox responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt

from explorer.core import ratelimit
from explorer.core.client import Kind, Outcome, send
from explorer.core.request import Draft, build_request, prepare
from explorer.ui.budget_meter import BudgetMeter
from explorer.ui.rate_limit_banner import RateLimitBanner


def get(arun: Callable[..., Any], server: Any, endpoint: str = "contacts") -> Outcome:
    async def go() -> Outcome:
        async with httpx.AsyncClient() as http:
            request = build_request(server.base_url, server.token, prepare(Draft(endpoint)))
            return await send(http, request, base_url=server.base_url)

    return arun(go())


def test_banner_counts_down_from_the_servers_retry_after(
    qtbot: Any, arun: Callable[..., Any], fresh_sandbox: Any
) -> None:
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 2
    outcome = get(arun, fresh_sandbox)
    assert outcome.kind is Kind.RATE_LIMITED and outcome.retry_after == 2

    banner = RateLimitBanner()
    qtbot.addWidget(banner)
    shown: list[int] = []
    banner.remaining_changed.connect(shown.append)
    banner.start(outcome.retry_after)
    assert banner.objectName() == "rateLimitBanner" and banner.accessibleName()
    assert banner.isVisible()
    assert banner.text() == "Rate limit reached: you can send again in 0:02"
    assert banner.remaining == 2
    with qtbot.waitSignal(banner.finished, timeout=4000):
        pass
    assert shown == [2, 1, 0]  # one step a second, then done
    assert not banner.isVisible() and banner.remaining == 0 and not banner.active


def test_banner_stop_hides_without_finishing_and_a_new_wait_replaces_the_old(
    qtbot: Any,
) -> None:
    now = [0.0]
    banner = RateLimitBanner(clock=lambda: now[0])
    qtbot.addWidget(banner)
    banner.start(90)
    assert banner.text().endswith("1:30")
    banner.start(42)  # a later 429 says something else
    assert banner.text().endswith("0:42") and banner.remaining == 42
    finished: list[bool] = []
    banner.finished.connect(lambda: finished.append(True))
    banner.stop()
    assert not banner.active and finished == []


def test_meter_counts_real_requests_and_warns_before_the_limit(
    qtbot: Any, arun: Callable[..., Any], fresh_sandbox: Any
) -> None:
    meter = BudgetMeter(ratelimit.BudgetMeter(10))
    qtbot.addWidget(meter)
    assert meter.objectName() == "budgetMeter"
    assert meter.text() == "API: 0 / 10 this hour" and not meter.warning
    warnings: list[bool] = []
    meter.warning_changed.connect(warnings.append)
    for _ in range(7):
        meter.record_outcome(get(arun, fresh_sandbox))
    assert meter.text() == "Contacts: 7 / 10 this hour" and not meter.warning
    meter.record_outcome(get(arun, fresh_sandbox, "flows"))  # another scope: counted apart
    assert meter.text() == "Contacts: 7 / 10 this hour"
    meter.record_outcome(get(arun, fresh_sandbox))
    assert meter.text() == "Contacts: 8 / 10 this hour"
    assert meter.warning and warnings == [True]
    assert "#ef6c00" in meter.label.styleSheet()  # orange
    assert "Close to the limit (80%)" in meter.toolTip()
    assert "Contacts (v2.contacts): 8" in meter.toolTip() and "API (v2): 1" in meter.toolTip()
    assert meter.bar.value() == 8 and meter.bar.maximum() == 10

    meter.set_limit(100)  # the workspace's own limit
    assert meter.text() == "Contacts: 8 / 100 this hour"
    assert not meter.warning and warnings == [True, False]


@pytest.mark.parametrize("limit", [3])
def test_meter_turns_red_at_the_limit_and_recovers_as_requests_age(qtbot: Any, limit: int) -> None:
    now = [0.0]
    model = ratelimit.BudgetMeter(limit, clock=lambda: now[0])
    meter = BudgetMeter(model)
    qtbot.addWidget(meter)
    for _ in range(limit):
        meter.record("v2")
    assert "#c62828" in meter.label.styleSheet()
    assert "Limit reached" in meter.toolTip() and "1:00:00" in meter.toolTip()
    now[0] += 3601
    meter.refresh()  # the widget refreshes itself on a timer too
    assert meter.text() == f"API: 0 / {limit} this hour" and meter.label.styleSheet() == ""


def test_a_429_below_the_limit_is_said_and_its_count_offered_as_the_limit(
    qtbot: Any, arun: Callable[..., Any], fresh_sandbox: Any
) -> None:
    fresh_sandbox.set_rate("2/hour")  # the server allows far fewer than the workspace's 2,500
    meter = BudgetMeter(ratelimit.BudgetMeter(2500))
    qtbot.addWidget(meter)
    meter.show()
    offer = meter.use_server_limit
    for _ in range(2):
        meter.record_outcome(get(arun, fresh_sandbox))
    assert meter.text() == "Contacts: 2 / 2,500 this hour" and not offer.isVisible()
    refused = get(arun, fresh_sandbox)
    assert refused.status == 429
    meter.record_outcome(refused)
    # Not "2 / 2,500" as if all were well: the meter says the server refused, and at what.
    assert meter.text() == "Contacts: 2 / 2,500 this hour · server refused at 2"
    assert "#c62828" in meter.label.styleSheet()
    assert "below the 2,500 an hour set for this workspace" in meter.toolTip()
    assert offer.isVisible() and offer.text() == "Set the limit to 2"
    with qtbot.waitSignal(meter.limit_chosen) as chosen:
        qtbot.mouseClick(offer, Qt.MouseButton.LeftButton)
    assert chosen.args == [2]
    assert meter.text() == "Contacts: 2 / 2 this hour" and not offer.isVisible()
    assert "Limit reached" in meter.toolTip()


def test_a_429_at_the_limit_is_no_surprise(
    qtbot: Any, arun: Callable[..., Any], fresh_sandbox: Any
) -> None:
    fresh_sandbox.set_rate("2/hour")
    meter = BudgetMeter(ratelimit.BudgetMeter(2))
    qtbot.addWidget(meter)
    for _ in range(3):
        meter.record_outcome(get(arun, fresh_sandbox))
    assert meter.text() == "Contacts: 2 / 2 this hour"
    assert meter.use_server_limit.isHidden()


def test_banner_follows_a_wait_that_send_retrying_runs(
    qtbot: Any, arun: Callable[..., Any], fresh_sandbox: Any
) -> None:
    from explorer.core.connection import Connection
    from explorer.core.retry import RetryPolicy, send_retrying

    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 2
    conn = Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token, is_sandbox=True)
    banner = RateLimitBanner()
    qtbot.addWidget(banner)
    seen: list[tuple[str, str, bool]] = []

    def on_wait(left: int, reason: str) -> None:
        banner.follow(left, reason)
        seen.append((banner.text(), banner.label.toolTip(), banner.isVisible()))
        fresh_sandbox.faults.throttle_storm = False

    async def no_sleep(_seconds: float) -> None:
        now[0] += _seconds

    now = [0.0]

    async def go() -> Outcome:
        async with httpx.AsyncClient() as http:
            retried = await send_retrying(
                lambda: conn.send(http, conn.request(prepare(Draft("workspace")))),
                policy=RetryPolicy(clock=lambda: now[0], sleep=no_sleep),
                on_wait=on_wait,
            )
            return retried.outcome

    assert arun(go()).ok
    ask = "The server asks to wait 0:02."
    assert seen == [
        ("Rate limit reached: you can send again in 0:02", ask, True),
        ("Rate limit reached: you can send again in 0:01", ask, True),
        ("Rate limit reached: you can send again in 0:01", ask, False),  # 0: hidden
    ]
    assert not banner.active
