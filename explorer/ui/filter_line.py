"""The filter line above a response: a JMESPath expression, its presets and what went wrong.

Only the controls: applying the expression is the response view's (on a worker thread for
big bodies). Enter applies what is typed; clearing the line shows the whole response again.
A bad expression turns the line red, puts the cursor where it fails and says why below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # jmespath loads with the first filter, not with the window
    from explorer.core.response_filter import Preset

ERROR_COLOUR = "#c62828"


class FilterLine(QWidget):
    """One line edit with a Presets menu, and a message under it when the filter fails.

    Signals:
        filter_requested(str): apply this expression ("" shows the whole response).
    """

    filter_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterLine")
        self.edit = QLineEdit(self)
        self.edit.setObjectName("responseFilter")
        self.edit.setAccessibleName("Filter the response")
        self.edit.setPlaceholderText("Filter, e.g. results[].name or results[?status=='active']")
        self.edit.setToolTip(
            "A JMESPath expression: what it selects is shown in Body and Table, and exported.\n"
            "Enter applies it; an empty filter shows the whole response."
        )
        self.edit.setClearButtonEnabled(True)
        self.edit.returnPressed.connect(self._apply)
        self.edit.textChanged.connect(self._typed)
        self.presets_button = QToolButton(self)
        self.presets_button.setObjectName("filterPresetsButton")
        self.presets_button.setText("Presets")
        self.presets_button.setToolTip("Filters for this endpoint, in RapidPro's export terms")
        self.presets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.presets_menu = QMenu(self.presets_button)
        self.presets_button.setMenu(self.presets_menu)
        self.presets_button.hide()
        self.state_label = QLabel(self)
        self.state_label.setObjectName("filterState")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("filterError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOUR}")
        self.error_label.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.edit, 1)
        row.addWidget(self.presets_button)
        row.addWidget(self.state_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        self.applied = ""  # the expression now shown ("" when the whole response is)

    def text(self) -> str:
        return self.edit.text().strip()

    def set_text(self, text: str) -> None:
        """Show an expression (a remembered one) without applying it."""
        self.edit.blockSignals(True)
        self.edit.setText(text)
        self.edit.blockSignals(False)
        self.show_error("")

    def set_presets(self, presets: list[Preset]) -> None:
        self.presets_menu.clear()
        for preset in presets:
            action = self.presets_menu.addAction(preset.label)
            action.setToolTip(preset.expression)
            action.triggered.connect(lambda _c=False, p=preset: self.choose(p.expression))
        self.presets_button.setVisible(bool(presets))

    def choose(self, expression: str) -> None:
        """Put an expression in the line and apply it (a preset)."""
        self.set_text(expression)
        self._apply()

    def _apply(self) -> None:
        self.filter_requested.emit(self.text())

    def _typed(self, text: str) -> None:
        self.show_error("")
        if not text.strip() and self.applied:
            # The clear button (or deleting it all): back to the whole response at once.
            QTimer.singleShot(0, self._apply)

    def show_state(self, text: str) -> None:
        self.state_label.setText(text)

    def show_error(self, message: str, position: int = -1) -> None:
        """Flag the expression: the reason below, the cursor at the character that fails."""
        if message and position >= 0 and "character" not in message:
            message += f" (character {position + 1})"
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        self.edit.setStyleSheet(
            f"QLineEdit {{ border: 1px solid {ERROR_COLOUR}; }}" if message else ""
        )
        if message and position >= 0:
            at = min(position, len(self.edit.text()))
            self.edit.setCursorPosition(at)
            if at < len(self.edit.text()):
                self.edit.setSelection(at, 1)
