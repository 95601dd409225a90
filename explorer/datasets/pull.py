"""A pull: archives first, then the live pages from where they end, into a dataset file.

For runs and messages the server moves old records out of the live API into archive files,
so a pull lists the archives, downloads those it has not stored (checking each file's MD5
and record count, streaming it in), then asks the live API only for what is newer than the
newest archive, or than its own watermark when that is later. Contacts (and deleted
contacts) come from the live API only; flows, groups and fields are read whole each time
as lookups. Requests to the API go through the connection and the one retry path
(:func:`~explorer.core.retry.send_retrying`); archive files are fetched with a client of
their own that carries no token, as the file store must never see it.

Stopping is cancelling the task: what was stored stays, and the next pull continues from
the last stored page (a pause is a cancel followed by another pull).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from explorer.core.catalog import HttpMethod, catalog
from explorer.core.errors import ExplorerError, ValidationError
from explorer.core.request import Prepared
from explorer.core.retry import RetryPolicy, send_retrying, wait_seconds
from explorer.datasets.rows import DELETED_CONTACTS, TABLES, Record, Table, utc_text
from explorer.datasets.store import ArchiveKey, ArchiveMismatch, Dataset, Listed, PageWrite

if TYPE_CHECKING:
    from explorer.core.client import Outcome
    from explorer.core.connection import Connection
    from explorer.core.retry import OnWait

log = logging.getLogger(__name__)

RESOURCES = ("runs", "messages", "contacts")
LOOKUPS = ("flows", "groups", "fields")
ARCHIVE_TYPES = {"runs": "run", "messages": "message"}
# The time each listing's after/before filter applies to (the catalog's applies_to).
TIME_FIELDS = {"runs": "modified_on", "messages": "created_on", "contacts": "modified_on"}
CHUNK = 256 * 1024  # archive bytes handed to the writer at a time
STORES_AHEAD = 8  # live pages handed to the writer and not stored yet, at most
PULL_RETRY = RetryPolicy(max_waits=None)
"""A pull waits as often as the server asks, as fetch-all does: the user sees it and can stop."""


class PullFailed(ExplorerError):
    """A pull stopped: ``step`` says where (``archives``, ``pages``, ``lookups``), ``message``
    why, for a person. What was stored before it stays."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.message = message


class _LinkRefused(Exception):
    """The file store refused an archive link (403): it expired, or was tampered with."""


@dataclass(frozen=True)
class PullSpec:
    """What to pull: which resources, limited to a flow (runs) or a time range.

    ``after`` / ``before`` are UTC datetimes as text; ``full`` ignores the watermarks and
    stored archives and fetches everything again (rows are still stored once each).
    """

    resources: tuple[str, ...] = RESOURCES
    flow: str | None = None
    after: str | None = None
    before: str | None = None
    full: bool = False

    def filter_key(self, resource: str) -> str:
        """The filter a watermark belongs to: a pull of one flow has its own."""
        parts = []
        if self.flow and resource == "runs":
            parts.append(f"flow={self.flow}")
        if self.after:
            parts.append(f"after={self.after}")
        if self.before:
            parts.append(f"before={self.before}")
        return "&".join(parts)

    def keeps(self, resource: str) -> Callable[[Record], bool]:
        """Whether an archive record falls inside this pull's flow and time range."""
        time_field = TIME_FIELDS[resource]
        flow = self.flow if resource == "runs" else None
        after, before = self.after, self.before
        if not (flow or after or before):
            return _everything

        def keep(record: Record) -> bool:
            if flow is not None and (record.get("flow") or {}).get("uuid") != flow:
                return False
            when = utc_text(record.get(time_field)) or ""
            return not ((after and when < after) or (before and when > before))

        return keep


def _everything(_record: Record) -> bool:
    return True


@dataclass(frozen=True)
class PullProgress:
    """Where a pull is: its step, the resource, and a line saying so for a person."""

    step: str
    resource: str
    text: str
    records: int = 0
    archives_done: int = 0
    archives_total: int = 0


@dataclass
class PullHooks:
    """What a pull reports as it goes, all optional, called on the event loop's thread.

    ``on_response`` gets every API answer (for the request budget, as fetch-all's does);
    ``on_wait`` the countdown of a rate-limit wait.
    """

    on_progress: Callable[[PullProgress], None] | None = None
    on_response: Callable[[Outcome], None] | None = None
    on_wait: OnWait | None = None


@dataclass
class ResourceReport:
    """What one resource's pull did: records received, rows changed, archive files read."""

    fetched: int = 0
    changed: int = 0
    pages: int = 0
    archives_downloaded: int = 0
    archives_skipped: int = 0
    archive_records: int = 0


@dataclass
class PullReport:
    """What a whole pull did, per resource, and how long it took."""

    resources: dict[str, ResourceReport] = field(default_factory=dict)
    elapsed: float = 0.0

    def of(self, resource: str) -> ResourceReport:
        return self.resources.setdefault(resource, ResourceReport())

    def text(self) -> str:
        parts = []
        for name, r in self.resources.items():
            bit = f"{name}: {r.fetched + r.archive_records:,} received, {r.changed:,} changed"
            if r.archives_downloaded:
                bit += f" ({r.archives_downloaded} archives)"
            parts.append(bit)
        return "; ".join(parts) + f" in {self.elapsed:.1f} s"


@dataclass(frozen=True)
class _Archive:
    key: ArchiveKey
    listed: Listed
    url: str | None

    @property
    def start(self) -> date:
        return date.fromisoformat(self.key.start_date[:10])

    @property
    def end(self) -> date:
        """The day after the archive's last day."""
        start = self.start
        if self.key.period == "daily":
            return start + timedelta(days=1)
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)

    def days(self) -> set[date]:
        return {self.start + timedelta(days=i) for i in range((self.end - self.start).days)}

    def label(self) -> str:
        kind = "runs" if self.key.type == "run" else "messages"
        when = self.key.start_date[:7] if self.key.period == "monthly" else self.key.start_date
        return f"the {self.key.period} archive of {kind} for {when}"


def _day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00.000000Z"


async def pull(
    http: httpx.AsyncClient,
    connection: Connection,
    dataset: Dataset,
    spec: PullSpec,
    hooks: PullHooks | None = None,
) -> PullReport:
    """Pull ``spec`` from the workspace into ``dataset``; see the module docstring.

    Raises :class:`PullFailed` naming the step that failed; cancellation propagates. Either
    way the pull's outcome is written to the dataset's ``pulls`` table.
    """
    job = _Pull(http, connection, dataset, spec, hooks or PullHooks())
    return await job.run()


@dataclass
class _Pull:
    http: httpx.AsyncClient
    connection: Connection
    dataset: Dataset
    spec: PullSpec
    hooks: PullHooks
    report: PullReport = field(default_factory=PullReport)

    async def run(self) -> PullReport:
        started = time.monotonic()
        what = ", ".join(self.spec.resources)
        pull_id = await self.dataset.pull_started(what)
        await self.dataset.remember("base_url", self.connection.base_url)
        # No token and no cookies: archive links are pre-signed, and the file store is
        # another host that must never see the API token.
        # Loading the certificate store takes tens of milliseconds: not on the GUI thread.
        tls = await asyncio.to_thread(httpx.create_ssl_context)
        files = httpx.AsyncClient(
            timeout=httpx.Timeout(120.0, connect=10.0),
            follow_redirects=True,
            trust_env=False,
            verify=tls,
        )
        try:
            await self._lookups()
            for resource in self.spec.resources:
                if resource in ARCHIVE_TYPES:
                    end = await self._archives(files, resource)
                    await self._live(resource, TABLES[resource], archives_end=end)
                elif resource == "contacts":
                    await self._live("contacts", TABLES["contacts"])
                    await self._live(
                        "contacts",
                        DELETED_CONTACTS,
                        key="contacts.deleted",
                        extra=(("deleted", "true"),),
                    )
        except PullFailed as exc:
            await _quietly(self.dataset.pull_ended(pull_id, "failed", exc.step, exc.message))
            raise
        except asyncio.CancelledError:
            await _quietly(
                self.dataset.pull_ended(pull_id, "stopped", "", "Stopped before the end.")
            )
            raise
        finally:
            await files.aclose()
            self.report.elapsed = time.monotonic() - started
        await self.dataset.pull_ended(pull_id, "done", "", self.report.text())
        return self.report

    def _progress(self, progress: PullProgress) -> None:
        if self.hooks.on_progress is not None:
            self.hooks.on_progress(progress)

    # --- API requests -------------------------------------------------------------------------

    async def _send(self, request: httpx.Request, step: str, what: str) -> Outcome:
        conn = self.connection
        retried = await send_retrying(
            functools.partial(conn.send, self.http, request),
            policy=PULL_RETRY,
            on_outcome=self.hooks.on_response,
            on_wait=self.hooks.on_wait,
        )
        outcome = retried.outcome
        if retried.gave_up:
            raise PullFailed(
                step,
                f"The rate limit stopped the pull at {what}. {outcome.wait_advice()} "
                f"Pull again after {wait_seconds(outcome):.0f} seconds to continue.",
            )
        return outcome

    def _page_request(self, endpoint: str, query: tuple[tuple[str, str], ...], url: str | None):
        try:
            if url is not None:
                return self.connection.follow(url)
            return self.connection.request(Prepared(catalog()[endpoint], HttpMethod.GET, query))
        except ValidationError as exc:
            raise PullFailed("pages", f"Could not ask for {endpoint}: {exc}") from exc

    async def _records(self, outcome: Outcome, step: str, what: str) -> list[Record]:
        records = outcome.results if outcome.ok else None
        if records is None:
            raise PullFailed(step, _failure(outcome, what))
        return [r for r in records if isinstance(r, dict)]

    # --- lookups and live pages ---------------------------------------------------------------

    async def _lookups(self) -> None:
        for name in LOOKUPS:
            url: str | None = None
            page = 0
            while True:
                page += 1
                what = f"page {page} of {name}"
                request = self._page_request(name, (), url)
                outcome = await self._send(request, "lookups", what)
                records = await self._records(outcome, "lookups", what)
                url = outcome.next_url
                write = PageWrite(TABLES[name], name, "", "modified_on", records, url)
                self.report.of(name).changed += await self.dataset.store_page(write)
                self.report.of(name).fetched += len(records)
                self._progress(PullProgress("lookups", name, f"Lookups: {name}, {what}"))
                if url is None:
                    break

    async def _live(
        self,
        resource: str,
        table: Table,
        *,
        key: str | None = None,
        extra: tuple[tuple[str, str], ...] = (),
        archives_end: str | None = None,
    ) -> None:
        """The live pages of ``resource`` newer than what is stored (or the archives)."""
        key = key or resource
        spec = self.spec
        filter_key = spec.filter_key(resource)
        mark = await self.dataset.mark(key, filter_key)
        url = None if spec.full else mark.next_url
        starts = [spec.after, archives_end] + ([] if spec.full else [mark.watermark])
        after = max((s for s in starts if s), default=None)
        query = [*extra]
        if spec.flow and resource == "runs":
            query.append(("flow", spec.flow))
        if after:
            query.append(("after", after))
        if spec.before:
            query.append(("before", spec.before))
        query_items = tuple(query)
        counts = _PageCounts(resource, self.report.of(resource))
        # Two overlaps keep the server busy: the next page is asked for as soon as this one's
        # head names it (checked once the page is parsed), and pages are handed to the
        # dataset's worker without waiting for the ones before (up to STORES_AHEAD of them: a
        # commit that takes long does not hold the requests up). The worker still stores them
        # one after another, in page order, each with its mark.
        asking: asyncio.Future[Outcome] | None = self._ask(resource, query_items, url, 1)
        ahead: asyncio.Future[Outcome] | None = None
        storing: deque[asyncio.Future[int]] = deque()
        try:
            while asking is not None:
                counts.page += 1
                outcome = await asking
                asking = None
                guess = outcome.next_url_ahead()
                if guess is not None:
                    ahead = await self._ask_ahead(resource, guess, counts.page + 1)
                await asyncio.to_thread(_parse, outcome)  # a big page is not parsed on the loop
                records = await self._records(outcome, "pages", f"page {counts.page} of {resource}")
                url = outcome.next_url
                if url is not None:
                    if ahead is None or url != guess:
                        _drop(ahead)
                        ahead = self._ask(resource, query_items, url, counts.page + 1)
                    asking, ahead = ahead, None
                write = PageWrite(table, key, filter_key, TIME_FIELDS[resource], records, url)
                storing.append(asyncio.ensure_future(self.dataset.store_page(write)))
                while storing and (len(storing) > STORES_AHEAD or storing[0].done()):
                    self._progress(counts.stored(await storing.popleft()))
                counts.received(len(records))
            while storing:
                self._progress(counts.stored(await storing.popleft()))
        finally:
            unwanted = [t for t in (asking, ahead) if t is not None]
            for task in unwanted:
                _drop(task)
            if unwanted:
                await asyncio.wait(unwanted)  # their connections are closed before going on
            if storing:
                await asyncio.wait(storing)  # never leave a write running unawaited
                for left in storing:  # stored all the same, or refused after one that failed
                    if not left.cancelled() and left.exception() is None:
                        counts.stored(left.result())
            await self.dataset.flush()  # a pass that stops keeps the pages it stored

    def _ask(
        self, resource: str, query: tuple[tuple[str, str], ...], url: str | None, page: int
    ) -> asyncio.Future[Outcome]:
        """Start asking for one page of ``resource`` (the first, or the one ``url`` names)."""
        return self._start(self._page_request(resource, query, url), resource, page)

    def _start(self, request: httpx.Request, resource: str, page: int) -> asyncio.Future[Outcome]:
        return asyncio.ensure_future(self._send(request, "pages", f"page {page} of {resource}"))

    async def _ask_ahead(
        self, resource: str, url: str, page: int
    ) -> asyncio.Future[Outcome] | None:
        """:meth:`_ask` for a link read ahead, returning once the request is on its way (the
        parse that follows holds the interpreter for milliseconds, and the request with it).
        A link the connection refuses is left to the check against the parsed page."""
        try:
            request = self._page_request(resource, (), url)
        except PullFailed:
            return None
        sent = asyncio.Event()

        async def trace(event: str, _info: dict[str, Any]) -> None:
            if event.endswith("send_request_body.complete"):
                sent.set()

        request.extensions = {**request.extensions, "trace": trace}
        asking = self._start(request, resource, page)
        waiting = asyncio.ensure_future(sent.wait())
        try:
            await asyncio.wait((asking, waiting), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            _drop(asking)  # the pull is stopping: not left running on its own
            raise
        finally:
            waiting.cancel()
        return asking

    # --- archives -------------------------------------------------------------------------------

    async def _archives(self, files: httpx.AsyncClient, resource: str) -> str | None:
        """Store the archives of ``resource`` not stored yet; where the newest one ends."""
        kind = ARCHIVE_TYPES[resource]
        spec = self.spec
        filter_key = spec.filter_key(resource)
        listing = await self._list_archives(kind)
        if not listing:
            return None
        end = _day_start(max(a.end for a in listing))
        stored = {} if spec.full else await self.dataset.pulled_archives(kind, filter_key)
        covered: set[date] = set()
        for archive in listing:
            if archive.key in stored:
                covered |= archive.days()
        wanted = [a for a in sorted(listing, key=lambda a: a.key.start_date) if self._overlaps(a)]
        todo = [a for a in wanted if stored.get(a.key, "missing") != a.listed.hash]
        report = self.report.of(resource)
        keep = spec.keeps(resource)
        for done, archive in enumerate(todo, start=1):
            if archive.listed.record_count == 0 or archive.url is None or archive.days() <= covered:
                # Empty, or a monthly roll-up of days already stored from their dailies.
                await self.dataset.mark_archive(archive.key, filter_key, archive.listed)
                report.archives_skipped += 1
                continue
            self._progress(
                PullProgress(
                    "archives",
                    resource,
                    f"{resource.capitalize()}: archive {done} of {len(todo)} "
                    f"({archive.label()[4:]})",
                    records=report.archive_records,
                    archives_done=done - 1,
                    archives_total=len(todo),
                )
            )
            report.changed += await self._download(files, archive, filter_key, keep)
            report.archive_records += archive.listed.record_count
            report.archives_downloaded += 1
            covered |= archive.days()
        report.archives_skipped += len(listing) - len(todo)
        self._progress(
            PullProgress(
                "archives",
                resource,
                f"{resource.capitalize()}: {len(todo)} new archives stored"
                if todo
                else f"{resource.capitalize()}: no new archives",
                records=report.archive_records,
                archives_done=len(todo),
                archives_total=len(todo),
            )
        )
        return end

    def _overlaps(self, archive: _Archive) -> bool:
        spec = self.spec
        if spec.after and _day_start(archive.end) <= spec.after:
            return False
        return not (spec.before and _day_start(archive.start) > spec.before)

    async def _list_archives(self, kind: str) -> list[_Archive]:
        found: list[_Archive] = []
        url: str | None = None
        page = 0
        while True:
            page += 1
            what = f"page {page} of the archive listing"
            request = self._page_request("archives", (("type", kind),), url)
            outcome = await self._send(request, "archives", what)
            for item in await self._records(outcome, "archives", what):
                try:
                    found.append(
                        _Archive(
                            ArchiveKey(kind, str(item["period"]), str(item["start_date"])[:10]),
                            Listed(item.get("hash"), int(item.get("record_count") or 0)),
                            item.get("download_url"),
                        )
                    )
                except (KeyError, TypeError, ValueError):
                    log.warning("an archive listing item without its period or date was skipped")
            url = outcome.next_url
            if url is None:
                return found

    async def _relist(self, archive: _Archive) -> str | None:
        """A fresh link for ``archive`` (links expire): the listing is read again."""
        for item in await self._list_archives(archive.key.type):
            if item.key == archive.key:
                return item.url
        return None

    async def _download(
        self,
        files: httpx.AsyncClient,
        archive: _Archive,
        filter_key: str,
        keep: Callable[[Record], bool],
    ) -> int:
        """Stream one archive in; a bad checksum is retried once, an expired link re-listed."""
        url = archive.url
        mismatches = relists = 0
        while True:
            if url is None:
                raise PullFailed(
                    "archives",
                    f"The server no longer lists a link to {archive.label()}. Pull again to "
                    "continue; what was stored so far is kept.",
                )
            try:
                return await self._stream(files, archive, url, filter_key, keep)
            except _LinkRefused:
                if relists:
                    raise PullFailed(
                        "archives",
                        f"The file store refused the link to {archive.label()} twice, even a "
                        "fresh one. Check the computer's clock, then pull again; what was "
                        "stored so far is kept.",
                    ) from None
                relists += 1
                log.info("archive link refused (expired?): listing again for a fresh one")
                url = await self._relist(archive)
            except ArchiveMismatch as exc:
                if mismatches:
                    raise PullFailed(
                        "archives",
                        f"{archive.label().capitalize()} was refused: {exc}. It was downloaded "
                        "twice and neither copy was right, so nothing from it was stored. "
                        "Pull again later; what was stored before it is kept.",
                    ) from None
                mismatches += 1
                log.warning("%s refused (%s): downloading it again", archive.label(), exc)

    async def _stream(
        self,
        files: httpx.AsyncClient,
        archive: _Archive,
        url: str,
        filter_key: str,
        keep: Callable[[Record], bool],
    ) -> int:
        table = TABLES["runs" if archive.key.type == "run" else "messages"]
        await self.dataset.archive_begin(table, keep)
        try:
            async with files.stream("GET", url) as response:
                if response.status_code in (401, 403):
                    raise _LinkRefused
                if response.status_code != 200:
                    raise PullFailed(
                        "archives",
                        f"The file store answered {response.status_code} "
                        f"{response.reason_phrase} for {archive.label()}. Pull again later; "
                        "what was stored so far is kept.",
                    )
                buffer = bytearray()
                # Raw bytes: the MD5 is of the gzip file itself, inflated here, not by HTTP.
                async for chunk in response.aiter_raw():
                    buffer += chunk
                    if len(buffer) >= CHUNK:
                        await self.dataset.archive_feed(bytes(buffer))
                        buffer.clear()
                if buffer:
                    await self.dataset.archive_feed(bytes(buffer))
            return await self.dataset.archive_commit(archive.key, filter_key, archive.listed)
        except httpx.HTTPError as exc:
            raise PullFailed(
                "archives",
                f"Could not download {archive.label()}: {exc or type(exc).__name__}. Check the "
                "connection and pull again; what was stored so far is kept.",
            ) from exc
        finally:
            await self.dataset.archive_abandon()


@dataclass
class _PageCounts:
    """One resource's live pass: pages asked for, records received, rows changed."""

    resource: str
    report: ResourceReport
    page: int = 0
    fetched: int = 0
    changed: int = 0
    done: int = 0

    def received(self, records: int) -> None:
        self.fetched += records
        self.report.fetched += records
        self.report.pages += 1

    def stored(self, changed: int) -> PullProgress:
        self.done += 1
        self.changed += changed
        self.report.changed += changed
        return PullProgress(
            "pages",
            self.resource,
            f"{self.resource.capitalize()}: page {self.done} of {self.resource} stored, "
            f"{self.fetched:,} received, {self.changed:,} new or changed",
            records=self.fetched,
        )


def _drop(task: asyncio.Future[Any] | None) -> None:
    """Cancel a request no longer wanted; its answer or failure, if it came, goes unread."""
    if task is None:
        return
    if not task.done():
        task.cancel()
    elif not task.cancelled():
        task.exception()  # marks a failure as seen: it does not matter any more


def _parse(outcome: Outcome) -> None:
    """Parse the body now (in a worker thread); later reads use the parsed value."""
    _ = outcome.json


def _failure(outcome: Outcome, what: str) -> str:
    if outcome.failed:
        text = f"Could not read {what}: {outcome.meaning} {outcome.error}".strip()
    elif not outcome.ok:
        text = (
            f"The server answered {outcome.status} {outcome.reason} for {what}. {outcome.meaning}"
        )
        if outcome.detail:
            text += f" It says: {outcome.detail}"
    else:
        text = f"The answer for {what} is not a page of results."
    return text.strip() + " What was stored so far is kept; pull again to continue."


async def _quietly(step: Any) -> None:
    """Recording how a pull ended must not hide why it ended."""
    try:
        await step
    except Exception:
        log.exception("could not record the pull's outcome")
