"""Fixtures for the sandbox tests: HTTP clients bound to a running sandbox, a page walker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

ClientFactory = Callable[..., httpx.Client]
Walker = Callable[..., list[dict[str, Any]]]


def _client_for(server: Any, token: str | None = "") -> httpx.Client:
    """A client for ``server``: its own token by default, ``None`` for no Authorization."""
    token = server.token if token == "" else token
    headers = {"Authorization": f"Token {token}"} if token else {}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10)


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Makes clients (closed after the test): ``make_client(server, token=...)``."""
    made: list[httpx.Client] = []

    def make(server: Any, token: str | None = "") -> httpx.Client:
        client = _client_for(server, token)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    """An authenticated client for the session's sandbox."""
    with _client_for(sandbox) as client:
        yield client


@pytest.fixture
def fresh_api(fresh_sandbox: Any) -> Iterator[httpx.Client]:
    """An authenticated client for a sandbox of this test's own."""
    with _client_for(fresh_sandbox) as client:
        yield client


def _walk(
    client: httpx.Client, url: str, params: dict[str, Any] | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Every result of a listing, following next links (bounded, so a bug cannot loop)."""
    results: list[dict[str, Any]] = []
    next_url: str | None = url
    first = True
    for _ in range(limit):
        if next_url is None:
            return results
        response = client.get(next_url, params=params if first else None)
        first = False
        assert response.status_code == 200, response.text
        page = response.json()
        results += page["results"]
        next_url = page["next"]
    raise AssertionError(f"{url} had more than {limit} pages")


@pytest.fixture
def walk() -> Walker:
    """``walk(client, url, params)``: all results of a listing, page by page."""
    return _walk
