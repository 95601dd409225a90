"""Paste a curl command, get a request: the draft, the server's address and any token apart.

``curl -H "Authorization: Token abc" "https://app.rapidpro.io/api/v2/contacts.json?urn=…"``
becomes a :class:`Draft` for ``contacts`` with ``urn`` set, the base URL
``https://app.rapidpro.io`` and the token ``abc`` — returned on its own so the caller can
offer to put it in the keyring; it is never part of the draft. Text that is not a curl
command for the RapidPro API raises a :class:`ValidationError` that says why.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from explorer.core.catalog import BASE_PATH, HttpMethod, Kind, catalog
from explorer.core.errors import ValidationError
from explorer.core.raw import query_to_params, text_to_body
from explorer.core.request import Draft, normalize_base_url

# Options that take a value we do not need; flags (no value) we can ignore.
_IGNORED_WITH_VALUE = frozenset({
    "-o", "--output", "-A", "--user-agent", "-e", "--referer", "-m", "--max-time",
    "--connect-timeout", "-b", "--cookie", "-c", "--cookie-jar", "--retry", "--cacert",
    "--cert", "--key", "-w", "--write-out", "--proxy", "-x", "--max-redirs", "--limit-rate",
    "-r", "--range", "--resolve", "--retry-delay", "--retry-max-time", "-y", "-Y",
})  # fmt: skip
_IGNORED_FLAGS = frozenset({
    "-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-i", "--include", "-L",
    "--location", "-k", "--insecure", "--compressed", "-f", "--fail", "--fail-with-body",
    "-#", "--progress-bar", "-N", "--no-buffer", "--http1.1", "--http2", "-g", "--globoff",
    "-q", "--disable", "--no-progress-meter", "--retry-connrefused", "-4", "-6",
})  # fmt: skip
_DATA_OPTIONS = frozenset({"-d", "--data", "--data-raw", "--data-binary", "--data-ascii"})
_SHORT_WITH_VALUE = frozenset("XHdoAemubcwxryYF")


@dataclass(frozen=True)
class CurlImport:
    """What a curl command asked for: a draft, the address, and the token, kept apart.

    ``base_url`` is ``None`` when the URL's host was a placeholder (``{{base_url}}``,
    ``$RAPIDPRO_URL``) or not an address the app may send a token to (plain http to another
    machine); ``notes`` says why, and what else was left out.
    """

    draft: Draft
    base_url: str | None
    token: str | None = field(default=None, repr=False)  # never printed by accident
    notes: tuple[str, ...] = ()


def parse_curl(text: str) -> CurlImport:
    """Read a curl command (as shells write them, with ``\\`` or ``^`` line breaks)."""
    words = _expand(_split(text))
    command = _Command()
    i = 1
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or word == "-":
            command.set_url(word)
            continue
        name, value, i = _option(word, words, i)
        command.take(name, value)
    if command.url is None:
        raise ValidationError("the curl command has no URL")
    token = command.token()

    endpoint, base_url, query, url_notes = _split_url(command.url)
    notes = [*command.notes, *url_notes]
    data = command.data
    if data and command.get:
        query = "&".join([q for q in (query, *data) if q])
        data = []
    method = command.method or ("POST" if data else "GET")
    http_method = _method(endpoint, method)
    params = params_from_query(endpoint, http_method, query_to_params(query) if query else {})
    is_json = command.is_json
    body = _body("&".join(data) if len(data) > 1 and not is_json else "".join(data), is_json)
    if body and http_method is not HttpMethod.POST:
        raise ValidationError(
            f"a {method} request has no body: use -G to send the data as the query"
        )
    return CurlImport(Draft(endpoint, http_method, params, body), base_url, token, tuple(notes))


@dataclass
class _Command:
    """What a curl command's options say, before any of it is checked against the API."""

    method: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    url: str | None = None
    get: bool = False
    is_json: bool = False
    notes: list[str] = field(default_factory=list)

    def set_url(self, url: str) -> None:
        if self.url is not None:
            raise ValidationError(f"the command names two URLs: {self.url} and {url}")
        self.url = url

    def take(self, name: str, value: str) -> None:
        """One option with its value (``""`` for a flag)."""
        if name in ("-X", "--request"):
            self.method = value.upper()
        elif name in ("-H", "--header"):
            key, sep, header_value = value.partition(":")
            if not sep:
                raise ValidationError(f"the header {value!r} has no ':' between name and value")
            self.headers.append((key.strip(), header_value.strip()))
        elif name in _DATA_OPTIONS or name == "--json":
            if value.startswith("@") and name != "--data-raw":
                raise ValidationError(
                    f"the body is read from the file {value[1:]!r}: paste the JSON itself instead"
                )
            self.data.append(value)
            self.is_json = self.is_json or name == "--json"
        elif name == "--data-urlencode":
            self.data.append(value)
        elif name in ("-G", "--get"):
            self.get = True
        elif name == "--url":
            self.set_url(value)
        elif name in ("-F", "--form"):
            raise ValidationError(
                "file uploads (-F) cannot be imported: choose the file in the form instead"
            )
        elif name in ("-u", "--user"):
            self.notes.append("the -u user name and password were left out: RapidPro uses a token")
        elif name not in _IGNORED_FLAGS and name not in _IGNORED_WITH_VALUE:
            self.notes.append(f"the option {name} was ignored")

    def token(self) -> str | None:
        """The token an Authorization header carries (not a placeholder); notes JSON bodies."""
        token: str | None = None
        for key, value in self.headers:
            low = key.lower()
            if low == "authorization":
                scheme, _, credential = value.partition(" ")
                credential = credential.strip()
                if (
                    scheme.lower() in ("token", "bearer")
                    and credential
                    and not _placeholder(credential)
                ):
                    token = credential
            elif low == "content-type" and "json" in value.lower():
                self.is_json = True
        return token


def _method(endpoint: str, method: str) -> HttpMethod:
    """``method`` as the API's, refused when the endpoint does not take it."""
    if method not in HttpMethod.__members__:
        raise ValidationError(
            f"{method} is not a method of the RapidPro API: use GET, POST or DELETE"
        )
    http_method = HttpMethod(method)
    ep = catalog()[endpoint]
    if not ep.supports(http_method):
        allowed = ", ".join(m.value for m in ep.method_names)
        raise ValidationError(f"{endpoint} does not accept {method}: it accepts {allowed}")
    return http_method


def params_from_query(endpoint: str, method: HttpMethod, params: dict[str, Any]) -> dict[str, Any]:
    """Query values as the form holds them: list parameters as lists, booleans as bools.

    A repeated name is already a list; a single value of a list parameter becomes one too,
    so ``uuid=a`` and ``uuid=a&uuid=b`` come back the same way they went out.
    """
    try:
        spec = catalog()[endpoint].method(method)
    except KeyError:
        return dict(params)
    kinds = {p.name: p.spec.kind for p in spec.params}
    out: dict[str, Any] = {}
    for name, value in params.items():
        kind = kinds.get(name)
        if kind is Kind.LIST and not isinstance(value, list):
            out[name] = [value]
        elif kind is Kind.BOOL and isinstance(value, str) and value.lower() in ("true", "false"):
            out[name] = value.lower() == "true"  # the form's yes/no box holds a bool
        else:
            out[name] = value
    return out


def _split(text: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("paste a curl command, e.g. curl https://app.rapidpro.io/api/v2/…")
    cleaned = text.strip()
    for prompt in ("$ ", "> ", "% "):
        cleaned = cleaned.removeprefix(prompt)
    # Line continuations: \ (sh), ^ (cmd.exe) and ` (PowerShell) before a line break.
    for mark in ("\\\r\n", "\\\n", "^\r\n", "^\n", "`\r\n", "`\n"):
        cleaned = cleaned.replace(mark, " ")
    try:
        words = shlex.split(cleaned, posix=True)
    except ValueError as exc:
        raise ValidationError(
            f"the command cannot be read ({exc}): check that every quote is closed"
        ) from None
    if not words or words[0].rsplit("/", 1)[-1].lower() not in ("curl", "curl.exe"):
        raise ValidationError("this is not a curl command: paste one that starts with curl")
    return words


def _expand(words: list[str]) -> list[str]:
    """Bundled short options apart: ``-sSL`` → ``-s -S -L``; ``-XPOST`` → ``-X POST``."""
    out: list[str] = []
    value_next = False  # the word is the value of the option before it: leave it alone
    for word in words:
        if value_next or not word.startswith("-") or word.startswith("--") or len(word) <= 2:
            out.append(word)
            value_next = not value_next and _takes_value(word)
            continue
        for pos, letter in enumerate(word[1:], start=1):
            out.append(f"-{letter}")
            if letter in _SHORT_WITH_VALUE:
                rest = word[pos + 1 :]
                if rest:
                    out.append(rest)
                else:
                    value_next = True
                break
    return out


def _takes_value(word: str) -> bool:
    if word.startswith("--"):
        name, eq, _ = word.partition("=")
        return not eq and (
            name in ("--request", "--header", "--url", "--json", "--form", "--user")
            or name in _DATA_OPTIONS
            or name == "--data-urlencode"
            or name in _IGNORED_WITH_VALUE
        )
    return word.startswith("-") and len(word) == 2 and word[1] in _SHORT_WITH_VALUE


def _option(word: str, words: list[str], i: int) -> tuple[str, str, int]:
    """The option's name, its value (or "") and the index of the next word."""
    name, eq, inline = word.partition("=") if word.startswith("--") else (word, "", "")
    if eq:
        return name, inline, i
    if not _takes_value(word):
        return name, "", i
    if i >= len(words):
        raise ValidationError(f"{name} needs a value")
    return name, words[i], i + 1


def _split_url(url: str) -> tuple[str, str | None, str, list[str]]:
    """(endpoint name, base URL or None, raw query text, notes)."""
    notes: list[str] = []
    text = url.strip()
    placeholder_host = text.startswith(("{{", "$", "%"))
    if placeholder_host:
        index = text.find(BASE_PATH)
        if index < 0:
            raise ValidationError(f"{url} is not an address of the RapidPro API ({BASE_PATH}…)")
        host_part, rest = text[:index], text[index:]
        path, _, query = rest.partition("?")
        notes.append(f"the address {host_part} is a placeholder: the workspace's is used")
        base_url = None
    else:
        if "://" not in text:
            text = "https://" + text
        parts = urlsplit(text)
        path, query = parts.path, parts.query
        index = path.find(BASE_PATH)
        if index < 0:
            raise ValidationError(f"{url} is not an address of the RapidPro API ({BASE_PATH}…)")
        prefix = path[:index]
        path = path[index:]
        try:
            base_url = normalize_base_url(f"{parts.scheme}://{parts.netloc}{prefix}")
        except ValidationError as exc:
            base_url = None
            notes.append(f"the address was not kept: {exc.message}")
    path = path.split("#", 1)[0]
    endpoint = catalog().by_path(path)
    if endpoint is None:
        import difflib

        name = path[len(BASE_PATH) :].removesuffix(".json").strip("/")
        close = difflib.get_close_matches(name, [e.name for e in catalog()], n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ValidationError(f"{path} is not an endpoint of the RapidPro API v2{hint}")
    return endpoint.name, base_url, query, notes


def _body(text: str, is_json: bool) -> dict[str, Any]:
    if not text.strip():
        return {}
    stripped = text.strip()
    if is_json or stripped.startswith(("{", "[")):
        try:
            return text_to_body(stripped)
        except ValidationError as exc:
            raise ValidationError(f"the body is not a JSON object: {exc.message}") from None
    # key=value&… form data: RapidPro reads the same fields from JSON.
    try:
        pairs = query_to_params(stripped)
    except ValidationError:
        raise ValidationError("the body is neither JSON nor name=value pairs") from None
    if not pairs:
        raise ValidationError("the body is neither JSON nor name=value pairs")
    return dict(pairs)


def _placeholder(value: str) -> bool:
    return value.startswith(("$", "{{", "%", "<")) or value in ("…", "...", "YOUR_TOKEN")


class Workspace(Protocol):
    """The workspace in use, as far as a pasted command needs to know it."""

    @property
    def name(self) -> str: ...

    @property
    def base_url(self) -> str: ...


def import_message(imported: CurlImport, workspace: Workspace | None) -> str:
    """What the status bar says once a command is in the editor: what was left out, and
    where it now points when it was aimed at another server than the workspace in use
    (never the command's host: a user would believe they see the other server's data)."""
    notes = list(imported.notes)
    here = workspace.base_url if workspace else None
    if imported.base_url is not None and here is not None and imported.base_url != here:
        name = workspace.name if workspace else ""
        notes.append(f"It was aimed at {imported.base_url}: it now points at {name} ({here}).")
    if imported.token:
        # Never stored from here: a token belongs in the keyring, through Workspaces….
        notes.append("The command's token was not kept: add it under Workspaces…")
    return " ".join(["Request read from curl.", *notes])
