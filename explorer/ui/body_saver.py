"""Saving a response body on a worker thread, so a 200 MB write never holds the window.

The thread only writes the file; its result comes back to the GUI thread through a
queued signal, because background code never touches a widget.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from explorer.store.atomic import write_atomic
from explorer.store.errors import StoreError

log = logging.getLogger(__name__)


class BodySaver(QObject):
    """Writes bytes to a file atomically in the background; says how it went.

    Signals:
        saved(str): the body was saved to this path.
        save_failed(str): it could not be; a sentence saying why.
    """

    saved = Signal(str)
    save_failed = Signal(str)
    _done = Signal(str, str)  # path, error ("" when saved): queued from the worker thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._done.connect(self._finish)

    def save(self, path: str, data: bytes) -> None:
        """Start writing ``data`` to ``path``; ``saved`` or ``save_failed`` follows."""
        done = self._done

        def work() -> None:
            try:
                write_atomic(Path(path), data)
            except StoreError as exc:
                done.emit(path, str(exc))
            except Exception as exc:  # the thread must report, whatever happened
                log.exception("saving %s failed", path)
                done.emit(path, f"Could not save {Path(path).name}: {exc}")
            else:
                done.emit(path, "")

        threading.Thread(target=work, name="save-body", daemon=True).start()

    def _finish(self, path: str, error: str) -> None:
        if error:
            self.save_failed.emit(error)
        else:
            self.saved.emit(path)
