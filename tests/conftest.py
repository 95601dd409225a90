"""Shared test setup: offscreen Qt, private dirs, an in-memory keyring and the sandbox."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend

# Set before anything imports Qt: tests never open a real window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in this process only, so no test touches a real keychain."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None


@pytest.fixture(autouse=True)
def private_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Every test gets its own config and data folders and an empty in-memory keyring."""
    root = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("RAPIDPRO_EXPLORER_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("RAPIDPRO_EXPLORER_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("RAPIDPRO_EXPLORER_CACHE_DIR", str(root / "cache"))
    monkeypatch.delenv("RAPIDPRO_TOKEN", raising=False)
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield root
    finally:
        keyring.set_keyring(previous)


# --- Qt + asyncio: one qasync loop for the whole session, pumped by qtbot.wait* -------------


_GC_GUARD: list[Any] = []


@pytest.fixture(autouse=True)
def _gc_on_gui_thread(request: pytest.FixtureRequest) -> None:
    """As in the app: once Qt is up, reference cycles are collected on the GUI thread only.

    The sandbox's and executors' threads would otherwise free Qt objects off it, and Qt
    crashes later, far from the cause.
    """
    if "qapp" in request.fixturenames and not _GC_GUARD:
        from explorer.ui.gc_guard import GcGuard

        _GC_GUARD.append(GcGuard(request.getfixturevalue("qapp")))


@pytest.fixture(autouse=True)
def _qt_loop_steps_aside(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test without Qt runs with no event loop running, as in a fresh process.

    Once a GUI test has started the session's Qt loop, asyncio counts it as running; Qt-free
    code that starts a loop of its own (the headless runner's asyncio.run) would then refuse
    to, in whatever test comes after.
    """
    running = asyncio.events._get_running_loop()
    if running is None or "qapp" in request.fixturenames:
        yield
        return
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(running)


@pytest.fixture(scope="session")
def _qasync_loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    # Widgets the last tests closed are deleted now, while Qt can still run their
    # destructors' timers (after the application is gone it only complains).
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    # stop() makes the application exit: only ever at the end of the session.
    loop.stop()
    loop.close()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def qloop(
    _qasync_loop: asyncio.AbstractEventLoop, qapp: Any
) -> Iterator[asyncio.AbstractEventLoop]:
    yield _qasync_loop
    pending = [t for t in asyncio.all_tasks(_qasync_loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        done = asyncio.gather(*pending, return_exceptions=True)
        end = _qasync_loop.time() + 5
        while not done.done() and _qasync_loop.time() < end:
            qapp.processEvents()


@pytest.fixture
def arun(qloop: asyncio.AbstractEventLoop, qtbot: Any) -> Callable[..., Any]:
    """Run a coroutine on the Qt loop from a sync test and return its result."""

    def run(coro: Coroutine[Any, Any, Any], timeout: int = 10_000) -> Any:
        task = asyncio.ensure_future(coro)
        qtbot.waitUntil(task.done, timeout=timeout)
        return task.result()

    return run


@pytest.fixture
def http(qloop: asyncio.AbstractEventLoop, arun: Callable[..., Any]) -> Iterator[Any]:
    """The app's HTTP client (an httpx.AsyncClient) on the Qt loop, closed after the test."""
    from explorer.core.client import make_http_client

    client = make_http_client()
    yield client
    arun(client.aclose())


@pytest.fixture
def aio() -> Callable[..., Any]:
    """Run a coroutine on a plain asyncio loop of its own (for Qt-free code).

    A ``loop_factory`` keeps asyncio.Runner from replacing the session's current (Qt) loop;
    once GUI tests have started that loop it counts as running, so it steps aside meanwhile
    (whatever order the tests run in).
    """

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        qt_loop = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(None)
        try:
            with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
                return runner.run(coro)
        finally:
            asyncio.events._set_running_loop(qt_loop)

    return run


# --- The sandbox: a real RapidPro-compatible server on 127.0.0.1 -------------------------------

SANDBOX_TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """One seeded sandbox for the whole session, read-mostly; tests that write use unique names."""
    from explorer.sandbox.server import SandboxServer

    # A high limit: the whole suite shares this server and must not hit 429 by accident.
    server = SandboxServer(token=SANDBOX_TOKEN, contacts=1000, rate="100000/hour")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_sandbox() -> Iterator[Any]:
    """A sandbox of its own, for tests that change limits, faults or lots of data."""
    from explorer.sandbox.server import SandboxServer

    server = SandboxServer(token=SANDBOX_TOKEN, contacts=50)
    server.start()
    try:
        yield server
    finally:
        server.stop()
