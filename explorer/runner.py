"""The collection runner: send a collection's requests in order and check what comes back.

Headless (no Qt): the window and ``rapidpro-explorer run`` both use it. For each request
it fills in the variables, validates (a request that cannot be sent is a failed step with
the reasons, not a crash), sends with the core client, compares the status with the
expected one (default: any 2xx) and stores captured values for the requests after it.
A 429 is waited out — ``Retry-After`` seconds, counted down through a callback — and the
same request is sent again (:func:`explorer.core.retry.send_retrying`, as fetch-all and the
window do). Results can be written as JUnit XML for CI.
"""

from __future__ import annotations

import asyncio
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import build_request, prepare
from explorer.core.retry import DEFAULT_MAX_WAITS, RetryPolicy, send_retrying
from explorer.core.variables import resolve_draft
from explorer.store.atomic import write_atomic
from explorer.store.collections import COLLECTION_FILE, Collection, SavedRequest

if TYPE_CHECKING:
    import argparse

    import httpx

    from explorer.core.client import Outcome
    from explorer.store.history import History

DEFAULT_MAX_WAIT = 900.0  # seconds: a longer Retry-After fails the request instead
RUN_RETRY = RetryPolicy(max_waits=DEFAULT_MAX_WAITS, max_wait=DEFAULT_MAX_WAIT)
EXCERPT = 1000  # characters of a failed response kept in the report


@dataclass(frozen=True)
class Step:
    """One request to run, with the folder it came from (``""`` at the top)."""

    request: SavedRequest
    folder: str = ""

    @property
    def name(self) -> str:
        return self.request.name

    @property
    def label(self) -> str:
        return f"{self.folder}/{self.name}" if self.folder else self.name


@dataclass
class StepResult:
    """What happened to one step. ``sent`` is False when it never left (invalid, unreadable)."""

    step: Step
    passed: bool
    status: int | None = None
    reason: str = ""
    outcome: str = ""  # the client's Kind, or "invalid" / "unreadable"
    elapsed: float = 0.0
    message: str = ""  # one line: why it failed
    details: list[str] = field(default_factory=list)
    waits: int = 0  # 429s waited out
    sent: bool = True
    url: str = ""


@dataclass
class RunReport:
    """All results of a run, in order; ``problems`` are files that could not be read."""

    name: str
    results: list[StepResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration: float = 0.0
    variables: dict[str, Any] = field(default_factory=dict)  # values at the end, captures too

    @property
    def failed(self) -> list[StepResult]:
        return [r for r in self.results if not r.passed]

    @property
    def passed(self) -> bool:
        """Every request passed and every file could be read."""
        return not self.failed and not self.problems


@dataclass
class Callbacks:
    """What a runner reports while it runs (all optional; called on the event loop).

    ``waiting(step, seconds_left)`` is called once a second while a 429 is waited out.
    """

    step_started: Callable[[Step, int, int], None] | None = None  # step, number, total
    step_finished: Callable[[StepResult, int, int], None] | None = None
    waiting: Callable[[Step, int], None] | None = None


# --- what to run -----------------------------------------------------------------------------


def steps_from_collection(collection: Collection, folder: str = "") -> list[Step]:
    """The readable requests of ``collection`` (or one folder of it), in tree order."""
    return [Step(r, r.folder) for r in collection.requests(folder)]


@dataclass
class Source:
    """A runnable thing read from a path: a collection, a folder of one, or a Postman file."""

    name: str
    steps: list[Step]
    variables: dict[str, Any] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    base_url: str | None = None  # a Postman file may name its server

    def scope(self, environment: str | None, base_url: str) -> dict[str, Any]:
        from explorer.core.variables import scope

        env = self.environments.get(environment, {}) if environment else {}
        return scope(self.variables, env, base_url=base_url)


def load_source(path: Path) -> Source:
    """Read ``path``: a collection folder (or a folder or request file inside one),
    a ``collection.json``, or a Postman v2.1 file. Raises :class:`ValidationError`.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ValidationError(f"{path} does not exist")
    if path.is_file() and path.name != COLLECTION_FILE:
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(f"{path} is not a JSON file ({exc})") from None
        from explorer.store.postman import is_postman, parse_postman

        if is_postman(data):
            result = parse_postman(data)
            notes = []
            if result.token:
                notes.append("the file holds a token; it was not used (set RAPIDPRO_TOKEN)")
            return Source(
                result.name,
                [Step(r, folder) for folder, r in result.requests()],
                dict(result.variables),
                problems=list(result.problems),
                notes=notes,
                base_url=result.base_url,
            )
    root = _collection_root(path)
    if root is None:
        raise ValidationError(
            f"{path} is neither a collection (a folder with {COLLECTION_FILE}) nor a "
            "Postman collection file"
        )
    from explorer.store.errors import StoreError

    try:
        collection = Collection.open(root)
    except StoreError as exc:
        raise ValidationError(exc.message) from None
    rel = "" if path in (root, root / COLLECTION_FILE) else path.relative_to(root).as_posix()
    problems = [str(p) for p in collection.problems]
    if rel and path.is_file():
        try:
            request = collection.get(rel)
        except StoreError as exc:
            raise ValidationError(exc.message) from None
        steps = [Step(request, request.folder)]
    else:
        try:
            steps = steps_from_collection(collection, rel)
        except StoreError as exc:
            raise ValidationError(exc.message) from None
        if rel:
            problems = [str(p) for p in collection.unreadable(rel)]
    return Source(
        collection.name if not rel else f"{collection.name}/{rel}",
        steps,
        dict(collection.variables),
        {k: dict(v) for k, v in collection.environments.items()},
        problems,
    )


def _collection_root(path: Path) -> Path | None:
    start = path if path.is_dir() else path.parent
    for folder in (start, *start.parents):
        if (folder / COLLECTION_FILE).is_file():
            return folder
    return None


# --- running ---------------------------------------------------------------------------------


async def run_steps(
    steps: list[Step],
    *,
    base_url: str,
    token: str | None,
    variables: Mapping[str, Any] | None = None,
    name: str = "run",
    callbacks: Callbacks | None = None,
    http: httpx.AsyncClient | None = None,
    default_country: str | None = None,
    history: History | None = None,
    workspace: str | None = None,
    retry: RetryPolicy = RUN_RETRY,
) -> RunReport:
    """Send ``steps`` in order against ``base_url`` and return what happened to each.

    ``variables`` is the scope (:meth:`Collection.scope`); captured values are added to a
    copy of it as the run goes. ``history``, when given, gets every request sent.
    Cancelling the task stops the run at once.
    """
    from explorer.core.client import make_http_client

    cb = callbacks or Callbacks()
    report = RunReport(name)
    scope: dict[str, Any] = dict(variables or {})
    scope.setdefault("base_url", base_url)
    started = time.perf_counter()
    own_client = http is None
    client = http if http is not None else make_http_client()
    try:
        for number, step in enumerate(steps, start=1):
            if cb.step_started:
                cb.step_started(step, number, len(steps))
            result = await _run_step(
                step,
                client,
                base_url=base_url,
                token=token,
                scope=scope,
                callbacks=cb,
                default_country=default_country,
                history=history,
                workspace=workspace,
                retry=retry,
            )
            if token:
                result.message = result.message.replace(token, "…")
                result.details = [d.replace(token, "…") for d in result.details]
            report.results.append(result)
            if cb.step_finished:
                cb.step_finished(result, number, len(steps))
    finally:
        if own_client:
            await client.aclose()
        report.duration = time.perf_counter() - started
        report.variables = scope
    return report


async def _run_step(
    step: Step,
    client: httpx.AsyncClient,
    *,
    base_url: str,
    token: str | None,
    scope: dict[str, Any],
    callbacks: Callbacks,
    default_country: str | None,
    history: History | None,
    workspace: str | None,
    retry: RetryPolicy,
) -> StepResult:
    from explorer.core.client import Kind, send

    request = step.request
    try:
        draft = resolve_draft(request.draft, scope)
        prepared = prepare(draft, default_country=default_country)
    except ValidationErrors as exc:
        return StepResult(
            step,
            passed=False,
            outcome="invalid",
            message="not sent: " + _first(exc),
            details=[str(e) for e in exc],
            sent=False,
        )
    def answered(outcome: Outcome) -> None:
        if history is not None:
            history.record(draft, outcome, workspace=workspace)

    def waiting(left: int, _reason: str) -> None:
        if left and callbacks.waiting:  # 0 ends the wait: the step's result says the rest
            callbacks.waiting(step, left)

    retried = await send_retrying(
        lambda: send(client, build_request(base_url, token, prepared), base_url=base_url),
        policy=retry,
        on_outcome=answered,
        on_wait=waiting,
    )
    outcome, waits = retried.outcome, retried.waits
    result = StepResult(
        step,
        passed=request.expects(outcome.status),
        status=outcome.status,
        reason=outcome.reason,
        outcome=str(outcome.kind),
        elapsed=retried.elapsed,
        waits=waits,
        url=str(outcome.request.url),
    )
    if outcome.status is None:
        result.message = f"{outcome.meaning} {outcome.error}".strip()
    elif not result.passed:
        result.message = f"expected {request.expectation}, got {outcome.status} {outcome.reason}"
        if outcome.kind is Kind.RATE_LIMITED:
            result.message += f" (still rate limited after {waits} waits)"
        result.details = _failure_details(outcome)
    if result.passed and request.capture:
        missing = _capture(request.capture, outcome, scope)
        if missing:
            result.passed = False
            result.message = "; ".join(missing)
            result.details = _failure_details(outcome)
    return result


def _capture(capture: Mapping[str, str], outcome: Outcome, scope: dict[str, Any]) -> list[str]:
    missing = []
    data = outcome.json
    for name, path in capture.items():
        found, value = _extract(data, path)
        if not found:
            missing.append(f"could not capture {{{{{name}}}}}: the response has no {path}")
        else:
            scope[name] = value
    return missing


def _extract(data: Any, path: str) -> tuple[bool, Any]:
    """``results.0.uuid`` in a parsed JSON response."""
    value = data
    for part in (p for p in path.split(".") if p):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False, None
    return value is not None, value


def _failure_details(outcome: Outcome) -> list[str]:
    details = [str(e) for e in outcome.field_errors]
    if outcome.detail and not details:
        details.append(outcome.detail)
    if not details and outcome.content:
        details.append(outcome.text[:EXCERPT])
    return details


def _first(errors: ValidationErrors) -> str:
    items = list(errors)
    text = str(items[0]) if items else "invalid"
    return text if len(items) == 1 else f"{text} (and {len(items) - 1} more)"


# --- JUnit XML -------------------------------------------------------------------------------


def junit_xml(report: RunReport) -> str:
    """The report as JUnit XML: one testcase per request, plus one per unreadable file."""
    failures = sum(1 for r in report.results if not r.passed and r.sent)
    errors = sum(1 for r in report.results if not r.sent) + len(report.problems)
    tests = len(report.results) + len(report.problems)
    suites = ET.Element(
        "testsuites",
        name=report.name,
        tests=str(tests),
        failures=str(failures),
        errors=str(errors),
        time=f"{report.duration:.3f}",
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=report.name,
        tests=str(tests),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{report.duration:.3f}",
        timestamp=report.started.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    for result in report.results:
        step = result.step
        classname = ".".join([report.name, *[p for p in step.folder.split("/") if p]])
        case = ET.SubElement(
            suite, "testcase", classname=classname, name=step.name, time=f"{result.elapsed:.3f}"
        )
        draft = step.request.draft
        summary = f"{draft.method.value} {draft.endpoint}"
        if result.status is not None:
            summary += f" -> {result.status} {result.reason}".rstrip()
        if result.waits:
            summary += f" (waited out {result.waits} rate limit responses)"
        if not result.passed:
            tag = "failure" if result.sent else "error"
            node = ET.SubElement(case, tag, message=result.message, type=result.outcome or tag)
            node.text = "\n".join([summary, *result.details])
        ET.SubElement(case, "system-out").text = summary
    for problem in report.problems:
        case = ET.SubElement(
            suite, "testcase", classname=report.name, name=problem.split(":", 1)[0], time="0"
        )
        ET.SubElement(case, "error", message=problem, type="unreadable").text = problem
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def write_junit(report: RunReport, path: Path) -> None:
    write_atomic(Path(path), junit_xml(report))


# --- the command line --------------------------------------------------------------------------


class Printer:
    """Readable lines for a terminal or a CI log: one per request, a countdown while waiting."""

    def __init__(self, out: IO[str], err: IO[str]) -> None:
        self.out = out
        self.err = err
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self._waiting = False
        self._wait_start = 0

    def callbacks(self) -> Callbacks:
        return Callbacks(step_finished=self.finished, waiting=self.waiting)

    def finished(self, result: StepResult, number: int, total: int) -> None:
        self._end_wait()
        step = result.step
        draft = step.request.draft
        width = len(str(total))
        if result.status is not None:
            status = f"{result.status} {result.reason}".strip()
        else:
            status = result.outcome or "-"
        mark = "PASS" if result.passed else "FAIL"
        line = (
            f"{mark}  {number:>{width}}/{total}  {step.label}  "
            f"[{draft.method.value} {draft.endpoint}]  {status}  {result.elapsed:.2f} s"
        )
        if result.waits:
            line += f"  (waited out {result.waits} x 429)"
        self._write(line + "\n")
        if not result.passed:
            self._write(f"      {result.message}\n")
            details = [d for d in result.details if d not in result.message]
            for detail in details[:10]:
                self._write(f"      - {_one_line(detail)}\n")

    def waiting(self, step: Step, seconds: int) -> None:
        text = f"      429 rate limited: retrying {step.label} in {seconds} s"
        if self.tty:
            self._write("\r" + text.ljust(70))
            self._waiting = True
            return
        # In a log, not a line per second for a long wait: the start, every 10 s, the end.
        if not self._waiting or seconds % 10 == 0 or seconds <= 3:
            self._write(text + "\n")
        self._waiting = True

    def _end_wait(self) -> None:
        if self._waiting and self.tty:
            self._write("\r" + " " * 70 + "\r")
        self._waiting = False

    def summary(self, report: RunReport) -> None:
        passed = sum(1 for r in report.results if r.passed)
        failed = len(report.results) - passed
        text = f"{passed} passed, {failed} failed"
        if report.problems:
            text += f", {len(report.problems)} unreadable"
        self._write(f"{text} in {report.duration:.2f} s\n")

    def _write(self, text: str) -> None:
        try:
            self.out.write(text)
        except UnicodeEncodeError:
            encoding = getattr(self.out, "encoding", None) or "ascii"
            self.out.write(text.encode(encoding, "replace").decode(encoding))
        self.out.flush()


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:199] + "…"


class UsageError(Exception):
    """The command line asked for something that cannot be run (exit status 2)."""


def cli(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``rapidpro-explorer run``: 0 when every request passed, 1 when any failed, 2 on misuse."""
    try:
        return asyncio.run(_cli(args, out, err))
    except UsageError as exc:
        err.write(f"rapidpro-explorer run: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("rapidpro-explorer run: stopped\n")
        return 130


async def _cli(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from explorer.core.request import normalize_base_url
    from explorer.store.errors import StoreError
    from explorer.store.secrets import TokenVault, token_from_env
    from explorer.store.workspaces import WorkspaceStore

    try:
        source = load_source(args.path)
    except ValidationError as exc:
        raise UsageError(exc.message) from None
    for note in source.notes:
        err.write(f"note: {note}\n")

    workspace_name: str | None = None
    default_country: str | None = None
    token: str | None = None
    if args.run_workspace and args.base_url:
        raise UsageError("give --workspace or --base-url, not both")
    if args.run_workspace:
        store = WorkspaceStore()
        if store.problem:
            raise UsageError(store.problem)
        ws = store.get(args.run_workspace)
        if ws is None:
            known = ", ".join(store.names()) or "none are saved"
            raise UsageError(f"there is no workspace called {args.run_workspace!r} ({known})")
        workspace_name, default_country = ws.name, ws.default_country
        base_url = ws.base_url
        token = await TokenVault().get(ws.name)
    else:
        text = args.base_url or source.base_url
        if not text:
            raise UsageError(
                "say where to send the requests: --workspace NAME (a saved workspace) or "
                "--base-url URL"
            )
        try:
            base_url = normalize_base_url(text)
        except ValidationError as exc:
            raise UsageError(exc.message) from None
    token = token or token_from_env()
    if not token:
        where = f"saved for {workspace_name!r}" if workspace_name else "given"
        raise UsageError(f"no token {where}: set the RAPIDPRO_TOKEN environment variable")

    env_name = args.env if args.env is not None else workspace_name
    if args.env is not None and args.env not in source.environments:
        known = ", ".join(sorted(source.environments)) or "there are none"
        raise UsageError(f"the collection has no environment {args.env!r} ({known})")
    if not source.steps and not source.problems:
        raise UsageError(f"there are no requests in {args.path}")

    printer = Printer(out, err)
    for problem in source.problems:
        err.write(f"could not read: {problem}\n")
    out.write(f"Running {source.name} against {base_url} ({len(source.steps)} requests)\n")
    report = await run_steps(
        source.steps,
        base_url=base_url,
        token=token,
        variables=source.scope(env_name, base_url),
        name=source.name,
        callbacks=printer.callbacks(),
        default_country=default_country,
        workspace=workspace_name,
    )
    report.problems = list(source.problems)
    printer.summary(report)
    if args.report is not None:
        try:
            write_junit(report, args.report)
        except StoreError as exc:
            err.write(f"rapidpro-explorer run: {exc.message}\n")
            return 1
        out.write(f"JUnit report: {args.report}\n")
    return 0 if report.passed else 1
