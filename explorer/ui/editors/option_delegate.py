"""Draws a suggestion as its name with a grey secondary hint (a UUID, a URN, an email)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from explorer.ui.editors.ref_options import DETAIL_ROLE
from explorer.ui.errors import guarded

log = logging.getLogger(__name__)

_GAP = 16  # pixels between the name and its hint


class OptionDelegate(QStyledItemDelegate):
    """Name on the left, the item's :data:`DETAIL_ROLE` text greyed on the right."""

    @guarded("drawing a suggestion")
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self._paint(painter, option, index)

    def _paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        detail = str(index.data(DETAIL_ROLE) or "")
        label = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect: QRect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        rect = rect.adjusted(4, 0, -4, 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Active
        text_colour = opt.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        metrics = opt.fontMetrics
        detail_width = min(metrics.horizontalAdvance(detail), rect.width() // 2) if detail else 0
        label_width = rect.width() - (detail_width + _GAP if detail else 0)
        painter.save()
        try:
            painter.setPen(text_colour)
            flags = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
            shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight, label_width)
            painter.drawText(rect.adjusted(0, 0, -(rect.width() - label_width), 0), flags, shown)
            if detail:
                hint = QColor(text_colour)
                hint.setAlpha(150)
                painter.setPen(hint)
                right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
                shown = metrics.elidedText(detail, Qt.TextElideMode.ElideMiddle, detail_width)
                painter.drawText(rect, right, shown)
        finally:
            painter.restore()

    @guarded("sizing a suggestion", QSize(100, 20))
    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        detail = str(index.data(DETAIL_ROLE) or "")
        if detail:
            size.setWidth(size.width() + _GAP + option.fontMetrics.horizontalAdvance(detail))
        return size
