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

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from explorer.core.catalog import HttpMethod, Pagination
from explorer.core.connection import Connection
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.ratelimit import Countdown
from explorer.core.request import Draft, Prepared, as_written, build_request, prepare
from explorer.ui.operation import Operation
from explorer.ui.send_problem import problem_text

if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome
    from explorer.core.pagination import Pager
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
        self._retry: Prepared | None = None
        self._wait: Countdown | None = None  # the server's wait, while it lasts
        self._wait_timer = QTimer(self)
        self._wait_timer.setSingleShot(True)
        self._wait_timer.setTimerType(Qt.TimerType.PreciseTimer)  # never after the banner ends
        self._wait_timer.timeout.connect(self._end_wait)

    # --- what Send would do -----------------------------------------------------------------

    def set_connection(self, connection: Connection | None, *, waiting_for: str = "") -> None:
        """Send on ``connection`` from now; None (with why) while one is being connected."""
        if connection is not self.connection:
            self.cancel()
            self._retry = None
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
        """A send or a page load is in flight (or a retry waits its turn)."""
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
        return self._retry is not None

    def blocked_by(self) -> str:
        """Why Send cannot go now ("" when it can): a problem, a wait, a send in flight."""
        if self.waiting:
            left = self.wait_left
            text = f"Rate limit: you can send again in {left // 60}:{left % 60:02d}."
            return text + (" The request will go again then." if self._retry else "")
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
            self._in_flight = False
            self.busy_changed.emit(False)

    async def _send(self, prepared: Prepared, connection: Connection, fails: str = "") -> None:
        import asyncio

        draft = self.draft
        self.sent = prepared
        try:
            if not connection.is_sandbox and not await self.confirm(prepared, connection):
                self.send_ended.emit("Not sent: you cancelled it.")
                return
            request = build_request(connection.base_url, connection.token, prepared)
            sending = f"Sending {request.method} {request.url.path}"
            if fails:
                sending += f" as written, though it fails the app's checks: {fails}"
            self.send_started.emit(sending + "…")
            from explorer.core.client import send

            assert self.http is not None, "the HTTP client exists before any connection"
            outcome = await send(
                self.http, request, base_url=connection.base_url, deadline=connection.deadline
            )
        except asyncio.CancelledError:
            self.send_ended.emit("Cancelled: the request was abandoned.")
            raise
        self.pager = self._pager_for(prepared, connection, outcome)
        self._arrived(outcome, retry=prepared)
        if draft is not None:
            self.answered.emit(draft, outcome)
        self.page_changed.emit()

    def _pager_for(
        self, prepared: Prepared, connection: Connection, outcome: Outcome
    ) -> Pager | None:
        if prepared.method is not HttpMethod.GET:
            return None
        paged = prepared.endpoint.method(prepared.method).pagination is not Pagination.NONE
        if not (paged and outcome.ok and outcome.results is not None):
            return None
        from explorer.core.pagination import Pager

        return Pager.from_outcome(
            connection.base_url, connection.token, prepared, outcome, deadline=connection.deadline
        )

    def _arrived(self, outcome: Outcome, *, retry: Prepared | None) -> None:
        self.outcome = outcome
        self.outcome_arrived.emit(outcome)
        if outcome.retry_after is not None:
            if self.auto_retry and retry is not None:
                self._retry = retry
            self.hold(outcome.retry_after)

    def cancel(self) -> None:
        """Abandon the send or page in flight, or else the retry scheduled after a wait."""
        if self._operation is not None and self._in_flight:
            self._operation.cancel()
        elif self._retry is not None:
            self._retry = None
            self.retry_cancelled.emit()

    def close(self) -> None:
        """Stop everything (the tab or window is closing)."""
        self._retry = None
        self.cancel()
        self._wait_timer.stop()

    # --- rate limits --------------------------------------------------------------------------

    def hold(self, seconds: float) -> None:
        """The server asks to wait ``seconds`` before the next request (a 429 here, or one
        fetch-all met on the same workspace); a later wait replaces an earlier one."""
        self._wait = Countdown(seconds)
        self._wait_timer.start(int(self._wait.total * 1000))
        self.wait_started.emit(self._wait.total)

    def _end_wait(self) -> None:
        self._wait = None
        self.wait_ended.emit()
        retry, self._retry = self._retry, None
        if retry is not None and self.connection is not None and not self.busy:
            self._start_send(retry)

    # --- pages ----------------------------------------------------------------------------------

    def go_page(self, which: str) -> bool:
        """``"next"`` or ``"previous"`` page of the last listing; False when there is none."""
        if self.busy or self.pager is None or self.http is None:
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
                self._arrived(outcome, retry=None)
        except ValidationError as exc:  # a page link pointing at another host
            self.send_ended.emit(str(exc))
        except asyncio.CancelledError:
            self.send_ended.emit("Cancelled: the page was not loaded.")
            raise
        finally:
            self.page_changed.emit()
