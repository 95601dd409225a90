"""Walking pages and fetching every page, against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from explorer.core.client import Kind, Outcome
from explorer.core.connection import Connection
from explorer.core.errors import ValidationError
from explorer.core.pagination import (
    FetchFailed,
    FetchHooks,
    FetchState,
    FetchStatus,
    Pager,
    Progress,
    estimate_total,
    fetch_all,
)
from explorer.core.request import Draft, Prepared, prepare
from explorer.core.retry import NO_RETRY
from explorer.store import fetch_state

Aio = Callable[[Any], Any]


def walk(base_url: str, token: str, prepared: Prepared) -> list[dict[str, Any]]:
    """Every record, following ``next`` by hand: what a fetch must reproduce."""
    from explorer.core.request import build_request

    first = build_request(base_url, token, prepared)
    records: list[dict[str, Any]] = []
    url: str | None = str(first.url)
    with httpx.Client(headers={"Authorization": f"Token {token}"}) as client:
        while url:
            data = client.get(url).json()
            records += data["results"]
            url = data["next"]
    return records


def on(server: Any) -> Connection:
    """The sandbox as the connection a fetch runs on."""
    return Connection("Sandbox", server.base_url, server.token, is_sandbox=True)


def uuids(records: list[dict[str, Any]]) -> list[str]:
    return [r["uuid"] for r in records]


def archive_ids(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Archives by what they are (their download links expire, so they change per request)."""
    return [(r["type"], r["period"], r["start_date"]) for r in records]


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines()]


@dataclasses.dataclass
class Run:
    """What one fetch reported, and how it ended."""

    state: FetchState
    progress: list[Progress] = dataclasses.field(default_factory=list)
    waits: list[int] = dataclasses.field(default_factory=list)
    outcomes: list[Outcome] = dataclasses.field(default_factory=list)
    snapshots: list[FetchState] = dataclasses.field(default_factory=list)
    error: BaseException | None = None


def run_fetch(
    aio: Aio,
    server: Any,
    prepared: Prepared,
    state: FetchState,
    *,
    cancel_after: int | None = None,
    on_page: Callable[[Progress], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **kw: Any,
) -> Run:
    run = Run(state)

    def save(s: FetchState) -> None:
        run.snapshots.append(dataclasses.replace(s))
        fetch_state.save(s)

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport) as http:
            task: asyncio.Task[Any]

            def progress(p: Progress) -> None:
                run.progress.append(p)
                if on_page is not None:
                    on_page(p)
                if cancel_after is not None and p.pages == cancel_after:
                    task.cancel()

            task = asyncio.ensure_future(
                fetch_all(
                    http,
                    on(server),
                    prepared,
                    sink=state.writer(),
                    state=state,
                    hooks=FetchHooks(
                        on_progress=progress,
                        on_wait=lambda left, _reason: run.waits.append(left),
                        on_response=run.outcomes.append,
                        save_state=save,
                    ),
                    **kw,
                )
            )
            try:
                await task
            except (asyncio.CancelledError, FetchFailed) as exc:
                run.error = exc

    aio(go())
    return run


def new_state(server: Any, prepared: Prepared, path: Path, fmt: str = "jsonl") -> FetchState:
    return FetchState.new("Sandbox", server.base_url, prepared, path, fmt)


# --- Previous / Next ---------------------------------------------------------------------------


def test_next_and_previous_walk_the_pages_both_ways(aio: Aio, sandbox: Any) -> None:
    prepared = prepare(Draft("contacts"))
    expected = uuids(walk(sandbox.base_url, sandbox.token, prepared))

    async def go() -> tuple[list[list[str]], list[list[str]], list[str]]:
        forward: list[list[str]] = []
        backward: list[list[str]] = []
        labels: list[str] = []
        async with httpx.AsyncClient() as http:
            pager = Pager(Connection("Sandbox", sandbox.base_url, sandbox.token), prepared)
            outcome = await pager.go(http, "first")
            assert outcome is not None and not pager.has_previous
            # The window sends the first page itself, then stands a pager on its answer.
            same = Pager.from_outcome(
                Connection("Sandbox", sandbox.base_url, sandbox.token), prepared, outcome
            )
            assert same.number == 1 and same.has_next and same.next_url == pager.next_url
            forward.append(uuids(outcome.results or []))
            labels.append(pager.describe())
            while pager.has_next:
                outcome = await pager.go(http, "next")
                assert outcome is not None
                forward.append(uuids(outcome.results or []))
                labels.append(pager.describe())
            assert await pager.go(http, "next") is None  # nothing after the last page
            backward.append(forward[-1])
            while pager.has_previous:
                outcome = await pager.go(http, "previous")
                assert outcome is not None
                backward.append(uuids(outcome.results or []))
                labels.append(pager.describe())
            assert pager.number == 1
        return forward, backward, labels

    forward, backward, labels = aio(go())
    assert [u for page in forward for u in page] == expected
    assert backward == forward[::-1]  # the same pages, the other way
    n = len(expected)
    pages = len(forward)
    assert pages == -(-n // 250)
    assert labels[0] == "Page 1 · 1–250"
    assert labels[pages - 1] == f"Page {pages} of {pages} · {250 * (pages - 1) + 1}–{n:,} of {n:,}"
    assert labels[-1].startswith("Page 1 ")


def test_limit_offset_pages_compute_offsets_and_know_the_count(aio: Aio, sandbox: Any) -> None:
    prepared = prepare(Draft("archives", params={"limit": 5}))
    expected = walk(sandbox.base_url, sandbox.token, prepared)

    async def go() -> tuple[list[str], list[Any]]:
        async with httpx.AsyncClient() as http:
            pager = Pager(Connection("Sandbox", sandbox.base_url, sandbox.token), prepared)
            await pager.go(http, "first")
            labels = [pager.describe()]
            assert pager.count == len(expected) and pager.page_count == -(-len(expected) // 5)
            last = pager.page(pager.page_count or 1)
            assert "offset=" in last.url and "limit=5" in last.url
            from explorer.core.client import send

            outcome = await send(http, last.request, base_url=sandbox.base_url)
            assert pager.accept(last, outcome)
            labels.append(pager.describe())
            assert not pager.has_next
            back = await pager.go(http, "previous")
            labels.append(pager.describe())
            return labels, (outcome.results or []) + ((back and back.results) or [])

    labels, rows = aio(go())
    n, pages = len(expected), -(-len(expected) // 5)
    assert labels[0] == f"Page 1 of {pages} · 1–5 of {n}"
    assert labels[1] == f"Page {pages} of {pages} · {(pages - 1) * 5 + 1}–{n} of {n}"
    before_last = f"{(pages - 2) * 5 + 1}–{(pages - 1) * 5}"
    assert labels[2] == f"Page {pages - 1} of {pages} · {before_last} of {n}"
    assert archive_ids(rows[: n - (pages - 1) * 5]) == archive_ids(expected[(pages - 1) * 5 :])


# --- a page link to another host ----------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        type(self).seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"next": null, "previous": null, "results": []}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def other_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """Another origin (a different port) that records whatever reaches it."""
    handler = type("Recorder", (_Recorder,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.seen
    finally:
        server.shutdown()
        server.server_close()


class NextPointsElsewhere(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox, with each page's ``next`` link rewritten to another host
    (a byte-level fault the sandbox cannot make)."""

    def __init__(self, elsewhere: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.elsewhere = elsewhere

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        data = json.loads(body)
        if data.get("next"):
            data["next"] = self.elsewhere + "/api/v2/contacts.json?cursor=abc"
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=headers, json=data)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_page_link_to_another_host_stops_and_sends_no_token(
    aio: Aio, sandbox: Any, other_host: tuple[str, list[dict[str, str]]], tmp_path: Path
) -> None:
    elsewhere, seen = other_host
    prepared = prepare(Draft("contacts"))
    state = new_state(sandbox, prepared, tmp_path / "c.jsonl")
    run = run_fetch(aio, sandbox, prepared, state, transport=NextPointsElsewhere(elsewhere))
    assert isinstance(run.error, FetchFailed)
    assert elsewhere in run.error.message and "token is not sent" in run.error.message
    assert seen == []  # nothing, let alone the token, reached the other host
    assert state.status is FetchStatus.FAILED and state.pages == 1
    assert len(read_jsonl(state.output)) == 250  # the first page is kept

    # Resuming keeps refusing, and a pager refuses the same link.
    saved = fetch_state.load(state.key)
    assert saved is not None
    again = run_fetch(aio, sandbox, prepared, saved)
    assert isinstance(again.error, FetchFailed) and elsewhere in again.error.message
    pager = Pager(Connection("Sandbox", sandbox.base_url, sandbox.token), prepared)
    pager.number, pager.next_url = 1, elsewhere + "/api/v2/contacts.json"
    with pytest.raises(ValidationError, match="not sent to another host"):
        pager.next()
    assert seen == []


# --- fetch every page ---------------------------------------------------------------------------


def test_fetch_all_to_jsonl_gets_every_contact_once(aio: Aio, sandbox: Any, tmp_path: Path) -> None:
    prepared = prepare(Draft("contacts"))
    expected = uuids(walk(sandbox.base_url, sandbox.token, prepared))

    async def hint() -> int | None:
        async with httpx.AsyncClient() as http:
            return await estimate_total(http, on(sandbox), prepared)

    total = aio(hint())
    assert total == len(expected)  # from the status groups' counts
    state = new_state(sandbox, prepared, tmp_path / "contacts.jsonl")
    run = run_fetch(aio, sandbox, prepared, state, total_hint=total)
    assert run.error is None and state.status is FetchStatus.DONE
    assert uuids(read_jsonl(state.output)) == expected
    assert state.records == len(expected) and state.pages == len(run.outcomes)
    assert state.bytes_written == Path(state.output).stat().st_size
    last = run.progress[-1]
    assert last.done and last.pages == state.pages and last.records == len(expected)
    middle = run.progress[2]
    assert middle.total == len(expected) and middle.total_is_estimate
    assert middle.eta is not None and "about" in middle.text() and "left" in middle.text()
    saved = fetch_state.load(state.key)
    assert saved is not None and saved.status is FetchStatus.DONE


def test_without_a_total_the_time_left_is_unknown(aio: Aio, sandbox: Any, tmp_path: Path) -> None:
    prepared = prepare(Draft("contacts", params={"before": "2100-01-01T00:00:00Z"}))
    state = new_state(sandbox, prepared, tmp_path / "c.jsonl")
    run = run_fetch(aio, sandbox, prepared, state)
    assert run.error is None
    assert run.progress[1].eta is None and "time left unknown" in run.progress[1].text()


def test_fetch_all_to_csv_gets_every_contact_once(aio: Aio, sandbox: Any, tmp_path: Path) -> None:
    prepared = prepare(Draft("contacts"))
    expected = walk(sandbox.base_url, sandbox.token, prepared)
    state = new_state(sandbox, prepared, tmp_path / "contacts.csv", "csv")
    run = run_fetch(aio, sandbox, prepared, state)
    assert run.error is None
    with open(state.output, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["uuid"] for r in rows] == uuids(expected)
    assert list(rows[0])[:3] == ["uuid", "name", "status"]
    assert [json.loads(r["groups"]) for r in rows] == [c["groups"] for c in expected]
    assert state.columns == tuple(rows[0])


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_cancelled_midway_then_resumed_gives_every_record_once(
    aio: Aio, sandbox: Any, tmp_path: Path, fmt: str
) -> None:
    prepared = prepare(Draft("contacts"))
    expected = uuids(walk(sandbox.base_url, sandbox.token, prepared))
    state = new_state(sandbox, prepared, tmp_path / f"c.{fmt}", fmt)
    first = run_fetch(aio, sandbox, prepared, state, cancel_after=2)
    assert isinstance(first.error, asyncio.CancelledError)
    saved = fetch_state.load(state.key)
    assert saved is not None
    assert saved.status is FetchStatus.PAUSED and saved.pages == 2 and saved.records == 500
    assert saved.bytes_written == Path(state.output).stat().st_size
    assert saved.next_url and "cursor=" in saved.next_url

    second = run_fetch(aio, sandbox, prepared, saved)
    assert second.error is None and saved.status is FetchStatus.DONE
    assert saved.pages == -(-len(expected) // 250) and saved.records == len(expected)
    assert len(second.outcomes) == saved.pages - 2  # only the pages not yet written
    assert _records(state.output, fmt) == expected
    assert saved.elapsed >= first.progress[-1].elapsed  # time spent adds up over both runs


def _records(path: str, fmt: str) -> list[str]:
    if fmt == "jsonl":
        return uuids(read_jsonl(path))
    with open(path, newline="", encoding="utf-8") as f:
        return [r["uuid"] for r in csv.DictReader(f)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_after_a_crash_mid_write_gives_exactly_the_records(
    aio: Aio, sandbox: Any, tmp_path: Path, fmt: str
) -> None:
    prepared = prepare(Draft("contacts"))
    expected = uuids(walk(sandbox.base_url, sandbox.token, prepared))
    state = new_state(sandbox, prepared, tmp_path / f"c.{fmt}", fmt)
    run = run_fetch(aio, sandbox, prepared, state, cancel_after=3)
    # Pretend the app died after writing page 3 but before saving its state, in the middle
    # of writing page 4: the file has pages 1-3 and half a record; the state says 2 pages.
    after_two = next(s for s in run.snapshots if s.pages == 2)
    with open(state.output, "ab") as f:
        f.write(b'{"uuid": "half-written' if fmt == "jsonl" else b'half-written,"row')
    assert Path(state.output).stat().st_size > after_two.bytes_written
    fetch_state.save(after_two)

    resumed = fetch_state.load(after_two.key)
    assert resumed is not None and resumed.pages == 2
    again = run_fetch(aio, sandbox, prepared, resumed)
    assert again.error is None
    got = _records(state.output, fmt)
    assert got == expected and len(set(got)) == len(got)


def test_resume_refuses_an_output_file_changed_since(
    aio: Aio, sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("contacts"))
    state = new_state(sandbox, prepared, tmp_path / "c.jsonl")
    run_fetch(aio, sandbox, prepared, state, cancel_after=1)
    Path(state.output).write_text("someone else's notes\n")
    saved = fetch_state.load(state.key)
    assert saved is not None
    run = run_fetch(aio, sandbox, prepared, saved)
    assert isinstance(run.error, FetchFailed) and "cannot be resumed" in run.error.message
    assert Path(state.output).read_text() == "someone else's notes\n"  # left alone
    assert run.outcomes == []  # nothing was sent


# --- rate limits and other failures -------------------------------------------------------------


def test_a_429_midway_is_waited_out_and_the_fetch_continues(
    aio: Aio, fresh_sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("archives", params={"limit": 10}))
    expected = walk(fresh_sandbox.base_url, fresh_sandbox.token, prepared)
    fresh_sandbox.set_rate("2/second")  # the third request in a second gets 429
    state = new_state(fresh_sandbox, prepared, tmp_path / "a.jsonl")
    run = run_fetch(aio, fresh_sandbox, prepared, state)
    assert run.error is None
    limited = [o for o in run.outcomes if o.kind is Kind.RATE_LIMITED]
    assert limited, "a tiny limit must have been hit"
    server_wait = int(limited[0].headers["retry-after"])
    assert run.waits[0] == server_wait  # the countdown starts from the server's value
    assert run.waits.count(0) == len(limited)  # and each wait ends at 0
    # no page lost or repeated around the waits
    assert archive_ids(read_jsonl(state.output)) == archive_ids(expected)
    assert any(p.waiting for p in run.progress)  # the progress line says it is waiting


def test_a_429_without_auto_retry_stops_saying_how_long_to_wait(
    aio: Aio, fresh_sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("archives", params={"limit": 5}))
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 42
    state = new_state(fresh_sandbox, prepared, tmp_path / "a.jsonl")
    run = run_fetch(aio, fresh_sandbox, prepared, state, retry=NO_RETRY)
    assert isinstance(run.error, FetchFailed)
    assert run.error.retry_after == 42 and "0:42" in run.error.message
    assert state.status is FetchStatus.FAILED and run.waits == []


def test_a_server_error_stops_with_the_reason_and_resume_continues(
    aio: Aio, fresh_sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("archives", params={"limit": 5}))
    expected = walk(fresh_sandbox.base_url, fresh_sandbox.token, prepared)

    def break_after_two(p: Progress) -> None:
        if p.pages == 2:
            fresh_sandbox.faults.error_rate = 1.0

    state = new_state(fresh_sandbox, prepared, tmp_path / "a.jsonl")
    run = run_fetch(aio, fresh_sandbox, prepared, state, on_page=break_after_two)
    assert isinstance(run.error, FetchFailed)
    assert "Stopped at page 3" in run.error.message and "server answered 5" in run.error.message
    assert "resume to continue from page 3" in run.error.message
    saved = fetch_state.load(state.key)
    assert saved is not None and saved.status is FetchStatus.FAILED and saved.pages == 2
    assert saved.reason == run.error.message

    fresh_sandbox.faults.reset()
    again = run_fetch(aio, fresh_sandbox, prepared, saved)
    assert again.error is None
    assert archive_ids(read_jsonl(state.output)) == archive_ids(expected)
    assert saved.total == len(expected)


def test_total_for_contacts_of_one_group(aio: Aio, sandbox: Any) -> None:
    async def go(params: dict[str, Any]) -> int | None:
        async with httpx.AsyncClient() as http:
            prepared = prepare(Draft("contacts", params=params))
            return await estimate_total(http, on(sandbox), prepared)

    farmers = prepare(Draft("contacts", params={"group": "Farmers"}))
    assert aio(go({"group": "Farmers"})) == len(walk(sandbox.base_url, sandbox.token, farmers))
    assert aio(go({"group": "No Such Group"})) == 0
    assert aio(go({"deleted": True})) is None  # no count covers deleted contacts: unknown
