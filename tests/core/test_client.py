"""Sending: every way a request can end becomes an outcome a person can read."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.catalog import HttpMethod
from explorer.core.client import (
    DEFAULT_RETRY_AFTER,
    FieldError,
    Kind,
    flatten_errors,
    make_http_client,
    parse_retry_after,
    send,
)
from explorer.core.request import Draft, build_request, prepare

BASE = "https://app.rapidpro.io"
Aio = Callable[[Any], Any]


def mock_send(
    aio: Aio,
    handler: Callable[[httpx.Request], httpx.Response],
    request: httpx.Request,
    base_url: str = BASE,
    **kw: Any,
) -> Any:
    async def go() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            return await send(http, request, base_url=base_url, **kw)

    return aio(go())


def get(path: str = "/api/v2/contacts.json", token: str = "tok", base: str = BASE) -> httpx.Request:
    return httpx.Request("GET", base + path, headers={"Authorization": f"Token {token}"})


# --- statuses and bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, Kind.OK),
        (201, Kind.CREATED),
        (204, Kind.NO_CONTENT),
        (400, Kind.BAD_REQUEST),
        (403, Kind.FORBIDDEN),
        (404, Kind.NOT_FOUND),
        (405, Kind.NOT_ALLOWED),
        (409, Kind.CONFLICT),
        (429, Kind.RATE_LIMITED),
        (500, Kind.SERVER_ERROR),
        (503, Kind.SERVER_ERROR),
        (418, Kind.OTHER_STATUS),
    ],
)
def test_each_status_has_a_kind_and_a_meaning(aio: Aio, status: int, kind: Kind) -> None:
    outcome = mock_send(aio, lambda r: httpx.Response(status, json={}), get())
    assert outcome.kind is kind and outcome.status == status
    assert outcome.meaning.endswith(".")
    assert outcome.ok == (status in (200, 201, 204))


def test_json_body_parsed_and_page_links_read(aio: Aio) -> None:
    page = {
        "next": f"{BASE}/api/v2/contacts.json?cursor=x",
        "previous": None,
        "results": [{"uuid": "a"}],
    }
    outcome = mock_send(aio, lambda r: httpx.Response(200, json=page), get())
    assert outcome.body == page
    assert outcome.results == [{"uuid": "a"}]
    assert outcome.next_url == page["next"] and outcome.previous_url is None
    assert outcome.size == len(outcome.content) > 0
    assert "200 OK" in outcome.summary()


@pytest.mark.parametrize(
    ("body", "ahead"),
    [
        (
            b'{"next":"http://h/api/v2/runs.json?cursor=a%3D","previous":null,"results":[',
            "http://h/api/v2/runs.json?cursor=a%3D",
        ),
        (
            b' {\n "next" : "https:\\/\\/h\\/x?c=\\"q\\u00e9", "results": [',
            'https://h/x?c="q\u00e9',
        ),
        (b'{"next":null,"previous":"http://h/p","results":[]}', None),
        (b'{"results":[],"next":"http://h/n"}', None),  # not at the head: wait for the parse
        (b'{"next":"ftp://h/n","results":[]}', None),
        (b'{"next":"http://h/\tn","results":[]}', None),  # a raw control character
    ],
)
def test_the_next_link_is_read_from_the_head_of_a_page(
    aio: Aio, body: bytes, ahead: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    page = mock_send(aio, lambda r: httpx.Response(200, content=body, headers=headers), get())
    assert page.next_url_ahead() == ahead
    error = mock_send(aio, lambda r: httpx.Response(404, content=body, headers=headers), get())
    assert error.next_url_ahead() is None


def test_malformed_json_kept_as_text_with_a_reason(aio: Aio) -> None:
    outcome = mock_send(
        aio,
        lambda r: httpx.Response(
            200, content=b'{"results": [1, 2', headers={"content-type": "application/json"}
        ),
        get(),
    )
    assert outcome.json is None
    assert "not valid JSON" in (outcome.json_error or "")
    assert outcome.body == '{"results": [1, 2'


def test_non_json_body_is_text_in_its_charset(aio: Aio) -> None:
    html = "<h1>Erreur du serveur — réessayez</h1>"
    outcome = mock_send(
        aio,
        lambda r: httpx.Response(
            502,
            content=html.encode("latin-1", "replace"),
            headers={"content-type": "text/html; charset=ISO-8859-1"},
        ),
        get(),
    )
    assert outcome.kind is Kind.SERVER_ERROR
    assert outcome.content_type == "text/html"
    assert "réessayez" in outcome.body


def test_400_shapes_flattened_to_fields(aio: Aio) -> None:
    body = {
        "name": ["This field is required."],
        "urns": {"0": ["URN is in use by another contact."]},
        "text": {"eng": ["This field may not be blank."]},
        "non_field_errors": ["Must provide either text or attachments."],
    }
    outcome = mock_send(aio, lambda r: httpx.Response(400, json=body), get())
    errors = outcome.field_errors
    assert FieldError(("name",), "This field is required.") in errors
    assert FieldError(("urns", 0), "URN is in use by another contact.") in errors
    assert FieldError(("text", "eng"), "This field may not be blank.") in errors
    general = [e for e in errors if e.field is None]
    assert [e.message for e in general] == ["Must provide either text or attachments."]
    assert str(FieldError(("urns", 0), "in use")) == "urns[0]: in use"


def test_400_detail_is_a_general_error(aio: Aio) -> None:
    detail = {"detail": "URL can only contain one of the following parameters: urn, uuid"}
    outcome = mock_send(aio, lambda r: httpx.Response(400, json=detail), get())
    assert [(e.field, e.message) for e in outcome.field_errors] == [(None, detail["detail"])]


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=15,
    )
)
def test_flatten_never_fails_on_hostile_bodies(data: Any) -> None:
    for error in flatten_errors(data):
        assert isinstance(error.message, str)


# --- rate limits --------------------------------------------------------------------------------


def test_429_carries_retry_after_seconds(aio: Aio) -> None:
    outcome = mock_send(
        aio,
        lambda r: httpx.Response(
            429,
            headers={"Retry-After": "42"},
            json={"detail": "Request was throttled. Expected available in 42 seconds."},
        ),
        get(),
    )
    assert outcome.kind is Kind.RATE_LIMITED
    assert outcome.retry_after == 42


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7
    assert parse_retry_after(" 2.5 ") == 2.5
    http_date = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(http_date, now=now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    # Garbled or missing: the body's own figure, else a sane default — never a crash.
    body = {"detail": "Request was throttled. Expected available in 13 seconds."}
    assert parse_retry_after("soon", body=body) == 13
    assert parse_retry_after(None) == DEFAULT_RETRY_AFTER
    assert parse_retry_after("nan") == DEFAULT_RETRY_AFTER
    assert parse_retry_after("-5") == 0
    assert parse_retry_after("99999999999") == 24 * 3600


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=40)))
def test_retry_after_never_crashes(value: str | None) -> None:
    assert 0 <= parse_retry_after(value) <= 24 * 3600


# --- redirects keep the token home ---------------------------------------------------------------


def test_redirect_to_another_host_is_not_followed(aio: Aio) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://evil.example/steal"})

    outcome = mock_send(aio, handler, get(token="secret"))
    assert [r.url.host for r in seen] == ["app.rapidpro.io"]
    assert outcome.kind is Kind.REDIRECT
    assert "token was not sent" in outcome.error


def test_redirect_on_the_same_origin_is_followed(aio: Aio) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/org.json":
            return httpx.Response(301, headers={"Location": "/api/v2/workspace.json"})
        return httpx.Response(200, json={"name": "Demo", "auth": request.headers["authorization"]})

    outcome = mock_send(aio, handler, get("/api/v2/org.json"))
    assert outcome.ok and outcome.redirects == 1
    assert outcome.json["name"] == "Demo"


# --- the network failing, over real sockets on 127.0.0.1 -----------------------------------------


@contextmanager
def raw_server(behaviour: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that answers each connection with ``behaviour``."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(5)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, suppress(OSError):
                behaviour(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with suppress(OSError):  # wakes the accept() still waiting, so the thread ends now
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


def send_real(aio: Aio, url: str, timeout: float = 5.0, **kw: Any) -> Any:
    async def go() -> Any:
        async with make_http_client(timeout=timeout) as http:
            request = httpx.Request("GET", url, headers={"Authorization": "Token tok"})
            base = str(httpx.URL(url).copy_with(path="/", query=None)).rstrip("/")
            return await send(http, request, base_url=base, **kw)

    return aio(go())


def test_connection_refused(aio: Aio) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    outcome = send_real(aio, f"http://127.0.0.1:{port}/api/v2/contacts.json")
    assert outcome.kind is Kind.CONNECTION_REFUSED and outcome.failed
    assert "Nothing is listening" in outcome.summary()


def test_timeout(aio: Aio) -> None:
    def silent(conn: socket.socket) -> None:
        conn.recv(65536)
        threading.Event().wait(2)

    with raw_server(silent) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}/api/v2/contacts.json", timeout=0.3)
    assert outcome.kind is Kind.TIMEOUT


def test_connection_dropped_mid_body(aio: Aio) -> None:
    def dropper(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b'Content-Length: 5000\r\n\r\n{"results": ['
        )

    with raw_server(dropper) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}/api/v2/contacts.json")
    assert outcome.kind is Kind.CONNECTION_LOST


def test_tls_failure(aio: Aio) -> None:
    def plain(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with raw_server(plain) as port:
        outcome = send_real(aio, f"https://127.0.0.1:{port}/api/v2/contacts.json")
    assert outcome.kind is Kind.TLS


def test_dns_failure_is_named(aio: Aio) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    outcome = mock_send(aio, handler, get())
    assert outcome.kind is Kind.DNS
    assert "could not be found" in outcome.summary()


def test_oversized_body_stops_reading(aio: Aio) -> None:
    outcome = mock_send(
        aio, lambda r: httpx.Response(200, content=b"x" * 5000), get(), max_body=1000
    )
    assert outcome.kind is Kind.TOO_LARGE and outcome.content == b""


def test_send_can_be_cancelled(aio: Aio) -> None:
    def silent(conn: socket.socket) -> None:
        conn.recv(65536)
        threading.Event().wait(3)

    async def go(port: int) -> str:
        async with make_http_client() as http:
            request = httpx.Request("GET", f"http://127.0.0.1:{port}/api/v2/contacts.json")
            task = asyncio.ensure_future(send(http, request, base_url=f"http://127.0.0.1:{port}"))
            await asyncio.sleep(0.2)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return "cancelled"
            return "finished"

    with raw_server(silent) as port:
        assert aio(go(port)) == "cancelled"


# --- against the sandbox, over real HTTP -------------------------------------------------------


def test_round_trip_against_the_sandbox(aio: Aio, sandbox: Any) -> None:
    async def go() -> Any:
        async with make_http_client() as http:
            prepared = prepare(Draft("contacts", HttpMethod.GET))
            first = await send(
                http,
                build_request(sandbox.base_url, sandbox.token, prepared),
                base_url=sandbox.base_url,
            )
            from explorer.core.request import build_follow_request

            assert first.next_url is not None
            second = await send(
                http,
                build_follow_request(first.next_url, sandbox.base_url, sandbox.token),
                base_url=sandbox.base_url,
            )
            return first, second

    first, second = aio(go())
    assert first.kind is Kind.OK and len(first.results) == 250
    assert second.kind is Kind.OK
    assert not {c["uuid"] for c in first.results} & {c["uuid"] for c in second.results}


def test_wrong_token_against_the_sandbox(aio: Aio, sandbox: Any) -> None:
    async def go() -> Any:
        async with make_http_client() as http:
            prepared = prepare(Draft("workspace", HttpMethod.GET))
            return await send(
                http, build_request(sandbox.base_url, "wrong", prepared), base_url=sandbox.base_url
            )

    outcome = aio(go())
    assert outcome.kind is Kind.FORBIDDEN
    assert outcome.detail == "Invalid token"
