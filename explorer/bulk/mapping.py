"""Which column fills which parameter or body field of a POST form, and how a row becomes a draft.

A :class:`Mapping` holds one :class:`Rule` per target: a column's cell, one constant for
every row, or a template mixing ``{{column}}`` with text. Targets are the method's query
parameters and body fields by name, plus ``fields.<key>`` for a contact field (filling the
``fields`` object). :func:`auto_mapping` matches headers to targets ignoring case, spaces,
``_`` and ``-``; a header equal to one of the workspace's field keys goes to that field.
Cells of list fields are split on ``;`` (or read as a JSON array). Mappings are plain JSON
so a job keeps its own and a resumed job uses it again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from explorer.core.catalog import HttpMethod, Kind, Method, TypeSpec, catalog
from explorer.core.errors import ValidationError
from explorer.core.request import Draft

FIELDS_PREFIX = "fields."
COLUMN = "column"
CONSTANT = "constant"
TEMPLATE = "template"
_TEMPLATE_RE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_PHONE_RE = re.compile(r"\+?[0-9][0-9 ().-]{4,}")


def normalise(name: str) -> str:
    """``First Name``, ``first_name`` and ``first-name`` all read ``firstname``."""
    return re.sub(r"[\s_\-]+", "", name).lower()


@dataclass(frozen=True)
class Rule:
    """How one target gets its value: ``kind`` is column, constant or template."""

    kind: str
    value: str

    def text(self, cells: dict[str, str]) -> str:
        """This rule's raw text for one row (templates filled in, unknown columns empty)."""
        if self.kind == COLUMN:
            return cells.get(self.value, "")
        if self.kind == CONSTANT:
            return self.value
        filled = [cells.get(name, "").strip() for name in _TEMPLATE_RE.findall(self.value)]
        if not any(filled):
            return ""  # "{{first}} {{last}}" with both empty leaves the field out, not " "
        return _TEMPLATE_RE.sub(lambda m: cells.get(m.group(1), ""), self.value)

    def describe(self) -> str:
        if self.kind == COLUMN:
            return f"column {self.value}"
        if self.kind == CONSTANT:
            return f"always {self.value!r}"
        return f"template {self.value!r}"


def rule_for_setting(value: str) -> Rule:
    """``--set`` text: a template when it holds ``{{column}}``, else one constant value."""
    return Rule(TEMPLATE if _TEMPLATE_RE.search(value) else CONSTANT, value)


@dataclass
class Mapping:
    """Targets (parameter, body field or ``fields.<key>``) and where each one's value comes from."""

    endpoint: str
    method: HttpMethod
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def spec(self) -> Method:
        return catalog()[self.endpoint].method(self.method)

    def targets(self) -> list[str]:
        """Every target this method has, form order (``fields.<key>`` ones are open-ended)."""
        spec = self.spec
        return [p.name for p in spec.form_params] + [f.name for f in spec.fields]

    def column_of(self, target: str) -> str | None:
        rule = self.rules.get(target)
        return rule.value if rule is not None and rule.kind == COLUMN else None

    def check_target(self, target: str) -> None:
        """Raise ValidationError unless ``target`` is something this form takes."""
        if target.startswith(FIELDS_PREFIX):
            if "fields" not in {f.name for f in self.spec.fields} or not target[7:]:
                raise ValidationError(f"{self.endpoint} has no contact fields to fill")
            return
        if target not in self.targets():
            known = ", ".join(self.targets())
            raise ValidationError(
                f"{self.endpoint} {self.method} has no parameter or field {target!r} "
                f"(it takes: {known})"
            )

    def draft(self, cells: dict[str, str]) -> Draft:
        """One row as the form would hold it; empty values are left out, as in the form."""
        return self.drafter()(cells)

    def drafter(self) -> Callable[[dict[str, str]], Draft]:
        """:meth:`draft` with the targets looked up once, for many rows."""
        spec = self.spec
        params = {p.name: p.spec for p in spec.form_params}
        fields = {f.name: f.spec for f in spec.fields}
        steps: list[tuple[str, Rule, str, TypeSpec | None]] = []
        for target, rule in self.rules.items():
            if target.startswith(FIELDS_PREFIX):
                steps.append((target[len(FIELDS_PREFIX) :], rule, "fields", None))
            elif target in params:
                steps.append((target, rule, "params", params[target]))
            elif target in fields:
                steps.append((target, rule, "body", fields[target]))
        endpoint, method = self.endpoint, self.method

        def draft(cells: dict[str, str]) -> Draft:
            made = Draft(endpoint, method)
            contact_fields: dict[str, Any] = {}
            for name, rule, where, type_spec in steps:
                text = rule.text(cells).strip()
                if not text:
                    continue
                if type_spec is None:
                    contact_fields[name] = text
                elif where == "params":
                    made.params[name] = _cell_value(type_spec, text)
                else:
                    made.body[name] = _cell_value(type_spec, text)
            if contact_fields:
                made.body["fields"] = {**made.body.get("fields", {}), **contact_fields}
            return made

        return draft

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "method": str(self.method),
            "rules": {t: {"kind": r.kind, "value": r.value} for t, r in self.rules.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mapping:
        rules = {t: Rule(str(r["kind"]), str(r["value"])) for t, r in data["rules"].items()}
        return cls(str(data["endpoint"]), HttpMethod(data["method"]), rules)


def _cell_value(spec: TypeSpec, text: str) -> Any:
    """A cell as the form's editor would hand it over: lists split, JSON objects parsed."""
    kind = spec.kind
    if kind is Kind.LIST:
        items: list[Any] | None = None
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = None
            if isinstance(value, list):
                items = value
        if items is None:
            items = [part.strip() for part in text.split(";") if part.strip()]
        if spec.base.kind is Kind.URN:
            items = [_phone_urn(i) if isinstance(i, str) else i for i in items]
        return items
    if kind is Kind.URN:
        return _phone_urn(text)
    if kind in (Kind.DICT, Kind.STR_DICT, Kind.JSON, Kind.TRANSLATIONS) and text[:1] in "{[":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # the parser says what is wrong with it
    return text


def _phone_urn(text: str) -> str:
    """A bare phone number, as spreadsheets hold them, is a ``tel:`` URN."""
    return f"tel:{text}" if _PHONE_RE.fullmatch(text) else text


def auto_mapping(
    endpoint: str,
    method: HttpMethod,
    headers: tuple[str, ...] | list[str],
    field_keys: tuple[str, ...] | list[str] = (),
) -> Mapping:
    """Headers matched to targets by name; ``fields.key`` and workspace field keys to fields."""
    mapping = Mapping(endpoint, method)
    by_name = {normalise(t): t for t in mapping.targets()}
    has_fields = "fields" in by_name.values()
    keys = {normalise(k): k for k in field_keys}
    for header in headers:
        wanted = normalise(header)
        if has_fields and header.lower().startswith(FIELDS_PREFIX):
            target = FIELDS_PREFIX + header[len(FIELDS_PREFIX) :].strip()
        elif wanted in by_name:
            target = by_name[wanted]
        elif has_fields and wanted in keys:
            target = FIELDS_PREFIX + keys[wanted]
        else:
            continue
        mapping.rules.setdefault(target, Rule(COLUMN, header))
    return mapping


def apply_overrides(
    mapping: Mapping,
    headers: tuple[str, ...] | list[str],
    columns: list[tuple[str, str]],
    settings: list[tuple[str, str]],
) -> None:
    """``--map COLUMN=FIELD`` and ``--set FIELD=VALUE`` on top of the automatic mapping.

    ``--map COLUMN=`` (nothing after ``=``) leaves that column out. Raises ValidationError
    naming the first column or target that does not exist.
    """
    for column, target in columns:
        if column not in headers:
            raise ValidationError(
                f"the file has no column {column!r} (its columns: {', '.join(headers)})"
            )
        for name in [t for t, r in mapping.rules.items() if r == Rule(COLUMN, column)]:
            del mapping.rules[name]
        if target:
            mapping.check_target(target)
            mapping.rules[target] = Rule(COLUMN, column)
    for target, value in settings:
        mapping.check_target(target)
        mapping.rules[target] = rule_for_setting(value)


def split_assignment(text: str, what: str) -> tuple[str, str]:
    """``A=B`` → ``("A", "B")``; ValidationError when there is no ``=``."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValidationError(f"{what} takes NAME=VALUE, not {text!r}")
    return name.strip(), value.strip()
