"""The base of editors made of rows (lists, key/value pairs, translations).

Rows can be added and removed with buttons that Tab reaches, and the same value can be edited
as text (one item per line, or JSON) — handy for pasting fifty URNs. The two views are kept
in step: text set in code or typed is read back into rows; text the rows cannot hold (JSON
with a typo) is kept as it is and handed to the core, whose message says what is wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.catalog import Param
from explorer.core.errors import ValidationError
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import ERROR_COLOUR, Editor, tint

TEXT_LINES = 5
MARKER_WIDTH = 3
ROW_SPACING = 4


@dataclass
class Row:
    """One row: its container, the widgets Tab stops at, and the one that takes focus."""

    widget: QWidget
    focusables: list[QWidget]
    primary: QWidget
    remove: QToolButton
    marker: QFrame
    parts: dict[str, Any] = field(default_factory=dict)  # the subclass's own widgets


class RowsEditor(Editor):
    """Rows plus a text view of the same value; subclasses say what a row holds.

    Subclasses implement :meth:`_make_row` (build the row's inputs), :meth:`_row_value`
    and :meth:`_set_row` (one row's raw value), :meth:`_combine` / :meth:`_split` (row values
    ↔ the editor's value) and :meth:`_to_text` / :meth:`_from_text` (value ↔ text view).

    Signals:
        value_changed(): a row, the number of rows or the text changed.
    """

    noun = "item"
    text_label = "Edit as text"

    def __init__(
        self,
        param: Param,
        parent: QWidget | None = None,
        context: EditorContext | None = None,
        *,
        json_text: bool = False,
    ) -> None:
        super().__init__(param, parent, context)
        self.rows: list[Row] = []
        self._value_rows: list[Row] = []
        self._raw: str | None = None  # text the rows cannot hold; sent as typed
        self._quiet = False
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        self.rows_box = QWidget(body)
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(3)
        layout.addWidget(self.rows_box)

        self.text = QPlainTextEdit(body)
        self.text.setObjectName("rowsText")
        self.text.setAccessibleName(f"{param.name} as text")
        self.text.setTabChangesFocus(True)
        if json_text:
            self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * TEXT_LINES + 12)
        self.text.hide()
        layout.addWidget(self.text)

        bar = QHBoxLayout()
        # Indented like the rows' inputs, past the error marker on their left.
        bar.setContentsMargins(MARKER_WIDTH + ROW_SPACING, 0, 0, 0)
        self.add_button = QToolButton(body)
        self.add_button.setObjectName("addRow")
        self.add_button.setText(f"+ Add {self.noun}")
        self.add_button.setAccessibleName(f"Add {self.noun} to {param.name}")
        self.add_button.setToolTip(f"Add another {self.noun}")
        self.add_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.add_button.clicked.connect(self.add_row)
        self.text_toggle = QToolButton(body)
        self.text_toggle.setObjectName("textToggle")
        self.text_toggle.setText(self.text_label)
        self.text_toggle.setCheckable(True)
        self.text_toggle.setAccessibleName(f"{self.text_label}: {param.name}")
        self.text_toggle.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.text_toggle.toggled.connect(self._on_toggle)
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        bar.addWidget(self.text_toggle)
        layout.addLayout(bar)
        self.text.textChanged.connect(self._on_text)
        self._append_row()
        self._finish(body)
        self.setFocusProxy(self.rows[0].primary)

    # --- what subclasses provide -------------------------------------------------------------

    def _make_row(self, row: QWidget, layout: QHBoxLayout) -> tuple[list[QWidget], QWidget, dict]:
        """Add a row's inputs to ``layout``; return (Tab stops, focus widget, parts)."""
        raise NotImplementedError

    def _row_value(self, row: Row) -> Any:
        """The row's raw value, or None when it is empty (left out)."""
        raise NotImplementedError

    def _set_row(self, row: Row, value: Any) -> None:
        raise NotImplementedError

    def _combine(self, values: list[Any]) -> Any:
        """The editor's value from the values of the non-empty rows."""
        return values

    def _split(self, value: Any) -> list[Any] | None:
        """Row values from an editor value, or None when rows cannot show it."""
        raise NotImplementedError

    def _to_text(self, value: Any) -> str:
        raise NotImplementedError

    def _from_text(self, text: str) -> Any:
        """The value text stands for; ValueError when it cannot be read as one."""
        raise NotImplementedError

    def _row_for(self, key: str | int) -> Row | None:
        """The row a problem's path points at (an index among the non-empty rows)."""
        if isinstance(key, int) and 0 <= key < len(self._value_rows):
            return self._value_rows[key]
        return None

    # --- value ------------------------------------------------------------------------------

    def value(self) -> Any:
        if self._raw is not None:
            if not self._raw.strip():
                return None
            try:
                return self._from_text(self._raw)
            except ValueError:
                return self._raw  # the core says where the text goes wrong
        self._value_rows = []
        values = []
        for row in self.rows:
            value = self._row_value(row)
            if value is not None:
                values.append(value)
                self._value_rows.append(row)
        return self._combine(values) if values else None

    def set_value(self, value: Any) -> None:
        if value is None or value in ("", [], {}):
            parts: list[Any] | None = []
        else:
            parts = self._split(value)
        with self._quietly():
            if parts is None:
                # Rows cannot hold it (e.g. JSON with a typo): keep it as text, as typed.
                self._raw = value if isinstance(value, str) else self._to_text(value)
                self.text.setPlainText(self._raw)
                self._show_text(True)
            else:
                self._raw = None
                self._set_rows(parts)
                self.text.setPlainText(self._to_text(value) if parts else "")
        self.value_changed.emit()

    # --- rows -------------------------------------------------------------------------------

    @Slot()
    def add_row(self) -> Row:
        """Append an empty row and put the cursor in it."""
        row = self._append_row()
        row.primary.setFocus()
        self.value_changed.emit()
        return row

    def remove_row(self, row: Row) -> None:
        """Drop ``row``; the last row left is emptied instead, so there is always one to type in."""
        index = self.rows.index(row)
        with self._quietly():
            # Values move up rather than widgets being deleted, so the first row (and its
            # place in the window's Tab order) stays put.
            for k in range(index, len(self.rows) - 1):
                self._set_row(self.rows[k], self._row_value(self.rows[k + 1]))
            if len(self.rows) > 1:
                self._drop_last()
            else:
                self._set_row(self.rows[0], None)
        self.rows[min(index, len(self.rows) - 1)].primary.setFocus()
        self._rows_changed()

    def _append_row(self) -> Row:
        widget = QWidget(self.rows_box)
        layout = QHBoxLayout(widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(ROW_SPACING)
        marker = QFrame(widget)
        marker.setFixedWidth(MARKER_WIDTH)
        marker.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        layout.addWidget(marker)
        focusables, primary, parts = self._make_row(widget, layout)
        remove = QToolButton(widget)
        remove.setObjectName("removeRow")
        remove.setText("−")
        remove.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout.addWidget(remove, 0, Qt.AlignmentFlag.AlignTop)
        row = Row(widget, [*focusables, remove], primary, remove, marker, parts)
        remove.clicked.connect(lambda: self.remove_row(row))
        self.rows.append(row)
        self.rows_layout.addWidget(widget)
        self._label_rows()
        self._chain()
        if len(self.rows) == 1:
            self.setFocusProxy(primary)
        return row

    def _drop_last(self) -> None:
        row = self.rows.pop()
        row.widget.hide()
        self.rows_layout.removeWidget(row.widget)
        row.widget.deleteLater()
        self._label_rows()

    def _set_rows(self, values: list[Any]) -> None:
        while len(self.rows) < max(1, len(values)):
            self._append_row()
        while len(self.rows) > max(1, len(values)):
            self._drop_last()
        for row, value in zip(self.rows, values or [None], strict=False):
            self._set_row(row, value)

    def _label_rows(self) -> None:
        for i, row in enumerate(self.rows, 1):
            row.remove.setAccessibleName(f"Remove {self.noun} {i} of {self.param.name}")
            row.remove.setToolTip(f"Remove this {self.noun}")

    def _chain(self) -> None:
        """Tab goes through the rows in order, then to the buttons (new rows are spliced in)."""
        chain = [w for row in self.rows for w in row.focusables]
        chain += [self.add_button, self.text_toggle, self.text]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # --- keeping the two views in step -----------------------------------------------------

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        previous, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = previous

    @Slot()
    def _rows_changed(self) -> None:
        """A row changed: the rows are the value now (the text view is refreshed on show)."""
        if self._quiet:
            return
        self._raw = None
        self.value_changed.emit()

    @Slot()
    def _on_text(self) -> None:
        if self._quiet:
            return
        text = self.text.toPlainText()
        try:
            value = self._from_text(text) if text.strip() else None
            parts = [] if value is None else self._split(value)
        except ValueError:
            parts = None
        with self._quietly():
            if parts is None:
                self._raw = text
            else:
                self._raw = None
                self._set_rows(parts)
        self.value_changed.emit()

    @Slot(bool)
    def _on_toggle(self, as_text: bool) -> None:
        if not as_text and self._raw is not None and self._raw.strip():
            # The rows cannot show this text; leaving would lose it.
            self._show_text(True)
            self.text_toggle.setToolTip("Fix the text first: the rows cannot show it as it is")
            return
        if as_text:
            with self._quietly():
                value = self.value()
                self.text.setPlainText("" if value is None else self._to_text(value))
        self.text_toggle.setToolTip("")
        self._show_text(as_text)

    def _show_text(self, as_text: bool) -> None:
        """Show the text view (or the rows) without touching the value."""
        blocked = self.text_toggle.blockSignals(True)
        self.text_toggle.setChecked(as_text)
        self.text_toggle.blockSignals(blocked)
        self.text.setVisible(as_text)
        self.rows_box.setVisible(not as_text)
        self.add_button.setVisible(not as_text)
        self.setFocusProxy(self.text if as_text else self.rows[0].primary)

    # --- problems ---------------------------------------------------------------------------

    def _mark(self, problem: ValidationError | None) -> None:
        bad = self._row_for(problem.path[0]) if problem is not None and problem.path else None
        for row in self.rows:
            wrong = row is bad
            row.marker.setAutoFillBackground(wrong)
            if wrong:
                tint(row.marker, ERROR_COLOUR, QPalette.ColorRole.Window)
            row.marker.setToolTip(problem.message if wrong and problem is not None else "")
