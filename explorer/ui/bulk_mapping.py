"""The bulk view's mapping table: which column, constant or template fills each field.

One line per parameter and body field of the form (and per ``fields.<key>`` the file or
the workspace names), each with where its value comes from — a column of the file, one
value for every row, a ``{{column}}`` template, or nothing — and that value. Built from
and read back into an :class:`explorer.bulk.mapping.Mapping`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from explorer.bulk.mapping import (
    COLUMN,
    CONSTANT,
    FIELDS_PREFIX,
    TEMPLATE,
    Mapping,
    Rule,
)

log = logging.getLogger(__name__)

NOT_USED = "(not used)"
ONE_VALUE = "One value for every row"
TEMPLATE_TEXT = "Template with {{column}}"


class BulkMapping(QTableWidget):
    """Field | Comes from | Value, one line per target, editable.

    Signals:
        mapping_changed(): the user changed where a field's value comes from.
    """

    mapping_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setObjectName("bulkMapping")
        self.setAccessibleName("Mapping of columns to fields")
        self.setHorizontalHeaderLabels(["Field", "Comes from", "Value"])
        self.verticalHeader().hide()
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(1, 220)
        self._endpoint = ""
        self._method = ""
        self._targets: list[str] = []
        self._columns: list[str] = []

    def show_mapping(
        self,
        mapping: Mapping,
        columns: list[str] | tuple[str, ...],
        field_keys: tuple[str, ...] = (),
    ) -> None:
        """One line per target of ``mapping``'s form, set as ``mapping`` says; with a
        ``fields`` object, one line per contact field key of the workspace as well."""
        self._endpoint, self._method = mapping.endpoint, str(mapping.method)
        self._columns = list(columns)
        extra = {t for t in mapping.rules if t.startswith(FIELDS_PREFIX)}
        if "fields" in mapping.targets():
            extra |= {FIELDS_PREFIX + key for key in field_keys}
        self._targets = mapping.targets() + sorted(extra)
        self.blockSignals(True)
        self.setRowCount(len(self._targets))
        for row, target in enumerate(self._targets):
            name = QTableWidgetItem(target)
            name.setFlags(name.flags() & ~name.flags().ItemIsEditable)
            self.setItem(row, 0, name)
            source = QComboBox()
            source.addItems([NOT_USED, *(f"Column: {c}" for c in self._columns), ONE_VALUE,
                             TEMPLATE_TEXT])
            value = QLineEdit()
            value.setFrame(False)
            rule = mapping.rules.get(target)
            self._set_row(source, value, rule)
            source.currentIndexChanged.connect(lambda _i, r=row: self._source_changed(r))
            value.textEdited.connect(lambda _t: self.mapping_changed.emit())
            self.setCellWidget(row, 1, source)
            self.setCellWidget(row, 2, value)
        self.blockSignals(False)
        self.resizeRowsToContents()

    def _set_row(self, source: QComboBox, value: QLineEdit, rule: Rule | None) -> None:
        if rule is None:
            source.setCurrentIndex(0)
        elif rule.kind == COLUMN and rule.value in self._columns:
            source.setCurrentIndex(1 + self._columns.index(rule.value))
        elif rule.kind == CONSTANT:
            source.setCurrentText(ONE_VALUE)
            value.setText(rule.value)
        elif rule.kind == TEMPLATE:
            source.setCurrentText(TEMPLATE_TEXT)
            value.setText(rule.value)
        self._enable_value(source, value)

    def _enable_value(self, source: QComboBox, value: QLineEdit) -> None:
        typed = source.currentText() in (ONE_VALUE, TEMPLATE_TEXT)
        value.setEnabled(typed)
        value.setPlaceholderText(
            "{{Name}} from {{District}}" if source.currentText() == TEMPLATE_TEXT
            else "the value every row gets" if typed else ""
        )
        if not typed:
            value.clear()

    def _source_changed(self, row: int) -> None:
        source, value = self._widgets(row)
        self._enable_value(source, value)
        self.mapping_changed.emit()

    def _widgets(self, row: int) -> tuple[QComboBox, QLineEdit]:
        source = self.cellWidget(row, 1)
        value = self.cellWidget(row, 2)
        assert isinstance(source, QComboBox) and isinstance(value, QLineEdit)
        return source, value

    def set_source(self, target: str, choice: str, text: str = "") -> None:
        """Choose where ``target`` comes from: ``Column: X``, ONE_VALUE, TEMPLATE_TEXT, NOT_USED."""
        row = self._targets.index(target)
        source, value = self._widgets(row)
        source.setCurrentText(choice)
        if text:
            value.setText(text)
            self.mapping_changed.emit()

    def mapping(self) -> Mapping:
        """What the table says now."""
        from explorer.core.catalog import HttpMethod

        mapping = Mapping(self._endpoint, HttpMethod(self._method))
        for row, target in enumerate(self._targets):
            source, value = self._widgets(row)
            choice = source.currentText()
            if choice.startswith("Column: "):
                mapping.rules[target] = Rule(COLUMN, choice.removeprefix("Column: "))
            elif choice == ONE_VALUE and value.text().strip():
                mapping.rules[target] = Rule(CONSTANT, value.text().strip())
            elif choice == TEMPLATE_TEXT and value.text().strip():
                mapping.rules[target] = Rule(TEMPLATE, value.text().strip())
        return mapping
