"""Hostile page links and rate-limit answers during a fetch of every page."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from explorer.core.connection import Connection
from explorer.core.errors import ValidationError
from explorer.core.pagination import FetchFailed, FetchStatus, Pager
from explorer.core.request import Draft, build_follow_request, prepare
from explorer.core.retry import NO_RETRY
from tests.core.test_pagination import new_state, read_jsonl, run_fetch

Aio = Callable[[Any], Any]


class Rewrite(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox, with one answer changed on the way (byte-level faults the
    sandbox cannot make): ``change(n, response, data)`` returns the n-th response to give."""

    def __init__(self, change: Callable[[int, httpx.Response, Any], httpx.Response | None]):
        self.inner = httpx.AsyncHTTPTransport()
        self.change = change
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.count += 1
        changed = self.change(self.count, response, json.loads(body))
        if changed is not None:
            return changed
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=headers, content=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


def tab_in_next(n: int, response: httpx.Response, data: Any) -> httpx.Response | None:
    if data.get("next"):
        data["next"] = data["next"].replace("cursor=", "cursor=\t")
        return httpx.Response(response.status_code, json=data)
    return None


def throttled_once(retry_after: str | None) -> Callable[..., httpx.Response | None]:
    def change(n: int, response: httpx.Response, data: Any) -> httpx.Response | None:
        if n != 2:
            return None
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return httpx.Response(429, headers=headers, json={"detail": "Request was throttled."})

    return change


@pytest.mark.parametrize("char", ["\t", "\x00", "\n", "\x7f"])
def test_a_page_link_with_a_control_character_is_refused(char: str) -> None:
    link = f"http://127.0.0.1:8000/api/v2/contacts.json?cursor={char}x"
    with pytest.raises(ValidationError, match="is not a valid address"):
        build_follow_request(link, "http://127.0.0.1:8000", "tok")


def test_fetch_all_stops_at_a_link_with_a_tab_keeping_the_page(
    aio: Aio, sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("contacts"))
    state = new_state(sandbox, prepared, tmp_path / "c.jsonl")
    run = run_fetch(aio, sandbox, prepared, state, transport=Rewrite(tab_in_next))
    assert isinstance(run.error, FetchFailed)
    assert "Stopped after page 1" in run.error.message
    assert "is not a valid address" in run.error.message
    assert state.status is FetchStatus.FAILED and len(read_jsonl(state.output)) == 250


def test_the_pager_refuses_a_link_with_a_tab(aio: Aio, sandbox: Any) -> None:
    prepared = prepare(Draft("contacts"))

    async def go() -> Any:
        async with httpx.AsyncClient(transport=Rewrite(tab_in_next)) as http:
            pager = Pager(Connection("Sandbox", sandbox.base_url, sandbox.token), prepared)
            await pager.go(http, "first")
            return pager

    pager = aio(go())
    assert pager.has_next
    with pytest.raises(ValidationError, match="not a valid address"):
        pager.next()


def test_a_negative_retry_after_means_no_wait_in_fetch_all(
    aio: Aio, sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("archives", params={"limit": 10}))
    state = new_state(sandbox, prepared, tmp_path / "a.jsonl")
    run = run_fetch(aio, sandbox, prepared, state, transport=Rewrite(throttled_once("-5")))
    assert run.error is None and state.status is FetchStatus.DONE
    assert run.waits == [0]  # not the 60 s kept for a 429 that says nothing


def test_a_missing_retry_after_is_the_apps_default_and_says_so(
    aio: Aio, sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("archives", params={"limit": 10}))
    state = new_state(sandbox, prepared, tmp_path / "a.jsonl")
    run = run_fetch(
        aio, sandbox, prepared, state, transport=Rewrite(throttled_once(None)), retry=NO_RETRY
    )
    assert isinstance(run.error, FetchFailed) and run.error.retry_after == 60
    assert "did not say how long to wait; this app waits 1:00" in run.error.message
    assert "server asks" not in run.error.message
