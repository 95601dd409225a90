"""What changed between two JSON responses, value by value: added, removed, changed.

Not a text diff: two pages are compared as data, so re-indentation or key order never shows
as a change, and a page's records are matched by their identity (``uuid``, else ``key``,
``id`` or ``email``), so a contact that moved down the page because another was added is
not reported as every value of every record changing. Whole equal subtrees are skipped with
one comparison (done in C), which keeps two 1.4 MB pages well under a tenth of a second.

Fields that change on every save (``modified_on``, ``last_seen_on``) can be left out.
No Qt here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)

VOLATILE = frozenset({"modified_on", "last_seen_on"})
"""Keys whose values change whenever anything about the object does."""

IDENTITY_KEYS = ("uuid", "key", "id", "email")

PathStep = str | int
Path = tuple[PathStep, ...]


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


_MISSING = object()


@dataclass(frozen=True)
class Change:
    """One difference: where (keys and list positions) and the values before and after."""

    path: Path
    kind: ChangeKind
    old: Any = None
    new: Any = None

    @property
    def where(self) -> str:
        """``results[3].groups[0].name``: the path as people write it."""
        return path_text(self.path)


def path_text(path: Path) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out or "(the whole body)"


def diff(old: Any, new: Any, *, ignore: frozenset[str] = frozenset()) -> list[Change]:
    """Every value added, removed or changed from ``old`` to ``new``; keys in ``ignore``
    (at any depth) are left out."""
    return list(_diff(old, new, (), ignore))


def _diff(old: Any, new: Any, path: Path, ignore: frozenset[str]) -> Iterator[Change]:
    if old is new or (type(old) is type(new) and old == new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        yield from _diff_objects(old, new, path, ignore)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _diff_lists(old, new, path, ignore)
    else:
        yield Change(path, ChangeKind.CHANGED, old, new)


def _diff_objects(
    old: dict[str, Any], new: dict[str, Any], path: Path, ignore: frozenset[str]
) -> Iterator[Change]:
    for key, before in old.items():
        if key in ignore:
            continue
        after = new.get(key, _MISSING)
        if after is _MISSING:
            yield Change((*path, key), ChangeKind.REMOVED, before, None)
        else:
            yield from _diff(before, after, (*path, key), ignore)
    for key, after in new.items():
        if key not in old and key not in ignore:
            yield Change((*path, key), ChangeKind.ADDED, None, after)


def _identity(items: list[Any]) -> str | None:
    """The key that names every item of a list of objects, uniquely, if there is one."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in IDENTITY_KEYS:
        values = [i.get(key) for i in items]
        if all(v is not None for v in values) and len(set(map(repr, values))) == len(values):
            return key
    return None


def _diff_lists(
    old: list[Any], new: list[Any], path: Path, ignore: frozenset[str]
) -> Iterator[Change]:
    key = _identity(old) if old else _identity(new)
    if key is None or (new and _identity(new) != key):
        for i in range(max(len(old), len(new))):
            if i >= len(new):
                yield Change((*path, i), ChangeKind.REMOVED, old[i], None)
            elif i >= len(old):
                yield Change((*path, i), ChangeKind.ADDED, None, new[i])
            else:
                yield from _diff(old[i], new[i], (*path, i), ignore)
        return
    # Records matched by identity; positions are the new page's (the old one's if removed).
    new_at = {repr(item[key]): i for i, item in enumerate(new)}
    seen: set[str] = set()
    for i, before in enumerate(old):
        ident = repr(before[key])
        j = new_at.get(ident)
        if j is None:
            yield Change((*path, i), ChangeKind.REMOVED, before, None)
        else:
            seen.add(ident)
            yield from _diff(before, new[j], (*path, j), ignore)
    for j, after in enumerate(new):
        if repr(after[key]) not in seen:
            yield Change((*path, j), ChangeKind.ADDED, None, after)


@dataclass(frozen=True)
class Summary:
    added: int
    removed: int
    changed: int

    def __str__(self) -> str:
        if not (self.added or self.removed or self.changed):
            return "No differences."
        parts = [
            f"{n:,} {what}"
            for n, what in (
                (self.changed, "changed"),
                (self.added, "added"),
                (self.removed, "removed"),
            )
            if n
        ]
        return ", ".join(parts) + "."


def summarize(changes: list[Change]) -> Summary:
    counts = {kind: 0 for kind in ChangeKind}
    for change in changes:
        counts[change.kind] += 1
    return Summary(counts[ChangeKind.ADDED], counts[ChangeKind.REMOVED], counts[ChangeKind.CHANGED])
