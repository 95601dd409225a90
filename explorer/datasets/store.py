"""The dataset file: every write a transaction, done on one worker thread.

:class:`Dataset` owns the SQLite connection and a single worker thread that does all its
work, so the event loop (the window's GUI thread) never waits on the disk: every method
meant for a caller is a coroutine that hands the work to that thread. The watermark of a
resource moves in the same transaction as the rows it describes, so a pull stopped at any
point (even killed) leaves a file that the next pull continues correctly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import sqlite3
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from explorer.datasets import schema
from explorer.datasets.rows import Record, Table, utc_text

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 2000  # archive records written per executemany
COMMIT_ROWS = 50_000  # live rows per transaction: each commit rewrites the index pages touched,
# and with random uuids that is most of them (a million runs: 5,000 a commit took 40 % longer)


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Mark:
    """Where a resource's pull stands for one filter: the watermark and an unfinished pass."""

    watermark: str | None = None
    next_url: str | None = None
    pass_high: str | None = None


@dataclass(frozen=True)
class ArchiveKey:
    """Which archive file: ``("run", "monthly", "2025-04-01")``."""

    type: str
    period: str
    start_date: str


@dataclass
class _ArchiveLoad:
    """One archive file being streamed in, inside one open transaction."""

    table: Table
    keep: Callable[[Record], bool]
    md5: Any = field(default_factory=hashlib.md5)
    inflate: Any = field(default_factory=lambda: zlib.decompressobj(wbits=31))
    partial: bytes = b""
    records: int = 0
    stored: int = 0
    size: int = 0
    broken: str = ""  # why the bytes could not be read; the hash is still worked out
    changes_before: int = 0  # the connection's total_changes when the load began


class PageRefused(Exception):
    """A page handed in after one that failed, not stored (:meth:`Dataset.flush` ends it)."""


class ArchiveMismatch(Exception):
    """The file's MD5 or record count is not what the listing said: nothing was stored."""


class Dataset:
    """One workspace's dataset file. Use ``async with`` or :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataset")
        self._conn: sqlite3.Connection | None = None
        self._load: _ArchiveLoad | None = None
        self._pending = 0  # page rows stored since the last commit
        self._refusing = False  # a page failed: the ones handed in after it are not stored

    async def open(self) -> Dataset:
        try:
            self._conn = await self._call(schema.connect, self.path)
        except BaseException:
            self._worker.shutdown(wait=False)  # nothing to close: the file was not opened
            raise
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._call(self._flush)
            conn, self._conn = self._conn, None
            await self._call(conn.close)
        self._worker.shutdown(wait=True)

    async def __aenter__(self) -> Dataset:
        return await self.open()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the worker; a cancel waits for it to finish (a write is never cut)."""
        future = asyncio.get_running_loop().run_in_executor(
            self._worker, functools.partial(fn, *args)
        )
        try:
            return await asyncio.shield(future)
        finally:
            if not future.done():  # cancelled while the worker runs: let it end first
                await asyncio.wait([future])

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the dataset is not open")
        return self._conn

    # --- what the pull reads ----------------------------------------------------------------

    async def mark(self, resource: str, filter_key: str) -> Mark:
        return await self._call(self._mark, resource, filter_key)

    def _mark(self, resource: str, filter_key: str) -> Mark:
        row = self.conn.execute(
            "SELECT watermark, next_url, pass_high FROM watermarks WHERE resource = ? AND "
            "filter = ?",
            (resource, filter_key),
        ).fetchone()
        return Mark(*row) if row else Mark()

    async def pulled_archives(self, kind: str, filter_key: str) -> dict[ArchiveKey, str | None]:
        def read() -> dict[ArchiveKey, str | None]:
            rows = self.conn.execute(
                "SELECT type, period, start_date, hash FROM archives_pulled WHERE type = ? "
                "AND filter = ?",
                (kind, filter_key),
            )
            return {ArchiveKey(t, p, s): h for t, p, s, h in rows}

        return await self._call(read)

    # --- live pages -------------------------------------------------------------------------

    async def store_page(self, page: PageWrite) -> int:
        """Store a page's records and move its resource's mark in the same transaction.

        The transaction is committed once :data:`COMMIT_ROWS` rows wait in it, at the last
        page of a pass, or on :meth:`flush`: a page's rows and its mark are always in the
        same one, so a crash loses only pages the next pull asks for again. Returns how
        many rows changed (new, or newer than the stored version). Pages may be handed in
        before the one before is stored; once one fails, those after it raise
        :class:`PageRefused` until :meth:`flush`.
        """
        return await self._call(self._store_page, page)

    async def flush(self) -> None:
        """Commit the pages stored so far (a pull that stops keeps what it stored); after a
        page that failed, take pages again."""

        def flush() -> None:
            self._refusing = False
            self._flush()

        await self._call(flush)

    def _flush(self) -> None:
        if self._conn is not None and self._conn.in_transaction and self._load is None:
            self._conn.execute("COMMIT")
            self._pending = 0

    def _store_page(self, page: PageWrite) -> int:
        if self._refusing:
            # Pages are handed in ahead: the one before failed and took its transaction with
            # it, so this one's mark would claim pages that are not stored.
            raise PageRefused("an earlier page of this pass was not stored")
        conn = self.conn
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
        try:
            before = conn.total_changes
            rows = [page.table.row(r, "api") for r in page.records]
            conn.executemany(page.table.upsert_sql(), rows)
            changed = conn.total_changes - before
            mark = self._mark(page.resource, page.filter_key)
            newest = max(
                (t for t in (utc_text(r.get(page.time_field)) for r in page.records) if t),
                default=None,
            )
            high = max((t for t in (mark.pass_high, newest) if t), default=None)
            if page.next_url is None:
                # The pass is complete: what it saw becomes the watermark, with its last rows.
                watermark = max((t for t in (mark.watermark, high) if t), default=None)
                values = (watermark, None, None)
            else:
                values = (mark.watermark, page.next_url, high)
            conn.execute(
                "INSERT INTO watermarks (resource, filter, watermark, next_url, pass_high, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(resource, filter) DO UPDATE "
                "SET watermark = excluded.watermark, next_url = excluded.next_url, "
                "pass_high = excluded.pass_high, updated_at = excluded.updated_at",
                (page.resource, page.filter_key, *values, now_text()),
            )
            self._pending += len(page.records)
            if page.next_url is None or self._pending >= COMMIT_ROWS:
                self._flush()
        except BaseException:
            # The pages before this one in the transaction go too: their marks with them.
            conn.execute("ROLLBACK")
            self._pending = 0
            self._refusing = True
            raise
        return changed

    # --- archives ---------------------------------------------------------------------------

    async def archive_begin(self, table: Table, keep: Callable[[Record], bool]) -> None:
        """Open the transaction one archive file is streamed into."""
        await self._call(self._archive_begin, table, keep)

    def _archive_begin(self, table: Table, keep: Callable[[Record], bool]) -> None:
        self._flush()
        self.conn.execute("BEGIN IMMEDIATE")
        self._load = _ArchiveLoad(table, keep, changes_before=self.conn.total_changes)

    async def archive_feed(self, chunk: bytes) -> int:
        """Hash, inflate and store the next bytes of the file; records read so far."""
        return await self._call(self._archive_feed, chunk)

    def _archive_feed(self, chunk: bytes) -> int:
        load = self._loading()
        load.md5.update(chunk)
        load.size += len(chunk)
        if load.broken:
            return load.records
        try:
            text = load.partial + load.inflate.decompress(chunk)
        except zlib.error as exc:
            # Read on to the end: a damaged download is best told by its checksum.
            load.broken = f"it is not a readable gzip file ({exc})"
            return load.records
        lines = text.split(b"\n")
        load.partial = lines.pop()
        self._archive_lines(load, lines)
        return load.records

    def _archive_lines(self, load: _ArchiveLoad, lines: Iterable[bytes]) -> None:
        batch: list[tuple[Any, ...]] = []
        sql = load.table.upsert_sql()
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ArchiveMismatch(f"line {load.records + 1} is not JSON ({exc})") from exc
            load.records += 1
            if not load.keep(record):
                continue
            batch.append(load.table.row(record, "archive"))
            if len(batch) >= BATCH:
                self.conn.executemany(sql, batch)
                load.stored += len(batch)
                batch.clear()
        if batch:
            self.conn.executemany(sql, batch)
            load.stored += len(batch)

    async def archive_commit(self, key: ArchiveKey, filter_key: str, listed: Listed) -> int:
        """Check the whole file against the listing; store it (commit) or refuse it (roll back).

        Returns the rows it changed (new, or newer than the stored version). Raises
        :class:`ArchiveMismatch` when the hash or count differ.
        """
        return await self._call(self._archive_commit, key, filter_key, listed)

    def _archive_commit(self, key: ArchiveKey, filter_key: str, listed: Listed) -> int:
        load = self._loading()
        try:
            digest = load.md5.hexdigest()
            if listed.hash and digest != listed.hash.lower():
                log.warning("archive MD5 %s, listed %s", digest, listed.hash)
                raise ArchiveMismatch(
                    "its checksum is not the one the server listed, so the file was damaged "
                    "on the way"
                )
            if not load.broken:
                try:
                    rest = load.inflate.flush()
                    self._archive_lines(load, (load.partial + rest).split(b"\n"))
                except zlib.error as exc:
                    load.broken = f"it is not a readable gzip file ({exc})"
            if load.broken:
                raise ArchiveMismatch(load.broken)
            if load.records != listed.record_count:
                raise ArchiveMismatch(
                    f"it holds {load.records:,} records, but the server listed "
                    f"{listed.record_count:,}"
                )
            changed = self.conn.total_changes - load.changes_before
            self._record_archive(key, filter_key, listed)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        finally:
            self._load = None
        return changed

    async def archive_abandon(self) -> None:
        """Roll back an archive whose download stopped half way."""
        await self._call(self._archive_abandon)

    def _archive_abandon(self) -> None:
        if self._load is not None:
            self._load = None
            self.conn.execute("ROLLBACK")

    async def mark_archive(self, key: ArchiveKey, filter_key: str, listed: Listed) -> None:
        """Record an archive as pulled without a download (empty, or its days all covered)."""

        def write() -> None:
            with self._transaction():
                self._record_archive(key, filter_key, listed)

        await self._call(write)

    def _record_archive(self, key: ArchiveKey, filter_key: str, listed: Listed) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO archives_pulled (type, period, start_date, filter, hash, "
            "record_count, pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key.type,
                key.period,
                key.start_date,
                filter_key,
                listed.hash,
                listed.record_count,
                now_text(),
            ),
        )

    @contextlib.contextmanager
    def _transaction(self) -> Any:
        """A small write of its own, after the pages waiting in a transaction are committed."""
        self._flush()
        with _transaction(self.conn):
            yield

    def _loading(self) -> _ArchiveLoad:
        if self._load is None:
            raise RuntimeError("no archive is being loaded")
        return self._load

    # --- the pull log and what the panel shows -----------------------------------------------

    async def pull_started(self, what: str) -> int:
        def write() -> int:
            with self._transaction():
                cur = self.conn.execute(
                    "INSERT INTO pulls (started_at, what, status) VALUES (?, ?, 'running')",
                    (now_text(), what),
                )
            return int(cur.lastrowid or 0)

        return await self._call(write)

    async def pull_ended(
        self, pull_id: int, status: str, step: str = "", message: str = ""
    ) -> None:
        def write() -> None:
            with self._transaction():
                self.conn.execute(
                    "UPDATE pulls SET finished_at = ?, status = ?, step = ?, message = ? "
                    "WHERE id = ?",
                    (now_text(), status, step, message, pull_id),
                )

        await self._call(write)

    async def remember(self, key: str, value: str) -> None:
        """Keep a fact about the dataset (its workspace's address) in its ``meta`` table."""

        def write() -> None:
            with self._transaction():
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
                )

        await self._call(write)

    async def summary(self) -> Summary:
        return await self._call(read_summary, self.conn, self.path)


@dataclass(frozen=True)
class Listed:
    """What the archive listing says about a file."""

    hash: str | None
    record_count: int


@dataclass(frozen=True)
class PageWrite:
    """One live page to store, and where the pass stands after it."""

    table: Table
    resource: str
    filter_key: str
    time_field: str
    records: list[Record]
    next_url: str | None


@dataclass(frozen=True)
class Summary:
    """A dataset as the panel lists it: its file, rows per table and its last pull."""

    path: Path
    counts: dict[str, int]
    last_pull: str | None = None
    last_status: str | None = None
    last_message: str = ""
    base_url: str | None = None
    last_step: str = ""


def read_summary(conn: sqlite3.Connection, path: Path) -> Summary:
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in schema.TABLES}
    last = conn.execute(
        "SELECT coalesce(finished_at, started_at), status, coalesce(step, ''), "
        "coalesce(message, '') FROM pulls ORDER BY id DESC LIMIT 1"
    ).fetchone()
    base = conn.execute("SELECT value FROM meta WHERE key = 'base_url'").fetchone()
    when, status, step, message = last if last else (None, None, "", "")
    return Summary(path, counts, when, status, message, base[0] if base else None, step)


def summarize(path: Path) -> Summary:
    """Read a dataset file's summary (blocking; for a worker thread)."""
    conn = schema.connect(path)
    try:
        return read_summary(conn, path)
    finally:
        conn.close()


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Any:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
