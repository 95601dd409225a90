"""Pages of a listing: walking them one at a time, and fetching all of them to a file.

:class:`Pager` knows where one listing is — page number, the next and previous requests
(cursor links, checked to stay on the workspace's origin; computed offsets for limit/offset
listings such as archives) and, where the API gives it, the total count.

:func:`fetch_all` follows ``next`` to the end, streaming each page to a file and saving a
:class:`FetchState` after every page, so a fetch cancelled, refused or killed half way
resumes where it stopped with no record missing or written twice. Memory stays constant:
only the page in flight is held. No Qt here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from explorer.core.catalog import PAGE_SIZE, HttpMethod, Pagination, catalog
from explorer.core.errors import ExplorerError, ValidationError
from explorer.core.export import FORMATS, JSONL, ExportError, RecordSink, writer_for
from explorer.core.ratelimit import format_wait
from explorer.core.request import Prepared
from explorer.core.retry import OnWait, RetryPolicy, send_retrying, wait_seconds

if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome
    from explorer.core.connection import Connection

log = logging.getLogger(__name__)

T = TypeVar("T")

# Contacts' status groups: every contact the listing returns is in exactly one of them.
STATUS_GROUPS = ("Active", "Blocked", "Stopped", "Archived")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def pagination_of(prepared: Prepared) -> Pagination:
    """How a prepared request's listing is paged (NONE for writes and single objects)."""
    if prepared.method is not HttpMethod.GET:
        return Pagination.NONE
    return prepared.endpoint.method(HttpMethod.GET).pagination


def _int_param(query: tuple[tuple[str, str], ...], name: str) -> int | None:
    for key, value in query:
        if key == name:
            try:
                return int(value)
            except ValueError:
                return None
    return None


# --- one page at a time -----------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    """A request for one page, and which page it is (1-based; offset for limit/offset)."""

    request: httpx.Request
    number: int
    offset: int | None = None

    @property
    def url(self) -> str:
        return str(self.request.url)


class Pager:
    """Where one listing is: the current page, its neighbours, and the total when known.

    Use :meth:`first`, :meth:`next`, :meth:`previous` (or :meth:`page` for limit/offset
    listings) to get a :class:`PageRequest`, send it, then :meth:`accept` the outcome: only a
    page of results moves the pager. :meth:`go` does all three. ``next``/``previous`` raise
    :class:`ValidationError` when the server's link points to another origin (the token is
    never sent there).
    """

    def __init__(self, connection: Connection, prepared: Prepared) -> None:
        if prepared.method is not HttpMethod.GET:
            raise ValueError("only a GET of a listing has pages")
        self.connection = connection  # its deadline holds for each page's request
        self.prepared = prepared
        self.mode = pagination_of(prepared)
        paged_by_offset = self.mode is Pagination.LIMIT_OFFSET
        limit = _int_param(prepared.query, "limit") if paged_by_offset else None
        self.limit = limit if limit and limit > 0 else PAGE_SIZE
        self._start_offset = max(0, _int_param(prepared.query, "offset") or 0)
        self.number = 0  # no page yet
        self.offset: int | None = None
        self.count: int | None = None
        self.records_on_page = 0
        self.next_url: str | None = None
        self.previous_url: str | None = None

    @classmethod
    def from_outcome(cls, connection: Connection, prepared: Prepared, outcome: Outcome) -> Pager:
        """A pager standing on the page ``outcome`` holds (the answer to sending ``prepared``)."""
        pager = cls(connection, prepared)
        pager.accept(pager.first(), outcome)
        return pager

    # --- requests ---------------------------------------------------------------------------

    def first(self) -> PageRequest:
        if self.mode is Pagination.LIMIT_OFFSET:
            return self._at_offset(self._start_offset)
        return PageRequest(self.connection.request(self.prepared), 1)

    def next(self) -> PageRequest | None:
        """The next page's request, or None on the last page."""
        if not self.has_next:
            return None
        if self.mode is Pagination.LIMIT_OFFSET:
            assert self.offset is not None
            return self._at_offset(self.offset + self.limit)
        assert self.next_url is not None
        return PageRequest(self.connection.follow(self.next_url), self.number + 1)

    def previous(self) -> PageRequest | None:
        """The previous page's request, or None on the first page."""
        if not self.has_previous:
            return None
        if self.mode is Pagination.LIMIT_OFFSET:
            assert self.offset is not None
            return self._at_offset(max(0, self.offset - self.limit))
        assert self.previous_url is not None
        return PageRequest(self.connection.follow(self.previous_url), max(1, self.number - 1))

    def page(self, number: int) -> PageRequest:
        """Page ``number`` (1-based) of a limit/offset listing: offsets are computed."""
        if self.mode is not Pagination.LIMIT_OFFSET:
            raise ValueError("only limit/offset listings can jump to a page; cursors walk")
        if number < 1 or (self.page_count is not None and number > self.page_count):
            raise ValueError(f"there is no page {number}")
        return self._at_offset((number - 1) * self.limit)

    def resume_at(self, url: str, number: int) -> PageRequest:
        """A request for a saved page URL (checked to stay on the workspace's origin)."""
        request = self.connection.follow(url)
        offset = None
        if self.mode is Pagination.LIMIT_OFFSET:
            query = dict(parse_qsl(urlsplit(url).query))
            try:
                offset = max(0, int(query.get("offset", "0")))
            except ValueError:
                offset = 0
            number = offset // self.limit + 1
        return PageRequest(request, number, offset)

    def _at_offset(self, offset: int) -> PageRequest:
        query = [(k, v) for k, v in self.prepared.query if k not in ("limit", "offset")]
        query.append(("limit", str(self.limit)))
        if offset:
            query.append(("offset", str(offset)))
        prepared = dataclasses.replace(self.prepared, query=tuple(query))
        return PageRequest(self.connection.request(prepared), offset // self.limit + 1, offset)

    # --- answers ----------------------------------------------------------------------------

    def accept(self, page: PageRequest, outcome: Outcome) -> bool:
        """Move to ``page`` if ``outcome`` is a page of results; False (and no move) otherwise."""
        results = outcome.results if outcome.ok else None
        if results is None:
            return False
        self.number = page.number
        self.offset = page.offset
        self.records_on_page = len(results)
        self.next_url = outcome.next_url
        self.previous_url = outcome.previous_url
        data = outcome.json
        count = data.get("count") if isinstance(data, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            self.count = count
        return True

    async def go(self, http: httpx.AsyncClient, which: str = "next") -> Outcome | None:
        """Send the ``first``/``next``/``previous`` page's request and accept its answer.

        Returns the outcome (whatever it is), or None when there is no such page.
        """
        moves = {"first": self.first, "next": self.next, "previous": self.previous}
        page = moves[which]()
        if page is None:
            return None
        outcome = await self.connection.send(http, page.request)
        self.accept(page, outcome)
        return outcome

    # --- where we are -----------------------------------------------------------------------

    @property
    def has_next(self) -> bool:
        if self.number == 0:
            return False
        if self.mode is Pagination.LIMIT_OFFSET and self.count is not None:
            assert self.offset is not None
            return self.offset + self.limit < self.count
        return self.next_url is not None

    @property
    def has_previous(self) -> bool:
        if self.number == 0:
            return False
        if self.mode is Pagination.LIMIT_OFFSET:
            return bool(self.offset)
        return self.previous_url is not None

    @property
    def page_size(self) -> int:
        return self.limit if self.mode is Pagination.LIMIT_OFFSET else PAGE_SIZE

    @property
    def page_count(self) -> int | None:
        """Pages in all: known for limit/offset listings, and for cursors on the last page."""
        if self.mode is Pagination.LIMIT_OFFSET and self.count is not None:
            return max(1, math.ceil(self.count / self.limit))
        if self.number and not self.has_next:
            return self.number
        return None

    @property
    def first_record(self) -> int:
        """1-based position of the current page's first record (cursor pages are full but
        the last, so it is exact for them too when walked from the first page)."""
        if self.offset is not None:
            return self.offset + 1
        return (self.number - 1) * self.page_size + 1

    def describe(self) -> str:
        """``Page 2 of 5 · 251–500 of 1,200`` (``Page 2 · 251–500`` when the total is unknown)."""
        if self.number == 0:
            return ""
        if self.records_on_page == 0:
            return f"Page {self.number} · no results"
        first = self.first_record
        last = first + self.records_on_page - 1
        of_pages = f" of {self.page_count:,}" if self.page_count is not None else ""
        of_records = f" of {self.count:,}" if self.count is not None else ""
        if self.count is None and not self.has_next:
            of_records = f" of {last:,}" if self.number == 1 or self.offset is None else ""
        return f"Page {self.number:,}{of_pages} · {first:,}–{last:,}{of_records}"


# --- a fetch of every page ----------------------------------------------------------------------


class FetchStatus(StrEnum):
    NEW = "new"
    RUNNING = "running"  # still running, or the app stopped without saying why
    PAUSED = "paused"  # cancelled by the user
    FAILED = "failed"
    DONE = "done"


def fetch_key(base_url: str, endpoint: str, query: tuple[tuple[str, str], ...], output: str) -> str:
    """Identity of a fetch: the same request to the same file is the same fetch."""
    ident = json.dumps([base_url, endpoint, [list(q) for q in query], output])
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:24]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class FetchState:
    """Where a fetch of every page stands, saved after each page (see ``store.fetch_state``).

    It names the workspace by name and base URL and never holds the token. ``bytes_written``
    and ``tail`` (hex of the last bytes) say how much of ``output`` is good; ``next_url`` is
    the page to fetch next (None before the first page, and when done).
    """

    workspace: str
    base_url: str
    endpoint: str
    query: tuple[tuple[str, str], ...]
    output: str
    format: str = JSONL
    columns: tuple[str, ...] = ()
    next_url: str | None = None
    pages: int = 0
    records: int = 0
    bytes_written: int = 0
    tail: str = ""
    total: int | None = None
    total_is_estimate: bool = False
    elapsed: float = 0.0
    status: FetchStatus = FetchStatus.NEW
    reason: str = ""
    started_at: str = ""
    updated_at: str = ""

    @classmethod
    def new(
        cls,
        workspace: str,
        base_url: str,
        prepared: Prepared,
        output: str | Path,
        fmt: str = JSONL,
    ) -> FetchState:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        path = os.path.abspath(os.path.expanduser(str(output)))
        return cls(workspace, base_url, prepared.endpoint.name, tuple(prepared.query), path, fmt)

    @property
    def key(self) -> str:
        return fetch_key(self.base_url, self.endpoint, self.query, self.output)

    @property
    def started(self) -> bool:
        return self.pages > 0 or self.bytes_written > 0

    @property
    def resumable(self) -> bool:
        return self.status is not FetchStatus.DONE

    def matches(self, base_url: str, prepared: Prepared) -> bool:
        """Whether this is a fetch of ``prepared`` from the workspace at ``base_url``."""
        return (
            self.base_url == base_url
            and self.endpoint == prepared.endpoint.name
            and tuple(self.query) == tuple(prepared.query)
        )

    def prepared(self) -> Prepared:
        """The request this fetch walks (to resume it from the list of saved fetches)."""
        return Prepared(catalog()[self.endpoint], HttpMethod.GET, tuple(self.query))

    def writer(self, *, durable: bool = True) -> RecordSink:
        """The streaming writer for this fetch's output, format and columns."""
        return writer_for(
            self.format, self.output, columns=self.columns, endpoint=self.endpoint, durable=durable
        )

    def progress(self, *, rate: float | None = None, waiting: int = 0) -> Progress:
        return Progress(
            pages=self.pages,
            records=self.records,
            elapsed=self.elapsed,
            total=self.total,
            total_is_estimate=self.total_is_estimate,
            bytes_written=self.bytes_written,
            rate=rate,
            waiting=waiting,
            done=self.status is FetchStatus.DONE,
        )

    def describe(self) -> str:
        """``contacts → export.jsonl: 1,000 records in 4 pages, paused (cancelled)``."""
        name = Path(self.output).name
        what = f"{self.records:,} records in {self.pages:,} pages"
        status = {
            FetchStatus.NEW: "not started",
            FetchStatus.RUNNING: "interrupted",
            FetchStatus.PAUSED: "paused",
            FetchStatus.FAILED: "stopped",
            FetchStatus.DONE: "done",
        }[self.status]
        when = f" at {self.updated_at.replace('T', ' ')[:16]}" if self.updated_at else ""
        return f"{self.endpoint} → {name} ({self.format.upper()}): {what}, {status}{when}"

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["query"] = [list(q) for q in self.query]
        data["columns"] = list(self.columns)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FetchState:
        """A state from its saved form; raises ValueError when it is not one."""
        try:
            values = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
            for name in ("workspace", "base_url", "endpoint", "output"):
                if not isinstance(values.get(name), str):
                    raise ValueError(f"it has no {name}")
            values["query"] = tuple((str(k), str(v)) for k, v in values.get("query", ()))
            values["columns"] = tuple(str(c) for c in values.get("columns", ()))
            values["status"] = FetchStatus(values.get("status", "new"))
            for name in ("pages", "records", "bytes_written"):
                value = values.get(name, 0)
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{name} is not a count")
            if values.get("format", JSONL) not in FORMATS:
                raise ValueError("its format is unknown")
            if values["endpoint"] not in catalog():
                raise ValueError(f"there is no endpoint {values['endpoint']!r}")
            bytes.fromhex(values.get("tail", ""))
            return cls(**values)
        except (TypeError, KeyError) as exc:
            raise ValueError(f"it is not a fetch state ({exc})") from exc


@dataclass(frozen=True)
class Progress:
    """How far a fetch is, for a progress bar and a line of text."""

    pages: int
    records: int
    elapsed: float  # seconds spent fetching, over every run of this fetch
    total: int | None = None  # records expected, when that can be known
    total_is_estimate: bool = False
    bytes_written: int = 0
    rate: float | None = None  # records per second so far
    waiting: int = 0  # seconds left of a rate-limit wait
    done: bool = False

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far, or None when that cannot honestly be said."""
        if self.done:
            return 0.0
        if self.total is None or not self.rate or self.records > self.total:
            return None
        return max(0, self.total - self.records) / self.rate

    @property
    def fraction(self) -> float | None:
        if self.done:
            return 1.0
        if not self.total:
            return None
        return min(1.0, self.records / self.total)

    def text(self) -> str:
        """``4 pages · 1,000 of 1,000 records · 0:03 elapsed · about 0:00 left``."""
        parts = [f"{self.pages:,} page{'s' if self.pages != 1 else ''}"]
        records = f"{self.records:,}"
        if self.total is not None:
            records += f" of {'about ' if self.total_is_estimate else ''}{self.total:,}"
        parts.append(f"{records} records")
        parts.append(f"{format_wait(self.elapsed, round_up=False)} elapsed")
        if self.done:
            parts.append("done")
        elif self.waiting:
            parts.append(f"rate limit: continuing in {format_wait(self.waiting)}")
        elif (eta := self.eta) is not None:
            parts.append(f"about {format_wait(eta)} left")
        else:
            parts.append("time left unknown")
        return " · ".join(parts)


class FetchFailed(ExplorerError):
    """A fetch stopped for a reason other than cancellation; its state was kept for resuming.

    ``message`` says why, for a person; ``retry_after`` is set when a rate limit stopped it.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class _Stop(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


async def _finish_in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking file work off the GUI thread; a cancel waits for it to end, then cancels.

    A write cannot be stopped half way from outside, and a resume must not start while it
    runs; the state saved on cancel does not count a page whose write was interrupted.
    """
    future = asyncio.get_running_loop().run_in_executor(None, fn, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await asyncio.wait([future])
        raise


def _failure_reason(outcome: Outcome, page: int) -> str:
    saved = (
        f" The {page - 1:,} pages before it are saved: resume to continue from page {page:,}."
        if page > 1
        else " Nothing was written: start again when it is fixed."
    )
    if outcome.failed:
        text = f"Stopped at page {page:,}: {outcome.meaning} {outcome.error}".strip()
    elif not outcome.ok:
        text = f"Stopped at page {page:,}: the server answered {outcome.status} {outcome.reason}."
        text += f" {outcome.meaning}"
        if outcome.detail:
            text += f" It says: {outcome.detail}"
    else:
        why = outcome.json_error or "it holds no list of results"
        text = f"Stopped at page {page:,}: the answer is not a page of results ({why})."
    return text + saved


@dataclass
class FetchHooks:
    """What a fetch reports as it goes; all optional.

    ``on_progress`` gets a :class:`Progress` after each page; ``on_wait`` the countdown of a
    rate-limit wait (``(seconds_left, reason)``, as :func:`~explorer.core.retry.send_retrying`
    gives it, ending with 0); ``on_response`` every outcome (for a request budget). These run
    on the event loop's thread. ``save_state`` gets the updated state after each page and
    runs in a worker thread, so it must touch no widget.
    """

    on_progress: Callable[[Progress], None] | None = None
    on_wait: OnWait | None = None
    on_response: Callable[[Outcome], None] | None = None
    save_state: Callable[[FetchState], None] | None = None


FETCH_RETRY = RetryPolicy(max_waits=None)
"""A fetch waits as often as the server asks: the user sees the countdown and can cancel."""


async def fetch_all(
    http: httpx.AsyncClient,
    connection: Connection,
    prepared: Prepared,
    *,
    sink: RecordSink,
    state: FetchState,
    hooks: FetchHooks | None = None,
    retry: RetryPolicy = FETCH_RETRY,
    total_hint: int | None = None,
) -> FetchState:
    """Fetch every page of ``prepared`` into ``sink``, from the start or where ``state`` stopped.

    After each page the records are on disk (flushed, fsynced) and ``hooks.save_state`` is
    called with the updated ``state``; a resumed fetch cuts ``sink``'s file back to the size
    the state recorded. A 429 is waited out as ``retry`` says (``NO_RETRY``: stop at the
    first, saying how long to wait) and the same page is asked again. Each page's request
    takes at most the connection's deadline. The estimated time left uses ``count`` for
    limit/offset listings and ``total_hint`` (see :func:`estimate_total`) for cursors; else
    it is unknown. ``retry``'s clock also times the fetch.

    Returns the final state (status DONE). Raises :class:`FetchFailed` with the reason when
    it stops otherwise; cancellation propagates after the state is saved. File work runs in
    a worker thread.
    """
    if pagination_of(prepared) is Pagination.NONE:
        raise ValueError(f"{prepared.endpoint.name} {prepared.method} is not a paged listing")
    if not state.matches(connection.base_url, prepared):
        raise ValueError("the saved state belongs to another request or workspace")
    if state.status is FetchStatus.DONE:
        return state
    if total_hint is not None and (state.total is None or state.total_is_estimate):
        state.total, state.total_is_estimate = total_hint, True
    fetch = _Fetch(http, connection, prepared, sink, state, hooks or FetchHooks(), retry)
    return await fetch.run()


@dataclass
class _Fetch:
    """One run of :func:`fetch_all`: the pager, the clock, and the state it keeps saving."""

    http: httpx.AsyncClient
    connection: Connection
    prepared: Prepared
    sink: RecordSink
    state: FetchState
    hooks: FetchHooks
    retry: RetryPolicy

    def __post_init__(self) -> None:
        conn = self.connection
        self.pager = Pager(conn, self.prepared)
        self.resuming = self.state.started
        self.session_start = self.retry.clock()
        self.elapsed_before = self.state.elapsed

    async def run(self) -> FetchState:
        state = self.state
        state.started_at = state.started_at or _now()
        state.reason = ""
        opened = False
        try:
            page = await self._open()
            opened = True
            state.status = FetchStatus.RUNNING
            await _finish_in_thread(self._save)
            self._report()
            while page is not None:
                page = await self._fetch(page)
            if state.status is not FetchStatus.DONE:  # resumed after the last page was written
                state.status = FetchStatus.DONE
                state.elapsed = self._elapsed()
                await _finish_in_thread(self._save)
                self._report()
            return state
        except asyncio.CancelledError:
            self._stopped(FetchStatus.PAUSED, f"Cancelled after {state.pages:,} pages.")
            raise
        except _Stop as stop:
            self._stopped(FetchStatus.FAILED, stop.message)
            raise FetchFailed(stop.message, retry_after=stop.retry_after) from stop
        finally:
            if opened:
                self.sink.close()

    async def _open(self) -> PageRequest | None:
        """The first page to ask for (None: only the final save was missing), sink opened."""
        state = self.state
        try:
            if self.resuming and state.next_url is None:
                page = None  # every page was written; only the final save was missing
            elif state.next_url:
                page = self.pager.resume_at(state.next_url, state.pages + 1)
            else:
                page = self.pager.first()
            tail = bytes.fromhex(state.tail)
            start = state.bytes_written if self.resuming else 0
            await _finish_in_thread(self.sink.open, start, tail)
        except (ValidationError, ExportError) as exc:
            raise _Stop(f"Could not resume: {exc}" if self.resuming else str(exc)) from exc
        return page

    async def _fetch(self, page: PageRequest) -> PageRequest | None:
        """Ask for ``page`` (waiting out 429s), write its records, save; the next page."""
        outcome = await self._send(page)
        records = outcome.results if outcome.ok else None
        if records is None:
            raise _Stop(_failure_reason(outcome, page.number))
        if outcome.next_url is not None and outcome.next_url == page.url:
            raise _Stop(
                f"Stopped at page {page.number:,}: the server's next link points back to "
                "the same page, so following it would never end."
            )
        self.pager.accept(page, outcome)
        problem = ""
        try:
            next_page = self.pager.next()
            next_url = next_page.url if next_page is not None else None
        except ValidationError as exc:
            next_page, next_url = None, outcome.next_url
            problem = f"Stopped after page {page.number:,}: {exc}. The pages so far are saved."
        await self._write(records, next_url)
        if problem:
            raise _Stop(problem)
        return next_page

    async def _send(self, page: PageRequest) -> Outcome:
        def waiting(left: int, reason: str) -> None:
            if self.hooks.on_wait is not None:
                self.hooks.on_wait(left, reason)
            self._report(left)

        conn = self.connection
        retried = await send_retrying(
            functools.partial(conn.send, self.http, page.request),
            policy=self.retry,
            on_outcome=self.hooks.on_response,
            on_wait=waiting,
        )
        outcome = retried.outcome
        if retried.gave_up:
            raise _Stop(
                f"Rate limit reached at page {page.number:,}. {outcome.wait_advice()} "
                "Resume after that to continue.",
                retry_after=wait_seconds(outcome),
            )
        return outcome

    async def _write(self, records: list[Any], next_url: str | None) -> None:
        state, sink = self.state, self.sink
        size = await _finish_in_thread(sink.write, records)
        state.pages += 1
        state.records += len(records)
        state.bytes_written = size
        state.tail = sink.tail.hex()
        state.columns = tuple(sink.columns)
        state.next_url = next_url
        if self.pager.count is not None:
            state.total, state.total_is_estimate = self.pager.count, False
        state.elapsed = self._elapsed()
        if next_url is None:
            state.status = FetchStatus.DONE
        await _finish_in_thread(self._save)
        self._report()

    def _stopped(self, status: FetchStatus, reason: str) -> None:
        self.state.status = status
        self.state.reason = reason
        self.state.elapsed = self._elapsed()
        _save_quietly(self._save)

    def _save(self) -> None:
        self.state.updated_at = _now()
        if self.hooks.save_state is not None:
            self.hooks.save_state(self.state)

    def _elapsed(self) -> float:
        return self.elapsed_before + (self.retry.clock() - self.session_start)

    def _report(self, waiting: int = 0) -> None:
        if self.hooks.on_progress is None:
            return
        spent = self._elapsed()
        state = self.state
        rate = state.records / spent if state.records and spent > 0 else None
        snapshot = dataclasses.replace(state, elapsed=spent)
        self.hooks.on_progress(snapshot.progress(rate=rate, waiting=waiting))


def _save_quietly(save: Callable[[], None]) -> None:
    """Saving the final state must not hide why the fetch ended."""
    try:
        save()
    except Exception:
        log.exception("could not save the fetch's state")


async def estimate_total(
    http: httpx.AsyncClient,
    connection: Connection,
    prepared: Prepared,
    *,
    on_response: Callable[[Outcome], None] | None = None,
) -> int | None:
    """How many records a cursor listing holds, when the workspace says so; else None.

    Only contacts have such a number: groups report their member counts, so contacts of
    one group number that group's count, and all contacts the four status groups' counts.
    Any other filter makes the number unknowable. Costs one request (a few for all contacts).
    """

    if prepared.method is not HttpMethod.GET or prepared.endpoint.name != "contacts":
        return None
    harmless = {"reverse", "expand_urns", "urn_order"}
    filters = {k for k, _ in prepared.query} - harmless
    if filters - {"group"}:
        return None
    groups = catalog()["groups"]
    group = next((v for k, v in prepared.query if k == "group"), None)
    if group is not None:
        key = "uuid" if _UUID_RE.match(group) else "name"
        query: tuple[tuple[str, str], ...] = ((key, group),)
    else:
        query = ()
    url: str | None = None
    counts: dict[str, int] = {}
    for _ in range(20):  # groups are few; a workspace with thousands is not worth the requests
        if url is None:
            request = connection.request(Prepared(groups, HttpMethod.GET, query))
        else:
            try:
                request = connection.follow(url)
            except ValidationError:
                return None
        outcome = await connection.send(http, request)
        if on_response is not None:
            on_response(outcome)
        results = outcome.results if outcome.ok else None
        if results is None:
            return None
        if group is not None:
            if not results:
                return 0  # an unknown group gives no contacts
            count = results[0].get("count") if isinstance(results[0], dict) else None
            return count if isinstance(count, int) and not isinstance(count, bool) else None
        for g in results:
            if isinstance(g, dict) and g.get("system") and g.get("name") in STATUS_GROUPS:
                count = g.get("count")
                if isinstance(count, int) and not isinstance(count, bool):
                    counts[g["name"]] = count
        if len(counts) == len(STATUS_GROUPS):
            return sum(counts.values())
        url = outcome.next_url
        if url is None:
            return None
    return None
