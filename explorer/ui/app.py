"""Start-up and shut-down of the GUI: one asyncio loop (qasync) drives Qt and httpx.

The window paints first; the sandbox (or the workspace's token from the keyring) arrives
afterwards, so start-up costs little more than a bare Qt window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def main(args: argparse.Namespace) -> int:
    """Run the app until its window closes; returns the process exit code."""
    # The sandbox starts on its own thread while Qt loads, so the window does not wait for
    # it (much of its start-up is SQLite and sockets, which run without the GIL).
    args.early_sandbox = _EarlySandbox() if _wants_sandbox(args) else None
    import qasync

    make_application()
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(amain(args))


def make_application() -> Any:
    """The QApplication, set up the same way for the app and its self-test."""
    from PySide6.QtWidgets import QApplication

    from explorer import APP_NAME, resources
    from explorer.ui.about_dialog import app_icon
    from explorer.ui.gc_guard import GcGuard

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("rapidpro-explorer")
    app.setDesktopFileName(resources.APP_ID)  # Wayland matches the window to its menu entry
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # amain owns shut-down
    GcGuard(app)  # Qt objects in reference cycles are freed on this thread only
    return app


class _EarlySandbox:
    """Starts the app's sandbox on a thread of its own; :meth:`result` waits for it."""

    def __init__(self) -> None:
        import threading

        self._server: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sandbox-start", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._server = _start_sandbox()
        except BaseException as exc:  # handed to the loop, which reports it
            self._error = exc

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._server


def _wants_sandbox(args: argparse.Namespace) -> bool:
    """Whether start-up will use the sandbox: asked for, or no workspace chosen yet.

    A cheap look at the settings file; the full check (and any problem with the file) comes
    later in :func:`_connect`, which falls back to the sandbox anyway.
    """
    if args.sandbox:
        return True
    if args.workspace:
        return False
    import json

    from explorer.store.paths import config_dir

    try:
        data = json.loads((config_dir() / "workspaces.json").read_text("utf-8"))
    except (OSError, ValueError):
        return True
    return not (isinstance(data, dict) and data.get("current"))


async def amain(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QSettings

    from explorer.core.catalog import catalog
    from explorer.store.paths import config_dir
    from explorer.ui.main_window import MainWindow

    settings = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
    closed = asyncio.Event()
    exit_code = 0
    window = MainWindow(catalog(), None, settings)
    window.closed.connect(closed.set)
    window.set_connection(None)
    if args.screenshot:
        # A reproducible picture: the default size, and the user's layout left alone.
        window.remember = False
        window.resize(1440, 860)
    window.show()
    await asyncio.sleep(0)  # one loop turn: the window paints before the rest loads
    # What the first screen does not need loads after it is painted: httpx, the store.
    from explorer.core.client import make_http_client
    from explorer.store.secrets import TokenVault
    from explorer.store.workspaces import WorkspaceStore
    from explorer.ui.connector import Connector

    early: _EarlySandbox | None = getattr(args, "early_sandbox", None)
    vault = TokenVault()
    store = WorkspaceStore(vault=vault)
    connector = Connector(store, vault, early.result if early else _start_sandbox)
    if store.problem:
        window.statusBar().showMessage(store.problem, 15000)
    async with make_http_client() as http:
        window.http = http
        window.fetch_all.set_http(http)
        wire_workspaces(window, connector, http)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, window.close)
        try:
            name = None if args.sandbox else (args.workspace or store.current)
            await connector.use(name, remember=False)
            if args.screenshot:
                exit_code = await _screenshot(window, Path(args.screenshot))
                window.close()
            await closed.wait()
        finally:
            await _cancel_other_tasks()
            await connector.close()
    return exit_code


def wire_workspaces(window: Any, connector: Any, http: Any) -> None:
    """The connector tells the window where requests go; the selector and the workspace
    manager ask it to switch."""
    from explorer.ui.workspace_dialog import WorkspaceDialog

    tasks: set[asyncio.Task[Any]] = set()

    def switch(name: str) -> None:
        task = asyncio.ensure_future(connector.use(name))
        tasks.add(task)  # keep a reference until done
        task.add_done_callback(tasks.discard)

    def manage() -> None:
        dialog = WorkspaceDialog(connector.store, connector.vault, http, window)
        dialog.workspace_chosen.connect(switch)
        dialog.workspaces_changed.connect(lambda: window.set_workspaces(connector.names()))
        dialog.finished.connect(dialog.deleteLater)
        if window.connection is not None:
            dialog.select_workspace(window.connection.name)
        dialog.open()

    connector.connected.connect(window.set_connection)
    connector.problem.connect(lambda text: window.statusBar().showMessage(text, 15000))
    window.set_workspaces(connector.names())
    window.workspace_requested.connect(switch)
    window.manage_workspaces_requested.connect(manage)


def _start_sandbox() -> Any:
    """The app's own sandbox: a database file in the data folder, so what users make stays."""
    import secrets

    from explorer.sandbox.server import SandboxServer
    from explorer.store.paths import sandbox_db_path

    server = SandboxServer(token=secrets.token_hex(20), db_path=sandbox_db_path())
    server.start()
    return server


async def _screenshot(window: Any, path: Path) -> int:
    """Save what the window shows; the file appears whole (written aside, then renamed)."""
    import os

    # Let pending layout and paint events run through the loop (processEvents() here would
    # re-enter the loop from inside this task, which asyncio forbids).
    for _ in range(2):
        await asyncio.sleep(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial{path.suffix or '.png'}")
    if not window.grab().save(str(partial)):
        print(f"could not write {path}", file=sys.stderr)  # noqa: T201 - CLI feedback
        return 1
    os.replace(partial, path)
    return 0


async def _cancel_other_tasks() -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
