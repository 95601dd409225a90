"""``rapidpro-explorer run``: the command line around the runner's engine.

Here, not in the engine, the command finds what it needs: the collection at the path, the
saved workspace (its address, country, deadline and keyring token) or ``--base-url`` with
``RAPIDPRO_TOKEN``, and the environment to use. It then runs the steps, prints each result
and writes the JUnit report. Argument definitions live with the other commands in
:mod:`explorer.cli`.
"""

from __future__ import annotations

import asyncio
from typing import IO, TYPE_CHECKING

from explorer.core.connection import Connection
from explorer.core.errors import ValidationError
from explorer.run.engine import run_steps
from explorer.run.printer import Printer
from explorer.run.source import Source, load_source

if TYPE_CHECKING:
    import argparse

PROG = "rapidpro-explorer run"


class UsageError(Exception):
    """The command line asked for something that cannot be run (exit status 2)."""


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Run the command: 0 when every request passed, 1 when any failed, 2 on misuse."""
    from explorer.store.target import TargetError

    try:
        return asyncio.run(_main(args, out, err))
    except (UsageError, TargetError) as exc:
        err.write(f"{PROG}: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write(f"{PROG}: stopped\n")
        return 130


async def _main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from explorer.run.junit import write_junit
    from explorer.store.errors import StoreError

    try:
        source = load_source(args.path)
    except ValidationError as exc:
        raise UsageError(exc.message) from None
    for note in source.notes:
        err.write(f"note: {note}\n")
    connection, workspace = await _connection(args, source)
    env_name = _environment(args, source, workspace)

    printer = Printer(out, err)
    for problem in source.problems:
        err.write(f"could not read: {problem}\n")
    base_url = connection.base_url
    out.write(f"Running {source.name} against {base_url} ({len(source.steps)} requests)\n")
    report = await run_steps(
        source.steps,
        connection,
        variables=source.scope(env_name, base_url),
        name=source.name,
        callbacks=printer.callbacks(),
    )
    report.problems = list(source.problems)
    printer.summary(report)
    if args.report is not None:
        try:
            write_junit(report, args.report)
        except StoreError as exc:
            err.write(f"{PROG}: {exc.message}\n")
            return 1
        out.write(f"JUnit report: {args.report}\n")
    return 0 if report.passed else 1


async def _connection(args: argparse.Namespace, source: Source) -> tuple[Connection, str | None]:
    """Where to send, with its token, and the saved workspace's name (None: an address);
    a Postman file's own base URL when neither ``--workspace`` nor ``--base-url`` is given."""
    from explorer.store.target import find_target

    return await find_target(
        args.run_workspace,
        args.base_url,
        default_url=source.base_url,
        missing="say where to send the requests: --workspace NAME (a saved workspace) "
        "or --base-url URL",
    )


def _environment(args: argparse.Namespace, source: Source, workspace: str | None) -> str | None:
    """The collection environment to use: ``--env``, else the one named after the workspace."""
    if args.env is not None and args.env not in source.environments:
        known = ", ".join(sorted(source.environments)) or "there are none"
        raise UsageError(f"the collection has no environment {args.env!r} ({known})")
    if not source.steps and not source.problems:
        raise UsageError(f"there are no requests in {args.path}")
    return args.env if args.env is not None else workspace
