"""The catalog as JSON, as readable text and as HTML: the one source of endpoint docs (no Qt).

``catalog_to_json`` gives a stable document (key order follows the declarations; defaults
are left out of params and fields) that scripts can diff or feed to other tools.
``catalog_summary`` gives the overview or one endpoint's detail as aligned plain text, for
the ``catalog`` command; ``method_html`` gives one method's docs for the window's docs pane,
built from the same facts and wording.
"""

from __future__ import annotations

import dataclasses
import html
import json
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from explorer.core.catalog import (
    BASE_PATH,
    Action,
    Catalog,
    Endpoint,
    Method,
    Pagination,
    Param,
    ResultField,
)

DEFAULT_WIDTH = 100
_MIN_HELP_WIDTH = 28  # below this, wrapping the help column is worse than a long line

# --- JSON -------------------------------------------------------------------------------------


def catalog_to_json(catalog: Catalog) -> dict[str, Any]:
    """The whole catalog as plain JSON data: endpoints -> methods -> params/fields."""
    return {"base_path": BASE_PATH, "endpoints": [endpoint_to_json(e) for e in catalog]}


def endpoint_to_json(endpoint: Endpoint) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": endpoint.name,
        "path": endpoint.path,
        "group": endpoint.group,
        "deprecated": endpoint.deprecated,
        "throttle_scope": endpoint.throttle_scope,
        "summary": endpoint.summary,
    }
    data.update(
        _non_defaults(
            endpoint, skip={"name", "group", "summary", "methods", "throttle_scope", "deprecated"}
        )
    )
    data["methods"] = {str(m.method): method_to_json(m) for m in endpoint.methods}
    return data


def method_to_json(method: Method) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": method.title,
        "pagination": method.pagination.value,
        "order": method.order,
        "params": [param_to_json(p) for p in method.params],
        "fields": [param_to_json(p) for p in method.fields],
        "result_fields": [result_field_to_json(r) for r in method.result_fields],
        "actions": {a.name: action_to_json(a) for a in method.actions},
        "rules": list(method.rules),
        "returns": {str(code): text for code, text in method.returns},
    }
    data.update(_non_defaults(method, skip={"method", *data}))
    return data


def param_to_json(param: Param) -> dict[str, Any]:
    data: dict[str, Any] = {"name": param.name, "type": param.type, "required": param.required}
    if param.required_on_update is not None:
        data["required_on_update"] = param.required_on_update
    data["help"] = param.help
    if param.example is not None:
        data["example"] = _plain(param.example)
    data.update(
        _non_defaults(
            param, skip={"name", "type", "required", "required_on_update", "help", "example"}
        )
    )
    return data


def result_field_to_json(field: ResultField) -> dict[str, Any]:
    data: dict[str, Any] = {"name": field.name, "type": field.type}
    data.update(_non_defaults(field, skip={"name", "type"}))
    return data


def action_to_json(action: Action) -> dict[str, Any]:
    data: dict[str, Any] = {"needs": list(action.needs), "forbids": list(action.forbids)}
    data.update(_non_defaults(action, skip={"name", "needs", "forbids"}))
    return data


def _non_defaults(obj: Any, *, skip: set[str]) -> dict[str, Any]:
    """The dataclass fields of ``obj`` that differ from their defaults, in declared order."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if f.default is not dataclasses.MISSING and value == f.default:
            continue
        out[f.name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    """Tuples become lists and enum members their values, so ``json.dumps`` takes it all."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Pagination):
        return value.value
    return value


# --- text -------------------------------------------------------------------------------------


def catalog_summary(
    catalog: Catalog, endpoint: str | None = None, *, width: int = DEFAULT_WIDTH
) -> str:
    """The overview (endpoints by group) or, given a name, one endpoint in detail.

    Raises ``KeyError`` for an unknown endpoint name.
    """
    if endpoint is not None:
        return endpoint_detail(catalog[endpoint], width=width)
    return catalog_overview(catalog, width=width)


def catalog_overview(catalog: Catalog, *, width: int = DEFAULT_WIDTH) -> str:
    rows: list[tuple[str, ...]] = []
    for group, endpoints in catalog.groups:
        rows.append((group,))
        for e in endpoints:
            summary = e.summary
            if e.deprecated and "deprecated" not in summary.lower():
                summary = f"(deprecated) {summary}"
            rows.append(("  " + e.name, " ".join(e.method_names), summary))
    deprecated = sum(e.deprecated for e in catalog)
    head = f"RapidPro API v2: {len(catalog)} endpoints under {BASE_PATH}"
    if deprecated:
        head += f" ({deprecated} deprecated)"
    return "\n".join([head, "", *_table(rows, width=width, group_rows=True)]) + "\n"


def endpoint_detail(endpoint: Endpoint, *, width: int = DEFAULT_WIDTH) -> str:
    lines = [f"{endpoint.name}  {endpoint.path}"]
    lines += textwrap.wrap(endpoint.summary, width) or [""]
    if endpoint.deprecated:
        why = endpoint.deprecated_note or "RapidPro may remove it."
        lines.append(f"DEPRECATED: {why}")
    facts = [f"group {endpoint.group}", f"rate limit scope {endpoint.throttle_scope}"]
    if endpoint.alias_of:
        facts.append(f"same as {endpoint.alias_of}")
    if endpoint.lookup_params:
        facts.append("looked up by " + " or ".join(endpoint.lookup_params))
    if endpoint.exclusive_params:
        facts.append("use only one of " + ", ".join(endpoint.exclusive_params))
    lines += textwrap.wrap(" | ".join(facts), width)

    widths = _endpoint_widths(endpoint)
    for method in endpoint.methods:
        lines += ["", *_method_lines(endpoint, method, widths, width)]
    return "\n".join(lines) + "\n"


def _method_lines(
    endpoint: Endpoint, method: Method, widths: Sequence[int], width: int
) -> list[str]:
    lines = [f"{method.method} {endpoint.path} - {method.title}"]
    about = _about(method)
    if about:
        lines += textwrap.wrap(" ".join(about), width, initial_indent="  ", subsequent_indent="  ")

    if method.params:
        lines += ["", "  Query parameters"]
        lines += _table(
            [_param_row(p, body=False) for p in method.params], width=width, widths=widths
        )
    if method.fields:
        lines += ["", f"  Body fields ({method.body_encoding or 'json'})"]
        lines += _table(
            [_param_row(p, body=True) for p in method.fields], width=width, widths=widths
        )
    if method.actions:
        lines += ["", "  Actions"]
        lines += _table([_action_row(a) for a in method.actions], width=width)
    if method.rules:
        lines += ["", "  Rules"]
        for rule in method.rules:
            lines += textwrap.wrap(rule, width, initial_indent="    - ", subsequent_indent="      ")
    if method.result_fields:
        lines += ["", "  Result fields"]
        lines += _table([_result_row(r) for r in method.result_fields], width=width, widths=widths)
    if method.returns:
        lines += ["", "  Status codes"]
        lines += [f"    {code}  {text}" for code, text in method.returns]
    return lines


def _about(method: Method) -> list[str]:
    """The method's facts in a sentence each: paging, order, what it returns, limits."""
    about = []
    if method.pagination is Pagination.CURSOR:
        about.append("Paged by cursor.")
    elif method.pagination is Pagination.LIMIT_OFFSET:
        about.append("Paged by limit and offset.")
    if method.order:
        about.append(f"Ordered by {method.order}.")
    if method.response:
        about.append(f"Returns {method.response}.")
    if method.create_limit:
        about.append(f"At most {method.create_limit} per workspace.")
    if method.note:
        about.append(method.note)
    return about


def _required_marker(p: Param) -> str:
    if p.required and p.required_on_update is False:
        return "required to create"
    if not p.required and p.required_on_update:
        return "required to update"
    return "required" if p.required else ""


def _param_row(p: Param, *, body: bool) -> tuple[str, ...]:
    flags = [_required_marker(p)]
    if p.pagination:
        flags.append("pager")
    if p.role:
        flags.append(p.role)
    if p.deprecated:
        flags.append("deprecated")
    return (
        "    " + p.name,
        p.type,
        ", ".join(f for f in flags if f),
        _with_limits(p.help, p, body=body),
    )


def _with_limits(text: str, p: Param, *, body: bool) -> str:
    extra: list[str] = []
    if p.choices:
        extra.append("one of " + ", ".join(p.choices))
    if p.accepts:
        extra.append(f"accepts {p.accepts}")
    if p.value_type:
        extra.append(f"per language: {p.value_type}")
    if p.max_length is not None:
        extra.append(f"at most {p.max_length} characters")
    if p.max_items is not None:
        extra.append(f"at most {p.max_items} items")
    if p.minimum is not None and p.maximum is not None:
        extra.append(f"{p.minimum} to {p.maximum}")
    if p.repeatable:
        extra.append("repeatable")
    if body and p.nullable:
        extra.append("may be null")
    if p.default is not None and not p.pagination:
        extra.append(f"default {_show(p.default)}")
    return f"{text} [{'; '.join(extra)}]" if extra else text


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _result_row(r: ResultField) -> tuple[str, ...]:
    flags = [
        f
        for f, on in (
            ("nullable", r.nullable),
            ("deprecated", r.deprecated),
            ("anon only", r.anon_only),
        )
        if on
    ]
    text = r.help
    extra = []
    if r.choices:
        extra.append("one of " + ", ".join(r.choices))
    if r.shape:
        extra.append("as {" + ", ".join(r.shape) + "}")
    if r.value_type:
        extra.append(f"per language: {r.value_type}")
    if extra:
        text = f"{text} [{'; '.join(extra)}]".strip()
    return ("    " + r.name, r.type, ", ".join(flags), text)


def _action_row(a: Action) -> tuple[str, ...]:
    terms = []
    if a.needs:
        terms.append("needs " + ", ".join(a.needs))
    if a.needs_one_of:
        terms.append("needs one of " + ", ".join(a.needs_one_of))
    if a.forbids:
        terms.append("forbids " + ", ".join(a.forbids))
    if a.deprecated:
        terms.append("deprecated")
    return ("    " + a.name, "; ".join(terms), a.help)


def _endpoint_widths(endpoint: Endpoint) -> list[int]:
    """Name and type widths shared by all of an endpoint's tables, so they line up."""
    rows: list[tuple[str, ...]] = []
    for m in endpoint.methods:
        rows += [_param_row(p, body=False) for p in m.params]
        rows += [_param_row(p, body=True) for p in m.fields]
        rows += [_result_row(r) for r in m.result_fields]
    return _widths(rows)[:2]


def _widths(rows: Iterable[tuple[str, ...]]) -> list[int]:
    widths: list[int] = []
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            if i == len(widths):
                widths.append(0)
            widths[i] = max(widths[i], len(cell))
    return widths


def _table(
    rows: Sequence[tuple[str, ...]],
    *,
    width: int,
    widths: Sequence[int] | None = None,
    group_rows: bool = False,
) -> list[str]:
    """Rows as aligned columns; the last column wraps under itself.

    With ``group_rows``, a one-cell row is a heading, printed as is.
    """
    cells = [r for r in rows if not (group_rows and len(r) == 1)]
    # Columns without a given width (e.g. the flags) fit this table alone.
    widths = [*(widths or ()), *_widths(cells)[len(widths or ()) :]]
    out: list[str] = []
    for row in rows:
        if group_rows and len(row) == 1:
            if out:
                out.append("")
            out.append(row[0])
            continue
        lead = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1]))
        indent = len(lead) + 2
        last = row[-1]
        if not last:
            out.append(lead.rstrip())
        elif width - indent < _MIN_HELP_WIDTH:
            out.append(f"{lead}  {last}")
        else:
            wrapped = textwrap.wrap(last, width - indent) or [""]
            out.append(f"{lead}  {wrapped[0]}")
            out += [" " * indent + line for line in wrapped[1:]]
    return out


# --- HTML (the window's docs pane) -------------------------------------------------------------


def method_html(endpoint: Endpoint, method: Method) -> str:
    """One method's docs as simple HTML: the facts and rows of :func:`endpoint_detail`."""
    esc = html.escape
    parts = [f"<p>{esc(endpoint.summary)}</p>"]
    if endpoint.deprecated:
        why = endpoint.deprecated_note or "RapidPro may remove it."
        parts.append(f"<p><i>Deprecated. {esc(why)}</i></p>")
    about = _about(method)
    if about:
        parts.append(f"<p>{esc(' '.join(about))}</p>")
    parts.append(_params_html("Query parameters", method.form_params, body=False))
    parts.append(_params_html("Body fields", method.fields, body=True))
    if method.actions:
        items = "".join(
            f"<li><code>{esc(name.strip())}</code> {esc(terms)} {esc(help_)}</li>"
            for name, terms, help_ in (_action_row(a) for a in method.actions)
        )
        parts.append(f"<p><b>Actions</b></p><ul>{items}</ul>")
    if method.rules:
        rules = "".join(f"<li>{esc(r)}</li>" for r in method.rules)
        parts.append(f"<p><b>Rules</b></p><ul>{rules}</ul>")
    if method.returns:
        codes = ", ".join(f"{code} {esc(text)}" for code, text in method.returns)
        parts.append(f"<p><b>Status codes</b> {codes}</p>")
    return "".join(parts)


def _params_html(title: str, params: Sequence[Param], *, body: bool) -> str:
    if not params:
        return ""
    esc = html.escape
    rows = []
    for p in params:
        name, type_, flags, help_ = _param_row(p, body=body)
        marks = f" <b>{esc(flags)}</b>" if flags else ""
        note = f" {esc(p.note)}" if p.note else ""
        example = ""
        if p.example is not None:
            shown = json.dumps(p.example, ensure_ascii=False)
            example = f"<br><span style='color:#757575'>e.g. {esc(shown)}</span>"
        rows.append(
            f"<p style='margin:0 0 6px 0'><code><b>{esc(name.strip())}</b></code> "
            f"<span style='color:#6a1b9a'>{esc(type_)}</span>{marks}<br>"
            f"{esc(help_)}{note}{example}</p>"
        )
    return f"<p><b>{title}</b></p>{''.join(rows)}"
