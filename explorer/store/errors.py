"""The errors the store raises: a file that could not be saved or could not be read."""

from __future__ import annotations

import errno
from pathlib import Path

from explorer.core.errors import ExplorerError


class StoreError(ExplorerError):
    """Something on disk could not be saved, created or read.

    ``message`` is a sentence for the user, e.g. ``"Could not save settings.json: the disk is
    full"``; ``path`` is the file or folder concerned, when there is one.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class UnreadableFile(StoreError):
    """A file exists but cannot be used: it is not valid JSON, not ours, or from a newer version.

    The store never writes over such a file, so whatever the user had in it survives until
    they move it aside or fix it. ``reason`` says why in a phrase ("it is not valid JSON
    (line 3, column 7)").
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"Could not read {path.name}: {reason}. It was left as it is, in {path.parent}",
            path,
        )
        self.reason = reason


def describe_os_error(exc: OSError) -> str:
    """An OSError as a phrase a person understands ("the disk is full")."""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "the disk is full"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.EROFS:
        return "the disk is read-only"
    if code == errno.ENOENT:
        return "the folder does not exist"
    if code == errno.ENOTDIR:
        return "part of the path is a file, not a folder"
    if code == errno.EISDIR:
        return "it is a folder, not a file"
    if code == errno.EIO:
        return "the disk reported an input/output error"
    return exc.strerror or str(exc) or type(exc).__name__
