"""The one helper for async work from the UI: results, failures shown, cancel with owner."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import QMainWindow, QWidget

from explorer.store.errors import StoreError
from explorer.ui.operation import Operation, cancel_owned


def _window(qtbot: Any) -> tuple[QMainWindow, QWidget]:
    window = QMainWindow()
    owner = QWidget()
    window.setCentralWidget(owner)
    qtbot.addWidget(window)
    window.show()
    return window, owner


async def _answer(value: int) -> int:
    await asyncio.sleep(0)
    return value


async def _fail(exc: Exception) -> None:
    await asyncio.sleep(0)
    raise exc


def test_the_result_reaches_success_and_finally(qtbot: Any, qloop: Any) -> None:
    _, owner = _window(qtbot)
    seen: list[object] = []
    op = Operation(owner, _answer(42)).success(seen.append).finally_(lambda: seen.append("end"))
    op.run()
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert seen == [42, "end"]
    assert not op.running


def test_a_store_error_is_shown_in_the_status_bar_unless_handled(qtbot: Any, qloop: Any) -> None:
    window, owner = _window(qtbot)
    Operation(owner, _fail(StoreError("Could not save settings.json: the disk is full"))).run()
    qtbot.waitUntil(lambda: "disk is full" in window.statusBar().currentMessage())

    window.statusBar().clearMessage()
    handled: list[Exception] = []
    Operation(owner, _fail(StoreError("quota"))).failure(handled.append).run()
    qtbot.waitUntil(lambda: bool(handled))
    assert str(handled[0]) == "quota"
    assert window.statusBar().currentMessage() == ""


def test_an_unexpected_error_says_what_failed(qtbot: Any, qloop: Any) -> None:
    window, owner = _window(qtbot)
    Operation(owner, _fail(KeyError("uuid")), doing="reading the workspace").run()
    qtbot.waitUntil(lambda: "reading the workspace" in window.statusBar().currentMessage())
    assert "log has the details" in window.statusBar().currentMessage()


def test_closing_the_owner_cancels_its_work(qtbot: Any, qloop: Any) -> None:
    _, owner = _window(qtbot)
    ended: list[str] = []
    slow = Operation(owner, asyncio.sleep(30)).success(lambda _r: ended.append("done"))
    slow.finally_(lambda: ended.append("finally")).run()
    other = QWidget()
    untouched = Operation(other, asyncio.sleep(0.05)).run()
    cancel_owned(owner)
    qtbot.waitUntil(lambda: ended == ["finally"])
    assert slow.task is not None and slow.task.cancelled()
    qtbot.waitUntil(lambda: untouched.task is not None and untouched.task.done())
    assert not untouched.task.cancelled()


def test_destroying_the_owner_cancels_its_work(qtbot: Any, qloop: Any) -> None:
    owner = QWidget()
    slow = Operation(owner, asyncio.sleep(30)).run()
    task = slow.task
    owner.deleteLater()
    qtbot.waitUntil(lambda: task is not None and task.done())
    assert task is not None and task.cancelled()


def test_nothing_escapes_when_the_owner_is_gone_first(qtbot: Any, qloop: Any) -> None:
    escaped: list[object] = []
    qloop.set_exception_handler(lambda _loop, context: escaped.append(context))
    try:
        owner = QWidget()
        op = Operation(owner, asyncio.sleep(30)).run()
        owner.deleteLater()
        qtbot.waitUntil(lambda: op.task is not None and op.task.done())
        qtbot.wait(20)
    finally:
        qloop.set_exception_handler(None)
    assert escaped == []


def test_work_that_ends_as_its_owner_goes_touches_nothing_of_it(qtbot: Any, qloop: Any) -> None:
    # A refresh of the Datasets list finishes, and the panel is deleted in the same turn of the
    # loop, before the queued callback runs: the callback once read the deleted list.
    import shiboken6

    owner = QWidget()
    seen: list[str] = []

    async def work() -> int:
        await asyncio.sleep(0)
        qloop.call_soon(shiboken6.delete, owner)  # runs after this task ends, before its callbacks
        return 1

    op = Operation(owner, work()).success(lambda _r: seen.append("success"))
    op.finally_(lambda: seen.append("finally")).run()
    qtbot.waitUntil(lambda: "finally" in seen)
    assert seen == ["finally"]
    assert not shiboken6.isValid(owner)
