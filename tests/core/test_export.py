"""Streaming JSON Lines and CSV writers: what lands in the file, and resuming by byte offset."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from explorer.core.export import (
    CsvWriter,
    ExportError,
    JsonlWriter,
    cell_text,
    columns_for,
    format_for_path,
    rows_to_csv,
    summarize,
    to_jsonl,
)

CONTACT = {
    "uuid": "c1",
    "name": 'Ana, "Nana"\nOkafor',
    "status": "active",
    "language": None,
    "urns": ["tel:+250788000001"],
    "groups": [{"uuid": "g1", "name": "Nurses"}],
    "notes": [],
    "fields": {"age": "31"},
    "flow": None,
    "created_on": "2026-01-01T00:00:00.000000Z",
    "modified_on": "2026-01-02T00:00:00.000000Z",
    "last_seen_on": None,
    "blocked": False,
    "stopped": False,
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_jsonl_one_object_per_line_with_sizes_reported(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with JsonlWriter(path) as writer:
        size = writer.write([{"name": "Zoë 👋"}, {"n": 1}])
        assert size == path.stat().st_size  # on disk when write() returns
        size = writer.write([{"n": 2}])
    assert [json.loads(line) for line in path.read_text("utf-8").splitlines()] == [
        {"name": "Zoë 👋"},
        {"n": 1},
        {"n": 2},
    ]
    assert size == path.stat().st_size


def test_resume_cuts_a_half_written_page_and_continues(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    writer = JsonlWriter(path)
    writer.open()
    good = writer.write([{"n": 1}, {"n": 2}])
    tail = writer.tail
    writer.close()
    with open(path, "ab") as f:  # the app died while writing the next page
        f.write(b'{"n": 3}\n{"n": 4, "na')
    again = JsonlWriter(path)
    again.open(resume_at=good, tail=tail)
    again.write([{"n": 3}, {"n": 4}])
    again.close()
    assert [json.loads(x)["n"] for x in path.read_text().splitlines()] == [1, 2, 3, 4]


def test_resume_refuses_a_file_that_changed_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    writer = JsonlWriter(path)
    writer.open()
    good = writer.write([{"n": 1}, {"n": 2}])
    tail = writer.tail
    writer.close()
    path.write_text('{"other": 1}\n{"other": 2}\n{"more": 3}\n')
    before = path.read_bytes()
    with pytest.raises(ExportError, match="not the file this fetch was writing"):
        JsonlWriter(path).open(resume_at=good, tail=tail)
    path.write_text("{}\n")
    with pytest.raises(ExportError, match="fewer than"):
        JsonlWriter(path).open(resume_at=good, tail=tail)
    path.unlink()
    with pytest.raises(ExportError, match="is gone"):
        JsonlWriter(path).open(resume_at=good, tail=tail)
    assert before  # the changed file was only read


def test_csv_columns_follow_the_catalog_then_new_keys(tmp_path: Path) -> None:
    record = {**CONTACT, "surprise": {"a": 1}}
    cols = columns_for("contacts", [record])
    assert cols[:4] == ["uuid", "name", "status", "language"]
    assert "ref" not in cols and "anon_display" not in cols  # anonymous workspaces only
    assert cols[-1] == "surprise"
    path = tmp_path / "c.csv"
    with CsvWriter(path, endpoint="contacts") as writer:
        writer.write([record])
        writer.write([{**CONTACT, "uuid": "c2", "late_key": 1}])
    rows = read_csv(path)
    assert list(rows[0]) == cols
    assert rows[0]["name"] == CONTACT["name"]  # commas, quotes and newlines survive
    assert json.loads(rows[0]["groups"]) == [{"uuid": "g1", "name": "Nurses"}]
    assert rows[0]["urns"] == '["tel:+250788000001"]'  # nested values as compact JSON
    assert rows[0]["language"] == "" and rows[0]["blocked"] == "false"
    assert rows[0]["surprise"] == '{"a":1}'
    assert [r["uuid"] for r in rows] == ["c1", "c2"]
    assert writer.dropped_keys == {"late_key"}  # too late for the header: reported


def test_csv_resume_keeps_one_header(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    writer = CsvWriter(path, endpoint="contacts")
    writer.open()
    size = writer.write([CONTACT])
    columns, tail = writer.columns, writer.tail
    writer.close()
    with open(path, "ab") as f:
        f.write(b"c2,half a ro")
    again = CsvWriter(path, columns)
    again.open(resume_at=size, tail=tail)
    again.write([{**CONTACT, "uuid": "c2"}])
    again.close()
    assert [r["uuid"] for r in read_csv(path)] == ["c1", "c2"]


def test_cell_text_and_formats() -> None:
    assert cell_text(None) == ""
    assert cell_text(True) == "true"
    assert cell_text(3) == "3" and cell_text(2.5) == "2.5"
    assert cell_text({"b": [1, "é"]}) == '{"b":[1,"é"]}'
    assert format_for_path("x.CSV") == "csv"
    assert format_for_path("x.ndjson") == "jsonl"
    assert format_for_path("x.txt", "csv") == "csv"


def test_a_cell_shows_values_not_a_count() -> None:
    urns = ["tel:+250788000001", "whatsapp:250788000001"]
    assert summarize(urns) == "tel:+250788000001; whatsapp:250788000001"
    groups = [{"uuid": "g1", "name": "Farmers"}, {"uuid": "g2", "name": "Over 30"}]
    assert summarize(groups) == "Farmers, Over 30"
    expanded = [{"channel": None, "scheme": "tel", "path": "+250788000001", "display": None}]
    assert summarize(expanded) == "tel:+250788000001"
    assert summarize([]) == "" and summarize([{"uuid": "c9"}]) == "c9"
    many = summarize([{"name": f"Group {i}"} for i in range(40)])
    assert len(many) == 80 and many.startswith("Group 0, Group 1, ") and many.endswith("…")
    assert summarize("two\nlines") == "two …" and summarize(None) == ""


def test_one_page_exports_replace_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "page.csv"
    path.write_text("old content that is longer than the new one" * 100)
    rows_to_csv([CONTACT], path, endpoint="contacts")
    rows = read_csv(path)
    assert len(rows) == 1 and rows[0]["uuid"] == "c1"
    jpath = tmp_path / "page.jsonl"
    to_jsonl([CONTACT, {"x": 1}], jpath)
    assert [json.loads(x) for x in jpath.read_text().splitlines()] == [CONTACT, {"x": 1}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.csv", "page.jsonl"]  # no temps
    empty = tmp_path / "empty.csv"
    rows_to_csv([], empty, endpoint="contacts")
    assert next(csv.reader(io.StringIO(empty.read_text())))[0] == "uuid"  # header only


def test_export_to_an_unwritable_place_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="Could not"):
        to_jsonl([{"a": 1}], blocker / "inside.jsonl")
