"""The runner panel: send a collection's (or folder's) requests in order and show each result.

The work is :func:`explorer.run.engine.run_steps`, run as an asyncio task on the qasync loop;
its callbacks arrive on that loop (the GUI thread), so updating the list from them is safe.
Stop cancels the task, which ends the run at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.catalog import catalog
from explorer.run import engine
from explorer.store.collections import Collection
from explorer.ui.confirm import said_yes, warning_box
from explorer.ui.operation import Operation

if TYPE_CHECKING:
    import httpx

    from explorer.core.connection import Connection
    from explorer.store.history import History

log = logging.getLogger(__name__)

PASS = QColor("#2e7d32")
FAIL = QColor("#c62828")
PASS_BG = QColor(46, 125, 50, 28)
FAIL_BG = QColor(198, 40, 40, 28)
COLUMNS = ("#", "Request", "Status", "Time", "Result")


def countdown_text(seconds: int) -> str:
    """``12`` → ``"Rate limit: continuing in 0:12"``."""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    return f"Rate limit: continuing in {minutes}:{secs:02d}"


def summary_text(report: engine.RunReport, total: int | None = None) -> str:
    """``"5 passed, 1 failed"``, plus unread files and, when stopped, how far it got."""
    passed = sum(1 for r in report.results if r.passed)
    failed = len(report.results) - passed
    text = f"{passed} passed, {failed} failed"
    if report.problems:
        n = len(report.problems)
        text += f", {n} file{'s' if n != 1 else ''} not read"
    if total is not None and len(report.results) < total:
        text = f"Stopped after {len(report.results)} of {total}: " + text
    return text


class RunnerPanel(QWidget):
    """Run a collection or one of its folders against the current connection.

    Set the connection (:meth:`set_connection`) and the http client (:meth:`set_http`)
    first; the panel hands both, the collection's variables and the history to the engine.

    Signals:
        run_finished(object): the RunReport of a run that ended (also when stopped).
        step_finished(object): one StepResult, as soon as it is known.
    """

    run_finished = Signal(object)
    step_finished = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, history: History | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runnerPanel")
        self.connection: Connection | None = None
        self.http: httpx.AsyncClient | None = None
        self.history = history
        self.report: engine.RunReport | None = None
        self._operation: Operation[None] | None = None
        self._collections: list[Collection] = []
        self._items: dict[int, QTreeWidgetItem] = {}
        self._total = 0
        self.confirm_box: QMessageBox | None = None

        self.target = QComboBox(self)
        self.target.setObjectName("runnerTarget")
        self.target.setAccessibleName("Collection or folder to run")
        self.target.setMinimumWidth(200)
        self.run_button = QPushButton("R&un", self)
        self.run_button.setObjectName("runButton")
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stopButton")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.results = QTreeWidget(self)
        self.results.setObjectName("runnerResults")
        self.results.setAccessibleName("Run results")
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setHeaderLabels(list(COLUMNS))
        header = self.results.header()
        header.setStretchLastSection(False)
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.countdown = QLabel(self)
        self.countdown.setObjectName("runnerCountdown")
        self.countdown.setStyleSheet("color: #b26a00; font-weight: bold")
        self.countdown.hide()
        self.summary = QLabel(self)
        self.summary.setObjectName("runnerSummary")
        self.summary.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Run:", self))
        top.addWidget(self.target, 1)
        top.addWidget(self.run_button)
        top.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.countdown)
        layout.addWidget(self.summary)
        self.target.currentIndexChanged.connect(lambda _i: self._update_buttons())
        self._update_buttons()

    # --- set up ----------------------------------------------------------------------------

    def set_connection(self, connection: Connection | None) -> None:
        """Where runs go (None: nowhere, Run is disabled)."""
        self.connection = connection
        self._update_buttons()

    def set_http(self, http: httpx.AsyncClient | None) -> None:
        self.http = http

    def set_collections(self, collections: list[Collection]) -> None:
        """The collections (and their folders) offered in the Run picker."""
        current = self.target.currentData()
        self._collections = list(collections)
        self.target.blockSignals(True)
        self.target.clear()
        for coll in self._collections:
            self.target.addItem(coll.name, (coll, ""))
            for folder in coll.folders():
                depth = folder.count("/") + 1
                self.target.addItem("    " * depth + folder.rpartition("/")[2], (coll, folder))
        self.target.blockSignals(False)
        if current is not None:
            self.set_target(*current)
        self._update_buttons()

    def set_target(self, collection: Collection, folder: str = "") -> None:
        """Pick what Run runs (added to the picker if it is not there)."""
        for i in range(self.target.count()):
            coll, path = self.target.itemData(i)
            if coll.root == collection.root and path == folder:
                self.target.setCurrentIndex(i)
                return
        if all(c.root != collection.root for c in self._collections):
            self.set_collections([*self._collections, collection])
            self.set_target(collection, folder)

    @property
    def running(self) -> bool:
        return self._operation is not None and self._operation.running

    def _update_buttons(self) -> None:
        ready = self.connection is not None and self.target.currentData() is not None
        self.run_button.setEnabled(ready and not self.running)
        self.stop_button.setEnabled(self.running)
        self.target.setEnabled(not self.running)

    # --- running ---------------------------------------------------------------------------

    def run(self) -> asyncio.Task[None] | None:
        """Start running the picked collection or folder; returns the task.

        Against a real workspace (not the sandbox), a run with deletes or bulk actions
        asks first, like a single send does: then the box is shown (:attr:`confirm_box`)
        and None is returned; Yes starts the run.
        """
        data = self.target.currentData()
        if self.running or self.connection is None or data is None:
            return None
        coll, folder = data
        coll.reload()  # what is on disk now, edits made since it was opened included
        steps = engine.steps_from_collection(coll, folder)
        risky = [s for s in steps if _is_destructive(s)]
        if risky and not self.connection.is_sandbox:
            self._ask(coll, folder, steps, risky)
            return None
        return self._start(coll, folder, steps)

    def _ask(
        self, coll: Collection, folder: str, steps: list[engine.Step], risky: list[engine.Step]
    ) -> None:
        names = ", ".join(s.label for s in risky[:3]) + (" …" if len(risky) > 3 else "")
        box = warning_box(
            self,
            "Run collection",
            f"This run deletes or changes data in bulk in {self.connection.name}: {names}.",
            details=f"Run all {len(steps)} requests?",
        )

        def answered(_code: int) -> None:
            self.confirm_box = None
            if said_yes(box):
                self._start(coll, folder, steps)

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()  # not exec(): never a nested event loop

    def _start(
        self, coll: Collection, folder: str, steps: list[engine.Step]
    ) -> asyncio.Task[None] | None:
        if self.running:
            return None
        self.results.clear()
        self._items = {}
        self._total = len(steps)
        problems = [str(p) for p in (coll.unreadable(folder) if folder else coll.problems)]
        name = f"{coll.name}/{folder}" if folder else coll.name
        self.report = engine.RunReport(name, problems=problems)
        self.countdown.hide()
        self.summary.setText(
            f"Running {name}: {len(steps)} request{'s' if len(steps) != 1 else ''}…"
        )
        work = self._run(steps, coll, name)
        self._operation = Operation(self, work, doing="running the collection").run()
        self._update_buttons()
        return self._operation.task

    def stop(self) -> None:
        """Cancel the run; the results so far stay."""
        if self._operation is not None:
            self._operation.cancel()

    async def _run(self, steps: list[engine.Step], coll: Collection, name: str) -> None:
        conn = self.connection
        assert conn is not None, "run() starts only with a connection"
        report = self.report
        assert report is not None
        callbacks = engine.Callbacks(
            step_started=self._on_started,
            step_finished=self._on_finished,
            waiting=self._on_waiting,
        )
        try:
            done = await engine.run_steps(
                steps,
                conn,
                variables=coll.scope(conn.name, base_url=conn.base_url),
                name=name,
                callbacks=callbacks,
                http=self.http,
                history=self.history,
            )
            report.duration = done.duration
            report.variables = done.variables
            self.summary.setText(summary_text(report))
        except asyncio.CancelledError:
            self.summary.setText(summary_text(report, self._total))
            for item in self._items.values():
                if item.text(4) in ("running…", "waiting (429)…"):
                    item.setText(4, "stopped")
            raise
        except Exception as exc:  # a bug, not a failed request: say so, keep the panel usable
            log.exception("run failed")
            self.summary.setText(f"The run stopped: {exc}")
        finally:
            self.countdown.hide()
            self._operation = None
            self._update_buttons()
            self.run_finished.emit(report)

    def _on_started(self, step: engine.Step, number: int, total: int) -> None:
        item = QTreeWidgetItem([str(number), step.label, "", "", "running…"])
        item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.results.addTopLevelItem(item)
        self.results.scrollToItem(item)
        self._items[number] = item

    def _on_finished(self, result: engine.StepResult, number: int, total: int) -> None:
        self.countdown.hide()
        if self.report is not None:
            self.report.results.append(result)
        item = self._items.get(number)
        if item is None:
            return
        item.setText(
            2, f"{result.status} {result.reason}".strip() if result.status else result.outcome
        )
        item.setText(3, f"{result.elapsed * 1000:.0f} ms" if result.sent else "—")
        verdict = "pass" if result.passed else "fail"
        if result.waits:
            verdict += f" (waited out {result.waits} × 429)"
        item.setText(4, verdict)
        colour = PASS if result.passed else FAIL
        for column in range(len(COLUMNS)):
            item.setBackground(column, QBrush(PASS_BG if result.passed else FAIL_BG))
        for column in (2, 4):
            item.setForeground(column, QBrush(colour))
        tip = [result.url] if result.url else []
        if result.message:
            tip.append(result.message)
        tip += result.details
        item.setToolTip(1, "\n".join(tip) or step_tip(result))
        item.setToolTip(4, "\n".join(tip) or step_tip(result))
        self.step_finished.emit(result)
        if self.report is not None:
            done = len(self.report.results)
            self.summary.setText(f"{done} of {self._total} done: {summary_text(self.report)}")

    def _on_waiting(self, step: engine.Step, seconds: int) -> None:
        self.countdown.setText(countdown_text(seconds))
        self.countdown.show()
        if self._items:
            self._items[max(self._items)].setText(4, "waiting (429)…")


def _is_destructive(step: engine.Step) -> bool:
    """A delete, or a bulk action: what a single send asks about on a real workspace."""
    draft = step.request.draft
    if str(getattr(draft.method, "value", draft.method)).upper() == "DELETE":
        return True
    try:
        return bool(catalog()[draft.endpoint].method(draft.method).is_bulk_action)
    except (KeyError, ValueError):
        return False


def step_tip(result: engine.StepResult) -> str:
    return f"expected {result.step.request.expectation}"
