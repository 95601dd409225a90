"""The bulk engine: send a job's planned requests in order, paced, journalled, stoppable.

Before each request the engine waits, if need be, until the workspace's hourly budget
(:class:`~explorer.core.ratelimit.BudgetMeter`) has room, through
:func:`explorer.core.retry.wait_out`; a 429 is waited out by
:func:`explorer.core.retry.send_retrying`, as everywhere else in the app. The journal gets
``sending`` before a request goes and its answer before the next one (see
:mod:`explorer.bulk.journal`). :meth:`BulkEngine.pause`, :meth:`resume` and :meth:`cancel`
act between requests (a cancel also ends a wait at once); :class:`Hooks` hear progress.

Like the runner's engine it looks nothing up itself: the job, the connection, the HTTP
client and the meter are handed in by ``rapidpro-explorer bulk`` and by the bulk view.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.bulk.journal import Answer, Job, Journal, planned_requests
from explorer.bulk.results import CREATED, DONE, FAILED, UNCERTAIN, UPDATED
from explorer.core.catalog import catalog
from explorer.core.ratelimit import BudgetMeter
from explorer.core.request import Prepared
from explorer.core.retry import RetryPolicy, send_retrying, wait_out

if TYPE_CHECKING:
    import httpx

    from explorer.bulk.chunk import Planned
    from explorer.core.client import Outcome
    from explorer.core.connection import Connection

log = logging.getLogger(__name__)

MAX_SILENT = 3  # requests in a row with no answer at all before the run stops by itself
FINISHED, CANCELLED, STOPPED = "finished", "cancelled", "stopped"


class _Stopped(Exception):
    """A wait ended because the run was cancelled."""


@dataclass
class Progress:
    """Where a run stands, for a progress bar, a status line or a terminal."""

    total: int
    done: int = 0  # requests answered (this run and earlier ones)
    rows_ok: int = 0
    rows_failed: int = 0
    waiting: int = 0  # seconds left of a wait (budget or 429), 0 when sending
    reason: str = ""
    paused: bool = False
    per_request: float = 0.0  # seconds, averaged over this run
    limit: int = 2500
    budget_left: int = 0

    @property
    def left(self) -> int:
        return max(0, self.total - self.done)

    @property
    def estimate(self) -> float:
        """Seconds still to go: the budget's pace once the hour's room is used up."""
        quick = min(self.left, self.budget_left)
        paced = self.left - quick
        return self.waiting + quick * self.per_request + paced * max(
            self.per_request, 3600 / self.limit
        )


@dataclass
class Hooks:
    """What the engine reports while it runs (all optional; called on the event loop)."""

    progress: Callable[[Progress], None] | None = None
    answered: Callable[[Planned, Answer], None] | None = None


@dataclass
class RunEnd:
    """How a run ended: finished, cancelled or stopped (the workspace stopped answering)."""

    state: str
    progress: Progress
    message: str = ""
    uncertain: list[int] = field(default_factory=list)  # request numbers, from a crash


class BulkEngine:
    """Sends one job's plan; make one per run. See the module docstring."""

    def __init__(
        self,
        job: Job,
        connection: Connection,
        http: httpx.AsyncClient,
        *,
        meter: BudgetMeter | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self.job = job
        self.connection = connection
        self.http = http
        self.meter = meter or BudgetMeter(connection.rate_limit_per_hour)
        self.hooks = hooks or Hooks()
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._stop = asyncio.Event()
        endpoint = catalog()[job.mapping.endpoint]
        self._endpoint = endpoint
        self._scope = endpoint.throttle_scope
        self.progress = Progress(job.requests, limit=self.meter.limit)
        self._spent = 0.0
        self._sent = 0

    # --- control ----------------------------------------------------------------------------

    def pause(self) -> None:
        """Send nothing more until :meth:`resume` (the request on its way still finishes)."""
        self._resumed.clear()
        self.progress.paused = True
        self._report()

    def resume(self) -> None:
        self._resumed.set()
        self.progress.paused = False
        self._report()

    def cancel(self) -> None:
        """Stop after the request on its way; a wait ends now. The rest stays unsent."""
        self._stop.set()
        self._resumed.set()

    # --- running ----------------------------------------------------------------------------

    async def run(self) -> RunEnd:
        """Send every planned request the journal has no record of, in order."""
        journal = Journal(self.job.journal_path)
        uncertain = [a.number for a in journal.uncertain]
        self.progress.done = len(journal.answers)
        silent = 0
        self._report()
        for planned in planned_requests(self.job):
            if planned.number in journal.answers:
                continue
            try:
                await self._gate()
                await self._pace()
                answer, outcome = await self._send(planned, journal)
            except _Stopped:
                return RunEnd(CANCELLED, self.progress, "cancelled", uncertain)
            if answer is not None:
                self._count(planned, answer)
            silent = silent + 1 if outcome is not None and outcome.status is None else 0
            if silent >= MAX_SILENT and outcome is not None:
                message = f"{outcome.meaning} {outcome.error}".strip()
                return RunEnd(STOPPED, self.progress, message, uncertain)
        self.progress.waiting = 0
        self._report()
        return RunEnd(FINISHED, self.progress, "", uncertain)

    async def _gate(self) -> None:
        if not self._resumed.is_set():
            await self._resumed.wait()
        if self._stop.is_set():
            raise _Stopped

    async def _pace(self) -> None:
        seconds = self.meter.seconds_until_free(self._scope)
        if seconds <= 0:
            return
        reason = "Waiting for room in the workspace's hourly budget."

        def tick(left: int) -> None:
            self._waiting(left, reason)

        await wait_out(seconds, tick, sleep=self._sleep)

    async def _send(
        self, planned: Planned, journal: Journal
    ) -> tuple[Answer | None, Outcome | None]:
        conn = self.connection
        prepared = Prepared(
            self._endpoint,
            self.job.mapping.method,
            tuple(planned.query),
            planned.body,
        )
        last: list[Outcome] = []

        def answered(outcome: Outcome) -> None:
            last[:] = [outcome]
            self.meter.record_outcome(outcome)

        journal.sending(planned.number)
        try:
            retried = await send_retrying(
                lambda: conn.send(self.http, conn.request(prepared)),
                policy=RetryPolicy(max_waits=None, sleep=self._sleep),
                on_outcome=answered,
                on_wait=self._waiting,
            )
        except _Stopped:
            # Cancelled during a 429 wait: the server refused it, so nothing was done.
            journal.not_sent(planned.number)
            raise
        self._waiting(0, "")
        self._spent += retried.elapsed
        self._sent += 1
        answer = rows_answer(planned, retried.outcome, conn.token)
        journal.answered(answer)
        if self.hooks.answered is not None:
            self.hooks.answered(planned, answer)
        return answer, retried.outcome

    async def _sleep(self, seconds: float) -> None:
        """A sleep that a cancel ends at once (raising _Stopped)."""
        if self._stop.is_set():
            raise _Stopped
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise _Stopped

    def _waiting(self, left: int, reason: str) -> None:
        self.progress.waiting = left
        self.progress.reason = reason if left else ""
        self._report()

    def _count(self, planned: Planned, answer: Answer) -> None:
        p = self.progress
        p.done += 1
        for result in answer.results:
            if result.get("result") in (CREATED, UPDATED, DONE):
                p.rows_ok += 1
            else:
                p.rows_failed += 1
        p.per_request = self._spent / self._sent if self._sent else 0.0
        self._report()

    def _report(self) -> None:
        self.progress.limit = self.meter.limit
        self.progress.budget_left = self.meter.limit - self.meter.used(self._scope)
        if self.hooks.progress is not None:
            self.hooks.progress(self.progress)


# --- from an outcome to each row's result -------------------------------------------------------


def rows_answer(planned: Planned, outcome: Outcome, token: str | None = None) -> Answer:
    """What one answer means for each row of the request (in the plan's row order)."""
    from explorer.core.client import Kind

    n = len(planned.rows)
    status, kind = outcome.status, str(outcome.kind)
    if outcome.ok:
        # One row, one object: created or updated. Rows sharing a request are "done".
        result = DONE
        if planned.chunk_field is None:
            result = {Kind.CREATED: CREATED, Kind.OK: UPDATED}.get(outcome.kind, DONE)
        # A chunked row's uuid is that of what its request made (a broadcast, a flow start).
        uuid = _uuid_of(outcome.json)
        one = {"result": result, "uuid": uuid} if uuid else {"result": result}
        return Answer(planned.number, "answered", status, kind, [dict(one) for _ in range(n)])
    if outcome.kind in (Kind.TIMEOUT, Kind.CONNECTION_LOST):
        why = _hidden(f"{outcome.meaning} {outcome.error}".strip(), token)
        error = f"no full answer came back, so it may have been done: {why}"
        return Answer(planned.number, "answered", status, kind, _same(n, UNCERTAIN, error))
    return Answer(planned.number, "answered", status, kind, _failed_rows(planned, outcome, token))


def _same(n: int, result: str, error: str) -> list[dict[str, str]]:
    return [{"result": result, "error": error} for _ in range(n)]


def _failed_rows(planned: Planned, outcome: Outcome, token: str | None) -> list[dict[str, str]]:
    """Each row's error: its own where the server named its item, else the request's."""
    general: list[str] = []
    own: dict[int, list[str]] = {}
    for error in outcome.field_errors:
        path = error.path
        row = None
        if planned.chunk_field and len(path) >= 2 and path[0] == planned.chunk_field:
            index = path[1]
            row = planned.row_of_item(int(index)) if isinstance(index, int) else None
        if row is not None:
            own.setdefault(row, []).append(error.message)
        else:
            general.append(str(error))
    if not general and not own:
        status = f"{outcome.status} {outcome.reason}".strip() if outcome.status else ""
        general.append(" ".join(p for p in (status, outcome.detail or outcome.meaning) if p))
        if outcome.status is None and outcome.error:
            general.append(outcome.error)
    out = []
    for row in planned.rows:
        if row in own:
            text = "; ".join(own[row])
        elif own:
            text = "not done: another row in the same request was refused"
        else:
            text = "; ".join(general)
        out.append({"result": FAILED, "error": _hidden(text, token)})
    return out


def _hidden(text: str, token: str | None) -> str:
    """A server may echo the token back in an error: it never reaches the results file."""
    return text.replace(token, "…") if token else text


def _uuid_of(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("uuid"), str):
        return data["uuid"]
    return ""
