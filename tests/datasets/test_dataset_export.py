"""Exports of a pulled dataset: any table or view, as CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from explorer.core.export import ExportError
from explorer.datasets.export import export
from explorer.datasets.pull import PullSpec


def test_run_results_export_to_csv_holds_every_row(
    run_pull: Any, db_path: Path, tmp_path: Path
) -> None:
    run_pull(PullSpec(resources=("runs",)))
    out = tmp_path / "results.csv"
    written = export(db_path, "run_results", out)
    with out.open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    conn = sqlite3.connect(db_path)
    try:
        total = conn.execute("SELECT count(*) FROM run_results").fetchone()[0]
    finally:
        conn.close()
    assert written == len(table) == total > 0
    assert list(table[0]) == [
        "run", "flow", "flow_name", "contact", "contact_name", "key", "name", "category",
        "value", "input", "time",
    ]  # fmt: skip


def test_runs_export_to_json_lines_nests_values_again(
    run_pull: Any, db_path: Path, tmp_path: Path
) -> None:
    run_pull(PullSpec(resources=("runs",)))
    out = tmp_path / "runs.jsonl"
    export(db_path, "runs", out)
    runs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert runs and all(isinstance(r["values"], dict) for r in runs)
    assert {r["source"] for r in runs} == {"archive", "api"}


def test_message_counts_by_day_and_status(run_pull: Any, db_path: Path, tmp_path: Path) -> None:
    run_pull(PullSpec(resources=("messages",)))
    out = tmp_path / "counts.jsonl"
    export(db_path, "message_counts", out)
    counts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    conn = sqlite3.connect(db_path)
    try:
        total = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        conn.close()
    assert sum(c["messages"] for c in counts) == total
    assert all(len(c["day"]) == 10 for c in counts)


def test_an_unknown_table_is_refused_and_no_file_written(
    run_pull: Any, db_path: Path, tmp_path: Path
) -> None:
    run_pull(PullSpec(resources=("contacts",)))
    with pytest.raises(ExportError, match="no table or view called 'sqlite_master'"):
        export(db_path, "sqlite_master", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
