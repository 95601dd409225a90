"""The editor for a file to upload: a path, typed or chosen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor


class FileEditor(Editor):
    """A path and a "Choose…" button; the core reads and checks the file when building.

    Signals:
        value_changed(): the path changed.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.line = QLineEdit(box)
        self.line.setAccessibleName(f"{param.name} path")
        self.line.setPlaceholderText("path of the file to upload")
        self.choose_button = QPushButton("Choose…", box)
        self.choose_button.setAccessibleName(f"Choose the {param.name} to upload")
        self.choose_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        row.addWidget(self.line, 1)
        row.addWidget(self.choose_button)
        self.dialog: QFileDialog | None = None
        self.line.textChanged.connect(self.value_changed)
        self.choose_button.clicked.connect(self.choose)
        self._finish(box)
        self.setFocusProxy(self.line)

    def value(self) -> Any:
        return self.line.text().strip() or None

    def set_value(self, value: Any) -> None:
        self.line.setText("" if value is None else str(value))

    @Slot()
    def choose(self) -> None:
        """Open a file chooser without a nested event loop (it reports back by signal)."""
        if self.dialog is None:
            self.dialog = QFileDialog(self, f"Choose the {self.param.name} to upload")
            self.dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            self.dialog.fileSelected.connect(self.line.setText)
        self.dialog.open()
