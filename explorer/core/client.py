"""Sending: one async call from a built request to a typed outcome.

The client does I/O only. Whatever happens — a response of any status, a timeout, a refused
connection, a bad certificate, a hostile body — comes back as an :class:`Outcome`; only
cancellation propagates. Redirects are followed by hand, and only on the workspace's own
origin, so the token never reaches another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import importlib
import json
import logging
import math
import re
import ssl
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

import httpx

from explorer.core.errors import format_path
from explorer.core.inflate import ENCODINGS, BoundedInflater, InflateError, InflateTooLarge
from explorer.core.json_parse import TOO_DEEP, parse_sliced
from explorer.core.ratelimit import format_wait
from explorer.core.request import same_origin

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 60.0  # seconds, when a 429 says nothing usable
MAX_RETRY_AFTER = 24 * 3600.0
DEFAULT_MAX_BODY = 512 * 1024 * 1024
MAX_REDIRECTS = 5
DEFAULT_DEADLINE = 180.0  # seconds for a whole request, however slowly the bytes arrive
SLICED_PARSE_FROM = 1 << 20  # bodies from this size are parsed a slice at a time
HEADER_LIMIT = 100 * 1024  # what the HTTP layer (httpcore) accepts for a response's head


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
    retry_after_given: bool = False  # whether the server said how long (else the app's default)
    record_keys: tuple[str, ...] | None = None  # keys of ``results``, when gathered while parsing
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
            return None, TOO_DEEP

    def set_parsed(self, value: Any, error: str | None) -> None:
        """Store a body parsed elsewhere (a slice at a time), so no reader parses it again."""
        self.__dict__["_parsed"] = (value, error)

    def wait_advice(self) -> str:
        """For a 429: how long to wait, and whether the server said so or the app chose it."""
        if self.retry_after is None:
            return ""
        if self.retry_after_given:
            return f"The server asks to wait {format_wait(self.retry_after)}."
        return (
            "The server did not say how long to wait; this app waits "
            f"{format_wait(self.retry_after)}."
        )

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

    def next_url_ahead(self) -> str | None:
        """The ``next`` link read from the head of the body, before the body is parsed.

        RapidPro writes ``next`` first, so the next page can be asked for while this one is
        still being read. A guess to check against :attr:`next_url` once parsed: None when
        the body does not start that way (another server's order, or no next page).
        """
        if not self.ok or not self.is_json:
            return None
        head = _NEXT_AHEAD_RE.match(self.content, 0, 8192)
        if head is None:
            return None
        try:
            value = json.loads(head.group(1))
        except ValueError:
            return None
        return value if value.startswith(("http://", "https://")) else None

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


_NEXT_AHEAD_RE = re.compile(rb'\s*\{\s*"next"\s*:\s*("(?:[^"\\\x00-\x1f]|\\.)*")')
_THROTTLE_RE = re.compile(r"available in (\d+(?:\.\d+)?) seconds?")


def parse_retry_after(value: str | None, *, body: Any = None, now: datetime | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    A missing or garbled header falls back to RapidPro's "Expected available in N seconds"
    in the body, then to :data:`DEFAULT_RETRY_AFTER`; the result is kept between 0 and a day
    (a negative wait, or a date in the past, is 0).
    """
    return retry_after_of(value, body=body, now=now)[0]


def retry_after_of(
    value: str | None, *, body: Any = None, now: datetime | None = None
) -> tuple[float, bool]:
    """:func:`parse_retry_after`, and whether the server said it (False: the app's default)."""
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
        return DEFAULT_RETRY_AFTER, False
    return min(max(seconds, 0.0), MAX_RETRY_AFTER), True


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
    deadline: float | None = None,
) -> Outcome:
    """Send ``request`` and read the whole response into an :class:`Outcome`.

    ``base_url`` is the workspace's origin: a redirect elsewhere is not followed.
    ``deadline`` (seconds, None for :data:`DEFAULT_DEADLINE`) bounds the whole exchange,
    redirects and body included: the client's read timeout only bounds each wait for a
    byte, which a server dripping bytes never passes.
    Cancelling the awaiting task aborts the transfer and closes the connection.
    """
    await _load_backend()
    start = time.perf_counter()
    limit = DEFAULT_DEADLINE if deadline is None else deadline
    exchange = _Exchange(http, request, base_url, max_body, start)
    try:
        async with asyncio.timeout(limit):
            outcome = await exchange.run()
    except TimeoutError:
        outcome = _failure(Kind.TIMEOUT, request, start, None, exchange.redirects)
        outcome.error = (
            f"Stopped after {format_wait(limit)}, the longest this workspace lets one request take."
        )
        return outcome
    if outcome.is_json and outcome.size >= SLICED_PARSE_FROM:
        # json.loads of a big page holds the loop (and the GUI) for most of a second.
        parsed = await parse_sliced(outcome.content)
        outcome.set_parsed(parsed.value, parsed.error)
        outcome.record_keys = parsed.record_keys
    return outcome


_BACKEND = "anyio._backends._asyncio"


async def _load_backend() -> None:
    """httpcore imports its asyncio backend (anyio's) during the first request: tens of
    milliseconds with the loop, and so the window, stopped. It is imported in a worker
    thread first, while the window goes on."""
    if _BACKEND not in sys.modules:
        with contextlib.suppress(ImportError):  # another httpcore: it loads what it needs
            await asyncio.to_thread(importlib.import_module, _BACKEND)


class _Exchange:
    """One request and the redirects it takes on the workspace's origin."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        request: httpx.Request,
        base_url: str,
        max_body: int,
        start: float,
    ) -> None:
        self.http, self.request, self.base_url = http, request, base_url
        self.max_body, self.start = max_body, start
        self.redirects = 0
        self.visited = {str(request.url)}

    async def run(self) -> Outcome:
        current = self.request
        while True:
            try:
                response = await self.http.send(current, stream=True)
            except (httpx.HTTPError, ssl.SSLError) as exc:
                return self._failed(exc)
            try:
                follow = self._follow(current, response)
                if isinstance(follow, httpx.Request):
                    current = follow
                    continue
                try:
                    content = await _read_limited(response, self.max_body)
                except _TooLarge:
                    return self._too_large(f"It is over {human_size(self.max_body)}")
                except InflateError as exc:
                    outcome = _failure(Kind.NETWORK, self.request, self.start, exc, self.redirects)
                    outcome.error = f"Its body could not be unpacked: {exc}."
                    return outcome
                except httpx.HTTPError as exc:
                    return self._failed(exc)
            finally:
                await response.aclose()
            return self._outcome(response, content, follow)

    def _follow(self, current: httpx.Request, response: httpx.Response) -> httpx.Request | str:
        """The next request of a redirect on this origin, or why it is not followed ("")."""
        if not response.is_redirect:
            return ""
        location = response.headers.get("location", "")
        try:
            target = current.url.join(location)
        except httpx.InvalidURL as exc:
            return _bad_location(str(exc))
        if not same_origin(target, self.base_url):
            return (
                f"It points to {location}, which is not this workspace; the token was not "
                "sent there."
            )
        if str(target) in self.visited or self.redirects >= MAX_REDIRECTS:
            return (
                f"A redirect loop: after {self.redirects + 1} redirects on this workspace it "
                f"still points on ({target}), so it was stopped."
            )
        self.redirects += 1
        self.visited.add(str(target))
        return _redirected(current, target, response.status_code)

    def _failed(self, exc: BaseException) -> Outcome:
        text = str(exc)
        if "Receive buffer too long" in _chain_text(exc):
            # h11's words when a response's head passes httpcore's limit.
            return self._too_large(f"Its headers alone are over {human_size(HEADER_LIMIT)}")
        if text.startswith(_HTTPX_BAD_LOCATION):
            # httpx reads Location itself, even when it does not follow redirects.
            outcome = _failure(Kind.REDIRECT, self.request, self.start, exc, self.redirects)
            outcome.error = _bad_location(text.removeprefix(_HTTPX_BAD_LOCATION).rstrip("."))
            return outcome
        return _failure(_failure_kind(exc), self.request, self.start, exc, self.redirects)

    def _too_large(self, what: str) -> Outcome:
        outcome = _failure(Kind.TOO_LARGE, self.request, self.start, None, self.redirects)
        outcome.error = f"{what}; the rest was not read."
        return outcome

    def _outcome(self, response: httpx.Response, content: bytes, why_not: str) -> Outcome:
        status = response.status_code
        outcome = Outcome(
            kind=_kind_of(status),
            request=self.request,
            status=status,
            reason=response.reason_phrase or "",
            headers=response.headers,
            content=content,
            elapsed=time.perf_counter() - self.start,
            redirects=self.redirects,
        )
        if outcome.kind is Kind.REDIRECT:
            outcome.error = why_not or "It points nowhere: it has no Location."
        if outcome.kind is Kind.RATE_LIMITED:
            # Parsed here, before the body is big enough to matter: a 429's body is small.
            body = outcome.json if outcome.size < SLICED_PARSE_FROM else None
            outcome.retry_after, outcome.retry_after_given = retry_after_of(
                response.headers.get("retry-after"), body=body
            )
        return outcome


_HTTPX_BAD_LOCATION = "Invalid URL in location header: "


def _bad_location(why: str) -> str:
    return f"Its Location is not a valid address ({why})."


def _kind_of(status: int) -> Kind:
    kind = _BY_STATUS.get(status)
    if kind is not None:
        return kind
    if 500 <= status < 600:
        return Kind.SERVER_ERROR
    if 300 <= status < 400:
        return Kind.REDIRECT
    return Kind.OTHER_STATUS


def _failure_kind(exc: BaseException) -> Kind:
    if isinstance(exc, httpx.TimeoutException):
        return Kind.TIMEOUT
    if isinstance(exc, httpx.ConnectError):
        return _connect_kind(exc)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return Kind.CONNECTION_LOST
    if isinstance(exc, ssl.SSLError):
        return Kind.TLS
    return Kind.NETWORK


class _TooLarge(Exception):
    pass


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    """The body, decoded, refused as soon as it passes ``limit`` bytes *after* inflating."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    encoding = response.headers.get("content-encoding", "").strip().lower()
    chunks = []
    size = 0
    if encoding in ENCODINGS:
        inflater = BoundedInflater(encoding, limit)
        async for raw in response.aiter_raw():
            try:
                # zlib releases the GIL: inflating in a thread leaves the loop free.
                pieces = await asyncio.to_thread(inflater.feed, raw)
            except InflateTooLarge:
                await _dropped(chunks)
                raise _TooLarge from None
            chunks.extend(pieces)
        return await _joined(chunks)
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            await _dropped(chunks)
            raise _TooLarge
        chunks.append(chunk)
    return await _joined(chunks)


async def _dropped(chunks: list[bytes]) -> None:
    """Let go of a refused body's pieces off the loop, one at a time.

    Hundreds of MB freed at once (the list going with its frame) held the loop for 50-60
    ms; freed piece by piece in a thread, the loop gets its turns in between."""

    def drop() -> None:
        while chunks:
            chunks.pop()

    await asyncio.to_thread(drop)


JOIN_IN_THREAD_FROM = 8 << 20  # bytes: joining 200 MB held the loop 70-110 ms


async def _joined(chunks: list[bytes]) -> bytes:
    """The chunks as one body; a big one is joined off the loop (bytes.join drops the GIL)."""
    if sum(map(len, chunks)) < JOIN_IN_THREAD_FROM:
        return b"".join(chunks)
    return await asyncio.to_thread(b"".join, chunks)


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
