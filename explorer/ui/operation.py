"""One helper for async work started from the UI (Anki's ``CollectionOp`` model).

    Operation(self, self._save(entry)).success(self._saved).run()

An :class:`Operation` keeps its task (so it is not collected half-way), cancels it when its
owner is destroyed or :func:`cancel_owned` is called (a window closing), logs what it
does, and shows a failure where the user looks unless the caller handles it: an
:class:`~explorer.core.errors.ExplorerError` (a store or validation error, written for
people) in the status bar as it is, anything else through :func:`explorer.ui.errors.report`.
A cancelled operation calls neither callback, only those given to :meth:`finally_`; so does
one whose owner was deleted between the end of its work and its callbacks.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from explorer.core.errors import ExplorerError
from explorer.ui import errors, status

if TYPE_CHECKING:  # asyncio is not loaded before the first paint
    import asyncio

log = logging.getLogger(__name__)

T = TypeVar("T")


class Operation(Generic[T]):
    """One piece of async work owned by a widget or QObject: build, chain, :meth:`run`."""

    def __init__(
        self, owner: QObject, work: Coroutine[Any, Any, T], *, doing: str = "working"
    ) -> None:
        self._owner = owner
        self._work: Coroutine[Any, Any, T] | None = work
        self.doing = doing
        self._success: Callable[[T], object] | None = None
        self._failure: Callable[[Exception], object] | None = None
        self._finally: list[Callable[[], object]] = []
        self.task: asyncio.Task[T] | None = None

    def success(self, callback: Callable[[T], object]) -> Operation[T]:
        """Call ``callback(result)`` when the work is done."""
        self._success = callback
        return self

    def failure(self, callback: Callable[[Exception], object]) -> Operation[T]:
        """Call ``callback(exc)`` instead of showing the failure."""
        self._failure = callback
        return self

    def finally_(self, callback: Callable[[], object]) -> Operation[T]:
        """Call ``callback()`` however it ends: done, failed or cancelled."""
        self._finally.append(callback)
        return self

    def run(self) -> Operation[T]:
        """Start the work on the running event loop (once)."""
        if self._work is None:
            raise RuntimeError("an operation runs once")
        import asyncio

        work, self._work = self._work, None
        task = asyncio.ensure_future(work)
        self.task = task
        _running.add(self)  # kept until done, whatever happens to the owner's wrapper
        # A plain function, not a bound method: it still runs while the owner is being torn
        # down, when this QObject's own wrapper may already be gone. It holds the task weakly,
        # so a long-lived owner does not keep every result it ever had.
        ref = weakref.ref(task)
        self._on_owner_gone = self._owner.destroyed.connect(lambda *_: _cancel(ref()))
        task.add_done_callback(self._done)
        log.debug("started %s", self.doing)
        return self

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def cancel(self) -> None:
        """Stop the work if it is still running (its ``finally_`` callbacks still run)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def _done(self, task: asyncio.Task[T]) -> None:
        try:
            if task.cancelled():
                log.debug("cancelled %s", self.doing)
                return
            if not shiboken6.isValid(self._owner):
                # The work ended just before its owner went: the done callback was already
                # queued when ``destroyed`` came, so cancelling missed it. Its callbacks would
                # touch deleted widgets; what it did is no one's any more.
                log.debug("%s ended after its owner was gone", self.doing)
                return
            exc = task.exception()
            if exc is None:
                if self._success is not None:
                    self._success(task.result())
            elif not isinstance(exc, Exception):
                raise exc
            elif self._failure is not None:
                self._failure(exc)
            else:
                self._show(exc)
        except Exception as exc:  # a callback failed: it must not vanish in the loop
            errors.report(exc, self.doing)
        finally:
            for callback in self._finally:
                callback()
            _running.discard(self)
            if shiboken6.isValid(self._owner):  # else it is gone, and its connections with it
                self._owner.destroyed.disconnect(self._on_owner_gone)

    def _show(self, exc: Exception) -> None:
        if isinstance(exc, ExplorerError):
            log.info("%s failed: %s", self.doing, exc)
            owner = self._owner if isinstance(self._owner, QWidget) else None
            status.show(owner, str(exc))
        else:
            errors.report(exc, self.doing)


_running: set[Operation[Any]] = set()


def _cancel(task: asyncio.Task[Any] | None) -> None:
    if task is not None:
        task.cancel()


def cancel_owned(owner: QObject) -> None:
    """Cancel every operation ``owner`` still runs (when a window or dialog closes)."""
    for operation in list(_running):
        if operation._owner is owner:
            operation.cancel()
