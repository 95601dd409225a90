"""The Datasets panel: pull now, progress, pause and resume, a failed step, export."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt

from explorer.core.connection import Connection
from explorer.datasets import locations
from explorer.sandbox.faults import Faults
from explorer.sandbox.server import SandboxServer
from explorer.ui.datasets_panel import DatasetsPanel

TOKEN = "panel-token-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(token=TOKEN, contacts=40, rate="1000000/hour") as running:
        yield running


@pytest.fixture
def panel(qtbot: Any, http: httpx.AsyncClient, server: SandboxServer) -> DatasetsPanel:
    widget = DatasetsPanel()
    qtbot.addWidget(widget)
    widget.set_http(http)
    with qtbot.waitSignal(widget.listing_refreshed, timeout=10_000):
        widget.set_connection(Connection("Sandbox", server.base_url, TOKEN, is_sandbox=True))
    widget.resize(320, 640)
    widget.show()
    return widget


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_pull_now_fills_the_workspaces_dataset_and_lists_it(
    qtbot: Any, panel: DatasetsPanel
) -> None:
    path = locations.default_path("Sandbox")
    assert panel.files.count() == 1 and "Not pulled yet" in panel.files.item(0).text()
    assert panel.path_label.text() == str(path)
    done = [panel.pull_finished, panel.listing_refreshed]
    with qtbot.waitSignals(done, order="strict", timeout=30_000):
        qtbot.mouseClick(panel.pull_button, Qt.MouseButton.LeftButton)
    assert "Pull finished" in panel.progress_text.text()
    runs = count(path, "runs")
    assert runs > 0 and f"{runs:,} runs" in panel.counts.text()
    assert "finished" in panel.last_pull.text()
    assert panel.export_button.isEnabled() and panel.pull_button.isEnabled()


def test_pause_then_resume_ends_with_the_whole_set(
    qtbot: Any, panel: DatasetsPanel, server: SandboxServer
) -> None:
    server.faults = Faults(latency_ms=20)
    panel.what.setCurrentIndex(panel.what.findText("Messages"))

    def pause_in_archives(progress: Any) -> None:
        if progress.step == "archives" and progress.archives_done >= 2:
            panel.pause_or_resume()

    panel.pull_progressed.connect(pause_in_archives)
    with qtbot.waitSignal(panel.pull_stopped, timeout=30_000) as stopped:
        panel.pull_now()
    panel.pull_progressed.disconnect(pause_in_archives)
    assert stopped.args[0].startswith("Paused")
    assert panel.pause_button.text() == "Resume" and panel.pause_button.isEnabled()
    partial = count(locations.default_path("Sandbox"), "messages")
    server.faults = Faults()
    with qtbot.waitSignal(panel.pull_finished, timeout=30_000):
        qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    every = count(locations.default_path("Sandbox"), "messages")
    assert 0 < partial < every
    assert every == server.db.value(
        "SELECT count(*) FROM messages WHERE visibility != 'deleted'"
    ) + sum(r["record_count"] for r in server.db.rows(
        "SELECT record_count FROM archives WHERE type = 'message' AND rolled_up = 0"
    ))  # fmt: skip


def test_a_failed_pull_names_its_step_and_keeps_what_it_stored(
    qtbot: Any, panel: DatasetsPanel, server: SandboxServer
) -> None:
    server.file_store.corrupt_downloads = 2
    with qtbot.waitSignal(panel.pull_failed, timeout=30_000) as failed:
        panel.pull_now()
    assert "while reading archives" in failed.args[0] and "checksum" in failed.args[0]
    assert panel.progress_text.text() == failed.args[0]
    qtbot.waitUntil(
        lambda: "stopped while reading archives" in panel.last_pull.text(), timeout=10_000
    )
    assert count(locations.default_path("Sandbox"), "flows") > 0  # the lookups stored first


def test_export_writes_the_chosen_view(qtbot: Any, panel: DatasetsPanel, tmp_path: Path) -> None:
    done = [panel.pull_finished, panel.listing_refreshed]
    with qtbot.waitSignals(done, order="strict", timeout=30_000):
        panel.pull_now()
    panel.export_what.setCurrentText("run_results")
    out = tmp_path / "results.csv"
    operation = panel.export_to(out)
    assert operation is not None
    qtbot.waitUntil(lambda: not operation.running, timeout=10_000)
    with out.open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == count(
            locations.default_path("Sandbox"), "run_results"
        )
