"""Two responses side by side, as data: each value added, removed or changed, by its path.

The differences come from :mod:`explorer.core.json_diff` (worked out on a worker thread, so
two big pages never hold up the window); this view lists them with the value before on the
left and after on the right. Fields that change on every save are hidden unless asked for.
Responses are kept in memory for this purpose only (:class:`KeptResponses`): the history
file keeps requests, never response bodies.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.export import cell_text, truncate
from explorer.core.json_diff import VOLATILE, Change, ChangeKind, diff, summarize
from explorer.ui.errors import guarded
from explorer.ui.kept_responses import KeptResponses

__all__ = ["CompareView", "KeptResponses"]
from explorer.ui.operation import Operation

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

CELL_LIMIT = 300  # characters of a value in a cell; the tooltip has more
COLUMNS = ("Change", "Where", "Before", "After")
_TINTS = {
    ChangeKind.ADDED: QColor(46, 125, 50, 40),
    ChangeKind.REMOVED: QColor(198, 40, 40, 40),
    ChangeKind.CHANGED: QColor(255, 176, 64, 50),
}


class _ChangesModel(QAbstractTableModel):
    """The differences as rows: kind, path, value before, value after."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.changes: list[Change] = []

    def set_changes(self, changes: list[Change]) -> None:
        self.beginResetModel()
        self.changes = changes
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.changes)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    @guarded("showing a compare header")
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    @guarded("showing a difference")
    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        change = self.changes[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            limit = CELL_LIMIT if role == Qt.ItemDataRole.DisplayRole else 4000
            return _cell(change, column, limit)
        if role == Qt.ItemDataRole.BackgroundRole:
            return _TINTS[change.kind]
        return None


def _cell(change: Change, column: int, limit: int) -> str:
    if column == 0:
        return change.kind.value
    if column == 1:
        return change.where
    if (column == 2 and change.kind is ChangeKind.ADDED) or (
        column == 3 and change.kind is ChangeKind.REMOVED
    ):
        return "—"
    value = change.old if column == 2 else change.new
    return truncate(cell_text(value), limit)


class CompareView(QWidget):
    """A window listing what differs between two responses, before on the left.

    Signals:
        compared(object): the differences shown (a list of Change), once worked out.
    """

    compared = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compareView")
        self.setAccessibleName("Compare responses")
        self.setWindowTitle("Compare responses")
        self.before_label = QLabel(self)
        self.before_label.setObjectName("compareBefore")
        self.after_label = QLabel(self)
        self.after_label.setObjectName("compareAfter")
        for label in (self.before_label, self.after_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide_volatile = QCheckBox(
            f"Hide fields that change on every save ({', '.join(sorted(VOLATILE))})", self
        )
        self.hide_volatile.setObjectName("compareHideVolatile")
        self.hide_volatile.setChecked(True)
        self.hide_volatile.toggled.connect(lambda _on: self._run())
        self.summary_label = QLabel("Comparing…", self)
        self.summary_label.setObjectName("compareSummary")
        self.model = _ChangesModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("compareTable")
        self.view.setAccessibleName("Differences")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 72)
        header.resizeSection(1, 260)
        header.resizeSection(2, 300)
        header.setStretchLastSection(True)
        sides = QHBoxLayout()
        sides.addWidget(self.before_label, 1)
        sides.addWidget(self.after_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(sides)
        row = QHBoxLayout()
        row.addWidget(self.summary_label, 1)
        row.addWidget(self.hide_volatile)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        self.resize(1000, 560)
        self._old: Any = None
        self._new: Any = None
        self._run_id = 0

    def compare(self, old: Any, new: Any, *, before: str, after: str) -> None:
        """Show the differences from ``old`` to ``new`` (parsed JSON), labelled."""
        self.before_label.setText(f"<b>Before</b> · {_escape(before)}")
        self.after_label.setText(f"<b>After</b> · {_escape(after)}")
        self._old, self._new = old, new
        self._run()

    def changes(self) -> list[Change]:
        return list(self.model.changes)

    def _run(self) -> None:
        self._run_id += 1
        run = self._run_id
        ignore = VOLATILE if self.hide_volatile.isChecked() else frozenset()
        self.summary_label.setText("Comparing…")
        Operation(self, _diff_in_thread(self._old, self._new, ignore), doing="comparing").success(
            lambda changes: self._show(run, changes)
        ).run()

    def _show(self, run: int, changes: list[Change]) -> None:
        if run != self._run_id:
            return
        self.model.set_changes(changes)
        self.summary_label.setText(str(summarize(changes)))
        self.compared.emit(changes)


def _escape(text: str) -> str:
    import html

    return html.escape(text)


async def _diff_in_thread(old: Any, new: Any, ignore: frozenset[str]) -> list[Change]:
    import asyncio

    return await asyncio.to_thread(diff, old, new, ignore=ignore)
