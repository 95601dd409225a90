"""The window's first layout, fitted to the width it really has.

Until the person drags a splitter (or a saved layout is restored), the panes share the
window's width by a rule rather than by the fixed sizes of a wide screen: the response
keeps at least what its toolbar needs, the request form gets room next, then the endpoint
list up to what its longest row needs; the docs beside the form take a smaller share in a
narrow request pane and fold away in a narrower one. Nothing moves because a response
arrived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QMainWindow, QSplitter

from explorer.ui.errors import guarded

if TYPE_CHECKING:
    from explorer.ui.request_tab import RequestTab

SIDE_MAX = 310  # the longest endpoint row with its badges
REQUEST_WANTED = 420  # the form's width before the endpoint list grows past its least
RESPONSE_SHARE = 0.4  # of what the endpoint list leaves
DOCS_SHARE_WIDE, DOCS_SHARE_NARROW = 0.4, 0.32
NARROW_REQUEST = 640
FOLD_DOCS = 480  # below this the form and the docs would both be too narrow to read


def main_sizes(width: int, side_min: int, response_min: int) -> list[int]:
    """Endpoint list, request, response for a splitter ``width`` pixels wide."""
    side = max(side_min, min(SIDE_MAX, width - response_min - REQUEST_WANTED))
    rest = max(0, width - side)
    response = max(response_min, round(rest * RESPONSE_SHARE))
    return [side, max(0, rest - response), response]


def docs_sizes(width: int) -> list[int]:
    """Form and docs side by side in a request pane ``width`` pixels wide; in a narrow one
    the docs fold away (their handle brings them back) and the form has it all."""
    if width < FOLD_DOCS:
        return [width, 0]
    share = DOCS_SHARE_NARROW if width < NARROW_REQUEST else DOCS_SHARE_WIDE
    docs = round(width * share)
    return [width - docs, docs]


class WindowLayout(QObject):
    """Keeps the default layout fitted to the window until the person takes over.

    ``main`` holds the endpoint list and the request tabs; each tab given to :meth:`watch`
    holds its request and response side by side, and the request its form and docs.
    """

    def __init__(self, window: QMainWindow, main: QSplitter) -> None:
        super().__init__(window)
        self.window = window
        self.main = main
        self.fitting = True
        self._tabs: list[RequestTab] = []
        main.splitterMoved.connect(self._taken_over)
        main.installEventFilter(self)  # its own resize: the window's comes before its panes

    def watch(self, tab: RequestTab) -> None:
        """Fit ``tab`` as the others, and hear when the person drags its splitters."""
        self._tabs.append(tab)
        tab.destroyed.connect(lambda *_: self._forget(tab))
        for splitter in (tab.splitter, tab.request_panel.docs_splitter):
            splitter.splitterMoved.connect(self._taken_over)
        if self.fitting:
            self.fit()

    def stop(self) -> None:
        """A saved layout was restored: it is the person's, leave it."""
        self.fitting = False

    def _forget(self, tab: RequestTab) -> None:
        self._tabs = [t for t in self._tabs if t is not tab]

    def _taken_over(self, _pos: int, _index: int) -> None:
        self.fitting = False

    @guarded("fitting the layout to the window", False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.main and event.type() == QEvent.Type.Resize and self.fitting:
            self.fit()
        return False

    def fit(self) -> None:
        """Share the splitter's width out by the rule (the splitters' own signals are not
        a drag: they come from here)."""
        side_pane = self.main.widget(0)
        width = self.main.width() - self.main.handleWidth()
        if width <= 0 or side_pane is None or not self._tabs:
            return
        inner = self._tabs[0].splitter
        response_min = self._tabs[0].response.minimumWidth()
        side, request, response = main_sizes(
            width - inner.handleWidth(), side_pane.minimumWidth(), response_min
        )
        self.main.setSizes([side, request + response + inner.handleWidth()])
        for tab in self._tabs:
            tab.splitter.setSizes([request, response])
            docs = tab.request_panel.docs_splitter
            docs.setSizes(docs_sizes(request - docs.handleWidth()))
