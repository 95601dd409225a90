"""Errors in one place: what escapes a Qt override, a slot or a task is logged and told.

Three ways an error can get past the code that caused it, and one end for all of them:

- a Qt virtual override (``paintEvent``, ``eventFilter``…) is wrapped by :func:`guarded`.
  Qt calls these synchronously, and on PySide6 6.11 with Python 3.11 an exception escaping
  one can crash the process;
- an exception raised in a slot reaches ``sys.excepthook``;
- one raised in a task nobody awaits reaches the event loop's exception handler.

:func:`install` points the last two at :func:`report`, which logs the traceback and says
in the status bar what failed. The same failure is said once, not at every repaint.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from PySide6.QtWidgets import QWidget

from explorer.ui import status

if TYPE_CHECKING:  # asyncio is not loaded before the first paint
    import asyncio

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_told: set[tuple[str, type[BaseException]]] = set()


def report(exc: BaseException, doing: str, where: QWidget | None = None) -> None:
    """Log ``exc`` with its traceback and tell the user (in the window of ``where``, else
    the active one), once per kind of failure."""
    key = (doing, type(exc))
    if key in _told:
        log.debug("%s failed again: %r", doing, exc)
        return
    _told.add(key)
    log.error("%s failed", doing, exc_info=(type(exc), exc, exc.__traceback__))
    status.show(
        None,
        f"Something went wrong while {doing}: {exc or type(exc).__name__}. "
        "The log has the details.",
    )


def guarded(doing: str, default: Any = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Wrap a Qt virtual override so no exception escapes it into Qt.

    ``doing`` names the work for the log and the user ("painting the response");
    ``default`` is returned instead when it fails (``False`` for an ``eventFilter``).
    """

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except Exception as exc:
                owner = args[0] if args else None
                report(exc, doing, owner if isinstance(owner, QWidget) else None)
                return default  # type: ignore[no-any-return]

        return call

    return wrap


def _hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    report(exc, "handling that")


def _loop_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    if isinstance(exc, Exception):
        report(exc, "working in the background")
    else:
        loop.default_exception_handler(context)


def install(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Send what escapes slots (``sys.excepthook``) and tasks (``loop``) to :func:`report`."""
    sys.excepthook = _hook
    if loop is not None:
        loop.set_exception_handler(_loop_handler)
