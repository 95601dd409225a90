"""Postman Collection v2.1: export a collection to one file, import one back.

An exported request points at ``{{base_url}}/api/v2/<endpoint>.json`` and sends
``Authorization: Token {{token}}``; the file defines ``base_url`` and ``token`` as empty
collection variables, so nothing secret is in it. Expected statuses and captured values
become small test scripts (``pm.expect(pm.response.code)…``, ``pm.collectionVariables.set``)
that the import reads back.

Import maps URLs under ``/api/v2/<endpoint>.json`` to the catalog's endpoints, query to
parameters and a raw JSON body to body fields. What cannot be imported — an unknown
endpoint, a body that is not a JSON object, a file upload — is listed in
:attr:`PostmanImport.problems`, never dropped without a word. A token found in the file
(a header, an auth block, a variable) is returned in :attr:`PostmanImport.token` and
never saved anywhere.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from explorer.core.catalog import BASE_PATH, HttpMethod, catalog
from explorer.core.curl_import import params_from_query
from explorer.core.errors import ValidationError
from explorer.core.raw import body_to_text, query_to_params, text_to_body
from explorer.core.request import NULL, Draft, is_unset, normalize_base_url
from explorer.core.variables import BASE_URL, is_valid_name, looks_secret
from explorer.store.atomic import write_atomic
from explorer.store.collections import (
    Collection,
    SavedRequest,
    TreeFolder,
    TreeRequest,
    check_folder_name,
)
from explorer.store.errors import StoreError, describe_os_error

SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
TOKEN_VARIABLE = "token"
_VALUE_SAFE = ":/@,;!*'()~$"
_ESCAPE_RE = re.compile(r"%[0-9A-Fa-f]{2}")

# --- export --------------------------------------------------------------------------------


def export_collection(collection: Collection, folder: str = "") -> dict[str, Any]:
    """``collection`` (or one of its folders) as a Postman v2.1 collection document."""
    tree = collection.tree()
    if folder:
        found = next(
            (n for n in tree.walk() if isinstance(n, TreeFolder) and n.path == folder), None
        )
        if found is None:
            raise StoreError(f"There is no folder {folder} in {collection.name}")
        tree = found
    variables = [{"key": BASE_URL, "value": ""}, {"key": TOKEN_VARIABLE, "value": ""}]
    variables += [
        {"key": k, "value": str(v)}
        for k, v in sorted(collection.variables.items())
        if k not in (BASE_URL, TOKEN_VARIABLE)
    ]
    doc: dict[str, Any] = {
        "info": {"name": collection.name, "schema": SCHEMA_V21},
        "item": _export_items(collection, tree),
        "variable": variables,
    }
    return doc


def export_requests(name: str, requests: list[SavedRequest]) -> dict[str, Any]:
    """Loose requests (not from a collection) as a Postman v2.1 document, one level deep."""
    return {
        "info": {"name": name, "schema": SCHEMA_V21},
        "item": [export_request(r) for r in requests],
        "variable": [{"key": BASE_URL, "value": ""}, {"key": TOKEN_VARIABLE, "value": ""}],
    }


def write_postman(collection: Collection, path: Path, folder: str = "") -> None:
    """Export ``collection`` to the file ``path`` (atomically)."""
    text = json.dumps(export_collection(collection, folder), indent=2, ensure_ascii=False)
    write_atomic(path, text + "\n")


def _export_items(collection: Collection, folder: TreeFolder) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for child in folder.children:
        if isinstance(child, TreeFolder):
            items.append({"name": child.name, "item": _export_items(collection, child)})
        elif isinstance(child, TreeRequest) and child.problem is None:
            items.append(export_request(collection.get(child.path)))
    return items


def export_request(request: SavedRequest) -> dict[str, Any]:
    """One request as a Postman item."""
    draft = request.draft
    endpoint_path = f"{BASE_PATH}{draft.endpoint}.json"
    query = []
    for name, value in draft.params.items():
        if value is NULL or is_unset(value):
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            query.append({"key": name, "value": _query_text(item)})
    raw = "{{" + BASE_URL + "}}" + endpoint_path
    if query:
        raw += "?" + "&".join(
            f"{quote(q['key'], safe='')}={_quote_value(q['value'])}" for q in query
        )
    headers = [
        {"key": "Authorization", "value": "Token {{" + TOKEN_VARIABLE + "}}"},
        {"key": "Accept", "value": "application/json"},
    ]
    body_text = body_to_text(draft.body) if draft.method is HttpMethod.POST else ""
    if body_text:
        headers.append({"key": "Content-Type", "value": "application/json"})
    url: dict[str, Any] = {
        "raw": raw,
        "host": ["{{" + BASE_URL + "}}"],
        "path": [p for p in endpoint_path.split("/") if p],
    }
    if query:
        url["query"] = query
    req: dict[str, Any] = {"method": draft.method.value, "header": headers, "url": url}
    if body_text:
        req["body"] = {"mode": "raw", "raw": body_text, "options": {"raw": {"language": "json"}}}
    if request.notes:
        req["description"] = request.notes
    item: dict[str, Any] = {"name": request.name, "request": req}
    script = _test_script(request)
    if script:
        item["event"] = [{"listen": "test", "script": {"type": "text/javascript", "exec": script}}]
    return item


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _quote_value(value: str) -> str:
    # {{variables}} stay readable, so Postman still substitutes them.
    parts = re.split(r"(\{\{[^}]*\}\})", value)
    return "".join(p if p.startswith("{{") else quote(p, safe=_VALUE_SAFE) for p in parts)


def _test_script(request: SavedRequest) -> list[str]:
    lines: list[str] = []
    if request.expect_status:
        codes = ", ".join(str(s) for s in request.expect_status)
        lines += [
            f'pm.test("status is {request.expectation}", function () {{',
            f"    pm.expect(pm.response.code).to.be.oneOf([{codes}]);",
            "});",
        ]
    if request.capture:
        lines.append("var data = pm.response.json();")
        for name, path in sorted(request.capture.items()):
            lines.append(f"pm.collectionVariables.set({json.dumps(name)}, data{_js_path(path)});")
    return lines


def _js_path(path: str) -> str:
    out = ""
    for part in (p for p in path.split(".") if p):
        if part.isdigit():
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_$][\w$]*", part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


# --- import --------------------------------------------------------------------------------


@dataclass
class PostmanFolder:
    """A folder of an imported file, items in the file's order."""

    name: str
    items: list[PostmanFolder | SavedRequest] = field(default_factory=list)


@dataclass
class PostmanImport:
    """What a Postman file held that this app can use, and what it could not.

    ``token`` is a token found in the file: offer to put it in the keyring, never save it.
    ``base_url`` is the server the file points at, when it names one.
    """

    name: str
    items: list[PostmanFolder | SavedRequest] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    base_url: str | None = None
    token: str | None = field(default=None, repr=False)

    def requests(self) -> list[tuple[str, SavedRequest]]:
        """Every request with its folder path (``"Groups/Cleanup"``, ``""`` at the top)."""
        out: list[tuple[str, SavedRequest]] = []

        def walk(items: list[PostmanFolder | SavedRequest], prefix: str) -> None:
            for item in items:
                if isinstance(item, PostmanFolder):
                    walk(item.items, f"{prefix}/{item.name}" if prefix else item.name)
                else:
                    out.append((prefix, item))

        walk(self.items, "")
        return out


def read_postman(path: Path) -> PostmanImport:
    """Read a Postman collection file; :class:`ValidationError` if it is not one."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"Could not read {Path(path).name}: {describe_os_error(exc)}"
        ) from exc
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{Path(path).name} is not a JSON file ({exc})") from None
    return parse_postman(data)


def is_postman(data: Any) -> bool:
    """Whether ``data`` looks like a Postman v2 collection document."""
    return isinstance(data, dict) and isinstance(data.get("info"), dict) and "item" in data


def parse_postman(data: Any) -> PostmanImport:
    """A Postman v2.0/v2.1 collection document → folders and requests of this app."""
    if not is_postman(data):
        raise ValidationError(
            "this is not a Postman collection (v2.0 or v2.1): it has no info and item"
        )
    schema = str(data["info"].get("schema", ""))
    if schema and "v2." not in schema:
        raise ValidationError(f"only Postman collections v2.0 and v2.1 can be imported ({schema})")
    name = str(data["info"].get("name") or "Imported collection")
    result = PostmanImport(name=name)
    lookup: dict[str, str] = {}
    for var in data.get("variable") or []:
        if not isinstance(var, dict) or var.get("disabled"):
            continue
        key, value = var.get("key"), var.get("value", "")
        if not isinstance(key, str):
            continue
        value = "" if value is None else str(value)
        lookup[key] = value
        if key == BASE_URL:
            if value:
                result.base_url = _base_url(value, result.problems)
        elif looks_secret(key):
            if value and not _placeholder(value):
                result.token = result.token or _strip_scheme(value)
                result.problems.append(
                    f"the variable {key} holds a secret: it was not kept (tokens belong in "
                    "the keyring)"
                )
        elif not is_valid_name(key):
            result.problems.append(f"the variable {key!r} has a name that cannot be used")
        else:
            result.variables[key] = value
    _find_auth_token(data.get("auth"), result)
    result.items = _import_items(data.get("item") or [], result, lookup, "")
    return result


def _import_items(
    items: Any, result: PostmanImport, lookup: dict[str, str], where: str
) -> list[PostmanFolder | SavedRequest]:
    out: list[PostmanFolder | SavedRequest] = []
    if not isinstance(items, list):
        result.problems.append(f"{where or 'the file'}: its items are not a list")
        return out
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or f"Request {number}")
        label = f"{where}/{name}" if where else name
        if "item" in item:
            _find_auth_token(item.get("auth"), result)
            folder = PostmanFolder(_folder_name(name))
            folder.items = _import_items(item["item"], result, lookup, label)
            out.append(folder)
            continue
        try:
            request = _import_request(name, item, result, lookup)
        except ValidationError as exc:
            result.problems.append(f"{label}: {exc.message}; it was not imported")
            continue
        out.append(request)
    return out


def _import_request(
    name: str, item: dict[str, Any], result: PostmanImport, lookup: dict[str, str]
) -> SavedRequest:
    req = item.get("request")
    if isinstance(req, str):
        req = {"method": "GET", "url": req}
    if not isinstance(req, dict):
        raise ValidationError("it has no request")
    method_text = str(req.get("method") or "GET").upper()
    if method_text not in HttpMethod.__members__:
        raise ValidationError(f"{method_text} is not a method of the RapidPro API")
    method = HttpMethod(method_text)
    endpoint, query_params = _import_url(req.get("url"), result, lookup)
    ep = catalog()[endpoint]
    if not ep.supports(method):
        raise ValidationError(f"{endpoint} does not accept {method_text}")
    for header in req.get("header") or []:
        if (
            isinstance(header, dict)
            and not header.get("disabled")
            and str(header.get("key", "")).lower() == "authorization"
        ):
            _take_token(str(header.get("value", "")), result)
    _find_auth_token(req.get("auth"), result)
    body = _import_body(req.get("body"))
    description = req.get("description", "")
    if isinstance(description, dict):
        description = description.get("content", "")
    expect, capture = _read_scripts(item.get("event"))
    return SavedRequest(
        name=name,
        draft=Draft(endpoint, method, params_from_query(endpoint, method, query_params), body),
        notes=str(description or ""),
        expect_status=expect,
        capture=capture,
    )


def _import_url(
    url: Any, result: PostmanImport, lookup: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    query: dict[str, Any] = {}
    if isinstance(url, dict):
        raw = str(url.get("raw") or "")
        if not raw:
            host = url.get("host") or []
            host_text = ".".join(host) if isinstance(host, list) else str(host)
            path = url.get("path") or []
            path_text = "/".join(path) if isinstance(path, list) else str(path)
            raw = f"{host_text}/{path_text.lstrip('/')}"
        address = raw.split("?", 1)[0]
        if isinstance(url.get("query"), list):
            for q in url["query"]:
                if not isinstance(q, dict) or q.get("disabled") or not q.get("key"):
                    continue
                key, value = str(q["key"]), "" if q.get("value") is None else str(q["value"])
                if _ESCAPE_RE.search(value):
                    value = unquote(value)  # typed as it appears in a URL: keep what it means
                if key in query:
                    prev = query[key]
                    query[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
                else:
                    query[key] = value
        elif "?" in raw:
            query = query_to_params(raw.split("?", 1)[1])
    elif isinstance(url, str):
        address, _, query_text = url.partition("?")
        query = query_to_params(query_text) if query_text else {}
    else:
        raise ValidationError("it has no URL")
    address = address.split("#", 1)[0]
    index = address.find(BASE_PATH)
    if index < 0:
        # {{url}}/contacts.json with url = https://…/api/v2: fill in the variable and look again
        filled = re.sub(r"\{\{\s*([\w.\-]+)\s*\}\}", lambda m: lookup.get(m[1], m[0]), address)
        index = filled.find(BASE_PATH)
        if index < 0:
            raise ValidationError(f"{address} is not an address of the RapidPro API ({BASE_PATH}…)")
        address = filled
    host, path = address[:index], address[index:]
    endpoint = catalog().by_path(path.rstrip("/"))
    if endpoint is None:
        raise ValidationError(f"{path} is not an endpoint of the RapidPro API v2")
    if host and "{{" not in host and result.base_url is None:
        result.base_url = _base_url(host, result.problems)
    return endpoint.name, query


def _import_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("disabled"):
        return {}
    mode = body.get("mode")
    if mode == "raw":
        text = str(body.get("raw") or "")
        try:
            return text_to_body(text)
        except ValidationError as exc:
            raise ValidationError(f"its body is not a JSON object ({exc.message})") from None
    if mode == "urlencoded":
        out: dict[str, Any] = {}
        for pair in body.get("urlencoded") or []:
            if isinstance(pair, dict) and not pair.get("disabled") and pair.get("key"):
                out[str(pair["key"])] = str(pair.get("value", ""))
        return out
    if mode in (None, "none"):
        return {}
    raise ValidationError(f"its body is {mode} data, which cannot be imported")


_STATUS_RE = re.compile(
    r"pm\.expect\(\s*pm\.response\.code\s*\)\.to\.(?:be\.oneOf|eql|equal|eq)\(\s*\[?([\d,\s]+)\]?\s*\)"
    r"|pm\.response\.to\.have\.status\(\s*(\d+)\s*\)"
)
_CAPTURE_RE = re.compile(
    r"pm\.(?:collectionVariables|environment|globals|variables)\.set\(\s*"
    r"[\"']([\w.\-]+)[\"']\s*,\s*(?:pm\.response\.json\(\)|[A-Za-z_$][\w$]*)"
    r"((?:\.[A-Za-z_$][\w$]*|\[\s*\d+\s*\]|\[\s*\"[^\"]*\"\s*\]|\[\s*'[^']*'\s*\])*)\s*\)"
)
_ACCESSOR_RE = re.compile(r"\.([A-Za-z_$][\w$]*)|\[\s*(\d+)\s*\]|\[\s*[\"']([^\"']*)[\"']\s*\]")


def _read_scripts(events: Any) -> tuple[tuple[int, ...], dict[str, str]]:
    expect: list[int] = []
    capture: dict[str, str] = {}
    for event in events or []:
        if not isinstance(event, dict) or event.get("listen") != "test":
            continue
        script = event.get("script") or {}
        lines = script.get("exec", []) if isinstance(script, dict) else []
        text = "\n".join(lines) if isinstance(lines, list) else str(lines)
        for m in _STATUS_RE.finditer(text):
            codes = m[1] if m[1] is not None else m[2]
            expect += [int(c) for c in re.findall(r"\d+", codes) if int(c) not in expect]
        for m in _CAPTURE_RE.finditer(text):
            parts = [a or b or c for a, b, c in _ACCESSOR_RE.findall(m[2])]
            capture[m[1]] = ".".join(parts)
    return tuple(expect), capture


def _find_auth_token(auth: Any, result: PostmanImport) -> None:
    """A token in a Postman ``auth`` block (API key or bearer) is taken out, never kept."""
    if not isinstance(auth, dict):
        return
    for key in ("apikey", "bearer"):
        for entry in auth.get(key) or []:
            if isinstance(entry, dict) and entry.get("key") in ("value", "token"):
                _take_token(str(entry.get("value", "")), result)


def _take_token(value: str, result: PostmanImport) -> None:
    token = _strip_scheme(value)
    if token and not _placeholder(token) and result.token is None:
        result.token = token


def _strip_scheme(value: str) -> str:
    scheme, sep, rest = value.strip().partition(" ")
    return rest.strip() if sep and scheme.lower() in ("token", "bearer") else value.strip()


def _placeholder(value: str) -> bool:
    return "{{" in value or value.startswith(("$", "<")) or not value.strip()


def _base_url(text: str, problems: list[str]) -> str | None:
    try:
        return normalize_base_url(text)
    except ValidationError as exc:
        problems.append(f"the address {text} was not used: {exc.message}")
        return None


def _folder_name(name: str) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "-", name).strip().strip(".").strip()
    try:
        return check_folder_name(cleaned or "Folder")
    except ValidationError:
        return "Folder"


# --- into a collection -----------------------------------------------------------------------


def import_into(collection: Collection, result: PostmanImport, parent: str = "") -> list[str]:
    """Save the imported folders and requests into ``collection`` under ``parent``.

    Variables the collection does not have yet are added. Returns the new requests' paths.
    """
    new_vars = {k: v for k, v in result.variables.items() if k not in collection.variables}
    if new_vars:
        collection.set_variables({**collection.variables, **new_vars})
    paths: list[str] = []

    def save(items: list[PostmanFolder | SavedRequest], folder: str) -> None:
        for item in items:
            if isinstance(item, PostmanFolder):
                existing = {
                    f.rsplit("/", 1)[-1].casefold(): f
                    for f in collection.folders()
                    if f.rpartition("/")[0] == folder
                }
                sub = existing.get(item.name.casefold()) or collection.create_folder(
                    item.name, folder
                )
                save(item.items, sub)
            else:
                paths.append(collection.add(item, folder).path or "")

    save(result.items, parent)
    return paths


def create_from_postman(
    result: PostmanImport, folder: Path, *, taken_names: Iterable[str] = ()
) -> Collection:
    """A new collection holding everything ``result`` could import.

    It goes in ``folder``, or ``folder (2)``… when that exists, and is named as the file
    says unless a collection in ``taken_names`` already is: then ``Name (2)``… Importing
    the same file twice gives two collections a person can tell apart.
    """
    taken = {name.casefold() for name in taken_names}
    names = (result.name if n == 1 else f"{result.name} ({n})" for n in itertools.count(1))
    name = next(n for n in names if n.casefold() not in taken)
    roots = (
        folder if n == 1 else folder.with_name(f"{folder.name} ({n})") for n in itertools.count(1)
    )
    root = next(r for r in roots if not r.exists())
    collection = Collection.create(root, name)
    import_into(collection, result)
    return collection
