"""Tickets and topics, channels and their events and statistics, resthooks, users,
archives, boundaries and the workspace itself."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from starlette.responses import Response

from explorer.core.catalog import Param
from explorer.core.errors import ValidationError
from explorer.core.values import parse_date
from explorer.sandbox import archive_files
from explorer.sandbox.api import (
    REGISTRY,
    Ctx,
    EmptyResult,
    Filter,
    Resource,
    detail,
    json_response,
    loads,
    non_field,
    not_found,
    query_int,
    query_uuid,
)
from explorer.sandbox.clock import from_us, iso, now_us, to_us
from explorer.sandbox.resources.contacts import (
    named_instance,
    upsert_named,
)
from explorer.sandbox.seed import DAY, WORKSPACE
from explorer.sandbox.validation import check_actions, fail, validate_body


def user_refs(ctx: Ctx, ids: Sequence[int | None]) -> dict[int, dict[str, Any]]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = ctx.db.rows(
        f"SELECT id, email, first_name, last_name FROM users WHERE id IN ({marks})", wanted
    )
    return {
        r["id"]: {"email": r["email"], "name": f"{r['first_name']} {r['last_name']}".strip()}
        for r in rows
    }


@REGISTRY.add
class Tickets(Resource):
    """``tickets``: opened for contacts, with topic, assignee and status."""

    name = "tickets"
    table = "tickets"

    # RapidPro filters tickets by the raw uuid without checking it first, so a malformed one
    # ends there in a server error (500); the sandbox answers the 400 RapidPro gives for every
    # other uuid parameter (see the README's list of deliberate differences).
    simple_filters: ClassVar[dict[str, str]] = {"uuid": "t.uuid = ?"}

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        contacts = ctx.store.refs("contacts", [r["contact_id"] for r in rows])
        topics = ctx.store.refs("topics", [r["topic_id"] for r in rows])
        flows = ctx.store.refs("flows", [r["opened_in_id"] for r in rows])
        users = user_refs(
            ctx, [*(r["assignee_id"] for r in rows), *(r["opened_by_id"] for r in rows)]
        )
        return [
            {
                "uuid": r["uuid"],
                "contact": contacts.get(r["contact_id"]),
                "status": r["status"],
                "topic": topics.get(r["topic_id"]),
                "body": None,
                "assignee": users.get(r["assignee_id"]),
                "opened_on": iso(r["opened_on"]),
                "opened_by": users.get(r["opened_by_id"]),
                "opened_in": flows.get(r["opened_in_id"]),
                "modified_on": iso(r["modified_on"]),
                "closed_on": iso(r["closed_on"]),
            }
            for r in rows
        ]


@REGISTRY.add
class Topics(Resource):
    """``topics``: ticket topics with open and closed counts; create and rename."""

    name = "topics"
    table = "topics"
    base_where = ("t.is_active = 1",)

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        counts: dict[int, dict[str, int]] = {r["id"]: {"open": 0, "closed": 0} for r in rows}
        for c in ctx.db.rows(
            "SELECT topic_id, status, count(*) AS n FROM tickets GROUP BY topic_id, status"
        ):
            if c["topic_id"] in counts:
                counts[c["topic_id"]][c["status"]] = c["n"]
        return [
            {
                "uuid": r["uuid"],
                "name": r["name"],
                "counts": counts[r["id"]],
                "system": bool(r["system"]),
                "created_on": iso(r["created_on"]),
            }
            for r in rows
        ]

    def post(self, ctx: Ctx) -> Response:
        return upsert_named(ctx, self, named_instance(ctx, self), active="is_active = 1")


@REGISTRY.add
class TicketActions(Resource):
    """``ticket_actions``: assign, add a note, change topic, close, reopen.

    Tickets an action leaves unchanged (closing a closed one) come back as failures.
    """

    name = "ticket_actions"

    def post(self, ctx: Ctx) -> Response:
        body = ctx.body
        data = validate_body(ctx, ctx.method, body, update=False)
        action = data["action"]
        check_actions(ctx.method, body, action, wording="must specify the")
        if action == "add_note" and not data.get("note"):
            raise non_field(f'For action "{action}" you must specify the note')
        ids = list(dict.fromkeys(data["tickets"]))
        now = now_us()
        changed: list[int] = []
        with ctx.db.transaction():
            for tid in ids:
                t = ctx.db.row("SELECT * FROM tickets WHERE id = ?", (tid,))
                if action == "assign":
                    if t["assignee_id"] == data.get("assignee"):
                        continue
                    ctx.db.execute(
                        "UPDATE tickets SET assignee_id = ?, modified_on = ? WHERE id = ?",
                        (data.get("assignee"), now, tid),
                    )
                elif action == "add_note":
                    notes = loads(t["notes"], [])
                    notes.append({"text": data["note"], "created_on": iso(now)})
                    ctx.db.execute(
                        "UPDATE tickets SET notes = ?, modified_on = ? WHERE id = ?",
                        (json.dumps(notes), now, tid),
                    )
                elif action == "change_topic":
                    if t["topic_id"] == data["topic"]:
                        continue
                    ctx.db.execute(
                        "UPDATE tickets SET topic_id = ?, modified_on = ? WHERE id = ?",
                        (data["topic"], now, tid),
                    )
                elif action == "close":
                    if t["status"] == "closed":
                        continue
                    ctx.db.execute(
                        "UPDATE tickets SET status = 'closed', closed_on = ?, modified_on = ? "
                        "WHERE id = ?",
                        (now, now, tid),
                    )
                elif action == "reopen":
                    if t["status"] == "open":
                        continue
                    ctx.db.execute(
                        "UPDATE tickets SET status = 'open', closed_on = NULL, modified_on = ? "
                        "WHERE id = ?",
                        (now, tid),
                    )
                changed.append(tid)
        failed = [tid for tid in ids if tid not in changed]
        if failed:
            uuids = {
                r["id"]: r["uuid"]
                for r in ctx.db.rows(
                    f"SELECT id, uuid FROM tickets WHERE id IN ({','.join('?' * len(failed))})",
                    failed,
                )
            }
            return json_response({"failures": [uuids[t] for t in failed]}, 200)
        return Response(status_code=204)


@REGISTRY.add
class Channels(Resource):
    """``channels``: the workspace's phone numbers and messaging accounts."""

    name = "channels"
    table = "channels"
    simple_filters: ClassVar[dict[str, str]] = {"uuid": "t.uuid = ?", "address": "t.address = ?"}

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [
            {
                "uuid": r["uuid"],
                "name": r["name"],
                "address": r["address"],
                "type": r["type"],
                "country": r["country"],
                "device": loads(r["device"], None),
                "last_seen": iso(r["last_seen"]),
                "created_on": iso(r["created_on"]),
            }
            for r in rows
        ]


@REGISTRY.add
class ChannelEvents(Resource):
    """``channel_events``: calls, missed calls, referrals and other channel events."""

    name = "channel_events"
    table = "channel_events"
    simple_filters: ClassVar[dict[str, str]] = {"id": "t.id = ?"}

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        contacts = ctx.store.refs("contacts", [r["contact_id"] for r in rows])
        channels = ctx.store.refs("channels", [r["channel_id"] for r in rows])
        return [
            {
                "id": r["id"],
                "type": r["type"],
                "contact": contacts.get(r["contact_id"]),
                "channel": channels.get(r["channel_id"]),
                "extra": loads(r["extra"], None),
                "occurred_on": iso(r["occurred_on"]),
                "created_on": iso(r["created_on"]),
            }
            for r in rows
        ]


@REGISTRY.add
class Statistics(Resource):
    """``statistics``: daily message counts per channel (days without any are left out)."""

    name = "statistics"
    MAX_DAYS = 366

    def get(self, ctx: Ctx) -> Response:
        today = datetime.now(UTC).date()

        def day(name: str, default: date) -> date:
            raw = ctx.param(name)
            if raw is None:
                return default
            try:
                return parse_date(raw)
            except ValidationError:
                raise detail(400, f"Invalid date value for '{name}'.") from None

        since = day("since", today - timedelta(days=90))
        until = day("until", today + timedelta(days=1))
        if (until - since).days > self.MAX_DAYS:
            raise detail(400, f"Date range can't be more than {self.MAX_DAYS} days.")
        start = to_us(datetime(since.year, since.month, since.day, tzinfo=UTC))
        end = to_us(datetime(until.year, until.month, until.day, tzinfo=UTC))
        rows = ctx.db.rows(
            "SELECT m.created_on / ? AS day, c.uuid, c.type AS ctype, m.direction, m.type, "
            "count(*) AS n "
            "FROM messages m JOIN channels c ON c.id = m.channel_id "
            "WHERE m.created_on >= ? AND m.created_on < ? GROUP BY day, c.id, m.direction, m.type "
            "ORDER BY day, c.id",
            (DAY, start, end),
        )
        days: dict[int, dict[str, dict[str, Any]]] = {}
        for r in rows:
            channel = days.setdefault(r["day"], {}).setdefault(r["uuid"], {"type": r["ctype"]})
            scope = f"{'voice' if r['type'] == 'voice' else 'text'}:{r['direction']}"
            channel[scope] = channel.get(scope, 0) + r["n"]
        results = [
            {"date": from_us(d * DAY).date().isoformat(), "channels": chans}
            for d, chans in sorted(days.items())
        ]
        return json_response({"results": results})


@REGISTRY.add
class Resthooks(Resource):
    """``resthooks``: the hooks flows fire."""

    name = "resthooks"
    table = "resthooks"
    base_where = ("t.is_active = 1",)

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [
            {
                "resthook": r["slug"],
                "modified_on": iso(r["modified_on"]),
                "created_on": iso(r["created_on"]),
            }
            for r in rows
        ]


def resthook_filter(ctx: Ctx, raw: str | None) -> Filter:
    found = ctx.db.value("SELECT id FROM resthooks WHERE slug = ? AND is_active = 1", (raw,))
    if found is None:
        raise EmptyResult
    return "t.resthook_id = ?", [found]


@REGISTRY.add
class ResthookEvents(Resource):
    """``resthook_events``: what was sent to subscribers."""

    name = "resthook_events"
    table = "resthook_events"

    def filter_resthook(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        return resthook_filter(ctx, raw)

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        slugs = {r["id"]: r["slug"] for r in ctx.db.rows("SELECT id, slug FROM resthooks")}
        return [
            {
                "resthook": slugs.get(r["resthook_id"]),
                "data": loads(r["data"], {}),
                "created_on": iso(r["created_on"]),
            }
            for r in rows
        ]


@REGISTRY.add
class ResthookSubscribers(Resource):
    """``resthook_subscribers``: subscribe a URL to a resthook, list, unsubscribe."""

    name = "resthook_subscribers"
    table = "resthook_subscribers"
    base_where = ("t.is_active = 1",)
    simple_filters: ClassVar[dict[str, str]] = {"id": "t.id = ?"}
    quirk_lookup = "id"

    def filter_resthook(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        return resthook_filter(ctx, raw)

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        slugs = {r["id"]: r["slug"] for r in ctx.db.rows("SELECT id, slug FROM resthooks")}
        return [
            {
                "id": r["id"],
                "resthook": slugs.get(r["resthook_id"]),
                "target_url": r["target_url"],
                "created_on": iso(r["created_on"]),
            }
            for r in rows
        ]

    def post(self, ctx: Ctx) -> Response:
        status = self.created_status(ctx)

        def known_resthook(slug: str) -> int:
            found = ctx.db.value(
                "SELECT id FROM resthooks WHERE slug = ? AND is_active = 1", (slug,)
            )
            if found is None:
                raise fail(f"No resthook with slug: {slug}")
            return int(found)

        data = validate_body(
            ctx, ctx.method, ctx.body, update=False, checks={"resthook": known_resthook}
        )
        hook = data["resthook"]
        if ctx.db.value(
            "SELECT 1 FROM resthook_subscribers WHERE resthook_id = ? AND target_url = ? AND "
            "is_active = 1",
            (hook, data["target_url"]),
        ):
            raise non_field("URL is already subscribed to this event.")
        with ctx.db.transaction():
            cur = ctx.db.execute(
                "INSERT INTO resthook_subscribers (resthook_id, target_url, created_on) VALUES (?, "
                "?, ?)",
                (hook, data["target_url"], now_us()),
            )
        return json_response(self.fetch(ctx, int(cur.lastrowid or 0)), status)

    def delete(self, ctx: Ctx) -> Response:
        _, value = self.lookup(ctx, required=True) or ("", "")
        found = ctx.db.value(
            "SELECT id FROM resthook_subscribers WHERE id = ? AND is_active = 1",
            (query_int("id", value or ""),),
        )
        if found is None:
            raise not_found()
        with ctx.db.transaction():
            ctx.db.execute("UPDATE resthook_subscribers SET is_active = 0 WHERE id = ?", (found,))
        return Response(status_code=204)


@REGISTRY.add
class Users(Resource):
    """``users``: the workspace's users and their roles."""

    name = "users"
    table = "users"
    columns: ClassVar[dict[str, str]] = {"date_joined": "t.date_joined"}

    def filter_uuid(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        given = ctx.query.getlist("uuid")
        most = param.max_items or 100
        if len(given) > most:
            # RapidPro refuses a long list outright rather than reading the first hundred
            raise detail(400, f"Param 'uuid' can have a maximum of {most} values.")
        values = [query_uuid("uuid", v) for v in given]
        return f"t.uuid IN ({','.join('?' * len(values))})", values

    def filter_email(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        values = [v.lower() for v in ctx.query.getlist("email") if v]
        return f"lower(t.email) IN ({','.join('?' * len(values))})", values

    def filter_role(self, ctx: Ctx, raw: str | None, param: Param) -> Filter | None:
        given = ctx.query.getlist("role")
        if not given:
            return None
        # unknown roles are dropped; if none is left, RapidPro filters by an empty list
        values = [v for v in given if v in param.choices]
        if not values:
            return "0", []
        return f"t.role IN ({','.join('?' * len(values))})", values

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [
            {
                "uuid": r["uuid"],
                "name": f"{r['first_name']} {r['last_name']}".strip(),
                "email": r["email"],
                "role": r["role"],
                "team": loads(r["team"], None),
                "created_on": iso(r["date_joined"]),
                "avatar": r["avatar"],
                "first_name": r["first_name"],
                "last_name": r["last_name"],
            }
            for r in rows
        ]


@REGISTRY.add
class Archives(Resource):
    """``archives``: monthly and daily archive files (limit/offset pages, as RapidPro).

    A daily archive rolled up into a monthly one is not listed (RapidPro lists only archives
    without a rollup), so no month shows twice; the second condition holds that for
    sandboxes seeded before the seed marked its rolled-up days.
    """

    name = "archives"
    table = "archives"
    base_where = (
        "t.rolled_up = 0",
        "NOT (t.period = 'daily' AND EXISTS (SELECT 1 FROM archives m WHERE m.type = t.type "
        "AND m.period = 'monthly' AND substr(m.start_date, 1, 7) = substr(t.start_date, 1, 7)))",
    )

    def filter_type(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        return "t.type = ?", [raw]  # an unknown type simply matches nothing

    def filter_archive_type(self, ctx: Ctx, raw: str | None, param: Param) -> Filter | None:
        return None if ctx.param("type") else ("t.type = ?", [raw])

    def filter_period(self, ctx: Ctx, raw: str | None, param: Param) -> Filter | None:
        return ("t.period = ?", [raw]) if raw in param.choices else None

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        now = now_us() // 1_000_000
        return [
            {
                "type": r["type"],
                "start_date": r["start_date"],
                "period": r["period"],
                "record_count": r["record_count"],
                "size": r["size"],
                "hash": r["hash"],
                "download_url": archive_files.download_url(
                    ctx.origin,
                    archive_files.file_name(r["type"], r["period"], r["start_date"]),
                    now,
                )
                if r["hash"]
                else None,  # an empty archive has no file
                "archive_type": r["type"],
            }
            for r in rows
        ]


@REGISTRY.add
class Boundaries(Resource):
    """``boundaries``: Rwanda's provinces, districts and sectors, with geometry."""

    name = "boundaries"
    table = "boundaries"

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        names = {r["osm_id"]: r["name"] for r in ctx.db.rows("SELECT osm_id, name FROM boundaries")}
        return [
            {
                "osm_id": r["osm_id"],
                "name": r["name"],
                "parent": {"osm_id": r["parent_osm_id"], "name": names.get(r["parent_osm_id"])}
                if r["parent_osm_id"]
                else None,
                "level": r["level"],
                "aliases": loads(r["aliases"], []),
                "geometry": loads(r["geometry"], None),
            }
            for r in rows
        ]


@REGISTRY.add
class Workspace(Resource):
    """``workspace`` (and the deprecated ``org``): the token's workspace."""

    name = "workspace"

    def get(self, ctx: Ctx) -> Response:
        ws = WORKSPACE
        data = {
            **ws,
            "credits": {"used": -1, "remaining": -1},
            "primary_language": ws["languages"][0],
        }
        return json_response({f.name: data[f.name] for f in ctx.method.result_fields})


@REGISTRY.add
class Org(Workspace):
    """``org``: the deprecated alias of ``workspace``, same answer."""

    name = "org"
