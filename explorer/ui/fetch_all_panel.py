"""Fetch all: every page of the current listing into one JSON Lines or CSV file, resumable.

The panel runs :func:`explorer.core.pagination.fetch_all` as an asyncio task on the app's
loop, shows pages, records, time spent and (when it can be known) time left, waits out rate
limits with a countdown, and lists the fetches of the current request that can be resumed.
"""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.catalog import Pagination
from explorer.core.connection import Connection
from explorer.core.export import CSV, JSONL, format_for_path
from explorer.core.pagination import (
    FETCH_RETRY,
    FetchFailed,
    FetchHooks,
    FetchState,
    Progress,
    estimate_total,
    fetch_all,
    pagination_of,
)
from explorer.core.ratelimit import format_wait
from explorer.core.request import Prepared, request_url
from explorer.core.retry import NO_RETRY
from explorer.store import fetch_state
from explorer.store.errors import StoreError
from explorer.ui.operation import Operation

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
OK_COLOUR, BAD_COLOUR, WAIT_COLOUR = "#2e7d32", "#c62828", "#e65100"


@dataclass(frozen=True)
class _Target:
    """What Start would fetch: a paged GET on a connection (its repr hides the token)."""

    connection: Connection
    prepared: Prepared

    @property
    def workspace(self) -> str:
        return self.connection.name

    @property
    def base_url(self) -> str:
        return self.connection.base_url

    @property
    def deadline(self) -> float | None:
        return self.connection.deadline


class FetchAllPanel(QWidget):
    """Fetch every page of the current GET listing to a file, with progress and resume.

    Give it the HTTP client (:meth:`set_http`) and the current request
    (:meth:`set_request`); the user picks a file and a format and presses Start. Cancel
    keeps what was written; Resume continues from the last saved page.

    Signals:
        started(): a fetch started or resumed.
        finished(str): the output file is complete (its path).
        failed(str): the fetch stopped; why, in a sentence (it can be resumed).
        cancelled(): the user cancelled; what was written is kept for resuming.
        progressed(object): a Progress after each page (pages, records, time, time left).
        waiting(int): the server's rate limit asks to wait this many seconds (once per wait).
        response_received(object): an Outcome of a request the fetch sent (for the budget).
    """

    started = Signal()
    finished = Signal(str)
    failed = Signal(str)
    cancelled = Signal()
    progressed = Signal(object)
    waiting = Signal(int)
    response_received = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fetchAllPanel")
        self.setAccessibleName("Fetch all pages")
        self.http: httpx.AsyncClient | None = None
        self._target: _Target | None = None
        self._operation: Operation[None] | None = None
        self._state: FetchState | None = None
        self._waiting = False
        self.last_progress: Progress | None = None
        self._dialog: QFileDialog | None = None
        self._build_request_controls()
        self._build_progress()
        self._build_resumable()
        self._lay_out()
        self.set_request(None)

    def _build_request_controls(self) -> None:
        """What to fetch, where to, and the buttons that start and stop it."""
        self.target_label = QLabel(self)
        self.target_label.setObjectName("fetchTarget")
        self.target_label.setWordWrap(True)
        self.target_label.setTextFormat(Qt.TextFormat.RichText)

        self.output_edit = QLineEdit(self)
        self.output_edit.setObjectName("fetchOutput")
        self.output_edit.setAccessibleName("Output file")
        self.output_edit.setPlaceholderText("Choose a file to write every record to")
        self.output_edit.textChanged.connect(self._update_buttons)
        self.browse_button = QPushButton("Choose…", self)
        self.browse_button.setObjectName("fetchChooseButton")
        self.browse_button.clicked.connect(self.choose_output)
        self.format_combo = QComboBox(self)
        self.format_combo.setObjectName("fetchFormat")
        self.format_combo.setAccessibleName("Format")
        self.format_combo.addItem("JSON Lines (.jsonl): every field as sent", JSONL)
        self.format_combo.addItem("CSV (.csv): one column per field, nested values as JSON", CSV)
        self.format_combo.currentIndexChanged.connect(self._on_format)
        self.auto_retry = QCheckBox("Wait out rate limits and continue", self)
        self.auto_retry.setObjectName("fetchAutoRetry")
        self.auto_retry.setChecked(True)

        self.start_button = QPushButton("Start", self)
        self.start_button.setObjectName("fetchStartButton")
        self.start_button.setAccessibleName("Start fetching all pages")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("fetchCancelButton")
        self.cancel_button.setAccessibleName("Cancel fetching")
        self.cancel_button.clicked.connect(self.cancel)

    def _build_progress(self) -> None:
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("fetchProgress")
        self.progress_bar.setAccessibleName("Fetch progress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("fetchStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.wait_label = QLabel(self)
        self.wait_label.setObjectName("fetchWait")
        self.wait_label.setStyleSheet(
            f"background: #fff3e0; color: {WAIT_COLOUR}; padding: 4px; border-radius: 3px;"
        )
        self.wait_label.hide()

    def _build_resumable(self) -> None:
        """The stopped fetches of the current request, to resume or forget."""
        self.resumable = QListWidget(self)
        self.resumable.setObjectName("resumableFetches")
        self.resumable.setAccessibleName("Fetches that can be resumed")
        self.resumable.setMaximumHeight(110)
        self.resumable.itemSelectionChanged.connect(self._update_buttons)
        self.resumable.itemDoubleClicked.connect(lambda _item: self.resume())
        self.resume_button = QPushButton("Resume", self)
        self.resume_button.setObjectName("fetchResumeButton")
        self.resume_button.setAccessibleName("Resume the selected fetch")
        self.resume_button.clicked.connect(lambda _checked=False: self.resume())
        self.forget_button = QPushButton("Forget", self)
        self.forget_button.setObjectName("fetchForgetButton")
        self.forget_button.setToolTip("Forget the selected fetch (its file is kept)")
        self.forget_button.clicked.connect(self.forget_selected)
        self.resumable_label = QLabel("Stopped fetches of this request:", self)

    def _lay_out(self) -> None:
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit, 1)
        output_row.addWidget(self.browse_button)
        form = QFormLayout()
        file_label = QLabel("Fi&le:", self)
        file_label.setBuddy(self.output_edit)
        form.addRow(file_label, output_row)
        form.addRow("Forma&t:", self.format_combo)
        form.addRow("", self.auto_retry)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        resume_buttons = QHBoxLayout()
        resume_buttons.addStretch(1)
        resume_buttons.addWidget(self.forget_button)
        resume_buttons.addWidget(self.resume_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.target_label)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.wait_label)
        layout.addWidget(self.resumable_label)
        layout.addWidget(self.resumable)
        layout.addLayout(resume_buttons)
        layout.addStretch(1)

    # --- what to fetch ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._operation is not None and self._operation.running

    @property
    def workspace(self) -> str:
        """The workspace of the running fetch, else of the current request ("" if none)."""
        if self.running and self._state is not None:
            return self._state.workspace
        return self._target.workspace if self._target is not None else ""

    @property
    def output(self) -> str:
        return self.output_edit.text().strip()

    @property
    def format(self) -> str:
        return str(self.format_combo.currentData())

    def set_http(self, http: httpx.AsyncClient | None) -> None:
        self.http = http

    def set_request(
        self,
        prepared: Prepared | None,
        connection: Connection | None = None,
    ) -> None:
        """The request Start would fetch, on ``connection`` (None for either, or not a paged
        GET: Start is off, saying why).

        A running fetch is not affected: it keeps the request it started with.
        """
        paged = prepared is not None and pagination_of(prepared) is not Pagination.NONE
        if prepared is not None and connection is not None and paged:
            target = _Target(connection, prepared)
            if target == self._target:
                return  # the form changed elsewhere: nothing to re-read
            self._target = target
            url = request_url(connection.base_url, prepared)
            self.target_label.setText(
                f"Every page of <code>GET {html.escape(url)}</code> "
                f"from <b>{html.escape(connection.name or connection.base_url)}</b>"
            )
        else:
            self._target = None
            self.target_label.setText(
                "Fetch all works on a GET of a listing: choose one, e.g. GET contacts."
            )
        self.refresh_resumable()
        self._update_buttons()

    def set_output(self, path: str | Path, fmt: str | None = None) -> None:
        """Where to write (the format follows a .csv/.jsonl name unless ``fmt`` says)."""
        text = str(path)
        self.output_edit.setText(text)
        chosen = fmt or format_for_path(text, self.format)
        index = self.format_combo.findData(chosen)
        if index >= 0:
            self.format_combo.blockSignals(True)
            self.format_combo.setCurrentIndex(index)
            self.format_combo.blockSignals(False)

    def choose_output(self) -> QFileDialog:
        """Ask for the output file (non-modal: the fetch loop keeps running)."""
        dialog = QFileDialog(self, "Save every record to")
        dialog.setObjectName("fetchOutputDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        filters = ["JSON Lines (*.jsonl *.ndjson)", "CSV (*.csv)"]
        dialog.setNameFilters(filters)
        dialog.selectNameFilter(filters[1] if self.format == CSV else filters[0])
        dialog.setDefaultSuffix(self.format)
        if self.output:
            dialog.selectFile(self.output)
        elif self._target is not None:
            dialog.selectFile(f"{self._target.prepared.endpoint.name}.{self.format}")
        dialog.fileSelected.connect(self.set_output)
        dialog.finished.connect(dialog.deleteLater)
        self._dialog = dialog
        dialog.open()  # never exec() while the asyncio loop runs (STACK-NOTES §2)
        return dialog

    def _on_format(self) -> None:
        # A name ending in the other format's extension follows the format.
        text = self.output
        if not text:
            return
        path = Path(text)
        if path.suffix.lower() in (".csv", ".jsonl", ".ndjson") and path.suffix[1:] != self.format:
            self.output_edit.setText(str(path.with_suffix(f".{self.format}")))

    # --- running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start a new fetch of the current request into the chosen file (from page 1)."""
        problem = self._start_problem()
        if problem:
            self._show_status(problem, BAD_COLOUR)
            return
        target = self._target
        assert target is not None
        try:
            state = FetchState.new(
                target.workspace, target.base_url, target.prepared, self.output, self.format
            )
            fetch_state.delete(state.key)  # starting over replaces a stopped fetch to that file
        except (StoreError, ValueError) as exc:
            self._show_status(str(exc), BAD_COLOUR)
            return
        self._launch(state, target)

    def resume(self, key: str | None = None) -> None:
        """Resume a saved fetch (the selected one when ``key`` is None)."""
        if self.running:
            return
        if key is None:
            item = self.resumable.currentItem()
            if item is None and self.resumable.count() == 1:
                item = self.resumable.item(0)
            if item is None:
                self._show_status("Choose a stopped fetch to resume.", BAD_COLOUR)
                return
            key = str(item.data(KEY_ROLE))
        try:
            state = fetch_state.load(key)
        except StoreError as exc:
            self._show_status(exc.message, BAD_COLOUR)
            return
        if state is None:
            self._show_status("That fetch is no longer saved.", BAD_COLOUR)
            self.refresh_resumable()
            return
        target = self._target
        if target is None or target.base_url != state.base_url:
            self._show_status(
                f"This fetch is from {state.workspace} ({state.base_url}): switch to that "
                "workspace to resume it.",
                BAD_COLOUR,
            )
            return
        resumed = replace(target, prepared=state.prepared())
        self.set_output(state.output, state.format)
        self._launch(state, resumed)

    def cancel(self) -> None:
        """Stop the running fetch; what was written stays, ready to resume."""
        if self._operation is not None:
            self._operation.cancel()

    def forget_selected(self) -> None:
        item = self.resumable.currentItem()
        if item is None:
            return
        fetch_state.delete(str(item.data(KEY_ROLE)))
        self.refresh_resumable()

    def _start_problem(self) -> str:
        if self.running:
            return "A fetch is already running."
        if self._target is None:
            return "Choose a GET of a listing first."
        if self.http is None:
            return "Not connected yet."
        if not self.output:
            return "Choose a file to write to."
        if Path(self.output).expanduser().is_dir():
            return f"{self.output} is a folder: choose a file name."
        return ""

    def _launch(self, state: FetchState, target: _Target) -> None:
        self._state = state
        work = self._run(state, target)
        self._operation = Operation(self, work, doing="fetching every page").run()
        self.refresh_resumable()  # the running fetch leaves the list of stopped ones

    async def _run(self, state: FetchState, target: _Target) -> None:
        assert self.http is not None
        http = self.http
        self.started.emit()
        verb = "Resuming" if state.started else "Starting"
        self._show_status(f"{verb}…", None)
        self.progress_bar.setRange(0, 0)  # busy until a total is known
        try:
            hint = None
            if state.total is None and pagination_of(target.prepared) is Pagination.CURSOR:
                hint = await estimate_total(
                    http,
                    target.connection,
                    target.prepared,
                    on_response=self.response_received.emit,
                )
            sink = state.writer()
            hooks = FetchHooks(
                on_progress=self._on_progress,
                on_wait=self._on_wait,
                on_response=self.response_received.emit,
                save_state=fetch_state.save,  # runs in a worker thread: touches no widget
            )
            await fetch_all(
                http,
                target.connection,
                target.prepared,
                sink=sink,
                state=state,
                hooks=hooks,
                retry=FETCH_RETRY if self.auto_retry.isChecked() else NO_RETRY,
                total_hint=hint,
            )
        except asyncio.CancelledError:
            self._end_wait()
            self._show_status(
                f"Cancelled: {state.records:,} records in {state.pages:,} pages are saved in "
                f"{Path(state.output).name}. Resume continues from there.",
                None,
            )
            self.cancelled.emit()
            raise
        except FetchFailed as exc:
            self._end_wait()
            self._show_status(exc.message, BAD_COLOUR)
            self.failed.emit(exc.message)
        except Exception as exc:  # a disk or store error: say so, keep the app alive
            log.exception("fetch all failed")
            self._end_wait()
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            self._show_status(f"The fetch stopped: {message}", BAD_COLOUR)
            self.failed.emit(message)
        else:
            self._end_wait()
            fetch_state.delete(state.key)  # nothing left to resume
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(1000)
            done = (
                f"Done: {state.records:,} records in {state.pages:,} pages, "
                f"{format_wait(state.elapsed, round_up=False)}, written to {state.output}."
            )
            dropped = sorted(getattr(sink, "dropped_keys", ()))
            if dropped:
                done += (
                    f" Note: {', '.join(dropped)} first appeared after the CSV header was "
                    "written, so the CSV has no column for it; JSON Lines keeps every field."
                )
            self._show_status(done, OK_COLOUR)
            self.finished.emit(state.output)
        finally:
            self._operation = None
            self.refresh_resumable()
            self._update_buttons()

    def _on_progress(self, progress: Progress) -> None:
        self.last_progress = progress
        if progress.waiting == 0:
            self._end_wait()
        fraction = progress.fraction
        if fraction is None:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(fraction * 1000))
        self._show_status(progress.text(), None)
        self.progressed.emit(progress)

    def _on_wait(self, seconds_left: int, _reason: str = "") -> None:
        if seconds_left <= 0:
            self._end_wait()
            return
        self.wait_label.setText(
            f"Rate limit reached: continuing in {format_wait(seconds_left)} (the server asked "
            "to wait; the same page is asked again then)."
        )
        self.wait_label.show()
        if not self._waiting:
            self._waiting = True
            self.waiting.emit(seconds_left)

    def _end_wait(self) -> None:
        self._waiting = False
        self.wait_label.hide()

    def _show_status(self, text: str, colour: str | None) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {colour};" if colour else "")

    def status_text(self) -> str:
        return self.status_label.text()

    def wait_text(self) -> str:
        return self.wait_label.text() if self.wait_label.isVisibleTo(self) else ""

    # --- saved fetches ------------------------------------------------------------------------

    def refresh_resumable(self) -> None:
        """List the stopped fetches of the current request."""
        self.resumable.clear()
        target = self._target
        states: list[FetchState] = []
        if target is not None:
            try:
                states = fetch_state.list_states(
                    base_url=target.base_url, prepared=target.prepared, resumable_only=True
                )
            except StoreError as exc:
                log.warning("could not list saved fetches: %s", exc)
        running_key = self._state.key if self.running and self._state else None
        for state in states:
            if state.key == running_key:
                continue
            item = QListWidgetItem(state.describe())
            item.setData(KEY_ROLE, state.key)
            tip = state.output
            if state.reason:
                tip += "\n" + state.reason
            item.setToolTip(tip)
            self.resumable.addItem(item)
        has_any = self.resumable.count() > 0
        self.resumable_label.setVisible(has_any)
        self.resumable.setVisible(has_any)
        self.resume_button.setVisible(has_any)
        self.forget_button.setVisible(has_any)
        self._update_buttons()

    def resumable_keys(self) -> list[str]:
        return [str(self.resumable.item(i).data(KEY_ROLE)) for i in range(self.resumable.count())]

    def _update_buttons(self, *_args: Any) -> None:
        running = self.running
        self.cancel_button.setEnabled(running)
        problem = self._start_problem() if not running else "A fetch is running."
        self.start_button.setEnabled(not problem)
        self.start_button.setToolTip(problem or "Fetch every page into the file, from page 1")
        chosen = self.resumable.currentItem() is not None or self.resumable.count() == 1
        self.resume_button.setEnabled(not running and chosen and self.http is not None)
        self.forget_button.setEnabled(not running and self.resumable.currentItem() is not None)
        for w in (self.output_edit, self.browse_button, self.format_combo, self.auto_retry):
            w.setEnabled(not running)
