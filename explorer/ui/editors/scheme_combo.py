"""A URN scheme chooser: ``tel — phone number`` in its list, just ``tel`` when closed."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, Qt, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QStyleOptionComboBox, QWidget

from explorer.core.values import URN_SCHEMES
from explorer.ui.errors import guarded

log = logging.getLogger(__name__)

_shared: QStandardItemModel | None = None


def _schemes() -> QStandardItemModel:
    """One list of schemes for every chooser (a form has several; each copy costs time)."""
    global _shared  # noqa: PLW0603 - built once per process
    if _shared is None:
        model = QStandardItemModel(QCoreApplication.instance())
        for s in URN_SCHEMES:
            item = QStandardItem(f"{s.scheme} — {s.label}")
            item.setData(s.scheme, Qt.ItemDataRole.UserRole)
            item.setToolTip(s.hint)
            item.setEditable(False)
            model.appendRow(item)
        _shared = model
    return _shared


class SchemeCombo(QComboBox):
    """Every scheme RapidPro knows, labelled; the closed box shows the scheme alone.

    Forms are narrow: the path box beside this needs the room more than the label does,
    which the open list and the tooltip still give in full. ``currentData()`` is the scheme.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(_schemes())
        # Sized for the longer scheme names ("facebook"), not the labels.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(7)  # "mailto", "twitter"; longer ones show in the list
        self.currentIndexChanged.connect(self._describe)
        self._describe()

    def add_scheme(self, scheme: str) -> int:
        """Offer a scheme RapidPro does not know (from a saved request), so it is kept."""
        shared = _schemes()
        if self.model() is shared:
            # This chooser's list differs from now on: give it its own copy.
            own = QStandardItemModel(self)
            for row in range(shared.rowCount()):
                item = shared.item(row)
                if item is not None:
                    own.appendRow(item.clone())
            index = self.currentIndex()
            blocked = self.blockSignals(True)
            self.setModel(own)
            self.setCurrentIndex(index)
            self.blockSignals(blocked)
        self.addItem(f"{scheme} — not a scheme RapidPro knows", scheme)
        return self.count() - 1

    @Slot()
    def _describe(self) -> None:
        self.setToolTip(self.currentText())

    @guarded("drawing the scheme chooser")
    def initStyleOption(self, option: QStyleOptionComboBox) -> None:
        # Called by Qt whenever it draws or measures the closed box. (Not a paintEvent of
        # our own: drawing through QStyle from Python makes PySide6 set up QStyle and its
        # enums, 14 ms of the first paint.)
        super().initStyleOption(option)
        option.currentText = str(self.currentData() or "")
