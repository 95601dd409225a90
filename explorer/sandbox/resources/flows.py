"""Flows, runs, flow starts, definitions (exports), globals, campaigns and their events."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

import phonenumbers
from starlette.responses import Response

from explorer.core.catalog import Param
from explorer.sandbox.api import (
    REGISTRY,
    SYSTEM_FIELDS,
    Ctx,
    EmptyResult,
    Filter,
    Resource,
    bad_request,
    detail,
    json_response,
    loads,
    non_field,
    not_found,
    query_bool,
    query_uuid,
)
from explorer.sandbox.clock import iso, now_us
from explorer.sandbox.resources.contacts import (
    check_create_limit,
    named_instance,
    unique_name,
)
from explorer.sandbox.seed import DEFAULT_LANGUAGE
from explorer.sandbox.validation import fail, validate_body, validate_fields

RUN_STATUSES = ("active", "waiting", "completed", "expired", "interrupted", "failed")
EXIT_TYPES = frozenset({"completed", "interrupted", "expired", "failed"})


@REGISTRY.add
class Flows(Resource):
    """``flows``: with type, archive state, run counts and results."""

    name = "flows"
    table = "flows"
    simple_filters: ClassVar[dict[str, str]] = {
        "uuid": "t.uuid = ?",
        "type": "t.type = ?",
        "archived": "t.archived = ?",
    }

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        counts: dict[int, dict[str, int]] = {r["id"]: dict.fromkeys(RUN_STATUSES, 0) for r in rows}
        if rows:
            marks = ",".join("?" * len(rows))
            for c in ctx.db.rows(
                f"SELECT flow_id, status, count(*) AS n FROM runs WHERE flow_id IN ({marks}) GROUP "
                "BY flow_id, status",
                [r["id"] for r in rows],
            ):
                counts[c["flow_id"]][c["status"]] = c["n"]
        return [
            {
                "uuid": r["uuid"],
                "name": r["name"],
                "type": r["type"],
                "archived": bool(r["archived"]),
                "labels": loads(r["labels"], []),
                "expires": r["expires"],
                "runs": counts[r["id"]],
                "results": loads(r["results"], []),
                "parent_refs": loads(r["parent_refs"], []),
                "created_on": iso(r["created_on"]),
                "modified_on": iso(r["modified_on"]),
            }
            for r in rows
        ]


def urn_display(identity: str | None) -> str | None:
    if not identity:
        return None
    scheme, _, path = identity.partition(":")
    if scheme == "tel":
        try:
            return phonenumbers.format_number(
                phonenumbers.parse(path), phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
        except phonenumbers.NumberParseException:
            return path
    return path


@REGISTRY.add
class Runs(Resource):
    """``runs``: each contact's path through a flow and the values collected."""

    name = "runs"
    table = "runs"
    simple_filters: ClassVar[dict[str, str]] = {"uuid": "t.uuid = ?", "id": "t.id = ?"}
    render_params = frozenset({"paths"})

    def filter_flow(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        query_uuid(param.name, raw or "")  # an invalid UUID is a 400, an unknown flow no rows
        return "t.flow_id = ?", [self.resolved(ctx, "flows", raw, param)]

    def filter_responded(self, ctx: Ctx, raw: str | None, param: Param) -> Filter | None:
        return ("t.responded = 1", []) if query_bool(raw) else None

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        flows = ctx.store.refs("flows", [r["flow_id"] for r in rows])
        contacts = ctx.store.refs("contacts", [r["contact_id"] for r in rows])
        starts = ctx.store.refs("flow_starts", [r["start_id"] for r in rows], name="id")
        urns: dict[int, str] = {}
        ids = sorted({r["contact_id"] for r in rows})
        if ids:
            marks = ",".join("?" * len(ids))
            for u in ctx.db.rows(
                f"SELECT contact_id, identity FROM contact_urns WHERE contact_id IN ({marks}) "
                "ORDER BY priority ASC, id DESC",
                ids,
            ):
                urns[u["contact_id"]] = u["identity"]  # the last one written wins: top priority
        with_paths = query_bool(ctx.query.get("paths", "true"))
        out = []
        for r in rows:
            contact = dict(contacts.get(r["contact_id"]) or {"uuid": None, "name": None})
            contact["urn"] = urns.get(r["contact_id"])
            contact["urn_display"] = urn_display(contact["urn"])
            start = starts.get(r["start_id"])
            out.append(
                {
                    "uuid": r["uuid"],
                    "flow": flows.get(r["flow_id"]),
                    "contact": contact,
                    "start": {"uuid": start["uuid"]} if start else None,
                    "responded": bool(r["responded"]),
                    "path": loads(r["path"], []) if with_paths else None,
                    "values": loads(r["vals"], {}),
                    "created_on": iso(r["created_on"]),
                    "modified_on": iso(r["modified_on"]),
                    "exited_on": iso(r["exited_on"]),
                    "exit_type": r["status"] if r["status"] in EXIT_TYPES else None,
                    "id": r["id"],
                }
            )
        return out


@REGISTRY.add
class FlowStarts(Resource):
    """``flow_starts``: starts made by users and the API; start contacts in a flow."""

    name = "flow_starts"
    table = "flow_starts"
    base_where = ("t.by_user = 1",)
    simple_filters: ClassVar[dict[str, str]] = {"uuid": "t.uuid = ?"}
    quirk_lookup = "uuid"

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        flows = ctx.store.refs("flows", [r["flow_id"] for r in rows])
        contacts = ctx.store.refs(
            "contacts", [i for r in rows for i in loads(r["contact_ids"], [])]
        )
        groups = ctx.store.refs("groups", [i for r in rows for i in loads(r["group_ids"], [])])
        out = []
        for r in rows:
            params = loads(r["params"], {})
            out.append(
                {
                    "uuid": r["uuid"],
                    "flow": flows.get(r["flow_id"]),
                    "status": r["status"],
                    "progress": {"total": r["total"] or -1, "started": r["started"]},
                    "groups": [groups[i] for i in loads(r["group_ids"], []) if i in groups],
                    "contacts": [contacts[i] for i in loads(r["contact_ids"], []) if i in contacts],
                    "params": params,
                    "created_on": iso(r["created_on"]),
                    "modified_on": iso(r["modified_on"]),
                    "id": r["id"],
                    "extra": params,
                    "restart_participants": bool(r["restart_participants"]),
                    "exclude_active": bool(r["exclude_active"]),
                }
            )
        return out

    def post(self, ctx: Ctx) -> Response:
        status = self.created_status(ctx)
        data = validate_body(ctx, ctx.method, ctx.body, update=False)
        if not (data.get("groups") or data.get("contacts") or data.get("urns")):
            raise non_field("Must specify at least one group, contact or URN")
        params = data.get("params") or normalize_extra(data.get("extra") or {})
        now = now_us()
        with ctx.db.transaction():
            cur = ctx.db.execute(
                "INSERT INTO flow_starts (uuid, flow_id, status, total, started, group_ids, "
                "contact_ids, urns, params, restart_participants, exclude_active, by_user, "
                "created_on, modified_on) "
                "VALUES (?, ?, 'pending', NULL, 0, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    str(uuid.uuid4()),
                    data["flow"],
                    json.dumps(list(dict.fromkeys(data.get("groups") or []))),
                    json.dumps(list(dict.fromkeys(data.get("contacts") or []))),
                    json.dumps(data.get("urns") or []),
                    json.dumps(params),
                    int(data.get("restart_participants", True)),
                    int(data.get("exclude_active", False)),
                    now,
                    now,
                ),
            )
        return json_response(self.fetch(ctx, int(cur.lastrowid or 0)), status)


def normalize_extra(extra: Any, depth: int = 0) -> Any:
    """RapidPro's normalize_extra: keys made safe, lists become index-keyed objects."""
    if isinstance(extra, dict):
        return {
            re.sub(r"[^a-zA-Z0-9_]", "_", str(k))[:255]: normalize_extra(v, depth + 1)
            for k, v in extra.items()
        }
    if isinstance(extra, list):
        return {str(i): normalize_extra(v, depth + 1) for i, v in enumerate(extra)}
    if isinstance(extra, str):
        return extra[:640]
    return "" if extra is None else extra


@REGISTRY.add
class Definitions(Resource):
    """``definitions``: an export of flows and campaigns with their dependencies."""

    name = "definitions"

    def get(self, ctx: Ctx) -> Response:
        param = ctx.method.param("dependencies")
        deps = ctx.param("dependencies") or param.default
        if deps not in param.choices:
            raise detail(400, f"dependencies must be one of {', '.join(param.choices)}")
        flow_uuids = [query_uuid("flow", v) for v in ctx.query.getlist("flow") if v]
        campaign_uuids = [query_uuid("campaign", v) for v in ctx.query.getlist("campaign") if v]
        flow_ids = (
            [
                r[0]
                for r in ctx.db.rows(
                    f"SELECT id FROM flows WHERE uuid IN ({_marks(flow_uuids)})", flow_uuids
                )
            ]
            if flow_uuids
            else []
        )
        campaigns = (
            ctx.db.rows(
                "SELECT * FROM campaigns WHERE is_active = 1 AND uuid IN "
                f"({_marks(campaign_uuids)})",
                campaign_uuids,
            )
            if campaign_uuids
            else []
        )
        if deps == "all":
            campaigns = _with_dependents(ctx, flow_ids, campaigns)
        events = (
            ctx.db.rows(
                "SELECT * FROM campaign_events WHERE is_active = 1 AND campaign_id IN "
                f"({_marks(campaigns)}) ORDER BY id",
                [c["id"] for c in campaigns],
            )
            if campaigns
            else []
        )
        if deps == "all":
            flow_ids += [e["flow_id"] for e in events if e["flow_id"]]
        flow_ids = list(dict.fromkeys(flow_ids))
        flows = (
            ctx.db.rows(
                f"SELECT * FROM flows WHERE id IN ({_marks(flow_ids)}) ORDER BY id", flow_ids
            )
            if flow_ids
            else []
        )
        fields = field_names(ctx)
        groups = {g["id"]: g for g in ctx.db.rows("SELECT * FROM groups")}
        flow_refs = {
            f["id"]: {"uuid": f["uuid"], "name": f["name"]}
            for f in ctx.db.rows("SELECT id, uuid, name FROM flows")
        }
        export: dict[str, Any] = {
            "version": "13",
            "site": "https://app.rapidpro.io",
            "flows": [json.loads(f["definition"]) for f in flows],
            "campaigns": [
                {
                    "uuid": c["uuid"],
                    "name": c["name"],
                    "group": {
                        "uuid": groups[c["group_id"]]["uuid"],
                        "name": groups[c["group_id"]]["name"],
                    },
                    "events": [
                        {
                            "uuid": e["uuid"],
                            "offset": e["offset"],
                            "unit": e["unit"][0].upper(),
                            "event_type": "F" if e["flow_id"] else "M",
                            "delivery_hour": e["delivery_hour"],
                            # the sandbox's events all interrupt, RapidPro's default mode
                            "start_mode": "I",
                            "relative_to": {
                                "key": fields[e["field_id"]]["key"],
                                "label": fields[e["field_id"]]["name"],
                            },
                            **(
                                {"flow": flow_refs[e["flow_id"]]}
                                if e["flow_id"]
                                else {
                                    "message": loads(e["message"], {}),
                                    "base_language": DEFAULT_LANGUAGE,
                                }
                            ),
                        }
                        for e in events
                        if e["campaign_id"] == c["id"]
                    ],
                }
                for c in campaigns
            ],
            "triggers": [],
        }
        if deps == "all":
            used_fields = sorted({e["field_id"] for e in events})
            used_groups = sorted({c["group_id"] for c in campaigns})
            export["fields"] = [
                {"key": fields[i]["key"], "name": fields[i]["name"], "type": fields[i]["type"]}
                for i in used_fields
                if i not in SYSTEM_FIELDS  # every workspace has these: RapidPro leaves them out
            ]
            export["groups"] = [
                {"uuid": groups[i]["uuid"], "name": groups[i]["name"], "query": groups[i]["query"]}
                for i in used_groups
            ]
        return json_response(export)


def _with_dependents(ctx: Ctx, flow_ids: list[int], chosen: list[Any]) -> list[Any]:
    """``chosen`` campaigns and every unarchived one linked to them through flow events.

    RapidPro's export follows dependencies both ways (a flow brings the campaigns whose
    events start it, and those bring their other flows) until nothing new turns up.
    """
    starts: dict[int, set[int]] = {}
    for row in ctx.db.rows(
        "SELECT e.campaign_id, e.flow_id FROM campaign_events e JOIN campaigns c "
        "ON c.id = e.campaign_id WHERE e.is_active = 1 AND c.is_active = 1 AND c.archived = 0 "
        "AND e.flow_id IS NOT NULL"
    ):
        starts.setdefault(row[0], set()).add(row[1])
    wanted = {c["id"] for c in chosen}
    flows = set(flow_ids) | {f for c in wanted for f in starts.get(c, ())}
    grew = True
    while grew:
        grew = False
        for campaign_id, flow_set in starts.items():
            if campaign_id not in wanted and flow_set & flows:
                wanted.add(campaign_id)
                flows |= flow_set
                grew = True
    if not wanted:
        return []
    ids = sorted(wanted)
    return ctx.db.rows(f"SELECT * FROM campaigns WHERE id IN ({_marks(ids)}) ORDER BY id", ids)


def field_names(ctx: Ctx) -> dict[int, Any]:
    """Every field by id, the system ones included: what campaign events refer to."""
    fields: dict[int, Any] = {i: {**f, "type": "datetime"} for i, f in SYSTEM_FIELDS.items()}
    fields.update((f["id"], f) for f in ctx.db.rows("SELECT id, key, name, type FROM fields"))
    return fields


def _marks(items: Sequence[Any]) -> str:
    return ",".join("?" * len(items))


# Global.is_valid_name and is_valid_key: a name may start with a digit, its key may not.
_GLOBAL_NAME = re.compile(r"^[A-Za-z0-9_\- ]+$")
_GLOBAL_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_GLOBAL_MAX = 36


def global_key(name: str) -> str:
    """Global.make_key: lower-cased, runs of anything but letters and digits become ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"[^a-z0-9]+", " ", name.lower()).strip())


@REGISTRY.add
class Globals(Resource):
    """``globals``: workspace-wide values; create by name, update the value by key."""

    name = "globals"
    table = "globals"
    base_where = ("t.is_active = 1",)
    simple_filters: ClassVar[dict[str, str]] = {"key": "t.key = ?"}

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [
            {
                "key": r["key"],
                "name": r["name"],
                "value": r["value"],
                "modified_on": iso(r["modified_on"]),
            }
            for r in rows
        ]

    def post(self, ctx: Ctx) -> Response:
        instance = None
        lookup = self.lookup(ctx, required=False)
        if lookup is not None:
            instance = ctx.db.row(
                "SELECT * FROM globals WHERE key = ? AND is_active = 1", (lookup[1],)
            )
            if instance is None:
                raise not_found()
        unique = unique_name(ctx, "globals", instance, name_rules=None)

        def valid_name(name: str) -> str:
            unique(name)  # DRF runs a field's validators before validate_name
            if not _GLOBAL_NAME.match(name) or len(name) > _GLOBAL_MAX:
                raise fail("Name contains illegal characters.")
            if not _GLOBAL_KEY.match(global_key(name)) or len(global_key(name)) > _GLOBAL_MAX:
                raise fail("Name creates Key that is invalid")
            return name

        data = validate_body(
            ctx,
            ctx.method,
            ctx.body,
            update=instance is not None,
            checked_later=frozenset({"name"}),
            checks={"name": valid_name},
        )
        if instance is None and not data.get("name"):
            raise non_field("Name is required when creating new global.")
        now = now_us()
        with ctx.db.transaction():
            if instance is not None:
                ctx.db.execute(
                    "UPDATE globals SET value = ?, modified_on = ? WHERE id = ?",
                    (data["value"], now, instance["id"]),
                )
                return json_response(self.fetch(ctx, instance["id"]), 200)
            name = data["name"]
            key = global_key(name)
            existing = ctx.db.value(
                "SELECT id FROM globals WHERE key = ? AND is_active = 1", (key,)
            )
            if existing is not None:  # Global.get_or_create: same key updates the value
                ctx.db.execute(
                    "UPDATE globals SET value = ?, modified_on = ? WHERE id = ?",
                    (data["value"], now, existing),
                )
                return json_response(self.fetch(ctx, existing), 201)
            check_create_limit(ctx, "globals", "is_active = 1")
            cur = ctx.db.execute(
                "INSERT INTO globals (key, name, value, created_on, modified_on) VALUES (?, ?, ?, "
                "?, ?)",
                (key, name, data["value"], now, now),
            )
        return json_response(self.fetch(ctx, int(cur.lastrowid or 0)), 201)


@REGISTRY.add
class Campaigns(Resource):
    """``campaigns``: unarchived campaigns; create or update name and group."""

    name = "campaigns"
    table = "campaigns"
    base_where = ("t.is_active = 1", "t.archived = 0")
    simple_filters: ClassVar[dict[str, str]] = {"uuid": "t.uuid = ?"}

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        groups = ctx.store.refs("groups", [r["group_id"] for r in rows])
        return [
            {
                "uuid": r["uuid"],
                "name": r["name"],
                "archived": bool(r["archived"]),
                "group": groups.get(r["group_id"]),
                "created_on": iso(r["created_on"]),
            }
            for r in rows
        ]

    def post(self, ctx: Ctx) -> Response:
        instance = named_instance(ctx, self)
        data = validate_body(
            ctx,
            ctx.method,
            ctx.body,
            update=instance is not None,
            checks={"name": unique_name(ctx, "campaigns", instance)},
        )
        with ctx.db.transaction():
            if instance is not None:
                ctx.db.execute(
                    "UPDATE campaigns SET name = ?, group_id = ? WHERE id = ?",
                    (data["name"], data["group"], instance["id"]),
                )
                return json_response(self.fetch(ctx, instance["id"]), 200)
            cur = ctx.db.execute(
                "INSERT INTO campaigns (uuid, name, group_id, created_on) VALUES (?, ?, ?, ?)",
                (str(uuid.uuid4()), data["name"], data["group"], now_us()),
            )
        return json_response(self.fetch(ctx, int(cur.lastrowid or 0)), 201)


@REGISTRY.add
class CampaignEvents(Resource):
    """``campaign_events``: message or flow events relative to a date field."""

    name = "campaign_events"
    table = "campaign_events"
    base_where = ("t.is_active = 1",)
    simple_filters: ClassVar[dict[str, str]] = {"uuid": "t.uuid = ?"}

    def filter_campaign(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        found = ctx.store.by_uuid("campaigns", raw or "", "AND is_active = 1") or ctx.store.by_name(
            "campaigns", raw or "", "AND is_active = 1"
        )
        if found is None:
            raise EmptyResult
        return "t.campaign_id = ?", [found]

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        campaigns = ctx.store.refs("campaigns", [r["campaign_id"] for r in rows])
        flows = ctx.store.refs("flows", [r["flow_id"] for r in rows])
        fields = field_names(ctx)
        out = []
        for r in rows:
            field = fields.get(r["field_id"])
            out.append(
                {
                    "uuid": r["uuid"],
                    "campaign": campaigns.get(r["campaign_id"]),
                    "relative_to": {
                        "key": field["key"],
                        "name": field["name"],
                        "label": field["name"],
                    }
                    if field
                    else None,
                    "offset": r["offset"],
                    "unit": r["unit"],
                    "delivery_hour": r["delivery_hour"],
                    "flow": flows.get(r["flow_id"]),
                    "message": loads(r["message"], None) if not r["flow_id"] else None,
                    "created_on": iso(r["created_on"]),
                }
            )
        return out

    def post(self, ctx: Ctx) -> Response:
        instance = named_instance(ctx, self)
        data, errors = validate_fields(ctx, ctx.method, ctx.body, update=instance is not None)
        if (
            "campaign" in data
            and instance is not None
            and data["campaign"] != instance["campaign_id"]
        ):
            errors["campaign"] = ["Cannot change campaign for existing events"]
        message = data.get("message")
        if message and not message.get(DEFAULT_LANGUAGE):
            errors["message"] = ["Message text in default flow language is required."]
        if errors:
            raise bad_request(errors)
        flow = data.get("flow")
        if bool(message) == bool(flow):
            raise non_field("Flow or a message text required.")
        values = (
            data["campaign"],
            data["relative_to"],
            data["offset"],
            data["unit"],
            data["delivery_hour"],
            flow,
            json.dumps(message) if message else None,
        )
        with ctx.db.transaction():
            if instance is not None:
                ctx.db.execute(
                    'UPDATE campaign_events SET campaign_id = ?, field_id = ?, "offset" = ?, unit '
                    "= ?, delivery_hour = ?, flow_id = ?, message = ? WHERE id = ?",
                    (*values, instance["id"]),
                )
                return json_response(self.fetch(ctx, instance["id"]), 200)
            cur = ctx.db.execute(
                'INSERT INTO campaign_events (campaign_id, field_id, "offset", unit, '
                "delivery_hour, flow_id, message, uuid, created_on) VALUES (?, ?, ?, ?, ?, ?, ?, "
                "?, ?)",
                (*values, str(uuid.uuid4()), now_us()),
            )
        return json_response(self.fetch(ctx, int(cur.lastrowid or 0)), 201)

    def delete(self, ctx: Ctx) -> Response:
        _, value = self.lookup(ctx, required=True) or ("", "")
        found = ctx.store.by_uuid("campaign_events", value or "", "AND is_active = 1")
        if found is None:
            raise not_found()
        with ctx.db.transaction():
            ctx.db.execute("UPDATE campaign_events SET is_active = 0 WHERE id = ?", (found,))
        return Response(status_code=204)
