"""The request-handling core shared by every endpoint: context, errors, lists and writes.

An endpoint's behaviour is split between the catalog (what parameters and fields exist,
their types, limits, choices and required-ness, the ordering, the actions) and a
:class:`Resource` subclass (what the rows are and what a write does). The generic code here
reads the catalog for everything it can, so no endpoint's parameters are spelled twice.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, ClassVar

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from explorer.core.catalog import Endpoint, HttpMethod, Kind, Method, Pagination, Param
from explorer.core.errors import ValidationError
from explorer.core.values import Urn, parse_date, parse_datetime, parse_uuid
from explorer.sandbox import pagination
from explorer.sandbox.clock import to_us
from explorer.sandbox.db import Database
from explorer.sandbox.seed import WORKSPACE

log = logging.getLogger(__name__)


# --- responses and errors ---------------------------------------------------------------------


def dumps(data: Any) -> bytes:
    # Compact and UTF-8, as DRF's JSONRenderer writes it.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)


class ApiError(Exception):
    """Ends a request with ``status`` and a JSON ``body`` (RapidPro's error shapes)."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


def detail(status: int, message: str) -> ApiError:
    return ApiError(status, {"detail": message})


def not_found() -> ApiError:
    return detail(404, "Not found.")


def bad_request(errors: Mapping[str, Any]) -> ApiError:
    return ApiError(400, dict(errors))


def non_field(message: str) -> ApiError:
    return ApiError(400, {"non_field_errors": [message]})


class EmptyResult(Exception):
    """A filter that can match nothing (an unknown group, an unreadable date): no rows."""


# --- what a handler gets ------------------------------------------------------------------------


@dataclass
class Ctx:
    """One request, with the endpoint and method the catalog says it is for."""

    request: Request
    db: Database
    endpoint: Endpoint
    method: Method
    query: QueryParams
    store: Store
    body: Any = None

    @property
    def base_path_url(self) -> str:
        """The request's absolute URL without its query (the base of page links)."""
        return str(self.request.url.replace(query=""))

    @property
    def links(self) -> pagination.Links:
        """What this request's page links are built from."""
        return pagination.Links(self.base_path_url, list(self.query.multi_items()))

    @property
    def origin(self) -> str:
        return str(self.request.base_url).rstrip("/")

    def param(self, name: str) -> str | None:
        """A query parameter's value; empty counts as absent, as RapidPro's views treat it."""
        value = self.query.get(name)
        return value if value else None


# --- lookups shared by filters and writes ---------------------------------------------------------

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)


def looks_like_uuid(value: str) -> bool:
    return bool(_UUID_RE.match(value))


def normalize_urn(text: str) -> str | None:
    """``scheme:path`` as RapidPro stores it (E.164 phone numbers), or None if it is not one."""
    try:
        urn = Urn.parse(text, default_country=WORKSPACE["country"])
    except ValidationError:
        return None
    return f"{urn.scheme}:{urn.path}"


SYSTEM_FIELDS: dict[int, dict[str, str]] = {
    -1: {"key": "created_on", "name": "Created On"},
    -2: {"key": "last_seen_on", "name": "Last Seen On"},
}
"""The contact attributes every RapidPro workspace also has as date fields (ContactField's
SYSTEM_FIELDS). Campaign events may be relative to them; ``fields.json`` lists only the
workspace's own, so they are not rows of the fields table but these fixed negative ids."""

SYSTEM_FIELD_IDS = {f["key"]: i for i, f in SYSTEM_FIELDS.items()}


class Store:
    """Reads every endpoint needs: references by uuid/name/urn/key/email, fields, workspace."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._fields: list[Any] | None = None

    # references --------------------------------------------------------------------------------

    def resolve(self, target: str, value: Any, accepts: str | None = None) -> int | None:
        """The id of the active ``target`` object ``value`` names, or None.

        ``accepts`` is the catalog's note of which identifiers the server takes, e.g.
        ``"group uuid or name (case-insensitive)"`` or ``"contact uuid or urn"``.
        """
        if isinstance(value, bool) or not isinstance(value, str | int):
            return None
        text = str(value).strip()
        words = set(re.findall(r"[a-z]+", (accepts or "uuid name").lower()))
        finder = _FINDERS.get(target)
        if finder is None or not text:
            return None
        return finder(self, text, words)

    def by_uuid(self, table: str, text: str, extra: str = "") -> int | None:
        if not looks_like_uuid(text):
            return None
        try:
            canonical = parse_uuid(text)
        except ValidationError:
            return None
        return self.db.value(f"SELECT id FROM {table} WHERE uuid = ? {extra}", (canonical,))

    def by_name(self, table: str, text: str, extra: str = "") -> int | None:
        return self.db.value(
            f"SELECT id FROM {table} WHERE lower(name) = lower(?) {extra} ORDER BY id LIMIT 1",
            (text,),
        )

    def contact_by_urn(self, text: str) -> int | None:
        identity = normalize_urn(text) if ":" in text else None
        if identity is None:
            return None
        return self.db.value(
            "SELECT c.id FROM contact_urns u JOIN contacts c ON c.id = u.contact_id "
            "WHERE u.identity = ? AND c.is_active = 1",
            (identity,),
        )

    def refs(
        self, table: str, ids: Iterable[int | None], name: str = "name"
    ) -> dict[int, dict[str, Any]]:
        """``{id: {"uuid", "name"}}`` for the given ids, in one query."""
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.db.rows(
            f"SELECT id, uuid, {name} AS name FROM {table} WHERE id IN ({marks})", wanted
        )
        return {r["id"]: {"uuid": r["uuid"], "name": r["name"]} for r in rows}

    def fields(self) -> list[Any]:
        if self._fields is None:
            self._fields = self.db.rows(
                "SELECT * FROM fields WHERE is_active = 1 ORDER BY priority DESC, id"
            )
        return self._fields

    def fields_changed(self) -> None:
        self._fields = None


def _find_contact(store: Store, text: str, words: set[str]) -> int | None:
    found = store.by_uuid("contacts", text, "AND is_active = 1")
    if found is None and "urn" in words:
        found = store.contact_by_urn(text)
    return found


def _find_named(
    table: str, active: str = "AND is_active = 1"
) -> Callable[[Store, str, set[str]], int | None]:
    def find(store: Store, text: str, words: set[str]) -> int | None:
        found = store.by_uuid(table, text, active)
        if found is None and "name" in words:
            found = store.by_name(table, text, active)
        return found

    return find


def _find_uuid(table: str, extra: str = "") -> Callable[[Store, str, set[str]], int | None]:
    def find(store: Store, text: str, words: set[str]) -> int | None:
        return store.by_uuid(table, text, extra)

    return find


_FINDERS: dict[str, Callable[[Store, str, set[str]], int | None]] = {
    "contacts": _find_contact,
    "groups": _find_named("groups"),
    "labels": _find_named("labels"),
    "campaigns": _find_named("campaigns", "AND is_active = 1 AND archived = 0"),
    "flows": _find_uuid("flows"),
    "channels": _find_uuid("channels"),
    "topics": _find_uuid("topics", "AND is_active = 1"),
    "tickets": _find_uuid("tickets"),
    "media": _find_uuid("media"),
    "fields": lambda store, text, _w: (
        SYSTEM_FIELD_IDS.get(text)
        or store.db.value("SELECT id FROM fields WHERE key = ? AND is_active = 1", (text,))
    ),
    "users": lambda store, text, _w: store.db.value(
        "SELECT id FROM users WHERE lower(email) = lower(?)", (text,)
    ),
}


# --- query parameters ----------------------------------------------------------------------------

TRUE_WORDS = frozenset({"true", "y", "yes", "1"})


def query_bool(value: str | None) -> bool:
    """RapidPro's reading of a boolean query parameter."""
    return value is not None and value.strip().lower() in TRUE_WORDS


def query_uuid(name: str, value: str) -> str:
    """A UUID query parameter; a malformed one is RapidPro's 400, never a 404."""
    try:
        return parse_uuid(value)
    except ValidationError:
        raise detail(400, f"Param '{name}': {value} is not a valid UUID.") from None


def query_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise detail(400, f"Value for {name} must be an integer") from None


def query_time(param: Param, value: str) -> Any:
    """A before/after value as stored (µs or date text); unreadable means no results."""
    try:
        if param.spec.kind is Kind.DATE:
            return parse_date(value).isoformat()
        return to_us(parse_datetime(value, local_tz=UTC))
    except ValidationError:
        raise EmptyResult from None


# --- resources -----------------------------------------------------------------------------------


Filter = tuple[str, Sequence[Any]]


class Resource:
    """One endpoint's rows and writes; the catalog supplies everything else.

    Subclasses set ``table`` (``alias`` is how SQL refers to it), list the always-on
    conditions in ``base_where``, map catalog names to SQL in ``columns``, declare simple
    equality filters in ``simple_filters`` and write ``filter_<param>`` methods for the
    rest. ``render_params`` are query parameters that change the output, not the rows.
    """

    name: ClassVar[str]
    table: ClassVar[str] = ""
    alias: ClassVar[str] = "t"
    base_where: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[dict[str, str]] = {}
    simple_filters: ClassVar[dict[str, str]] = {}
    render_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    # --- GET ---------------------------------------------------------------------------------

    def column(self, name: str) -> str:
        return self.columns.get(name, f"{self.alias}.{name}")

    def order(self, ctx: Ctx) -> pagination.Order:
        """The catalog's ordering (``modified_on desc``), flipped by ``reverse`` where allowed."""
        text = (ctx.method.order or "id desc").split(";")[0].strip()
        name, _, direction = text.partition(" ")
        descending = direction.strip().lower() != "asc"
        if _has_param(ctx.method, "reverse") and query_bool(ctx.param("reverse")):
            descending = not descending
        return pagination.Order(self.column(name), descending, f"{self.alias}.id")

    def where(self, ctx: Ctx) -> tuple[list[str], list[Any]]:
        """Conditions from the request's query parameters, driven by the catalog's params."""
        clauses = list(self.base_where)
        args: list[Any] = []
        self.check_exclusive(ctx)
        for param in ctx.method.params:
            if param.pagination or param.name in self.render_params or not param.read_by_view:
                continue
            raw = ctx.param(param.name)
            if raw is None and not (param.repeatable and ctx.query.getlist(param.name)):
                continue
            found: Filter | None
            if param.applies_to and param.comparison:
                found = (
                    f"{self.column(param.applies_to)} {param.comparison} ?",
                    [query_time(param, raw or "")],
                )
            elif param.name in self.simple_filters:
                found = (self.simple_filters[param.name], [self.typed_query(param, raw or "")])
            else:
                found = getattr(self, f"filter_{param.name}")(ctx, raw, param)
            if found is not None:
                clauses.append(found[0])
                args.extend(found[1])
        return clauses, args

    def check_exclusive(self, ctx: Ctx) -> None:
        names = self.endpoint.exclusive_params
        if (
            names
            and ctx.method.method is HttpMethod.GET
            and sum(1 for n in names if ctx.param(n)) > 1
        ):
            raise detail(400, f"You may only specify one of the {', '.join(names)} parameters")

    def typed_query(self, param: Param, raw: str) -> Any:
        kind = param.spec.kind
        if kind is Kind.UUID:
            return query_uuid(param.name, raw)
        if kind is Kind.INT:
            return query_int(param.name, raw)
        if kind is Kind.BOOL:
            return 1 if query_bool(raw) else 0
        return raw

    def select(self, ctx: Ctx, order: pagination.Order) -> str:
        t = self.alias
        return f"SELECT {t}.*, {order.key} AS _key, {t}.id AS _id FROM {self.table} {t}"

    def get(self, ctx: Ctx) -> Response:
        if ctx.method.pagination is Pagination.LIMIT_OFFSET:
            return self.get_offset(ctx)
        order = self.order(ctx)
        try:
            clauses, args = self.where(ctx)
        except EmptyResult:
            return json_response({"next": None, "previous": None, "results": []})
        try:
            page = pagination.cursor_page(
                ctx.db,
                pagination.Listing(self.select(ctx, order), clauses, args),
                order=order,
                cursor=ctx.param("cursor"),
                links=ctx.links,
            )
        except pagination.InvalidCursor:
            raise detail(404, "Invalid cursor") from None
        results = self.render(ctx, page.rows)
        return json_response({"next": page.next, "previous": page.previous, "results": results})

    def get_offset(self, ctx: Ctx) -> Response:
        def number(name: str, default: int) -> int:
            raw = ctx.param(name)
            try:
                value = int(raw) if raw is not None else default
            except ValueError:
                return default  # DRF ignores a limit or offset it cannot read
            return value if value >= 0 else default

        limit = (
            min(number("limit", ctx.method.param("limit").default or 250), pagination.MAX_LIMIT)
            or 250
        )
        offset = number("offset", 0)
        base = {"next": None, "previous": None, "results": []}
        try:
            clauses, args = self.where(ctx)
        except EmptyResult:
            return json_response({"count": 0, **base})
        order = self.order(ctx)
        direction = "DESC" if order.descending else "ASC"
        count, page = pagination.offset_page(
            ctx.db,
            pagination.Listing(
                f"SELECT {self.alias}.* FROM {self.table} {self.alias}", clauses, args
            ),
            count_select=f"SELECT count(*) FROM {self.table} {self.alias}",
            order_by=f"{order.key} {direction}, {self.alias}.id {direction}",
            limit=limit,
            offset=offset,
            links=ctx.links,
        )
        return json_response(
            {
                "count": count,
                "next": page.next,
                "previous": page.previous,
                "results": self.render(ctx, page.rows),
            }
        )

    def render(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """Rows as the catalog's result fields, in its order (a missing key is a bug)."""
        names = [f.name for f in self.result_fields(ctx) if not f.anon_only]
        return [{n: obj[n] for n in names} for obj in self.serialize(ctx, rows)]

    def result_fields(self, ctx: Ctx) -> Sequence[Any]:
        method = self.endpoint.method("GET") if self.endpoint.supports("GET") else ctx.method
        return method.result_fields

    def serialize(self, ctx: Ctx, rows: Sequence[Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def fetch(self, ctx: Ctx, row_id: int) -> dict[str, Any]:
        """One object in its read shape (what a write returns)."""
        row = ctx.db.row(f"SELECT * FROM {self.table} WHERE id = ?", (row_id,))
        if row is None:  # pragma: no cover - written in the same transaction
            raise not_found()
        return self.render(ctx, [row])[0]

    # --- POST and DELETE ------------------------------------------------------------------------

    def post(self, ctx: Ctx) -> Response:
        raise detail(405, 'Method "POST" not allowed.')

    # Create-only endpoints still read their default lookup parameter (RapidPro's
    # WriteAPIMixin): naming an object that exists creates a new one anyway, answered 200;
    # naming none is a 404. The catalog lists these under create_only_lookup_quirk.
    quirk_lookup: ClassVar[str | None] = None

    def created_status(self, ctx: Ctx) -> int:
        name = self.quirk_lookup
        if name is None or name not in ctx.query:
            return 201
        value = ctx.query.get(name) or ""
        if name == "id":
            found = (
                ctx.db.value(f"SELECT id FROM {self.table} WHERE id = ?", (value,))
                if value.isdigit()
                else None
            )
        else:
            found = ctx.store.by_uuid(self.table, query_uuid(name, value))
        if found is None:
            raise not_found()
        return 200

    def delete(self, ctx: Ctx) -> Response:
        raise detail(405, 'Method "DELETE" not allowed.')

    def resolved(self, ctx: Ctx, target: str, raw: str | None, param: Param) -> int:
        """The id of the ``target`` object ``raw`` names; none: an empty listing, as RapidPro."""
        found = ctx.store.resolve(target, raw, param.accepts)
        if found is None:
            raise EmptyResult
        return found

    def filter_contact(self, ctx: Ctx, raw: str | None, param: Param) -> Filter:
        """``contact=`` on messages, runs, tickets and channel events."""
        return "t.contact_id = ?", [self.resolved(ctx, "contacts", raw, param)]

    def lookup(self, ctx: Ctx, *, required: bool) -> tuple[str, Any] | None:
        """The lookup parameter of a write or delete (uuid, urn, key, id): at most one."""
        names = [p.name for p in ctx.method.params if p.is_lookup]
        given = {n: ctx.query.get(n) for n in names if n in ctx.query}
        if len(given) > 1:
            raise detail(
                400,
                "URL can only contain one of the following parameters: " + ", ".join(sorted(names)),
            )
        if not given:
            if required:
                raise detail(
                    400,
                    "URL must contain one of the following parameters: " + ", ".join(sorted(names)),
                )
            return None
        name, value = next(iter(given.items()))
        param = next(p for p in ctx.method.params if p.name == name)
        if param.spec.kind is Kind.UUID:
            # RapidPro checks the form before looking: a malformed UUID is a 400.
            query_uuid(name, value or "")
        return name, value


def _has_param(method: Method, name: str) -> bool:
    return any(p.name == name for p in method.params)


def loads(text: str | None, default: Any = None) -> Any:
    return json.loads(text) if text else default


@dataclass
class Registry:
    """Resource classes by endpoint name; the app builds one instance per endpoint."""

    classes: dict[str, type[Resource]] = field(default_factory=dict)

    def add(self, cls: type[Resource]) -> type[Resource]:
        self.classes[cls.name] = cls
        return cls


REGISTRY = Registry()
