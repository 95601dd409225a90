"""The collections tree's model: rows for collections, folders and requests, and their badges.

The rows only show; a rename or a drop is handed to the panel that owns the model, which
saves it through the collection store and brings the rows in line afterwards.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QPainter,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from explorer.store.collections import Collection, TreeFolder, TreeRequest
from explorer.ui.endpoint_tree import method_badges

log = logging.getLogger(__name__)

KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "collection", "folder", "request", "problem"
PATH_ROLE = Qt.ItemDataRole.UserRole + 2  # path inside the collection ("" for its top)
ROOT_ROLE = Qt.ItemDataRole.UserRole + 3  # the collection's folder, as text
METHOD_ROLE = Qt.ItemDataRole.UserRole + 4  # "GET", "POST", "DELETE" for requests
KEY_ROLE = Qt.ItemDataRole.UserRole + 5  # all a row shows, to tell which rows a change touched
MIME_TYPE = "application/x-rapidpro-explorer-entry"
GREY = QColor("#8a8a8a")


class BadgeDelegate(QStyledItemDelegate):
    """Draws a request's method as a small coloured badge before its name."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        try:
            self._paint(painter, option, index)
        except Exception:  # an exception escaping a Qt override can crash the process
            log.exception("painting a collection row failed")

    def _paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        method = index.data(METHOD_ROLE)
        if not method:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        rect = option.rect.adjusted(4, 0, -4, 0)  # type: ignore[attr-defined]
        ratio = painter.device().devicePixelRatioF()
        font = option.font  # type: ignore[attr-defined]
        badge = method_badges((method,), font, ratio, as_wide_as="POST")  # names line up
        width = round(badge.width() / ratio)
        height = round(badge.height() / ratio)
        painter.drawPixmap(rect.left(), rect.center().y() - height // 2 + 1, badge)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setFont(font)
        painter.setPen(option.palette.color(role))  # type: ignore[attr-defined]
        text_rect = rect.adjusted(width + 6, 0, 0, 0)
        text = QFontMetrics(font).elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
            Qt.TextElideMode.ElideRight,
            text_rect.width(),
        )
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        try:
            size = super().sizeHint(option, index)
            return QSize(size.width() + 44, max(size.height(), 22))
        except Exception:
            log.exception("sizing a collection row failed")
            return QSize(100, 22)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: Any
    ) -> None:
        try:
            super().updateEditorGeometry(editor, option, index)
            if index.data(METHOD_ROLE):
                editor.setGeometry(editor.geometry().adjusted(44, 0, 0, 0))
        except Exception:
            log.exception("placing a rename editor failed")


class CollectionsModel(QStandardItemModel):
    """The tree's model; renames and drops are passed to the panel, which saves them."""

    def __init__(self, panel: Any) -> None:
        super().__init__(panel)
        self._panel = panel

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: Any) -> QMimeData:
        data = QMimeData()
        try:
            entries = [
                {"root": i.data(ROOT_ROLE), "path": i.data(PATH_ROLE)}
                for i in indexes
                if i.isValid() and i.column() == 0 and i.data(KIND_ROLE) != "collection"
            ]
            data.setData(MIME_TYPE, QByteArray(json.dumps(entries).encode("utf-8")))
        except Exception:
            log.exception("starting a drag failed")
        return data

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Any
    ) -> bool:
        try:
            return self._panel._drop_target(data, row, parent) is not None
        except Exception:
            log.exception("checking a drop failed")
            return False

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Any
    ) -> bool:
        try:
            self._panel._drop(data, row, parent)
        except Exception:
            log.exception("a drop failed")
        # The move is already saved and the rows are updated from the collection; returning
        # False keeps the view from also removing the dragged rows itself.
        return False

    def setData(self, index: Any, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        try:
            if role == Qt.ItemDataRole.EditRole:
                # Only folders and readable requests are renamed; the rest is never edited.
                if index.data(KIND_ROLE) in ("folder", "request"):
                    return self._panel._rename(index, str(value))
                return False
            return super().setData(index, value, role)
        except Exception:
            log.exception("renaming failed")
            return False


def make_item(child: TreeFolder | TreeRequest, root: str) -> QStandardItem:
    """The row of ``child`` (with rows for all in it, if it is a folder)."""
    item = QStandardItem(child.name)
    item.setData(child.path, PATH_ROLE)
    item.setData(root, ROOT_ROLE)
    item.setData(row_key(child), KEY_ROLE)
    flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
    if isinstance(child, TreeFolder):
        item.setData("folder", KIND_ROLE)
        item.setFlags(flags | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDropEnabled)
        item.setToolTip(child.path)
        for grandchild in child.children:
            item.appendRow(make_item(grandchild, root))
    elif isinstance(child, TreeRequest) and child.problem:
        item.setText(f"{child.name} (unreadable)")
        item.setData("problem", KIND_ROLE)
        item.setFlags(flags)
        item.setForeground(GREY)
        item.setToolTip(
            f"{child.path} could not be opened: {child.problem}.\n"
            "It is left as it is; fix the file and it will show here."
        )
    else:
        method = str(child.method.value)
        item.setData("request", KIND_ROLE)
        item.setData(method, METHOD_ROLE)
        item.setData(f"{method} {child.name}", Qt.ItemDataRole.AccessibleTextRole)
        item.setFlags(flags | Qt.ItemFlag.ItemIsEditable)
        item.setToolTip(f"{method} {child.endpoint}\n{child.path}")
    return item


def collection_item(coll: Collection) -> QStandardItem:
    """The row of a collection, with rows for everything in it."""
    item = QStandardItem(coll.name)
    font = item.font()
    font.setBold(True)
    item.setFont(font)
    item.setData("collection", KIND_ROLE)
    item.setData("", PATH_ROLE)
    item.setData(str(coll.root), ROOT_ROLE)
    item.setFlags(
        Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
    )
    tooltip, greyed = _collection_tooltip(coll)
    if greyed:
        item.setForeground(GREY)
    item.setToolTip(tooltip)
    item.setData(collection_key(coll), KEY_ROLE)
    for child in coll.tree().children:
        item.appendRow(make_item(child, str(coll.root)))
    return item


def row_key(child: TreeFolder | TreeRequest) -> str:
    """Everything a row shows of ``child``: rows with equal keys need no update."""
    if isinstance(child, TreeFolder):
        parts = ["folder", child.path, child.name]
    elif child.problem:
        parts = ["problem", child.path, child.name, child.problem]
    else:
        parts = ["request", child.path, child.name, str(child.method.value), child.endpoint]
    return "\x1f".join(parts)


def _collection_tooltip(coll: Collection) -> tuple[str, bool]:
    """The tooltip of a collection's row, and whether the row is greyed (read-only)."""
    meta = [p for p in coll.problems if p.path == "collection.json"]
    if meta:
        return f"{coll.root}\n{meta[0]}", True
    return str(coll.root), False


def collection_key(coll: Collection) -> str:
    """Everything a collection's own row shows."""
    tooltip, greyed = _collection_tooltip(coll)
    return "\x1f".join([coll.name, tooltip, str(greyed)])
