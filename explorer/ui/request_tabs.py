"""The request tab bar: one tab per open request, titled by what it is.

It keeps each tab's title in step with its request (endpoint and method, or the saved
name, "•" while there are unsaved changes), lets tabs be reordered by dragging, and offers
New, Duplicate and Close on the tab bar's menu. What closing means (asking over unsaved
changes) is the window's to decide: the bar only asks for it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QMenu, QTabWidget, QWidget

from explorer.ui.request_tab import RequestTab


class RequestTabs(QTabWidget):
    """The open requests, one :class:`RequestTab` each.

    Signals:
        new_requested(): the bar's menu asked for a new tab.
        duplicate_requested(object): ... for a copy of this RequestTab.
        close_requested(object): ... to close this RequestTab (its × or the menu).
        tab_changed(object): another RequestTab is now the current one.
    """

    new_requested = Signal()
    duplicate_requested = Signal(object)
    close_requested = Signal(object)
    tab_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestTabs")
        self.setAccessibleName("Open requests")
        self.setDocumentMode(True)
        self.setMovable(True)
        self.setTabsClosable(True)
        self.setUsesScrollButtons(True)
        self.tabBar().setElideMode(Qt.TextElideMode.ElideMiddle)
        self.tabBar().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tabBar().customContextMenuRequested.connect(self._menu)
        self.tabCloseRequested.connect(lambda index: self.close_requested.emit(self.widget(index)))
        self.currentChanged.connect(self._on_current)
        self.preferred_method = "GET"  # a tab's next endpoint opens on the method chosen last

    def add(self, tab: RequestTab, *, after: RequestTab | None = None) -> None:
        """Show ``tab`` (after ``after``, else at the end) and make it the current one."""
        index = self.indexOf(after) + 1 if after is not None else self.count()
        self.insertTab(index, tab, tab.title())
        tab.title_changed.connect(lambda: self._retitle(tab))
        self._retitle(tab)
        self.setCurrentWidget(tab)

    def current(self) -> RequestTab:
        tab = self.currentWidget()
        assert isinstance(tab, RequestTab), "the window always has a request tab"
        return tab

    def all(self) -> list[RequestTab]:
        """Every open tab, in the bar's order."""
        return [t for i in range(self.count()) if isinstance(t := self.widget(i), RequestTab)]

    def go(self, step: int) -> None:
        """The next (``1``) or previous (``-1``) tab, round the end."""
        if self.count():
            self.setCurrentIndex((self.currentIndex() + step) % self.count())

    def go_to(self, number: int) -> None:
        """Tab ``number`` (1-based); 9 is the last, as in browsers."""
        if self.count():
            self.setCurrentIndex(self.count() - 1 if number >= 9 else min(number, self.count()) - 1)

    def prefer_method(self, method: str) -> None:
        """The method chosen last: every tab's next endpoint opens on it."""
        self.preferred_method = method
        for tab in self.all():
            tab.request_panel.preferred_method = method

    def share_wait(self, tab: RequestTab, seconds: float) -> None:
        """A throttle scope that says "wait" says it to every tab sending on that scope."""
        scope = _scope(tab)
        for other in self.all():
            if other is tab or scope is None or _scope(other) != scope:
                continue
            if other.session.wait_left < seconds - 1:  # not the same wait heard back again
                other.session.hold(seconds)

    def _retitle(self, tab: RequestTab) -> None:
        index = self.indexOf(tab)
        if index >= 0:
            self.setTabText(index, tab.title().replace("&", "&&"))
            self.setTabToolTip(index, tab.title())

    def _on_current(self, index: int) -> None:
        tab = self.widget(index)
        if isinstance(tab, RequestTab):
            self.tab_changed.emit(tab)

    def _menu(self, pos: QPoint) -> None:
        index = self.tabBar().tabAt(pos)
        tab = self.widget(index) if index >= 0 else None
        menu = QMenu(self)
        menu.addAction("New tab", self.new_requested.emit)
        if isinstance(tab, RequestTab):
            menu.addAction("Duplicate tab", lambda: self.duplicate_requested.emit(tab))
            menu.addAction("Close tab", lambda: self.close_requested.emit(tab))
        menu.popup(self.tabBar().mapToGlobal(pos))


def _scope(tab: RequestTab) -> str | None:
    prepared = tab.session.prepared
    return prepared.endpoint.throttle_scope if prepared is not None else None
