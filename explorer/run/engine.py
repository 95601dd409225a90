"""The runner's engine: send steps in order on one connection and check what comes back.

For each step it fills in the variables, validates (a request that cannot be sent is a
failed step with the reasons, not a crash), sends with the core client, compares the status
with the expected one (default: any 2xx) and stores captured values for the steps after it.
A 429 is waited out through :func:`explorer.core.retry.send_retrying`, as fetch-all and the
window do, its countdown reported through :class:`Callbacks`.

Headless and self-contained: no Qt, and no lookups of its own (no workspace store, keyring
or environment variables). The connection, the variables, the history to record into and
the HTTP client are passed in by ``rapidpro-explorer run`` and by the runner panel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from explorer.core.errors import ValidationErrors
from explorer.core.request import prepare
from explorer.core.retry import DEFAULT_MAX_WAITS, RetryPolicy, send_retrying
from explorer.core.variables import resolve_draft

if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome
    from explorer.core.connection import Connection
    from explorer.store.collections import Collection, SavedRequest
    from explorer.store.history import History

DEFAULT_MAX_WAIT = 900.0  # seconds: a longer Retry-After fails the request instead
RUN_RETRY = RetryPolicy(max_waits=DEFAULT_MAX_WAITS, max_wait=DEFAULT_MAX_WAIT)
"""How a run waits out 429s: up to 10 times per request, never longer than 15 minutes."""
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


def steps_from_collection(collection: Collection, folder: str = "") -> list[Step]:
    """The readable requests of ``collection`` (or one folder of it), in tree order."""
    return [Step(r, r.folder) for r in collection.requests(folder)]


async def run_steps(
    steps: list[Step],
    connection: Connection,
    *,
    variables: Mapping[str, Any] | None = None,
    name: str = "run",
    callbacks: Callbacks | None = None,
    http: httpx.AsyncClient | None = None,
    history: History | None = None,
    retry: RetryPolicy = RUN_RETRY,
) -> RunReport:
    """Send ``steps`` in order on ``connection`` and return what happened to each.

    ``variables`` is the scope (:meth:`Collection.scope`); captured values are added to a
    copy of it as the run goes. ``history``, when given, gets every request sent, under the
    connection's name. Without ``http`` the run opens (and closes) a client of its own.
    Cancelling the task stops the run at once.
    """
    from explorer.core.client import make_http_client

    cb = callbacks or Callbacks()
    report = RunReport(name)
    scope: dict[str, Any] = dict(variables or {})
    scope.setdefault("base_url", connection.base_url)
    started = time.perf_counter()
    client = http if http is not None else make_http_client()
    run = _Run(client, connection, scope, cb, history, retry)
    try:
        for number, step in enumerate(steps, start=1):
            if cb.step_started:
                cb.step_started(step, number, len(steps))
            result = _hide_token(await run.step(step), connection.token)
            report.results.append(result)
            if cb.step_finished:
                cb.step_finished(result, number, len(steps))
    finally:
        if http is None:
            await client.aclose()
        report.duration = time.perf_counter() - started
        report.variables = scope
    return report


def _hide_token(result: StepResult, token: str | None) -> StepResult:
    """A server may echo the token back in an error: it never reaches a report or a log."""
    if token:
        result.message = result.message.replace(token, "…")
        result.details = [d.replace(token, "…") for d in result.details]
    return result


@dataclass
class _Run:
    """What every step of one run shares: where it sends, the scope, who listens."""

    client: httpx.AsyncClient
    connection: Connection
    scope: dict[str, Any]
    callbacks: Callbacks
    history: History | None
    retry: RetryPolicy

    async def step(self, step: Step) -> StepResult:
        request = step.request
        try:
            draft = resolve_draft(request.draft, self.scope)
            prepared = prepare(draft, default_country=self.connection.default_country)
        except ValidationErrors as exc:
            return StepResult(
                step,
                passed=False,
                outcome="invalid",
                message="not sent: " + _first(exc),
                details=[str(e) for e in exc],
                sent=False,
            )
        conn, history, waiting = self.connection, self.history, self.callbacks.waiting

        def answered(outcome: Outcome) -> None:
            if history is not None:
                history.record(draft, outcome, workspace=conn.name)

        def tick(left: int, _reason: str) -> None:
            if left and waiting:  # 0 ends the wait: the step's result says the rest
                waiting(step, left)

        retried = await send_retrying(
            lambda: conn.send(self.client, conn.request(prepared)),
            policy=self.retry,
            on_outcome=answered,
            on_wait=tick,
        )
        return self._result(step, retried.outcome, retried.waits, retried.elapsed)

    def _result(self, step: Step, outcome: Outcome, waits: int, elapsed: float) -> StepResult:
        from explorer.core.client import Kind

        request = step.request
        result = StepResult(
            step,
            passed=request.expects(outcome.status),
            status=outcome.status,
            reason=outcome.reason,
            outcome=str(outcome.kind),
            elapsed=elapsed,
            waits=waits,
            url=str(outcome.request.url),
        )
        if outcome.status is None:
            result.message = f"{outcome.meaning} {outcome.error}".strip()
        elif not result.passed:
            result.message = (
                f"expected {request.expectation}, got {outcome.status} {outcome.reason}"
            )
            if outcome.kind is Kind.RATE_LIMITED:
                result.message += f" (still rate limited after {waits} waits)"
            result.details = _failure_details(outcome)
        if result.passed and request.capture:
            missing = _capture(request.capture, outcome, self.scope)
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
