"""Any prepared request as code to paste: curl, Python httpx and rapidpro-python.

Snippets never hold the token: they read it from the ``RAPIDPRO_TOKEN`` environment variable.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from explorer.core.catalog import HttpMethod
from explorer.core.request import Prepared, request_url

TOKEN_VARIABLE = "RAPIDPRO_TOKEN"


def curl(base_url: str, prepared: Prepared) -> str:
    """A curl command; ``$RAPIDPRO_TOKEN`` stays a shell variable, unexpanded until it runs."""
    url = request_url(base_url, prepared)
    lines = []
    first = "curl"
    if prepared.method is not HttpMethod.GET and prepared.upload is None:
        first += f" -X {prepared.method.value}"
    lines.append(f"{first} {shlex.quote(url)}")
    lines.append(f'-H "Authorization: Token ${TOKEN_VARIABLE}"')
    if prepared.upload is not None:
        up = prepared.upload
        lines.append(f"-F {shlex.quote(f'file=@{up.filename};type={up.content_type}')}")
    elif prepared.json_body is not None:
        lines.append("-H 'Content-Type: application/json'")
        lines.append(f"--data {shlex.quote(json.dumps(prepared.json_body, ensure_ascii=False))}")
    return " \\\n  ".join(lines)


def httpx_snippet(base_url: str, prepared: Prepared) -> str:
    """A self-contained Python script using httpx."""
    url = base_url.rstrip("/") + prepared.path
    out = [
        "import os",
        "",
        "import httpx",
        "",
        f'headers = {{"Authorization": f"Token {{os.environ[{TOKEN_VARIABLE!r}]}}"}}',
    ]
    call = f"httpx.{prepared.method.value.lower()}(\n    {url!r},\n    headers=headers,"
    if prepared.query:
        out.append(f"params = {_py(list(prepared.query))}")
        call += "\n    params=params,"
    if prepared.upload is not None:
        up = prepared.upload
        out.append(
            f"files = {{'file': ({up.filename!r}, open({up.filename!r}, 'rb'), "
            f"{up.content_type!r})}}"
        )
        call = call.replace("httpx.post(", "httpx.post(") + "\n    files=files,"
    elif prepared.json_body is not None:
        out.append(f"body = {_py(prepared.json_body)}")
        call += "\n    json=body,"
    out.append(f"response = {call}\n)")
    out.append("response.raise_for_status()")
    if prepared.method is not HttpMethod.DELETE:
        out.append("print(response.json() if response.content else response.status_code)")
    return "\n".join(out)


def _py(value: Any) -> str:
    """Python literal for JSON-like data (``True``/``None``, not ``true``/``null``)."""
    text = repr(value)
    return text if len(text) <= 80 else _pretty_py(value)


def _pretty_py(value: Any, indent: int = 0) -> str:
    pad = "    " * (indent + 1)
    end = "    " * indent
    if isinstance(value, dict):
        items = [f"{pad}{k!r}: {_pretty_py(v, indent + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{end}}}"
    if isinstance(value, list) and len(repr(value)) > 60:
        items = [f"{pad}{_pretty_py(v, indent + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{end}]"
    return repr(value)


@dataclass(frozen=True)
class _TembaCall:
    method: str
    args: tuple[str, ...] = ()  # catalog names the method takes, in its order
    renames: tuple[tuple[str, str], ...] = ()  # catalog name → client keyword
    lookup: str | None = None  # the client's first positional: the object to change


# rapidpro-python's TembaClient methods, keyed by (endpoint, method, update?/action).
_TEMBA: dict[tuple[str, str, str], _TembaCall] = {
    ("archives", "GET", ""): _TembaCall("get_archives", ("type", "period", "before", "after")),
    ("boundaries", "GET", ""): _TembaCall("get_boundaries"),
    ("broadcasts", "GET", ""): _TembaCall("get_broadcasts", ("uuid", "before", "after")),
    ("campaigns", "GET", ""): _TembaCall("get_campaigns", ("uuid",)),
    ("campaign_events", "GET", ""): _TembaCall("get_campaign_events", ("uuid", "campaign")),
    ("channels", "GET", ""): _TembaCall("get_channels", ("uuid", "address")),
    ("contacts", "GET", ""): _TembaCall(
        "get_contacts", ("uuid", "urn", "group", "deleted", "before", "after", "reverse")
    ),
    ("definitions", "GET", ""): _TembaCall(
        "get_definitions",
        ("flow", "campaign", "dependencies"),
        (("flow", "flows"), ("campaign", "campaigns")),
    ),
    ("fields", "GET", ""): _TembaCall("get_fields", ("key",)),
    ("flows", "GET", ""): _TembaCall("get_flows", ("uuid", "type", "archived")),
    ("flow_starts", "GET", ""): _TembaCall("get_flow_starts", ("uuid",)),
    ("globals", "GET", ""): _TembaCall("get_globals", ("key",)),
    ("groups", "GET", ""): _TembaCall("get_groups", ("uuid", "name")),
    ("labels", "GET", ""): _TembaCall("get_labels", ("uuid", "name")),
    ("messages", "GET", ""): _TembaCall("get_messages", ("uuid", "folder", "before", "after")),
    ("org", "GET", ""): _TembaCall("get_org"),
    ("workspace", "GET", ""): _TembaCall("get_org"),
    ("resthooks", "GET", ""): _TembaCall("get_resthooks"),
    ("resthook_events", "GET", ""): _TembaCall("get_resthook_events", ("resthook",)),
    ("resthook_subscribers", "GET", ""): _TembaCall("get_resthook_subscribers", ("id", "resthook")),
    ("runs", "GET", ""): _TembaCall(
        "get_runs", ("uuid", "flow", "responded", "before", "after", "reverse", "paths")
    ),
    ("broadcasts", "POST", ""): _TembaCall(
        "create_broadcast", ("text", "urns", "contacts", "groups")
    ),
    ("campaigns", "POST", ""): _TembaCall("create_campaign", ("name", "group")),
    ("campaigns", "POST", "update"): _TembaCall(
        "update_campaign", ("name", "group"), lookup="uuid"
    ),
    ("campaign_events", "POST", ""): _TembaCall(
        "create_campaign_event",
        ("campaign", "relative_to", "offset", "unit", "delivery_hour", "message", "flow"),
    ),
    ("campaign_events", "POST", "update"): _TembaCall(
        "update_campaign_event",
        ("relative_to", "offset", "unit", "delivery_hour", "message", "flow"),
        lookup="uuid",
    ),
    ("contacts", "POST", ""): _TembaCall(
        "create_contact", ("name", "language", "urns", "fields", "groups")
    ),
    ("contacts", "POST", "update"): _TembaCall(
        "update_contact", ("name", "language", "urns", "fields", "groups"), lookup="uuid|urn"
    ),
    ("fields", "POST", ""): _TembaCall("create_field", ("name", "type")),
    ("fields", "POST", "update"): _TembaCall("update_field", ("name", "type"), lookup="key"),
    ("flow_starts", "POST", ""): _TembaCall(
        "create_flow_start",
        ("flow", "urns", "contacts", "groups", "restart_participants", "exclude_active", "params"),
    ),
    ("globals", "POST", ""): _TembaCall("create_global", ("name", "value")),
    ("globals", "POST", "update"): _TembaCall("update_global", ("value",), lookup="key"),
    ("groups", "POST", ""): _TembaCall("create_group", ("name",)),
    ("groups", "POST", "update"): _TembaCall("update_group", ("name",), lookup="uuid"),
    ("labels", "POST", ""): _TembaCall("create_label", ("name",)),
    ("labels", "POST", "update"): _TembaCall("update_label", ("name",), lookup="uuid"),
    ("messages", "POST", ""): _TembaCall(
        "create_message", ("contact", "text", "attachments", "quick_replies")
    ),
    ("resthook_subscribers", "POST", ""): _TembaCall(
        "create_resthook_subscriber", ("resthook", "target_url")
    ),
    ("campaign_events", "DELETE", ""): _TembaCall("delete_campaign_event", lookup="uuid"),
    ("contacts", "DELETE", ""): _TembaCall("delete_contact", lookup="uuid|urn"),
    ("groups", "DELETE", ""): _TembaCall("delete_group", lookup="uuid"),
    ("labels", "DELETE", ""): _TembaCall("delete_label", lookup="uuid"),
    ("resthook_subscribers", "DELETE", ""): _TembaCall("delete_resthook_subscriber", lookup="id"),
}
for _action, _method in {
    "add": "bulk_add_contacts",
    "remove": "bulk_remove_contacts",
    "block": "bulk_block_contacts",
    "unblock": "bulk_unblock_contacts",
    "interrupt": "bulk_interrupt_contacts",
    "archive_messages": "bulk_archive_contact_messages",
    "delete": "bulk_delete_contacts",
}.items():
    _TEMBA[("contact_actions", "POST", _action)] = _TembaCall(_method, ("contacts", "group"))
for _action, _method in {
    "label": "bulk_label_messages",
    "unlabel": "bulk_unlabel_messages",
    "archive": "bulk_archive_messages",
    "restore": "bulk_restore_messages",
    "delete": "bulk_delete_messages",
}.items():
    _TEMBA[("message_actions", "POST", _action)] = _TembaCall(
        _method, ("messages", "label", "label_name")
    )


class NoClientMethod(LookupError):
    """rapidpro-python has no method for this request (or not for all of its values)."""


def temba_client(base_url: str, prepared: Prepared) -> str:
    """A rapidpro-python (``TembaClient``) script, where the client has a matching method.

    Raises :class:`NoClientMethod` saying why when it has none.
    """
    body = prepared.json_body or {}
    query = dict(prepared.query)
    key = ""
    if prepared.endpoint.method(prepared.method).is_bulk_action:
        key = str(body.get("action", ""))
    elif prepared.method is HttpMethod.POST and prepared.is_update:
        key = "update"
    call = _TEMBA.get((prepared.endpoint.name, prepared.method.value, key))
    if call is None:
        raise NoClientMethod(
            f"rapidpro-python has no method for {prepared.method.value} "
            f"{prepared.endpoint.name}{' (' + key + ')' if key else ''}"
        )
    renames = dict(call.renames)
    kwargs: dict[str, Any] = {}
    positional: list[Any] = []
    if call.lookup:
        for name in call.lookup.split("|"):
            if name in query:
                value: Any = query.pop(name)
                positional.append(int(value) if name == "id" else value)
                break
    if prepared.method is HttpMethod.GET:
        multi = [(k, val) for k, val in prepared.query if k not in ("cursor",)]
        for name, val in multi:
            if name not in call.args:
                raise NoClientMethod(f"{call.method}() cannot filter by {name}")
            kw = renames.get(name, name)
            if prepared.endpoint.method("GET").param(name).repeatable:
                kwargs.setdefault(kw, []).append(val)
            else:
                kwargs[kw] = _typed_query(prepared, name, val)
    else:
        leftovers = [k for k in query if k not in ("expand_urns", "urn_order")]
        if leftovers:
            raise NoClientMethod(f"{call.method}() does not take {', '.join(leftovers)}")
        for name, val in body.items():
            if name == "action":
                continue
            if name not in call.args:
                raise NoClientMethod(f"{call.method}() does not take {name}")
            kwargs[renames.get(name, name)] = val
    args = [repr(p) for p in positional] + [f"{k}={_py(val)}" for k, val in kwargs.items()]
    host = _client_host(base_url)
    out = [
        "import os",
        "",
        "from temba_client.v2 import TembaClient",
        "",
        f"client = TembaClient({host!r}, os.environ[{TOKEN_VARIABLE!r}])",
    ]
    invocation = f"client.{call.method}({', '.join(args)})"
    if call.method.startswith("get_") and call.method != "get_org":
        out.append(f"for page in {invocation}.iterfetches(retry_on_rate_exceed=True):")
        out.append("    for item in page:")
        out.append("        print(item.serialize())")
    elif call.method.startswith(("delete_", "bulk_")):
        out.append(invocation)
    else:
        out.append(f"result = {invocation}")
        out.append("print(result.serialize())")
    return "\n".join(out)


def _typed_query(prepared: Prepared, name: str, value: str) -> Any:
    """Query values back to the Python types the client's keyword arguments take."""
    kind = prepared.endpoint.method("GET").param(name).type
    if kind == "bool":
        return value == "true"
    if kind == "int":
        return int(value)
    return value


def _client_host(base_url: str) -> str:
    """TembaClient takes a bare host for https and a full URL otherwise."""
    if base_url.startswith("https://"):
        return base_url.removeprefix("https://")
    return base_url
