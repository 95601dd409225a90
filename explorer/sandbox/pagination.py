"""Cursor pagination on an indexed key, as RapidPro's pages look from outside.

A cursor is opaque to clients: base64 of the last (or first) row's sort key and id, and
which way to read. Each page is one range scan of an index on ``(key, id)``, so the page
after a million rows costs what the first page costs — no OFFSET anywhere. Links are
absolute and keep every other query parameter, sorted as Django REST framework writes them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from explorer.core.catalog import PAGE_SIZE
from explorer.sandbox.db import Database

# Bounds what a caller can make the sandbox do in one request (limit/offset pages).
MAX_LIMIT = 10_000


class InvalidCursor(Exception):
    """The cursor parameter is not one this server handed out."""


@dataclass(frozen=True)
class Order:
    """Sort key of a listing: an SQL expression, its direction, and the id tiebreak column."""

    key: str
    descending: bool
    id_column: str


@dataclass(frozen=True)
class Page:
    """The rows of one page and the absolute URLs of its neighbours (None at the ends)."""

    rows: list[Any]
    next: str | None
    previous: str | None


@dataclass(frozen=True)
class Listing:
    """What a page reads: ``select`` (``SELECT … FROM … [JOIN …]``, no WHERE), the
    conditions that apply and their arguments."""

    select: str
    where: Sequence[str]
    args: Sequence[Any]


@dataclass(frozen=True)
class Links:
    """What page links are made of: the request's URL without its query, and the query."""

    base: str
    query: Sequence[tuple[str, str]]

    def to(self, changes: Mapping[str, Any]) -> str:
        return page_url(self.base, self.query, changes)


def encode_cursor(key: Any, row_id: int, backwards: bool) -> str:
    raw = json.dumps([key, row_id, 1 if backwards else 0], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[Any, int, bool]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key, row_id, backwards = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursor(text) from exc
    if not isinstance(row_id, int) or backwards not in (0, 1) or isinstance(key, dict | list):
        raise InvalidCursor(text)
    return key, row_id, bool(backwards)


def page_url(base: str, query: Sequence[tuple[str, str]], changes: Mapping[str, Any]) -> str:
    """``base`` with ``query`` plus ``changes`` (None removes a key), sorted like DRF does."""
    params: dict[str, list[str]] = {}
    for k, v in query:
        params.setdefault(k, []).append(v)
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = [str(v)]
    text = urlencode(sorted(params.items()), doseq=True)
    return f"{base}?{text}" if text else base


def cursor_page(
    db: Database,
    listing: Listing,
    *,
    order: Order,
    cursor: str | None,
    links: Links,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of ``listing`` in ``order``, from ``cursor`` (None: the first page)."""
    key, ident = order.key, order.id_column
    position = decode_cursor(cursor) if cursor else None
    backwards = bool(position and position[2])
    # Reading backwards means reading the other way and flipping the rows afterwards.
    read_desc = order.descending != backwards
    clauses: list[str] = []
    params: list[Any] = []
    if position is not None:
        clauses, params = _from(order, position[0], position[1], "<" if read_desc else ">")
    clauses += listing.where
    params += listing.args
    direction = "DESC" if read_desc else "ASC"
    sql = listing.select
    if clauses:
        sql += " WHERE " + " AND ".join(f"({c})" for c in clauses)
    sql += f" ORDER BY {key} {direction}, {ident} {direction} LIMIT {size + 1}"
    rows = db.rows(sql, params)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()

    def link(row: Any, back: bool) -> str:
        return links.to({"cursor": encode_cursor(row["_key"], row["_id"], back)})

    if not rows:
        return Page(rows, None, None)
    if backwards:
        nxt = link(rows[-1], False)
        prev = link(rows[0], True) if more else None
    else:
        nxt = link(rows[-1], False) if more else None
        prev = None
        if position is not None and _exists_before(db, listing, order=order, row=rows[0]):
            prev = link(rows[0], True)
    return Page(rows, nxt, prev)


def _exists_before(db: Database, listing: Listing, *, order: Order, row: Any) -> bool:
    """Whether any row comes before ``row`` in display order (one index probe)."""
    clauses, params = _from(order, row["_key"], row["_id"], ">" if order.descending else "<")
    clauses += listing.where
    sql = listing.select + " WHERE " + " AND ".join(f"({c})" for c in clauses) + " LIMIT 1"
    return db.row(sql, [*params, *listing.args]) is not None


def _from(order: Order, key: Any, ident: Any, op: str) -> tuple[list[str], list[Any]]:
    """The rows beyond a position, as index bounds SQLite walks from there: the plain bound
    on the key first, and before the listing's own filters. Otherwise a filter such as
    ``after`` became the bound, and each page scanned every row from it (deep pages of a
    million runs took a second each)."""
    column, ident_column = order.key, order.id_column
    return (
        [f"{column} {op}= ?", f"({column}, {ident_column}) {op} (?, ?)"],
        [key, key, ident],
    )


def offset_page(
    db: Database,
    listing: Listing,
    *,
    count_select: str,
    order_by: str,
    limit: int,
    offset: int,
    links: Links,
) -> tuple[int, Page]:
    """A limit/offset page with its total count, links as DRF's LimitOffsetPagination."""
    where, args = listing.where, listing.args
    cond = (" WHERE " + " AND ".join(f"({c})" for c in where)) if where else ""
    count = int(db.value(count_select + cond, args) or 0)
    rows = db.rows(
        f"{listing.select}{cond} ORDER BY {order_by} LIMIT ? OFFSET ?", [*args, limit, offset]
    )
    nxt = None
    if offset + limit < count:
        nxt = links.to({"limit": limit, "offset": offset + limit})
    prev = None
    if offset > 0:
        back = offset - limit
        prev = links.to({"limit": limit, "offset": back if back > 0 else None})
    return count, Page(rows, nxt, prev)
