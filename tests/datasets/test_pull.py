"""Pulls against the sandbox over HTTP: archives then live pages, incremental, refusals."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from explorer.core.connection import Connection
from explorer.datasets.pull import PullFailed, PullSpec, pull
from explorer.datasets.rows import utc_text
from explorer.datasets.store import Dataset
from explorer.sandbox.clock import now_us

TOKEN = "dataset-token-0123456789abcdef"


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def server_runs(server: Any, live: Any, archived: Any) -> dict[str, str]:
    everything = {r["uuid"]: utc_text(r["modified_on"]) for r in archived(server, "run")}
    everything.update({r["uuid"]: utc_text(r["modified_on"]) for r in live(server, "runs")})
    return everything


def test_a_pull_spanning_archives_and_pages_holds_the_servers_full_set(
    server: Any, run_pull: Any, db_path: Path, live: Any, archived: Any
) -> None:
    report = run_pull()
    assert report.of("runs").archives_downloaded > 0 and report.of("runs").pages > 0
    stored = dict(rows(db_path, "SELECT uuid, modified_on FROM runs"))
    assert stored == server_runs(server, live, archived)
    sources = dict(rows(db_path, "SELECT source, count(*) FROM runs GROUP BY source"))
    assert sources["archive"] == len(archived(server, "run"))
    assert sources["api"] == len(live(server, "runs"))
    messages = {m["uuid"] for m in archived(server, "message")} | {
        m["uuid"] for m in live(server, "messages")
    }
    assert {u for (u,) in rows(db_path, "SELECT uuid FROM messages")} == messages
    contacts = {c["uuid"] for c in live(server, "contacts")}
    deleted = {c["uuid"] for c in live(server, "contacts", deleted="true")}
    assert deleted, "the seed has deleted contacts"
    assert dict(rows(db_path, "SELECT uuid, is_deleted FROM contacts")) == {
        **{u: 0 for u in contacts},
        **{u: 1 for u in deleted},
    }
    assert {n for (n,) in rows(db_path, "SELECT name FROM flows")} == {
        f["name"] for f in live(server, "flows")
    }


def test_a_second_pull_after_edits_fetches_only_the_edits(
    server: Any, run_pull: Any, db_path: Path, live: Any
) -> None:
    run_pull()
    downloads = server.file_store.downloads
    edited = [r[0] for r in server.db.rows("SELECT id FROM runs ORDER BY id LIMIT 5")]
    later = now_us()
    for offset, run_id in enumerate(edited):
        server.db.execute(
            "UPDATE runs SET modified_on = ?, status = 'completed' WHERE id = ?",
            (later + offset, run_id),
        )
    second = run_pull()
    runs = second.of("runs")
    assert runs.changed == len(edited)
    # The pass starts at the watermark, which is inclusive: the last run stored comes again.
    assert runs.fetched <= len(edited) + 1
    assert runs.archives_downloaded == 0 and server.file_store.downloads == downloads
    stored = dict(rows(db_path, "SELECT uuid, modified_on FROM runs WHERE source = 'api'"))
    assert stored == {r["uuid"]: utc_text(r["modified_on"]) for r in live(server, "runs")}


def test_a_corrupted_archive_is_downloaded_again_once(server: Any, run_pull: Any) -> None:
    server.file_store.corrupt_downloads = 1
    report = run_pull(PullSpec(resources=("runs",)))
    assert report.of("runs").archives_downloaded > 0 and server.file_store.corrupt_downloads == 0


def test_an_archive_corrupted_twice_is_refused_and_nothing_of_it_stored(
    server: Any, run_pull: Any, db_path: Path
) -> None:
    server.file_store.corrupt_downloads = 2
    with pytest.raises(PullFailed) as failed:
        run_pull(PullSpec(resources=("runs",)))
    assert failed.value.step == "archives"
    assert "was refused" in failed.value.message and "checksum" in failed.value.message
    assert rows(db_path, "SELECT count(*) FROM runs") == [(0,)]
    assert rows(db_path, "SELECT status, step FROM pulls") == [("failed", "archives")]
    # The next pull, with the store mended, stores it.
    run_pull(PullSpec(resources=("runs",)))
    assert rows(db_path, "SELECT count(*) FROM runs")[0][0] > 0


def test_an_expired_link_is_listed_again_for_a_fresh_one(server: Any, run_pull: Any) -> None:
    server.file_store.stale_links = 1  # the first link handed out is already expired
    report = run_pull(PullSpec(resources=("messages",)))
    # The stale link was handed out and refused; the pull listed again and went on.
    assert server.file_store.stale_links == 0
    assert report.of("messages").archives_downloaded > 0


def test_the_token_never_reaches_the_archive_host(server: Any, run_pull: Any) -> None:
    run_pull()
    assert server.file_store.downloads > 0
    assert server.file_store.authorizations == []


def test_run_results_matches_the_runs_values(
    server: Any, run_pull: Any, db_path: Path, live: Any, archived: Any
) -> None:
    run_pull(PullSpec(resources=("runs",)))
    expected = {
        (run["uuid"], key, v.get("name"), v.get("category"), v.get("value"), v.get("input"))
        for run in [*live(server, "runs"), *archived(server, "run")]
        for key, v in (run["values"] or {}).items()
    }
    got = set(rows(db_path, "SELECT run, key, name, category, value, input FROM run_results"))
    assert expected and got == expected


def test_a_pull_of_one_flow_stores_only_its_runs(
    server: Any, run_pull: Any, db_path: Path, live: Any
) -> None:
    flow = live(server, "flows")[0]["uuid"]
    run_pull(PullSpec(resources=("runs",), flow=flow))
    assert {f for (f,) in rows(db_path, "SELECT DISTINCT flow_uuid FROM runs")} == {flow}


def test_a_pull_limited_to_a_date_range_stores_only_that_range(
    server: Any, run_pull: Any, db_path: Path, live: Any
) -> None:
    after, before = "2025-05-01T00:00:00.000000Z", "2025-05-31T23:59:59.999999Z"
    report = run_pull(PullSpec(resources=("runs",), after=after, before=before))
    times = [t for (t,) in rows(db_path, "SELECT modified_on FROM runs")]
    assert times and all(after <= t <= before for t in times)
    assert report.of("runs").archives_downloaded <= 31  # only May's dailies were read


def test_contact_fields_has_one_row_per_contact_and_field(
    server: Any, run_pull: Any, db_path: Path, live: Any
) -> None:
    run_pull(PullSpec(resources=("contacts",)))
    expected = {
        (c["uuid"], key, value)
        for c in live(server, "contacts")
        for key, value in c["fields"].items()
    }
    got = set(rows(db_path, "SELECT contact, field, value FROM contact_fields"))
    assert expected and got == expected


def test_a_full_pull_fetches_everything_again_and_still_stores_each_once(
    server: Any, run_pull: Any, db_path: Path
) -> None:
    first = run_pull(PullSpec(resources=("runs",)))
    again = run_pull(PullSpec(resources=("runs",), full=True))
    assert again.of("runs").archives_downloaded == first.of("runs").archives_downloaded
    assert again.of("runs").fetched == first.of("runs").fetched
    assert again.of("runs").changed == 0
    total = first.of("runs").fetched + first.of("runs").archive_records
    assert rows(db_path, "SELECT count(*) FROM runs") == [(total,)]


class DecoyFirst(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox; every messages page with a next link gets a decoy ``next`` at
    its head, before the real one (a repeated key: the last one is what the page says)."""

    def __init__(self, base_url: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.decoy = base_url + "/api/v2/messages.json?cursor=decoy"
        self.asked: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(str(request.url))
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        if "/messages.json" in str(request.url) and response.status_code == 200:
            data = json.loads(body)
            if data.get("next"):
                body = (json.dumps({"next": self.decoy})[:-1] + "," + json.dumps(data)[1:]).encode()
        return httpx.Response(response.status_code, headers=headers, content=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_next_link_read_ahead_is_checked_against_the_whole_page(
    server: Any, db_path: Path, live: Any, aio: Any
) -> None:
    # The next page is asked for as soon as a page's head names it; when the parsed page
    # names another link, the pull follows that one and drops what it asked ahead.
    transport = DecoyFirst(server.base_url)

    async def go() -> Any:
        connection = Connection("sandbox", server.base_url, TOKEN, is_sandbox=True)
        async with httpx.AsyncClient(transport=transport) as http, Dataset(db_path) as dataset:
            return await pull(http, connection, dataset, PullSpec(resources=("messages",)))

    report = aio(go())
    assert report.of("messages").pages > 1
    stored = {u for (u,) in rows(db_path, "SELECT uuid FROM messages WHERE source = 'api'")}
    assert stored == {m["uuid"] for m in live(server, "messages")}
    assert any("cursor=decoy" in url for url in transport.asked), "the head was read ahead"


def double_live_runs(server: Any, times: int) -> None:
    """Copies of the live runs (new uuids, a few µs later), so a pass has several pages."""
    db = server.db
    columns = "flow_id, contact_id, start_id, responded, status, path, vals, created_on, exited_on"
    for step in range(1, times + 1):
        with db.transaction():
            db.execute(
                f"INSERT INTO runs (uuid, {columns}, modified_on) SELECT lower(hex(randomblob(4)) "
                "|| '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || "
                "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))), "
                f"{columns}, modified_on + ? FROM runs",
                (step,),
            )


def test_a_page_that_cannot_be_stored_stops_the_pull_and_the_next_one_loses_nothing(
    server: Any, run_pull: Any, db_path: Path, live: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages are handed to the writer ahead of time. When one fails (a full disk), those
    # handed in after it must not be stored with their marks: the next pull would then
    # start beyond the page that was never stored.
    import sqlite3 as sqlite

    from explorer.datasets import store

    double_live_runs(server, 3)
    pages = -(-len(live(server, "runs")) // 250)
    assert pages >= 4
    monkeypatch.setattr(store, "COMMIT_ROWS", 1)  # every page its own transaction
    seen = {"pages": 0}
    real_utc_text = store.utc_text

    def store_page(self: Any, page: Any) -> int:
        if page.resource == "runs":
            seen["pages"] += 1
            if seen["pages"] == 2:
                monkeypatch.setattr(store, "utc_text", _disk_full)
        try:
            return real_store_page(self, page)
        finally:
            monkeypatch.setattr(store, "utc_text", real_utc_text)

    real_store_page = store.Dataset._store_page
    monkeypatch.setattr(store.Dataset, "_store_page", store_page)
    with pytest.raises(sqlite.OperationalError, match="disk is full"):
        run_pull(PullSpec(resources=("runs",)))
    monkeypatch.undo()
    report = run_pull(PullSpec(resources=("runs",)))
    assert report.of("runs").pages >= pages - 1  # from the page that was not stored, on
    stored = {u for (u,) in rows(db_path, "SELECT uuid FROM runs WHERE source = 'api'")}
    assert stored == {r["uuid"] for r in live(server, "runs")}


def _disk_full(_value: Any) -> Any:
    raise sqlite3.OperationalError("database or disk is full")
