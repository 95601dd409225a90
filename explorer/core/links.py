"""Which values of a response are references to other objects, and what can be done with each.

A value is a reference only where the catalog says so: a result field typed ``ref:<endpoint>``
(or ``list[ref:…]``), whose identity key is the first key of its shape (``uuid``, ``key`` for
fields, ``email`` for users), or a record's own identity (its ``uuid`` or ``key``) where the
endpoint can be asked for one object by it. Nothing is inferred from what a value looks like:
a UUID in a message's text is text.

For each kind of object there is a short list of actions, each a :class:`Draft` the request
form loads as it loads a saved request: nothing is sent until the user presses Send.

:class:`LinkScanner` finds the references in a body as received, by byte offset (the viewer's
coordinates), a bounded slice at a time, so a big page never holds up the window.
"""

from __future__ import annotations

import json
import logging
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from explorer.core.catalog import HttpMethod, Kind, TypeSpec, catalog
from explorer.core.request import Draft

log = logging.getLogger(__name__)

GET, POST = HttpMethod.GET, HttpMethod.POST
ITEM = "*"  # a path step into any item of a list

Path = tuple[str, ...]

NOUNS = {
    "boundaries": "boundary",
    "broadcasts": "broadcast",
    "campaign_events": "campaign event",
    "campaigns": "campaign",
    "channels": "channel",
    "contacts": "contact",
    "fields": "field",
    "flow_starts": "flow start",
    "flows": "flow",
    "globals": "global",
    "groups": "group",
    "labels": "label",
    "messages": "message",
    "runs": "run",
    "tickets": "ticket",
    "topics": "topic",
    "users": "user",
}


@dataclass(frozen=True)
class Ref:
    """One reference: which kind of object (an endpoint's name), its identity, its name."""

    kind: str
    value: str
    name: str | None = None

    @property
    def noun(self) -> str:
        return NOUNS.get(self.kind, self.kind)

    @property
    def title(self) -> str:
        """``Contact Ben Haggerty`` (or the identity, when the name is not in the response)."""
        return f"{self.noun.capitalize()} {self.name or self.value}"


@dataclass(frozen=True)
class LinkAction:
    """One entry of a link's menu: what it says and the request it fills in."""

    label: str
    draft: Draft


@dataclass(frozen=True)
class _Recipe:
    """How an action puts the referenced identity into a request."""

    label: str
    endpoint: str
    method: HttpMethod
    name: str  # the query parameter (GET) or body field (POST) the identity goes into
    as_list: bool = False
    extra: tuple[tuple[str, Any], ...] = ()

    def draft(self, value: str) -> Draft:
        given: Any = [value] if self.as_list else value
        if self.method is GET:
            return Draft(self.endpoint, GET, params={self.name: given})
        return Draft(self.endpoint, self.method, body={self.name: given, **dict(self.extra)})


# Beyond "Open it" (derived from the catalog), what people do next with each kind of object.
_RECIPES: dict[str, tuple[_Recipe, ...]] = {
    "contacts": (
        _Recipe("Its messages", "messages", GET, "contact"),
        _Recipe("Its runs", "runs", GET, "contact"),
        _Recipe("Its tickets", "tickets", GET, "contact"),
        _Recipe("Its channel events", "channel_events", GET, "contact"),
        _Recipe("Start a flow for it…", "flow_starts", POST, "contacts", as_list=True),
        _Recipe("Send it a message…", "messages", POST, "contact"),
        _Recipe(
            "Add it to a group…",
            "contact_actions",
            POST,
            "contacts",
            as_list=True,
            extra=(("action", "add"),),
        ),
    ),
    "flows": (
        _Recipe("Its runs", "runs", GET, "flow"),
        _Recipe("Its definition", "definitions", GET, "flow"),
        _Recipe("Start it…", "flow_starts", POST, "flow"),
    ),
    "groups": (
        _Recipe("Its contacts", "contacts", GET, "group"),
        _Recipe("Start a flow for its members…", "flow_starts", POST, "groups", as_list=True),
        _Recipe("Send its members a broadcast…", "broadcasts", POST, "groups", as_list=True),
    ),
    "labels": (_Recipe("Its messages", "messages", GET, "label"),),
    "campaigns": (
        _Recipe("Its events", "campaign_events", GET, "campaign"),
        _Recipe("Its definition", "definitions", GET, "campaign"),
    ),
}

_ID_KEYS = ("uuid", "key")  # a record's own identity, when its endpoint looks one up by it


@cache
def _open_recipe(kind: str, key: str) -> _Recipe | None:
    """The "Open it" action: the endpoint's GET filtered by the identity, if it has one."""
    if kind not in catalog():
        return None
    endpoint = catalog()[kind]
    if not endpoint.supports(GET):
        return None
    names = {p.name for p in endpoint.method(GET).params}
    return _Recipe("Open it", kind, GET, key) if key in names else None


def actions_for(ref: Ref, key: str = "uuid") -> list[LinkAction]:
    """The menu of a reference, "Open it" first; empty when nothing can be done with it."""
    recipes = [r for r in (_open_recipe(ref.kind, key),) if r is not None]
    if key == "uuid":
        recipes += _RECIPES.get(ref.kind, ())
    return [LinkAction(r.label, r.draft(ref.value)) for r in recipes]


@dataclass(frozen=True)
class RefSpec:
    """Where a reference sits in a record and what it refers to."""

    kind: str
    key: str  # the identity key: uuid, key, email…

    def linkable(self) -> bool:
        return bool(actions_for(Ref(self.kind, "x"), self.key))


@cache
def record_refs(endpoint: str) -> dict[Path, RefSpec]:
    """Paths (inside one record of ``endpoint``'s results) of the identities that are links.

    ``("flow", "uuid")`` for a run's flow, ``("groups", "*", "uuid")`` for a contact's groups,
    ``("uuid",)`` for the record itself.
    """
    if endpoint not in catalog() or not catalog()[endpoint].supports(GET):
        return {}
    found: dict[Path, RefSpec] = {}
    for r in catalog()[endpoint].method(GET).result_fields:
        spec = TypeSpec.parse(r.type)
        base = spec.base
        if base.kind is Kind.REF and base.target and r.shape:
            path: Path = (r.name, ITEM, r.shape[0]) if spec.is_list else (r.name, r.shape[0])
            found[path] = RefSpec(base.target, r.shape[0])
        elif r.name in _ID_KEYS and not spec.is_list:
            found[(r.name,)] = RefSpec(endpoint, r.name)
    return {p: s for p, s in found.items() if s.linkable()}


def body_refs(endpoint: str, method: HttpMethod | str = GET) -> dict[Path, RefSpec]:
    """Paths in a whole response body: under ``results`` for a listing, else the object."""
    inner = record_refs(endpoint)
    if not inner:
        return {}
    wanted = HttpMethod(str(method).upper())
    spec = catalog()[endpoint]
    listing = spec.supports(wanted) and spec.method(wanted).is_listing
    if listing:
        return {("results", ITEM, *p): s for p, s in inner.items()}
    return dict(inner)


# --- finding them in the bytes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """A reference in a body: the byte span of its string (quotes included), and what it is."""

    start: int
    end: int
    ref: Ref
    key: str = "uuid"
    path: Path = ()

    def actions(self) -> list[LinkAction]:
        return actions_for(self.ref, self.key)


_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]')


@dataclass
class _Frame:
    is_object: bool
    path: Path
    key: str | None = None
    expecting_key: bool = True
    links: list[int] = field(default_factory=list)  # indexes of links made in this object
    name: str | None = None  # its "name", which names the links made in it


class LinkScanner:
    """Finds the references of a body, a bounded number of bytes per :meth:`advance`.

    ``links`` are in body order; :meth:`between` gives those overlapping a byte range. A body
    that is not JSON simply ends the scan with the links found so far.
    """

    def __init__(self, data: bytes, targets: dict[Path, RefSpec]) -> None:
        self.data = data
        self.targets = targets
        self.links: list[Link] = []
        self._starts: list[int] = []
        self._pos = 0
        self._stack: list[_Frame] = []
        self._prefixes = {p[:i] for p in targets for i in range(len(p) + 1)}
        self.done = not targets or not data

    @classmethod
    def for_response(
        cls, data: bytes, endpoint: str | None, method: HttpMethod | str = GET
    ) -> LinkScanner:
        return cls(data, body_refs(endpoint, method) if endpoint else {})

    def run(self) -> LinkScanner:
        while not self.advance(1 << 22):
            pass
        return self

    def advance(self, max_bytes: int = 65536) -> bool:
        """Scan on; True once the whole body is scanned."""
        if self.done:
            return True
        stop = self._pos + max_bytes
        data, stack = self.data, self._stack
        matches = _TOKEN.finditer(data, self._pos)
        for m in matches:
            token = m.group()
            first = token[0]
            if first == 0x22:  # a string
                self._string(m.start(), m.end(), token)
            elif first in (0x7B, 0x5B):  # { [
                self._open(first == 0x7B)
            elif first in (0x7D, 0x5D):  # } ]
                if stack:
                    self._close(stack.pop())
            elif first == 0x2C:  # ,
                if stack and stack[-1].is_object:
                    stack[-1].expecting_key = True
                    stack[-1].key = None
            elif stack:  # :
                stack[-1].expecting_key = False
            if m.end() >= stop:
                self._pos = m.end()
                return False
        self._pos = len(data)
        self.done = True
        self._starts = [link.start for link in self.links]
        return True

    @property
    def scanned(self) -> int:
        return self._pos

    def _child_path(self) -> Path | None:
        if not self._stack:
            return ()
        top = self._stack[-1]
        if top.path is None:
            return None
        step = ITEM if not top.is_object else top.key
        if step is None:
            return None
        path = (*top.path, step)
        return path if path in self._prefixes else None

    def _open(self, is_object: bool) -> None:
        path = self._child_path()
        self._stack.append(_Frame(is_object, path))  # type: ignore[arg-type]

    def _close(self, frame: _Frame) -> None:
        if frame.name is None:
            return
        for i in frame.links:
            link = self.links[i]
            ref = Ref(link.ref.kind, link.ref.value, frame.name)
            self.links[i] = Link(link.start, link.end, ref, link.key, link.path)

    def _string(self, start: int, end: int, token: bytes) -> None:
        stack = self._stack
        if not stack:
            return
        top = stack[-1]
        if top.is_object and top.expecting_key:
            top.key = token[1:-1].decode("utf-8", "replace")
            return
        if top.path is None:
            return  # not on the way to any reference: nothing to look at
        if top.is_object and top.key == "name":
            top.name = _decode(token)
            return
        path = self._child_path()
        spec = self.targets.get(path) if path is not None else None
        if spec is not None:
            self.links.append(Link(start, end, Ref(spec.kind, _decode(token)), spec.key, path))
            top.links.append(len(self.links) - 1)

    def between(self, start: int, end: int) -> list[Link]:
        """The links overlapping bytes ``start`` to ``end`` (those found so far)."""
        starts = self._starts if len(self._starts) == len(self.links) else None
        if starts is None:
            starts = self._starts = [link.start for link in self.links]
        i = bisect_right(starts, start) - 1
        i = max(0, i)
        j = bisect_left(starts, end)
        return [link for link in self.links[i:j] if link.end > start and link.start < end]

    def after(self, offset: int) -> Link | None:
        """The first link starting at or after ``offset``."""
        self.between(0, 0)  # keeps the start list current
        i = bisect_left(self._starts, offset)
        return self.links[i] if i < len(self.links) else None

    def before(self, offset: int) -> Link | None:
        """The last link starting before ``offset``."""
        self.between(0, 0)
        i = bisect_left(self._starts, offset) - 1
        return self.links[i] if i >= 0 else None

    def at(self, offset: int) -> Link | None:
        """The link whose string holds byte ``offset``."""
        found = self.between(offset, offset + 1)
        return found[0] if found else None


def _decode(token: bytes) -> str:
    try:
        value = json.loads(token)
    except ValueError:
        return token[1:-1].decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def links_in(data: bytes, endpoint: str | None, method: HttpMethod | str = GET) -> list[Link]:
    """Every reference of a whole body, at once (for tests and small bodies)."""
    return LinkScanner.for_response(data, endpoint, method).run().links
