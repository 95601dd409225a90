"""The Datasets panel: local copies of workspaces' runs, messages and contacts.

It lists the dataset files (the current workspace's first, even before its first pull),
with each one's last pull, row counts and path, and pulls the current workspace into its
file: archives first, then the live pages, with progress, pause, cancel and resume. The
work is :func:`explorer.datasets.pull.pull`; its SQLite writes and gzip inflating run on the
dataset's worker thread, so the window keeps painting. A pause or cancel stops the task;
what was stored stays, and Resume (another pull) continues from the last stored page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.datasets import locations
from explorer.datasets.export import EXPORTABLE
from explorer.datasets.pull import RESOURCES, PullFailed, PullProgress, PullReport, PullSpec
from explorer.datasets.schema import TABLES
from explorer.datasets.store import Summary
from explorer.ui import status
from explorer.ui.operation import Operation

if TYPE_CHECKING:
    import httpx

    from explorer.core.connection import Connection

log = logging.getLogger(__name__)

FAILED_STYLE = "color: #c62828"
WHAT = (("Everything", RESOURCES), *((name.capitalize(), (name,)) for name in RESOURCES))


def summary_lines(summary: Summary | None) -> tuple[str, str]:
    """(last pull, counts) as the panel words them."""
    if summary is None or summary.last_pull is None:
        return "Not pulled yet", "No rows yet"
    when = summary.last_pull[:16].replace("T", " ") + " UTC"
    outcome = {"done": "finished", "stopped": "stopped before the end"}
    if summary.last_status == "failed":
        said = f"stopped while reading {summary.last_step or 'the server'}"
    else:
        said = outcome.get(summary.last_status or "", summary.last_status or "")
    last = f"{when}, {said}"
    counts = ", ".join(f"{summary.counts.get(t, 0):,} {t}" for t in TABLES[:3])
    lookups = ", ".join(f"{summary.counts.get(t, 0):,} {t}" for t in TABLES[3:])
    return last, f"{counts}\n{lookups}"


def finished_text(report: PullReport) -> str:
    """``Pull finished in 2.1 s: 1,092 runs, 40 contacts received; 1,132 new or changed.``"""
    main = [(n, r) for n, r in report.resources.items() if n in RESOURCES]
    received = ", ".join(f"{r.fetched + r.archive_records:,} {n}" for n, r in main)
    changed = sum(r.changed for _n, r in main)
    return (
        f"Pull finished in {report.elapsed:.1f} s: {received or 'nothing'} received; "
        f"{changed:,} new or changed."
    )


def _read_summaries(paths: list[Path]) -> dict[Path, Summary | None]:
    """Each file's summary (None: not created yet, or unreadable); blocking, for a thread."""
    from explorer.datasets.schema import DatasetFileError
    from explorer.datasets.store import summarize

    found: dict[Path, Summary | None] = {}
    for path in paths:
        try:
            found[path] = summarize(path) if path.exists() else None
        except (DatasetFileError, OSError) as exc:
            log.warning("dataset %s not read: %s", path, exc)
            found[path] = None
    return found


class DatasetsPanel(QWidget):
    """Lists the dataset files and pulls the current workspace into its own.

    Set the connection (:meth:`set_connection`) and the http client (:meth:`set_http`).

    Signals:
        pull_finished(object): the PullReport of a pull that ended well.
        pull_failed(str): why a pull stopped, naming its step (what it stored is kept).
        pull_progressed(object): a PullProgress, as the pull goes.
        pull_stopped(str): a pull was paused or cancelled (the text says which).
        listing_refreshed(): the list of datasets was read again.
    """

    pull_finished = Signal(object)
    pull_failed = Signal(str)
    pull_progressed = Signal(object)
    pull_stopped = Signal(str)
    listing_refreshed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datasetsPanel")
        self.connection: Connection | None = None
        self.http: httpx.AsyncClient | None = None
        self.chosen: dict[str, Path] = {}  # workspace name -> a file chosen for it
        self.summaries: dict[Path, Summary | None] = {}
        self._operation: Operation[PullReport] | None = None
        self._paused = False
        self._stopped_text = ""
        self.last_problem = ""
        self._build()
        self._update_buttons()

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        heading = QLabel(
            "<b>Datasets</b>: local copies of workspaces' runs, messages and contacts, "
            "archives included, to query or export.",
            self,
        )
        heading.setWordWrap(True)
        self.files = QListWidget(self)
        self.files.setObjectName("datasetFiles")
        self.files.setAccessibleName("Datasets")
        self.files.setWordWrap(True)
        self.files.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.files.currentItemChanged.connect(lambda *_: self._show_details())
        self.last_pull = QLabel(self)
        self.counts = QLabel(self)
        self.path_label = QLabel(self)
        for label in (self.last_pull, self.counts, self.path_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        details = QFormLayout()
        details.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        details.addRow("Last pull:", self.last_pull)
        details.addRow("Rows:", self.counts)
        details.addRow("File:", self.path_label)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.files, 1)
        layout.addLayout(details)
        self._build_controls(layout)

    def _build_controls(self, layout: QVBoxLayout) -> None:
        self.what = QComboBox(self)
        self.what.setAccessibleName("What to pull")
        for text, resources in WHAT:
            self.what.addItem(text, resources)
        self.pull_button = QPushButton("Pull now", self)
        self.pull_button.clicked.connect(self.pull_now)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.clicked.connect(self.pause_or_resume)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.choose_button = QPushButton("Choose file…", self)
        self.choose_button.setToolTip("Keep this workspace's dataset in another file")
        self.choose_button.clicked.connect(self.ask_file)
        pull_row = QHBoxLayout()
        pull_row.addWidget(self.what, 1)
        pull_row.addWidget(self.pull_button)
        control_row = QHBoxLayout()
        control_row.addWidget(self.pause_button)
        control_row.addWidget(self.cancel_button)
        control_row.addStretch(1)
        control_row.addWidget(self.choose_button)

        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_text = QLabel(self)
        self.progress_text.setObjectName("datasetProgress")
        self.progress_text.setWordWrap(True)

        self.export_what = QComboBox(self)
        self.export_what.setAccessibleName("Table or view to export")
        for name in EXPORTABLE:
            self.export_what.addItem(name)
        self.export_button = QPushButton("Export…", self)
        self.export_button.setToolTip("Save the table or view as CSV or JSON Lines")
        self.export_button.clicked.connect(self.ask_export)
        export_row = QHBoxLayout()
        export_row.addWidget(self.export_what, 1)
        export_row.addWidget(self.export_button)

        layout.addLayout(pull_row)
        layout.addLayout(control_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addLayout(export_row)

    # --- inputs -------------------------------------------------------------------------------

    def set_connection(self, connection: Connection | None) -> None:
        self.connection = connection
        self.refresh()
        self._update_buttons()

    def set_http(self, http: httpx.AsyncClient | None) -> None:
        self.http = http
        self._update_buttons()

    def current_path(self) -> Path | None:
        """The current workspace's dataset file (None: no workspace)."""
        if self.connection is None:
            return None
        name = self.connection.name
        return self.chosen.get(name) or locations.default_path(name)

    def set_path(self, path: str | Path) -> None:
        """Keep the current workspace's dataset in ``path`` from now on."""
        if self.connection is None or not str(path):
            return
        self.chosen[self.connection.name] = Path(path)
        self.refresh()

    def ask_file(self) -> None:
        """Pick (non-modal) the file the current workspace's dataset lives in."""
        dialog = QFileDialog(self, "Keep the dataset in", str(self.current_path() or ""))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("SQLite databases (*.sqlite3 *.sqlite *.db)")
        dialog.setDefaultSuffix("sqlite3")
        dialog.fileSelected.connect(self.set_path)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # --- the list -----------------------------------------------------------------------------

    def paths(self) -> list[Path]:
        current = self.current_path()
        listed = [current] if current is not None else []
        listed += [p for p in locations.known_files() if p != current]
        return listed

    def refresh(self) -> Operation[Any]:
        """Read the files' summaries off the GUI thread, then list them."""
        import asyncio

        paths = self.paths()
        return (
            Operation(self, asyncio.to_thread(_read_summaries, paths), doing="reading datasets")
            .success(self._listed)
            .run()
        )

    def _listed(self, summaries: dict[Path, Summary | None]) -> None:
        self.summaries = summaries
        selected = self.selected_path()
        self.files.clear()
        current = self.current_path()
        for path, summary in summaries.items():
            last, _counts = summary_lines(summary)
            title = path.stem + ("  (this workspace)" if path == current else "")
            item = QListWidgetItem(f"{title}\n{last}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.files.addItem(item)
            if path == (selected or current):
                self.files.setCurrentItem(item)
        if self.files.currentItem() is None and self.files.count():
            self.files.setCurrentRow(0)
        self._show_details()
        self.listing_refreshed.emit()

    def selected_path(self) -> Path | None:
        item = self.files.currentItem()
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _show_details(self) -> None:
        path = self.selected_path()
        summary = self.summaries.get(path) if path is not None else None
        last, counts = summary_lines(summary)
        self.last_pull.setText(last if path is not None else "")
        self.counts.setText(counts if path is not None else "")
        self.path_label.setText(str(path) if path is not None else "No dataset yet")
        self._update_buttons()

    # --- pulling ------------------------------------------------------------------------------

    @property
    def pulling(self) -> bool:
        return self._operation is not None and self._operation.running

    def _update_buttons(self) -> None:
        ready = self.connection is not None and self.http is not None
        pulling = self.pulling
        self.pull_button.setEnabled(ready and not pulling)
        self.what.setEnabled(not pulling)
        self.choose_button.setEnabled(ready and not pulling)
        self.pause_button.setText("Resume" if self._paused and not pulling else "Pause")
        self.pause_button.setEnabled(pulling or (self._paused and ready))
        self.cancel_button.setEnabled(pulling)
        selected = self.selected_path()
        self.export_button.setEnabled(
            selected is not None and self.summaries.get(selected) is not None
        )

    def spec(self) -> PullSpec:
        return PullSpec(resources=tuple(self.what.currentData() or RESOURCES))

    def pull_now(self, spec: PullSpec | None = None) -> Operation[PullReport] | None:
        """Pull the current workspace into its dataset file (``spec``: what the combo says)."""
        path = self.current_path()
        if self.pulling or path is None or self.connection is None or self.http is None:
            return None
        self._paused = False
        self.last_problem = ""
        self.progress_text.setStyleSheet("")
        self.progress_text.setText("Starting the pull…")
        self.progress.setRange(0, 0)
        self.progress.show()
        self._operation = (
            Operation(self, self._pull(path, spec or self.spec()), doing="pulling the dataset")
            .success(self._pulled)
            .failure(self._failed)
            .finally_(self._ended)
            .run()
        )
        self._update_buttons()
        return self._operation

    async def _pull(self, path: Path, spec: PullSpec) -> PullReport:
        from explorer.datasets.pull import PullHooks, pull
        from explorer.datasets.store import Dataset

        assert self.connection is not None and self.http is not None
        hooks = PullHooks(on_progress=self._on_progress, on_wait=self._on_wait)
        async with Dataset(path) as dataset:
            return await pull(self.http, self.connection, dataset, spec, hooks)

    def _on_progress(self, progress: PullProgress) -> None:
        self.progress_text.setText(progress.text)
        if progress.step == "archives" and progress.archives_total:
            self.progress.setRange(0, progress.archives_total)
            self.progress.setValue(progress.archives_done)
        else:
            self.progress.setRange(0, 0)  # pages: how many is not known in advance
        self.pull_progressed.emit(progress)

    def _on_wait(self, seconds: int, reason: str) -> None:
        if seconds:
            self.progress_text.setText(f"Rate limited, continuing in {seconds} s. {reason}")

    def pause_or_resume(self) -> None:
        if self.pulling:
            self._paused = True
            self._stop("Paused. Resume continues from the last page stored.")
        elif self._paused:
            self.pull_now()

    def cancel(self) -> None:
        if self.pulling:
            self._paused = False
            self._stop("Cancelled. What was stored so far is kept.")

    def _stop(self, text: str) -> None:
        self._stopped_text = text
        if self._operation is not None:
            self._operation.cancel()

    def _pulled(self, report: PullReport) -> None:
        self.progress_text.setText(finished_text(report))
        status.show(self, "Dataset pull finished")
        self.pull_finished.emit(report)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, PullFailed):
            text = f"The pull stopped while reading {exc.step}: {exc.message}"
        else:
            log.exception("dataset pull failed", exc_info=exc)
            text = f"The pull stopped: {exc}. What was stored so far is kept."
        self.last_problem = text
        self.progress_text.setStyleSheet(FAILED_STYLE)
        self.progress_text.setText(text)
        self.pull_failed.emit(text)

    def _ended(self) -> None:
        self.progress.hide()
        task = self._operation.task if self._operation is not None else None
        if self._stopped_text and task is not None and task.cancelled():
            self.progress_text.setText(self._stopped_text)
            self.pull_stopped.emit(self._stopped_text)
        self._stopped_text = ""
        self._update_buttons()
        self.refresh()

    # --- export -------------------------------------------------------------------------------

    def ask_export(self) -> None:
        """Pick (non-modal) where to save the chosen table or view."""
        source = self.selected_path()
        if source is None:
            return
        name = self.export_what.currentText()
        dialog = QFileDialog(self, f"Export {name}", str(source.with_name(f"{name}.csv")))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["CSV (*.csv)", "JSON Lines (*.jsonl)"])
        dialog.fileSelected.connect(lambda out: self.export_to(Path(out)))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def export_to(self, out: Path) -> Operation[int] | None:
        """Export the chosen table or view of the selected dataset to ``out`` (CSV/JSONL)."""
        import asyncio

        from explorer.datasets.export import export

        source = self.selected_path()
        if source is None:
            return None
        name = self.export_what.currentText()
        return (
            Operation(self, asyncio.to_thread(export, source, name, out), doing="exporting")
            .success(lambda rows: status.show(self, f"Exported {rows:,} rows of {name} to {out}"))
            .run()
        )
