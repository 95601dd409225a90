"""Where the resume states of fetch-all runs live: ``<data dir>/fetches/<key>.json``.

One small JSON file per fetch (the same request to the same output file), written
atomically after every page. A state names its workspace by name and base URL; the token is
never written. A file that cannot be read is reported and left alone.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from explorer.core.pagination import FetchState
from explorer.core.request import Prepared
from explorer.store import paths
from explorer.store.atomic import SCHEMA_KEY, read_json, write_json
from explorer.store.errors import StoreError, UnreadableFile

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FOLDER = "fetches"


def fetches_dir() -> Path:
    """The folder of resume states (created on first use)."""
    folder = paths.data_dir() / FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Could not create the folder {folder}: {exc.strerror}", folder) from exc
    return folder


def state_path(key: str) -> Path:
    if not key.isalnum():
        raise ValueError(f"{key!r} is not a fetch key")
    return fetches_dir() / f"{key}.json"


def save(state: FetchState) -> Path:
    """Write ``state`` atomically; returns its file. Raises StoreError when it cannot."""
    path = state_path(state.key)
    write_json(path, {SCHEMA_KEY: SCHEMA_VERSION, **state.to_json()})
    return path


def load(key: str) -> FetchState | None:
    """The state saved under ``key``, or None when there is none.

    Raises :class:`UnreadableFile` when the file exists but cannot be used (it is left as is).
    """
    path = state_path(key)
    data = read_json(path, expected_schema=SCHEMA_VERSION)
    if data is None:
        return None
    try:
        return FetchState.from_json(data)
    except ValueError as exc:
        raise UnreadableFile(path, str(exc)) from exc


def delete(key: str) -> None:
    """Forget a fetch (its output file stays)."""
    with contextlib.suppress(FileNotFoundError):
        state_path(key).unlink()


def list_states(
    *, base_url: str | None = None, prepared: Prepared | None = None, resumable_only: bool = False
) -> list[FetchState]:
    """Saved states, newest first; only those of ``prepared`` at ``base_url`` when given.

    Unreadable files are logged and skipped (never rewritten).
    """
    states: list[FetchState] = []
    for path in sorted(fetches_dir().glob("*.json")):
        try:
            state = load(path.stem)
        except (UnreadableFile, ValueError) as exc:
            log.warning("skipping a saved fetch: %s", exc)
            continue
        if state is None:
            continue
        if base_url is not None and state.base_url != base_url:
            continue
        if prepared is not None and not state.matches(state.base_url, prepared):
            continue
        if resumable_only and not state.resumable:
            continue
        states.append(state)
    states.sort(key=lambda s: s.updated_at, reverse=True)
    return states
