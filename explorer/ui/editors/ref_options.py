"""The workspace's objects of one endpoint as a Qt model that completers can share."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel

if TYPE_CHECKING:  # the cache (and httpx behind it) is only loaded by whoever makes one
    from explorer.ui.workspace_cache import Option, WorkspaceCache

DETAIL_ROLE = Qt.ItemDataRole.UserRole + 1
"""The secondary hint drawn beside a suggestion (a UUID, a URN, an email)."""
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2
"""The text a completer matches what is typed against: name, hint and identifiers."""
INSERT_ROLE = Qt.ItemDataRole.UserRole + 3
"""What choosing the suggestion puts in the field (a name, a UUID, a key, an email)."""


class RefOptions(QStandardItemModel):
    """Suggestions for references to ``target`` (an endpoint name) from a :class:`WorkspaceCache`.

    Nothing is fetched until :meth:`fetch` is called (an editor does on first focus), so
    building a form costs no requests. Several completers (the rows of a list) share one.

    Signals:
        loaded(): suggestions arrived (the model may still be empty).
    """

    loaded = Signal()

    def __init__(
        self,
        target: str,
        accepts: str | None,
        cache: WorkspaceCache | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.target = target
        self.accepts = accepts
        self.cache: WorkspaceCache | None = None
        self._filled = False
        self._by_insert: dict[str, Option] = {}
        self.set_cache(cache)

    def set_cache(self, cache: WorkspaceCache | None) -> None:
        """Use another workspace's objects (suggestions from the old one are dropped)."""
        if cache is self.cache:
            return
        if self.cache is not None:
            # The old cache may already be gone with its workspace.
            with contextlib.suppress(RuntimeError, TypeError):
                self.cache.options_ready.disconnect(self._on_ready)
        self.cache = cache
        self._filled = False
        self._by_insert.clear()
        self.clear()
        if cache is not None:
            cache.options_ready.connect(self._on_ready)

    def fetch(self) -> None:
        """Fill from what the cache knows, and have it fetch when that is missing or stale."""
        if self.cache is None:
            return
        if not self._filled and (known := self.cache.cached(self.target)) is not None:
            self._fill(known)
        self.cache.request(self.target)

    @property
    def problem(self) -> str | None:
        """Why there are no suggestions, when fetching them failed."""
        return self.cache.problem(self.target) if self.cache is not None else None

    def option_for(self, text: str) -> Option | None:
        """The suggestion that inserts ``text`` (to name the object behind a typed UUID)."""
        return self._by_insert.get(text.strip().lower())

    @Slot(str)
    def _on_ready(self, endpoint: str) -> None:
        if endpoint == self.target and self.cache is not None:
            self._fill(self.cache.cached(endpoint) or [])
            self.loaded.emit()

    def _fill(self, options: list[Option]) -> None:
        self._filled = True
        self.clear()
        self._by_insert.clear()
        root = self.invisibleRootItem()
        items = []
        for option in options:
            inserted = option.insert_text(self.accepts)
            item = QStandardItem(option.label)
            item.setEditable(False)
            # A contact's first URN says more than its UUID; otherwise show the identifier.
            detail = option.detail or (inserted if inserted != option.label else "")
            item.setData(detail, DETAIL_ROLE)
            search = option.search_text
            item.setData(search if inserted in search else f"{search} {inserted}", SEARCH_ROLE)
            item.setData(inserted, INSERT_ROLE)
            item.setToolTip(f"{option.label}\n{inserted}" if inserted != option.label else detail)
            items.append(item)
            self._by_insert.setdefault(inserted.lower(), option)
        root.appendRows(items)
