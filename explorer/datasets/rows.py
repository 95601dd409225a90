"""From records (the live API's results or rp-archiver's lines) to the dataset's rows.

Both shapes become one row shape per table (see :mod:`explorer.datasets.schema`): archive
records lack some keys the API has (a run's ``start``, a message's ``archived``,
``quick_replies`` and ``media``) and have one it lacks (``ticket_uuid``); those columns stay
empty. Datetimes become the API's UTC text, whichever form the record used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Record = Mapping[str, Any]


def utc_text(value: Any) -> str | None:
    """``2017-08-12T19:11:59.890662+00:00`` or ``…Z`` as ``2017-08-12T19:11:59.890662Z``."""
    if not isinstance(value, str) or not value:
        return None
    if value.endswith("+00:00"):
        value = value[:-6] + "Z"
    if value.endswith("Z") and len(value) == 27:
        return value  # the common case, already in the API's form
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value  # kept as the server wrote it rather than lost
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


def _ref(record: Record, key: str, part: str) -> Any:
    ref = record.get(key)
    return ref.get(part) if isinstance(ref, Mapping) else None


@dataclass(frozen=True)
class Table:
    """A table's columns, key, the time its watermark follows, and how a record fills it."""

    name: str
    key: str
    columns: tuple[str, ...]
    row: Callable[[Record, str], tuple[Any, ...]]
    newer_wins: str | None = None  # the column compared on upsert (None: the newest pull wins)

    def upsert_sql(self) -> str:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in self.columns if c != self.key)
        sql = (
            f"INSERT INTO {self.name} ({cols}) VALUES ({marks}) "
            f'ON CONFLICT("{self.key}") DO UPDATE SET {sets}'
        )
        if self.newer_wins:
            # The latest modified_on wins; an equal one is the same version, left alone (so a
            # repeated page counts no change).
            col = self.newer_wins
            sql += f' WHERE excluded."{col}" > {self.name}."{col}" OR {self.name}."{col}" IS NULL'
        else:
            # No time to compare: the newest pull wins, and only a real difference counts.
            same = " AND ".join(
                f'{self.name}."{c}" IS excluded."{c}"' for c in self.columns if c != "source"
            )
            sql += f" WHERE NOT ({same})"
        return sql


def _run(r: Record, source: str) -> tuple[Any, ...]:
    return (
        r.get("uuid"),
        r.get("id"),
        _ref(r, "flow", "uuid"),
        _ref(r, "flow", "name"),
        _ref(r, "contact", "uuid"),
        _ref(r, "contact", "name"),
        _ref(r, "start", "uuid"),
        _bool(r.get("responded")),
        _json(r.get("path")),
        _json(r.get("values") or {}),
        utc_text(r.get("created_on")),
        utc_text(r.get("modified_on")),
        utc_text(r.get("exited_on")),
        r.get("exit_type"),
        source,
    )


def _urn(value: Any) -> Any:
    return value.get("path") if isinstance(value, Mapping) else value


def _message(r: Record, source: str) -> tuple[Any, ...]:
    archived = r.get("archived")
    if archived is None and source == "archive":
        archived = r.get("visibility") == "archived"  # what the API would have said
    return (
        r.get("uuid"),
        r.get("id"),
        r.get("broadcast"),
        _ref(r, "contact", "uuid"),
        _ref(r, "contact", "name"),
        _urn(r.get("urn")),
        _ref(r, "channel", "uuid"),
        _ref(r, "channel", "name"),
        _ref(r, "flow", "uuid"),
        _ref(r, "flow", "name"),
        r.get("ticket_uuid"),
        r.get("direction"),
        r.get("type"),
        r.get("status"),
        r.get("visibility"),
        _bool(archived),
        r.get("text"),
        _json(r.get("attachments")),
        _json(r.get("labels")),
        _json(r.get("quick_replies")),
        _json(r.get("media")),
        utc_text(r.get("created_on")),
        utc_text(r.get("sent_on")),
        utc_text(r.get("modified_on")),
        source,
    )


def _contact(r: Record, source: str, *, deleted: bool = False) -> tuple[Any, ...]:
    return (
        r.get("uuid"),
        r.get("name"),
        r.get("ref"),
        r.get("anon_display"),
        r.get("status"),
        r.get("language"),
        _json(r.get("urns")),
        _json(r.get("groups")),
        _json(r.get("notes")),
        _json(r.get("fields") or {}),
        _ref(r, "flow", "uuid"),
        _ref(r, "flow", "name"),
        _bool(r.get("blocked")),
        _bool(r.get("stopped")),
        utc_text(r.get("created_on")),
        utc_text(r.get("modified_on")),
        utc_text(r.get("last_seen_on")),
        int(deleted),
        source,
    )


def _deleted_contact(r: Record, source: str) -> tuple[Any, ...]:
    return _contact(r, source, deleted=True)


def _flow(r: Record, source: str) -> tuple[Any, ...]:
    return (
        r.get("uuid"),
        r.get("name"),
        r.get("type"),
        _bool(r.get("archived")),
        _json(r.get("labels")),
        r.get("expires"),
        _json(r.get("runs")),
        _json(r.get("results")),
        _json(r.get("parent_refs")),
        utc_text(r.get("created_on")),
        utc_text(r.get("modified_on")),
        source,
    )


def _group(r: Record, source: str) -> tuple[Any, ...]:
    return (
        r.get("uuid"),
        r.get("name"),
        r.get("query"),
        r.get("status"),
        _bool(r.get("system")),
        r.get("count"),
        source,
    )


def _field(r: Record, source: str) -> tuple[Any, ...]:
    return (
        r.get("key"),
        r.get("name"),
        r.get("type"),
        _bool(r.get("featured")),
        r.get("priority"),
        _json(r.get("usages")),
        r.get("agent_access"),
        source,
    )


RUN_COLUMNS = (
    "uuid", "id", "flow_uuid", "flow_name", "contact_uuid", "contact_name", "start_uuid",
    "responded", "path", "values", "created_on", "modified_on", "exited_on", "exit_type",
    "source",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "uuid", "id", "broadcast", "contact_uuid", "contact_name", "urn", "channel_uuid",
    "channel_name", "flow_uuid", "flow_name", "ticket_uuid", "direction", "type", "status",
    "visibility", "archived", "text", "attachments", "labels", "quick_replies", "media",
    "created_on", "sent_on", "modified_on", "source",
)  # fmt: skip
CONTACT_COLUMNS = (
    "uuid", "name", "ref", "anon_display", "status", "language", "urns", "groups", "notes",
    "fields", "flow_uuid", "flow_name", "blocked", "stopped", "created_on", "modified_on",
    "last_seen_on", "is_deleted", "source",
)  # fmt: skip

TABLES: dict[str, Table] = {
    "runs": Table("runs", "uuid", RUN_COLUMNS, _run, "modified_on"),
    "messages": Table("messages", "uuid", MESSAGE_COLUMNS, _message, "modified_on"),
    "contacts": Table("contacts", "uuid", CONTACT_COLUMNS, _contact, "modified_on"),
    "flows": Table(
        "flows",
        "uuid",
        (
            "uuid",
            "name",
            "type",
            "archived",
            "labels",
            "expires",
            "runs",
            "results",
            "parent_refs",
            "created_on",
            "modified_on",
            "source",
        ),
        _flow,
    ),
    "groups": Table(
        "groups", "uuid", ("uuid", "name", "query", "status", "system", "count", "source"), _group
    ),
    "fields": Table(
        "fields",
        "key",
        ("key", "name", "type", "featured", "priority", "usages", "agent_access", "source"),
        _field,
    ),
}

# Deleted contacts come from their own listing; their rows say so. A deletion always wins
# over an older live row, even when the server kept the same modified_on.
DELETED_CONTACTS = Table("contacts", "uuid", CONTACT_COLUMNS, _deleted_contact, None)
