"""Contacts, their groups and fields, and the bulk contact actions."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from starlette.responses import Response

from explorer.core.catalog import Param
from explorer.core.values import parse_uuid
from explorer.sandbox.api import (
    REGISTRY,
    Ctx,
    Filter,
    Resource,
    bad_request,
    detail,
    json_response,
    non_field,
    normalize_urn,
    not_found,
    query_bool,
)
from explorer.sandbox.clock import iso, now_us
from explorer.sandbox.seed import USERS, WORKSPACE
from explorer.sandbox.validation import (
    UNIQUE,
    FieldCheck,
    FieldError,
    check_actions,
    check_name,
    fail,
    require_fields,
    validate_body,
    validate_fields,
)

# ContactField.make_key refuses these (they clash with contact attributes in expressions).
RESERVED_FIELD_KEYS = frozenset(
    {
        "id",
        "uuid",
        "name",
        "first_name",
        "language",
        "created_on",
        "created_by",
        "modified_on",
        "modified_by",
        "groups",
        "urns",
        "fields",
        "channel",
        "flow",
        "status",
        "is",
        "has",
        "tel",
        "mailto",
        "twitter",
        "facebook",
        "telegram",
        "whatsapp",
        "ext",
        "email",
        "phone",
        "ticket",
        "timezone",
        "org",
        "created",
        "last_seen_on",
        "urn",
    }
)


def _json_list(text: str | None) -> list[Any]:
    # Nearly every contact has no notes: skip the parser for the common case.
    return json.loads(text) if text and text != "[]" else []


def channel_for_scheme(ctx: Ctx, scheme: str) -> int | None:
    for row in ctx.db.rows("SELECT id, schemes FROM channels ORDER BY id"):
        if scheme in json.loads(row["schemes"]):
            return int(row["id"])
    return None


def adjust_group_counts(ctx: Ctx, deltas: dict[int, int]) -> None:
    for group_id, delta in deltas.items():
        if delta:
            ctx.db.execute("UPDATE groups SET count = count + ? WHERE id = ?", (delta, group_id))


def status_group(ctx: Ctx, status: str | None) -> int | None:
    if status is None:
        return None
    return ctx.db.value("SELECT id FROM groups WHERE system = 1 AND system_status = ?", (status,))


def release_contacts(ctx: Ctx, ids: Sequence[int]) -> None:
    """Delete contacts as RapidPro releases them: URNs and memberships go, the row stays."""
    now = now_us()
    for cid in ids:
        row = ctx.db.row("SELECT status, is_active FROM contacts WHERE id = ?", (cid,))
        if row is None or not row["is_active"]:
            continue
        groups = [
            r[0]
            for r in ctx.db.rows("SELECT group_id FROM contact_groups WHERE contact_id = ?", (cid,))
        ]
        deltas = dict.fromkeys(groups, -1)
        sys_group = status_group(ctx, row["status"])
        if sys_group:
            deltas[sys_group] = deltas.get(sys_group, 0) - 1
        adjust_group_counts(ctx, deltas)
        ctx.db.execute("DELETE FROM contact_groups WHERE contact_id = ?", (cid,))
        ctx.db.execute("DELETE FROM contact_urns WHERE contact_id = ?", (cid,))
        ctx.db.execute(
            "UPDATE runs SET status = 'interrupted', exited_on = ?, modified_on = ? WHERE "
            "contact_id = ? AND status IN ('active', 'waiting')",
            (now, now, cid),
        )
        ctx.db.execute(
            "UPDATE contacts SET is_active = 0, flow_id = NULL, modified_on = ? WHERE id = ?",
            (now, cid),
        )


def set_status(ctx: Ctx, ids: Sequence[int], status: str) -> None:
    now = now_us()
    for cid in ids:
        old = ctx.db.value("SELECT status FROM contacts WHERE id = ? AND is_active = 1", (cid,))
        if old is None or old == status:
            continue
        deltas: dict[int, int] = {}
        for s, d in ((old, -1), (status, 1)):
            g = status_group(ctx, s)
            if g:
                deltas[g] = deltas.get(g, 0) + d
        if status != "active":
            # Blocked and stopped contacts leave their groups, as RapidPro's modifiers do.
            for g in [
                r[0]
                for r in ctx.db.rows(
                    "SELECT group_id FROM contact_groups WHERE contact_id = ?", (cid,)
                )
            ]:
                deltas[g] = deltas.get(g, 0) - 1
            ctx.db.execute("DELETE FROM contact_groups WHERE contact_id = ?", (cid,))
        adjust_group_counts(ctx, deltas)
        ctx.db.execute(
            "UPDATE contacts SET status = ?, modified_on = ? WHERE id = ?", (status, now, cid)
        )


def change_groups(ctx: Ctx, ids: Sequence[int], group_id: int, *, add: bool) -> None:
    now = now_us()
    delta = 0
    for cid in ids:
        present = ctx.db.value(
            "SELECT 1 FROM contact_groups WHERE contact_id = ? AND group_id = ?", (cid, group_id)
        )
        if add and not present:
            ctx.db.execute(
                "INSERT INTO contact_groups (contact_id, group_id) VALUES (?, ?)", (cid, group_id)
            )
            delta += 1
        elif not add and present:
            ctx.db.execute(
                "DELETE FROM contact_groups WHERE contact_id = ? AND group_id = ?", (cid, group_id)
            )
            delta -= 1
        else:
            continue
        ctx.db.execute("UPDATE contacts SET modified_on = ? WHERE id = ?", (now, cid))
    adjust_group_counts(ctx, {group_id: delta})


def manual_group_error(ctx: Ctx, group_id: int, given: Any) -> str | None:
    row = ctx.db.row("SELECT query, system FROM groups WHERE id = ?", (group_id,))
    if row is not None and (row["query"] or row["system"]):
        return f"Contact group must not be query based: {given}"
    return None


_FULL_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d{,9})?([+-]\d{2}:\d{2}|Z)$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DAY_FIRST = re.compile(r"\b(\d{1,2})[-./\\_](\d{1,2})[-./\\_](\d{4})\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\b")


def workspace_tz() -> ZoneInfo:
    return ZoneInfo(WORKSPACE["timezone"])


def datetime_value(text: str) -> str | None:
    """A datetime field's value as RapidPro stores it, in the workspace's time zone
    (``2017-11-11T13:12:13+02:00``), or None when it cannot be read as a date.

    Full ISO 8601 needs its offset; a date alone may be ISO (midnight UTC) or day first, as
    this workspace writes dates (``31-12-2017``, midnight local unless a time follows).
    """
    text = text.strip().rstrip(".")
    try:
        if _FULL_ISO.match(text):
            # fromisoformat takes at most 6 fractional digits
            text = re.sub(r"(\.\d{6})\d+", r"\1", text)
            return datetime.fromisoformat(text).astimezone(workspace_tz()).isoformat()
        if match := _ISO_DATE.match(text):
            day = date(*(int(g) for g in match.groups()))
            return datetime.combine(day, time(), UTC).astimezone(workspace_tz()).isoformat()
        if match := _DAY_FIRST.search(text):
            day = date(int(match[3]), int(match[2]), int(match[1]))
            clock = _TIME.search(text[match.end() :])
            at = time(int(clock[1]), int(clock[2]), int(clock[3] or 0)) if clock else time()
            return datetime.combine(day, at, workspace_tz()).isoformat()
    except ValueError:
        return None  # a day or hour out of range
    return None


def local_datetime(value: Any) -> Any:
    """A stored datetime value as the API shows it: ``…Z`` (older sandboxes) in local time."""
    if isinstance(value, str) and value.endswith("Z"):
        try:
            return datetime.fromisoformat(value).astimezone(workspace_tz()).isoformat()
        except ValueError:
            return value
    return value


def field_values(ctx: Ctx, values: dict[str, Any]) -> dict[str, Any]:
    """ContactWriteSerializer.validate_fields: known keys only; datetimes read as dates."""
    kinds = {f["key"]: f["type"] for f in ctx.store.fields()}
    for key in values:
        if key not in kinds:
            raise fail(f"Invalid contact field key: {key}")
    return {
        key: datetime_value(value) if kinds[key] == "datetime" and value else value
        for key, value in values.items()
    }


@REGISTRY.add
class Contacts(Resource):
    """``contacts``: list with filters, create or update by uuid/urn, delete."""

    name = "contacts"
    table = "contacts"
    simple_filters: ClassVar[dict[str, str]] = {"uuid": "t.uuid = ?"}
    render_params = frozenset({"expand_urns", "urn_order"})

    def where(self, ctx: Ctx) -> tuple[list[str], list[Any]]:
        clauses, args = super().where(ctx)
        # Leading with is_active lets one index serve both the live and the deleted listing.
        clauses.insert(0, "t.is_active = ?")
        args.insert(0, 0 if query_bool(ctx.param("deleted")) else 1)
        return clauses, args

    def filter_deleted(self, ctx: Ctx, raw: str | None, param: Param) -> Filter | None:
        return None  # folded into where() so it leads the index

    def filter_urn(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        identity = normalize_urn(raw or "")
        if identity is None:
            raise detail(400, f"Invalid URN: {raw}")
        return "t.id IN (SELECT contact_id FROM contact_urns WHERE identity = ?)", [identity]

    def filter_group(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        group_id = self.resolved(ctx, "groups", raw, param)
        status = ctx.db.value("SELECT system_status FROM groups WHERE id = ?", (group_id,))
        if status:
            return "t.status = ?", [status]
        # EXISTS keeps the scan on the contacts index, in page order.
        return (
            "EXISTS (SELECT 1 FROM contact_groups g WHERE g.contact_id = t.id AND g.group_id = ?)",
            [group_id],
        )

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        ids = [r["id"] for r in rows]
        expand = query_bool(ctx.param("expand_urns"))
        urns: dict[int, list[Any]] = {i: [] for i in ids}
        groups: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            marks = ",".join("?" * len(ids))
            channels = {
                r["id"]: {"uuid": r["uuid"], "name": r["name"]}
                for r in ctx.db.rows("SELECT id, uuid, name FROM channels")
            }
            for u in ctx.db.rows(
                f"SELECT * FROM contact_urns WHERE contact_id IN ({marks}) ORDER BY contact_id, "
                "priority DESC, id",
                ids,
            ):
                if expand:
                    urns[u["contact_id"]].append(
                        {
                            "channel": channels.get(u["channel_id"]),
                            "scheme": u["scheme"],
                            "path": u["path"],
                            "display": u["display"],
                        }
                    )
                else:
                    text = u["identity"] + (f"#{u['display']}" if u["display"] else "")
                    urns[u["contact_id"]].append(text)
            for g in ctx.db.rows(
                "SELECT cg.contact_id, g.uuid, g.name FROM contact_groups cg JOIN groups g ON "
                f"g.id = cg.group_id WHERE cg.contact_id IN ({marks}) AND g.is_active = 1 ORDER BY "
                "g.id",
                ids,
            ):
                groups[g["contact_id"]].append({"uuid": g["uuid"], "name": g["name"]})
        flows = ctx.store.refs("flows", [r["flow_id"] for r in rows])
        keys = [f["key"] for f in ctx.store.fields()]
        dates = [f["key"] for f in ctx.store.fields() if f["type"] == "datetime"]
        out = []
        for r in rows:
            active = bool(r["is_active"])
            values = json.loads(r["fields"]) if active else {}
            for key in dates:
                if key in values:
                    values[key] = local_datetime(values[key])
            out.append(
                {
                    "uuid": r["uuid"],
                    "name": r["name"] if active else None,
                    "status": r["status"] if active else None,
                    "language": r["language"] if active else None,
                    "urns": urns[r["id"]] if active else [],
                    "groups": groups[r["id"]] if active else [],
                    "notes": _json_list(r["notes"]) if active else [],
                    "fields": {k: values.get(k) for k in keys} if active else {},
                    "flow": flows.get(r["flow_id"]),
                    "created_on": iso(r["created_on"]),
                    "modified_on": iso(r["modified_on"]),
                    "last_seen_on": iso(r["last_seen_on"]),
                    "blocked": r["status"] == "blocked" if active else None,
                    "stopped": r["status"] == "stopped" if active else None,
                }
            )
        return out

    # --- writes ----------------------------------------------------------------------------------

    def post(self, ctx: Ctx) -> Response:
        lookup = self.lookup(ctx, required=False)
        instance = None
        url_urn = None
        if lookup is not None:
            name, value = lookup
            if name == "uuid":
                found = ctx.store.by_uuid("contacts", value or "")
                if found is None:
                    raise not_found()
                instance = ctx.db.row("SELECT * FROM contacts WHERE id = ?", (found,))
            else:
                url_urn = normalize_urn(value or "")
                if url_urn is None:
                    raise detail(400, f"Invalid URN: {value}")
                found = ctx.db.value(
                    "SELECT contact_id FROM contact_urns WHERE identity = ?", (url_urn,)
                )
                if found is not None:
                    instance = ctx.db.row("SELECT * FROM contacts WHERE id = ?", (found,))
        body = ctx.body
        data, errors = validate_fields(
            ctx,
            ctx.method,
            body,
            update=instance is not None,
            checks={"fields": lambda values: field_values(ctx, values)},
        )
        if "urns" in data and url_urn is not None:
            errors["urns"] = ["Field not allowed when using URN in URL"]
        if data.get("groups"):
            for given, group_id in zip(body["groups"], data["groups"], strict=True):
                problem = manual_group_error(ctx, group_id, given)
                if problem:
                    errors["groups"] = [problem]
                    break
            else:
                if instance is not None and instance["status"] != "active":
                    errors["groups"] = ["Non-active contacts can't be added to groups"]
        if errors:
            raise bad_request(errors)
        if instance is not None and not instance["is_active"]:
            raise non_field("Deleted contacts can't be modified.")
        urns = data.get("urns")
        if urns is None and url_urn is not None and instance is None:
            urns = [url_urn]
        if urns:
            taken: dict[str, Any] = {}
            for index, identity in enumerate(urns):
                owner = ctx.db.value(
                    "SELECT contact_id FROM contact_urns WHERE identity = ?", (identity,)
                )
                if owner is not None and (instance is None or owner != instance["id"]):
                    taken[str(index)] = ["URN is in use by another contact."]
            if taken:
                raise bad_request({"urns": taken})
        with ctx.db.transaction():
            if instance is None:
                contact_id = self.create(ctx, data, urns or [])
                status = 201
            else:
                contact_id = instance["id"]
                self.update(ctx, instance, data, urns)
                status = 200
        return json_response(self.fetch(ctx, contact_id), status)

    def create(self, ctx: Ctx, data: dict[str, Any], urns: list[str]) -> int:
        now = now_us()
        values = {k: v for k, v in (data.get("fields") or {}).items() if v not in (None, "")}
        cur = ctx.db.execute(
            "INSERT INTO contacts (uuid, name, language, status, is_active, fields, created_on, "
            "modified_on) VALUES (?, ?, ?, 'active', 1, ?, ?, ?)",
            (
                str(uuid.uuid4()),
                data.get("name"),
                data.get("language"),
                json.dumps(values),
                now,
                now,
            ),
        )
        contact_id = int(cur.lastrowid or 0)
        self.write_urns(ctx, contact_id, urns)
        deltas: dict[int, int] = {}
        for group_id in dict.fromkeys(data.get("groups") or []):
            ctx.db.execute(
                "INSERT INTO contact_groups (contact_id, group_id) VALUES (?, ?)",
                (contact_id, group_id),
            )
            deltas[group_id] = 1
        active = status_group(ctx, "active")
        if active:
            deltas[active] = deltas.get(active, 0) + 1
        adjust_group_counts(ctx, deltas)
        return contact_id

    def update(self, ctx: Ctx, row: Any, data: dict[str, Any], urns: list[str] | None) -> None:
        contact_id = row["id"]
        sets: dict[str, Any] = {"modified_on": now_us()}
        if "name" in data:
            sets["name"] = data["name"]
        if "language" in data:
            sets["language"] = data["language"]
        if data.get("fields") is not None:
            values = json.loads(row["fields"])
            for key, value in data["fields"].items():
                if value in (None, ""):
                    values.pop(key, None)
                else:
                    values[key] = value
            sets["fields"] = json.dumps(values)
        if data.get("note"):
            admin = USERS[0]
            notes = _json_list(row["notes"])
            notes.append(
                {
                    "text": data["note"],
                    "created_on": iso(sets["modified_on"]),
                    "created_by": {"email": admin[0], "name": f"{admin[1]} {admin[2]}"},
                }
            )
            sets["notes"] = json.dumps(notes)
        assignments = ", ".join(f"{k} = ?" for k in sets)
        ctx.db.execute(
            f"UPDATE contacts SET {assignments} WHERE id = ?", (*sets.values(), contact_id)
        )
        if urns is not None and "urns" in data:
            ctx.db.execute("DELETE FROM contact_urns WHERE contact_id = ?", (contact_id,))
            self.write_urns(ctx, contact_id, urns)
        if data.get("groups") is not None:
            old = {
                r[0]
                for r in ctx.db.rows(
                    "SELECT cg.group_id FROM contact_groups cg JOIN groups g ON g.id = cg.group_id "
                    "WHERE cg.contact_id = ? AND g.query IS NULL AND g.system = 0",
                    (contact_id,),
                )
            }
            new = set(data["groups"])
            for g in old - new:
                ctx.db.execute(
                    "DELETE FROM contact_groups WHERE contact_id = ? AND group_id = ?",
                    (contact_id, g),
                )
            for g in new - old:
                ctx.db.execute(
                    "INSERT INTO contact_groups (contact_id, group_id) VALUES (?, ?)",
                    (contact_id, g),
                )
            adjust_group_counts(
                ctx, {**dict.fromkeys(old - new, -1), **dict.fromkeys(new - old, 1)}
            )

    def write_urns(self, ctx: Ctx, contact_id: int, urns: list[str]) -> None:
        for priority, identity in enumerate(dict.fromkeys(urns)):
            scheme, _, path = identity.partition(":")
            ctx.db.execute(
                "INSERT INTO contact_urns (contact_id, identity, scheme, path, display, priority, "
                "channel_id) VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (
                    contact_id,
                    identity,
                    scheme,
                    path,
                    1000 - priority,
                    channel_for_scheme(ctx, scheme),
                ),
            )

    def delete(self, ctx: Ctx) -> Response:
        name, value = self.lookup(ctx, required=True) or ("", "")
        if name == "uuid":
            found = ctx.store.by_uuid("contacts", value or "", "AND is_active = 1")
        else:
            if normalize_urn(value or "") is None:
                raise detail(400, f"Invalid URN: {value}")
            found = ctx.store.contact_by_urn(value or "")
        if found is None:
            raise not_found()
        with ctx.db.transaction():
            release_contacts(ctx, [found])
        return Response(status_code=204)


@REGISTRY.add
class Groups(Resource):
    """``groups``: manual, smart and system groups; create, rename, delete."""

    name = "groups"
    table = "groups"
    base_where = ("t.is_active = 1", "t.status != 'initializing'")
    simple_filters: ClassVar[dict[str, str]] = {
        "uuid": "t.uuid = ?",
        "name": "lower(t.name) = lower(?)",
    }

    def filter_manual_only(self, ctx: Ctx, raw: str | None, param: Param) -> Filter | None:
        if query_bool(raw):
            return "t.query IS NULL AND t.system = 0", []
        return None

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [
            {
                "uuid": r["uuid"],
                "name": r["name"],
                "query": r["query"],
                "status": r["status"],
                "system": bool(r["system"]),
                "count": r["count"],
            }
            for r in rows
        ]

    def post(self, ctx: Ctx) -> Response:
        instance = named_instance(ctx, self)
        return upsert_named(
            ctx, self, instance, active="is_active = 1 AND system = 0", columns={"status": "ready"}
        )

    def delete(self, ctx: Ctx) -> Response:
        _, value = self.lookup(ctx, required=True) or ("", "")
        found = ctx.store.by_uuid("groups", value or "", "AND is_active = 1")
        if found is None:
            raise not_found()
        row = ctx.db.row("SELECT * FROM groups WHERE id = ?", (found,))
        if row["system"]:
            raise detail(403, "Cannot delete system object.")
        if ctx.db.value(
            "SELECT 1 FROM campaigns WHERE group_id = ? AND is_active = 1 AND archived = 0",
            (found,),
        ):
            raise detail(400, "Group is being used by campaigns which must be archived first.")
        with ctx.db.transaction():
            ctx.db.execute("DELETE FROM contact_groups WHERE group_id = ?", (found,))
            ctx.db.execute("UPDATE groups SET is_active = 0, count = 0 WHERE id = ?", (found,))
        return Response(status_code=204)


def named_instance(ctx: Ctx, resource: Resource) -> Any:
    """The object a create-or-update POST names by uuid (404 if it names none): one of the
    rows its listing shows (``base_where``), so an archived campaign is not found either."""
    lookup = resource.lookup(ctx, required=False)
    if lookup is None:
        return None
    conditions = " AND ".join(("t.uuid = ?", *resource.base_where))
    row = ctx.db.row(
        f"SELECT t.* FROM {resource.table} t WHERE {conditions}", (parse_uuid(lookup[1] or ""),)
    )
    if row is None:
        raise not_found()
    if "system" in row.keys() and row["system"]:  # noqa: SIM118 - a Row's "in" reads values
        raise detail(403, "Cannot modify system object.")
    return row


def unique_name(
    ctx: Ctx,
    table: str,
    instance: Any,
    *,
    name_rules: Callable[[str], str | None] | None = check_name,
) -> FieldCheck:
    """A name field's validators, as RapidPro lists them: ``name_rules`` (its NameValidator)
    and uniqueness among the workspace's active objects, ignoring case. Like DRF's
    ``run_validators``, every validator runs and each problem is reported."""

    def run(name: str) -> str:
        problems = []
        problem = name_rules(name) if name_rules is not None else None
        if problem:
            problems.append(problem)
        other = ctx.db.value(
            f"SELECT id FROM {table} WHERE lower(name) = lower(?) AND is_active = 1", (name,)
        )
        if other is not None and (instance is None or other != instance["id"]):
            problems.append(UNIQUE)
        if problems:
            raise FieldError(problems)
        return name

    return run


def upsert_named(
    ctx: Ctx,
    resource: Resource,
    instance: Any,
    *,
    active: str,
    columns: Mapping[str, Any] | None = None,
) -> Response:
    """Create or rename a named object (group, label, topic): 201 or 200 with its JSON.

    ``active`` is the SQL condition for the objects counted against the create limit;
    ``columns`` are extra values a new row gets.
    """
    table = resource.table
    data = validate_body(
        ctx,
        ctx.method,
        ctx.body,
        update=instance is not None,
        checks={"name": unique_name(ctx, table, instance)},
    )
    with ctx.db.transaction():
        if instance is not None:
            ctx.db.execute(
                f"UPDATE {table} SET name = ? WHERE id = ?", (data["name"], instance["id"])
            )
            return json_response(resource.fetch(ctx, instance["id"]), 200)
        check_create_limit(ctx, table, active)
        values = {"uuid": str(uuid.uuid4()), "name": data["name"], **(columns or {})}
        values["created_on"] = now_us()
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = ctx.db.execute(
            f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(values.values())
        )
    return json_response(resource.fetch(ctx, int(cur.lastrowid or 0)), 201)


def check_create_limit(ctx: Ctx, table: str, condition: str) -> None:
    limit = ctx.method.create_limit
    if (
        limit is not None
        and ctx.db.value(f"SELECT count(*) FROM {table} WHERE {condition}") >= limit
    ):
        raise detail(409, "Cannot create object because workspace has reached limit.")


_FIELD_NAME = re.compile(r"^[A-Za-z0-9\- ]+$")
_FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME_AND_TYPE = frozenset({"name", "type"})


def field_key(name: str) -> str:
    """ContactField.make_key: lower-cased, runs of other characters become one underscore."""
    key = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    return re.sub(r"[^a-z0-9]+", "_", key)[:36]


@REGISTRY.add
class Fields(Resource):
    """``fields``: contact fields of every value type; create and update by key."""

    name = "fields"
    table = "fields"
    base_where = ("t.is_active = 1",)
    simple_filters: ClassVar[dict[str, str]] = {"key": "t.key = ?"}
    VALUE_TYPES: ClassVar[dict[str, str]] = {
        "text": "text",
        "number": "numeric",
        "datetime": "datetime",
        "state": "state",
        "district": "district",
        "ward": "ward",
    }

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        used = {
            r[0]: r[1]
            for r in ctx.db.rows(
                "SELECT field_id, count(*) FROM campaign_events WHERE is_active = 1 GROUP BY "
                "field_id"
            )
        }
        return [
            {
                "key": r["key"],
                "name": r["name"],
                "type": r["type"],
                "featured": bool(r["featured"]),
                "priority": r["priority"],
                "usages": {
                    "flows": r["usage_flows"],
                    "groups": r["usage_groups"],
                    "campaign_events": used.get(r["id"], 0),
                },
                "agent_access": r["agent_access"],
                "label": r["name"],
                "value_type": self.VALUE_TYPES[r["type"]],
            }
            for r in rows
        ]

    def name_check(self, ctx: Ctx, instance: Any) -> FieldCheck:
        """The name's (or label's) validators, then ContactFieldWriteSerializer.validate_name."""
        unique = unique_name(ctx, "fields", instance, name_rules=None)

        def run(name: str) -> str:
            unique(name)
            if not _FIELD_NAME.match(name):
                raise fail("Can only contain letters, numbers and hypens.")
            key = field_key(name)
            if not _FIELD_KEY.match(key) or key in RESERVED_FIELD_KEYS:
                raise fail(f'Generated key "{key}" is invalid or a reserved name.')
            return name

        return run

    def type_check(self, ctx: Ctx, instance: Any) -> FieldCheck:
        """validate_type: a field that campaign events use stays a datetime."""

        def run(value: str) -> str:
            kind = "number" if value == "numeric" else value
            if (
                instance is not None
                and kind != "datetime"
                and ctx.db.value(
                    "SELECT 1 FROM campaign_events WHERE field_id = ? AND is_active = 1",
                    (instance["id"],),
                )
            ):
                raise fail("Can't change type of date field being used by campaign events.")
            return kind

        return run

    def post(self, ctx: Ctx) -> Response:
        instance = None
        lookup = self.lookup(ctx, required=False)
        if lookup is not None:
            instance = ctx.db.row(
                "SELECT * FROM fields WHERE key = ? AND is_active = 1", (lookup[1],)
            )
            if instance is None:
                raise not_found()
        # The deprecated label and value_type are checked as fields of their own (their
        # errors sit under their own keys) and stand in for name and type when those are
        # absent; RapidPro asks for name and type in the serializer's validate(), after the
        # fields, as one non-field error, the name first.
        name_check = self.name_check(ctx, instance)
        type_check = self.type_check(ctx, instance)
        data = validate_body(
            ctx,
            ctx.method,
            ctx.body,
            update=instance is not None,
            checked_later=_NAME_AND_TYPE,
            checks={
                "name": name_check,
                "label": name_check,
                "type": type_check,
                "value_type": type_check,
            },
        )
        data = {
            "name": data.get("name") or data.get("label"),
            "type": data.get("type") or data.get("value_type"),
        }
        require_fields(data, ("name", "type"))
        name = data["name"]
        key = field_key(name)
        with ctx.db.transaction():
            if instance is not None:
                ctx.db.execute(
                    "UPDATE fields SET name = ?, type = ? WHERE id = ?",
                    (name, data["type"], instance["id"]),
                )
                row_id, status = instance["id"], 200
            else:
                check_create_limit(ctx, "fields", "is_active = 1")
                if ctx.db.value("SELECT 1 FROM fields WHERE key = ? AND is_active = 1", (key,)):
                    raise bad_request(
                        {"name": [f'Generated key "{key}" is invalid or a reserved name.']}
                    )
                cur = ctx.db.execute(
                    "INSERT INTO fields (key, name, type, created_on) VALUES (?, ?, ?, ?)",
                    (key, name, data["type"], now_us()),
                )
                row_id, status = int(cur.lastrowid or 0), 201
        ctx.store.fields_changed()
        return json_response(self.fetch(ctx, row_id), status)


@REGISTRY.add
class ContactActions(Resource):
    """``contact_actions``: add, remove, block, unblock, interrupt, archive messages, delete."""

    name = "contact_actions"

    def post(self, ctx: Ctx) -> Response:
        body = ctx.body

        def some_contacts(ids: list[int]) -> list[int]:
            if not ids:
                raise fail("Contacts can't be empty.")
            return ids

        def manual_group(group_id: int) -> int:
            problem = manual_group_error(ctx, group_id, body["group"])
            if problem:
                raise fail(problem)
            return group_id

        data = validate_body(
            ctx,
            ctx.method,
            body,
            update=False,
            checks={"contacts": some_contacts, "group": manual_group},
        )
        action = data["action"]
        check_actions(ctx.method, body, action)
        contacts = list(dict.fromkeys(data["contacts"]))
        if action == "add":
            marks = ",".join("?" * len(contacts))
            inactive = [
                r[0]
                for r in ctx.db.rows(
                    f"SELECT uuid FROM contacts WHERE id IN ({marks}) AND status != 'active'",
                    contacts,
                )
            ]
            if inactive:
                raise non_field(
                    "Non-active contacts cannot be added to groups: " + ", ".join(inactive)
                )
        with ctx.db.transaction():
            if action in ("add", "remove"):
                change_groups(ctx, contacts, data["group"], add=action == "add")
            elif action == "block":
                set_status(ctx, contacts, "blocked")
            elif action == "unblock":
                set_status(ctx, contacts, "active")
            elif action == "interrupt":
                now = now_us()
                for cid in contacts:
                    ctx.db.execute(
                        "UPDATE runs SET status = 'interrupted', exited_on = ?, modified_on = ? "
                        "WHERE contact_id = ? AND status IN ('active', 'waiting')",
                        (now, now, cid),
                    )
                    ctx.db.execute(
                        "UPDATE contacts SET flow_id = NULL, modified_on = ? WHERE id = ? AND "
                        "flow_id IS NOT NULL",
                        (now, cid),
                    )
            elif action in ("archive_messages", "archive"):
                now = now_us()
                for cid in contacts:
                    ctx.db.execute(
                        "UPDATE messages SET visibility = 'archived', modified_on = ? WHERE "
                        "contact_id = ? AND direction = 'in' AND visibility = 'visible'",
                        (now, cid),
                    )
            elif action == "delete":
                release_contacts(ctx, contacts)
        return Response(status_code=204)
