"""The catalog agrees with the RapidPro API v2 facts, and every declaration is usable.

The facts file is a copy of the shared fact catalog (taken from RapidPro's source); a
wrong type, limit or required flag here would put a wrong form in front of a user or make
the sandbox accept what RapidPro refuses. Each comparison collects every difference and
reports them all at once, so one run shows the whole repair list.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from explorer.core.catalog import (
    BASE_PATH,
    Action,
    Catalog,
    Endpoint,
    Kind,
    Method,
    Param,
    ResultField,
    TypeSpec,
    catalog,
)

FACTS_PATH = Path(__file__).parent / "data" / "rapidpro_api_v2_facts.json"

# fact key -> (catalog attribute, value when the facts leave the key out)
ENDPOINT_KEYS: dict[str, tuple[str, Any]] = {
    "path": ("path", None),
    "group": ("group", None),
    "deprecated": ("deprecated", False),
    "throttle_scope": ("throttle_scope", "v2"),
    "alias_of": ("alias_of", None),
    "lookup_params": ("lookup_params", ()),
    "exclusive_params": ("exclusive_params", ()),
    "in_builtin_explorer": ("in_builtin_explorer", True),
    "in_root_listing": ("in_root_listing", True),
}
METHOD_KEYS: dict[str, tuple[str, Any]] = {
    "title": ("title", None),
    "in_explorer": ("in_builtin_explorer", True),
    "pagination": ("pagination", "none"),
    "order": ("order", None),
    "body_encoding": ("body_encoding", None),
    "response": ("response", None),
}
PARAM_KEYS: dict[str, tuple[str, Any]] = {
    "type": ("type", None),
    "required": ("required", False),
    "required_on_update": ("required_on_update", None),
    "choices": ("choices", ()),
    "case_insensitive": ("case_insensitive", False),
    "min_length": ("min_length", None),
    "max_length": ("max_length", None),
    "max_items": ("max_items", None),
    "item_max_length": ("item_max_length", None),
    "min": ("minimum", None),
    "max": ("maximum", None),
    "accepts": ("accepts", None),
    "nullable": ("nullable", False),
    "allow_blank": ("allow_blank", None),
    "default": ("default", None),
    "deprecated": ("deprecated", False),
    "repeatable": ("repeatable", False),
    "role": ("role", None),
    "applies_to": ("applies_to", None),
    "comparison": ("comparison", None),
    "match": ("match", None),
    "unique": ("unique", None),
    "value_type": ("value_type", None),
    "value_max_length": ("value_max_length", None),
    "value_max_items": ("value_max_items", None),
    "max_languages": ("max_languages", None),
    "item_shape": ("item_shape", None),
    "max_encoded_length": ("max_encoded_length", None),
    "allowed_content_types": ("allowed_content_types", ()),
    "max_bytes": ("max_bytes", None),
    "format": ("format", None),
    "explorer": ("in_builtin_explorer", True),
    "read_by_view": ("read_by_view", True),
}
RESULT_KEYS: dict[str, tuple[str, Any]] = {
    "type": ("type", None),
    "nullable": ("nullable", False),
    "choices": ("choices", ()),
    "shape": ("shape", ()),
    "deprecated": ("deprecated", False),
    "anon_only": ("anon_only", False),
    "value_type": ("value_type", None),
}
ACTION_KEYS: dict[str, tuple[str, Any]] = {
    "needs": ("needs", ()),
    "forbids": ("forbids", ()),
    "needs_one_of": ("needs_one_of", ()),
    "deprecated": ("deprecated", False),
}

RAPIDPRO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
LANGUAGE_CODE = re.compile(r"^[a-z]{3}$")
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@cache
def facts() -> dict[str, Any]:
    return json.loads(FACTS_PATH.read_text(encoding="utf-8"))


def fact_endpoints() -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in facts()["endpoints"]}


def norm(value: Any) -> Any:
    """Lists and tuples compare alike; enum members compare as their values."""
    if isinstance(value, list | tuple):
        return tuple(norm(v) for v in value)
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    return getattr(value, "value", value)


def compare_keys(
    where: str, fact: dict[str, Any], item: object, keys: dict[str, tuple[str, Any]]
) -> list[str]:
    diffs = []
    for key, (attr, absent) in keys.items():
        want = norm(fact.get(key, absent))
        got = norm(getattr(item, attr))
        if got != want:
            diffs.append(f"{where}: {attr} is {got!r} in the catalog, {want!r} in the facts")
    return diffs


def compare_names(where: str, fact_names: list[str], names: list[str]) -> list[str]:
    missing = [n for n in fact_names if n not in names]
    extra = [n for n in names if n not in fact_names]
    diffs = []
    if missing:
        diffs.append(f"{where}: missing from the catalog: {', '.join(missing)}")
    if extra:
        diffs.append(f"{where}: not in the facts: {', '.join(extra)}")
    if not missing and not extra and names != fact_names:
        diffs.append(f"{where}: order is {names}, the facts have {fact_names}")
    return diffs


def compare_params(
    where: str, facts_list: list[dict[str, Any]], params: tuple[Param, ...], *, query: bool
) -> list[str]:
    diffs = compare_names(where, [f["name"] for f in facts_list], [p.name for p in params])
    by_name = {p.name: p for p in params}
    for fact in facts_list:
        param = by_name.get(fact["name"])
        if param is None:
            continue
        here = f"{where} {fact['name']}"
        diffs += compare_keys(here, fact, param, PARAM_KEYS)
        if param.pagination != (fact.get("source") == "pagination"):
            diffs.append(f"{here}: pagination is {param.pagination} in the catalog")
        if "example" in fact and not same_example(param.example, fact["example"], query=query):
            diffs.append(f"{here}: example {param.example!r}, the facts give {fact['example']!r}")
    return diffs


def query_values(value: Any) -> list[str]:
    """A value as it travels in a query string: bools as true/false, lists repeated."""
    if isinstance(value, list | tuple):
        return [v for item in value for v in query_values(item)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def same_example(ours: Any, theirs: Any, *, query: bool) -> bool:
    """The facts spell query examples as URL text; the catalog keeps them typed."""
    if query:
        return query_values(ours) == query_values(theirs)
    return norm(ours) == norm(theirs)


def compare_results(
    where: str, facts_list: list[dict[str, Any]], fields: tuple[ResultField, ...]
) -> list[str]:
    diffs = compare_names(where, [f["name"] for f in facts_list], [f.name for f in fields])
    by_name = {f.name: f for f in fields}
    for fact in facts_list:
        if (field := by_name.get(fact["name"])) is not None:
            diffs += compare_keys(f"{where} {fact['name']}", fact, field, RESULT_KEYS)
    return diffs


def compare_actions(
    where: str, fact_actions: dict[str, Any], actions: tuple[Action, ...]
) -> list[str]:
    diffs = compare_names(where, list(fact_actions), [a.name for a in actions])
    by_name = {a.name: a for a in actions}
    for name, fact in fact_actions.items():
        if (action := by_name.get(name)) is not None:
            diffs += compare_keys(f"{where} {name}", fact, action, ACTION_KEYS)
    return diffs


def plain_rule(text: str) -> str:
    """Rules are reworded only in case and final full stop."""
    text = text.strip().removesuffix(".")
    return text[:1].lower() + text[1:]


def compare_method(where: str, fact: dict[str, Any], method: Method) -> list[str]:
    diffs = compare_keys(where, fact, method, METHOD_KEYS)
    diffs += compare_params(f"{where} param", fact.get("params", []), method.params, query=True)
    diffs += compare_params(f"{where} field", fact.get("fields", []), method.fields, query=False)
    diffs += compare_results(f"{where} result", fact.get("result_fields", []), method.result_fields)
    diffs += compare_actions(f"{where} action", fact.get("actions", {}), method.actions)
    want_returns = {int(code): text for code, text in fact.get("returns", {}).items()}
    if dict(method.returns) != want_returns:
        diffs.append(f"{where}: returns {dict(method.returns)}, the facts have {want_returns}")
    want_rules = [plain_rule(r) for r in fact.get("rules", [])]
    if [plain_rule(r) for r in method.rules] != want_rules:
        diffs.append(f"{where}: rules {list(method.rules)}, the facts have {want_rules}")
    want_limit = fact.get("create_limit", {}).get("default")
    if method.create_limit != want_limit:
        diffs.append(f"{where}: create_limit {method.create_limit}, the facts have {want_limit}")
    return diffs


def compare_endpoint(fact: dict[str, Any], endpoint: Endpoint) -> list[str]:
    where = endpoint.name
    diffs = compare_keys(where, fact, endpoint, ENDPOINT_KEYS)
    fact_methods = fact["methods"]
    diffs += compare_names(
        f"{where} methods", list(fact_methods), [str(m) for m in endpoint.method_names]
    )
    for method in endpoint.methods:
        if (method_fact := fact_methods.get(str(method.method))) is not None:
            diffs += compare_method(f"{where} {method.method}", method_fact, method)
    if "lookup_used_by" in fact:
        using = [str(m.method) for m in endpoint.methods if m.lookup_params]
        if using != fact["lookup_used_by"]:
            diffs.append(
                f"{where}: lookups used by {using}, the facts say {fact['lookup_used_by']}"
            )
    return diffs


def report(diffs: list[str]) -> str:
    return f"{len(diffs)} difference(s):\n  " + "\n  ".join(diffs)


# --- agreement with the facts -------------------------------------------------------------


def test_catalog_lists_every_endpoint_of_the_facts() -> None:
    names = sorted(e.name for e in catalog())
    assert len(fact_endpoints()) == 30
    assert not (diffs := compare_names("endpoints", sorted(fact_endpoints()), names)), report(diffs)


def test_base_path_and_page_size_match_the_facts() -> None:
    from explorer.core.catalog import PAGE_SIZE

    conventions = facts()["conventions"]
    assert conventions["base_path"] == BASE_PATH
    assert conventions["page_size"] == PAGE_SIZE


@pytest.mark.parametrize("name", sorted(fact_endpoints()))
def test_endpoint_agrees_with_the_facts(name: str) -> None:
    cat = catalog()
    assert name in cat, f"{name} is missing from the catalog"
    diffs = compare_endpoint(fact_endpoints()[name], cat[name])
    assert not diffs, report(diffs)


def test_every_mismatch_is_reported_at_once() -> None:
    """The comparison itself: a changed type and a dropped param both show up."""
    endpoint = catalog()["contacts"]
    get = endpoint.method("GET")
    broken_params = (Param("uuid", "string", "x", example="x"), *get.params[2:])
    broken = Method(
        get.method,
        get.title,
        params=broken_params,
        pagination=get.pagination,
        order=get.order,
        result_fields=get.result_fields,
    )
    fact = fact_endpoints()["contacts"]["methods"]["GET"]
    diffs = compare_method("contacts GET", fact, broken)
    text = "\n".join(diffs)
    assert "missing from the catalog: urn" in text
    assert "contacts GET param uuid: type is 'string' in the catalog, 'uuid' in the facts" in text


# --- every declaration is usable ----------------------------------------------------------


def all_params(cat: Catalog) -> list[tuple[str, Param]]:
    found = []
    for endpoint in cat:
        for method in endpoint.methods:
            found += [(f"{endpoint.name} {method.method} param {p.name}", p) for p in method.params]
            found += [(f"{endpoint.name} {method.method} field {p.name}", p) for p in method.fields]
    return found


def test_every_param_and_field_has_a_help_sentence() -> None:
    bad = [
        f"{where}: {p.help!r}"
        for where, p in all_params(catalog())
        if not p.help.strip() or not p.help[0].isupper() or not p.help.rstrip().endswith(".")
    ]
    assert not bad, report(bad)


def test_every_param_and_field_has_an_example_except_pagination() -> None:
    bad = [where for where, p in all_params(catalog()) if p.example is None and not p.pagination]
    assert not bad, "no example for:\n  " + "\n  ".join(bad)


def urn_schemes() -> set[str]:
    return {s["scheme"] for s in facts()["conventions"]["urn_schemes"]}


def is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def is_urn(value: Any) -> bool:
    if not isinstance(value, str) or ":" not in value:
        return False
    scheme, path = value.split(":", 1)
    return scheme in urn_schemes() and bool(path)


def ref_forms(accepts: str | None) -> set[str]:
    """Which identifier forms a reference's ``accepts`` text allows."""
    text = (accepts or "").lower()
    forms = {word for word in ("uuid", "urn", "name", "email", "key") if word in text}
    if "<content-type>:<url>" in text:
        forms.add("content-type:url")
    return forms


def ref_example_problem(value: Any, forms: set[str]) -> str | None:
    if not isinstance(value, str) or not value:
        return "is not a non-empty string"
    checks = {
        "uuid": is_uuid(value),
        "urn": is_urn(value),
        "email": re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", value) is not None,
        "key": FIELD_KEY.fullmatch(value) is not None,
        "name": True,
        "content-type:url": re.fullmatch(r"[a-z]+/[\w.+*-]+:https?://\S+", value) is not None,
    }
    if forms and not any(checks[f] for f in forms):
        return f"is none of {sorted(forms)}"
    return None


def example_problem(value: Any, spec: TypeSpec, param: Param) -> str | None:
    """Why ``value`` is not a plausible value of ``spec``, or None when it is."""
    kind = spec.kind
    if kind is Kind.LIST:
        if not isinstance(value, list) or not value:
            return "is not a non-empty list"
        assert spec.item is not None
        problems = [example_problem(v, spec.item, param) for v in value]
        return next((f"item {p}" for p in problems if p), None)
    if kind is Kind.REF:
        return ref_example_problem(value, ref_forms(param.accepts))
    if kind is Kind.TRANSLATIONS:
        if not isinstance(value, dict) or not value:
            return "is not an object keyed by language"
        if bad := [k for k in value if not LANGUAGE_CODE.fullmatch(k)]:
            return f"has keys that are not languages: {bad}"
        if param.value_spec is not None:
            problems = [example_problem(v, param.value_spec, param) for v in value.values()]
            return next((f"value {p}" for p in problems if p), None)
        return None
    if kind is Kind.CHOICE:
        return None if value in param.choices else f"is not one of {param.choices}"
    simple = {
        Kind.STRING: lambda v: isinstance(v, str) and bool(v),
        Kind.INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
        Kind.BOOL: lambda v: isinstance(v, bool),
        Kind.UUID: is_uuid,
        Kind.URN: is_urn,
        Kind.DATETIME: lambda v: isinstance(v, str) and RAPIDPRO_DATETIME.fullmatch(v) is not None,
        Kind.DATE: lambda v: isinstance(v, str) and _is_iso_date(v),
        Kind.LANGUAGE: lambda v: isinstance(v, str) and LANGUAGE_CODE.fullmatch(v) is not None,
        Kind.DICT: lambda v: isinstance(v, dict),
        Kind.STR_DICT: lambda v: (
            isinstance(v, dict)
            and all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())
        ),
        Kind.JSON: _is_json,
        Kind.FILE: lambda v: isinstance(v, str) and "." in v,
    }
    return None if simple[kind](value) else f"is not a {kind.value}"


def _is_iso_date(value: str) -> bool:
    try:
        return dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def test_every_example_is_of_the_declared_type() -> None:
    bad = []
    for where, p in all_params(catalog()):
        if p.example is None:
            continue
        if problem := example_problem(p.example, p.spec, p):
            bad.append(f"{where} ({p.type}): {p.example!r} {problem}")
        if isinstance(p.example, str) and p.max_length and len(p.example) > p.max_length:
            bad.append(f"{where}: example longer than {p.max_length}")
    assert not bad, report(bad)


def test_example_check_catches_wrong_examples() -> None:
    """The type check above would notice a wrong example of each kind."""
    uuid_param = Param("uuid", "uuid", "x")
    assert example_problem("not-a-uuid", uuid_param.spec, uuid_param)
    when = Param("before", "datetime", "x")
    assert example_problem("2016-10-13 11:54", when.spec, when)
    choice = Param("unit", "choice", "x", choices=("days",))
    assert example_problem("years", choice.spec, choice)
    urns = Param("urns", "list[urn]", "x")
    assert example_problem("tel:+250788123123", urns.spec, urns)
    flag = Param("paths", "bool", "x")
    assert example_problem("true", flag.spec, flag)
    count = Param("offset", "int", "x")
    assert example_problem(True, count.spec, count)
    flow = Param("flow", "ref:flows", "x", accepts="flow uuid")
    assert example_problem("Registration", flow.spec, flow)


def referenced_targets(type_text: str | None) -> list[str]:
    return re.findall(r"ref:([a-z_]+)", type_text or "")


def test_every_reference_names_an_existing_endpoint() -> None:
    cat = catalog()
    bad = []
    for endpoint in cat:
        for method in endpoint.methods:
            items: list[Param | ResultField] = [
                *method.params,
                *method.fields,
                *method.result_fields,
            ]
            for item in items:
                for target in referenced_targets(item.type) + referenced_targets(item.value_type):
                    if target not in cat:
                        bad.append(f"{endpoint.name} {method.method} {item.name}: ref:{target}")
        if endpoint.alias_of is not None and endpoint.alias_of not in cat:
            bad.append(f"{endpoint.name}: alias of unknown {endpoint.alias_of}")
    assert not bad, report(bad)


def test_every_type_parses_and_round_trips() -> None:
    bad = []
    for endpoint in catalog():
        for method in endpoint.methods:
            for item in (*method.params, *method.fields, *method.result_fields):
                try:
                    if str(TypeSpec.parse(item.type)) != item.type:
                        bad.append(f"{endpoint.name} {item.name}: {item.type}")
                except ValueError:
                    bad.append(f"{endpoint.name} {item.name}: unknown type {item.type}")
    assert not bad, report(bad)


def test_endpoint_summaries_are_present_and_unique() -> None:
    summaries = [e.summary.strip() for e in catalog()]
    assert all(summaries), [e.name for e in catalog() if not e.summary.strip()]
    dupes = {s for s in summaries if summaries.count(s) > 1}
    assert not dupes, dupes


def test_lookup_and_exclusive_params_are_declared_params() -> None:
    bad = []
    for endpoint in catalog():
        declared = {p.name for m in endpoint.methods for p in m.params}
        bad += [f"{endpoint.name}: lookup {n}" for n in endpoint.lookup_params if n not in declared]
        bad += [
            f"{endpoint.name}: exclusive {n}"
            for n in endpoint.exclusive_params
            if n not in declared
        ]
    assert not bad, report(bad)


def test_action_needs_and_forbids_name_body_fields() -> None:
    bad = []
    for endpoint in catalog():
        for method in endpoint.methods:
            names = {f.name for f in method.fields}
            for action in method.actions:
                used = (*action.needs, *action.forbids, *action.needs_one_of)
                bad += [f"{endpoint.name} {action.name}: {n}" for n in used if n not in names]
                action_field = method.field("action")
                if action.name not in action_field.choices:
                    bad.append(f"{endpoint.name}: action {action.name} is not a choice")
    assert not bad, report(bad)


def test_catalog_is_ordered_by_group_then_name() -> None:
    from explorer.core.endpoints import GROUP_ORDER

    cat = catalog()
    keys = [(GROUP_ORDER.index(e.group), e.name) for e in cat]
    assert keys == sorted(keys)
    assert [g for g, _ in cat.groups] == [g for g in GROUP_ORDER if any(e.group == g for e in cat)]
    assert cat.by_path("/api/v2/contacts.json") is cat["contacts"]
