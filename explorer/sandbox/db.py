"""The sandbox's SQLite database: schema, opening, building from the seed, and its guard.

Tests use a database in memory. The app keeps one in a file so what a user creates survives
a restart; a new or reset file is built beside the old one and swapped in atomically. A file
that is not a sandbox database, cannot be read, or was written by a newer version is
reported with :class:`SandboxDatabaseError` and left exactly as it was.

Timestamps are stored as integer microseconds since the epoch (UTC): they sort and compare
as numbers, index compactly, and are formatted only for the rows a page returns.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
APPLICATION_ID = 0x52505831  # "RPX1": marks a file as a RapidPro Explorer sandbox database

TABLES = (
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE channels (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, name TEXT NOT NULL,
        address TEXT NOT NULL, type TEXT NOT NULL, country TEXT, device TEXT, schemes TEXT NOT NULL,
        last_seen INTEGER, created_on INTEGER NOT NULL)""",
    """CREATE TABLE fields (id INTEGER PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL,
        type TEXT NOT NULL, featured INTEGER NOT NULL DEFAULT 0,
        priority INTEGER NOT NULL DEFAULT 0,
        agent_access TEXT NOT NULL DEFAULT 'view', usage_flows INTEGER NOT NULL DEFAULT 0,
        usage_groups INTEGER NOT NULL DEFAULT 0, is_active INTEGER NOT NULL DEFAULT 1,
        created_on INTEGER NOT NULL)""",
    """CREATE TABLE groups (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, name TEXT NOT NULL,
        query TEXT, status TEXT NOT NULL DEFAULT 'ready', system INTEGER NOT NULL DEFAULT 0,
        system_status TEXT, count INTEGER NOT NULL DEFAULT 0, is_active INTEGER NOT NULL DEFAULT 1,
        created_on INTEGER NOT NULL)""",
    """CREATE TABLE contacts (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, name TEXT,
        language TEXT, status TEXT NOT NULL, is_active INTEGER NOT NULL, fields TEXT NOT NULL,
        flow_id INTEGER, notes TEXT NOT NULL DEFAULT '[]', created_on INTEGER NOT NULL,
        modified_on INTEGER NOT NULL, last_seen_on INTEGER)""",
    """CREATE TABLE contact_urns (id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL,
        identity TEXT NOT NULL, scheme TEXT NOT NULL, path TEXT NOT NULL, display TEXT,
        priority INTEGER NOT NULL, channel_id INTEGER)""",
    """CREATE TABLE contact_groups (contact_id INTEGER NOT NULL, group_id INTEGER NOT NULL)""",
    """CREATE TABLE labels (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, name TEXT NOT NULL,
        is_active INTEGER NOT NULL DEFAULT 1, created_on INTEGER NOT NULL)""",
    """CREATE TABLE messages (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL,
        contact_id INTEGER NOT NULL,
        urn TEXT, channel_id INTEGER, direction TEXT NOT NULL, type TEXT NOT NULL,
        status TEXT NOT NULL, visibility TEXT NOT NULL, text TEXT NOT NULL, flow_id INTEGER,
        attachments TEXT NOT NULL DEFAULT '[]', quick_replies TEXT NOT NULL DEFAULT '[]',
        broadcast_id INTEGER, created_on INTEGER NOT NULL, sent_on INTEGER,
        modified_on INTEGER NOT NULL)""",
    """CREATE TABLE msg_labels (msg_id INTEGER NOT NULL, label_id INTEGER NOT NULL)""",
    """CREATE TABLE flows (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, name TEXT NOT NULL,
        type TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0, labels TEXT NOT NULL DEFAULT '[]',
        expires INTEGER NOT NULL, results TEXT NOT NULL DEFAULT '[]',
        parent_refs TEXT NOT NULL DEFAULT '[]', definition TEXT NOT NULL,
        created_on INTEGER NOT NULL, modified_on INTEGER NOT NULL)""",
    """CREATE TABLE runs (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, flow_id INTEGER NOT NULL,
        contact_id INTEGER NOT NULL, start_id INTEGER, responded INTEGER NOT NULL,
        status TEXT NOT NULL, path TEXT NOT NULL, vals TEXT NOT NULL, created_on INTEGER NOT NULL,
        modified_on INTEGER NOT NULL, exited_on INTEGER)""",
    """CREATE TABLE campaigns (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, name TEXT NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0, group_id INTEGER NOT NULL,
        is_active INTEGER NOT NULL DEFAULT 1, created_on INTEGER NOT NULL)""",
    """CREATE TABLE campaign_events (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL,
        campaign_id INTEGER NOT NULL, field_id INTEGER NOT NULL, "offset" INTEGER NOT NULL,
        unit TEXT NOT NULL, delivery_hour INTEGER NOT NULL, flow_id INTEGER, message TEXT,
        is_active INTEGER NOT NULL DEFAULT 1, created_on INTEGER NOT NULL)""",
    """CREATE TABLE broadcasts (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, status TEXT NOT NULL,
        total INTEGER, started INTEGER NOT NULL DEFAULT 0, urns TEXT NOT NULL DEFAULT '[]',
        contact_ids TEXT NOT NULL DEFAULT '[]', group_ids TEXT NOT NULL DEFAULT '[]',
        translations TEXT NOT NULL, base_language TEXT NOT NULL,
        scheduled INTEGER NOT NULL DEFAULT 0, created_on INTEGER NOT NULL)""",
    """CREATE TABLE flow_starts (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL,
        flow_id INTEGER NOT NULL,
        status TEXT NOT NULL, total INTEGER, started INTEGER NOT NULL DEFAULT 0,
        group_ids TEXT NOT NULL DEFAULT '[]', contact_ids TEXT NOT NULL DEFAULT '[]',
        urns TEXT NOT NULL DEFAULT '[]', params TEXT NOT NULL DEFAULT '{}',
        restart_participants INTEGER NOT NULL DEFAULT 1, exclude_active INTEGER NOT NULL DEFAULT 0,
        by_user INTEGER NOT NULL DEFAULT 1, created_on INTEGER NOT NULL,
        modified_on INTEGER NOT NULL)""",
    """CREATE TABLE globals (id INTEGER PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL,
        value TEXT NOT NULL, is_active INTEGER NOT NULL DEFAULT 1, created_on INTEGER NOT NULL,
        modified_on INTEGER NOT NULL)""",
    """CREATE TABLE resthooks (id INTEGER PRIMARY KEY, slug TEXT NOT NULL,
        is_active INTEGER NOT NULL DEFAULT 1, created_on INTEGER NOT NULL,
        modified_on INTEGER NOT NULL)""",
    """CREATE TABLE resthook_subscribers (id INTEGER PRIMARY KEY, resthook_id INTEGER NOT NULL,
        target_url TEXT NOT NULL, is_active INTEGER NOT NULL DEFAULT 1,
        created_on INTEGER NOT NULL)""",
    """CREATE TABLE resthook_events (id INTEGER PRIMARY KEY, resthook_id INTEGER NOT NULL,
        data TEXT NOT NULL, created_on INTEGER NOT NULL)""",
    """CREATE TABLE topics (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, name TEXT NOT NULL,
        system INTEGER NOT NULL DEFAULT 0, is_active INTEGER NOT NULL DEFAULT 1,
        created_on INTEGER NOT NULL)""",
    """CREATE TABLE tickets (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL,
        contact_id INTEGER NOT NULL,
        status TEXT NOT NULL, topic_id INTEGER NOT NULL, assignee_id INTEGER,
        opened_on INTEGER NOT NULL, opened_by_id INTEGER, opened_in_id INTEGER,
        modified_on INTEGER NOT NULL, closed_on INTEGER, notes TEXT NOT NULL DEFAULT '[]')""",
    """CREATE TABLE users (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, email TEXT NOT NULL,
        first_name TEXT NOT NULL, last_name TEXT NOT NULL, role TEXT NOT NULL, team TEXT,
        avatar TEXT, date_joined INTEGER NOT NULL)""",
    """CREATE TABLE archives (id INTEGER PRIMARY KEY, type TEXT NOT NULL, start_date TEXT NOT NULL,
        period TEXT NOT NULL, record_count INTEGER NOT NULL, size INTEGER NOT NULL, hash TEXT,
        rolled_up INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE boundaries (id INTEGER PRIMARY KEY, osm_id TEXT NOT NULL, name TEXT NOT NULL,
        parent_osm_id TEXT, level INTEGER NOT NULL, aliases TEXT NOT NULL DEFAULT '[]',
        geometry TEXT)""",
    """CREATE TABLE channel_events (id INTEGER PRIMARY KEY, type TEXT NOT NULL,
        contact_id INTEGER NOT NULL, channel_id INTEGER NOT NULL, extra TEXT,
        occurred_on INTEGER NOT NULL, created_on INTEGER NOT NULL)""",
    """CREATE TABLE media (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, content_type TEXT NOT NULL,
        filename TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL,
        created_on INTEGER NOT NULL)""",
)

# Built after the seed's bulk inserts: filling indexed tables row by row is several times
# slower than sorting once at the end. Every page query walks one of these in order, so page
# 4,000 of a million contacts costs what page 1 does (keyset pagination, never OFFSET).
INDEXES = (
    "CREATE UNIQUE INDEX contacts_uuid ON contacts (uuid)",
    "CREATE INDEX contacts_page ON contacts (is_active, modified_on, id)",
    "CREATE UNIQUE INDEX contact_urns_identity ON contact_urns (identity)",
    "CREATE INDEX contact_urns_contact ON contact_urns (contact_id)",
    "CREATE UNIQUE INDEX contact_groups_pk ON contact_groups (group_id, contact_id)",
    "CREATE INDEX contact_groups_contact ON contact_groups (contact_id)",
    "CREATE UNIQUE INDEX messages_uuid ON messages (uuid)",
    "CREATE INDEX messages_page ON messages (created_on, id)",
    "CREATE INDEX messages_contact ON messages (contact_id)",
    "CREATE INDEX msg_labels_msg ON msg_labels (msg_id)",
    "CREATE INDEX msg_labels_label ON msg_labels (label_id)",
    "CREATE UNIQUE INDEX runs_uuid ON runs (uuid)",
    "CREATE INDEX runs_page ON runs (modified_on, id)",
    "CREATE INDEX runs_flow ON runs (flow_id, status)",
    "CREATE INDEX runs_contact ON runs (contact_id)",
    "CREATE INDEX tickets_page ON tickets (modified_on, id)",
    "CREATE INDEX tickets_contact ON tickets (contact_id)",
    "CREATE INDEX channel_events_page ON channel_events (created_on, id)",
    "CREATE UNIQUE INDEX media_uuid ON media (uuid)",
)


class SandboxDatabaseError(Exception):
    """A database file the sandbox will not use (and has not touched).

    ``message`` says what is wrong with it; what to do about it depends on who asks (the
    ``sandbox`` command has options, the app has none), so ``rebuild`` only says whether
    rebuilding it from the seed would do, where otherwise the file must be moved away.
    """

    def __init__(self, path: Path, message: str, *, rebuild: bool = False) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.rebuild = rebuild


class Database:
    """One SQLite connection shared by the server thread and setup code, guarded by a lock."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0
        # Autocommit, with explicit BEGIN/COMMIT in transaction(): no write is ever left
        # pending in an implicit transaction that nobody commits.
        conn.isolation_level = None
        conn.row_factory = sqlite3.Row

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

    def row(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.conn.execute(sql, args).fetchone()

    def value(self, sql: str, args: Sequence[Any] = ()) -> Any:
        found = self.row(sql, args)
        return None if found is None else found[0]

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.execute(sql, args)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside commits together, or not at all."""
        with self.lock:
            outermost = self._depth == 0
            if outermost:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if outermost:
                    self.conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self.conn.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        return self.value("SELECT value FROM meta WHERE key = ?", (key,))

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def create_schema(conn: sqlite3.Connection) -> None:
    for statement in TABLES:
        conn.execute(statement)


def create_indexes(conn: sqlite3.Connection) -> None:
    for statement in INDEXES:
        conn.execute(statement)


def open_database(path: Path | None, *, contacts: int, reset: bool = False) -> Database:
    """The database at ``path`` (None: a fresh one in memory), seeded when new or reset.

    Raises :class:`SandboxDatabaseError` for a file it must not use; that file is untouched.
    """
    if path is None:
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        _build(conn, contacts)
        return Database(conn, None)

    path = Path(path)
    if path.exists():
        version = _check_existing(path)
        if not reset and version < SCHEMA_VERSION:
            raise SandboxDatabaseError(
                path,
                f"it holds an older sandbox (schema {version}) that this version cannot upgrade",
                rebuild=True,
            )
        if reset or version < SCHEMA_VERSION:
            log.info("rebuilding sandbox database %s from the seed", path)
            _build_file(path, contacts)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        log.info("creating sandbox database %s", path)
        _build_file(path, contacts)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:  # pragma: no cover - the file was just checked
        conn.close()
        raise SandboxDatabaseError(path, f"cannot be opened: {exc}") from exc
    return Database(conn, path)


def _check_existing(path: Path) -> int:
    """The schema version of a sandbox file, or SandboxDatabaseError if it is not one we read."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SandboxDatabaseError(
            path, f"cannot be opened ({exc}); it was left untouched"
        ) from exc
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise SandboxDatabaseError(
            path,
            f"cannot be read as a sandbox database ({exc}); it was left untouched",
        ) from exc
    finally:
        conn.close()
    if app_id != APPLICATION_ID:
        raise SandboxDatabaseError(
            path,
            "is not a RapidPro Explorer sandbox database; it was left untouched",
        )
    if version > SCHEMA_VERSION:
        raise SandboxDatabaseError(
            path,
            f"was written by a newer RapidPro Explorer (schema {version}; this version reads "
            f"up to {SCHEMA_VERSION}); it was left untouched",
        )
    return int(version)


def _build(conn: sqlite3.Connection, contacts: int) -> None:
    from explorer.sandbox.seed import seed

    # Nothing is at risk while building (a failed build is thrown away), so skip the journal.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    conn.execute("BEGIN")
    create_schema(conn)
    seed(conn, contacts)
    create_indexes(conn)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")


def _build_file(path: Path, contacts: int) -> None:
    """Build a seeded database next to ``path``, then swap it in atomically."""
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)  # a leftover of a build that was interrupted
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        _build(conn, contacts)
        conn.execute("PRAGMA journal_mode=DELETE")
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    # A write-ahead log left by the old file would be replayed into the new one: drop it.
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.replace(tmp, path)
