"""The history panel: the last sends, newest first, searchable, and reopened with a double-click.

It shows :class:`explorer.store.history.History` — read on construction, so it is kept
across restarts — and listens to it: whatever records a send (the window, the runner) writes
to the store, and the panel shows it when the store says so. The panel never writes.
"""

from __future__ import annotations

import logging
import weakref
from datetime import UTC, datetime
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.store.history import History, HistoryChange, HistoryEntry
from explorer.ui.endpoint_tree import METHOD_COLOURS

log = logging.getLogger(__name__)

COLUMNS = ("Time", "Method", "Endpoint", "Status", "Duration", "Workspace")
SEARCH_DELAY_MS = 200  # as-you-type, without searching on every key press
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


def status_colour(entry: HistoryEntry) -> QColor:
    """Green for 2xx, amber for 3xx/4xx, red for 5xx, 429 and no response at all."""
    status = entry.status
    if status is None or status >= 500 or status == 429:
        return QColor("#c62828")
    if status >= 300:
        return QColor("#b26a00")
    return QColor("#2e7d32")


def _time_text(when: datetime, now: datetime) -> str:
    local = when.astimezone()
    if local.date() == now.astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def _duration_text(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


class _HistoryModel(QAbstractTableModel):
    """History entries as table rows (a list, so 1,000 rows cost nothing to show)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[HistoryEntry] = []
        self._now = datetime.now(UTC)

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        self.beginResetModel()
        self.entries = list(entries)
        self._now = datetime.now(UTC)
        self.endResetModel()

    def insert(self, entry: HistoryEntry, limit: int) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.entries.insert(0, entry)
        self.endInsertRows()
        if len(self.entries) > limit:
            self.beginRemoveRows(QModelIndex(), limit, len(self.entries) - 1)
            del self.entries[limit:]
            self.endRemoveRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        try:
            if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
        except Exception:  # Qt calls this; an escaping exception can crash the process
            log.exception("history header failed")
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        try:
            return self._data(index, role)
        except Exception:
            log.exception("history row failed")
            return None

    def _data(self, index: QModelIndex | QPersistentModelIndex, role: int) -> Any:
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        column = index.column()
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return _time_text(entry.time, self._now)
            if column == 1:
                return entry.method.value
            if column == 2:
                return entry.endpoint
            if column == 3:
                return str(entry.status) if entry.status is not None else (entry.outcome or "—")
            if column == 4:
                return _duration_text(entry.duration)
            if column == 5:
                return entry.workspace or ""
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 1:
                return QColor(METHOD_COLOURS.get(entry.method.value, "#555555"))
            if column == 3:
                return status_colour(entry)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry)
        return None


def _tooltip(entry: HistoryEntry) -> str:
    lines = [
        f"{entry.method.value} {entry.endpoint}",
        entry.time.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
    ]
    lines += [f"{k} = {v}" for k, v in entry.params.items()]
    lines += [f"{k}: {v}" for k, v in entry.body.items()]
    if entry.size is not None:
        lines.append(f"{entry.size:,} bytes")
    return "\n".join(lines)


class HistoryPanel(QWidget):
    """The last sends (newest first) with a search box; double-click reopens one.

    It subscribes to ``history`` for as long as it exists: a send recorded there by anyone
    shows at the top (if the search matches it), a reload or clear shows afresh.

    Two entries selected can be compared (their responses, while the app keeps them).

    Signals:
        request_opened(object): the Draft of the entry to load into the editor.
        compare_requested(object, object): compare the responses of these two entries.
    """

    request_opened = Signal(object)
    compare_requested = Signal(object, object)

    def __init__(self, history: History | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.history = history if history is not None else History()
        self.search = QLineEdit(self)
        self.search.setObjectName("historySearch")
        self.search.setAccessibleName("Search history")
        self.search.setPlaceholderText("Search: contacts 404, urn=tel:+250…")
        self.search.setClearButtonEnabled(True)
        self.model = _HistoryModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("historyTable")
        self.table.setAccessibleName("History")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        # Widths from sample text, not ResizeToContents: that measures every row on every
        # change, 300 ms for 1,000 rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        metrics = self.table.fontMetrics()
        samples = ("2026-12-31 23:59", "DELETE", "", "timeout", "9999 ms", "Workspace")
        for column, sample in enumerate(samples):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            width = max(
                metrics.horizontalAdvance(sample), metrics.horizontalAdvance(COLUMNS[column])
            )
            header.resizeSection(column, width + 16)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # Status beside the method, before the endpoint: a side panel is narrow, and what
        # came back is what a person scans the list for.
        header.moveSection(COLUMNS.index("Status"), COLUMNS.index("Endpoint"))
        self.table.activated.connect(self._open)
        self.notice = QLabel(self)
        self.notice.setObjectName("historyNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        self.compare_button = QPushButton("Compare the two responses", self)
        self.compare_button.setObjectName("historyCompareButton")
        self.compare_button.setToolTip("Select two requests (Ctrl+click) to see what changed")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self.compare_selected)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.compare_button.setEnabled(len(self.selected_entries()) == 2)
        )
        layout.addWidget(self.compare_button)
        layout.addWidget(self.notice)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.apply_search()
        self._show_problems()
        self._listen()

    def _listen(self) -> None:
        # The store holds the panel weakly: a panel nobody shows any more is not kept alive
        # by the history. A plain function, not a bound method, stops listening: it still
        # runs while the widget is torn down, when its Python wrapper may already be gone.
        ref = weakref.ref(self)

        def listener(change: HistoryChange) -> None:
            panel = ref()
            if panel is not None and shiboken6.isValid(panel):
                panel._on_history_changed(change)

        unsubscribe = self.history.subscribe(listener)
        self.destroyed.connect(lambda *_: unsubscribe())

    def _on_history_changed(self, change: HistoryChange) -> None:
        entry = change.added
        if entry is None:
            self.apply_search()
        elif all(w in entry.search_text() for w in self.search.text().casefold().split()):
            self.model.insert(entry, self.history.limit)
        self._show_problems()

    def reload(self) -> None:
        """Read the history file again (the store then tells this panel, and any other)."""
        self.history.reload()

    def apply_search(self) -> None:
        """Show the entries matching the search box now (typing waits a moment first)."""
        self._search_timer.stop()
        self.model.set_entries(self.history.search(self.search.text()))

    def entries(self) -> list[HistoryEntry]:
        """The entries shown, top to bottom."""
        return list(self.model.entries)

    def selected_entries(self) -> list[HistoryEntry]:
        rows = self.table.selectionModel().selectedRows()
        found = [index.data(ENTRY_ROLE) for index in rows]
        return [e for e in found if isinstance(e, HistoryEntry)]

    def compare_selected(self) -> None:
        chosen = self.selected_entries()
        if len(chosen) == 2:
            self.compare_requested.emit(chosen[0], chosen[1])

    def open_row(self, row: int) -> None:
        self._open(self.model.index(row, 0))

    def _open(self, index: QModelIndex) -> None:
        entry = index.data(ENTRY_ROLE) if index.isValid() else None
        if isinstance(entry, HistoryEntry):
            self.request_opened.emit(entry.to_draft())

    def _show_problems(self) -> None:
        problems = ([self.history.problem] if self.history.problem else []) + self.history.problems
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.notice.setText(problems[0] + more)
            self.notice.setToolTip("\n".join(problems))
        self.notice.setVisible(bool(problems))
