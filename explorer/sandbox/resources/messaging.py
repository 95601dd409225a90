"""Messages, broadcasts, labels, the bulk message actions and media uploads."""

from __future__ import annotations

import fnmatch
import json
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from starlette.responses import Response

from explorer.core.catalog import Param
from explorer.sandbox import pagination
from explorer.sandbox.api import (
    REGISTRY,
    Ctx,
    EmptyResult,
    Filter,
    Resource,
    bad_request,
    json_response,
    loads,
    non_field,
    not_found,
)
from explorer.sandbox.clock import iso, now_us
from explorer.sandbox.resources.contacts import (
    named_instance,
    upsert_named,
)
from explorer.sandbox.validation import (
    check_actions,
    check_name,
    fail,
    media_url,
    validate_body,
)

FOLDERS = {
    "inbox": "t.direction = 'in' AND t.visibility = 'visible' AND t.flow_id IS NULL",
    "flows": "t.direction = 'in' AND t.visibility = 'visible' AND t.flow_id IS NOT NULL",
    "archived": "t.direction = 'in' AND t.visibility = 'archived'",
    "outbox": "t.direction = 'out' AND t.visibility = 'visible' AND t.status IN ('queued', "
    "'errored')",
    "sent": "t.direction = 'out' AND t.visibility = 'visible' AND t.status IN ('wired', 'sent', "
    "'delivered', 'read') AND t.sent_on IS NOT NULL",
    "failed": "t.direction = 'out' AND t.visibility = 'visible' AND t.status = 'failed'",
}


def attachment_text(att: dict[str, Any]) -> str:
    return f"{att['content_type']}:{att['url']}"


def split_attachment(text: str) -> dict[str, str]:
    content_type, _, url = text.partition(":")
    return {"content_type": content_type, "url": url}


@REGISTRY.add
class Messages(Resource):
    """``messages``: by folder, contact, label or broadcast; send one to a contact."""

    name = "messages"
    table = "messages"
    base_where = ("t.visibility != 'deleted'",)
    simple_filters: ClassVar[dict[str, str]] = {
        "uuid": "t.uuid = ?",
        "id": "t.id = ?",
        "broadcast": "t.broadcast_id = ?",
    }
    quirk_lookup = "uuid"

    def folder(self, ctx: Ctx) -> str | None:
        raw = ctx.param("folder")
        return raw.lower() if raw else None

    def order(self, ctx: Ctx) -> pagination.Order:
        order = super().order(ctx)
        if self.folder(ctx) == "sent":  # the catalog: "sent_on desc when folder=sent"
            return pagination.Order("t.sent_on", True, order.id_column)
        return order

    def filter_folder(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        folder = self.folder(ctx)
        if folder not in FOLDERS:
            raise EmptyResult
        return FOLDERS[folder], []

    def filter_label(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        found = self.resolved(ctx, "labels", raw, param)
        return "t.id IN (SELECT msg_id FROM msg_labels WHERE label_id = ?)", [found]

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        contacts = ctx.store.refs("contacts", [r["contact_id"] for r in rows])
        channels = ctx.store.refs("channels", [r["channel_id"] for r in rows])
        flows = ctx.store.refs("flows", [r["flow_id"] for r in rows])
        labels: dict[int, list[dict[str, Any]]] = {}
        incoming = [r["id"] for r in rows if r["direction"] == "in"]
        if incoming:
            marks = ",".join("?" * len(incoming))
            for lr in ctx.db.rows(
                "SELECT ml.msg_id, l.uuid, l.name FROM msg_labels ml JOIN labels l ON l.id = "
                f"ml.label_id WHERE ml.msg_id IN ({marks}) AND l.is_active = 1 ORDER BY l.id",
                incoming,
            ):
                labels.setdefault(lr["msg_id"], []).append({"uuid": lr["uuid"], "name": lr["name"]})
        out = []
        for r in rows:
            attachments = loads(r["attachments"], [])
            out.append(
                {
                    "uuid": r["uuid"],
                    "contact": contacts.get(r["contact_id"]),
                    "urn": r["urn"],
                    "channel": channels.get(r["channel_id"]),
                    "direction": r["direction"],
                    "type": r["type"],
                    "status": r["status"],
                    "archived": r["visibility"] == "archived",
                    "visibility": r["visibility"],
                    "text": r["text"],
                    "labels": labels.get(r["id"], []),
                    "flow": flows.get(r["flow_id"]),
                    "attachments": attachments,
                    "quick_replies": loads(r["quick_replies"], []),
                    "created_on": iso(r["created_on"]),
                    "sent_on": iso(r["sent_on"]),
                    "modified_on": iso(r["modified_on"]),
                    "media": attachment_text(attachments[0]) if attachments else None,
                    "id": r["id"],
                    "broadcast": r["broadcast_id"],
                }
            )
        return out

    def post(self, ctx: Ctx) -> Response:
        status = self.created_status(ctx)
        data = validate_body(ctx, ctx.method, ctx.body, update=False)
        if not (data.get("text") or data.get("attachments")):
            raise non_field("Must provide either text or attachments.")
        contact_id = data["contact"]
        urn = ctx.db.row(
            "SELECT identity, channel_id FROM contact_urns WHERE contact_id = ? ORDER BY priority "
            "DESC, id LIMIT 1",
            (contact_id,),
        )
        now = now_us()
        quick = [
            {"type": q.get("type") or "text", "text": q.get("text")}
            | ({"extra": q["extra"]} if q.get("extra") is not None else {})
            for q in data.get("quick_replies") or []
        ]
        with ctx.db.transaction():
            cur = ctx.db.execute(
                "INSERT INTO messages (uuid, contact_id, urn, channel_id, direction, type, status, "
                "visibility, text, attachments, quick_replies, created_on, modified_on) "
                "VALUES (?, ?, ?, ?, 'out', 'text', 'queued', 'visible', ?, ?, ?, ?, ?)",
                (
                    str(uuid.uuid4()),
                    contact_id,
                    urn["identity"] if urn else None,
                    urn["channel_id"] if urn else None,
                    data.get("text") or "",
                    json.dumps([split_attachment(a) for a in data.get("attachments") or []]),
                    json.dumps(quick),
                    now,
                    now,
                ),
            )
        return json_response(self.fetch(ctx, int(cur.lastrowid or 0)), status)


@REGISTRY.add
class Broadcasts(Resource):
    """``broadcasts``: sent and queued broadcasts; send a new one."""

    name = "broadcasts"
    table = "broadcasts"
    base_where = ("t.scheduled = 0",)
    simple_filters: ClassVar[dict[str, str]] = {"uuid": "t.uuid = ?", "id": "t.id = ?"}
    quirk_lookup = "uuid"

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        contact_ids = [i for r in rows for i in loads(r["contact_ids"], [])]
        group_ids = [i for r in rows for i in loads(r["group_ids"], [])]
        contacts = ctx.store.refs("contacts", contact_ids)
        groups = ctx.store.refs("groups", group_ids)
        out = []
        for r in rows:
            translations = loads(r["translations"], {})
            out.append(
                {
                    "uuid": r["uuid"],
                    "status": r["status"],
                    "progress": {"total": r["total"] or -1, "started": r["started"]},
                    "urns": loads(r["urns"], []),
                    "contacts": [contacts[i] for i in loads(r["contact_ids"], []) if i in contacts],
                    "groups": [groups[i] for i in loads(r["group_ids"], []) if i in groups],
                    "text": {lang: t.get("text") for lang, t in translations.items()},
                    "attachments": {
                        lang: t.get("attachments", []) for lang, t in translations.items()
                    },
                    "quick_replies": {
                        lang: t.get("quick_replies", []) for lang, t in translations.items()
                    },
                    "base_language": r["base_language"],
                    "created_on": iso(r["created_on"]),
                    "id": r["id"],
                }
            )
        return out

    def post(self, ctx: Ctx) -> Response:
        status = self.created_status(ctx)
        data = validate_body(ctx, ctx.method, ctx.body, update=False)
        text, attachments, quick = (
            data.get("text"),
            data.get("attachments"),
            data.get("quick_replies"),
        )
        if not (text or attachments):
            raise non_field("Must provide either text or attachments.")
        if not (data.get("urns") or data.get("contacts") or data.get("groups")):
            raise non_field("Must provide either urns, contacts or groups.")
        base = data.get("base_language")
        if base:
            if base not in (text or {}):
                raise non_field("No text translation provided in base language.")
            if attachments and base not in attachments:
                raise non_field("No attachment translations provided in base language.")
            if quick and base not in quick:
                raise non_field("No quick_replies translations provided in base language.")
        translations: dict[str, dict[str, Any]] = {
            lang: {"text": t} for lang, t in (text or {}).items()
        }
        for lang, atts in (attachments or {}).items():
            translations.setdefault(lang, {})["attachments"] = atts
        for lang, qrs in (quick or {}).items():
            translations.setdefault(lang, {})["quick_replies"] = qrs
        base = base or next(iter(translations))
        contacts = list(dict.fromkeys(data.get("contacts") or []))
        groups = list(dict.fromkeys(data.get("groups") or []))
        urns = list(dict.fromkeys(data.get("urns") or []))
        total = len(contacts) + len(urns)
        for g in groups:
            total += ctx.db.value("SELECT count FROM groups WHERE id = ?", (g,)) or 0
        with ctx.db.transaction():
            cur = ctx.db.execute(
                "INSERT INTO broadcasts (uuid, status, total, started, urns, contact_ids, "
                "group_ids, translations, base_language, created_on) VALUES (?, 'queued', ?, 0, ?, "
                "?, ?, ?, ?, ?)",
                (
                    str(uuid.uuid4()),
                    total,
                    json.dumps(urns),
                    json.dumps(contacts),
                    json.dumps(groups),
                    json.dumps(translations),
                    base,
                    now_us(),
                ),
            )
        return json_response(self.fetch(ctx, int(cur.lastrowid or 0)), status)


@REGISTRY.add
class Labels(Resource):
    """``labels``: message labels with their counts; create, rename, delete."""

    name = "labels"
    table = "labels"
    base_where = ("t.is_active = 1",)
    simple_filters: ClassVar[dict[str, str]] = {
        "uuid": "t.uuid = ?",
        "name": "lower(t.name) = lower(?)",
    }

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        counts = {
            r[0]: r[1]
            for r in ctx.db.rows(
                "SELECT ml.label_id, count(*) FROM msg_labels ml JOIN messages m ON m.id = "
                "ml.msg_id WHERE m.visibility = 'visible' GROUP BY ml.label_id"
            )
        }
        return [
            {"uuid": r["uuid"], "name": r["name"], "count": counts.get(r["id"], 0)} for r in rows
        ]

    def post(self, ctx: Ctx) -> Response:
        return upsert_named(ctx, self, named_instance(ctx, self), active="is_active = 1")

    def delete(self, ctx: Ctx) -> Response:
        _, value = self.lookup(ctx, required=True) or ("", "")
        found = ctx.store.by_uuid("labels", value or "", "AND is_active = 1")
        if found is None:
            raise not_found()
        with ctx.db.transaction():
            ctx.db.execute("DELETE FROM msg_labels WHERE label_id = ?", (found,))
            ctx.db.execute("UPDATE labels SET is_active = 0 WHERE id = ?", (found,))
        return Response(status_code=204)


@REGISTRY.add
class MessageActions(Resource):
    """``message_actions``: label, unlabel, archive, restore or delete incoming messages."""

    name = "message_actions"

    def post(self, ctx: Ctx) -> Response:
        body = ctx.body
        found: dict[int, Any] = {}

        def incoming(ids: list[int]) -> list[int]:
            requested = list(dict.fromkeys(ids))
            if requested:
                marks = ",".join("?" * len(requested))
                found.update(
                    (r["id"], r)
                    for r in ctx.db.rows(
                        f"SELECT id, direction, visibility FROM messages WHERE id IN ({marks}) "
                        "AND visibility != 'deleted'",
                        requested,
                    )
                )
            for msg_id in requested:
                if msg_id in found and found[msg_id]["direction"] != "in":
                    raise fail(f"Not an incoming message: {msg_id}")
            return requested

        def label_name(name: str) -> str:
            problem = check_name(name)
            if problem:
                raise fail(problem)
            return name

        data = validate_body(
            ctx,
            ctx.method,
            body,
            update=False,
            checks={"messages": incoming, "label_name": label_name},
        )
        requested = data["messages"]
        action = data["action"]
        label, label_name = data.get("label"), data.get("label_name")
        if label and label_name:
            raise non_field("Can't specify both label and label_name.")
        check_actions(ctx.method, body, action)
        missing = [m for m in requested if m not in found]
        present = [m for m in requested if m in found]
        now = now_us()
        with ctx.db.transaction():
            if action in ("label", "unlabel"):
                if label is None:
                    label = ctx.db.value(
                        "SELECT id FROM labels WHERE lower(name) = lower(?) AND is_active = 1",
                        (label_name,),
                    )
                    if label is None and action == "label":
                        cur = ctx.db.execute(
                            "INSERT INTO labels (uuid, name, created_on) VALUES (?, ?, ?)",
                            (str(uuid.uuid4()), label_name, now),
                        )
                        label = int(cur.lastrowid or 0)
                if label is not None:
                    for msg_id in present:
                        ctx.db.execute(
                            "DELETE FROM msg_labels WHERE msg_id = ? AND label_id = ?",
                            (msg_id, label),
                        )
                        if action == "label":
                            ctx.db.execute(
                                "INSERT INTO msg_labels (msg_id, label_id) VALUES (?, ?)",
                                (msg_id, label),
                            )
            else:
                change = {
                    "archive": ("visible", "archived"),
                    "restore": ("archived", "visible"),
                    "delete": (None, "deleted"),
                }[action]
                for msg_id in present:
                    if change[0] is None or found[msg_id]["visibility"] == change[0]:
                        ctx.db.execute(
                            "UPDATE messages SET visibility = ?, modified_on = ? WHERE id = ?",
                            (change[1], now, msg_id),
                        )
        if missing:
            return json_response({"failures": missing}, 200)
        return Response(status_code=204)


@REGISTRY.add
class MediaUploads(Resource):
    """``media``: multipart upload of a file to attach to messages."""

    name = "media"
    table = "media"
    quirk_lookup = "uuid"

    def post(self, ctx: Ctx) -> Response:
        status = self.created_status(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        param = ctx.method.field("file")
        upload = body.get("file")
        if not isinstance(upload, tuple):
            raise bad_request({"file": ["No file was submitted."]})
        filename, content_type, data = upload
        content_type = (content_type or "application/octet-stream").split(";")[0].strip().lower()
        if not any(
            fnmatch.fnmatch(content_type, allowed) for allowed in param.allowed_content_types
        ):
            raise bad_request({"file": ["Unsupported file type."]})
        if param.max_bytes is not None and len(data) > param.max_bytes:
            raise bad_request(
                {"file": [f"Limit for file uploads is {param.max_bytes / (1024 * 1024)} MB."]}
            )
        name = (filename or "upload").replace("/", "_").replace("\\", "_")
        with ctx.db.transaction():
            cur = ctx.db.execute(
                "INSERT INTO media (uuid, content_type, filename, size, data, created_on) VALUES "
                "(?, ?, ?, ?, ?, ?)",
                (str(uuid.uuid4()), content_type, name, len(data), data, now_us()),
            )
        row = ctx.db.row(
            "SELECT uuid, content_type, filename, size FROM media WHERE id = ?", (cur.lastrowid,)
        )
        result = {
            "uuid": row["uuid"],
            "content_type": row["content_type"],
            "url": media_url(ctx, row),
            "filename": row["filename"],
            "size": row["size"],
        }
        names = [f.name for f in ctx.method.result_fields]
        return json_response({n: result[n] for n in names}, status)
