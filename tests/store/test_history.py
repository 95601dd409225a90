"""History: appended per send, bounded, searchable, kept across restarts, no token, no body."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from explorer.core.catalog import HttpMethod
from explorer.core.request import NULL, Draft
from explorer.store.history import History, HistoryEntry
from explorer.store.paths import history_path


def entry(n: int, *, endpoint: str = "contacts", status: int = 200, **params: Any) -> HistoryEntry:
    return HistoryEntry(
        time=datetime(2024, 5, 1, tzinfo=UTC) + timedelta(seconds=n),
        endpoint=endpoint,
        params=params or {"urn": f"tel:+25078800{n:04d}"},
        workspace="Sandbox",
        status=status,
        outcome="ok" if status < 300 else "not_found",
        duration=0.0123,
        size=100 + n,
    )


def test_entries_survive_a_restart_and_reopen_as_drafts() -> None:
    history = History()
    assert history.path == history_path()
    draft = Draft(
        "contacts",
        HttpMethod.POST,
        params={"urn": "tel:+250788123123", "uuid": ""},
        body={"name": "Ben", "language": NULL, "groups": ["Testers"]},
    )
    history.add(HistoryEntry.of(draft, workspace="Production"))
    history.add(entry(1, status=404))
    again = History()
    assert len(again) == 2
    newest, oldest = again.entries()
    assert newest.status == 404 and newest.duration == 0.012
    assert oldest.workspace == "Production"
    assert oldest.to_draft() == Draft(
        "contacts",
        HttpMethod.POST,
        params={"urn": "tel:+250788123123"},
        body={"name": "Ben", "language": NULL, "groups": ["Testers"]},
    )
    line = json.loads(history.path.read_text().splitlines()[0])
    assert list(line) == [
        "schema_version", "time", "workspace", "method", "endpoint", "params", "body", "duration_ms"
    ]  # fmt: skip


def test_a_real_send_is_recorded_without_token_or_response_body(sandbox: Any, aio: Any) -> None:
    from explorer.core.client import make_http_client, send
    from explorer.core.request import build_request, prepare

    draft = Draft("contacts", params={"deleted": False})

    async def go() -> Any:
        async with make_http_client() as http:
            req = build_request(sandbox.base_url, sandbox.token, prepare(draft))
            return await send(http, req, base_url=sandbox.base_url)

    outcome = aio(go())
    history = History()
    recorded = history.record(draft, outcome, workspace="Sandbox")
    assert recorded.status == 200 and recorded.size == outcome.size > 0
    raw = history.path.read_bytes()
    assert sandbox.token.encode() not in raw
    assert b"results" not in raw  # nothing of the response body
    assert History().entries()[0].search_text().startswith("get contacts 200")


def test_the_file_keeps_only_the_newest_entries(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    history = History(path, limit=50)
    for n in range(140):
        history.add(entry(n))
        assert len(history) == min(n + 1, 50)
        lines = path.read_text().splitlines()
        assert len(lines) <= 50 + history.slack  # compacted once it grows past the bound
    assert [e.size for e in History(path, limit=50).entries()] == [
        100 + n for n in range(139, 89, -1)
    ]
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_default_bound_is_a_thousand(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    lines = [json.dumps(entry(n).to_json()) for n in range(1200)]
    path.write_text("\n".join(lines) + "\n")
    history = History(path)
    assert len(history) == 1000
    assert history.entries()[-1].size == 100 + 200
    history.add(entry(5000))
    assert len(path.read_text().splitlines()) == 1000


def test_search_matches_endpoint_params_and_status(tmp_path: Path) -> None:
    history = History(tmp_path / "h.jsonl")
    history.add(entry(1, urn="tel:+250788000001"))
    history.add(entry(2, endpoint="groups", status=404, name="Testers"))
    history.add(entry(3, endpoint="groups", status=201, name="Staff"))
    assert [e.status for e in history.search("groups")] == [201, 404]
    assert [e.status for e in history.search("GROUPS 404")] == [404]
    assert [e.endpoint for e in history.search("tel:+250788000001")] == ["contacts"]
    assert [e.params for e in history.search("name=staff")] == [{"name": "Staff"}]
    assert history.search("flows") == []
    assert len(history.search("  ")) == 3


def test_a_corrupt_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    good = [json.dumps(entry(n).to_json()) for n in range(3)]
    future = json.dumps({**entry(9).to_json(), "schema_version": 2})
    path.write_text(f"{good[0]}\n{{not json\n{good[1]}\n{future}\n\n{good[2]}")  # torn end too
    history = History(path)
    assert len(history) == 3
    assert len(history.problems) == 2
    assert history.problems[0].startswith("line 2 of h.jsonl was skipped")
    # Appending after a line cut short does not glue the two together.
    path.write_text(good[0] + "\n" + good[1][:20])
    history = History(path)
    history.add(entry(7))
    again = History(path)
    assert [e.size for e in again.entries()] == [107, 100]
    assert len(again.problems) == 1


def test_clear(tmp_path: Path) -> None:
    history = History(tmp_path / "h.jsonl")
    history.add(entry(1))
    history.clear()
    assert len(history) == 0 and History(tmp_path / "h.jsonl").entries() == []


def test_listeners_hear_of_each_entry_and_of_reloads_until_they_stop() -> None:
    history = History()
    heard: list[HistoryEntry | None] = []
    stop = history.subscribe(lambda change: heard.append(change.added))
    recorded = history.record(Draft("contacts"), None, workspace="Sandbox")
    history.reload()
    stop()
    history.record(Draft("flows"), None)
    assert heard == [recorded, None]


def test_a_failing_listener_does_not_stop_the_entry_or_the_others() -> None:
    history = History()
    heard: list[object] = []

    def broken(_change: object) -> None:
        raise RuntimeError("a view with a bug")

    history.subscribe(broken)
    history.subscribe(heard.append)
    history.record(Draft("contacts"), None)
    assert len(heard) == 1 and len(History()) == 1
