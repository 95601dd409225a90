"""The command line: opens the GUI, or runs a subcommand (``catalog``, ``sandbox``).

Start-up cost matters here: ``catalog`` loads neither Qt, httpx nor the sandbox, and
``--version`` only QtCore. Everything heavier is imported inside the function that needs it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from explorer import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from explorer.core.request import Draft

PROG = "rapidpro-explorer"

# The sandbox builds its own options; we only forward its arguments to it (see _run_sandbox).
_SANDBOX_HELP = "run the built-in RapidPro-compatible sandbox server"


def version_text() -> str:
    """What ``--version`` prints: the app's, Qt's, PySide6's and httpx's versions.

    Cheap on purpose: it loads QtCore (no widgets) and reads httpx's version from its
    installed metadata instead of importing it.
    """
    import PySide6
    from PySide6.QtCore import qVersion

    return (
        f"{PROG} {__version__}\n"
        f"Qt {qVersion()}\n"
        f"PySide6 {PySide6.__version__}\n"
        f"httpx {_httpx_version()}"
    )


def _httpx_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("httpx")
    except metadata.PackageNotFoundError:  # metadata not shipped (a frozen build without it)
        import httpx

        return httpx.__version__


class _VersionAction(argparse.Action):
    """``--version``, with the text worked out only when asked for (it loads QtCore)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        print(version_text())
        parser.exit()


def _path(text: str) -> Path:
    from pathlib import Path  # only when the option is used: pathlib is not free to import

    return Path(text)


def _endpoint_name(text: str) -> str:
    """An endpoint as people write it (``contacts``, ``/api/v2/contacts.json``) as its name."""
    return text.strip().strip("/").removeprefix("api/v2/").removesuffix(".json")


def _get_draft(text: str) -> Draft:
    """``--send contacts?group=Farmers`` as the GET request the form would hold."""
    from explorer.core.catalog import catalog
    from explorer.core.curl_import import params_from_query
    from explorer.core.errors import ValidationError
    from explorer.core.raw import query_to_params
    from explorer.core.request import Draft, HttpMethod

    cat = catalog()
    name, _, query = text.strip().partition("?")
    name = _endpoint_name(name)
    if name not in cat:
        raise argparse.ArgumentTypeError(_unknown_endpoint(name, [e.name for e in cat]))
    if HttpMethod.GET not in cat[name].method_names:
        raise argparse.ArgumentTypeError(f"{name} cannot be read with GET: it only takes writes")
    try:
        params = query_to_params(query)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(f"in the query of {text!r}: {exc}") from None
    return Draft(name, HttpMethod.GET, params_from_query(name, HttpMethod.GET, params))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A desktop explorer for the RapidPro REST API v2. "
        "Without a command, opens the window.",
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="show the versions of the app, Qt, PySide6 and httpx, and exit",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen on an in-memory sandbox, send a GET and a POST "
        "through it, check what it shows, and exit: 0 when it works, else 1 with the reason",
    )
    gui = parser.add_argument_group("window options")
    gui.add_argument(
        "--sandbox",
        action="store_true",
        help="connect to the built-in sandbox instead of a real workspace",
    )
    gui.add_argument("--workspace", metavar="NAME", help="open this saved workspace")
    gui.add_argument(
        "--screenshot",
        metavar="PNG",
        type=_path,
        help="save a picture of the window as it first appears to PNG, then quit once the "
        "workspace is connected (with --send: once its response is on screen)",
    )
    gui.add_argument(
        "--send",
        metavar="ENDPOINT[?QUERY]",
        type=_get_draft,
        help="once connected, send this GET request, such as contacts or "
        "'contacts?group=Farmers' (only reads: nothing in the workspace changes)",
    )

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    catalog = commands.add_parser(
        "catalog",
        help="list the API's endpoints, or one endpoint's parameters and fields",
        description="Print the RapidPro API v2 catalog the explorer knows: every endpoint "
        "by group, or one endpoint in detail.",
    )
    catalog.add_argument("--json", action="store_true", help="print the catalog as JSON")
    catalog.add_argument(
        "endpoint",
        nargs="?",
        metavar="ENDPOINT",
        help="an endpoint name such as contacts (or its path)",
    )
    catalog.set_defaults(handler=_run_catalog)

    # A stub: the sandbox's real options are built only when the command runs, so neither
    # parsing nor `--help` of other commands imports the sandbox. Its arguments arrive
    # as the leftovers of parse_known_args.
    sandbox = commands.add_parser("sandbox", help=_SANDBOX_HELP, add_help=False)
    sandbox.set_defaults(handler=_run_sandbox)

    run = commands.add_parser(
        "run",
        help="run a collection's requests in order and check their statuses",
        description="Send the requests of a collection (a folder with collection.json, a "
        "folder inside one, or a Postman v2.1 file) in order, check each status (default: "
        "any 2xx) and wait out 429 rate limits. The token comes from the keyring entry of "
        "--workspace, else from the RAPIDPRO_TOKEN environment variable. Exit status: 0 "
        "when all pass, 1 when any fails, 2 for usage errors.",
    )
    run.add_argument("path", metavar="PATH", type=_path, help="collection folder or Postman file")
    run.add_argument(
        "--workspace",
        dest="run_workspace",
        metavar="NAME",
        help="send to this saved workspace (its address, country and keyring token)",
    )
    run.add_argument(
        "--base-url",
        metavar="URL",
        help="send to this address instead of a saved workspace (token from RAPIDPRO_TOKEN); "
        "a Postman file's own base_url variable is used when neither is given",
    )
    run.add_argument(
        "--env",
        metavar="NAME",
        help="use this environment's variables (default: the one named after the workspace)",
    )
    run.add_argument("--report", metavar="XML", type=_path, help="write a JUnit XML report")
    run.set_defaults(handler=_run_run)

    from explorer.bulk.cli import add_parser as add_bulk_parser  # options only: cheap

    add_bulk_parser(commands)
    from explorer.datasets.cli import add_parser as add_pull_parser  # only argparse loads

    add_pull_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``) and run; returns the exit status."""
    parser = build_parser()
    try:
        args, rest = parser.parse_known_args(argv)
        if rest and args.command != "sandbox":
            parser.error("unrecognized arguments: " + " ".join(rest))
    except SystemExit as exc:  # --help, --version and usage errors
        return _exit_status(exc)
    handler: Callable[[argparse.Namespace, list[str]], int] | None = getattr(args, "handler", None)
    if args.self_test:
        if handler is not None:
            parser.print_usage(sys.stderr)
            _print_err(f"{PROG}: error: --self-test takes no command")
            return 2
        return _run_self_test()
    if handler is None:
        return _run_gui(args)
    return handler(args, rest)


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _run_self_test() -> int:
    from explorer.ui import self_test

    status, line = self_test.run()
    print(line, file=sys.stderr if status else sys.stdout)
    return status


def _run_gui(args: argparse.Namespace) -> int:
    from explorer.ui import app

    status = app.main(args)
    return int(status or 0)


def _run_catalog(args: argparse.Namespace, _rest: list[str]) -> int:
    from explorer.core.catalog import catalog

    cat = catalog()
    endpoint = None
    if args.endpoint is not None:
        name = _endpoint_name(args.endpoint)
        if name not in cat:
            _print_err(f"{PROG} catalog: {_unknown_endpoint(name, [e.name for e in cat])}")
            return 2
        endpoint = cat[name]

    if args.json:
        import json

        from explorer.core.catalog_text import catalog_to_json

        data = catalog_to_json(cat)
        if endpoint is not None:
            data["endpoints"] = [e for e in data["endpoints"] if e["name"] == endpoint.name]
        return _emit(json.dumps(data, indent=2) + "\n")

    from explorer.core.catalog_text import catalog_summary

    width = max(60, min(_terminal_width(), 120))
    text = catalog_summary(cat, endpoint.name if endpoint else None, width=width)
    if endpoint is None:
        text += f"\nDetails of one endpoint: {PROG} catalog ENDPOINT\n"
    return _emit(text)


def _unknown_endpoint(name: str, names: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, names, n=4, cutoff=0.5)
    close += [n for n in names if name and n.startswith(name) and n not in close]
    message = f"no endpoint named {name!r}."
    if close:
        return f"{message} Did you mean: {', '.join(close[:4])}?"
    return f"{message} Endpoints: {', '.join(sorted(names))}."


def _run_sandbox(args: argparse.Namespace, rest: list[str]) -> int:
    from explorer.sandbox import command

    parser = argparse.ArgumentParser(prog=f"{PROG} sandbox", description=_SANDBOX_HELP)
    command.configure_parser(parser)
    try:
        sandbox_args = parser.parse_args(rest)
    except SystemExit as exc:
        return _exit_status(exc)
    return int(command.run(sandbox_args) or 0)


def _run_run(args: argparse.Namespace, _rest: list[str]) -> int:
    from explorer.run import cli as run_cli

    return run_cli.main(args, sys.stdout, sys.stderr)


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


def _emit(text: str) -> int:
    """Write to stdout; a closed pipe (``| head``) ends quietly, odd encodings degrade."""
    try:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            encoding = sys.stdout.encoding or "ascii"
            sys.stdout.write(text.encode(encoding, "replace").decode(encoding))
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the broken pipe again at exit: point stdout at nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


def _print_err(text: str) -> None:
    print(text, file=sys.stderr)
