"""A one-line label that gives way: it shortens its text with "…" instead of widening
the window, and shows the whole text in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from explorer.ui.errors import guarded


class ElidedLabel(QLabel):
    """A plain-text status line whose text never sets a minimum width.

    A label asks for the width of its whole text, so a long status ("14.2 MB · 250 results
    · parsed in 80 ms") could make a pane, and so the window, wider than the screen. This
    one asks only for "…" and draws as much of the text as fits.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text if text else "")

    @guarded("measuring a status line", QSize())
    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(self.fontMetrics().horizontalAdvance("…") + 2, hint.height())

    @guarded("drawing a status line")
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), text)
