"""A drop-down calendar, with a time to the microsecond when a date-time is wanted."""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtCore import QDate, QPoint, Qt, QTime, Signal, Slot
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)


class CalendarPopup(QFrame):
    """Pick a date (and, with ``with_time``, a local time with seconds and microseconds).

    A date alone is picked by clicking or pressing Enter on a day; with a time, the "Set"
    button (or Enter) picks. Escape closes without picking. It is a popup window opened
    with :meth:`open_below`, never a modal dialog, so it cannot stall the event loop.

    Signals:
        picked(object): a ``date``, or a naive local ``datetime`` with ``with_time``.
    """

    picked = Signal(object)

    def __init__(self, parent: QWidget, *, with_time: bool) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("calendarPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.with_time = with_time
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.calendar = QCalendarWidget(self)
        self.calendar.setAccessibleName("Date")
        self.calendar.setGridVisible(True)
        self.calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        layout.addWidget(self.calendar)
        self.time = QTimeEdit(self)
        self.time.setDisplayFormat("HH:mm:ss")
        self.time.setAccessibleName("Time (local)")
        self.micro = QSpinBox(self)
        self.micro.setRange(0, 999_999)
        self.micro.setSuffix(" µs")
        self.micro.setAccessibleName("Microseconds")
        self.ok = QPushButton("Set", self)
        self.ok.setDefault(True)
        self.ok.setAccessibleName("Set the date and time")
        if with_time:
            row = QHBoxLayout()
            time_label = QLabel("&Time (local):", self)
            time_label.setBuddy(self.time)
            row.addWidget(time_label)
            row.addWidget(self.time)
            row.addWidget(self.micro)
            row.addStretch(1)
            row.addWidget(self.ok)
            layout.addLayout(row)
            self.ok.clicked.connect(self._pick)
            self.calendar.activated.connect(self._pick)
        else:
            self.time.hide()
            self.micro.hide()
            self.ok.hide()
            self.calendar.clicked.connect(self._pick)
            self.calendar.activated.connect(self._pick)

    def show_value(self, value: date | datetime | None) -> None:
        """Start from ``value`` (local), or from today at midnight."""
        if value is None:
            value = date.today()
        self.calendar.setSelectedDate(QDate(value.year, value.month, value.day))
        if isinstance(value, datetime):
            self.time.setTime(QTime(value.hour, value.minute, value.second))
            self.micro.setValue(value.microsecond)
        else:
            self.time.setTime(QTime(0, 0, 0))
            self.micro.setValue(0)

    def value(self) -> date | datetime:
        """What is selected: a date, or a naive local datetime."""
        d = self.calendar.selectedDate()
        day = date(d.year(), d.month(), d.day())
        if not self.with_time:
            return day
        t = self.time.time()
        return datetime.combine(day, time(t.hour(), t.minute(), t.second(), self.micro.value()))

    def open_below(self, anchor: QWidget) -> None:
        """Show under ``anchor`` (kept on its screen) with the calendar focused."""
        self.adjustSize()
        where = anchor.mapToGlobal(QPoint(0, anchor.height()))
        screen = anchor.screen().availableGeometry() if anchor.screen() else None
        if screen is not None:
            where.setX(max(screen.left(), min(where.x(), screen.right() - self.width())))
            if where.y() + self.height() > screen.bottom():
                where.setY(anchor.mapToGlobal(QPoint(0, 0)).y() - self.height())
        self.move(where)
        self.show()
        self.calendar.setFocus()

    @Slot()
    def _pick(self) -> None:
        self.hide()
        self.picked.emit(self.value())
