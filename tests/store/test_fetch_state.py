"""Resume states of fetch-all runs: where they live, what they hold, and what they never hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from explorer.core.pagination import FetchState, FetchStatus
from explorer.core.request import Draft, prepare
from explorer.store import fetch_state, paths
from explorer.store.errors import UnreadableFile

BASE = "https://app.rapidpro.io"
TOKEN = "secret-token-1234567890"


def state(tmp_path: Path, group: str = "Farmers", name: str = "out.jsonl") -> FetchState:
    prepared = prepare(Draft("contacts", params={"group": group}))
    s = FetchState.new("Production", BASE, prepared, tmp_path / name)
    s.next_url = f"{BASE}/api/v2/contacts.json?cursor=abc&group={group}"
    s.pages, s.records, s.bytes_written, s.tail = 3, 750, 123_456, "0a7d"
    s.status = FetchStatus.PAUSED
    return s


def test_saved_atomically_under_the_data_dir_with_a_schema_version(tmp_path: Path) -> None:
    s = state(tmp_path)
    path = fetch_state.save(s)
    assert path == paths.data_dir() / "fetches" / f"{s.key}.json"
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1
    assert data["workspace"] == "Production" and data["base_url"] == BASE
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    loaded = fetch_state.load(s.key)
    assert loaded == s


def test_a_state_never_holds_the_token(tmp_path: Path) -> None:
    s = state(tmp_path)
    path = fetch_state.save(s)
    assert TOKEN not in path.read_text()
    assert "token" not in json.loads(path.read_text())


def test_listed_per_request_newest_first_and_deleted(tmp_path: Path) -> None:
    farmers = state(tmp_path, "Farmers", "a.jsonl")
    farmers.updated_at = "2026-01-01T10:00:00+00:00"
    farmers_again = state(tmp_path, "Farmers", "b.jsonl")
    farmers_again.updated_at = "2026-01-02T10:00:00+00:00"
    nurses = state(tmp_path, "Nurses", "c.jsonl")
    done = state(tmp_path, "Farmers", "d.jsonl")
    done.status = FetchStatus.DONE
    for s in (farmers, farmers_again, nurses, done):
        fetch_state.save(s)
    prepared = prepare(Draft("contacts", params={"group": "Farmers"}))
    listed = fetch_state.list_states(base_url=BASE, prepared=prepared, resumable_only=True)
    assert [s.output for s in listed] == [farmers_again.output, farmers.output]
    assert fetch_state.list_states(base_url="https://other.example") == []
    fetch_state.delete(farmers.key)
    fetch_state.delete(farmers.key)  # twice is fine
    assert len(fetch_state.list_states()) == 3


def test_an_unreadable_state_is_reported_and_left_alone(tmp_path: Path) -> None:
    good = state(tmp_path)
    fetch_state.save(good)
    broken = fetch_state.fetches_dir() / "0123456789abcdef01234567.json"
    broken.write_text("{not json")
    newer = fetch_state.fetches_dir() / "abcdef0123456789abcdef01.json"
    newer.write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(UnreadableFile, match="not valid JSON"):
        fetch_state.load(broken.stem)
    with pytest.raises(UnreadableFile, match="newer version"):
        fetch_state.load(newer.stem)
    assert [s.key for s in fetch_state.list_states()] == [good.key]  # the others are skipped
    assert broken.read_text() == "{not json"


def test_a_state_naming_an_unknown_endpoint_is_unreadable(tmp_path: Path) -> None:
    s = state(tmp_path)
    path = fetch_state.save(s)
    data = json.loads(path.read_text())
    data["endpoint"] = "no_such_endpoint"
    path.write_text(json.dumps(data))
    with pytest.raises(UnreadableFile, match="no endpoint"):
        fetch_state.load(s.key)


def test_the_same_request_to_another_file_is_another_fetch(tmp_path: Path) -> None:
    a, b = state(tmp_path, name="a.jsonl"), state(tmp_path, name="b.jsonl")
    assert a.key != b.key
    assert state(tmp_path, name="a.jsonl").key == a.key
    assert a.prepared().query == (("group", "Farmers"),)
