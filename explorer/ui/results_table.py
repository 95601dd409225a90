"""The results table: a page's ``results`` as rows, sortable, copyable, exportable.

Columns follow the catalog's result fields for the endpoint (then any other key). Nested
values are shown as their values (``{uuid, name}`` → the name, groups → ``Farmers, Over
30``, URNs → ``tel:+250…; whatsapp:…``) with the whole value in the tooltip. A single
object (a 201, a GET by uuid) is one row. Ctrl+C copies the selected cells as TSV; the
Export buttons write CSV or JSON Lines through :mod:`explorer.core.export`.

References the catalog types (:mod:`explorer.core.links`) are links: shown by name, with
the UUID in the tooltip and in *Copy UUID*; a click or Enter opens their menu. A contact's
fields can be spread into a column each.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.catalog import catalog
from explorer.core.export import (
    CSV,
    JSONL,
    ExportError,
    cell_text,
    result_field_names,
    rows_to_csv,
    summarize,
    to_jsonl,
    truncate,
)
from explorer.core.links import ITEM, Ref, record_refs
from explorer.ui.errors import guarded

if TYPE_CHECKING:
    from explorer.core.client import Outcome
    from explorer.core.pagination import Pager

log = logging.getLogger(__name__)

RAW_ROLE = Qt.ItemDataRole.UserRole + 1
FIELD_PREFIX = "fields."  # a contact field spread into a column of its own
TOOLTIP_LIMIT = 4000
MAX_COLUMN_WIDTH = 320
SIZE_SAMPLE_ROWS = 100  # columns are sized to fit the first this many rows
SIZE_MEASURED = 8
"""Texts of a column measured in pixels: its longest, by characters. Measuring one takes
10-20 µs here (a fallback font for an emoji, more), so every sampled cell of a wide page
was a 25 ms stall; the widest text is almost always among the longest."""

Index = QModelIndex | QPersistentModelIndex


# --- how values look and sort ---------------------------------------------------------------


def full_text(value: Any) -> str:
    """The whole value for a tooltip: text as is, nested values as indented JSON."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return truncate(value, TOOLTIP_LIMIT)
    if isinstance(value, dict | list):
        return truncate(json.dumps(value, indent=2, ensure_ascii=False), TOOLTIP_LIMIT)
    return cell_text(value)


def sort_key(value: Any) -> tuple[Any, ...]:
    """Numbers (and numeric text) by value, then text case-blind, then lists, objects; null last.

    ISO dates and times sort correctly as text.
    """
    if value is None:
        return (1,)
    if isinstance(value, bool):
        return (0, 0, float(value), "")
    if isinstance(value, int | float):
        number = float(value)
        return (0, 0, number if not math.isnan(number) else math.inf, "")
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return (0, 1, 0.0, value.casefold())
        if math.isfinite(number):
            return (0, 0, number, value)
        return (0, 1, 0.0, value.casefold())
    if isinstance(value, list):
        return (0, 2, float(len(value)), summarize(value).casefold())
    return (0, 3, 0.0, summarize(value).casefold())


def columns_of(
    records: list[Any], endpoint: str | None, keys: tuple[str, ...] | None = None
) -> list[str]:
    """Keys present in ``records``, in the catalog's order for ``endpoint``, then the rest.

    ``keys``: the keys already gathered (a big page's, while it was parsed in slices).
    """
    present: dict[str, None] = dict.fromkeys(keys or ())
    for record in records if keys is None else ():
        if isinstance(record, dict):
            for key in record:
                present.setdefault(str(key), None)
        else:
            present.setdefault("value", None)
    ordered = [name for name in result_field_names(endpoint) if name in present]
    known = set(ordered)
    return ordered + [k for k in present if k not in known]


def tsv_cell(text: str) -> str:
    """One TSV cell: quoted (as spreadsheets expect) when it holds a tab, newline or quote."""
    if any(c in text for c in '\t\n\r"'):
        return '"' + text.replace('"', '""') + '"'
    return text


# --- the model ---------------------------------------------------------------------------------


class ResultsModel(QAbstractTableModel):
    """One page's records as rows and their keys as columns; sorts itself.

    Showing a page costs nothing per row: the records are kept as given (not copied), a
    row's summary is made when it is first shown, and sorting keeps a permutation of row
    numbers instead of a proxy model, which on every reset mapped each of a million rows
    (35 ms, the larger part of a 1,000,000-row page's stall).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.records: Sequence[Any] = ()
        self.columns: list[str] = []
        self.first_number = 1  # what the first record is called: 251 on a second page
        self._order: list[int] | None = None  # shown row → record, once sorted
        self._summaries: dict[tuple[int, int], str] = {}  # by (record, column)
        self._sort_keys: dict[int, list[tuple[Any, ...]]] = {}
        self.refs: dict[str, tuple[str, str, bool]] = {}  # column → kind, key, is a list
        self.link_brush: QBrush | None = None
        self.link_font: QFont | None = None

    def set_refs(self, endpoint: str | None) -> None:
        """Which columns hold references, from the catalog (none for a filter's rows)."""
        self.refs = {
            path[0]: (spec.kind, spec.key, len(path) == 3 and path[1] == ITEM)
            for path, spec in (record_refs(endpoint) if endpoint else {}).items()
        }

    def refs_at(self, row: int, column: int) -> list[tuple[Ref, str]]:
        """The references in a shown cell, with their identity key (uuid, key, email)."""
        name = self.columns[column] if 0 <= column < len(self.columns) else ""
        found = self.refs.get(name)
        if found is None:
            return []
        kind, key, is_list = found
        value = self.value(row, column)
        if name == key:  # the record's own identity
            record = self.records[self.record_at(row)]
            title = record.get("name") if isinstance(record, dict) else None
            return [(Ref(kind, value, _name(title)), key)] if isinstance(value, str) else []
        items = value if is_list and isinstance(value, list) else [value]
        return [
            (Ref(kind, item[key], _name(item.get("name"))), key)
            for item in items
            if isinstance(item, dict) and isinstance(item.get(key), str)
        ]

    def set_records(
        self, records: Sequence[Any], columns: list[str], first_number: int = 1
    ) -> None:
        self.beginResetModel()
        self.records = records
        self.columns = columns
        self.first_number = first_number
        self._order = None
        self._summaries.clear()
        self._sort_keys.clear()
        self.endResetModel()

    def record_at(self, row: int) -> int:
        """Which record a shown row holds (they differ once sorted)."""
        return self._order[row] if self._order is not None else row

    def records_in_view_order(self) -> list[Any]:
        if self._order is None:
            return list(self.records)
        return [self.records[r] for r in self._order]

    def value(self, row: int, column: int) -> Any:
        """The value in a shown row and column."""
        return self._value_of(self.record_at(row), column)

    def _value_of(self, record_number: int, column: int) -> Any:
        record = self.records[record_number]
        name = self.columns[column]
        if isinstance(record, dict):
            return record.get(name)
        return record if name == "value" else None

    def summary(self, row: int, column: int) -> str:
        key = (self.record_at(row), column)
        text = self._summaries.get(key)
        if text is None:
            text = self._summaries[key] = summarize(self._value_of(*key))
        return text

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by :func:`sort_key` (numbers as numbers, nulls last); ties keep page order.

        ``column`` -1 shows the page's own order again.
        """
        if column < 0 or column >= len(self.columns):
            new_order = None
        else:
            keys = self._sort_keys.get(column)
            if keys is None:
                keys = self._sort_keys[column] = [
                    sort_key(self._value_of(r, column)) for r in range(len(self.records))
                ]
            new_order = sorted(
                range(len(self.records)),
                key=keys.__getitem__,
                reverse=order == Qt.SortOrder.DescendingOrder,  # stable: ties keep page order
            )
        if new_order is None and self._order is None:
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        records = [self.record_at(i.row()) for i in old]
        self._order = new_order
        shown_at = _inverse(new_order) if new_order is not None else None
        self.changePersistentIndexList(
            old,
            [
                self.index(shown_at[r] if shown_at is not None else r, i.column())
                for r, i in zip(records, old, strict=True)
            ],
        )
        self.layoutChanged.emit()

    # Qt calls these synchronously: an exception escaping them can crash the process.

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    @guarded("showing a result cell")
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.summary(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:  # a reference's UUID is in it, with its name
            return full_text(self.value(row, column))
        linkish = (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole)
        if role in linkish and self.columns[column] in self.refs and self.refs_at(row, column):
            link = role == Qt.ItemDataRole.ForegroundRole
            return self.link_brush if link else self.link_font
        if role == RAW_ROLE:
            return self.value(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            value = self.value(row, column)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @guarded("showing a result header")
    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return self.columns[section]
            # A record keeps its number when sorted: "record 17 of the page", wherever shown.
            return f"{self.record_at(section) + self.first_number:,}"
        return None


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def spread_fields(records: Sequence[Any]) -> list[Any]:
    """Each record with its ``fields`` as columns of their own (``fields.age``)."""
    out: list[Any] = []
    for record in records:
        fields = record.get("fields") if isinstance(record, dict) else None
        if not isinstance(fields, dict):
            out.append(record)
            continue
        flat = {k: v for k, v in record.items() if k != "fields"}
        flat.update({f"{FIELD_PREFIX}{k}": v for k, v in fields.items()})
        out.append(flat)
    return out


def _inverse(order: list[int]) -> list[int]:
    shown_at = [0] * len(order)
    for shown, record in enumerate(order):
        shown_at[record] = shown
    return shown_at


# --- the widget --------------------------------------------------------------------------------


class ResultsTable(QWidget):
    """A page of results as a sortable table, with paging buttons, copy and export.

    Signals:
        previous_requested(): the user asked for the previous page.
        next_requested(): the user asked for the next page.
        copied(int): this many cells went to the clipboard.
        exported(str): the rows were written to this file.
        export_failed(str): a sentence saying why an export was not written.
        link_activated(object, object, bool): a reference cell was clicked or Entered: its
            references (a list of (Ref, key)), where a menu goes (a global QPoint), and
            whether Ctrl or Shift was held (open in this request).
    """

    previous_requested = Signal()
    next_requested = Signal()
    copied = Signal(int)
    exported = Signal(str)
    export_failed = Signal(str)
    link_activated = Signal(object, object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsTable")
        self.setAccessibleName("Results table")
        self.endpoint: str | None = None
        self.model = ResultsModel(self)
        self._unfiltered: tuple[list[Any], str | None, tuple[str, ...] | None, int] = (
            [],
            None,
            None,
            1,
        )
        self._dialog: QFileDialog | None = None
        self._build_view()
        self._build_bar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._bar)
        layout.addWidget(self.export_note)
        layout.addWidget(self.view, 1)
        self._note("")
        self.set_page("", has_previous=False, has_next=False)
        self._update_buttons()

    def _build_view(self) -> None:
        self.view = QTableView(self)
        self.view.setObjectName("resultsView")
        self.view.setAccessibleName("Results")
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicatorShown(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.view.installEventFilter(self)
        self.view.setMouseTracking(True)  # the pointer turns to a hand over a link
        self.view.entered.connect(self._hover)
        self.view.clicked.connect(self._clicked)
        self.model.link_brush = QBrush(self.palette().color(QPalette.ColorRole.Link))
        font = QFont(self.view.font())
        font.setUnderline(True)
        self.model.link_font = font

        self.copy_action = QAction("Copy", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.view.addAction(self.copy_action)
        self.copy_uuid_action = QAction("Copy UUID", self)
        self.copy_uuid_action.setToolTip("Copy the UUID of the reference in this cell")
        self.copy_uuid_action.triggered.connect(self.copy_uuid)
        self.view.addAction(self.copy_uuid_action)
        self.view.selectionModel().currentChanged.connect(
            lambda index, _old: self.copy_uuid_action.setEnabled(bool(self.refs_at(index)))
        )
        self.copy_uuid_action.setEnabled(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def _build_bar(self) -> None:
        self.count_label = QLabel("No results yet.", self)
        self.count_label.setObjectName("resultsCount")
        self.previous_button = QPushButton("◀ Previous", self)
        self.previous_button.setObjectName("previousPageButton")
        self.previous_button.setAccessibleName("Previous page")
        self.previous_button.clicked.connect(self.previous_requested)
        self.page_label = QLabel(self)
        self.page_label.setObjectName("pageLabel")
        self.next_button = QPushButton("Next ▶", self)
        self.next_button.setObjectName("nextPageButton")
        self.next_button.setAccessibleName("Next page")
        self.next_button.clicked.connect(self.next_requested)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("copyCellsButton")
        self.copy_button.setToolTip("Copy the selected cells as tab-separated text (Ctrl+C)")
        self.copy_button.clicked.connect(self.copy_selection)
        # One "Export" menu, not a button per format: the bar must fit a 1024-pixel window.
        self.export_button = QPushButton("Export", self)
        self.export_button.setObjectName("exportButton")
        self.export_button.setToolTip("Save these results to a file")
        export_menu = QMenu(self.export_button)
        self.export_csv_action = export_menu.addAction("CSV, for spreadsheets…")
        self.export_csv_action.triggered.connect(lambda: self.choose_export(CSV))
        self.export_jsonl_action = export_menu.addAction("JSON Lines, one record a line…")
        self.export_jsonl_action.triggered.connect(lambda: self.choose_export(JSONL))
        self.export_button.setMenu(export_menu)
        self.fields_box = QCheckBox("Fields as columns", self)
        self.fields_box.setObjectName("fieldsAsColumns")
        self.fields_box.setToolTip("Show each contact field in a column of its own")
        self.fields_box.toggled.connect(lambda _on: self._show_unfiltered())
        self.fields_box.hide()  # until a page of contacts is shown
        # Where the last export went, for as long as these rows are shown.
        self.export_note = QLabel(self)
        self.export_note.setObjectName("exportNote")
        self.export_note.setWordWrap(True)
        self.export_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # The page and count texts grow with the numbers ("Page 2 of 20 · 251–500 of 4,812"):
        # they get a line of their own under the buttons, wrapping rather than widening the
        # window or being cut off.
        for label in (self.page_label, self.count_label):
            label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.export_button)
        where = QHBoxLayout()
        where.addWidget(self.page_label)
        where.addSpacing(12)
        where.addWidget(self.count_label, 1)
        where.addWidget(self.fields_box)  # this line has room to spare; the buttons' has not
        bar = QVBoxLayout()
        bar.setSpacing(2)
        bar.addLayout(buttons)
        bar.addLayout(where)
        self._bar = bar

    # --- content ------------------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        return list(self.model.columns)

    def row_count(self) -> int:
        return self.model.rowCount()

    def set_results(
        self,
        records: list[Any],
        endpoint: str | None = None,
        keys: tuple[str, ...] | None = None,
        *,
        first_number: int = 1,
    ) -> None:
        """Show ``records`` (a page's ``results``); ``endpoint`` orders the columns, ``keys``
        are the records' keys when they are known already, and the rows are numbered from
        ``first_number`` (a later page goes on from the one before)."""
        self.endpoint = endpoint
        self._unfiltered = (records, endpoint, keys, first_number)
        has_fields = bool(records) and isinstance(records[0], dict) and "fields" in records[0]
        self.fields_box.setVisible(has_fields)
        if has_fields and self.fields_box.isChecked():
            records, keys = spread_fields(records), None
        self.model.set_refs(endpoint)
        self.model.set_records(records, columns_of(records, endpoint, keys), first_number)
        # After the reset, so clearing the indicator has no old order to undo.
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self._note("")
        n = len(records)
        self.count_label.setText(f"{n:,} record{'s' if n != 1 else ''}" if n else "No results.")
        self._size_columns()
        self._update_buttons()

    def show_outcome(self, outcome: Outcome, *, first_number: int = 1) -> bool:
        """Show an outcome's ``results``, or the one object it returned (a 201, a GET by
        uuid) as one row; False (table cleared) when it holds neither."""
        results = outcome.results
        data = outcome.json if outcome.ok else None
        if results is None and isinstance(data, dict) and data:
            results = [data]
        if results is None:
            self.clear("This response is not a page of results.")
            return False
        endpoint = catalog().by_path(outcome.request.url.path)
        self.set_results(
            results,
            endpoint.name if endpoint else None,
            outcome.record_keys,
            first_number=first_number,
        )
        self.set_page("", has_previous=False, has_next=False)  # show_page says where, if paged
        return True

    def show_page(self, pager: Pager, outcome: Outcome) -> None:
        """Show the page a :class:`Pager` stands on, with its position and neighbours."""
        self.show_outcome(outcome, first_number=pager.first_record)
        self.set_page(pager.describe(), has_previous=pager.has_previous, has_next=pager.has_next)

    def show_filtered(self, rows: list[Any] | None) -> None:
        """Show the rows a response filter selected (None: the page's own rows again).

        Export writes what is shown, so it follows the filter too.
        """
        page = self._unfiltered
        if rows is None:
            self._show_unfiltered()
            return
        self.set_results(rows, None)  # the filter's own keys, in its own order
        self.fields_box.setVisible(False)
        self._unfiltered = page
        n = len(rows)
        self.count_label.setText(f"{n:,} filtered row{'s' if n != 1 else ''}" if n else "No rows.")

    def _show_unfiltered(self) -> None:
        records, endpoint, keys, first = self._unfiltered
        self.set_results(records, endpoint, keys, first_number=first)

    def set_page(self, text: str, *, has_previous: bool, has_next: bool) -> None:
        """What the paging bar says (``Page 2 · 251–500``) and which ways it can go."""
        self.page_label.setText(text)
        self.previous_button.setEnabled(has_previous)
        self.next_button.setEnabled(has_next)
        paged = bool(text) or has_previous or has_next
        for w in (self.previous_button, self.page_label, self.next_button):
            w.setVisible(paged)

    def set_loading(self, loading: bool) -> None:
        """While a page loads, the paging buttons wait."""
        if loading:
            self.previous_button.setEnabled(False)
            self.next_button.setEnabled(False)

    def clear(self, message: str = "No results yet.") -> None:
        self.model.set_records([], [])
        self._note("")
        self.count_label.setText(message)
        self.set_page("", has_previous=False, has_next=False)
        self._update_buttons()

    def records_in_view_order(self) -> list[Any]:
        """The records as the table shows them (sorted the way the user sorted)."""
        return self.model.records_in_view_order()

    def _size_columns(self) -> None:
        """Each column as wide as its header or its widest cell in the first rows, at most
        ``MAX_COLUMN_WIDTH``.

        Measured here rather than by ``resizeColumnsToContents``, which asks the model for
        every role of every sampled cell and lays each one out: 60 ms for a page of
        contacts, a stall of its own.
        """
        header = self.view.horizontalHeader()
        metrics = QFontMetricsF(self.view.font())  # fractional, as the delegate lays text
        # What the item delegate adds around a cell's text, and the grid line.
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
        margin += 1 if self.view.showGrid() else 0
        rows = range(min(self.model.rowCount(), SIZE_SAMPLE_ROWS))
        for c in range(self.model.columnCount()):
            texts = {self.model.summary(r, c) for r in rows}
            longest = heapq.nlargest(SIZE_MEASURED, texts, key=len)
            widest = max(map(metrics.horizontalAdvance, longest), default=0.0)
            width = max(header.sectionSizeHint(c), math.ceil(widest) + margin)
            header.resizeSection(c, min(width, MAX_COLUMN_WIDTH))

    def _update_buttons(self) -> None:
        has_rows = bool(self.model.records)
        self.copy_button.setEnabled(has_rows)
        self.copy_action.setEnabled(has_rows)
        self.export_button.setEnabled(has_rows)

    def _note(self, text: str) -> None:
        self.export_note.setText(text)
        self.export_note.setVisible(bool(text))

    # --- copy -------------------------------------------------------------------------------

    def selection_tsv(self) -> tuple[str, int]:
        """The selected cells as TSV (rows and columns as shown), and how many cells."""
        indexes = self.view.selectionModel().selectedIndexes()
        if not indexes:
            return "", 0
        rows = sorted({i.row() for i in indexes})
        header = self.view.horizontalHeader()
        columns = sorted({i.column() for i in indexes}, key=header.visualIndex)
        chosen = {(i.row(), i.column()) for i in indexes}
        lines = []
        for r in rows:
            cells = []
            for c in columns:
                if (r, c) in chosen:
                    value = self.model.value(r, c)
                    cells.append(tsv_cell(cell_text(value)))
                else:
                    cells.append("")
            lines.append("\t".join(cells))
        return "\n".join(lines), len(chosen)

    def copy_selection(self) -> None:
        """Copy the selected cells as TSV (whole values, not summaries)."""
        text, count = self.selection_tsv()
        if not count:
            return
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(count)

    @guarded("copying result cells", False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            if event.matches(QKeySequence.StandardKey.Copy):
                self.copy_selection()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Menu):
                return self._open_links(self.view.currentIndex(), event.modifiers())
        return super().eventFilter(watched, event)

    # --- links ------------------------------------------------------------------------------

    def refs_at(self, index: Index) -> list[tuple[Ref, str]]:
        if not index.isValid():
            return []
        return self.model.refs_at(index.row(), index.column())

    def _hover(self, index: QModelIndex) -> None:
        link = bool(self.refs_at(index))
        shape = Qt.CursorShape.PointingHandCursor if link else Qt.CursorShape.ArrowCursor
        self.view.viewport().setCursor(shape)

    def _clicked(self, index: QModelIndex) -> None:
        # Ctrl- and Shift-clicks select cells, as in any table; a plain click follows.
        if not QGuiApplication.keyboardModifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        ):
            self._open_links(index, Qt.KeyboardModifier.NoModifier)

    def _open_links(self, index: Index, mods: Qt.KeyboardModifier) -> bool:
        refs = self.refs_at(index)
        if not refs:
            return False
        rect = self.view.visualRect(index)
        where = self.view.viewport().mapToGlobal(rect.bottomLeft())
        held = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        self.link_activated.emit(refs, where, bool(mods & held))
        return True

    def copy_uuid(self) -> None:
        """Copy the identity (UUID) of each reference in the current cell, one a line."""
        refs = self.refs_at(self.view.currentIndex())
        if refs:
            QGuiApplication.clipboard().setText("\n".join(r.value for r, _key in refs))
            self.copied.emit(len(refs))

    # --- export -----------------------------------------------------------------------------

    def choose_export(self, fmt: str) -> QFileDialog:
        """Ask where to export (a non-modal dialog; the export runs when a file is chosen)."""
        what = "CSV files (*.csv)" if fmt == CSV else "JSON Lines files (*.jsonl *.ndjson)"
        dialog = QFileDialog(self, "Export results")
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(what)
        dialog.setDefaultSuffix(fmt)
        name = f"{self.endpoint or 'results'}.{fmt}"
        dialog.selectFile(name)
        dialog.fileSelected.connect(lambda path: self.export(path, fmt))
        dialog.finished.connect(dialog.deleteLater)
        self._dialog = dialog
        dialog.open()  # never exec(): a nested loop breaks the asyncio tasks (STACK-NOTES §2)
        return dialog

    def export(self, path: str | Path, fmt: str | None = None) -> bool:
        """Write the rows, in the order shown, to ``path`` as CSV or JSON Lines."""
        path = Path(path)
        fmt = fmt or (CSV if path.suffix.lower() == ".csv" else JSONL)
        records = self.records_in_view_order()
        try:
            if fmt == CSV:
                rows_to_csv(records, path, columns=self.columns, endpoint=self.endpoint)
            else:
                to_jsonl(records, path)
        except ExportError as exc:
            self._note(f"Not exported: {exc.message}")
            self.export_failed.emit(exc.message)
            return False
        n = len(records)
        self._note(f"Exported {n:,} record{'s' if n != 1 else ''} to {path}")
        self.exported.emit(str(path))
        return True
