"""Where requests go: the chosen workspace (token from the keyring) or the app's sandbox.

The connector owns the workspace store, the token vault and the sandbox server the app
starts; the window only shows what it is told and asks for a switch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from explorer.core.connection import Connection
from explorer.core.errors import ValidationErrors
from explorer.store.errors import StoreError
from explorer.store.secrets import TokenVault
from explorer.store.workspaces import SANDBOX_WORKSPACE_NAME, WorkspaceStore

if TYPE_CHECKING:  # httpx loads after the first paint
    import httpx

log = logging.getLogger(__name__)

COUNTRY_WAIT_SECONDS = 5.0
"""How long connecting waits for a workspace to say its country before going on without."""


class Connector(QObject):
    """Switches the window between workspaces.

    Signals:
        connected(object): the Connection now in use.
        problem(str): a sentence for the status bar: why a workspace could not be used, or
            what changed in it (a new rate limit).
        failed(str): nothing could be connected (the sandbox would not start), and why.
    """

    connected = Signal(object)
    problem = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        store: WorkspaceStore,
        vault: TokenVault,
        start_sandbox: Callable[[], Any],
        http: httpx.AsyncClient | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.vault = vault
        self.http = http  # to ask a workspace for its country; None: only the saved one
        self._start_sandbox = start_sandbox
        self.sandbox: Any = None
        self._sandbox_lock = asyncio.Lock()
        self.connection: Connection | None = None
        # The sandbox database that kept the sandbox from starting, while that is so:
        # start_afresh() can set it aside.
        self.unusable_sandbox: Path | None = None
        self.failure = ""  # what failed last said, until something connects

    def names(self) -> list[str]:
        """The sandbox first, then the user's workspaces."""
        return [SANDBOX_WORKSPACE_NAME, *self.store.names()]

    async def use(self, name: str | None, *, remember: bool = True) -> Connection | None:
        """Connect to workspace ``name`` (None or the sandbox's name: the sandbox).

        A workspace that cannot be used (unknown, unreadable settings) falls back to the
        sandbox, and :attr:`problem` says why. ``remember`` makes it the one used at the
        next start. When the sandbox cannot start either, :attr:`failed` says why and the
        result is None: the window stays up, and another workspace can still be chosen.
        """
        reason = ""
        if name and name != SANDBOX_WORKSPACE_NAME:
            workspace = self.store.get(name)
            if workspace is None:
                reason = f"There is no workspace called {name!r}."
            else:
                token = await self.vault.get(workspace.name)
                if self.vault.problem:
                    self.problem.emit(self.vault.problem)
                if not token:
                    self.problem.emit(
                        f"No token is saved for {workspace.name}: requests will be refused "
                        "until you add one (Workspaces…)."
                    )
                if remember:
                    self._remember(workspace.name)
                connection = Connection(
                    workspace.name,
                    workspace.base_url,
                    token,
                    default_country=workspace.default_country,  # the person's choice first
                    rate_limit_per_hour=workspace.rate_limit_per_hour,
                    deadline=float(workspace.request_deadline_s),
                )
                if connection.default_country is None:
                    connection.default_country = await self._country(connection)
                return self._set(connection)
        try:
            sandbox = await self.ensure_sandbox()
        except Exception as exc:  # a database it may not touch, no free port, …
            log.warning(
                "the sandbox did not start: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG)
            )
            self.connection = None
            self.unusable_sandbox = _unusable_file(exc)
            self._fail(f"The sandbox could not start: {_explain(exc)}")
            return None
        self.unusable_sandbox = None
        if remember and not reason:
            self._remember(None)
        if reason:
            self.problem.emit(f"{reason} Using the sandbox.")
        connection = Connection(
            SANDBOX_WORKSPACE_NAME, sandbox.base_url, sandbox.token, is_sandbox=True
        )
        connection.default_country = await self._country(connection)
        return self._set(connection)

    async def _country(self, connection: Connection) -> str | None:
        """The country the workspace itself names (``/workspace.json``), so local phone
        numbers work as they do in RapidPro; None when it names none or cannot say soon."""
        if self.http is None or not connection.token:
            return None
        from explorer.ui.workspace_cache import read_workspace, workspace_country

        try:
            data = await asyncio.wait_for(
                read_workspace(self.http, connection), COUNTRY_WAIT_SECONDS
            )
        except TimeoutError:
            log.warning("%s did not say its country in time", connection.base_url)
            return None
        return workspace_country(data)

    async def set_rate_limit(self, limit: int) -> None:
        """Save ``limit`` (requests an hour) as the connected workspace's; the sandbox keeps
        it for this run only. :attr:`problem` says what happened."""
        connection = self.connection
        if connection is None:
            return
        connection.rate_limit_per_hour = limit
        workspace = self.store.get(connection.name) if not connection.is_sandbox else None
        if workspace is None:
            self.problem.emit(f"Counting against {_per_hour(limit)} until the app closes.")
            return
        try:
            await self.store.update(
                workspace.name, dataclasses.replace(workspace, rate_limit_per_hour=limit)
            )
        except (StoreError, ValidationErrors) as exc:
            self.problem.emit(f"The new limit is used but could not be saved: {exc}")
            return
        self.problem.emit(
            f"{workspace.name} now counts against {_per_hour(limit)} (Workspaces… changes it)."
        )

    async def ensure_sandbox(self) -> Any:
        """The app's sandbox, started on first use (off the GUI thread)."""
        async with self._sandbox_lock:
            if self.sandbox is None:
                started = time.perf_counter()
                self.sandbox = await asyncio.to_thread(self._start_sandbox)
                log.info(
                    "sandbox ready at %s in %.2f s",
                    self.sandbox.base_url,
                    time.perf_counter() - started,
                )
            return self.sandbox

    def failure_without_window(self) -> str:
        """Why nothing connected, for where no window offers to start afresh (the command
        line, the self-test): with what to do about a database file; "" after a success."""
        if self.unusable_sandbox is None:
            return self.failure
        return (
            f"{self.failure} Move that file away (or delete it) and start again: a fresh one "
            "is made."
        )

    async def start_afresh(self) -> Connection | None:
        """Rename the sandbox database that would not open (it is kept, beside the new one)
        and start the sandbox on a fresh one; :attr:`problem` names the kept file."""
        path = self.unusable_sandbox
        if path is None:
            return await self.use(None)
        try:
            kept = await asyncio.to_thread(_set_aside, path)
        except OSError as exc:
            self._fail(
                f"The sandbox could not start, and {path} could not be set aside: "
                f"{exc.strerror or exc}. Move it away yourself and choose the sandbox again."
            )
            return None
        log.info("set the sandbox database aside as %s", kept)
        self.unusable_sandbox = None
        connection = await self.use(None)
        if connection is not None:
            self.problem.emit(f"Started a fresh sandbox; the old database is kept as {kept}.")
        return connection

    async def close(self) -> None:
        if self.sandbox is not None:
            sandbox, self.sandbox = self.sandbox, None
            await asyncio.to_thread(sandbox.stop)

    def _remember(self, name: str | None) -> None:
        try:
            if self.store.current != name:
                self.store.set_current(name)
        except StoreError as exc:
            self.problem.emit(str(exc))

    def _fail(self, why: str) -> None:
        self.failure = why
        self.failed.emit(why)

    def _set(self, connection: Connection) -> Connection:
        self.connection = connection
        self.failure = ""
        self.connected.emit(connection)
        return connection


def _unusable_file(exc: Exception) -> Path | None:
    """The database file behind a sandbox that would not start, if that was the reason."""
    from explorer.sandbox.db import SandboxDatabaseError

    return exc.path if isinstance(exc, SandboxDatabaseError) else None


def _set_aside(path: Path) -> Path:
    """Rename ``path`` (and SQLite's files beside it) to a name no file has yet; the new
    name of ``path``."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.stem}.unusable-{stamp}{path.suffix}")
    count = 1
    while kept.exists():
        count += 1
        kept = path.with_name(f"{path.stem}.unusable-{stamp}-{count}{path.suffix}")
    path.rename(kept)
    for extra in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + extra)
        if companion.exists():
            companion.rename(kept.with_name(kept.name + extra))
    return kept


def _explain(exc: Exception) -> str:
    """Why the sandbox did not start (what to do about it is the caller's to say)."""
    return f"{exc}." if _unusable_file(exc) is not None else str(exc)


def _per_hour(limit: int) -> str:
    return f"{limit:,} request{'' if limit == 1 else 's'} an hour"
