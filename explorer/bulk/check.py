"""Checking every row before anything is sent, with the form's own parsers.

Each row becomes a draft through the mapping and goes through
:func:`explorer.core.request.prepare` with the workspace's default country, exactly as the
form's Send does. What the workspace knows (:class:`Facts`: its groups and contact fields)
adds the checks the form makes with its completions: a group or field that does not exist
is caught here rather than by 1,000 refused requests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.core.catalog import Kind
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import Prepared, prepare
from explorer.core.values import parse_uuid

if TYPE_CHECKING:
    from collections.abc import Callable

    from explorer.bulk.mapping import Mapping
    from explorer.bulk.source import Row
    from explorer.core.request import Draft

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Facts:
    """What the workspace holds that a row may name: group names and contact field keys.

    ``None`` for either means "not known" (those checks are left to the server).
    """

    groups: frozenset[str] | None = None  # names, lower-cased, and UUIDs
    field_keys: frozenset[str] | None = None

    @property
    def field_key_list(self) -> tuple[str, ...]:
        return tuple(sorted(self.field_keys or ()))


@dataclass
class Checked:
    """One row after checking: the request it would make, or its problems by field."""

    row: Row
    prepared: Prepared | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, message)

    @property
    def ok(self) -> bool:
        return self.prepared is not None

    def error_text(self) -> str:
        """``name: is 70 characters long…; language: …`` for the results file."""
        return "; ".join(f"{at}: {message}" if at else message for at, message in self.errors)


def check_row(
    mapping: Mapping,
    row: Row,
    *,
    default_country: str | None,
    facts: Facts | None = None,
    drafter: Callable[[dict[str, str]], Draft] | None = None,
) -> Checked:
    """``row`` through the mapping and the form's checks; never raises for a bad value.

    ``drafter`` is ``mapping.drafter()`` made once for many rows.
    """
    draft = (drafter or mapping.drafter())(row.cells)
    problems: list[ValidationError] = []
    try:
        prepared: Prepared | None = prepare(draft, default_country=default_country)
    except ValidationErrors as exc:
        prepared = None
        problems.extend(exc)
    if facts is not None:
        problems.extend(_workspace_problems(mapping, draft.body, facts))
    if problems:
        return Checked(row, None, [_placed(mapping, e) for e in problems])
    return Checked(row, prepared)


def _placed(mapping: Mapping, error: ValidationError) -> tuple[str, str]:
    """Where an error sits, named by the column it came from when there is one."""
    if not error.path:
        return "", error.message
    target = str(error.path[0])
    if target == "fields" and len(error.path) > 1:
        target = f"fields.{error.path[1]}"
    where = str(error).removesuffix(f": {error.message}")
    column = mapping.column_of(target)
    if column is not None and column != where:
        where = f"{column} ({where})"
    return where, error.message


def _workspace_problems(
    mapping: Mapping, body: dict[str, Any], facts: Facts
) -> list[ValidationError]:
    problems: list[ValidationError] = []
    spec = mapping.spec
    if facts.groups is not None:
        for fld in spec.fields:
            if fld.spec.base.target != "groups" or fld.name not in body:
                continue
            value = body[fld.name]
            names = value if isinstance(value, list) else [value]
            for i, name in enumerate(names):
                if isinstance(name, str) and not _known_group(name, facts.groups):
                    where = (fld.name, i) if fld.spec.kind is Kind.LIST else (fld.name,)
                    message = f"there is no group called {name!r} in this workspace"
                    problems.append(ValidationError(message, where))
    fields = body.get("fields")
    if facts.field_keys is not None and isinstance(fields, dict):
        for key in fields:
            if key not in facts.field_keys:
                problems.append(
                    ValidationError(
                        f"this workspace has no contact field with the key {key!r}", ("fields", key)
                    )
                )
    return problems


def _known_group(name: str, groups: frozenset[str]) -> bool:
    text = name.strip()
    try:
        return parse_uuid(text) in groups
    except ValidationError:
        return text.lower() in groups
