"""Completion for a reference typed into a line edit, from the workspace's own objects."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCompleter, QLineEdit

from explorer.ui.editors.ref_options import INSERT_ROLE, SEARCH_ROLE, RefOptions
from explorer.ui.errors import guarded

log = logging.getLogger(__name__)


class RefCompleter(QCompleter):
    """Offers :class:`RefOptions` as ``line`` is typed in; Down on an empty line lists all.

    Matching is on name, hint and identifiers anywhere in the text; choosing inserts what the
    API takes (a name, a UUID, a key…). The first focus asks the cache to fetch, so nothing
    is requested until someone uses the field; typing a value by hand still works.
    """

    def __init__(self, options: RefOptions, line: QLineEdit) -> None:
        super().__init__(options, line)
        self.options = options
        self.line = line
        self._styled = False
        self._tip = line.toolTip()
        self.setCompletionRole(SEARCH_ROLE)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setMaxVisibleItems(12)
        line.setCompleter(self)
        line.installEventFilter(self)
        options.loaded.connect(self._on_loaded)

    @guarded("reading a suggestion", "")
    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:
        # Called by Qt with the chosen row: insert the identifier, not the search text.
        return str(index.data(INSERT_ROLE) or "")

    @guarded("handling an event of a reference field", False)
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Called by Qt for every event of the line edit and of the popup; QCompleter's own
        # filtering of both (popup keys, clicks, focus) must still run.
        if watched is self.line:
            if event.type() == QEvent.Type.FocusIn:
                self.start()
            elif (
                event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Down
                and not self.popup().isVisible()
            ):
                self.show_all()
                return True
        return super().eventFilter(watched, event)

    def start(self) -> None:
        """Fetch suggestions (once) and prepare the popup to draw them."""
        if not self._styled:
            from explorer.ui.editors.option_delegate import OptionDelegate

            self._styled = True
            self.popup().setItemDelegate(OptionDelegate(self.popup()))
        self.options.fetch()

    def show_all(self) -> None:
        """Open the list of suggestions for what is typed (everything when nothing is)."""
        self.start()
        self.setCompletionPrefix(self.line.text())
        self.complete()

    @Slot()
    def _on_loaded(self) -> None:
        problem = self.options.problem
        # Say why nothing pops up, rather than leaving a silent field.
        tip = "\n".join(x for x in (self._tip, problem and f"No suggestions: {problem}") if x)
        self.line.setToolTip(tip)
        # Someone typed before the suggestions arrived: show them now rather than on the
        # next key.
        if self.line.hasFocus() and self.line.text().strip():
            self.setCompletionPrefix(self.line.text())
            self.complete()
