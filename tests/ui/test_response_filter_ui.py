"""The filter line over a response, against the sandbox: body, table and export follow it."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from test_link_menu import open_listing, win  # noqa: F401 - the window fixture

from explorer.ui.main_window import MainWindow


def type_filter(qtbot: Any, window: MainWindow, text: str) -> None:
    edit = window.response.filter_line.edit
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_the_runs_preset_shows_one_row_per_result_in_body_table_and_export(
    win: MainWindow,  # noqa: F811
    qtbot: Any,
    tmp_path: Path,
) -> None:
    outcome = open_listing(qtbot, win, "runs")
    expected = sum(len(run["values"]) for run in outcome.results)
    line = win.response.filter_line
    assert line.presets_button.isVisible()
    (preset,) = line.presets_menu.actions()
    with qtbot.waitSignal(win.response.filter_applied, timeout=10000) as blocker:
        preset.trigger()
    rows = blocker.args[0]
    assert len(rows) == expected
    shown = json.loads(win.response.body.body())
    assert shown == rows
    table = win.results_table
    assert table.row_count() == expected
    assert table.columns[:10] == [
        "run",
        "contact",
        "contact_uuid",
        "flow",
        "result_key",
        "name",
        "category",
        "value",
        "input",
        "time",
    ]
    assert line.state_label.text() == f"{expected:,} rows"
    path = tmp_path / "results.csv"
    assert table.export(path)
    with path.open(newline="", encoding="utf-8") as f:
        exported = list(csv.DictReader(f))
    assert len(exported) == expected and exported[0]["result_key"] == rows[0]["result_key"]

    # Clearing the line brings the whole page back, in the body and the table.
    with qtbot.waitSignal(win.response.filter_applied) as cleared:
        line.edit.clear()
    assert cleared.args[0] is None
    assert win.response.body.body() == outcome.content
    assert table.row_count() == len(outcome.results)


def test_a_bad_filter_is_flagged_in_place_with_its_position(
    win: MainWindow,  # noqa: F811
    qtbot: Any,
) -> None:
    outcome = open_listing(qtbot, win, "contacts")
    type_filter(qtbot, win, "results[?name==]")
    line = win.response.filter_line
    assert line.error_label.isVisible()
    assert line.error_label.text() == "Unexpected “]” at character 16"
    assert line.edit.cursorPosition() == 16 and line.edit.selectedText() == "]"
    assert win.response.body.body() == outcome.content  # the response is left as it was
    qtbot.keyClicks(line.edit, "x")  # typing again clears the flag
    assert not line.error_label.isVisible()


def test_the_last_filter_comes_back_with_its_endpoint(
    win: MainWindow,  # noqa: F811
    qtbot: Any,
) -> None:
    open_listing(qtbot, win, "contacts")
    with qtbot.waitSignal(win.response.filter_applied):
        type_filter(qtbot, win, "results[].uuid")
    open_listing(qtbot, win, "flows")
    assert win.response.filter_line.text() == ""
    with qtbot.waitSignal(win.response.filter_applied, timeout=10000) as again:
        outcome = open_listing(qtbot, win, "contacts")
    assert win.response.filter_line.text() == "results[].uuid"
    assert again.args[0] == [c["uuid"] for c in outcome.results]
    assert win.settings.value("filters/contacts") == "results[].uuid"
