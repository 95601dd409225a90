"""``rapidpro-explorer bulk``: one request per row of a file, from the command line.

``bulk ENDPOINT METHOD FILE [--sheet NAME] [--map COLUMN=FIELD …] [--set FIELD=VALUE …]
[--workspace NAME | --base-url URL] [--results PATH] [--dry-run] [--resume]``. The token
comes from the keyring entry of ``--workspace`` or from ``RAPIDPRO_TOKEN`` (found as the
runner finds it). Progress goes to stderr. Exit status: 0 when every valid row succeeded,
1 when any row failed, was invalid or is uncertain, 2 for a usage error.

:func:`add_parser` defines the options (cheap: nothing heavy is imported until it runs).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from explorer.bulk.engine import Progress
    from explorer.bulk.plan import PlanSummary
    from explorer.core.connection import Connection

PROG = "rapidpro-explorer bulk"
SHOWN_ERRORS = 20  # invalid rows listed on the terminal
PRINT_EVERY = 2.0  # seconds between progress lines


class UsageError(Exception):
    """The command line asked for something that cannot be done (exit status 2)."""


def add_parser(commands: Any) -> None:
    """Add ``bulk`` to the main parser's subcommands."""
    bulk = commands.add_parser(
        "bulk",
        help="send one request per row of a CSV or XLSX file, checked first",
        description="Send ENDPOINT METHOD once per row of FILE (CSV or XLSX): columns map "
        "to the form's parameters and fields by name, every row is checked before anything "
        "is sent, rows are grouped where the API takes a list (up to its limit), requests "
        "keep to the workspace's hourly budget, and a results file is written beside the "
        "input. Give a results file as FILE to send only its failed and unsent rows again. "
        "Exit status: 0 when every valid row succeeded, 1 when any failed or was invalid, "
        "2 for usage errors.",
    )
    bulk.add_argument("endpoint", metavar="ENDPOINT", help="such as contacts or contact_actions")
    bulk.add_argument("method", metavar="METHOD", help="POST (the method with a body)")
    bulk.add_argument("file", metavar="FILE", type=Path, help="a .csv or .xlsx file")
    bulk.add_argument("--sheet", metavar="NAME", help="the sheet of an XLSX file (default: first)")
    bulk.add_argument(
        "--map",
        dest="maps",
        metavar="COLUMN=FIELD",
        action="append",
        default=[],
        help="fill FIELD from COLUMN (fields.KEY for a contact field; COLUMN= leaves it out)",
    )
    bulk.add_argument(
        "--set",
        dest="sets",
        metavar="FIELD=VALUE",
        action="append",
        default=[],
        help="give FIELD this value in every row; {{column}} in VALUE is the row's cell",
    )
    bulk.add_argument(
        "--workspace",
        dest="run_workspace",
        metavar="NAME",
        help="send to this saved workspace (its address, country and keyring token)",
    )
    bulk.add_argument(
        "--base-url", metavar="URL", help="send to this address (token from RAPIDPRO_TOKEN)"
    )
    bulk.add_argument("--results", metavar="PATH", type=Path, help="where to write the results CSV")
    bulk.add_argument(
        "--dry-run",
        action="store_true",
        help="check every row and show the first request as it would be sent; send nothing",
    )
    bulk.add_argument("--resume", action="store_true", help="continue the unfinished run of FILE")
    bulk.set_defaults(handler=_handler)


def _handler(args: argparse.Namespace, _rest: list[str]) -> int:
    return main(args, sys.stdout, sys.stderr)


def main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Run the command; see the module docstring for the exit status."""
    import asyncio

    from explorer.bulk.jobs import JobError
    from explorer.bulk.source import SourceError
    from explorer.core.errors import ValidationError
    from explorer.store.errors import StoreError
    from explorer.store.target import TargetError

    try:
        return asyncio.run(_main(args, out, err))
    except (UsageError, TargetError, ValidationError, SourceError, JobError) as exc:
        err.write(f"{PROG}: {getattr(exc, 'message', None) or exc}\n")
        return 2
    except StoreError as exc:
        err.write(f"{PROG}: {exc.message}\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"{PROG}: stopped; continue with --resume\n")
        return 130


async def _main(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from explorer.bulk.jobs import read_facts, resume_job, start_job
    from explorer.bulk.plan import PlanInput
    from explorer.core.client import make_http_client

    endpoint, method = _endpoint_and_method(args.endpoint, args.method)
    connection = await _connection(args)
    async with make_http_client() as http:
        if args.resume:
            if args.maps or args.sets or args.dry_run:
                raise UsageError(
                    "--resume uses the run's saved mapping: leave out --map, --set and --dry-run"
                )
            job, source = resume_job(args.file, connection)
            err.write(f"Resuming the run of {source.describe()} started {job.created}\n")
        else:
            from explorer.bulk.source import open_source

            source = open_source(args.file, args.sheet)
            facts = await read_facts(connection, http)
            given = PlanInput(
                source,
                _mapping(endpoint, method, source, facts.field_key_list, args),
                connection.default_country,
                facts,
            )
            _print_mapping(given, err)
            if args.dry_run:
                return _dry_run(given, connection, out, err)
            job, summary = start_job(
                given, connection, lambda n: err.write(f"checked {n:,} rows\n")
            )
            _print_check(summary, err)
            from explorer.bulk.jobs import describe_run

            err.write(f"About to {describe_run(given.mapping, summary, connection)}\n")
        return await _send(job, source, connection, http, args, out, err)


def _endpoint_and_method(endpoint: str, method: str) -> tuple[str, Any]:
    import difflib

    from explorer.core.catalog import HttpMethod, catalog

    cat = catalog()
    name = endpoint.strip().strip("/").removeprefix("api/v2/").removesuffix(".json")
    if name not in cat:
        writable = [e.name for e in cat if e.supports(HttpMethod.POST)]
        close = difflib.get_close_matches(name, writable, n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}?" if close else f"one of {', '.join(writable)}"
        raise UsageError(f"there is no endpoint called {name!r}: {hint}")
    wanted = method.strip().upper()
    if wanted != "POST":
        raise UsageError(f"bulk runs send requests with a body: use POST, not {method}")
    if not cat[name].supports(HttpMethod.POST):
        raise UsageError(f"{name} takes no POST: it cannot be written to")
    return name, HttpMethod.POST


async def _connection(args: argparse.Namespace) -> Connection:
    from explorer.store.target import find_target

    connection, _ = await find_target(args.run_workspace, args.base_url)
    return connection


def _mapping(endpoint: str, method: Any, source: Any, keys: tuple[str, ...], args: Any) -> Any:
    from explorer.bulk.mapping import apply_overrides, auto_mapping, split_assignment
    from explorer.bulk.plan import input_headers

    headers = input_headers(source)
    mapping = auto_mapping(endpoint, method, headers, keys)
    maps = [split_assignment(m, "--map") for m in args.maps]
    sets = [split_assignment(s, "--set") for s in args.sets]
    apply_overrides(mapping, headers, maps, sets)
    if not mapping.rules:
        raise UsageError(
            f"no column of {source.path.name} matches a field of {endpoint} "
            f"({', '.join(mapping.targets())}): name the columns after them or use --map"
        )
    return mapping


def _print_mapping(given: Any, err: IO[str]) -> None:
    err.write(f"Reading {given.source.describe()}\n")
    for target, rule in given.mapping.rules.items():
        err.write(f"  {target:<20} from {rule.describe()}\n")


def _print_check(summary: PlanSummary, err: IO[str]) -> None:
    n = summary.requests
    requests = f"; {n:,} request{'s' * (n != 1)}" if n else ""
    err.write(
        f"Checked {summary.rows:,} rows: {summary.ready:,} ready, "
        f"{summary.invalid_count:,} invalid (never sent){requests}\n"
    )
    for checked in summary.invalid[:SHOWN_ERRORS]:
        err.write(f"  row {checked.row.number}: {checked.error_text()}\n")
    if summary.invalid_count > SHOWN_ERRORS:
        err.write(f"  … and {summary.invalid_count - SHOWN_ERRORS:,} more in the results file\n")


def _dry_run(given: Any, connection: Connection, out: IO[str], err: IO[str]) -> int:
    from explorer.bulk.jobs import describe_run
    from explorer.bulk.plan import make_plan
    from explorer.core.catalog import catalog
    from explorer.core.request import Prepared, preview_text

    summary = make_plan(given)
    _print_check(summary, err)
    if summary.first is None:
        out.write("Nothing would be sent: no row is ready.\n")
        return 1
    first = summary.first
    endpoint = catalog()[given.mapping.endpoint]
    prepared = Prepared(endpoint, given.mapping.method, tuple(first.query), first.body)
    out.write(f"Dry run: would {describe_run(given.mapping, summary, connection)}.\n")
    out.write(
        f"The first request (rows {', '.join(map(str, first.rows[:10]))}"
        f"{'…' if len(first.rows) > 10 else ''}), exactly as it would be sent:\n\n"
    )
    out.write(preview_text(connection.base_url, prepared, has_token=bool(connection.token)))
    out.write("\n")
    return 1 if summary.invalid_count else 0


async def _send(
    job: Any,
    source: Any,
    connection: Connection,
    http: Any,
    args: argparse.Namespace,
    out: IO[str],
    err: IO[str],
) -> int:
    import asyncio
    import signal

    from explorer.bulk.engine import BulkEngine, Hooks
    from explorer.bulk.journal import results_path_for
    from explorer.bulk.results import write_results

    printer = _ProgressPrinter(err)
    engine = BulkEngine(job, connection, http, hooks=Hooks(progress=printer.show))
    loop = asyncio.get_running_loop()
    # Ctrl+C lets the request on its way finish, so nothing is left uncertain (not on
    # Windows, where it stops at once and --resume marks that one request uncertain).
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, engine.cancel)
    try:
        end = await engine.run()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        path = args.results or results_path_for(job.input_path)
        tally = write_results(job, source, path)
    printer.done()
    out.write(f"Results: {path} ({tally.text()})\n")
    if end.state != "finished":
        err.write(
            f"The run {end.state}{': ' + end.message if end.message else ''}; "
            "continue it with --resume\n"
        )
    if tally.uncertain_rows:
        rows = ", ".join(map(str, tally.uncertain_rows[:50]))
        err.write(
            f"Uncertain (the run stopped while they were being sent; check them in the "
            f"workspace, they are not sent again): rows {rows}\n"
        )
    return 0 if tally.all_succeeded and end.state == "finished" else 1


class _ProgressPrinter:
    """Progress on stderr: a line every couple of seconds, and each wait as it starts."""

    def __init__(self, err: IO[str]) -> None:
        self.err = err
        self._last = 0.0
        self._waiting = False
        self._shown = -1  # requests done in the last line printed

    def show(self, p: Progress) -> None:
        from explorer.bulk.jobs import duration_text
        from explorer.core.ratelimit import format_wait

        now = time.monotonic()
        if p.waiting and not self._waiting:
            self.err.write(f"{p.reason} Waiting {format_wait(p.waiting)}…\n")
        self._waiting = bool(p.waiting)
        if (now - self._last < PRINT_EVERY and p.left) or p.done == self._shown:
            return
        self._last, self._shown = now, p.done
        self.err.write(
            f"{p.done:,}/{p.total:,} requests done, {p.left:,} left"
            f" · rows {p.rows_ok:,} ok, {p.rows_failed:,} failed"
            + (f" · {duration_text(p.estimate)} to go" if p.left else "")
            + "\n"
        )
        self.err.flush()

    def done(self) -> None:
        self.err.flush()
