"""The RapidPro API v2 as data: endpoints, methods, parameters, body fields and results.

Everything else — forms, validation, the docs pane, the sandbox's routing, snippets and the
``catalog`` command — is generated from these frozen dataclasses. The declarations
themselves live in :mod:`explorer.core.endpoints`; this module holds their shapes and the
lookups over them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

BASE_PATH = "/api/v2/"
PAGE_SIZE = 250
DOCUMENTED_RATE_LIMIT = 2500  # requests per hour, as RapidPro's docs state it


class HttpMethod(StrEnum):
    GET = "GET"
    POST = "POST"
    DELETE = "DELETE"


class Pagination(StrEnum):
    CURSOR = "cursor"
    LIMIT_OFFSET = "limit_offset"
    NONE = "none"


class Kind(StrEnum):
    """The type vocabulary of the API facts, one member per base type."""

    STRING = "string"
    INT = "int"
    BOOL = "bool"
    UUID = "uuid"
    URN = "urn"
    DATETIME = "datetime"
    DATE = "date"
    LANGUAGE = "language"
    TRANSLATIONS = "translations"
    CHOICE = "choice"
    DICT = "dict"
    STR_DICT = "dict[str,str]"
    LIST = "list"
    REF = "ref"
    JSON = "json"
    FILE = "file"


_LIST_RE = re.compile(r"^list\[(?P<item>.+)\]$")
_REF_RE = re.compile(r"^ref:(?P<target>[a-z_]+)$")


@dataclass(frozen=True)
class TypeSpec:
    """A parsed type string such as ``list[ref:groups]``: kind, item type and ref target."""

    kind: Kind
    item: TypeSpec | None = None
    target: str | None = None  # endpoint name for ``ref:`` types

    @classmethod
    def parse(cls, text: str) -> TypeSpec:
        if m := _LIST_RE.match(text):
            return cls(Kind.LIST, item=cls.parse(m["item"]))
        if m := _REF_RE.match(text):
            return cls(Kind.REF, target=m["target"])
        return cls(Kind(text))

    def __str__(self) -> str:
        if self.kind is Kind.LIST:
            return f"list[{self.item}]"
        if self.kind is Kind.REF:
            return f"ref:{self.target}"
        return self.kind.value

    @property
    def is_list(self) -> bool:
        return self.kind is Kind.LIST

    @property
    def base(self) -> TypeSpec:
        """The item type of a list, else the type itself."""
        return self.item if self.item is not None else self


@dataclass(frozen=True)
class Param:
    """A query parameter or a body field of one method of one endpoint.

    ``required`` is required-ness on create (or, for a query parameter, always);
    ``required_on_update`` is set only where the endpoint also updates.
    """

    name: str
    type: str
    help: str
    example: Any = None
    note: str = ""  # a fact worth knowing: side effects, what an unknown value does
    required: bool = False
    required_on_update: bool | None = None
    choices: tuple[str, ...] = ()
    case_insensitive: bool = False
    min_length: int | None = None
    max_length: int | None = None
    max_items: int | None = None
    item_max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    accepts: str | None = None
    nullable: bool = False
    allow_blank: bool | None = None
    default: Any = None
    deprecated: bool = False
    repeatable: bool = False
    pagination: bool = False  # cursor/reverse/limit/offset: driven by the pager, not the form
    role: str | None = None  # "lookup" or "lookup for update"
    applies_to: str | None = None  # before/after: which timestamp they compare
    comparison: str | None = None
    match: str | None = None
    unique: str | None = None
    value_type: str | None = None  # translations: the type of each language's value
    value_max_length: int | None = None
    value_max_items: int | None = None
    max_languages: int | None = None
    item_shape: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    max_encoded_length: int | None = None
    allowed_content_types: tuple[str, ...] = ()
    max_bytes: int | None = None
    format: str | None = None
    in_builtin_explorer: bool = True
    read_by_view: bool = True

    @cached_property
    def spec(self) -> TypeSpec:
        return TypeSpec.parse(self.type)

    @cached_property
    def value_spec(self) -> TypeSpec | None:
        return TypeSpec.parse(self.value_type) if self.value_type else None

    @property
    def is_lookup(self) -> bool:
        return self.role is not None and self.role.startswith("lookup")

    def required_for(self, *, update: bool) -> bool:
        if update and self.required_on_update is not None:
            return self.required_on_update
        return self.required


@dataclass(frozen=True)
class ResultField:
    """One key of the objects a GET returns."""

    name: str
    type: str
    help: str = ""
    nullable: bool = False
    choices: tuple[str, ...] = ()
    shape: tuple[str, ...] = ()
    deprecated: bool = False
    anon_only: bool = False
    value_type: str | None = None


@dataclass(frozen=True)
class Action:
    """One action of a bulk action endpoint and which fields it needs, needs one of, or forbids."""

    name: str
    needs: tuple[str, ...] = ()
    forbids: tuple[str, ...] = ()
    help: str = ""
    deprecated: bool = False
    needs_one_of: tuple[str, ...] = ()  # at least one of these fields must be given


@dataclass(frozen=True)
class Method:
    """What one HTTP method of an endpoint takes and gives back."""

    method: HttpMethod
    title: str
    params: tuple[Param, ...] = ()
    fields: tuple[Param, ...] = ()
    result_fields: tuple[ResultField, ...] = ()
    pagination: Pagination = Pagination.NONE
    order: str | None = None
    rules: tuple[str, ...] = ()
    # The rules a form can check before sending, as data: at least one field of each group
    # (one_of), exactly one on create (exactly_one_of), never two together (not_together).
    one_of: tuple[tuple[str, ...], ...] = ()
    exactly_one_of: tuple[tuple[str, ...], ...] = ()
    not_together: tuple[tuple[str, ...], ...] = ()
    returns: tuple[tuple[int, str], ...] = ()
    actions: tuple[Action, ...] = ()
    body_encoding: str | None = None  # "json" or "multipart"
    create_limit: int | None = None  # objects a workspace may hold; 409 past it
    note: str = ""
    response: str | None = None  # shape when not a page of results
    in_builtin_explorer: bool = True

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.method} has no parameter {name!r}")

    def field(self, name: str) -> Param:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.method} has no body field {name!r}")

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)

    @property
    def form_params(self) -> tuple[Param, ...]:
        """Query parameters a person fills in (the pager owns cursor/reverse/limit/offset)."""
        return tuple(p for p in self.params if not p.pagination)

    @property
    def lookup_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.is_lookup)

    @property
    def is_bulk_action(self) -> bool:
        return bool(self.actions)

    @property
    def is_listing(self) -> bool:
        """A GET of a list in pages: what fetching every page applies to."""
        return self.method is HttpMethod.GET and self.pagination is not Pagination.NONE


@dataclass(frozen=True)
class Endpoint:
    """One route of the API, e.g. ``contacts`` at ``/api/v2/contacts.json``."""

    name: str
    group: str
    summary: str
    methods: tuple[Method, ...]
    throttle_scope: str = "v2"
    deprecated: bool = False
    deprecated_note: str = ""
    alias_of: str | None = None
    lookup_params: tuple[str, ...] = ()
    exclusive_params: tuple[str, ...] = ()
    in_builtin_explorer: bool = True
    in_root_listing: bool = True

    @property
    def path(self) -> str:
        return f"{BASE_PATH}{self.name}.json"

    @property
    def method_names(self) -> tuple[HttpMethod, ...]:
        return tuple(m.method for m in self.methods)

    def method(self, method: HttpMethod | str) -> Method:
        wanted = HttpMethod(str(method).upper())
        for m in self.methods:
            if m.method is wanted:
                return m
        raise KeyError(f"{self.name} does not support {wanted}")

    def supports(self, method: HttpMethod | str) -> bool:
        return HttpMethod(str(method).upper()) in self.method_names


@dataclass(frozen=True)
class Catalog:
    """All endpoints, with lookups by name and by group."""

    endpoints: tuple[Endpoint, ...]

    def __iter__(self) -> Iterator[Endpoint]:
        return iter(self.endpoints)

    def __len__(self) -> int:
        return len(self.endpoints)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Endpoint:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no endpoint named {name!r}") from None

    @cached_property
    def _by_name(self) -> dict[str, Endpoint]:
        return {e.name: e for e in self.endpoints}

    @cached_property
    def groups(self) -> tuple[tuple[str, tuple[Endpoint, ...]], ...]:
        """Endpoints by group, groups in first-seen order, endpoints by name."""
        order: dict[str, list[Endpoint]] = {}
        for e in self.endpoints:
            order.setdefault(e.group, []).append(e)
        return tuple((g, tuple(sorted(es, key=lambda e: e.name))) for g, es in order.items())

    def by_path(self, path: str) -> Endpoint | None:
        """The endpoint served at ``path`` (``/api/v2/contacts.json`` or without ``.json``)."""
        if not path.startswith(BASE_PATH):
            return None
        name = path[len(BASE_PATH) :].removesuffix("/")
        name = name.removesuffix(".json")
        return self._by_name.get(name)


def catalog() -> Catalog:
    """The catalog of RapidPro API v2 (built once, on first use)."""
    global _CATALOG  # noqa: PLW0603 - a module-level cache of an immutable value
    if _CATALOG is None:
        from explorer.core.endpoints import ENDPOINTS, GROUP_ORDER

        ordered = sorted(ENDPOINTS, key=lambda e: (GROUP_ORDER.index(e.group), e.name))
        _CATALOG = Catalog(tuple(ordered))
    return _CATALOG


_CATALOG: Catalog | None = None
