"""The fetch-all panel: start, progress, cancel, resume and rate-limit waits, on the sandbox."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from explorer.core.connection import Connection
from explorer.core.pagination import Progress
from explorer.core.request import Draft, Prepared, build_request, prepare
from explorer.store import fetch_state
from explorer.ui.fetch_all_panel import FetchAllPanel


def walk(server: Any, prepared: Prepared, key: str = "uuid") -> list[Any]:
    url: str | None = str(build_request(server.base_url, server.token, prepared).url)
    out: list[Any] = []
    with httpx.Client(headers={"Authorization": f"Token {server.token}"}) as client:
        while url:
            data = client.get(url).json()
            out += [
                r[key] if key != "archive" else (r["type"], r["period"], r["start_date"])
                for r in data["results"]
            ]
            url = data["next"]
    return out


def jsonl(path: Path, key: str = "uuid") -> list[Any]:
    rows = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
    if key == "archive":
        return [(r["type"], r["period"], r["start_date"]) for r in rows]
    return [r[key] for r in rows]


@pytest.fixture
def panel(qtbot: Any, http: httpx.AsyncClient) -> FetchAllPanel:
    widget = FetchAllPanel()
    qtbot.addWidget(widget)
    widget.set_http(http)
    widget.resize(700, 420)
    widget.show()
    return widget


def point_at(panel: FetchAllPanel, server: Any, prepared: Prepared) -> None:
    panel.set_request(prepared, Connection("Sandbox", server.base_url, server.token))


def test_start_needs_a_listing_and_a_file(panel: FetchAllPanel, sandbox: Any) -> None:
    assert panel.objectName() == "fetchAllPanel"
    assert not panel.start_button.isEnabled()
    assert "GET of a listing" in panel.target_label.text()
    panel.set_request(prepare(Draft("workspace")), Connection("Sandbox", sandbox.base_url, "t"))
    assert not panel.start_button.isEnabled()  # one object, not pages
    point_at(panel, sandbox, prepare(Draft("contacts")))
    assert "contacts.json" in panel.target_label.text()
    assert not panel.start_button.isEnabled()
    assert panel.start_button.toolTip() == "Choose a file to write to."


def test_fetch_all_contacts_to_jsonl(
    qtbot: Any, panel: FetchAllPanel, sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("contacts"))
    expected = walk(sandbox, prepared)
    point_at(panel, sandbox, prepared)
    out = tmp_path / "contacts.jsonl"
    panel.set_output(out)
    progress: list[Progress] = []
    panel.progressed.connect(progress.append)
    responses: list[Any] = []
    panel.response_received.connect(responses.append)
    with qtbot.waitSignal(panel.started, timeout=1000):
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.running and panel.cancel_button.isEnabled() and not panel.start_button.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=20_000) as blocker:
        pass
    assert blocker.args == [str(out)]
    assert jsonl(out) == expected
    assert panel.status_text().startswith(f"Done: {len(expected):,} records in 4 pages")
    # The total came from the workspace (group counts), so time left was estimated.
    assert any("left" in p.text() and "about" in p.text() for p in progress[1:-1])
    assert progress[-1].done and panel.progress_bar.value() == panel.progress_bar.maximum()
    assert len(responses) >= 5  # the group count look-up and four pages, for the budget meter
    assert panel.resumable_keys() == []  # nothing left to resume


def test_cancel_then_resume_from_the_list(
    qtbot: Any, panel: FetchAllPanel, fresh_sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("archives", params={"limit": 5}))
    expected = walk(fresh_sandbox, prepared, "archive")
    point_at(panel, fresh_sandbox, prepared)
    out = tmp_path / "archives.jsonl"
    panel.set_output(out)

    def cancel_at_three(p: Progress) -> None:
        if p.pages == 3:
            panel.cancel()

    panel.progressed.connect(cancel_at_three)
    with qtbot.waitSignal(panel.cancelled, timeout=10_000):
        panel.start()
    panel.progressed.disconnect(cancel_at_three)
    assert "Cancelled: 15 records in 3 pages" in panel.status_text()
    assert jsonl(out, "archive") == expected[:15]
    keys = panel.resumable_keys()
    assert len(keys) == 1 and panel.resumable.isVisible()
    assert "3 pages, paused" in panel.resumable.item(0).text()
    assert panel.resume_button.isEnabled()

    with qtbot.waitSignal(panel.finished, timeout=10_000):
        qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    assert jsonl(out, "archive") == expected
    assert panel.resumable_keys() == [] and fetch_state.load(keys[0]) is None


def test_a_rate_limit_shows_a_countdown_and_the_fetch_continues(
    qtbot: Any, panel: FetchAllPanel, fresh_sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("archives", params={"limit": 10}))
    expected = walk(fresh_sandbox, prepared, "archive")
    fresh_sandbox.set_rate("2/second")  # the third request in a second gets 429
    point_at(panel, fresh_sandbox, prepared)
    out = tmp_path / "archives.csv"
    panel.set_output(out)
    assert panel.format == "csv"  # from the file name
    waits: list[int] = []
    panel.waiting.connect(waits.append)
    texts: list[str] = []
    panel.waiting.connect(lambda _s: texts.append(panel.wait_text()))
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        panel.start()
    assert waits and waits[0] >= 1
    assert texts[0].startswith("Rate limit reached: continuing in 0:0")
    assert not panel.wait_label.isVisible()  # gone once the fetch went on
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["type"], r["period"], r["start_date"]) for r in rows] == expected


def test_a_failure_is_reported_and_kept_for_resuming(
    qtbot: Any, panel: FetchAllPanel, fresh_sandbox: Any, tmp_path: Path
) -> None:
    prepared = prepare(Draft("archives", params={"limit": 5}))
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 30
    panel.auto_retry.setChecked(False)
    point_at(panel, fresh_sandbox, prepared)
    panel.set_output(tmp_path / "a.jsonl")
    with qtbot.waitSignal(panel.failed, timeout=10_000) as blocker:
        panel.start()
    assert "Rate limit reached at page 1" in blocker.args[0] and "0:30" in blocker.args[0]
    assert blocker.args[0] in panel.status_text()
    assert len(panel.resumable_keys()) == 1


def test_the_output_file_is_chosen_in_a_non_modal_dialog(
    qtbot: Any, panel: FetchAllPanel, sandbox: Any, tmp_path: Path
) -> None:
    point_at(panel, sandbox, prepare(Draft("contacts")))
    qtbot.mouseClick(panel.browse_button, Qt.MouseButton.LeftButton)  # returns at once
    dialog = panel.findChild(QFileDialog, "fetchOutputDialog")
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    target = tmp_path / "everyone.csv"
    dialog.selectFile(str(target))
    dialog.accept()
    assert panel.output == str(target) and panel.format == "csv"
    assert panel.start_button.isEnabled()
    panel.format_combo.setCurrentIndex(panel.format_combo.findData("jsonl"))
    assert panel.output == str(tmp_path / "everyone.jsonl")  # the name follows the format
