"""The response body viewer's toolbar: Pretty/Raw, the find box and its count, Copy, Save.

Only buttons and a line edit; what they do is the viewer's. The find box turns Enter,
Shift+Enter and Esc into signals, so the viewer need not filter its keys.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from explorer.ui.elided_label import ElidedLabel
from explorer.ui.errors import guarded


class JsonToolbar(QWidget):
    """The row of controls above the body.

    Signals:
        next_requested(): Enter in the find box: go to the next match.
        previous_requested(): Shift+Enter in the find box: go to the previous match.
        find_left(): Esc in the find box: back to the body.
    """

    next_requested = Signal()
    previous_requested = Signal()
    find_left = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pretty_button = self._tool("Pretty", "jsonPrettyButton")
        self.pretty_button.setToolTip("Show JSON re-indented, two spaces a level")
        self.raw_button = self._tool("Raw", "jsonRawButton")
        self.raw_button.setToolTip("Show the body exactly as received")
        group = QButtonGroup(self)
        for button in (self.pretty_button, self.raw_button):
            button.setCheckable(True)
            group.addButton(button)
        self.pretty_button.setChecked(True)
        self._build_find()
        self.copy_button = self._tool("Copy", "jsonCopyButton")
        self.copy_button.setToolTip("Copy the selection (or, with none, the whole body)")
        self.save_button = self._tool("Save…", "jsonSaveButton")
        self.save_button.setToolTip("Save the body exactly as received")
        self.status_label = ElidedLabel(self)  # a long status never widens the window
        self.status_label.setObjectName("jsonStatus")
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        for widget in (self.pretty_button, self.raw_button):
            bar.addWidget(widget)
        bar.addSpacing(8)
        for widget in (self.find_edit, self.prev_button, self.next_button, self.find_count):
            bar.addWidget(widget)
        bar.addSpacing(8)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.save_button)
        bar.addStretch(1)
        bar.addWidget(self.status_label)

    def _tool(self, text: str, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setObjectName(name)
        button.setAutoRaise(True)
        return button

    def _build_find(self) -> None:
        self.find_edit = QLineEdit(self)
        self.find_edit.setObjectName("jsonFindEdit")
        self.find_edit.setAccessibleName("Find in body")
        self.find_edit.setPlaceholderText("Find")
        self.find_edit.setToolTip("Find in the body (Ctrl+F); Enter: next, Shift+Enter: previous")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setMaximumWidth(260)
        # Room for the placeholder, however narrow the pane.
        self.find_edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("Find") + 24)
        self.find_edit.installEventFilter(self)
        self.find_count = QLabel(self)
        self.find_count.setObjectName("jsonFindCount")
        self.find_count.setMinimumWidth(self.fontMetrics().horizontalAdvance("00 of 000") + 4)
        self.prev_button = self._arrow(Qt.ArrowType.UpArrow, "Previous match", "Shift+Enter")
        self.prev_button.clicked.connect(self.previous_requested)
        self.next_button = self._arrow(Qt.ArrowType.DownArrow, "Next match", "Enter")
        self.next_button.clicked.connect(self.next_requested)

    def _arrow(self, arrow: Qt.ArrowType, name: str, keys: str) -> QToolButton:
        button = QToolButton(self)
        button.setArrowType(arrow)
        button.setToolTip(f"{name} ({keys})")
        button.setAccessibleName(name)
        button.setAutoRaise(True)
        return button

    @guarded("handling a key in the find box", False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.find_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.previous_requested.emit()
                else:
                    self.next_requested.emit()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.find_left.emit()
                return True
        return super().eventFilter(watched, event)
