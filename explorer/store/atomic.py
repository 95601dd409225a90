"""Atomic file writes and careful JSON reads.

A write goes to a temporary file in the same folder, is flushed to the disk and then renamed
over the target, so a crash or a full disk leaves either the old file or the new one, never
half of each. A read that finds a file it cannot use says so and leaves the file alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from explorer.store.errors import StoreError, UnreadableFile, describe_os_error

log = logging.getLogger(__name__)

SCHEMA_KEY = "schema_version"


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8), all or nothing.

    Raises :class:`StoreError` with a sentence for the user when the file cannot be saved;
    the temporary file is then removed and the old ``path``, if any, is unchanged.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            _keep_mode(path, fd)
            view = memoryview(payload)
            while view:
                # os.write may write less than asked (signals, pipes, some filesystems).
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        tmp = None
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if not isinstance(exc, Exception):
            raise  # KeyboardInterrupt, task cancellation: not a storage problem
        why = describe_os_error(exc) if isinstance(exc, OSError) else str(exc) or repr(exc)
        log.warning("could not save %s: %s", path, exc)
        raise StoreError(f"Could not save {path.name}: {why}", path) from exc
    _fsync_dir(path.parent)


def _keep_mode(path: Path, fd: int) -> None:
    """Give the new file the old one's permissions (mkstemp makes it private, 0600)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # a new file stays private: settings can name servers people keep to themselves
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable. Windows has no directory fsync; that is fine there."""
    if os.name == "nt":
        return
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError as exc:
        # The new file is already in place: reporting a failure now would be misleading.
        log.debug("could not fsync folder %s: %s", folder, exc)
    finally:
        os.close(dir_fd)


def dump_json(value: Any) -> str:
    """JSON as the store writes it: indented, keys sorted, a final newline (small diffs)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Atomically write ``value`` as the store's JSON (see :func:`dump_json`)."""
    write_atomic(path, dump_json(value))


def read_json(path: Path, *, expected_schema: int) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` when there is no such file.

    Raises :class:`UnreadableFile` when the file cannot be read, is not valid JSON, does not
    hold an object, has no ``schema_version`` or one newer than ``expected_schema``. The
    caller must then leave the file alone: it may hold the user's only copy of something.
    Older schema versions are returned as they are, for the caller to migrate.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnreadableFile(path, describe_os_error(exc)) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, "it is not UTF-8 text") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            path, f"it is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    if not isinstance(value, dict):
        raise UnreadableFile(path, "it does not hold a JSON object")
    version = value.get(SCHEMA_KEY)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise UnreadableFile(path, f"it has no valid {SCHEMA_KEY}")
    if version > expected_schema:
        raise UnreadableFile(
            path,
            f"it was written by a newer version of RapidPro Explorer (schema {version}; "
            f"this version reads up to {expected_schema})",
        )
    return value
