"""``SandboxServer``: the sandbox running in-process on a background thread.

uvicorn serves the Starlette app from a daemon thread with its own plain asyncio loop
(never Qt's), on a socket this class binds to 127.0.0.1 — port 0 picks a free one. ``start``
returns once the server is listening; ``stop`` ends it and closes the database.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from explorer.sandbox import archive_files
from explorer.sandbox.app import SandboxApp
from explorer.sandbox.db import Database, open_database
from explorer.sandbox.faults import Faults, install_drop_log_filter
from explorer.sandbox.throttle import Rate, Throttle

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_RATE = "2500/hour"  # RapidPro's documented limit (its settings say 3600/hour)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class SandboxServer:
    """A RapidPro-compatible API on ``http://127.0.0.1:<port>``, with seeded data.

    ``db_path=None`` keeps the data in memory (tests); a path keeps it in that file (the
    app; see :func:`explorer.store.paths.sandbox_db_path`) and ``reset`` rebuilds it from
    the seed. ``token=None`` makes one up (a file database remembers it). ``faults`` and
    :meth:`set_rate` may be changed while it runs.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        contacts: int = 1000,
        db_path: str | Path | None = None,
        rate: str = DEFAULT_RATE,
        port: int = 0,
        reset: bool = False,
        faults: Faults | None = None,
    ) -> None:
        self._token = token
        self.contacts = contacts
        self.db_path = Path(db_path) if db_path is not None else None
        self.throttle = Throttle(Rate.parse(rate))  # a bad rate fails here, not in the thread
        self.port = port
        self.reset = reset
        self._faults = faults if faults is not None else Faults()
        self.db: Database | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._files_socket: socket.socket | None = None
        # The archives' file store: another port, so another origin (see archive_files).
        self.file_store: archive_files.FileStore | None = None
        self._base_url: str | None = None

    # --- state a caller reads ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash); set once started."""
        if self._base_url is None:
            raise RuntimeError("the sandbox is not running: call start() first")
        return self._base_url

    @property
    def token(self) -> str:
        if self._token is None:
            raise RuntimeError("the sandbox makes up its token when it starts")
        return self._token

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._faults = value

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def set_rate(self, rate: str) -> None:
        """Use ``rate`` (``N/second|minute|hour|day``) from now on, with counters reset."""
        self.throttle.set_rate(Rate.parse(rate))

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> str:
        """Open (or build) the database, start serving, and return the base URL."""
        if self.running:
            return self.base_url
        started = time.perf_counter()
        db = open_database(self.db_path, contacts=self.contacts, reset=self.reset)
        try:
            self._token = self._token or self._stored_token(db)
            app = SandboxApp(db, self._token, self.throttle, lambda: self._faults)
            sock = _listen(self.port)
            try:
                files_sock = _listen(0)
            except OSError:
                sock.close()
                raise
        except BaseException:
            db.close()
            raise
        files_port = files_sock.getsockname()[1]
        app.files_port = files_port
        app.file_store = archive_files.FileStore(f"http://{HOST}:{files_port}")
        install_drop_log_filter()
        config = uvicorn.Config(
            app.asgi,
            http="h11",
            interface="asgi3",
            loop="asyncio",
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock, files_sock]},
            name="sandbox-server",
            daemon=True,
        )
        self.db, self._server, self._thread, self._socket = db, server, thread, sock
        self._files_socket, self.file_store = files_sock, app.file_store
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        api_port = sock.getsockname()[1]
        self._base_url = f"http://{HOST}:{api_port}"
        archive_files.attach_store(api_port, app.file_store)
        log.info(
            "sandbox serving at %s (%.1f s to start)", self._base_url, time.perf_counter() - started
        )
        return self._base_url

    def stop(self) -> None:
        """Stop serving and close the database (safe to call twice)."""
        server, thread = self._server, self._thread
        if self._base_url is not None:
            archive_files.detach_store(int(self._base_url.rsplit(":", 1)[1]))
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(STOP_TIMEOUT)
            if thread.is_alive():  # pragma: no cover - a request that never ends
                server.force_exit = True  # type: ignore[union-attr]
                thread.join(STOP_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        if self._files_socket is not None:
            self._files_socket.close()
        if self.db is not None:
            self.db.close()
        self._server = self._thread = self._socket = self._files_socket = None
        self.file_store = None
        self.db = None
        self._base_url = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @staticmethod
    def _stored_token(db: Database) -> str:
        """The token a file database was started with before, or a new one remembered there."""
        token = db.meta("token")
        if not token:
            token = secrets.token_hex(20)
            with db.transaction():
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('token', ?)", (token,))
        return token


def _listen(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: a free one)."""
    # IPPROTO_TCP, not 0: with protocol 0 asyncio skips TCP_NODELAY and every keep-alive
    # request waits 40 ms for a delayed ACK (STACK-NOTES §4).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock
