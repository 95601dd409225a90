"""Start-up and shut-down of the GUI: one asyncio loop (qasync) drives Qt and httpx.

The window paints first; the event loop, the sandbox (or the workspace's token from the
keyring) and everything the first screen does not show arrive afterwards, so start-up costs
little more than a bare Qt window.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def main(args: argparse.Namespace) -> int:
    """Run the app until its window closes; returns the process exit code.

    The window is built and painted before asyncio, qasync, httpx, the store or the sandbox
    are even imported: what the first screen shows costs little more than a bare Qt window.
    The event loop then starts and connects the workspace (the sandbox starts now).
    """
    _preload_qt_free()
    app = make_application()
    window = _first_screen(args)
    app.processEvents()  # the first paint; no event loop runs yet, so this nests nothing
    shot = 0
    if args.screenshot and args.send is None:  # with --send, the picture comes after it
        shot = _screenshot(window, Path(args.screenshot))

    import asyncio

    import qasync

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(amain(args, window)) or shot


def _preload_qt_free() -> None:
    """Import the Qt-free modules the first screen uses, before PySide6 is loaded.

    Once PySide6 is imported, every later import passes through its import hook, which reads
    the new module's source (looking for ``from __feature__ import``); the same modules
    imported first cost about 40 ms less at start-up.
    """
    import explorer.core.catalog
    import explorer.core.ratelimit
    import explorer.core.request
    import explorer.core.snippets
    import explorer.core.variables
    import explorer.resources
    import explorer.store.paths

    explorer.core.catalog.catalog()


def make_application() -> Any:
    """The QApplication, set up the same way for the app and its self-test."""
    from PySide6.QtWidgets import QApplication

    from explorer import APP_NAME, resources
    from explorer.ui.app_icon import app_icon
    from explorer.ui.focus_ring import follow_focus
    from explorer.ui.gc_guard import GcGuard

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("rapidpro-explorer")
    app.setDesktopFileName(resources.APP_ID)  # Wayland matches the window to its menu entry
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # amain owns shut-down
    GcGuard(app)  # Qt objects in reference cycles are freed on this thread only
    follow_focus(app)  # where the keyboard is, on every control, in any palette
    return app


def _first_screen(args: argparse.Namespace) -> Any:
    """The main window, shown, not yet connected to any workspace."""
    from PySide6.QtCore import QSettings

    from explorer.core.catalog import catalog
    from explorer.store.paths import config_dir
    from explorer.ui.main_window import MainWindow

    settings = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(catalog(), None, settings)
    window.set_connection(None, connecting_to=_starting_workspace(args))
    if args.screenshot:
        # A reproducible picture: the default size, and the user's layout left alone.
        window.remember = False
        window.ask_before_close = False  # it closes itself; what --send typed may go
        window.resize(1440, 860)
    window.show()
    return window


def _starting_workspace(args: argparse.Namespace) -> str:
    """The name of the workspace start-up will connect, for the window to say so meanwhile
    ("" for the sandbox). A cheap look at the settings file: the full check (and any
    problem with the file) comes in :meth:`Connector.use`, which falls back to the sandbox.
    """
    if args.sandbox:
        return ""
    if args.workspace:
        return str(args.workspace)
    import json

    from explorer.store.paths import config_dir

    try:
        data = json.loads((config_dir() / "workspaces.json").read_text("utf-8"))
    except (OSError, ValueError):
        return ""
    current = data.get("current") if isinstance(data, dict) else None
    return current if isinstance(current, str) else ""


async def amain(args: argparse.Namespace, window: Any) -> int:
    """Connect ``window`` (already shown) to its workspace and run until it closes."""
    import asyncio

    from explorer.ui import errors, status

    errors.install(asyncio.get_running_loop())
    closed = asyncio.Event()
    exit_code = 0
    window.closed.connect(closed.set)
    if not window.isVisible():  # closed already, in the first paint's events
        closed.set()
    # The rest of start-up (httpx and its TLS context, the keyring, the workspace store)
    # loads on a worker thread, so the window answers clicks meanwhile.
    store, vault, http = await asyncio.to_thread(_load_backend)
    from explorer.ui.connector import Connector

    connector = Connector(store, vault, _start_sandbox, http)
    if store.problem:
        status.show(window, store.problem)
    async with http:
        window.http = http
        wire_workspaces(window, connector, http)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, window.close)
        try:
            if not closed.is_set():
                name = None if args.sandbox else (args.workspace or store.current)
                connected = await connector.use(name, remember=False)
                if connected is None and args.screenshot:
                    why = connector.failure_without_window()
                    print(why, file=sys.stderr)  # noqa: T201 - CLI feedback
                    exit_code = 1
                elif args.send is not None:
                    exit_code = await _send_at_start(window, args)
                if args.screenshot:
                    window.close()  # the picture was taken at the first paint or after --send
                else:
                    _settle()  # what loaded so far stays: no collection need walk it again
                    for _ in window.warm_up():
                        if closed.is_set():
                            break
                        await asyncio.sleep(0.01)  # clicks and keys go first
                _settle()
            await closed.wait()
        finally:
            await cancel_other_tasks()
            await connector.close()
    return exit_code


async def _send_at_start(window: Any, args: argparse.Namespace) -> int:
    """``--send``: send the request once connected; with ``--screenshot``, picture its
    response once the body is on screen. Returns the exit status for a screenshot run."""
    import asyncio

    problem = ""
    try:
        outcome = await send_and_show(window, args.send)
    except TimeoutError:
        problem = "--send: no response within 60 s"
    else:
        if outcome is None:
            problem = f"--send: not sent. {window.send_problem.text()}".rstrip()
        elif not args.screenshot:
            return 0
        elif not outcome.ok:
            problem = f"--send: {outcome.summary()}"
    if problem:
        print(problem, file=sys.stderr)  # noqa: T201 - CLI feedback
        return 1 if args.screenshot else 0
    await asyncio.sleep(0.05)  # the results table and status bar take their turn too
    return _screenshot(window, Path(args.screenshot))


async def send_and_show(window: Any, draft: Any, timeout: float = 60) -> Any:
    """Open ``draft`` in ``window``, send it and wait until its response is on screen and
    its body wholly shown; returns the Outcome, or None when the form would not send it."""
    import asyncio

    loop = asyncio.get_running_loop()
    shown: asyncio.Future[Any] = loop.create_future()

    def on_shown(outcome: Any) -> None:
        if not shown.done():
            shown.set_result(outcome)

    window.outcome_shown.connect(on_shown)
    try:
        window.load_draft(draft)
        await asyncio.sleep(0)  # the form's checks and the preview run on the next turn
        if not window.send_button.isEnabled():
            return None
        window.send()
        async with asyncio.timeout(timeout):
            outcome = await shown
            body = window.response.body
            while not body.is_finished():
                await asyncio.sleep(0.02)
        return outcome
    finally:
        window.outcome_shown.disconnect(on_shown)


def _settle() -> None:
    """Start-up is done: let the garbage collector set aside what it loaded."""
    from explorer.ui.gc_guard import GcGuard

    # Not through app.findChild(GcGuard): PySide6 would first set up every QObject class
    # it might be (17 ms, in the middle of connecting).
    GcGuard.settle()


def _load_backend() -> tuple[Any, Any, Any]:
    """The workspace store, the token vault and the HTTP client (off the GUI thread)."""
    from explorer.core.client import make_http_client
    from explorer.store.secrets import TokenVault
    from explorer.store.workspaces import WorkspaceStore

    vault = TokenVault()
    return WorkspaceStore(vault=vault), vault, make_http_client()


def wire_workspaces(window: Any, connector: Any, http: Any) -> None:
    """The connector tells the window where requests go; the selector and the workspace
    manager ask it to switch."""
    from explorer.ui import status
    from explorer.ui.operation import Operation

    def run(work: Any) -> None:
        Operation(window, work, doing="connecting the workspace").run()

    def switch(name: str) -> None:
        run(connector.use(name))

    def manage() -> None:
        from explorer.ui.workspace_dialog import WorkspaceDialog

        dialog = WorkspaceDialog(connector.store, connector.vault, http, window)
        dialog.workspace_chosen.connect(switch)
        dialog.workspaces_changed.connect(lambda: window.set_workspaces(connector.names()))
        dialog.finished.connect(dialog.deleteLater)
        if window.connection is not None:
            dialog.select_workspace(window.connection.name)
        dialog.open()

    connector.connected.connect(window.set_connection)
    connector.problem.connect(lambda text: status.show(window, text))
    connector.failed.connect(
        lambda why: window.connection_failed(
            why, can_start_afresh=connector.unusable_sandbox is not None
        )
    )
    window.set_workspaces(connector.names())
    window.workspace_requested.connect(switch)
    window.manage_workspaces_requested.connect(manage)
    window.start_afresh_requested.connect(lambda: run(connector.start_afresh()))
    window.budget_meter.limit_chosen.connect(lambda limit: run(connector.set_rate_limit(limit)))


def _start_sandbox() -> Any:
    """The app's own sandbox: a database file in the data folder, so what users make stays."""
    import secrets

    from explorer.sandbox.server import SandboxServer
    from explorer.store.paths import sandbox_db_path

    server = SandboxServer(token=secrets.token_hex(20), db_path=sandbox_db_path())
    server.start()
    return server


def _screenshot(window: Any, path: Path) -> int:
    """Save what the window shows; the file appears whole (written aside, then renamed)."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial{path.suffix or '.png'}")
    if not window.grab().save(str(partial)):
        print(f"could not write {path}", file=sys.stderr)  # noqa: T201 - CLI feedback
        return 1
    os.replace(partial, path)
    return 0


async def cancel_other_tasks() -> None:
    """Cancel every task but this one and wait for them (shut-down leaves none pending)."""
    import asyncio

    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
