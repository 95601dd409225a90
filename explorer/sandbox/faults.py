"""Fault knobs: make the sandbox misbehave the ways real servers and networks do.

Every knob can be set when the server starts and changed while it runs (the server thread
reads them on each request). Rates are shares of requests between 0 and 1, drawn from a
random generator seeded with ``seed`` so a test sees the same sequence every run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from explorer.sandbox.throttle import throttled_detail

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
_UNSEEDED = object()


@dataclass
class Faults:
    """What goes wrong, and how often.

    ``latency_ms``: added before every API response. ``error_rate``: share of requests that
    get a 5xx with an HTML body (as a proxy or Django's error page sends). ``drop_rate``: share
    whose connection closes half way through the body. ``malformed_rate``: share whose JSON
    body is cut short. ``non_json_rate``: share answered 200 with an HTML page (a captive
    portal or misconfigured proxy). ``throttle_storm``: every request gets 429, with
    ``storm_retry_after`` seconds in Retry-After. ``seed``: for the random draws.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    non_json_rate: float = 0.0
    throttle_storm: bool = False
    storm_retry_after: int = 1
    seed: int | None = 0
    _rng: random.Random = field(
        default_factory=random.Random, init=False, repr=False, compare=False
    )
    _rng_seed: Any = field(default=_UNSEEDED, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "seed":  # setting the seed (even to the same value) replays from the start
            super().__setattr__("_rng_seed", _UNSEEDED)

    def roll(self, rate: float) -> bool:
        """True with probability ``rate`` (0 never draws, so knobs at 0 cost nothing)."""
        if rate <= 0:
            return False
        with self._lock:
            if self._rng_seed is _UNSEEDED:
                self._rng = random.Random(self.seed)
                self._rng_seed = self.seed
            return self._rng.random() < rate

    def choice(self, options: tuple[int, ...]) -> int:
        with self._lock:
            return self._rng.choice(options)

    def reset(self) -> None:
        """Turn every knob off (the seed stays)."""
        self.latency_ms = 0
        self.error_rate = self.drop_rate = self.malformed_rate = self.non_json_rate = 0.0
        self.throttle_storm = False


_ERROR_PAGES = {
    # Django's own page for an unhandled exception, then what nginx says for the others.
    500: '<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n'
    "</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n",
    502: "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad "
    "Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n",
    503: "<html>\n<head><title>503 Service Temporarily Unavailable</title></head>\n<body>\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\n<hr><center>nginx</center>"
    "\n</body>\n</html>\n",
    504: "<html>\n<head><title>504 Gateway Time-out</title></head>\n<body>\n<center><h1>504 "
    "Gateway Time-out</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n",
}

_PORTAL_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>\n<body><h1>"
    "Welcome</h1><p>Please sign in to continue browsing.</p></body></html>\n"
)

# uvicorn logs an error when a response stops half way; for a deliberate drop that is noise.
_DROP_LOG_TEXT = "ASGI callable returned without completing response."


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _DROP_LOG_TEXT


_quiet_installed = False


def install_drop_log_filter() -> None:
    """Silence uvicorn's complaint about the responses this module cuts off on purpose."""
    global _quiet_installed  # noqa: PLW0603 - once per process
    if not _quiet_installed:
        logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
        _quiet_installed = True


class FaultMiddleware:
    """ASGI middleware in front of the API that applies :class:`Faults` to each request."""

    def __init__(self, app: ASGIApp, faults: Callable[[], Faults]) -> None:
        self.app = app
        # A getter, not the object: the server may be handed a whole new Faults at run time.
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        f = self.faults()
        if f.latency_ms > 0:
            await asyncio.sleep(f.latency_ms / 1000)
        if f.throttle_storm:
            wait = max(1, int(f.storm_retry_after))
            body = json.dumps({"detail": throttled_detail(wait)}).encode()
            await _send_whole(
                send, 429, body, b"application/json", [(b"retry-after", str(wait).encode())]
            )
            return
        if f.roll(f.error_rate):
            status = f.choice((500, 500, 502, 503, 504))
            await _send_whole(
                send, status, _ERROR_PAGES[status].encode(), b"text/html; charset=utf-8"
            )
            return
        if f.roll(f.non_json_rate):
            await _send_whole(send, 200, _PORTAL_PAGE.encode(), b"text/html; charset=utf-8")
            return
        if f.roll(f.drop_rate):
            await self._dropped(scope, receive, send)
            return
        if f.roll(f.malformed_rate):
            await self._malformed(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _buffered(self, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
        """Run the app (its writes happen) and keep its response to spoil it."""
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        return start, b"".join(chunks)

    async def _dropped(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self._buffered(scope, receive)
        if not body:  # nothing to cut: say a full body is coming and send none of it
            body = b'{"detail":"x"}'
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send(
            {"type": "http.response.start", "status": start.get("status", 200), "headers": headers}
        )
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        # Returning now, mid-body, makes uvicorn close the connection: the client sees the
        # peer hang up before Content-Length bytes arrived.

    async def _malformed(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self._buffered(scope, receive)
        cut = body[: max(1, len(body) // 2)] if body else b'{"results":['
        status = start.get("status", 200)
        await _send_whole(send, 200 if status == 204 else status, cut, b"application/json")


async def _send_whole(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
