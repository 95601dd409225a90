"""The ``rapidpro-explorer sandbox`` command: serve the sandbox until Ctrl+C.

It prints the base URL and the token to use, then serves from a database file in the user
data folder (``--db`` for another file, ``--reset`` to rebuild it from the seed).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from explorer.sandbox.db import SandboxDatabaseError
from explorer.sandbox.server import DEFAULT_RATE, SandboxServer
from explorer.sandbox.throttle import Rate
from explorer.store.paths import sandbox_db_path as default_db_path


def _rate(text: str) -> str:
    try:
        Rate.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of contacts") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the number of contacts cannot be negative")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535 (0 picks a free one)")
    return value


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's options to ``parser``."""
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port on 127.0.0.1 (default 8000; 0 picks a free one)",
    )
    parser.add_argument(
        "--token",
        help="API token clients must send (default: one made up and kept in the database)",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        default=DEFAULT_RATE,
        help="requests allowed per throttle scope, N/second|minute|hour|day "
        f"(default {DEFAULT_RATE})",
    )
    parser.add_argument(
        "--contacts",
        type=_count,
        default=1000,
        help="contacts to seed a new database with (default 1000)",
    )
    parser.add_argument(
        "--db", type=Path, metavar="FILE", help=f"database file (default {default_db_path()})"
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="rebuild the database from the seed, discarding changes",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C (or SIGTERM); 0 on a clean stop, 1 if the sandbox cannot start."""
    db_path = args.db if args.db is not None else default_db_path()
    server = SandboxServer(
        token=args.token,
        contacts=args.contacts,
        db_path=db_path,
        rate=args.rate,
        port=args.port,
        reset=args.reset,
    )
    fresh = args.reset or not Path(db_path).exists()
    if fresh:
        _say(f"Seeding {args.contacts:,} contacts into {db_path} …")
    try:
        base_url = server.start()
    except SandboxDatabaseError as exc:
        fix = (
            "start with --reset to rebuild it from the seed"
            if exc.rebuild
            else "move it away, or choose another file with --db"
        )
        _say(f"error: {exc}; {fix}", err=True)
        return 1
    except OSError as exc:
        _say(f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}", err=True)
        return 1
    _say(f"RapidPro sandbox at {base_url}/api/v2/")
    _say(f"Base URL: {base_url}")
    _say(f"Token:    {server.token}")
    _say(f"Data:     {db_path}")
    seeded = server.db.meta("contacts") if server.db is not None else None
    if not fresh and seeded is not None and int(seeded) != args.contacts:
        _say(f"(kept the existing data, seeded with {int(seeded):,} contacts; --reset rebuilds it)")
    _say("Press Ctrl+C to stop.")
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def on_term(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while not stop.wait(0.5):
            if not server.running:
                _say("error: the sandbox server stopped unexpectedly", err=True)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    _say("Sandbox stopped.")
    return 0


def _say(text: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()
