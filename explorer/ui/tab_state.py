"""What the request tabs leave behind at close and find again at the next start.

The drafts of the open tabs (as JSON: files to upload are not kept, nor any response)
and the splitters' layout. A draft that cannot be read is skipped, never a reason not to
start.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings

from explorer.core.catalog import HttpMethod
from explorer.core.errors import ExplorerError
from explorer.core.request import NULL, Draft, is_unset

if TYPE_CHECKING:
    from explorer.store.collections import Collection
    from explorer.ui.request_tab import RequestTab

log = logging.getLogger(__name__)

OPEN_KEY, CURRENT_KEY = "tabs/open", "tabs/current"


def save(settings: QSettings, tabs: list[RequestTab], current: int) -> None:
    """Keep ``tabs``' drafts (and the saved requests they were opened from), which one was
    in front, and the front one's layout."""
    states = []
    for tab in tabs:
        state = draft_state(tab.request_panel.draft())
        tracker = tab.request_panel.tracker
        if state is not None and tracker.saved is not None and tracker.collection is not None:
            state["saved"] = {"root": str(tracker.collection.root), "path": tracker.saved.path}
        states.append(state)
    settings.setValue(OPEN_KEY, json.dumps([s for s in states if s is not None]))
    settings.setValue(CURRENT_KEY, current)
    if 0 <= current < len(tabs):
        for splitter in _splitters(tabs[current]):
            settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())


def drafts(settings: QSettings) -> list[Draft]:
    """The drafts of the tabs open at the last close (none when unreadable)."""
    return [draft for draft, _saved in _entries(settings.value(OPEN_KEY))]


def saved_refs(settings: QSettings) -> list[tuple[str, str] | None]:
    """For each draft of :func:`drafts`, the saved request it was opened from, if any."""
    return [saved for _draft, saved in _entries(settings.value(OPEN_KEY))]


def reattach(
    tabs: list[RequestTab], refs: list[tuple[str, str] | None], collections: list[Collection]
) -> None:
    """Tie each tab to the saved request it came from again, so Ctrl+S saves in place and
    the • says whether it differs (a request no longer there leaves its tab a new one)."""
    by_root = {str(c.root): c for c in collections}
    for tab, ref in zip(tabs, refs, strict=False):
        coll = by_root.get(ref[0]) if ref is not None else None
        if ref is None or coll is None:
            continue
        try:
            saved = coll.get(ref[1])
        except (KeyError, ValueError, OSError, ExplorerError):
            continue
        panel = tab.request_panel
        panel.tracker.set_saved(saved, coll)
        panel.tracker.update(panel.form.draft())
        panel.refresh()


def current(settings: QSettings) -> int:
    """Which tab was in front at the last close (-1: none known)."""
    return _int(settings.value(CURRENT_KEY))


def restore_layout(tab: RequestTab, settings: QSettings) -> None:
    """Lay ``tab`` out as the front tab was at the last close."""
    for splitter in _splitters(tab):
        state = settings.value(f"window/{splitter.objectName()}")
        if isinstance(state, QByteArray | bytes):
            splitter.restoreState(state)


def copy_layout(source: RequestTab, tab: RequestTab) -> None:
    """A new tab opens laid out as the one in front."""
    for mine, theirs in zip(_splitters(tab), _splitters(source), strict=True):
        mine.setSizes(theirs.sizes())


def _splitters(tab: RequestTab) -> list[Any]:
    panel = tab.request_panel
    return [tab.splitter, panel.request_splitter, panel.docs_splitter]


def draft_state(draft: Draft | None) -> dict[str, Any] | None:
    """A tab's draft as JSON for the next start (files to upload are left out)."""
    if draft is None:
        return None
    parts: dict[str, dict[str, Any]] = {}
    for key, values in (("params", draft.params), ("body", draft.body)):
        kept = {}
        for name, value in values.items():
            if value is not NULL and is_unset(value):
                continue  # not set: left out, as a saved request leaves it out
            try:
                kept[name] = json.loads(json.dumps(value, allow_nan=False, default=_null))
            except (TypeError, ValueError):
                continue
        parts[key] = kept
    return {"endpoint": draft.endpoint, "method": str(draft.method), **parts}


def _null(value: object) -> None:
    """JSON ``null`` for the draft's "send null" marker; anything else is not kept."""
    if value is NULL:
        return None
    raise TypeError(f"{type(value).__name__} is not kept with the tab")


def _entries(saved: object) -> list[tuple[Draft, tuple[str, str] | None]]:
    """The drafts of the tabs open at the last close, with where each was saved."""
    try:
        docs = json.loads(saved) if isinstance(saved, str) else []
    except ValueError:
        log.warning("the open tabs of the last session could not be read; starting afresh")
        return []
    entries = []
    for doc in docs if isinstance(docs, list) else []:
        try:
            draft = Draft(
                str(doc["endpoint"]),
                HttpMethod(str(doc.get("method", "GET")).upper()),
                params=_values(doc.get("params")),
                body=_values(doc.get("body")),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        saved = doc.get("saved")
        ref = None
        if isinstance(saved, dict) and isinstance(saved.get("root"), str):
            ref = (saved["root"], str(saved.get("path") or ""))
        entries.append((draft, ref))
    return entries


def _values(part: object) -> dict[str, Any]:
    if not isinstance(part, dict):
        return {}
    return {str(k): (NULL if v is None else v) for k, v in part.items()}


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1
