"""``DirtyTracker``: whether the request in the editor has changes that are not saved.

Kept apart from the save dialog, so the first screen does not load the collection store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from explorer.core.errors import ValidationError
from explorer.core.request import Draft, is_unset

if TYPE_CHECKING:
    from explorer.store.collections import Collection, SavedRequest


def draft_key(draft: Draft) -> Any:
    """What of a draft is saved, normalised as the store writes it (unset values left out)."""
    from explorer.store.collections import SavedRequest, request_to_json

    try:
        doc = request_to_json(SavedRequest("x", draft))
    except (ValidationError, ValueError, KeyError):
        return None  # a value the store cannot hold: never equal to a saved one
    return (doc.get("endpoint"), doc.get("method", "GET"), doc.get("params"), doc.get("body"))


class DirtyTracker(QObject):
    """Whether the editor's request differs from the one it was opened from (or saved as).

    A request that was never saved counts as changed once it has any value in it.
    Call :meth:`set_saved` after opening or saving, :meth:`update` whenever the draft changes.

    Signals:
        dirty_changed(bool): the request became changed (True) or matches the saved one.
    """

    dirty_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.saved: SavedRequest | None = None
        self.collection: Collection | None = None
        self._saved_key: Any = None
        self._dirty = False

    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_saved(self, saved: SavedRequest | None, collection: Collection | None = None) -> None:
        """The editor now holds ``saved`` (from ``collection``) unchanged; None: a new request."""
        self.saved = saved
        self.collection = collection if saved is not None else None
        self._saved_key = draft_key(saved.draft) if saved is not None else None
        self._set(False)

    def update(self, draft: Draft | None) -> bool:
        """Compare ``draft`` (the editor's) with the saved one; returns whether it differs."""
        if draft is None:
            dirty = False
        elif self.saved is None:
            # A new request with nothing filled in is not worth asking about.
            values = (*draft.params.values(), *draft.body.values())
            dirty = not all(is_unset(v) for v in values) and draft_key(draft) != draft_key(
                Draft(draft.endpoint, draft.method)
            )
        else:
            dirty = draft_key(draft) != self._saved_key
        self._set(dirty)
        return dirty

    def title(self, text: str) -> str:
        """``text`` with a leading "• " while there are unsaved changes."""
        return f"• {text}" if self._dirty else text

    def _set(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)
