"""Sending: one async call from a built request to a typed outcome.

The client does I/O only. Whatever happens — a response of any status, a timeout, a refused
connection, a bad certificate, a hostile body — comes back as an :class:`Outcome`; only
cancellation propagates. Redirects are followed by hand, and only on the workspace's own
origin, so the token never reaches another host.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

import httpx

from explorer.core.errors import format_path
from explorer.core.request import same_origin

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 60.0  # seconds, when a 429 says nothing usable
MAX_RETRY_AFTER = 24 * 3600.0
DEFAULT_MAX_BODY = 512 * 1024 * 1024
MAX_REDIRECTS = 5


class Kind(StrEnum):
    """What an outcome means for the person who sent the request."""

    OK = "ok"  # 200
    CREATED = "created"  # 201
    NO_CONTENT = "no_content"  # 204
    BAD_REQUEST = "bad_request"  # 400
    FORBIDDEN = "forbidden"  # 401/403
    NOT_FOUND = "not_found"  # 404
    NOT_ALLOWED = "not_allowed"  # 405
    CONFLICT = "conflict"  # 409
    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 5xx
    REDIRECT = "redirect"  # 3xx not followed
    OTHER_STATUS = "other_status"
    # no response at all
    TIMEOUT = "timeout"
    CONNECTION_REFUSED = "connection_refused"
    DNS = "dns"
    TLS = "tls"
    CONNECTION_LOST = "connection_lost"
    TOO_LARGE = "too_large"
    NETWORK = "network"


_BY_STATUS = {
    200: Kind.OK,
    201: Kind.CREATED,
    204: Kind.NO_CONTENT,
    400: Kind.BAD_REQUEST,
    401: Kind.FORBIDDEN,
    403: Kind.FORBIDDEN,
    404: Kind.NOT_FOUND,
    405: Kind.NOT_ALLOWED,
    409: Kind.CONFLICT,
    429: Kind.RATE_LIMITED,
}

MEANINGS: dict[Kind, str] = {
    Kind.OK: "Done.",
    Kind.CREATED: "Created.",
    Kind.NO_CONTENT: "Done; the server sends nothing back.",
    Kind.BAD_REQUEST: "The request was refused as invalid: fix the values marked, don't retry "
    "the same ones.",
    Kind.FORBIDDEN: "Not allowed: check the token, and that its role may do this.",
    Kind.NOT_FOUND: "Nothing matched: check the UUID, URN or key you looked up.",
    Kind.NOT_ALLOWED: "This endpoint does not support that method.",
    Kind.CONFLICT: "Refused: the workspace has reached its limit for this kind of object.",
    Kind.RATE_LIMITED: "Rate limit reached: wait before sending again.",
    Kind.SERVER_ERROR: "The server failed; trying again later may work.",
    Kind.REDIRECT: "The server answered with a redirect that was not followed.",
    Kind.OTHER_STATUS: "An unexpected status for this API.",
    Kind.TIMEOUT: "No answer in time: the server is slow or unreachable.",
    Kind.CONNECTION_REFUSED: "Nothing is listening at that address and port.",
    Kind.DNS: "The host name could not be found.",
    Kind.TLS: "The secure connection failed: the server's certificate was not accepted.",
    Kind.CONNECTION_LOST: "The connection closed before the whole response arrived.",
    Kind.TOO_LARGE: "The response is larger than this app accepts.",
    Kind.NETWORK: "The request could not be sent.",
}


@dataclass(frozen=True)
class FieldError:
    """One message of a 400 response, placed where it belongs (``("urns", 0)``)."""

    path: tuple[str | int, ...]
    message: str

    @property
    def field(self) -> str | None:
        """The top-level field or parameter, or None for errors about the whole request."""
        if not self.path or self.path[0] in ("non_field_errors", "detail"):
            return None
        return str(self.path[0])

    def __str__(self) -> str:
        where = format_path(self.path) if self.field else ""
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Outcome:
    """What came of one send: a response (any status) or the reason there is none."""

    kind: Kind
    request: httpx.Request
    status: int | None = None
    reason: str = ""
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    content: bytes = b""
    elapsed: float = 0.0  # seconds, from sending to the last byte
    error: str = ""  # for failures: what went wrong, in words
    retry_after: float | None = None  # for 429: seconds to wait
    redirects: int = 0

    @property
    def ok(self) -> bool:
        return self.kind in (Kind.OK, Kind.CREATED, Kind.NO_CONTENT)

    @property
    def failed(self) -> bool:
        """No usable response at all (network, TLS, timeout…)."""
        return self.status is None

    @property
    def meaning(self) -> str:
        return MEANINGS[self.kind]

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def is_json(self) -> bool:
        ct = self.content_type
        return ct == "application/json" or ct.endswith("+json")

    @cached_property
    def _parsed(self) -> tuple[Any, str | None]:
        if not self.content or not self.is_json:
            return None, None
        try:
            return json.loads(self.content), None
        except ValueError as exc:
            return None, f"the body is not valid JSON ({exc})"
        except RecursionError:
            return None, "the body nests JSON too deeply to read"

    @property
    def json(self) -> Any:
        """The parsed body when it is JSON and parses, else None."""
        return self._parsed[0]

    @property
    def json_error(self) -> str | None:
        """Why a body that claims to be JSON could not be read."""
        return self._parsed[1]

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers), errors="replace")

    @property
    def body(self) -> Any:
        """Parsed JSON when the body is JSON and parses, the text otherwise."""
        parsed, error = self._parsed
        return parsed if parsed is not None and error is None else self.text

    @cached_property
    def field_errors(self) -> tuple[FieldError, ...]:
        """A 400's messages, flattened from every shape RapidPro uses."""
        if self.kind is not Kind.BAD_REQUEST:
            return ()
        data = self.json
        if data is None:
            return (FieldError((), self.text.strip()[:500] or "Bad request"),) if self.text else ()
        return tuple(flatten_errors(data))

    @property
    def detail(self) -> str | None:
        data = self.json
        if isinstance(data, Mapping) and isinstance(data.get("detail"), str):
            return data["detail"]
        return None

    @property
    def results(self) -> list[Any] | None:
        data = self.json
        if isinstance(data, Mapping) and isinstance(data.get("results"), list):
            return data["results"]
        return None

    @property
    def next_url(self) -> str | None:
        return self._link("next")

    @property
    def previous_url(self) -> str | None:
        return self._link("previous")

    def _link(self, key: str) -> str | None:
        data = self.json
        if isinstance(data, Mapping):
            value = data.get(key)
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                return value
        return None

    def summary(self) -> str:
        """One line for a status bar: ``200 OK · 0.12 s · 4.1 kB`` or the failure."""
        if self.failed:
            return f"{self.meaning} {self.error}".strip()
        return f"{self.status} {self.reason} · {self.elapsed:.2f} s · {human_size(self.size)}"


def flatten_errors(data: Any, path: tuple[str | int, ...] = ()) -> list[FieldError]:
    """``{"urns": {"0": ["URN is in use"]}}`` → ``[FieldError(("urns", 0), "URN is in use")]``."""
    out: list[FieldError] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            # isascii: "²".isdigit() is True, and int("²") fails
            is_index = isinstance(key, str) and key.isascii() and key.isdigit()
            part: str | int = int(key) if is_index else str(key)
            out.extend(flatten_errors(value, (*path, part)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, str | int | float):
                out.append(FieldError(path, str(value)))
            else:
                out.extend(flatten_errors(value, (*path, index)))
    elif data is not None:
        out.append(FieldError(path, str(data)))
    return out


def human_size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    for unit in ("kB", "MB", "GB"):
        n_ = n / 1000
        if n_ < 1000 or unit == "GB":
            return f"{n_:.1f} {unit}"
        n = int(n_)
    return f"{n} B"


_THROTTLE_RE = re.compile(r"available in (\d+(?:\.\d+)?) seconds?")


def parse_retry_after(value: str | None, *, body: Any = None, now: datetime | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    A missing or garbled header falls back to RapidPro's "Expected available in N seconds"
    in the body, then to :data:`DEFAULT_RETRY_AFTER`; the result is kept between 0 and a day.
    """
    seconds: float | None = None
    if value is not None:
        text = value.strip()
        try:
            seconds = float(text)
            if not math.isfinite(seconds):
                seconds = None
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError, OverflowError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                seconds = (when - (now or datetime.now(UTC))).total_seconds()
    detail = body.get("detail") if isinstance(body, Mapping) else None
    if seconds is None and isinstance(detail, str) and (m := _THROTTLE_RE.search(detail)):
        seconds = float(m[1])
    if seconds is None:
        seconds = DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _charset(headers: httpx.Headers) -> str:
    ct = headers.get("content-type", "")
    m = re.search(r"charset=([\w.-]+)", ct, re.I)
    if m:
        import codecs

        try:
            return codecs.lookup(m[1]).name
        except LookupError:
            pass
    return "utf-8"


def make_http_client(*, timeout: float = 30.0) -> httpx.AsyncClient:
    """The one HTTP client of the app: TLS verified, redirects handled by :func:`send`."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=10.0),
        follow_redirects=False,
        verify=True,
        trust_env=False,  # a proxy from the environment must not see the token by surprise
    )


async def send(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    base_url: str,
    max_body: int = DEFAULT_MAX_BODY,
) -> Outcome:
    """Send ``request`` and read the whole response into an :class:`Outcome`.

    ``base_url`` is the workspace's origin: a redirect elsewhere is not followed.
    Cancelling the awaiting task aborts the transfer and closes the connection.
    """
    start = time.perf_counter()
    redirects = 0
    current = request
    while True:
        try:
            response = await http.send(current, stream=True)
        except httpx.TimeoutException as exc:
            return _failure(Kind.TIMEOUT, request, start, exc, redirects)
        except httpx.ConnectError as exc:
            return _failure(_connect_kind(exc), request, start, exc, redirects)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            return _failure(Kind.CONNECTION_LOST, request, start, exc, redirects)
        except httpx.HTTPError as exc:
            return _failure(Kind.NETWORK, request, start, exc, redirects)
        except ssl.SSLError as exc:
            return _failure(Kind.TLS, request, start, exc, redirects)
        try:
            if response.is_redirect and redirects < MAX_REDIRECTS:
                location = response.headers.get("location", "")
                target = current.url.join(location)
                if same_origin(target, base_url):
                    redirects += 1
                    current = _redirected(current, target, response.status_code)
                    continue
            try:
                content = await _read_limited(response, max_body)
            except _TooLarge:
                outcome = _failure(Kind.TOO_LARGE, request, start, None, redirects)
                outcome.error = f"It is over {human_size(max_body)}; the rest was not read."
                outcome.status = None
                return outcome
            except httpx.TimeoutException as exc:
                return _failure(Kind.TIMEOUT, request, start, exc, redirects)
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                return _failure(Kind.CONNECTION_LOST, request, start, exc, redirects)
            except httpx.HTTPError as exc:
                return _failure(Kind.NETWORK, request, start, exc, redirects)
        finally:
            await response.aclose()
        break

    status = response.status_code
    kind = _BY_STATUS.get(status)
    if kind is None:
        if 500 <= status < 600:
            kind = Kind.SERVER_ERROR
        elif 300 <= status < 400:
            kind = Kind.REDIRECT
        else:
            kind = Kind.OTHER_STATUS
    outcome = Outcome(
        kind=kind,
        request=request,
        status=status,
        reason=response.reason_phrase or "",
        headers=response.headers,
        content=content,
        elapsed=time.perf_counter() - start,
        redirects=redirects,
    )
    if kind is Kind.REDIRECT:
        outcome.error = (
            f"It points to {response.headers.get('location', 'nowhere')}, which is not "
            "this workspace; the token was not sent there."
        )
    if kind is Kind.RATE_LIMITED:
        outcome.retry_after = parse_retry_after(
            response.headers.get("retry-after"), body=outcome.json
        )
    return outcome


class _TooLarge(Exception):
    pass


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _redirected(request: httpx.Request, url: httpx.URL, status: int) -> httpx.Request:
    # 303 (and, as browsers do, 301/302 after POST) turns into a GET without a body.
    method = request.method
    if status == 303 or (status in (301, 302) and method == "POST"):
        method = "GET"
    headers = dict(request.headers)
    if method == "GET":
        for h in ("content-length", "content-type", "transfer-encoding"):
            headers.pop(h, None)
        return httpx.Request(method, url, headers=headers)
    return httpx.Request(method, url, headers=headers, content=request.content)


def _connect_kind(exc: Exception) -> Kind:
    text = _chain_text(exc).lower()
    if "certificate" in text or "ssl" in text or "tls" in text:
        return Kind.TLS
    if (
        "name or service not known" in text
        or "nodename nor servname" in text
        or "getaddrinfo" in text
        or "name resolution" in text
        or "no address associated" in text
    ):
        return Kind.DNS
    if "refused" in text or "errno 111" in text or "winerror 10061" in text:
        return Kind.CONNECTION_REFUSED
    return Kind.NETWORK


def _chain_text(exc: BaseException | None) -> str:
    parts = []
    seen = 0
    while exc is not None and seen < 10:
        parts.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return " | ".join(parts)


def _failure(
    kind: Kind, request: httpx.Request, start: float, exc: BaseException | None, redirects: int
) -> Outcome:
    detail = str(exc) if exc is not None else ""
    if exc is not None and not detail:
        detail = type(exc).__name__
    log.info(
        "%s %s failed: %s (%s)", request.method, request.url.copy_with(query=None), kind, detail
    )
    return Outcome(
        kind=kind,
        request=request,
        elapsed=time.perf_counter() - start,
        error=detail,
        redirects=redirects,
    )
