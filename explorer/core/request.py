"""From what a person filled in to the exact HTTP request: validate, then build.

Building is pure: :func:`prepare` checks every value against the catalog and reports every
problem at once; :func:`build_request` turns the result into an ``httpx.Request``. Nothing
here touches the network.
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from explorer import __version__
from explorer.core import values as v
from explorer.core.catalog import Endpoint, HttpMethod, Kind, Method, Param, TypeSpec, catalog
from explorer.core.errors import ValidationError, ValidationErrors

if TYPE_CHECKING:  # httpx costs ~0.1 s to import: only sending needs it
    import httpx


class _Null:
    """Marks a body field the user wants sent as JSON ``null`` (as opposed to left out)."""

    _instance: _Null | None = None

    def __new__(cls) -> _Null:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()

USER_AGENT = f"RapidPro-Explorer/{__version__}"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass
class Draft:
    """A request as a form holds it: raw values by name, not yet validated.

    A value of ``None``, ``""`` or ``[]`` means "not set" and is left out; :data:`NULL` sends
    JSON ``null``. For ``media`` the ``file`` field holds a path.
    """

    endpoint: str
    method: HttpMethod = HttpMethod.GET
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> Method:
        return catalog()[self.endpoint].method(self.method)


@dataclass(frozen=True)
class Upload:
    """A file to send as multipart form data."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Prepared:
    """A validated request, independent of any workspace: path, query and body."""

    endpoint: Endpoint
    method: HttpMethod
    query: tuple[tuple[str, str], ...] = ()
    json_body: dict[str, Any] | None = None
    upload: Upload | None = None

    @property
    def path(self) -> str:
        return self.endpoint.path

    @property
    def is_update(self) -> bool:
        return self.method is HttpMethod.POST and any(
            name in {p.name for p in self.endpoint.method(self.method).lookup_params}
            for name, _ in self.query
        )

    def body_text(self, *, indent: int | None = 2) -> str:
        """The JSON body as text (empty when there is none)."""
        if self.json_body is None:
            return ""
        return json.dumps(self.json_body, indent=indent, ensure_ascii=False)


def is_unset(value: Any) -> bool:
    """Whether a form value means "leave this out" (``NULL`` is set: it sends null)."""
    if value is NULL:
        return False
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple | dict) and not value


# --- base URLs -----------------------------------------------------------------------------


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(text: str) -> str:
    """A workspace's base URL, checked: ``https://app.rapidpro.io`` style, no trailing slash.

    Accepts what people paste (a trailing ``/``, an ``/api/v2`` suffix, a missing scheme) and
    refuses plain ``http`` unless the host is on this machine, since the token would travel
    in clear text.
    """
    raw = text.strip()
    if not raw:
        raise ValidationError("Enter the workspace's address, e.g. https://app.rapidpro.io")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationError(f"{text.strip()} is not a web address: use https://…")
    if not parts.hostname:
        raise ValidationError(f"{text.strip()} has no host name, e.g. https://app.rapidpro.io")
    if scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValidationError(
            f"{text.strip()} uses plain http, which would send the token unencrypted: "
            "use https:// (plain http is allowed only for this computer, e.g. 127.0.0.1)"
        )
    if parts.query or parts.fragment:
        raise ValidationError(f"{text.strip()} should be just the address, without ? or #")
    path = parts.path.rstrip("/")
    for suffix in ("/api/v2", "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(f"{text.strip()} has an invalid port number") from None
    netloc = parts.hostname.lower()
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, path, "", ""))


def same_origin(url: object, base_url: str) -> bool:
    """Whether ``url`` is on the workspace's own scheme, host and port (so the token may go)."""
    return _origin(str(url)) == _origin(base_url)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return (scheme, "", -1)  # a garbled port matches nothing
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return (scheme, (parts.hostname or "").lower(), port)


# --- values --------------------------------------------------------------------------------


def parse_value(
    spec: TypeSpec, raw: Any, param: Param, *, default_country: str | None = None, depth: int = 0
) -> Any:
    """One raw form value → the JSON value to send, per its catalog type."""
    kind = spec.kind
    if kind is Kind.LIST:
        assert spec.item is not None
        item_spec = spec.item
        return v.parse_list(
            raw,
            lambda x: parse_value(item_spec, x, param, default_country=default_country, depth=1),
            max_items=param.max_items if depth == 0 else None,
            item_max_length=param.item_max_length,
        )
    if kind is Kind.STRING:
        return v.parse_string(
            raw,
            max_length=param.max_length if depth == 0 else None,
            min_length=param.min_length if depth == 0 else None,
        )
    if kind is Kind.INT:
        return v.parse_int(raw, minimum=param.minimum, maximum=param.maximum)
    if kind is Kind.BOOL:
        return v.parse_bool(raw)
    if kind is Kind.UUID:
        return v.parse_uuid(raw)
    if kind is Kind.URN:
        if not isinstance(raw, str):
            raise ValidationError(f"{raw!r} is not a URN such as tel:+250788123123")
        return str(v.Urn.parse(raw, default_country))
    if kind is Kind.DATETIME:
        return v.format_datetime(v.parse_datetime(raw))
    if kind is Kind.DATE:
        return v.format_date(v.parse_date(raw))
    if kind is Kind.LANGUAGE:
        strict = param.type == "language" and param.name == "base_language"
        return v.parse_language(raw, for_translations=strict)
    if kind is Kind.CHOICE:
        return v.parse_choice(raw, param.choices, case_insensitive=param.case_insensitive)
    if kind is Kind.TRANSLATIONS:
        item_spec = param.value_spec or TypeSpec(Kind.STRING)

        def translation(x: Any) -> Any:
            value = parse_value(item_spec, x, param, default_country=default_country, depth=1)
            if isinstance(value, str) and len(value) > (param.value_max_length or len(value)):
                raise ValidationError(
                    f"is {len(value)} characters long; at most {param.value_max_length} are allowed"
                )
            if isinstance(value, list) and len(value) > (param.value_max_items or len(value)):
                raise ValidationError(
                    f"has {len(value)} items; at most {param.value_max_items} are allowed"
                )
            return value

        return v.parse_translations(raw, item=translation, max_languages=param.max_languages or 50)
    if kind is Kind.STR_DICT:
        return v.parse_dict(raw, value_parser=_str_or_none, max_items=param.max_items)
    if kind is Kind.DICT:
        return v.parse_dict(raw, max_items=param.max_items if depth == 0 else None)
    if kind is Kind.JSON:
        value = v.parse_json(raw)
        if param.max_encoded_length and len(json.dumps(value)) > param.max_encoded_length:
            raise ValidationError(
                f"is longer than {param.max_encoded_length} characters once encoded"
            )
        if param.name in ("params", "extra") and not isinstance(value, dict):
            raise ValidationError('must be a JSON object, e.g. {"name": "Ben"}')
        return value
    if kind is Kind.REF:
        if isinstance(raw, Mapping) and "uuid" in raw:  # a {uuid, name} pasted from a result
            raw = raw["uuid"]
        if param.accepts:
            return v.parse_reference(raw, param.accepts)
        return v.parse_uuid(raw)
    if kind is Kind.FILE:
        raise ValidationError("a file is sent as an upload, not as a value")
    raise ValidationError(f"has a type this version cannot send: {param.type}")


def _str_or_none(value: Any) -> str | None:
    if value is None or value is NULL:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"{value!r} is not text: contact field values are sent as text")
    return str(value)


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_written(draft: Draft) -> Prepared:
    """``draft`` as it stands, none of :func:`prepare`'s checks applied: for a request made
    wrong on purpose (to see what the server answers). Names the endpoint does not know are
    sent too, and so are empty values (``""``, ``[]``): only ``None`` is left out, and
    :data:`NULL` is JSON ``null``."""
    endpoint = catalog()[draft.endpoint]
    method = HttpMethod(str(draft.method).upper())
    query: list[tuple[str, str]] = []
    for name, value in draft.params.items():
        if value is None or value is NULL:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            query.append((name, _query_text(item)))
    body: dict[str, Any] | None = None
    if method is HttpMethod.POST:
        body = {k: None if v is NULL else v for k, v in draft.body.items() if v is not None}
    return Prepared(endpoint, method, tuple(query), body)


# --- validation ----------------------------------------------------------------------------


def prepare(draft: Draft, *, default_country: str | None = None) -> Prepared:
    """Check every parameter and field of ``draft``; all problems are raised together.

    Raises :class:`ValidationErrors` with one entry per problem, each placed under the name
    of the parameter or field it belongs to.
    """
    try:
        endpoint = catalog()[draft.endpoint]
    except KeyError:
        raise ValidationErrors(
            [ValidationError(f"there is no endpoint called {draft.endpoint!r}")]
        ) from None
    if not endpoint.supports(draft.method):
        raise ValidationErrors([ValidationError(f"{endpoint.name} does not accept {draft.method}")])
    spec = endpoint.method(draft.method)
    errors: list[ValidationError] = []
    query, given_params = _parse_params(draft, endpoint, spec, default_country, errors)
    is_update = any(p.is_lookup for p in spec.params if p.name in given_params)
    body, upload = _parse_body(draft, endpoint, spec, default_country, errors)

    present = set(body) | ({"file"} if upload else set())
    for fld in spec.fields:
        if fld.name not in present and fld.required_for(update=is_update):
            if fld.name in draft.body and draft.body[fld.name] is NULL:
                continue
            errors.append(ValidationError(_required_message(fld, endpoint), (fld.name,)))
    errors.extend(_check_action(spec, body))
    # A field given with a bad value is still given: its own message says what is wrong,
    # and "give text or attachments" beside it would only mislead.
    attempted = {str(e.path[0]) for e in errors if e.path}
    errors.extend(_check_rules(spec, body, is_update, attempted))

    if errors:
        raise ValidationErrors(errors)
    json_body: dict[str, Any] | None = None
    if draft.method is HttpMethod.POST and upload is None:
        json_body = body
    return Prepared(endpoint, draft.method, tuple(query), json_body, upload)


def _parse_params(
    draft: Draft,
    endpoint: Endpoint,
    spec: Method,
    default_country: str | None,
    errors: list[ValidationError],
) -> tuple[list[tuple[str, str]], set[str]]:
    """The query of ``draft`` and the names given in it; problems go to ``errors``."""
    query: list[tuple[str, str]] = []
    given_params: set[str] = set()
    known = {p.name: p for p in spec.params}
    for name, raw in draft.params.items():
        param = known.get(name)
        if param is None:
            errors.append(ValidationError(_unknown(name, "parameter", endpoint, spec), (name,)))
            continue
        if is_unset(raw):
            continue
        try:
            value = parse_value(param.spec, raw, param, default_country=default_country)
        except ValidationError as exc:
            errors.append(exc.at(name))
            continue
        given_params.add(name)
        values_ = value if isinstance(value, list) else [value]
        query.extend((name, _query_text(x)) for x in values_)

    for param in spec.params:
        if param.required and param.name not in given_params:
            errors.append(ValidationError(_required_message(param, endpoint), (param.name,)))
    errors.extend(_check_exclusive(endpoint, spec, given_params))
    if draft.method is HttpMethod.DELETE:
        lookups = [p.name for p in spec.lookup_params]
        if lookups and not given_params.intersection(lookups):
            which = " or ".join(lookups)
            errors.append(
                ValidationError(f"say which {_singular(endpoint)} to delete: give its {which}")
            )
    return query, given_params


def _parse_body(
    draft: Draft,
    endpoint: Endpoint,
    spec: Method,
    default_country: str | None,
    errors: list[ValidationError],
) -> tuple[dict[str, Any], Upload | None]:
    """The body of ``draft`` as sent, and its file; problems go to ``errors``."""
    body: dict[str, Any] = {}
    upload: Upload | None = None
    fields = {f.name: f for f in spec.fields}
    for name, raw in draft.body.items():
        fld = fields.get(name)
        if fld is None:
            errors.append(ValidationError(_unknown(name, "field", endpoint, spec), (name,)))
            continue
        if raw is NULL:
            if fld.nullable or fld.spec.kind in (Kind.STRING, Kind.LANGUAGE, Kind.REF):
                body[name] = None
            else:
                errors.append(ValidationError("cannot be null", (name,)))
            continue
        if is_unset(raw):
            continue
        if fld.spec.kind is Kind.FILE:
            try:
                upload = _read_upload(raw, fld)
            except ValidationError as exc:
                errors.append(exc.at(name))
            continue
        try:
            body[name] = parse_value(fld.spec, raw, fld, default_country=default_country)
        except ValidationError as exc:
            errors.append(exc.at(name))
    return body, upload


def _singular(endpoint: Endpoint) -> str:
    name = endpoint.name.replace("_", " ")
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name.removesuffix("s")


def _unknown(name: str, what: str, endpoint: Endpoint, spec: Method) -> str:
    import difflib

    pool = [p.name for p in (spec.params if what == "parameter" else spec.fields)]
    close = difflib.get_close_matches(name, pool, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{endpoint.name} {spec.method} has no {what} called {name!r}{hint}"


def _required_message(param: Param, endpoint: Endpoint) -> str:
    if param.is_lookup:
        return f"is required: which {_singular(endpoint)}?"
    return "is required"


def _check_exclusive(endpoint: Endpoint, spec: Method, given: set[str]) -> list[ValidationError]:
    """RapidPro refuses more than one lookup (or exclusive filter) in the same URL."""
    groups = []
    if endpoint.exclusive_params and spec.method is HttpMethod.GET:
        groups.append(endpoint.exclusive_params)
    lookups = tuple(p.name for p in spec.lookup_params)
    if len(lookups) > 1:
        groups.append(lookups)
    errors = []
    for group in groups:
        used = [n for n in group if n in given]
        if len(used) > 1:
            errors.extend(
                ValidationError(
                    f"use only one of {', '.join(group)} at a time (RapidPro refuses more)",
                    (n,),
                )
                for n in used[1:]
            )
    return errors


def _check_action(spec: Method, body: dict[str, Any]) -> list[ValidationError]:
    if not spec.actions or "action" not in body:
        return []
    action = spec.action(body["action"])
    if action is None:
        return []
    errors = []
    for name in action.needs:
        if name not in body:
            errors.append(ValidationError(f"is required for the {action.name} action", (name,)))
    if action.needs_one_of and not any(n in body for n in action.needs_one_of):
        errors.append(
            ValidationError(
                f"give {' or '.join(action.needs_one_of)} for the {action.name} action",
                (action.needs_one_of[0],),
            )
        )
    for name in action.forbids:
        if name in body:
            errors.append(
                ValidationError(f"must be left empty for the {action.name} action", (name,))
            )
    return errors


def _check_rules(
    spec: Method, body: dict[str, Any], is_update: bool, attempted: set[str]
) -> list[ValidationError]:
    """The cross-field rules the catalog declares (one of text or attachments, …).

    ``attempted`` names the fields given with values that did not pass their own checks.
    """
    if spec.method is not HttpMethod.POST:
        return []
    errors: list[ValidationError] = []

    def given(name: str) -> bool:
        return name in attempted or body.get(name) not in (None, "", [], {})

    for group in spec.one_of:
        if not any(given(f) for f in group):
            errors.append(ValidationError(f"give {_either(group)}", (group[0],)))
    for group in spec.exactly_one_of:
        used = [f for f in group if given(f)]
        if len(used) > 1:
            errors.append(ValidationError(f"give {_either(group)}, not both", (used[1],)))
        elif not used and not is_update:
            errors.append(ValidationError(f"give {_either(group)}", (group[0],)))
    for group in spec.not_together:
        used = [f for f in group if given(f)]
        if len(used) > 1:
            errors.append(ValidationError(f"give {_either(used)}, not both", (used[-1],)))
    text = body.get("text")
    if "base_language" in body and isinstance(text, dict) and body["base_language"] not in text:
        errors.append(
            ValidationError(
                f"must be one of the languages the text is given in ({', '.join(sorted(text))})",
                ("base_language",),
            )
        )
    return errors


def _either(names: tuple[str, ...] | list[str]) -> str:
    """``("urns", "contacts", "groups")`` → ``urns, contacts or groups``."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _read_upload(raw: Any, fld: Param) -> Upload:
    if isinstance(raw, Upload):
        upload = raw
    else:
        path = Path(str(raw)).expanduser()
        if not path.is_file():
            raise ValidationError(f"{path} is not a file that can be read")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise ValidationError(f"{path} cannot be read: {exc.strerror}") from None
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        upload = Upload(path.name, content, ctype)
    if fld.max_bytes and len(upload.content) > fld.max_bytes:
        raise ValidationError(
            f"{upload.filename} is {len(upload.content) / 1e6:.1f} MB; "
            f"at most {fld.max_bytes / 1024 / 1024:.0f} MB can be uploaded"
        )
    if fld.allowed_content_types and not any(
        upload.content_type == t or (t.endswith("/*") and upload.content_type.startswith(t[:-1]))
        for t in fld.allowed_content_types
    ):
        raise ValidationError(
            f"{upload.filename} is {upload.content_type}; RapidPro takes images, audio, "
            "video and PDF files"
        )
    return upload


# --- building ------------------------------------------------------------------------------


def request_url(base_url: str, prepared: Prepared) -> str:
    """The full URL, query encoded as forms are (``tel:+250…`` → ``tel%3A%2B250…``)."""
    url = base_url.rstrip("/") + prepared.path
    return f"{url}?{urlencode(list(prepared.query))}" if prepared.query else url


def json_bytes(prepared: Prepared) -> bytes | None:
    """The JSON body exactly as sent (compact, UTF-8), or None when there is none."""
    if prepared.json_body is None:
        return None
    return json.dumps(prepared.json_body, ensure_ascii=False, separators=(",", ":")).encode()


def request_headers(prepared: Prepared, token: str | None) -> list[tuple[str, str]]:
    """The headers this app sets (multipart uploads add their own Content-Type)."""
    headers = _base_headers(token)
    body = json_bytes(prepared)
    if body is not None:
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return headers


def preview_text(base_url: str, prepared: Prepared, *, has_token: bool = True) -> str:
    """The request as the preview shows it: the token is never written out."""
    lines = [f"{prepared.method.value} {request_url(base_url, prepared)}"]
    for name, value in request_headers(prepared, "x" if has_token else None):
        if name == "Authorization":
            value = "Token $RAPIDPRO_TOKEN"  # noqa: PLW2901 - masking is the point
        lines.append(f"{name}: {value}")
    if prepared.json_body is not None:
        lines += ["", prepared.body_text()]
    elif prepared.upload is not None:
        up = prepared.upload
        lines += [
            "",
            f"[multipart/form-data: file {up.filename} ({up.content_type}, "
            f"{len(up.content):,} bytes)]",
        ]
    return "\n".join(lines)


def build_request(base_url: str, token: str | None, prepared: Prepared) -> httpx.Request:
    """The exact request to send: URL with encoded query, JSON or multipart body, headers."""
    import httpx

    url = request_url(base_url, prepared)
    headers = request_headers(prepared, token)
    if prepared.upload is not None:
        up = prepared.upload
        return httpx.Request(
            prepared.method.value,
            url,
            headers=headers,
            files={"file": (up.filename, up.content, up.content_type)},
        )
    return httpx.Request(prepared.method.value, url, headers=headers, content=json_bytes(prepared))


def build_follow_request(url: str, base_url: str, token: str | None) -> httpx.Request:
    """A GET of a ``next``/``previous`` URL, refused unless it stays on the workspace's origin."""
    if not same_origin(url, base_url):
        raise ValidationError(
            f"the page link {url} points away from {base_url}; it was not followed so that "
            "the token is not sent to another host"
        )
    import httpx

    try:
        return httpx.Request("GET", url, headers=_base_headers(token))
    except httpx.InvalidURL as exc:
        # A tab or other control character in a server's link: nothing sensible to send.
        bad = next((c for c in url if ord(c) < 32 or ord(c) == 127), "")
        what = f"holds {_control_name(bad)}, so it" if bad else f"({exc})"
        shown = url.translate(_VISIBLE_CONTROLS)
        raise ValidationError(f"the page link {shown} {what} is not a valid address") from None


_CONTROL_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}
_VISIBLE_CONTROLS = {i: f"\\x{i:02x}" for i in [*range(32), 127]} | {9: "\\t", 10: "\\n", 13: "\\r"}


def _control_name(char: str) -> str:
    return _CONTROL_NAMES.get(char, f"the control character U+{ord(char):04X}")


def _base_headers(token: str | None) -> list[tuple[str, str]]:
    """What every request carries: who is asking, for JSON, and the token when there is one."""
    headers = [("User-Agent", USER_AGENT), ("Accept", "application/json")]
    if token:
        headers.append(("Authorization", f"Token {token}"))
    return headers
