"""The editor for a date and time: typed or picked in local time, sent in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from explorer.core.catalog import Param
from explorer.core.errors import ValidationError
from explorer.core.values import DATETIME_FORMAT, format_datetime, parse_datetime
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor, hint_label

if TYPE_CHECKING:
    from explorer.ui.editors.calendar_popup import CalendarPopup


WIDEST_VALUE = "2026-12-31 23:59:59.000000"


def local_text(moment: datetime) -> str:
    """``2026-01-05 16:30:00.000000`` in this computer's time zone."""
    local = moment.astimezone() if moment.tzinfo is not None else moment
    return local.strftime("%Y-%m-%d %H:%M:%S.%f")


class DateTimeEditor(Editor):
    """A local date and time (typed, picked, or "Now"); ``value()`` is RapidPro's UTC text.

    Any ISO 8601 text is taken as typed (``Z`` or an offset included); text without an offset
    is local time. The UTC value that will be sent shows underneath. Empty means unset.
    Alt+Down opens the calendar.

    Signals:
        value_changed(): the date-time changed.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        box = QWidget(self)
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self.line = QLineEdit(box)
        self.line.setAccessibleName(f"{param.name} (local time)")
        self.line.setPlaceholderText("not set · local time")
        self.line.setToolTip(
            "Local time as YYYY-MM-DD hh:mm:ss, or any ISO 8601 date-time with Z or an "
            f"offset; sent as {DATETIME_FORMAT}"
        )
        # The whole value shows, date first, however narrow the form is.
        self.line.setMinimumWidth(self.line.fontMetrics().horizontalAdvance(WIDEST_VALUE) + 16)
        self.pick_button = _button(box, "Pick…", f"Pick {param.name} from a calendar (Alt+Down)")
        self.now_button = _button(box, "Now", f"Set {param.name} to now")
        self.clear_button = _button(box, "Clear", f"Clear {param.name}")
        # The buttons go under the value, beside what it is sent as: they stay in view and
        # the value keeps the field's width.
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.pick_button)
        row.addWidget(self.now_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        outer.addWidget(self.line)
        outer.addLayout(row)
        self._row = row
        self._box = box
        self._hint: QLabel | None = None
        self.popup: CalendarPopup | None = None  # made on first use
        self.line.textChanged.connect(self._on_text)
        self.pick_button.clicked.connect(self.open_picker)
        self.now_button.clicked.connect(self.set_now)
        self.clear_button.clicked.connect(self.line.clear)
        QShortcut(
            QKeySequence("Alt+Down"),
            self.line,
            self.open_picker,
            context=Qt.ShortcutContext.WidgetShortcut,
        )
        self._finish(box)
        self.setFocusProxy(self.line)

    @property
    def hint(self) -> QLabel:
        """What will be sent, in UTC (made when first needed)."""
        if self._hint is None:
            self._hint = hint_label(self._box, "utcHint")
            self._hint.setWordWrap(True)
            self._row.insertWidget(3, self._hint, 1)  # after the buttons
        return self._hint

    def value(self) -> Any:
        text = self.line.text().strip()
        if not text:
            return None
        try:
            return format_datetime(parse_datetime(text))
        except ValidationError:
            return text  # the core's message says what is wrong with it

    def set_value(self, value: Any) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.line.clear()
            return
        try:
            moment = parse_datetime(value)
        except ValidationError:
            self.line.setText(str(value))
        else:
            self.line.setText(local_text(moment))

    def moment(self) -> datetime | None:
        """The typed date-time as an aware UTC datetime, or None."""
        text = self.line.text().strip()
        try:
            return parse_datetime(text) if text else None
        except ValidationError:
            return None

    @Slot()
    def set_now(self) -> None:
        self.line.setText(local_text(datetime.now(UTC)))

    @Slot()
    def open_picker(self) -> None:
        if self.popup is None:
            from explorer.ui.editors.calendar_popup import CalendarPopup

            self.popup = CalendarPopup(self, with_time=True)
            self.popup.picked.connect(self._picked)
        moment = self.moment()
        self.popup.show_value(moment.astimezone().replace(tzinfo=None) if moment else None)
        self.popup.open_below(self.line)

    @Slot(object)
    def _picked(self, value: date | datetime) -> None:
        self.line.setText(local_text(value) if isinstance(value, datetime) else value.isoformat())
        self.line.setFocus()

    @Slot()
    def _on_text(self) -> None:
        moment = self.moment()
        if moment is not None:
            offset = moment.astimezone().strftime("%z")
            zone = (
                ""
                if offset in ("+0000", "-0000")
                else (f" · local time is UTC{offset[:3]}:{offset[3:]}")
            )
            self.hint.setText(f"Sent as {format_datetime(moment)} (UTC){zone}")
        if self._hint is not None or moment is not None:
            self.hint.setVisible(moment is not None)
        self.value_changed.emit()


def _button(parent: QWidget, text: str, name: str) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(name)
    button.setAccessibleName(name)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button
