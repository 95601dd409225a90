"""The bulk view: send one POST per row of a spreadsheet, from any POST form.

A window of its own (opened by "Send for each row of a file…"): choose a CSV or XLSX file
(and its sheet), see and change the mapping of columns to fields, check every row (the bad
cells with their messages, the counts, and the first request exactly as it would be sent),
then start — on a real workspace only after a confirmation in words — and follow the
progress (requests done and left, the wait of a rate limit, the time still to go) with
Pause, Resume and Cancel, ending with the results file. All the work is the Qt-free
:mod:`explorer.bulk`; checking runs on a worker thread so the window never stalls.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.ui import status
from explorer.ui.bulk_mapping import BulkMapping
from explorer.ui.errors import guarded
from explorer.ui.operation import Operation

if TYPE_CHECKING:
    import httpx

    from explorer.bulk.check import Facts
    from explorer.bulk.engine import BulkEngine, Progress, RunEnd
    from explorer.bulk.journal import Job
    from explorer.bulk.mapping import Mapping
    from explorer.bulk.plan import PlanInput, PlanSummary
    from explorer.bulk.results import Tally
    from explorer.bulk.source import Source
    from explorer.core.catalog import HttpMethod
    from explorer.core.connection import Connection
    from explorer.core.ratelimit import BudgetMeter

log = logging.getLogger(__name__)

FILE_FILTER = "Spreadsheets (*.csv *.txt *.xlsx *.xlsm *.xls *.ods);;All files (*)"


class BulkView(QWidget):
    """One bulk run of one POST form, from file to results.

    Signals:
        run_finished(str): a run ended (finished, cancelled or stopped); the path of its
            results file.
    """

    run_finished = Signal(str)

    def __init__(
        self,
        endpoint: str,
        method: HttpMethod,
        connection: Connection,
        http: httpx.AsyncClient | None,
        meter: BudgetMeter | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setObjectName("bulkView")
        self.setWindowTitle(f"Send for each row of a file — {method} {endpoint}")
        self.endpoint, self.method = endpoint, method
        self.connection, self.http, self.meter = connection, http, meter
        self.source: Source | None = None
        self.facts: Facts | None = None
        self.summary: PlanSummary | None = None
        self.checked_mapping: Mapping | None = None
        self.engine: BulkEngine | None = None
        self.results_path: Path | None = None
        self._unfinished: Job | None = None  # read once per file, not at every click
        self._build()
        self._connect()
        self._update_buttons()

    # --- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.file_label = QLabel("Choose a CSV or Excel file: one request is sent per row.")
        self.file_label.setObjectName("bulkFile")
        self.file_label.setWordWrap(True)
        self.choose_button = QPushButton("&Choose file…")
        self.sheet_label = QLabel("Sheet:")
        self.sheet = QComboBox()
        self.sheet.setAccessibleName("Sheet")
        self.mapping_table = BulkMapping()
        self.counts = QLabel("Check the rows to see which are ready.")
        self.counts.setObjectName("bulkCounts")
        self.counts.setWordWrap(True)
        self.bad_rows = _bad_rows_table()
        self.first_request = QPlainTextEdit()
        self.first_request.setObjectName("bulkFirstRequest")
        self.first_request.setReadOnly(True)
        self.first_request.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.first_request.setPlaceholderText(
            "Once the rows are checked, the first request shows here exactly as it will be sent."
        )
        self.tabs = QTabWidget()
        self.tabs.addTab(self.mapping_table, "&Mapping")
        checked = QWidget()
        box = QVBoxLayout(checked)
        box.addWidget(self.counts)
        box.addWidget(self.bad_rows, 1)
        self.tabs.addTab(checked, "Checked &rows")
        self.tabs.addTab(self.first_request, "&First request")
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.progress_text = QLabel()
        self.progress_text.setObjectName("bulkProgress")
        self.progress_text.setWordWrap(True)
        self.results_text = QLabel()
        self.results_text.setObjectName("bulkResults")
        self.results_text.setWordWrap(True)
        self.results_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_button = QPushButton("C&heck rows")
        self.check_button.setToolTip(
            "Check every row as the form would, and show the first request: nothing is sent"
        )
        self.start_button = QPushButton("&Start…")
        self.resume_button = QPushButton("Contin&ue the unfinished run")
        self.pause_button = QPushButton("&Pause")
        self.cancel_button = QPushButton("Cancel")
        self._lay_out()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(self.sheet_label)
        top.addWidget(self.sheet)
        top.addWidget(self.choose_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addStretch(1)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.results_text)
        layout.addLayout(buttons)
        self.sheet_label.hide()
        self.sheet.hide()
        self.progress_bar.hide()
        self.resize(900, 600)

    def _connect(self) -> None:
        self.choose_button.clicked.connect(self.choose_file)
        self.sheet.activated.connect(lambda _i: self._reopen_sheet())
        self.mapping_table.mapping_changed.connect(self._mapping_changed)
        self.check_button.clicked.connect(self.check)
        self.start_button.clicked.connect(self.start)
        self.resume_button.clicked.connect(self.resume)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button.clicked.connect(self.cancel)

    # --- the file -------------------------------------------------------------------------------

    def choose_file(self) -> None:
        dialog = QFileDialog(self, "Rows to send", "", FILE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.open_file(Path(path)))
        dialog.open()  # never exec(): a nested loop would stall the app's tasks

    def open_file(self, path: Path, sheet: str | None = None) -> None:
        """Read ``path``'s headers (and the workspace's groups and fields), then map them."""
        Operation(self, self._open(path, sheet), doing="reading the file").success(
            self._opened
        ).failure(self._show_problem).run()

    async def _open(self, path: Path, sheet: str | None) -> tuple[Source, Facts]:
        import asyncio

        from explorer.bulk.check import Facts
        from explorer.bulk.jobs import read_facts
        from explorer.bulk.source import open_source

        source = await asyncio.to_thread(open_source, path, sheet)
        facts = self.facts
        if facts is None:
            facts = Facts() if self.http is None else await read_facts(self.connection, self.http)
        return source, facts

    def _opened(self, result: tuple[Source, Facts]) -> None:
        from explorer.bulk.mapping import auto_mapping
        from explorer.bulk.plan import input_headers

        self.source, self.facts = result
        source = self.source
        headers = input_headers(source)
        mapping = auto_mapping(self.endpoint, self.method, headers, self.facts.field_key_list)
        saved = self._unfinished = self._unfinished_job()
        earlier = saved or self._earlier_job()
        if earlier is not None:
            mapping = earlier.mapping  # the mapping this file was sent with (or tried on)
        self.mapping_table.show_mapping(mapping, headers, self.facts.field_key_list)
        rerun = " · a results file: only its failed and unsent rows are sent" if (
            headers != source.headers
        ) else ""
        self.file_label.setText(f"{source.describe()}{rerun}")
        self.sheet.blockSignals(True)
        self.sheet.clear()
        self.sheet.addItems(list(source.sheets))
        self.sheet.setCurrentText(source.sheet or "")
        self.sheet.blockSignals(False)
        self.sheet.setVisible(len(source.sheets) > 1)
        self.sheet_label.setVisible(len(source.sheets) > 1)
        self._forget_check()
        self.results_text.setText(
            f"An unfinished run of this file was started on {saved.created[:16]} "
            "(Continue the unfinished run)." if saved is not None else ""
        )
        self._update_buttons()

    def _reopen_sheet(self) -> None:
        if self.source is not None:
            self.open_file(self.source.path, self.sheet.currentText())

    def _earlier_job(self) -> Job | None:
        """The latest run of this file with this form on any workspace (the sandbox first)."""
        from explorer.bulk.journal import saved_jobs

        assert self.source is not None
        return next(
            (j for j in saved_jobs(self.source.path)
             if (j.mapping.endpoint, j.mapping.method) == (self.endpoint, self.method)),
            None,
        )

    def _unfinished_job(self) -> Job | None:
        from explorer.bulk.jobs import is_finished
        from explorer.bulk.journal import load_job
        from explorer.store.errors import StoreError

        if self.source is None:
            return None
        try:
            job = load_job(self.source.path, self.connection.name)
        except StoreError:
            return None
        return job if job is not None and not is_finished(job) else None

    # --- checking -------------------------------------------------------------------------------

    def _mapping_changed(self) -> None:
        self._forget_check()
        self._update_buttons()

    def _forget_check(self) -> None:
        self.summary = self.checked_mapping = None
        self.counts.setText("Check the rows to see which are ready.")
        self.bad_rows.setRowCount(0)
        self.first_request.clear()

    def _plan_input(self) -> PlanInput:
        from explorer.bulk.plan import PlanInput

        assert self.source is not None
        return PlanInput(
            self.source,
            self.mapping_table.mapping(),
            self.connection.default_country,
            self.facts,
        )

    def check(self) -> None:
        """Check every row (on a worker thread) and show what would be sent; sends nothing."""
        if self.source is None:
            return
        given = self._plan_input()
        self.counts.setText("Checking every row…")
        self.check_button.setEnabled(False)
        Operation(self, _check(given), doing="checking the rows").success(
            lambda summary: self._checked(given.mapping, summary)
        ).failure(self._show_problem).finally_(self._update_buttons).run()

    def _checked(self, mapping: Mapping, summary: PlanSummary) -> None:
        from explorer.bulk.jobs import describe_run

        self.summary, self.checked_mapping = summary, mapping
        self.counts.setText(
            f"{summary.rows:,} rows checked: {summary.ready:,} ready, "
            f"{summary.invalid_count:,} invalid (never sent)."
            + (f" Sending would {describe_run(mapping, summary, self.connection)}."
               if summary.ready else "")
        )
        self._show_bad_rows(summary)
        self.first_request.setPlainText(self._first_request_text(summary))
        self.tabs.setCurrentIndex(1 if summary.invalid_count or not summary.ready else 2)

    def _show_bad_rows(self, summary: PlanSummary) -> None:
        lines = [(c.row.number, where, message) for c in summary.invalid
                 for where, message in c.errors]
        self.bad_rows.setRowCount(len(lines))
        for i, (number, where, message) in enumerate(lines):
            for column, text in enumerate((str(number), where, message)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.bad_rows.setItem(i, column, item)

    def _first_request_text(self, summary: PlanSummary) -> str:
        from explorer.core.catalog import catalog
        from explorer.core.request import Prepared, preview_text

        first = summary.first
        if first is None:
            return "No row is ready: nothing would be sent."
        prepared = Prepared(catalog()[self.endpoint], self.method, tuple(first.query), first.body)
        rows = ", ".join(map(str, first.rows[:10])) + ("…" if len(first.rows) > 10 else "")
        which = f"row {rows}" if len(first.rows) == 1 else f"rows {rows}"
        conn = self.connection
        text = preview_text(conn.base_url, prepared, has_token=bool(conn.token))
        return f"The first request ({which}), exactly as it will be sent:\n\n{text}"

    # --- running --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the run: on a real workspace, only after saying what it will do."""
        summary = self.summary
        if summary is None or self.checked_mapping != self.mapping_table.mapping():
            self.check()
            return
        if not summary.ready:
            return
        if self.connection.is_sandbox:
            self._begin()
            return
        from explorer.bulk.jobs import describe_run
        from explorer.ui.confirm import LARGE_REACH, said_yes, warning_box

        assert self.checked_mapping is not None
        words = f"This will {describe_run(self.checked_mapping, summary, self.connection)}."
        details = (
            "It acts on the workspace's real data. Invalid rows are not sent. You can pause "
            "or cancel it, and continue it later."
        )
        if summary.ready > LARGE_REACH:  # as for one request reaching as many contacts
            from PySide6.QtWidgets import QDialog

            from explorer.ui.typed_name_dialog import TypedNameDialog

            dialog = TypedNameDialog(
                words, self.connection.name, go="Start", details=details, parent=self
            )
            dialog.finished.connect(
                lambda r: self._begin() if r == QDialog.DialogCode.Accepted else None
            )
            dialog.open()
            self.confirmation: QWidget = dialog  # for tests and the self-test
            return
        box = warning_box(self, "Send for each row", words, details=details, yes="Start")
        box.finished.connect(lambda _r: self._begin() if said_yes(box) else None)
        box.open()
        self.confirmation = box

    def _begin(self) -> None:
        given = self._plan_input()
        self._running(True)
        Operation(self, self._start_and_run(given), doing="sending for each row").success(
            self._ended
        ).failure(self._failed).run()

    def resume(self) -> None:
        """Continue the unfinished run of the file, with the mapping it started with."""
        if self.source is None:
            return
        self._running(True)
        work = self._resume_and_run(self.source.path)
        Operation(self, work, doing="continuing the run").success(self._ended).failure(
            self._failed
        ).run()

    async def _start_and_run(self, given: PlanInput) -> tuple[RunEnd, Tally, Path]:
        import asyncio

        from explorer.bulk.jobs import start_job

        job, _summary = await asyncio.to_thread(start_job, given, self.connection)
        return await self._run(job, given.source)

    async def _resume_and_run(self, path: Path) -> tuple[RunEnd, Tally, Path]:
        import asyncio

        from explorer.bulk.jobs import resume_job

        job, source = await asyncio.to_thread(resume_job, path, self.connection)
        return await self._run(job, source)

    async def _run(self, job: Job, source: Source) -> tuple[RunEnd, Tally, Path]:
        import asyncio

        from explorer.bulk.engine import BulkEngine, Hooks
        from explorer.bulk.journal import results_path_for
        from explorer.bulk.results import write_results
        from explorer.core.client import make_http_client

        http = self.http or make_http_client()
        self.engine = BulkEngine(
            job, self.connection, http, meter=self.meter, hooks=Hooks(progress=self._progress)
        )
        path = results_path_for(job.input_path)
        try:
            end = await self.engine.run()
        finally:
            tally = await asyncio.to_thread(write_results, job, source, path)
            if self.http is None:
                await http.aclose()
        return end, tally, path

    def _progress(self, p: Progress) -> None:
        from explorer.bulk.jobs import duration_text
        from explorer.core.ratelimit import format_wait

        self.progress_bar.setMaximum(max(1, p.total))
        self.progress_bar.setValue(p.done)
        parts = [f"{p.done:,} of {p.total:,} requests done, {p.left:,} left",
                 f"rows: {p.rows_ok:,} done, {p.rows_failed:,} failed"]
        if p.paused:
            parts.append("paused")
        elif p.waiting:
            parts.append(f"waiting {format_wait(p.waiting)}: {p.reason}")
        if p.left and not p.paused:
            parts.append(f"{duration_text(p.estimate)} to go")
        self.progress_text.setText(" · ".join(parts))

    def _ended(self, result: tuple[RunEnd, Tally, Path]) -> None:
        end, tally, path = result
        self.engine = None
        self.results_path = path
        how = {"finished": "Done", "cancelled": "Cancelled", "stopped": "Stopped"}[end.state]
        text = f"{how}: {tally.text()}. Results: {path}"
        if end.message and end.state == "stopped":
            text += f"\nThe workspace stopped answering ({end.message}); continue the run later."
        if tally.uncertain_rows:
            rows = ", ".join(map(str, tally.uncertain_rows[:20]))
            text += (f"\nUncertain, not sent again (check them in the workspace): rows {rows}")
        self.results_text.setText(text)
        self._running(False)
        status.show(self, f"{how}: {tally.text()}")
        self.run_finished.emit(str(path))

    def _failed(self, exc: Exception) -> None:
        self.engine = None
        self._running(False)
        self._show_problem(exc)

    def toggle_pause(self) -> None:
        engine = self.engine
        if engine is None:
            return
        if engine.progress.paused:
            engine.resume()
            self.pause_button.setText("&Pause")
        else:
            engine.pause()
            self.pause_button.setText("Res&ume")

    def cancel(self) -> None:
        """Stop after the request on its way; what is left stays unsent and can be continued."""
        if self.engine is not None:
            self.engine.cancel()
            self.progress_text.setText("Stopping after the request on its way…")

    def _running(self, running: bool) -> None:
        if not running:
            self._unfinished = self._unfinished_job()  # a cancelled run can be continued
        self.progress_bar.setVisible(True)
        self._is_running = running
        self.pause_button.setText("&Pause")
        self._update_buttons()

    # --- state ----------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        running = getattr(self, "_is_running", False)
        has_file = self.source is not None
        self.choose_button.setEnabled(not running)
        self.mapping_table.setEnabled(not running)
        self.check_button.setEnabled(has_file and not running)
        self.start_button.setEnabled(has_file and not running)
        self.resume_button.setVisible(self._unfinished is not None and not running)
        self.pause_button.setVisible(running)
        self.cancel_button.setVisible(running)

    def _show_problem(self, exc: Exception) -> None:
        message = getattr(exc, "message", None) or str(exc)
        log.info("bulk: %s", message)
        self.results_text.setText(message)
        if self.summary is None and self.source is not None:
            self.counts.setText(message)
        status.show(self, message)

    @guarded("closing the bulk view")
    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel()  # the request on its way finishes; the rest can be continued later
        super().closeEvent(event)


async def _check(given: PlanInput) -> PlanSummary:
    import asyncio

    from explorer.bulk.plan import make_plan

    return await asyncio.to_thread(make_plan, given)


def _bad_rows_table() -> QTableWidget:
    table = QTableWidget(0, 3)
    table.setObjectName("bulkBadRows")
    table.setAccessibleName("Rows that will not be sent")
    table.setHorizontalHeaderLabels(["Row", "Column", "Problem"])
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
    return table
