"""``rapidpro-explorer pull``: keep a local dataset of a workspace up to date, headless.

Arguments are defined here and added to the main parser by :mod:`explorer.cli`; only
argparse is imported until the command runs, so other commands start as fast as before.
Progress goes to stderr, the summary to stdout. Exit status: 0 when the pull finished, 1
when it stopped (the step and the reason are printed; what was stored is kept), 2 for
usage errors, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import time
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from explorer.core.connection import Connection
    from explorer.datasets.pull import PullProgress, PullSpec

PROG = "rapidpro-explorer pull"
WHAT = ("runs", "messages", "contacts", "all")


def add_parser(commands: Any) -> None:
    """Add the ``pull`` command to the main parser's subcommands."""
    from pathlib import Path

    pull = commands.add_parser(
        "pull",
        help="pull runs, messages and contacts (archives included) into a local database",
        description="Copy a workspace's runs, messages or contacts (with flows, groups and "
        "fields as lookups) into a local SQLite file: archives first, then the live pages, "
        "and next time only what changed. The token comes from the keyring entry of "
        "--workspace, else from the RAPIDPRO_TOKEN environment variable. Exit status: 0 when "
        "the pull finished, 1 when it stopped (what was stored is kept), 2 for usage errors.",
    )
    pull.add_argument("what", choices=WHAT, help="what to pull")
    pull.add_argument("--flow", metavar="UUID", help="only the runs of this flow")
    pull.add_argument(
        "--after", metavar="DATE", help="only records from this date or time on (UTC)"
    )
    pull.add_argument("--before", metavar="DATE", help="only records up to this date or time")
    where = pull.add_mutually_exclusive_group()
    where.add_argument(
        "--workspace", dest="pull_workspace", metavar="NAME", help="a saved workspace"
    )
    where.add_argument(
        "--base-url", dest="pull_base_url", metavar="URL", help="a server address instead"
    )
    pull.add_argument(
        "--db", type=Path, metavar="FILE", help="the dataset file (default: one per workspace)"
    )
    pull.add_argument(
        "--full",
        action="store_true",
        help="fetch everything again instead of only what changed since the last pull",
    )
    pull.set_defaults(handler=run)


def run(args: argparse.Namespace, _rest: list[str]) -> int:
    import sys

    return main(args, sys.stdout, sys.stderr)


class UsageError(Exception):
    """The command line asked for something that cannot be pulled (exit status 2)."""


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import asyncio

    from explorer.store.target import TargetError

    try:
        return asyncio.run(_main(args, out, err))
    except (UsageError, TargetError) as exc:
        err.write(f"{PROG}: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write(f"{PROG}: stopped; what was stored is kept, pull again to continue\n")
        return 130


def spec_of(args: argparse.Namespace) -> PullSpec:
    """The pull the arguments ask for."""
    from explorer.datasets.pull import RESOURCES, PullSpec

    if args.flow and args.what not in ("runs", "all"):
        raise UsageError("--flow limits runs: use it with 'pull runs' or 'pull all'")
    return PullSpec(
        resources=RESOURCES if args.what == "all" else (args.what,),
        flow=args.flow,
        after=_when(args.after, "--after"),
        before=_when(args.before, "--before", end_of_day=True),
        full=args.full,
    )


def _when(text: str | None, option: str, *, end_of_day: bool = False) -> str | None:
    """A date or datetime from the command line as UTC text (no zone: UTC)."""
    from datetime import UTC, datetime

    if not text:
        return None
    value = text.strip()
    if len(value) == 10:  # a date alone: the whole of that day
        value += "T23:59:59.999999" if end_of_day else "T00:00:00"
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date (write it as 2025-06-01)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from explorer.core.client import make_http_client
    from explorer.datasets import locations
    from explorer.datasets.pull import PullFailed, PullHooks, pull
    from explorer.datasets.schema import DatasetFileError
    from explorer.datasets.store import Dataset

    spec = spec_of(args)
    connection = await _connection(args)
    path: Path = args.db or locations.default_path(connection.name)
    err.write(f"Pulling {args.what} from {connection.base_url} into {path}\n")
    hooks = PullHooks(on_progress=_Progress(err), on_wait=_waiting(err))
    try:
        async with make_http_client() as http, Dataset(path) as dataset:
            report = await pull(http, connection, dataset, spec, hooks)
    except DatasetFileError as exc:
        err.write(f"{PROG}: {exc.message}\n")
        return 1
    except PullFailed as exc:
        err.write(f"{PROG}: the pull stopped while reading {exc.step}: {exc.message}\n")
        return 1
    out.write(f"Pulled into {path}: {report.text()}\n")
    return 0


async def _connection(args: argparse.Namespace) -> Connection:
    from explorer.store.target import find_target

    connection, _ = await find_target(
        args.pull_workspace,
        args.pull_base_url,
        missing="say where to pull from: --workspace NAME or --base-url URL",
    )
    return connection


class _Progress:
    """Progress lines on stderr: each change of step, else at most one a second."""

    def __init__(self, err: IO[str]) -> None:
        self.err = err
        self.last = 0.0
        self.where: tuple[str, str] | None = None

    def __call__(self, progress: PullProgress) -> None:
        now = time.monotonic()
        where = (progress.step, progress.resource)
        if where != self.where or now - self.last >= 1.0:
            self.err.write(progress.text + "\n")
            self.err.flush()
            self.where, self.last = where, now


def _waiting(err: IO[str]) -> Any:
    def wait(left: int, reason: str) -> None:
        if left:
            err.write(f"Rate limited: {reason} ({left} s left)\n")

    return wait
