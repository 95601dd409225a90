"""The life of one request, with no widgets: what a request tab shows is what this holds.

A :class:`RequestSession` takes drafts from the editors and keeps what ``prepare`` made of
them (or why it could not), sends on the connection in use, can be cancelled, keeps the
last outcome and the pager for Previous/Next, and waits out a rate limit (sending the
refused request again when auto-retry is on). The window, the response view, the results
table, the banner and the history subscribe to its signals; tests drive it without any.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from explorer.core.catalog import HttpMethod, Pagination
from explorer.core.connection import Connection
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.ratelimit import Countdown
from explorer.core.request import Draft, Prepared, as_written, prepare
from explorer.ui.operation import Operation
from explorer.ui.send_problem import problem_text

if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome
    from explorer.core.pagination import Pager
    from explorer.core.retry import RetryPolicy
    from explorer.store.collections import Collection

log = logging.getLogger(__name__)

Confirm = Callable[[Prepared, Connection], Awaitable[bool]]


async def _always(_prepared: Prepared, _connection: Connection) -> bool:
    return True


class RequestSession(QObject):
    """One request: its draft, what it prepares to, its send, outcome, pager and waits.

    ``confirm`` is asked before every send on a real workspace (the window's dialog); the
    sandbox never asks.

    Signals:
        prepared_changed(): a draft was taken; :attr:`prepared`, :attr:`problem` and
            :attr:`errors` say what Send would do now.
        send_started(str): a request (or a page) is on its way, e.g. "Sending GET …".
        outcome_arrived(object): an :class:`~explorer.core.client.Outcome`, of a send or a page.
        answered(object, object): a send (not a page) was answered: its draft and outcome.
        send_ended(str): a send ended without an outcome; why, for the response pane.
        busy_changed(bool): a send or a page load started (True) or ended (False).
        wait_started(float): the server asked to wait this many seconds (HTTP 429).
        wait_ticked(int, str): whole seconds of the wait left (1 or more), as they change,
            and why: the one countdown a banner shows; ``wait_ended`` follows the last.
        wait_ended(): that wait is over; Send may go again.
        retry_cancelled(): the user called off the send scheduled after the wait.
        page_changed(): the pager stands on another page (or there is a new pager).
    """

    prepared_changed = Signal()
    send_started = Signal(str)
    outcome_arrived = Signal(object)
    answered = Signal(object, object)
    send_ended = Signal(str)
    busy_changed = Signal(bool)
    wait_started = Signal(float)
    wait_ticked = Signal(int, str)
    wait_ended = Signal()
    retry_cancelled = Signal()
    page_changed = Signal()

    def __init__(
        self,
        http: httpx.AsyncClient | None = None,
        parent: QObject | None = None,
        *,
        confirm: Confirm = _always,
    ) -> None:
        super().__init__(parent)
        self.http = http
        self.confirm = confirm
        self.connection: Connection | None = None
        self.auto_retry = False
        self.draft: Draft | None = None
        self._collection: Collection | None = None  # where the draft's {{variables}} resolve
        self._unreadable = ""  # why the Raw text cannot be read, when it cannot
        self.prepared: Prepared | None = None
        self.errors: ValidationErrors | None = None
        self.problem = "Choose an endpoint."
        self.outcome: Outcome | None = None
        self.pager: Pager | None = None
        self.sent: Prepared | None = None  # what the last send sent
        self._waiting_for = "Starting the sandbox…"  # why Send waits while not connected
        self._operation: Operation[None] | None = None
        self._in_flight = False
        self._retrying = False  # the send waits out a 429 to go again by itself
        self._calling_off = False  # cancel() called the retry off; its send ends quietly
        self._wait: Countdown | None = None  # the server's wait, while it lasts
        self._hold: Operation[None] | None = None  # counts a wait no send will follow

    # --- what Send would do -----------------------------------------------------------------

    def set_connection(self, connection: Connection | None, *, waiting_for: str = "") -> None:
        """Send on ``connection`` from now; None (with why) while one is being connected."""
        if connection is not self.connection:
            self.cancel()
            self.pager = None
        self.connection = connection
        if connection is None and waiting_for:
            self._waiting_for = waiting_for
        if self.draft is not None:
            self.take_draft(self.draft, collection=self._collection, unreadable=self._unreadable)

    def take_draft(
        self, draft: Draft, *, collection: Collection | None = None, unreadable: str = ""
    ) -> None:
        """What the editors hold now: check it (``{{variables}}`` from ``collection``).

        ``unreadable`` is why the raw text cannot be read, if it cannot: the form's older
        values are then not what the user means to send.
        """
        self.draft, self._collection, self._unreadable = draft, collection, unreadable
        connection = self.connection
        try:
            resolved = self._with_variables(draft, collection)
            self.prepared = prepare(
                resolved, default_country=connection.default_country if connection else None
            )
        except ValidationErrors as errors:
            self.prepared, self.errors = None, errors
            self.problem = problem_text(errors)
        else:
            self.errors = None
            self.problem = "" if connection is not None else self._waiting_for
        if unreadable:
            self.prepared, self.problem = None, f"Fix the Raw tab first: {unreadable}"
        self.prepared_changed.emit()

    def _with_variables(self, draft: Draft, collection: Collection | None) -> Draft:
        """``{{name}}`` resolved from the collection and the workspace's environment.

        Raises ValidationErrors naming every variable that has no value, field by field.
        """
        from explorer.core import variables

        if not any(variables.names_in(v) for v in (draft.params, draft.body)):
            return draft
        c = self.connection
        base_url, workspace = (c.base_url, c.name) if c else (None, None)
        if collection is not None:
            scope = collection.scope(workspace, base_url=base_url)
        else:
            scope = variables.scope(base_url=base_url)
        missing = variables.unresolved(draft, scope)
        if missing:
            raise ValidationErrors(missing)
        return variables.resolve_draft(draft, scope)

    @property
    def busy(self) -> bool:
        """A send or a page load is on its way (not while a retry waits its turn)."""
        return self._in_flight

    @property
    def waiting(self) -> bool:
        """The server asked to wait and the time is not up."""
        return self._wait is not None

    @property
    def wait_left(self) -> int:
        """Whole seconds of the wait still to go (0 when not waiting)."""
        return self._wait.seconds_left if self._wait is not None else 0

    @property
    def retry_pending(self) -> bool:
        """The last send waits out a 429 and goes again by itself when the wait is over."""
        return self._retrying

    def blocked_by(self) -> str:
        """Why Send cannot go now ("" when it can): a problem, a wait, a send in flight."""
        if self.waiting:
            left = self.wait_left
            text = f"Rate limit: you can send again in {left // 60}:{left % 60:02d}."
            return text + (" The request will go again then." if self._retrying else "")
        if self.busy:
            return "Sending…"
        return self.problem

    # --- sending ----------------------------------------------------------------------------

    def send(self) -> bool:
        """Send what the draft prepared to; False (nothing sent) when :meth:`blocked_by`."""
        if self.blocked_by() or self.prepared is None or self.connection is None:
            return False
        self._start_send(self.prepared)
        return True

    def send_as_written(self, draft: Draft | None = None, *, fails: str = "") -> bool:
        """Send ``draft`` (else the last one taken) as typed, without the app's checks: a
        wrong request on purpose, to see what the server answers.

        ``fails`` names the checks it fails, said while it is sent. Still not while another
        send runs, the server asks to wait or nothing is connected.
        """
        draft = draft or self.draft
        if draft is None or self.connection is None or self.busy or self.waiting:
            return False
        self._start_send(as_written(draft), fails=fails)
        return True

    def _start_send(self, prepared: Prepared, *, fails: str = "") -> None:
        assert self.connection is not None
        self._run(self._send(prepared, self.connection, fails), "sending the request")

    def _run(self, work: Coroutine[Any, Any, None], doing: str) -> None:
        self._in_flight = True
        self._operation = Operation(self, self._until_done(work), doing=doing).run()
        self.busy_changed.emit(True)

    async def _until_done(self, work: Coroutine[Any, Any, None]) -> None:
        # Not busy from the moment the work ends, in the same step: whoever heard its outcome
        # and sends again at once is not refused as "Sending…".
        try:
            await work
        finally:
            self._retrying = False
            self._set_in_flight(False)

    def _set_in_flight(self, in_flight: bool) -> None:
        if in_flight != self._in_flight:
            self._in_flight = in_flight
            self.busy_changed.emit(in_flight)

    async def _send(self, prepared: Prepared, connection: Connection, fails: str = "") -> None:
        """Send once, or (auto-retry on) until the answer is not a 429 the policy waits out:
        the one retry path of the app, :func:`~explorer.core.retry.send_retrying`."""
        import asyncio

        from explorer.core.retry import AUTO_RETRY, NO_RETRY, send_retrying

        draft = self.draft
        self.sent = prepared
        policy = AUTO_RETRY if self.auto_retry else NO_RETRY
        try:
            if not connection.is_sandbox and not await self.confirm(prepared, connection):
                self.send_ended.emit("Not sent: you cancelled it.")
                return
            sending = f"Sending {prepared.method.value} {connection.request(prepared).url.path}"
            if fails:
                sending += f" as written, though it fails the app's checks: {fails}"
            waits = [0]

            async def once() -> Outcome:
                assert self.http is not None, "the HTTP client exists before any connection"
                self.send_started.emit(sending + "…")
                return await connection.send(self.http, connection.request(prepared))

            def answered(outcome: Outcome) -> None:
                self._answered(draft, outcome, policy, waits)

            retried = await send_retrying(
                once, policy=policy, on_outcome=answered, on_wait=self._retry_ticked
            )
        except asyncio.CancelledError:
            self._cancelled_send()
            raise
        self.pager = self._pager_for(prepared, connection, retried.outcome)
        self.page_changed.emit()

    def _answered(
        self, draft: Draft | None, outcome: Outcome, policy: RetryPolicy, waits: list[int]
    ) -> None:
        """Each answer, each 429 on the way too: shown, recorded, and waited out."""
        from explorer.core.retry import will_wait

        if will_wait(policy, outcome, waits[0]):
            waits[0] += 1
            self._retrying = True
            self._begin_wait(outcome.retry_after or 0.0)
            self._set_in_flight(False)  # nothing is on the wire while the wait lasts
        elif outcome.retry_after is not None:
            self._hold_for(outcome.retry_after, outcome.wait_advice())
        self._arrived(outcome)
        if draft is not None:
            self.answered.emit(draft, outcome)

    def _retry_ticked(self, seconds_left: int, reason: str) -> None:
        if seconds_left > 0:
            self.wait_ticked.emit(seconds_left, reason)
        else:
            self._retrying = False
            self._end_wait()
            self._set_in_flight(True)  # the same request goes again now

    def _cancelled_send(self) -> None:
        if self._calling_off:
            self._calling_off = False  # :meth:`cancel` has said so already
        else:
            self.send_ended.emit("Cancelled: the request was abandoned.")

    def _pager_for(
        self, prepared: Prepared, connection: Connection, outcome: Outcome
    ) -> Pager | None:
        if prepared.method is not HttpMethod.GET:
            return None
        paged = prepared.endpoint.method(prepared.method).pagination is not Pagination.NONE
        if not (paged and outcome.ok and outcome.results is not None):
            return None
        from explorer.core.pagination import Pager

        return Pager.from_outcome(connection, prepared, outcome)

    def _arrived(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.outcome_arrived.emit(outcome)

    def cancel(self) -> None:
        """Abandon the send or page in flight, or else the send scheduled after a wait."""
        if self._operation is None:
            return
        if self._retrying:
            # Only the send again is called off: the server's wait still holds for Send.
            self._retrying = False
            self._calling_off = True
            self._hold_for(self._wait.remaining if self._wait is not None else 0.0)
            self.retry_cancelled.emit()
            self._operation.cancel()
        elif self._in_flight:
            self._operation.cancel()

    def close(self) -> None:
        """Stop everything (the tab or window is closing)."""
        self.cancel()
        if self._hold is not None:
            self._hold.cancel()

    # --- rate limits --------------------------------------------------------------------------

    def hold(self, seconds: float, reason: str = "") -> None:
        """The server asks to wait ``seconds`` before the next request (one fetch-all met on
        the same workspace, say); a later wait replaces an earlier one."""
        if not self._retrying:  # that send counts its own wait, and meets any new one
            self._hold_for(seconds, reason)

    def _hold_for(self, seconds: float, reason: str = "") -> None:
        """Keep Send waiting ``seconds``, counted down by core's one wait."""
        from explorer.core.retry import wait_out

        if self._hold is not None:
            self._hold.cancel()
        self._begin_wait(seconds)
        ticks = wait_out(seconds, lambda left: self._hold_ticked(left, reason))
        self._hold = Operation(self, ticks, doing="waiting out the rate limit").run()

    def _hold_ticked(self, seconds_left: int, reason: str) -> None:
        if seconds_left > 0:
            self.wait_ticked.emit(seconds_left, reason)
        else:
            self._hold = None
            self._end_wait()

    def _begin_wait(self, seconds: float) -> None:
        self._wait = Countdown(seconds)
        self.wait_started.emit(self._wait.total)

    def _end_wait(self) -> None:
        self._wait = None
        self.wait_ended.emit()

    # --- pages ----------------------------------------------------------------------------------

    def go_page(self, which: str) -> bool:
        """``"next"`` or ``"previous"`` page of the last listing; False when there is none."""
        if self.busy or self._retrying or self.pager is None or self.http is None:
            return False
        self._run(self._page(self.pager, which), "loading the page")
        return True

    async def _page(self, pager: Pager, which: str) -> None:
        import asyncio

        assert self.http is not None
        self.send_started.emit(f"Loading the {which} page…")
        try:
            outcome = await pager.go(self.http, which)
            if outcome is not None:
                self._arrived(outcome)
                if outcome.retry_after is not None:
                    self._hold_for(outcome.retry_after, outcome.wait_advice())
        except ValidationError as exc:  # a page link pointing at another host
            self.send_ended.emit(str(exc))
        except asyncio.CancelledError:
            self.send_ended.emit("Cancelled: the page was not loaded.")
            raise
        finally:
            self.page_changed.emit()
