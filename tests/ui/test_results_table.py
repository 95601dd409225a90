"""The results table: a real page of contacts as rows, sorted, copied and exported."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from explorer.core.catalog import HttpMethod
from explorer.core.client import Outcome, send
from explorer.core.connection import Connection
from explorer.core.pagination import Pager
from explorer.core.request import Draft, build_request, prepare
from explorer.ui.results_table import ResultsTable, summarize


@pytest.fixture
def page(arun: Callable[..., Any], sandbox: Any) -> Outcome:
    async def go() -> Outcome:
        async with httpx.AsyncClient() as http:
            request = build_request(sandbox.base_url, sandbox.token, prepare(Draft("contacts")))
            return await send(http, request, base_url=sandbox.base_url)

    return arun(go())


@pytest.fixture
def table(qtbot: Any, page: Outcome) -> ResultsTable:
    widget = ResultsTable()
    qtbot.addWidget(widget)
    widget.resize(1000, 500)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.show_outcome(page)
    return widget


def cell(
    table: ResultsTable, row: int, column: str, role: int = Qt.ItemDataRole.DisplayRole
) -> Any:
    return table.model.index(row, table.columns.index(column)).data(role)


def test_rows_and_columns_as_the_catalog_orders_them(table: ResultsTable, page: Outcome) -> None:
    results = page.results or []
    assert table.objectName() == "resultsTable"
    assert table.row_count() == len(results) == 250
    assert table.columns[:4] == ["uuid", "name", "status", "language"]
    assert "ref" not in table.columns  # anonymous-only fields appear only when present
    assert table.count_label.text() == "250 records"


def test_nested_values_are_summarised_with_the_whole_value_in_the_tooltip(
    table: ResultsTable, page: Outcome
) -> None:
    results = page.results or []
    row = next(i for i, c in enumerate(results) if len(c["groups"]) >= 2)
    names = [g["name"] for g in results[row]["groups"]]
    shown = cell(table, row, "groups")
    assert shown == ", ".join(names)  # "Farmers, Over 30", not "2 items"
    tip = cell(table, row, "groups", Qt.ItemDataRole.ToolTipRole)
    assert json.loads(tip) == results[row]["groups"]  # uuids too, in full
    fields = cell(table, row, "fields")
    assert fields.startswith("{") and len(fields) <= 80
    assert (
        json.loads(cell(table, row, "fields", Qt.ItemDataRole.ToolTipRole))
        == results[row]["fields"]
    )
    assert summarize({"uuid": "x", "name": "Registration"}) == "Registration"
    assert summarize(["tel:+250788000001"]) == "tel:+250788000001"
    assert summarize(None) == "" and summarize(False) == "false"


def test_sorting_is_typed_and_keeps_nulls_last(qtbot: Any, table: ResultsTable) -> None:
    column = table.columns.index("name")
    table.view.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    names = [table.model.index(r, column).data(Qt.ItemDataRole.UserRole + 1) for r in range(250)]
    present = [n for n in names if n is not None]
    assert present == sorted(present, key=str.casefold)
    assert names[len(present) :] == [None] * (250 - len(present))

    # Numbers sort as numbers, not as text ("10" after "9").
    table.set_results([{"n": 10}, {"n": 9}, {"n": None}, {"n": 100}, {"n": 2.5}], endpoint=None)
    table.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [table.model.index(r, 0).data() for r in range(5)] == ["2.5", "9", "10", "100", ""]
    table.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert [table.model.index(r, 0).data() for r in range(4)][1:] == ["100", "10", "9"]


def test_ctrl_c_copies_the_selected_cells_as_tsv(
    qtbot: Any, table: ResultsTable, page: Outcome
) -> None:
    results = page.results or []
    select = table.view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select
    for r in (0, 1):
        for name in ("uuid", "groups"):
            select.select(table.model.index(r, table.columns.index(name)), flags)
    table.view.setFocus()
    copied: list[int] = []
    table.copied.connect(copied.append)
    qtbot.keyClick(table.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert copied == [4]
    lines = QGuiApplication.clipboard().text().split("\n")
    assert len(lines) == 2
    for line, record in zip(lines, results[:2], strict=True):
        uuid, groups = line.split("\t")
        assert uuid == record["uuid"]
        # Whole values, as JSON, not the summaries (quoted for TSV when they hold quotes).
        unquoted = groups[1:-1].replace('""', '"') if groups.startswith('"') else groups
        assert json.loads(unquoted) == record["groups"]


def test_exports_write_the_rows_as_shown(
    qtbot: Any, table: ResultsTable, page: Outcome, tmp_path: Path
) -> None:
    table.view.sortByColumn(table.columns.index("uuid"), Qt.SortOrder.DescendingOrder)
    expected = sorted((c["uuid"] for c in page.results or []), reverse=True)
    exported: list[str] = []
    table.exported.connect(exported.append)

    csv_path = tmp_path / "page.csv"
    assert table.export(csv_path)
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["uuid"] for r in rows] == expected
    assert list(rows[0]) == table.columns

    # Through the (non-modal) dialog, as a person would.
    jsonl_path = tmp_path / "page.jsonl"
    table.export_jsonl_action.trigger()  # the Export menu's JSON Lines; returns at once
    dialog = table.findChild(QFileDialog, "exportDialog")
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    dialog.selectFile(str(jsonl_path))
    dialog.accept()
    qtbot.waitUntil(jsonl_path.exists)
    lines = [json.loads(x) for x in jsonl_path.read_text("utf-8").splitlines()]
    assert [x["uuid"] for x in lines] == expected
    assert exported == [str(csv_path), str(jsonl_path)]


def test_export_failure_is_reported(table: ResultsTable, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    problems: list[str] = []
    table.export_failed.connect(problems.append)
    assert not table.export(blocker / "x.csv")
    assert problems and "Could not" in problems[0]


def test_paging_bar_follows_a_pager(
    qtbot: Any, arun: Callable[..., Any], sandbox: Any, table: ResultsTable
) -> None:
    prepared = prepare(Draft("contacts"))
    pager = Pager(Connection("Sandbox", sandbox.base_url, sandbox.token), prepared)

    async def go(which: str) -> Outcome | None:
        async with httpx.AsyncClient() as http:
            return await pager.go(http, which)

    table.next_requested.connect(lambda: table.show_page(pager, arun(go("next"))))
    table.previous_requested.connect(lambda: table.show_page(pager, arun(go("previous"))))
    table.show_page(pager, arun(go("first")))
    assert table.page_label.text() == "Page 1 · 1–250"
    assert not table.previous_button.isEnabled() and table.next_button.isEnabled()
    first_uuid = cell(table, 0, "uuid")
    qtbot.mouseClick(table.next_button, Qt.MouseButton.LeftButton)
    assert table.page_label.text() == "Page 2 · 251–500" and table.previous_button.isEnabled()
    assert cell(table, 0, "uuid") != first_uuid
    qtbot.mouseClick(table.previous_button, Qt.MouseButton.LeftButton)
    assert table.page_label.text() == "Page 1 · 1–250" and cell(table, 0, "uuid") == first_uuid


def test_a_single_object_is_one_row_and_a_refusal_clears_the_table(
    qtbot: Any, arun: Callable[..., Any], sandbox: Any
) -> None:
    async def go(draft: Draft) -> Outcome:
        async with httpx.AsyncClient() as http:
            request = build_request(sandbox.base_url, sandbox.token, prepare(draft))
            return await send(http, request, base_url=sandbox.base_url)

    widget = ResultsTable()
    qtbot.addWidget(widget)
    widget.show()
    widget.set_page("Page 2 · 251–500", has_previous=True, has_next=True)  # a listing before
    name = f"Table test {uuid.uuid4().hex[:8]}"  # the sandbox is shared: a name of its own
    created = arun(go(Draft("groups", HttpMethod.POST, body={"name": name})))
    assert created.status == 201
    assert widget.show_outcome(created)
    assert widget.row_count() == 1 and widget.count_label.text() == "1 record"
    assert widget.model.headerData(0, Qt.Orientation.Vertical) == "1"
    assert not widget.page_label.isVisible() and not widget.next_button.isVisible()
    assert cell(widget, 0, "name") == name
    assert widget.export_button.isEnabled()

    workspace = arun(go(Draft("workspace")))  # a GET that answers with one object
    assert widget.show_outcome(workspace) and widget.row_count() == 1
    assert cell(widget, 0, "name") == workspace.json["name"]

    refused = arun(go(Draft("groups", HttpMethod.DELETE, params={"uuid": str(uuid.uuid4())})))
    assert refused.status == 404
    assert not widget.show_outcome(refused)
    assert widget.row_count() == 0 and "not a page of results" in widget.count_label.text()
    assert not widget.export_button.isEnabled()


def test_row_numbers_go_on_across_pages(
    qtbot: Any, arun: Callable[..., Any], sandbox: Any, table: ResultsTable
) -> None:
    pager = Pager(
        Connection("Sandbox", sandbox.base_url, sandbox.token), prepare(Draft("contacts"))
    )

    async def go(which: str) -> Outcome | None:
        async with httpx.AsyncClient() as http:
            return await pager.go(http, which)

    def number(row: int) -> str:
        return table.model.headerData(row, Qt.Orientation.Vertical)

    table.show_page(pager, arun(go("first")))
    assert (number(0), number(249)) == ("1", "250")
    table.show_page(pager, arun(go("next")))
    assert (number(0), number(249)) == ("251", "500")  # as the paging bar says: 251–500
    table.show_outcome(arun(go("first")))  # not through the pager: numbered from 1 again
    assert number(0) == "1"


def test_export_says_where_it_wrote_or_why_not(table: ResultsTable, tmp_path: Path) -> None:
    assert table.export_note.isHidden()
    path = tmp_path / "contacts.csv"
    assert table.export(path)
    assert table.export_note.isVisible()
    assert table.export_note.text() == f"Exported 250 records to {path}"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert not table.export(blocker / "x.jsonl")
    assert table.export_note.text().startswith("Not exported: Could not")


def test_a_page_of_a_million_records_shows_its_last_row(qtbot: Any) -> None:
    widget = ResultsTable()
    qtbot.addWidget(widget)
    widget.resize(800, 400)
    widget.show()
    records = [{"i": i} for i in range(1_000_000)]
    widget.set_results(records, endpoint=None, keys=("i",))
    assert widget.row_count() == 1_000_000
    assert widget.count_label.text() == "1,000,000 records"
    widget.view.scrollToBottom()
    last = widget.model.index(999_999, 0)
    assert last.data() == "999999"
    assert widget.model.headerData(999_999, Qt.Orientation.Vertical) == "1,000,000"
    assert widget.view.rowAt(widget.view.viewport().height() - 2) >= 999_990  # on screen


def test_sorting_keeps_the_selected_record_selected_and_numbered(qtbot: Any) -> None:
    widget = ResultsTable()
    qtbot.addWidget(widget)
    widget.show()
    widget.set_results([{"n": 3}, {"n": 1}, {"n": 2}], endpoint=None)
    widget.view.selectionModel().select(
        widget.model.index(0, 0), QItemSelectionModel.SelectionFlag.Select
    )
    widget.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [widget.model.index(r, 0).data() for r in range(3)] == ["1", "2", "3"]
    selected = widget.view.selectionModel().selectedIndexes()
    assert [(i.row(), i.data()) for i in selected] == [(2, "3")]  # the same record, moved
    assert widget.model.headerData(2, Qt.Orientation.Vertical) == "1"  # still record 1
    assert widget.records_in_view_order() == [{"n": 1}, {"n": 2}, {"n": 3}]
    widget.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    assert widget.records_in_view_order() == [{"n": 3}, {"n": 1}, {"n": 2}]


def test_columns_fit_their_values_up_to_a_limit(qtbot: Any) -> None:
    widget = ResultsTable()
    qtbot.addWidget(widget)
    widget.show()
    widget.set_results([{"name": "Nadia Kimani", "note": "x" * 500, "n": 1}], endpoint=None)
    header = widget.view.horizontalHeader()
    text_width = widget.view.fontMetrics().horizontalAdvance("Nadia Kimani")
    assert header.sectionSize(widget.columns.index("name")) > text_width  # shown whole
    assert header.sectionSize(widget.columns.index("note")) == 320  # a long note is cut
    assert header.sectionSize(widget.columns.index("n")) >= header.sectionSizeHint(2)
