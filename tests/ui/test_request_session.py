"""The request session on its own, no window: checks, sends, cancels, waits and pages,
against the sandbox over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from explorer.core.catalog import HttpMethod
from explorer.core.connection import Connection
from explorer.core.request import Draft
from explorer.ui.request_session import RequestSession


def _session(http: Any, server: Any, *, sandbox: bool = True, **kwargs: Any) -> RequestSession:
    session = RequestSession(http, **kwargs)
    session.set_connection(
        Connection("Sandbox", server.base_url, server.token, is_sandbox=sandbox)
    )
    return session


def _outcome(qtbot: Any, session: RequestSession, *, timeout: int = 10000) -> Any:
    with qtbot.waitSignal(session.outcome_arrived, timeout=timeout) as blocker:
        assert session.send(), session.blocked_by()
    return blocker.args[0]


def test_a_draft_is_checked_before_anything_is_sent(qtbot: Any, http: Any, sandbox: Any) -> None:
    session = _session(http, sandbox)
    changed: list[None] = []
    session.prepared_changed.connect(lambda: changed.append(None))
    session.take_draft(Draft("broadcasts", HttpMethod.POST, body={"text": {"eng": "Hi"}}))
    assert changed and session.prepared is None
    assert "Fix" in session.problem and session.errors is not None
    assert not session.send()  # refused: nothing leaves
    assert not session.busy

    session.take_draft(Draft("contacts", HttpMethod.GET, params={"urn": "tel:0788123456"}))
    assert session.prepared is None  # a local number, and no country known
    session.set_connection(
        Connection("Sandbox", sandbox.base_url, sandbox.token, True, default_country="RW")
    )
    assert session.prepared is not None, session.problem  # the workspace's country applies
    assert ("urn", "tel:+250788123456") in session.prepared.query


def test_without_a_connection_send_says_what_it_waits_for(http: Any) -> None:
    session = RequestSession(http)
    session.set_connection(None, waiting_for="Connecting to Ministry of Health…")
    session.take_draft(Draft("contacts"))
    assert session.blocked_by() == "Connecting to Ministry of Health…"
    assert not session.send()


def test_a_send_answers_with_an_outcome_a_pager_and_a_record(
    qtbot: Any, http: Any, sandbox: Any
) -> None:
    session = _session(http, sandbox)
    session.take_draft(Draft("contacts", params={"group": "Farmers"}))
    answered: list[tuple[Any, Any]] = []
    session.answered.connect(lambda draft, outcome: answered.append((draft, outcome)))
    started: list[str] = []
    session.send_started.connect(started.append)
    outcome = _outcome(qtbot, session)
    assert outcome.status == 200 and outcome.results
    assert started == ["Sending GET /api/v2/contacts.json…"]
    qtbot.waitUntil(lambda: not session.busy)
    assert answered and answered[0][0].params == {"group": "Farmers"}  # what history keeps
    assert session.pager is not None and session.pager.number == 1
    assert session.outcome is outcome


def test_next_and_previous_pages(qtbot: Any, http: Any, sandbox: Any) -> None:
    session = _session(http, sandbox)
    session.take_draft(Draft("contacts"))
    first = _outcome(qtbot, session)
    qtbot.waitUntil(lambda: not session.busy)
    assert session.pager is not None and session.pager.has_next
    with qtbot.waitSignal(session.page_changed, timeout=10000):
        assert session.go_page("next")
    assert session.pager.number == 2
    second = session.outcome
    assert second is not first and second.results
    assert {r["uuid"] for r in second.results}.isdisjoint(r["uuid"] for r in first.results)
    qtbot.waitUntil(lambda: not session.busy)
    with qtbot.waitSignal(session.page_changed, timeout=10000):
        assert session.go_page("previous")
    assert session.pager.number == 1
    assert [r["uuid"] for r in session.outcome.results] == [r["uuid"] for r in first.results]


def test_cancel_abandons_the_send_in_flight(qtbot: Any, http: Any, fresh_sandbox: Any) -> None:
    fresh_sandbox.faults.latency = 5.0
    session = _session(http, fresh_sandbox)
    session.take_draft(Draft("contacts"))
    ended: list[str] = []
    session.send_ended.connect(ended.append)
    arrived: list[Any] = []
    session.outcome_arrived.connect(arrived.append)
    with qtbot.waitSignal(session.send_started, timeout=5000):
        assert session.send()
    assert session.busy and session.blocked_by() == "Sending…"
    session.cancel()
    qtbot.waitUntil(lambda: not session.busy, timeout=5000)
    assert ended == ["Cancelled: the request was abandoned."]
    assert arrived == []


def test_a_429_holds_sends_and_auto_retry_sends_again(
    qtbot: Any, http: Any, fresh_sandbox: Any
) -> None:
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 1
    session = _session(http, fresh_sandbox)
    session.auto_retry = True
    session.take_draft(Draft("contacts"))
    waits: list[float] = []
    session.wait_started.connect(waits.append)
    refused = _outcome(qtbot, session)
    assert refused.status == 429 and waits == [1.0]
    assert session.waiting and session.retry_pending
    assert session.blocked_by().startswith("Rate limit: you can send again in 0:01.")
    assert "will go again" in session.blocked_by()
    assert not session.send()  # Send waits too
    fresh_sandbox.faults.throttle_storm = False
    with qtbot.waitSignal(session.outcome_arrived, timeout=5000) as again:
        pass  # the wait ends and the same request goes by itself
    assert again.args[0].status == 200
    assert not session.waiting and not session.retry_pending


def test_a_scheduled_retry_can_be_called_off(qtbot: Any, http: Any, fresh_sandbox: Any) -> None:
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 1
    session = _session(http, fresh_sandbox)
    session.auto_retry = True
    session.take_draft(Draft("contacts"))
    _outcome(qtbot, session)
    qtbot.waitUntil(lambda: not session.busy)
    with qtbot.waitSignal(session.retry_cancelled, timeout=1000):
        session.cancel()
    arrived: list[Any] = []
    session.outcome_arrived.connect(arrived.append)
    with qtbot.waitSignal(session.wait_ended, timeout=5000):
        pass
    qtbot.wait(200)
    assert arrived == []  # nothing went again by itself
    assert session.blocked_by() == ""  # and Send may go


def test_send_as_written_skips_the_checks_and_the_server_answers(
    qtbot: Any, http: Any, sandbox: Any
) -> None:
    session = _session(http, sandbox)
    session.take_draft(Draft("groups", HttpMethod.POST, body={"name": ""}))
    assert session.prepared is None and not session.send()
    with qtbot.waitSignal(session.outcome_arrived, timeout=10000) as blocker:
        assert session.send_as_written()
    assert blocker.args[0].status == 400  # the server's own refusal, as the user wanted
    assert session.sent is not None and session.sent.json_body == {"name": ""}


def test_a_real_workspace_asks_first_and_a_no_sends_nothing(
    qtbot: Any, http: Any, sandbox: Any
) -> None:
    asked: list[str] = []

    async def no(prepared: Any, connection: Connection) -> bool:
        asked.append(f"{prepared.method.value} {prepared.endpoint.name} in {connection.name}")
        return False

    session = _session(http, sandbox, sandbox=False, confirm=no)
    session.take_draft(Draft("contacts", HttpMethod.DELETE, params={"urn": "tel:+250788000001"}))
    with qtbot.waitSignal(session.send_ended, timeout=5000) as blocker:
        assert session.send()
    assert blocker.args == ["Not sent: you cancelled it."]
    assert asked == ["DELETE contacts in Sandbox"]


@pytest.mark.parametrize("which", ["next", "previous"])
def test_no_page_without_a_listing(http: Any, sandbox: Any, which: str) -> None:
    session = _session(http, sandbox)
    assert not session.go_page(which)
