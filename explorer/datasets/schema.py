"""The dataset file's schema: one table per resource, bookkeeping tables, analysis views.

Schema version 1 (``PRAGMA user_version``; the file is marked with its own
``application_id`` so another SQLite file is never mistaken for a dataset):

- ``runs``, ``messages``, ``contacts``, ``flows``, ``groups``, ``fields``: one row per object,
  keyed by its ``uuid`` (``fields`` by its ``key``). Scalars have typed columns; references
  are split into ``<name>_uuid`` and ``<name>_name``; lists and objects are JSON text.
  Datetimes are UTC text in the API's form (``2026-05-01T08:00:00.123456Z``), whatever form
  the source wrote, so they sort and compare as text. ``source`` says where the row came
  from (``archive`` or ``api``). Rows from archives leave empty what archives do not hold:
  a run's ``start_uuid``; a message's ``archived``, ``quick_replies`` and ``media``; a
  contact's URN on its runs and messages. Only live messages have ``ticket_uuid`` empty.
- ``contacts.is_deleted`` is 1 for contacts the server reports deleted.
- ``watermarks``: per resource and filter, the last ``modified_on`` (``created_on`` for
  messages, the only time their listing filters on) actually stored, and while a pass is
  under way the next page's link and the newest time seen so far.
- ``archives_pulled``: which archive files are stored (per filter), with their hash and count.
- ``pulls``: one row per pull, with its outcome (the panel's "last pull").
- Views: ``run_results`` (one row per run and result key), ``contact_fields`` (one row per
  contact and field) and ``message_counts`` (messages per day, status and direction).

Migrations from older versions live in :data:`MIGRATIONS`; a file from a newer version is
refused and left untouched.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
APPLICATION_ID = 0x52504453  # "RPDS"

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);

CREATE TABLE runs (
    uuid TEXT PRIMARY KEY,
    id INTEGER,
    flow_uuid TEXT,
    flow_name TEXT,
    contact_uuid TEXT,
    contact_name TEXT,
    start_uuid TEXT,
    responded INTEGER,
    path TEXT,
    "values" TEXT,
    created_on TEXT,
    modified_on TEXT,
    exited_on TEXT,
    exit_type TEXT,
    source TEXT NOT NULL
);
CREATE INDEX runs_modified ON runs (modified_on);
CREATE INDEX runs_flow ON runs (flow_uuid);

CREATE TABLE messages (
    uuid TEXT PRIMARY KEY,
    id INTEGER,
    broadcast INTEGER,
    contact_uuid TEXT,
    contact_name TEXT,
    urn TEXT,
    channel_uuid TEXT,
    channel_name TEXT,
    flow_uuid TEXT,
    flow_name TEXT,
    ticket_uuid TEXT,
    direction TEXT,
    type TEXT,
    status TEXT,
    visibility TEXT,
    archived INTEGER,
    text TEXT,
    attachments TEXT,
    labels TEXT,
    quick_replies TEXT,
    media TEXT,
    created_on TEXT,
    sent_on TEXT,
    modified_on TEXT,
    source TEXT NOT NULL
);
CREATE INDEX messages_created ON messages (created_on);

CREATE TABLE contacts (
    uuid TEXT PRIMARY KEY,
    name TEXT,
    ref TEXT,
    anon_display TEXT,
    status TEXT,
    language TEXT,
    urns TEXT,
    groups TEXT,
    notes TEXT,
    fields TEXT,
    flow_uuid TEXT,
    flow_name TEXT,
    blocked INTEGER,
    stopped INTEGER,
    created_on TEXT,
    modified_on TEXT,
    last_seen_on TEXT,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL
);
CREATE INDEX contacts_modified ON contacts (modified_on);

CREATE TABLE flows (
    uuid TEXT PRIMARY KEY,
    name TEXT,
    type TEXT,
    archived INTEGER,
    labels TEXT,
    expires INTEGER,
    runs TEXT,
    results TEXT,
    parent_refs TEXT,
    created_on TEXT,
    modified_on TEXT,
    source TEXT NOT NULL
);

CREATE TABLE groups (
    uuid TEXT PRIMARY KEY,
    name TEXT,
    query TEXT,
    status TEXT,
    system INTEGER,
    count INTEGER,
    source TEXT NOT NULL
);

CREATE TABLE fields (
    key TEXT PRIMARY KEY,
    name TEXT,
    type TEXT,
    featured INTEGER,
    priority INTEGER,
    usages TEXT,
    agent_access TEXT,
    source TEXT NOT NULL
);

CREATE TABLE watermarks (
    resource TEXT NOT NULL,
    filter TEXT NOT NULL,
    watermark TEXT,
    next_url TEXT,
    pass_high TEXT,
    updated_at TEXT,
    PRIMARY KEY (resource, filter)
);

CREATE TABLE archives_pulled (
    type TEXT NOT NULL,
    period TEXT NOT NULL,
    start_date TEXT NOT NULL,
    filter TEXT NOT NULL,
    hash TEXT,
    record_count INTEGER,
    pulled_at TEXT,
    PRIMARY KEY (type, period, start_date, filter)
);

CREATE TABLE pulls (
    id INTEGER PRIMARY KEY,
    started_at TEXT,
    finished_at TEXT,
    what TEXT,
    status TEXT,
    step TEXT,
    message TEXT
);

CREATE VIEW run_results AS
SELECT r.uuid AS run,
       r.flow_uuid AS flow,
       r.flow_name AS flow_name,
       r.contact_uuid AS contact,
       r.contact_name AS contact_name,
       v.key AS key,
       json_extract(v.value, '$.name') AS name,
       json_extract(v.value, '$.category') AS category,
       json_extract(v.value, '$.value') AS value,
       json_extract(v.value, '$.input') AS input,
       json_extract(v.value, '$.time') AS time
FROM runs AS r, json_each(r."values") AS v;

CREATE VIEW contact_fields AS
SELECT c.uuid AS contact,
       c.name AS contact_name,
       f.key AS field,
       f.value AS value
FROM contacts AS c, json_each(c.fields) AS f
WHERE c.is_deleted = 0;

CREATE VIEW message_counts AS
SELECT substr(created_on, 1, 10) AS day,
       status,
       direction,
       count(*) AS messages
FROM messages
GROUP BY day, status, direction;
"""

MIGRATIONS: dict[int, str] = {1: _V1}
"""The script that brings a file from version ``n - 1`` to ``n``."""

TABLES = ("runs", "messages", "contacts", "flows", "groups", "fields")
VIEWS = ("run_results", "contact_fields", "message_counts")


class DatasetFileError(Exception):
    """A dataset file that cannot be used; it was left as it is."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"The dataset {path} {why}.")
        self.message = str(self)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating or upgrading) the dataset at ``path``.

    Autocommit mode: the caller opens every transaction itself with ``BEGIN``, so a write is
    all or nothing. WAL lets the panel read counts while a pull writes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists() and path.stat().st_size > 0
    try:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise DatasetFileError(path, f"cannot be read as a database ({exc})") from exc
    if existed and app_id != APPLICATION_ID:
        conn.close()
        raise DatasetFileError(path, "is not a RapidPro Explorer dataset")
    if version > SCHEMA_VERSION:
        conn.close()
        raise DatasetFileError(
            path,
            f"was written by a newer RapidPro Explorer (schema {version}; this one reads up "
            f"to {SCHEMA_VERSION})",
        )
    _use_wal(conn)
    conn.execute("PRAGMA synchronous=NORMAL")
    # The uuid index takes rows in random order: a bigger cache keeps its pages in memory.
    conn.execute("PRAGMA cache_size=-32768")
    if version < SCHEMA_VERSION:
        _migrate(conn, version)
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a new file to WAL (it stays so); a file being switched by another connection
    at the same moment answers "locked" at once, whatever the busy timeout: try again."""
    for attempt in range(50):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.02)


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another connection (the panel listing the file
        # while a pull opens it) may have made or upgraded the schema meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for target in range(version + 1, SCHEMA_VERSION + 1):
            log.info("dataset schema: %d -> %d", target - 1, target)
            for statement in MIGRATIONS[target].split(";\n"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
