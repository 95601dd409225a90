"""The bulk view on the sandbox: open a file, change the mapping, check, confirm, run."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from explorer.core.catalog import HttpMethod, catalog
from explorer.core.client import make_http_client
from explorer.core.connection import Connection
from explorer.ui.bulk_mapping import ONE_VALUE
from explorer.ui.bulk_view import BulkView
from explorer.ui.main_window import MainWindow


def people_csv(path: Path, tag: str, count: int = 30) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["Full name", "Phone", "Language"])
        for i in range(count):
            phone = "12" if i in (4, 9) else f"+25072{int(tag, 16) % 1000:03d}{i:04d}"
            writer.writerow([f"{tag} {i}", phone, "eng" if i != 9 else "qqq"])
    return path


@pytest.fixture
def view(qtbot: Any, qloop: Any, fresh_sandbox: Any, http: Any) -> Iterator[BulkView]:
    # A sandbox of its own: the session's keeps its 1,000 contacts for the tests that count.
    conn = Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token, is_sandbox=True)
    widget = BulkView("contacts", HttpMethod.POST, conn, http)
    qtbot.addWidget(widget)
    widget.resize(1024, 640)
    widget.show()
    yield widget


def opened(qtbot: Any, view: BulkView, path: Path) -> None:
    view.open_file(path)
    qtbot.waitUntil(lambda: view.source is not None, timeout=10_000)


def test_map_check_and_run_a_file_on_the_sandbox(
    qtbot: Any, view: BulkView, tmp_path: Path, fresh_sandbox: Any
) -> None:
    tag = uuid.uuid4().hex[:6]
    path = people_csv(tmp_path / "people.csv", tag)
    opened(qtbot, view, path)
    assert "people.csv (UTF-8, semicolons between columns)" in view.file_label.text()
    mapping = view.mapping_table.mapping()
    assert mapping.column_of("language") == "Language" and "name" not in mapping.rules
    table = view.mapping_table
    shown = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert {"fields.district", "fields.ward"} <= set(shown)  # the workspace's field keys
    view.mapping_table.set_source("name", "Column: Full name")
    view.mapping_table.set_source("urns", "Column: Phone")
    view.mapping_table.set_source("groups", ONE_VALUE, "Farmers")

    view.check()
    qtbot.waitUntil(lambda: view.summary is not None, timeout=10_000)
    assert view.counts.text().startswith("30 rows checked: 28 ready, 2 invalid (never sent).")
    problems = [view.bad_rows.item(r, 2).text() for r in range(view.bad_rows.rowCount())]
    rows = [view.bad_rows.item(r, 0).text() for r in range(view.bad_rows.rowCount())]
    assert rows == ["6", "11", "11"]  # the second bad row has two bad cells
    assert "qqq" in problems[2] or "qqq" in problems[1]
    first = view.first_request.toPlainText()
    assert first.startswith("The first request (row 2), exactly as it will be sent:")
    assert f'"name": "{tag} 0"' in first and '"Farmers"' in first
    assert fresh_sandbox.token not in first
    view.grab().save(str(tmp_path / "bulk-checked.png"))

    view.start()  # the sandbox: no question asked
    qtbot.waitUntil(lambda: view.results_path is not None, timeout=30_000)
    assert view.results_text.text().startswith("Done: 28 created, 2 invalid. Results: ")
    assert "28 of 28 requests done, 0 left" in view.progress_text.text()
    with view.results_path.open(encoding="utf-8") as f:
        results = list(csv.DictReader(f))
    assert [r["result"] for r in results].count("created") == 28
    view.grab().save(str(tmp_path / "bulk-done.png"))


def test_a_real_workspace_asks_in_words_first_and_cancel_sends_nothing(
    qtbot: Any, qloop: Any, sandbox: Any, http: Any, tmp_path: Path
) -> None:
    real = Connection("Ministry of Health", sandbox.base_url, sandbox.token,
                      rate_limit_per_hour=2500)
    view = BulkView("contacts", HttpMethod.POST, real, http)
    qtbot.addWidget(view)
    view.show()
    from explorer.bulk.jobs import start_job
    from explorer.bulk.mapping import Mapping, Rule
    from explorer.bulk.plan import PlanInput
    from explorer.bulk.source import open_source

    path = people_csv(tmp_path / "moh.csv", uuid.uuid4().hex[:6], count=3)
    tried = Mapping("contacts", HttpMethod.POST, {"urns": Rule("column", "Phone")})
    start_job(PlanInput(open_source(path), tried), Connection("Sandbox", "http://127.0.0.1:9",
                                                                None, is_sandbox=True))
    opened(qtbot, view, path)
    assert view.mapping_table.mapping() == tried  # as it was tried on the sandbox
    view.check()
    qtbot.waitUntil(lambda: view.summary is not None, timeout=10_000)
    view.start()
    box = view.confirmation
    assert box.text() == (
        "This will create or update 3 contacts in Ministry of Health, in 3 requests, "
        "under a minute at 2,500/hour."
    )
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(50)
    assert not (tmp_path / "moh.bulk" / "Ministry-of-Health").exists()  # nothing planned
    assert view.results_path is None


def test_every_post_form_offers_send_for_each_row(
    qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path
) -> None:
    http = make_http_client()
    settings = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog(), http, settings)
    qtbot.addWidget(win)
    win.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, is_sandbox=True))
    win.resize(1024, 640)
    win.show()
    win.request_panel.show_endpoint("contacts")
    win.request_panel.select_method(HttpMethod.GET)
    button = win.request_panel.bulk_button
    assert not button.isVisible()
    win.request_panel.select_method(HttpMethod.POST)
    assert button.isVisible() and button.accessibleName() == "Send for each row of a file"
    qtbot.wait(20)
    assert win.width() == 1024  # the form's rows still fit a 1024-pixel screen
    button.click()
    assert win.bulk_view.isVisible()
    assert win.bulk_view.windowTitle() == "Send for each row of a file — POST contacts"
    win.grab().save(str(tmp_path / "window-post.png"))
    win.bulk_view.close()
    win.ask_before_close = False
    win.close()


def test_an_unfinished_run_is_offered_and_continued(
    qtbot: Any, view: BulkView, tmp_path: Path
) -> None:
    from explorer.bulk.jobs import start_job
    from explorer.bulk.mapping import Mapping, Rule
    from explorer.bulk.plan import PlanInput
    from explorer.bulk.source import open_source

    tag = uuid.uuid4().hex[:6]
    path = people_csv(tmp_path / "later.csv", tag, count=5)
    mapping = Mapping("contacts", HttpMethod.POST, {"name": Rule("column", "Full name"),
                                                     "urns": Rule("column", "Phone")})
    start_job(PlanInput(open_source(path), mapping), view.connection)  # then the app closed
    opened(qtbot, view, path)
    assert view.resume_button.isVisible()
    assert "An unfinished run of this file was started on" in view.results_text.text()
    assert view.mapping_table.mapping().rules == mapping.rules  # the run's own mapping
    view.resume_button.click()
    qtbot.waitUntil(lambda: view.results_path is not None, timeout=20_000)
    assert view.results_text.text().startswith("Done: 4 created, 1 invalid.")
    assert not view.resume_button.isVisible()


def test_a_large_run_on_a_real_workspace_needs_its_name_typed(
    qtbot: Any, qloop: Any, sandbox: Any, http: Any, tmp_path: Path
) -> None:
    from explorer.ui.typed_name_dialog import TypedNameDialog

    real = Connection("Ministry of Health", sandbox.base_url, sandbox.token)
    view = BulkView("contacts", HttpMethod.POST, real, http)
    qtbot.addWidget(view)
    view.show()
    opened(qtbot, view, people_csv(tmp_path / "big.csv", uuid.uuid4().hex[:6], count=1200))
    view.mapping_table.set_source("urns", "Column: Phone")
    view.check()
    qtbot.waitUntil(lambda: view.summary is not None, timeout=20_000)
    view.start()
    dialog = view.confirmation
    assert isinstance(dialog, TypedNameDialog)
    assert dialog.question.text().startswith("This will create or update 1,198 contacts in "
                                             "Ministry of Health, in 1,198 requests, about")
    dialog.reject()
    qtbot.wait(50)
    assert not (tmp_path / "big.bulk" / "Ministry-of-Health").exists()
