"""Rows into requests: one each, or grouped by the catalog's list limits.

Where a method acts on a list of targets with a ``max_items`` (contact_actions
``contacts``, message_actions ``messages``, ticket_actions ``tickets``, broadcasts and
flow_starts ``contacts``/``urns``), rows that agree on every other value share a request
of up to that many items: adding 5,000 contacts to a group takes 50 requests. A method
that creates or updates one object per row (it has a lookup parameter, as contacts does)
is never chunked: there the lists (a contact's URNs, its groups) belong to the row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from explorer.core.catalog import Kind, Method, Param

_TARGET_REFS = frozenset({"contacts", "tickets"})


@dataclass
class Planned:
    """One request of a run: its number, the file rows it carries, and its query and body."""

    number: int
    rows: list[int]
    query: list[tuple[str, str]]
    body: dict[str, Any] | None
    chunk_field: str | None = None
    items: list[int] = field(default_factory=list)  # per row: how many list items it gave

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"n": self.number, "rows": self.rows, "query": self.query}
        data["body"] = self.body
        if self.chunk_field:
            data["chunk"] = self.chunk_field
            data["items"] = self.items
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Planned:
        return cls(
            int(data["n"]),
            [int(r) for r in data["rows"]],
            [(str(k), str(v)) for k, v in data["query"]],
            data["body"],
            data.get("chunk"),
            [int(i) for i in data.get("items", [])],
        )

    def row_of_item(self, index: int) -> int | None:
        """The file row that gave item ``index`` of the chunked list (for per-row errors)."""
        for row, count in zip(self.rows, self.items, strict=False):
            if index < count:
                return row
            index -= count
        return None


def chunk_candidates(spec: Method) -> list[Param]:
    """The list fields of ``spec`` that rows may share a request through, in catalog order."""
    if spec.lookup_params:
        return []
    out = []
    for fld in spec.fields:
        base = fld.spec.base
        if not fld.spec.is_list or fld.max_items is None:
            continue
        if base.kind in (Kind.URN, Kind.INT) or (
            base.kind is Kind.REF and base.target in _TARGET_REFS
        ):
            out.append(fld)
    return out


def chunk_field(spec: Method, column_targets: set[str]) -> Param | None:
    """The field to chunk on: the first candidate a column fills (constants never vary)."""
    return next((f for f in chunk_candidates(spec) if f.name in column_targets), None)


class Chunker:
    """Groups checked rows into :class:`Planned` requests, numbering them as they complete.

    Open groups are keyed by everything but the chunked list, so memory grows with the
    number of distinct other values, not with the rows.
    """

    def __init__(self, field_: Param | None) -> None:
        self.field = field_
        self._open: dict[str, Planned] = {}
        self._next = 1

    def add(
        self, row: int, query: list[tuple[str, str]], body: dict[str, Any] | None
    ) -> Iterator[Planned]:
        """Take one checked row; yields the requests this completes."""
        fld = self.field
        if fld is None or body is None or not isinstance(body.get(fld.name), list):
            yield self._numbered(Planned(0, [row], query, body))
            return
        items = body[fld.name]
        rest = {k: v for k, v in body.items() if k != fld.name}
        key = json.dumps([query, rest], sort_keys=True, ensure_ascii=False)
        limit = fld.max_items or len(items)
        group = self._open.get(key)
        if group is not None and len(group.body[fld.name]) + len(items) > limit:  # type: ignore[index]
            del self._open[key]
            yield self._numbered(group)
            group = None
        if group is None:
            group = Planned(0, [], query, {**rest, fld.name: []}, fld.name)
            self._open[key] = group
        group.rows.append(row)
        group.items.append(len(items))
        group.body[fld.name].extend(items)  # type: ignore[index]
        if len(group.body[fld.name]) >= limit:  # type: ignore[index]
            del self._open[key]
            yield self._numbered(group)

    def flush(self) -> Iterator[Planned]:
        """The groups still open at the end of the file, in the order they were started."""
        groups, self._open = list(self._open.values()), {}
        for group in groups:
            yield self._numbered(group)

    def _numbered(self, planned: Planned) -> Planned:
        planned.number = self._next
        self._next += 1
        return planned
