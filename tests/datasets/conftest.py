"""Fixtures for dataset pulls: a small sandbox of the test's own, and what it holds in all."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from explorer.core.client import make_http_client
from explorer.core.connection import Connection
from explorer.datasets.pull import PullHooks, PullReport, PullSpec, pull
from explorer.datasets.store import Dataset
from explorer.sandbox.server import SandboxServer

TOKEN = "dataset-token-0123456789abcdef"
Puller = Callable[..., PullReport]


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(token=TOKEN, contacts=40, rate="1000000/hour") as running:
        yield running


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "datasets" / "sandbox.sqlite3"


@pytest.fixture
def run_pull(server: SandboxServer, db_path: Path, aio: Callable[..., Any]) -> Puller:
    """``run_pull(spec=PullSpec(...))``: one pull into ``db_path``, as the CLI does it."""

    def run(spec: PullSpec | None = None, hooks: PullHooks | None = None) -> PullReport:
        async def go() -> PullReport:
            connection = Connection("sandbox", server.base_url, TOKEN, is_sandbox=True)
            async with make_http_client() as http, Dataset(db_path) as dataset:
                return await pull(http, connection, dataset, spec or PullSpec(), hooks)

        return aio(go())

    return run


def _walk(server: SandboxServer, endpoint: str, **params: Any) -> list[dict[str, Any]]:
    """Every live result of a listing, page by page."""
    results: list[dict[str, Any]] = []
    with httpx.Client(headers={"Authorization": f"Token {TOKEN}"}, timeout=10) as client:
        url: str | None = f"{server.base_url}/api/v2/{endpoint}.json"
        first = True
        while url:
            page = client.get(url, params=params if first else None).json()
            first = False
            results += page["results"]
            url = page["next"]
    return results


def _archived(server: SandboxServer, kind: str) -> list[dict[str, Any]]:
    """Every record of every listed archive of ``kind``, fetched without a token."""
    records: list[dict[str, Any]] = []
    for archive in _walk(server, "archives", type=kind):
        if archive["download_url"]:
            data = httpx.get(archive["download_url"], timeout=10).content
            records += [json.loads(line) for line in gzip.decompress(data).splitlines()]
    return records


@pytest.fixture
def live() -> Callable[..., list[dict[str, Any]]]:
    """``live(server, "runs", after=...)``: every live result of a listing."""
    return _walk


@pytest.fixture
def archived() -> Callable[[SandboxServer, str], list[dict[str, Any]]]:
    """``archived(server, "run")``: every record of the server's archives of that type."""
    return _archived
