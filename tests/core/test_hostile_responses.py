"""Hostile servers: drips, bombs, loops, huge heads and deep nesting end as plain outcomes."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from explorer.core.client import DEFAULT_RETRY_AFTER, Kind, make_http_client, send
from explorer.core.json_parse import SlicedParser
from tests.core.test_client import raw_server, send_real

Aio = Callable[[Any], Any]
PATH = "/api/v2/contacts.json"


def _answer(head: bytes, body: bytes = b"") -> Callable[[socket.socket], None]:
    def behaviour(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(head + b"\r\n" + body)

    return behaviour


def test_a_server_dripping_bytes_is_stopped_at_the_deadline(aio: Aio) -> None:
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        while not stop.is_set():  # one header byte at a time, each well within the timeout
            conn.sendall(b"X")
            stop.wait(0.1)

    with raw_server(drip) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}{PATH}", timeout=5.0, deadline=0.6)
        stop.set()
    assert outcome.kind is Kind.TIMEOUT
    assert "Stopped after 0:01" in outcome.error
    assert "the longest this workspace lets one request take" in outcome.summary()


def test_a_gzip_bomb_is_refused_at_the_limit_on_inflated_bytes(aio: Aio) -> None:
    bomb = gzip.compress(b"[" + b"0," * 2_000_000 + b"0]", 9)  # 4 MB inflated, a few kB sent
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n" % len(bomb)
    )
    with raw_server(_answer(head, bomb)) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}{PATH}", max_body=1_000_000)
    assert len(bomb) < 20_000
    assert outcome.kind is Kind.TOO_LARGE and outcome.content == b""
    assert "over 1.0 MB" in outcome.error


def test_compressed_bodies_within_the_limit_arrive_whole(aio: Aio) -> None:
    page = json.dumps({"next": None, "results": [{"uuid": str(i)} for i in range(500)]}).encode()
    for encoding, packed in (
        (b"gzip", gzip.compress(page)),
        (b"deflate", zlib.compress(page)),
        (b"deflate", _raw_deflate(page)),
    ):
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: "
            + encoding
            + b"\r\nContent-Length: %d\r\n" % len(packed)
        )
        with raw_server(_answer(head, packed)) as port:
            outcome = send_real(aio, f"http://127.0.0.1:{port}{PATH}")
        assert outcome.ok and outcome.content == page
        assert len(outcome.results) == 500


def _raw_deflate(data: bytes) -> bytes:
    z = zlib.compressobj(wbits=-15)
    return z.compress(data) + z.flush()


def test_damaged_gzip_says_so(aio: Aio) -> None:
    junk = b"\x1f\x8b\x08\x00not gzip at all"
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n" % len(junk)
    with raw_server(_answer(head, junk)) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}{PATH}")
    assert outcome.failed and "could not be unpacked" in outcome.error


def test_a_redirect_loop_on_the_workspace_is_called_one(aio: Aio) -> None:
    head = b"HTTP/1.1 302 Found\r\nLocation: " + PATH.encode() + b"\r\nContent-Length: 0\r\n"
    with raw_server(_answer(head)) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}{PATH}")
    assert outcome.kind is Kind.REDIRECT
    assert "redirect loop" in outcome.error
    assert "not this workspace" not in outcome.error


def test_a_long_chain_of_redirects_is_a_loop_too(aio: Aio) -> None:
    hops = iter(range(100))

    def chain(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: /api/v2/hop%d.json\r\nContent-Length: 0\r\n"
            b"Connection: close\r\n\r\n" % next(hops)
        )

    with raw_server(chain) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}{PATH}")
    assert outcome.kind is Kind.REDIRECT and "redirect loop" in outcome.error
    assert outcome.redirects == 5


def test_a_bad_location_says_only_that(aio: Aio) -> None:
    head = b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n"
    with raw_server(_answer(head)) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}{PATH}")
    assert outcome.kind is Kind.REDIRECT
    assert outcome.error.startswith("Its Location is not a valid address")
    assert "workspace" not in outcome.error and "loop" not in outcome.error


def test_oversized_headers_say_so(aio: Aio) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Junk: " + b"a" * 200_000 + b"\r\n"
    with raw_server(_answer(head)) as port:
        outcome = send_real(aio, f"http://127.0.0.1:{port}{PATH}")
    assert outcome.kind is Kind.TOO_LARGE
    assert "headers alone are over 102.4 kB" in outcome.error
    assert "connection closed" not in outcome.summary().lower()


def test_retry_after_says_who_chose_the_wait(aio: Aio) -> None:
    def throttled(retry_after: bytes) -> Any:
        head = b"HTTP/1.1 429 Too Many Requests\r\n" + retry_after + b"Content-Length: 0\r\n"
        with raw_server(_answer(head)) as port:
            return send_real(aio, f"http://127.0.0.1:{port}{PATH}")

    negative = throttled(b"Retry-After: -5\r\n")
    assert negative.retry_after == 0 and negative.retry_after_given
    assert negative.wait_advice() == "The server asks to wait 0:00."
    missing = throttled(b"")
    assert missing.retry_after == DEFAULT_RETRY_AFTER and not missing.retry_after_given
    assert "did not say how long" in missing.wait_advice()
    assert "server asks" not in missing.wait_advice()


def test_a_big_page_is_parsed_in_slices_to_the_same_value(
    aio: Aio, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = {"next": None, "count": 30_000, "results": [{"uuid": f"u{i}"} for i in range(30_000)]}
    body = json.dumps(page).encode()
    assert len(body) > 1 << 19
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(
        body
    )

    async def go(port: int) -> Any:
        async with make_http_client() as http:
            request = httpx.Request("GET", f"http://127.0.0.1:{port}{PATH}")
            return await send(http, request, base_url=f"http://127.0.0.1:{port}")

    # A smaller page takes the sliced path in this test.
    monkeypatch.setattr("explorer.core.client.SLICED_PARSE_FROM", 1 << 18)
    with raw_server(_answer(head, body)) as port:
        outcome = aio(go(port))
    assert "_parsed" in outcome.__dict__  # parsed by send, not by the first reader
    assert outcome.results == page["results"] and outcome.json_error is None


def test_the_sliced_parser_agrees_with_json_loads() -> None:
    for text in [b'{"a": [1, {"b": 2}], "c": "\\u00e9"}', b" [ ] ", b"\xef\xbb\xbf[1]", b"3"]:
        parser = SlicedParser(text)
        while not parser.advance():
            pass
        assert parser.error is None and parser.value == json.loads(text)
    for bad in [b'{"a":', b"[1,]", b"[1] x", b"\xff", b""]:
        parser = SlicedParser(bad)
        while not parser.advance():
            pass
        assert parser.value is None and (parser.error or "").startswith("the body is not valid")


def test_deep_nesting_is_an_error_not_an_exception() -> None:
    for body in (b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000):
        parser = SlicedParser(body)
        while not parser.advance():
            pass
        assert parser.error == "the body nests JSON too deeply to read"


def test_slices_stay_short_on_a_page_of_tiny_records() -> None:
    body = json.dumps({"results": [{"i": i} for i in range(200_000)]}).encode()
    parser = SlicedParser(body)
    turns = 0
    started = time.perf_counter()
    while not parser.advance(0.002):
        turns += 1
    # Behaviour, not timing: the work was split into many turns, and the result is whole.
    assert turns > 5, time.perf_counter() - started
    assert len(parser.value["results"]) == 200_000


def test_values_cut_by_the_text_window_are_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows of 5 bytes cut every number, string, emoji and keyword somewhere.
    monkeypatch.setattr("explorer.core.json_parse.DECODE_STEP", 5)
    page = {
        "next": None,
        "count": 1234567,
        "results": [
            {"n": 3.14159e12, "s": "Fatima 🌍 — réessayez", "ok": True, "l": [1, {"z": None}]},
            {"n": -98765, "s": "\u674e\u96f7", "ok": False, "l": []},
        ],
    }
    for body in (
        json.dumps(page).encode(),
        json.dumps(page, indent=1, ensure_ascii=False).encode(),
    ):
        parser = SlicedParser(body)
        while not parser.advance():
            pass
        assert parser.error is None and parser.value == page
        assert parser.record_keys == ("n", "s", "ok", "l")
        cut = SlicedParser(body[:-3])
        while not cut.advance():
            pass
        assert cut.value is None and cut.error is not None
