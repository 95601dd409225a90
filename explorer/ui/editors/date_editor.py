"""The editor for a calendar date (``YYYY-MM-DD``), typed or picked."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget

from explorer.core.catalog import Param
from explorer.core.errors import ValidationError
from explorer.core.values import DATE_EXAMPLE, format_date, parse_date
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor

if TYPE_CHECKING:
    from explorer.ui.editors.calendar_popup import CalendarPopup


class DateEditor(Editor):
    """A date typed as ``YYYY-MM-DD`` or picked from a calendar (Alt+Down); empty is unset.

    Signals:
        value_changed(): the date changed.
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
        self.line.setAccessibleName(param.name)
        example = param.example if param.example is not None else DATE_EXAMPLE
        self.line.setPlaceholderText("not set · YYYY-MM-DD")
        self.line.setToolTip(f"A date as YYYY-MM-DD, e.g. {example}")
        needed = self.line.fontMetrics().horizontalAdvance("not set · YYYY-MM-DD") + 16
        self.line.setMinimumWidth(needed)  # the placeholder and any date fit
        self.pick_button = QToolButton(box)
        self.pick_button.setText("Pick…")
        self.pick_button.setToolTip(f"Pick {param.name} from a calendar (Alt+Down)")
        self.pick_button.setAccessibleName(f"Pick {param.name} from a calendar")
        self.pick_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.clear_button = QToolButton(box)
        self.clear_button.setText("Clear")
        self.clear_button.setAccessibleName(f"Clear {param.name}")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        row.addWidget(self.line, 1)
        row.addWidget(self.pick_button)
        row.addWidget(self.clear_button)
        self.popup: CalendarPopup | None = None  # made on first use
        self.line.textChanged.connect(self.value_changed)
        self.pick_button.clicked.connect(self.open_picker)
        self.clear_button.clicked.connect(self.line.clear)
        QShortcut(
            QKeySequence("Alt+Down"),
            self.line,
            self.open_picker,
            context=Qt.ShortcutContext.WidgetShortcut,
        )
        self._finish(box)
        self.setFocusProxy(self.line)

    def value(self) -> Any:
        text = self.line.text().strip()
        if not text:
            return None
        try:
            return format_date(parse_date(text))
        except ValidationError:
            return text  # the core's message says what is wrong with it

    def set_value(self, value: Any) -> None:
        if isinstance(value, date):
            value = format_date(value)
        self.line.setText("" if value is None else str(value))

    @Slot()
    def open_picker(self) -> None:
        if self.popup is None:
            from explorer.ui.editors.calendar_popup import CalendarPopup

            self.popup = CalendarPopup(self, with_time=False)
            self.popup.picked.connect(self._picked)
        try:
            current: date | None = parse_date(self.line.text()) if self.line.text() else None
        except ValidationError:
            current = None
        self.popup.show_value(current)
        self.popup.open_below(self.line)

    @Slot(object)
    def _picked(self, value: date | datetime) -> None:
        self.line.setText(format_date(value))
        self.line.setFocus()
