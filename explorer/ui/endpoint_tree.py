"""The endpoint browser: every catalog endpoint by group, with method badges and a filter."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.catalog import Catalog, Endpoint

ENDPOINT_ROLE = Qt.ItemDataRole.UserRole + 1
METHOD_COLOURS = {"GET": "#2e7d32", "POST": "#1565c0", "DELETE": "#c62828"}
TEXT_MARGIN = 3  # where item views start a row's text: the styles' focus-frame margin + 1


_BADGES: dict[tuple[object, ...], QPixmap] = {}


def method_badges(
    methods: tuple[str, ...], font: QFont, ratio: float, *, as_wide_as: str = ""
) -> QPixmap:
    """Coloured method badges side by side (``DELETE`` as ``DEL``), in a smaller bold ``font``,
    for a screen of device pixel ratio ``ratio``; each at least as wide as the label
    ``as_wide_as`` (so names after a badge line up). Drawn once per set, then reused."""
    key = (methods, font.key(), ratio, as_wide_as)
    pixmap = _BADGES.get(key)
    if pixmap is not None:
        return pixmap
    badge_font = QFont(font)
    badge_font.setPointSizeF(max(6.0, badge_font.pointSizeF() * 0.72))
    badge_font.setBold(True)
    metrics = QFontMetrics(badge_font)
    labels = ["DEL" if m == "DELETE" else m for m in methods]
    least = metrics.horizontalAdvance(as_wide_as) if as_wide_as else 0
    widths = [max(least, metrics.horizontalAdvance(label)) + 8 for label in labels]
    height = metrics.height() + 2
    pixmap = QPixmap(
        max(1, round((sum(widths) + 4 * (len(widths) - 1)) * ratio)), round(height * ratio)
    )
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(badge_font)
    x = 0
    for method, label, width in zip(methods, labels, widths, strict=True):
        badge = QRect(x, 0, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(METHOD_COLOURS.get(method, "#555555")))
        painter.drawRoundedRect(badge, 3, 3)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
        x += width + 4
    painter.end()
    _BADGES[key] = pixmap
    return pixmap


class _BadgeDelegate(QStyledItemDelegate):
    """Draws an endpoint's row as Qt does, then a coloured badge per method after its name.

    The badges come from :func:`method_badges`: the tree repaints every visible row on each
    scroll and hover, so a paint does as little Python as it can.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._advances: dict[tuple[str, str], int] = {}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: object) -> None:
        super().paint(painter, option, index)  # type: ignore[arg-type]
        endpoint: Endpoint | None = index.data(ENDPOINT_ROLE)  # type: ignore[attr-defined]
        if endpoint is None:
            return
        try:
            self._paint_badges(painter, option, endpoint)
        except Exception:  # an exception escaping a Qt override can crash the process
            import logging

            logging.getLogger(__name__).exception("painting an endpoint row failed")

    def _paint_badges(
        self, painter: QPainter, option: QStyleOptionViewItem, endpoint: Endpoint
    ) -> None:
        font: QFont = option.font  # type: ignore[attr-defined]
        key = (endpoint.name, font.key())
        advance = self._advances.get(key)
        if advance is None:
            advance = self._advances[key] = QFontMetrics(font).horizontalAdvance(endpoint.name)
        methods = tuple(m.value for m in endpoint.method_names)
        badges = method_badges(methods, font, painter.device().devicePixelRatioF())
        rect: QRect = option.rect  # type: ignore[attr-defined]
        height = badges.height() / badges.devicePixelRatioF()
        x = rect.left() + TEXT_MARGIN + advance + 8
        painter.drawPixmap(x, int(rect.center().y() - height / 2 + 1), badges)

    def sizeHint(self, option: QStyleOptionViewItem, index: object) -> QSize:
        size = super().sizeHint(option, index)  # type: ignore[arg-type]
        return QSize(size.width() + 110, max(size.height(), 22))


class EndpointTree(QWidget):
    """Endpoints grouped (Contacts, Messaging, Flows, …) with a filter box above.

    The filter matches endpoint names, titles and parameter or field names.

    Signals:
        endpoint_selected(str): the name of the endpoint the user picked.
    """

    endpoint_selected = Signal(str)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self.filter = QLineEdit(self)
        self.filter.setObjectName("endpointFilter")
        self.filter.setAccessibleName("Filter endpoints")
        self.filter.setPlaceholderText("Filter endpoints and parameters…")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("endpointTree")
        self.tree.setAccessibleName("Endpoints")
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setItemDelegate(_BadgeDelegate(self.tree))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._search_text: dict[str, str] = {}
        self._populate()
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.currentItemChanged.connect(self._on_current)

    def _populate(self) -> None:
        muted = self.tree.palette().brush(QPalette.ColorRole.PlaceholderText)
        for group, endpoints in self._catalog.groups:
            parent = QTreeWidgetItem(self.tree, [group])
            parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = parent.font(0)
            font.setBold(True)
            parent.setFont(0, font)
            for endpoint in endpoints:
                item = QTreeWidgetItem(parent, [endpoint.name])
                item.setData(0, ENDPOINT_ROLE, endpoint)
                methods = ", ".join(m.value for m in endpoint.method_names)
                tip = f"{endpoint.path}\n{endpoint.summary}\n{methods}"
                if endpoint.deprecated:
                    tip += "\nDeprecated"
                    struck = item.font(0)
                    struck.setStrikeOut(True)
                    item.setFont(0, struck)
                    item.setForeground(0, muted)
                    item.setData(
                        0,
                        Qt.ItemDataRole.AccessibleTextRole,
                        f"{endpoint.name}, deprecated, {methods}",
                    )
                else:
                    item.setData(
                        0, Qt.ItemDataRole.AccessibleTextRole, f"{endpoint.name}, {methods}"
                    )
                item.setToolTip(0, tip)
                self._items[endpoint.name] = item
                words = [endpoint.name, endpoint.summary]
                for method in endpoint.methods:
                    words.append(method.title)
                    words.extend(p.name for p in method.params)
                    words.extend(f.name for f in method.fields)
                self._search_text[endpoint.name] = " ".join(words).lower()
        self.tree.expandAll()

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            shown = 0
            for j in range(group.childCount()):
                item = group.child(j)
                endpoint: Endpoint = item.data(0, ENDPOINT_ROLE)
                match = not needle or needle in self._search_text[endpoint.name]
                item.setHidden(not match)
                shown += match
            group.setHidden(shown == 0)

    def visible_endpoints(self) -> list[str]:
        return [
            name
            for name, item in self._items.items()
            if not item.isHidden() and not item.parent().isHidden()
        ]

    def select(self, name: str) -> None:
        item = self._items.get(name)
        if item is not None:
            self.tree.setCurrentItem(item)

    def point_at(self, name: str) -> None:
        """Select ``name`` to show where a request is, without opening it anew."""
        blocked = self.blockSignals(True)
        try:
            self.select(name)
        finally:
            self.blockSignals(blocked)

    def current(self) -> str | None:
        item = self.tree.currentItem()
        endpoint = item.data(0, ENDPOINT_ROLE) if item else None
        return endpoint.name if endpoint else None

    def _on_current(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        endpoint = item.data(0, ENDPOINT_ROLE) if item else None
        if endpoint is not None:
            self.endpoint_selected.emit(endpoint.name)
