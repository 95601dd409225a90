"""How many contacts a broadcast, flow start or contact action reaches, counted from the
workspace before it is sent.

Groups count as many as the workspace's groups endpoint says they hold (``count``); contacts
and URNs listed on their own count one each, each once. A contact in two groups, or in a
group and also listed, is counted for each: the server sends once, so the real figure can
only be lower. No Qt here: the window's confirmation presents a :class:`Reach`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.core.catalog import HttpMethod
from explorer.core.request import Draft, Prepared, prepare

if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome
    from explorer.core.connection import Connection

log = logging.getLogger(__name__)

REACHING = frozenset({"broadcasts", "flow_starts", "contact_actions"})
"""The POSTs whose body says which contacts they act on."""

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass(frozen=True)
class GroupSize:
    """One group a request names and how many contacts it holds (None: not known)."""

    name: str
    count: int | None


@dataclass(frozen=True)
class Reach:
    """Who a request reaches: its groups with their sizes, and contacts listed on their own."""

    groups: tuple[GroupSize, ...] = ()
    contacts: int = 0

    @property
    def known(self) -> bool:
        """Whether every group's size could be read."""
        return all(g.count is not None for g in self.groups)

    @property
    def total(self) -> int:
        """Contacts reached, counting each group's members and each listed contact once
        per place (those of a group whose size is unknown are left out)."""
        return self.contacts + sum(g.count or 0 for g in self.groups)

    @property
    def overlaps(self) -> bool:
        """Whether a contact could be counted twice (more than one place lists contacts)."""
        return len(self.groups) + (1 if self.contacts else 0) > 1

    def text(self) -> str:
        """``4,812 contacts (Farmers 4,790 + 22 contacts)``; ``at least …`` when a size is
        unknown."""
        if self.known:
            total = _contacts(self.total)
        elif self.total:
            total = f"at least {_contacts(self.total)}"
        else:
            total = "an unknown number of contacts"
        if not self.groups:
            return total
        parts = [
            f"{g.name} {g.count:,}" if g.count is not None else f"{g.name} (size unknown)"
            for g in self.groups
        ]
        if self.contacts:
            parts.append(_contacts(self.contacts))
        return f"{total} ({' + '.join(parts)})"


def _contacts(n: int) -> str:
    return f"{n:,} contact{'' if n == 1 else 's'}"


def reaches_contacts(prepared: Prepared) -> bool:
    """Whether ``prepared`` sends to or acts on contacts (its confirmation counts them)."""
    return prepared.method is HttpMethod.POST and prepared.endpoint.name in REACHING


def listed(prepared: Prepared) -> tuple[list[str], int]:
    """The group references a request names, and how many distinct contacts and URNs it
    lists on their own."""
    body = prepared.json_body or {}
    groups = [g for g in _strings(body.get("groups"))]
    if prepared.endpoint.name == "contact_actions":
        groups = []  # its group is where contacts go, not who is reached
    individuals = {*_strings(body.get("contacts")), *_strings(body.get("urns"))}
    return list(dict.fromkeys(groups)), len(individuals)


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [x.strip() for x in value if isinstance(x, str) and x.strip()]


async def count_reach(
    http: httpx.AsyncClient,
    connection: Connection,
    prepared: Prepared,
    *,
    answered: Callable[[Outcome], object] | None = None,
) -> Reach:
    """Ask the workspace how big each group ``prepared`` names is; never raises but for
    cancellation. ``answered`` sees every response (the budget meter counts them)."""
    groups, individuals = listed(prepared)
    sizes = await asyncio.gather(*(_group_size(http, connection, ref, answered) for ref in groups))
    return Reach(tuple(sizes), individuals)


async def _group_size(
    http: httpx.AsyncClient,
    connection: Connection,
    ref: str,
    answered: Callable[[Outcome], object] | None,
) -> GroupSize:
    key = "uuid" if _UUID.match(ref) else "name"
    try:
        request = connection.request(prepare(Draft("groups", HttpMethod.GET, params={key: ref})))
        outcome = await connection.send(http, request)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("counting the group %s failed", ref)
        return GroupSize(ref, None)
    if answered is not None:
        answered(outcome)
    results = outcome.results if outcome.ok else None
    found = next((r for r in results or [] if isinstance(r, Mapping)), None)
    if found is None:
        log.warning("no size for group %s: %s", ref, outcome.summary())
        return GroupSize(ref, None)
    count = found.get("count")
    name = found.get("name") if isinstance(found.get("name"), str) else ref
    return GroupSize(name, count if isinstance(count, int) and count >= 0 else None)
