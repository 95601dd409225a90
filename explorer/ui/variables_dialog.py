"""Edit a collection's variables and its environment for one workspace."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import ValidationError, ValidationErrors
from explorer.store.collections import Collection
from explorer.store.errors import StoreError

log = logging.getLogger(__name__)


class VariablesDialog(QDialog):
    """Two tables of ``name = value``: the collection's own, and the workspace's environment.

    A request sees the collection's values first, then the environment's (which win), then
    ``{{base_url}}``. Tokens do not belong here: a token-like name must stay empty.

    Signals:
        saved(): the variables were written to the collection.
    """

    saved = Signal()

    def __init__(
        self, collection: Collection, workspace: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("variablesDialog")
        self.setWindowTitle(f"Variables of {collection.name}")
        self.collection = collection
        self.workspace = workspace
        self.shared = self._table(collection.variables, "collectionVariables")
        environment = collection.environments.get(workspace, {}) if workspace else {}
        self.environment = self._table(environment, "environmentVariables")
        self.problem = QLabel(self)
        self.problem.setObjectName("variablesProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Used by every request of {collection.name}:", self))
        layout.addWidget(self.shared)
        layout.addLayout(self._row_buttons(self.shared))
        where = f"the workspace {workspace}" if workspace else "no workspace"
        env_label = QLabel(f"With {where} (these win over the collection's):", self)
        layout.addWidget(env_label)
        layout.addWidget(self.environment)
        layout.addLayout(self._row_buttons(self.environment))
        self.environment.setEnabled(workspace is not None)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(520, 460)

    def _table(self, values: dict[str, str], name: str) -> QTableWidget:
        table = QTableWidget(0, 2, self)
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(["Name", "Value"])
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().hide()
        for key, value in values.items():
            self._add_row(table, key, value)
        return table

    def _row_buttons(self, table: QTableWidget) -> QHBoxLayout:
        add = QPushButton("+ Add", self)
        add.clicked.connect(lambda: self._add_row(table, "", "", edit=True))
        remove = QPushButton("− Remove", self)
        remove.clicked.connect(lambda: table.removeRow(table.currentRow()))
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        return row

    def _add_row(self, table: QTableWidget, key: str, value: str, *, edit: bool = False) -> None:
        row = table.rowCount()
        table.insertRow(row)
        table.setItem(row, 0, QTableWidgetItem(key))
        table.setItem(row, 1, QTableWidgetItem(value))
        if edit:
            table.setCurrentCell(row, 0)
            table.editItem(table.item(row, 0))

    @staticmethod
    def values(table: QTableWidget) -> dict[str, str]:
        """The table's rows; rows with no name are ignored."""
        out: dict[str, str] = {}
        for row in range(table.rowCount()):
            key = (table.item(row, 0) or QTableWidgetItem()).text().strip()
            if key:
                out[key] = (table.item(row, 1) or QTableWidgetItem()).text()
        return out

    def save(self) -> bool:
        """Write both tables; a bad name (or a token-like one with a value) is said here."""
        try:
            self.collection.set_variables(self.values(self.shared))
            if self.workspace is not None:
                env = self.values(self.environment)
                self.collection.set_environment(self.workspace, env or None)
        except (ValidationError, ValidationErrors, StoreError) as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return False
        self.problem.hide()
        self.saved.emit()
        self.accept()
        return True
