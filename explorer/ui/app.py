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
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def main(args: argparse.Namespace) -> int:
    """Run the app until its window closes; returns the process exit code."""
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("RapidPro Explorer")
    app.setOrganizationName("rapidpro-explorer")
    app.setQuitOnLastWindowClosed(False)  # amain owns shut-down
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(amain(args))


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
    sandbox: Any = None
    window = MainWindow(catalog(), None, settings)
    window.closed.connect(closed.set)
    window.set_connection(None)
    if args.screenshot:
        # A reproducible picture: the default size, and the user's layout left alone.
        window.remember = False
        window.resize(1440, 860)
    window.show()
    from explorer.core.client import make_http_client  # httpx: after the first paint

    async with make_http_client() as http:
        window.http = http
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, window.close)
        try:
            sandbox = await _connect(window, args)
            if args.screenshot:
                exit_code = await _screenshot(window, Path(args.screenshot))
                window.close()
            await closed.wait()
        finally:
            await _cancel_other_tasks()
            if sandbox is not None:
                await asyncio.to_thread(sandbox.stop)
    return exit_code


async def _connect(window: Any, args: argparse.Namespace) -> Any:
    """Connect the window to the chosen workspace, or to the sandbox; returns the sandbox.

    The sandbox is used with ``--sandbox``, when no workspace is set up, and when the chosen
    one cannot be used (the window says why).
    """
    from explorer.store.errors import StoreError
    from explorer.store.secrets import TokenVault
    from explorer.store.workspaces import SANDBOX_WORKSPACE_NAME as SANDBOX_NAME
    from explorer.store.workspaces import WorkspaceStore
    from explorer.ui.main_window import Connection

    problem = ""
    if not args.sandbox:
        try:
            store = WorkspaceStore()
            problem = store.problem or ""
            name = args.workspace or store.current
            workspace = store.get(name) if name else None
            if args.workspace and workspace is None:
                problem = f"There is no workspace called {args.workspace!r}."
            elif workspace is not None and not workspace.is_sandbox:
                vault = TokenVault()
                token = await vault.get(workspace.name)
                if vault.problem:
                    window.statusBar().showMessage(vault.problem, 10000)
                window.set_connection(
                    Connection(
                        workspace.name,
                        workspace.base_url,
                        token,
                        default_country=workspace.default_country,
                    )
                )
                return None
        except StoreError as exc:
            problem = str(exc)
    started = time.perf_counter()
    early = getattr(args, "early_sandbox", None)
    sandbox = await asyncio.to_thread(early.result if early else _start_sandbox)
    log.info("sandbox ready at %s in %.2f s", sandbox.base_url, time.perf_counter() - started)
    window.set_connection(
        Connection(SANDBOX_NAME, sandbox.base_url, sandbox.token, is_sandbox=True)
    )
    if problem:
        window.statusBar().showMessage(f"{problem} Using the sandbox.", 15000)
    return sandbox


def _start_sandbox() -> Any:
    """The app's own sandbox: a database file in the data folder, so what users make stays."""
    import secrets

    from explorer.sandbox.server import SandboxServer
    from explorer.store.paths import sandbox_db_path

    server = SandboxServer(token=secrets.token_hex(20), db_path=sandbox_db_path())
    server.start()
    return server


async def _screenshot(window: Any, path: Path) -> int:
    """Let the window settle, then save what it shows."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        print(f"could not write {path}", file=sys.stderr)  # noqa: T201 - CLI feedback
        return 1
    return 0


async def _cancel_other_tasks() -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
