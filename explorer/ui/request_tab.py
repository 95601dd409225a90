"""One request tab: its own session, request panel, response and results table.

Each tab is a request as an object (the qutebrowser model: a tab delegates to small
sub-objects): the :class:`~explorer.ui.request_session.RequestSession` holds its draft,
send, outcome, pager and waits; the :class:`~explorer.ui.request_panel.RequestPanel` edits
it; the :class:`~explorer.ui.response_view.ResponseView` and the results table show what
came back. Sends in different tabs run at the same time. The window places tabs and hears
what they say; nothing of one tab reaches into another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from explorer.ui.deferred import Deferred
from explorer.ui.request_panel import RequestPanel
from explorer.ui.request_session import RequestSession
from explorer.ui.response_view import ResponseView

if TYPE_CHECKING:
    import httpx

    from explorer.core.catalog import Catalog
    from explorer.core.client import Outcome
    from explorer.core.connection import Connection
    from explorer.core.pagination import Pager
    from explorer.core.request import Draft, Prepared
    from explorer.ui.results_table import ResultsTable

TabConfirm = Callable[["RequestTab", "Prepared", "Connection"], Awaitable[bool]]


class RequestTab(QWidget):
    """A request and its response, side by side, with their own send in flight.

    Signals:
        outcome_shown(object): an Outcome of this tab is on screen.
        answered(object, object): a send of this tab was answered (its Draft, its Outcome).
        title_changed(): the tab's title (endpoint and method, or saved name, and whether
            it has unsaved changes) changed.
    """

    outcome_shown = Signal(object)
    answered = Signal(object, object)
    title_changed = Signal()

    def __init__(
        self,
        catalog: Catalog,
        http: httpx.AsyncClient | None,
        confirm: TabConfirm,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("requestTab")

        async def ask(prepared: Prepared, connection: Connection) -> bool:
            return await confirm(self, prepared, connection)

        self.session = RequestSession(http, self, confirm=ask)
        self.request_panel = RequestPanel(catalog, self.session)
        self.response = ResponseView()
        self.results_table_slot: Deferred[ResultsTable] = Deferred(self._make_results_table)
        self.response.add_tab(self.results_table_slot, "Table", 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("tabSplitter")
        self.splitter.addWidget(self.request_panel)
        self.splitter.addWidget(self.response)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._connect_signals()

    def _connect_signals(self) -> None:
        s, panel = self.session, self.request_panel
        s.send_started.connect(self.response.show_sending)
        s.send_ended.connect(self.response.show_problem)
        s.outcome_arrived.connect(self._show_outcome)
        s.answered.connect(self._answered)
        s.page_changed.connect(self._page_changed)
        panel.endpoint_shown.connect(lambda *_: self.title_changed.emit())
        panel.tracker.dirty_changed.connect(lambda _dirty: self.title_changed.emit())
        self.response.filter_applied.connect(self._show_filtered)

    def _show_filtered(self, rows: object) -> None:
        self.results_table.show_filtered(rows)  # built on first need, so not connected before

    @property
    def results_table(self) -> ResultsTable:
        return self.results_table_slot.widget()

    def _make_results_table(self) -> ResultsTable:
        from explorer.ui.results_table import ResultsTable

        table = ResultsTable()
        session = self.session
        table.next_requested.connect(lambda: session.go_page("next"))
        table.previous_requested.connect(lambda: session.go_page("previous"))
        table.link_activated.connect(self.response.show_link_menus)
        session.busy_changed.connect(
            lambda busy: table.set_loading(busy and session.pager is not None)
        )
        return table

    # --- what it is called ---------------------------------------------------------------------

    def name(self) -> str:
        """The saved request's name, else its endpoint and method ("contacts · POST")."""
        saved = self.request_panel.tracker.saved
        if saved is not None:
            return saved.name
        panel = self.request_panel
        endpoint = panel.endpoint_name or "request"
        method = panel.form.method.value if panel.form.endpoint is not None else ""
        return f"{endpoint} · {method}" if method else endpoint

    def title(self) -> str:
        """What the tab bar shows: the name, marked while there are unsaved changes."""
        return self.request_panel.tracker.title(self.name())

    # --- what the session says -------------------------------------------------------------------

    def _show_outcome(self, outcome: Outcome) -> None:
        self.response.show_outcome(outcome)
        # The table in a turn of its own (gone with the tab if it closes first): filling it
        # and the body's first screen in one turn held the window 58 ms for a 200 MB page.
        # A timer, not a 0 ms single shot: that is a posted event, which Qt delivers with the
        # paint before any timer is due, so the three were still one 48 ms wait for input.
        pager = self.session.pager
        QTimer.singleShot(1, self, lambda: self._show_in_table(outcome, pager))

    def _show_in_table(self, outcome: Outcome, pager: Pager | None) -> None:
        if outcome.results is not None and pager is not None:
            self.results_table.show_page(pager, outcome)  # the page bar with it
        else:
            if outcome.results is not None or pager is None:  # one object is one row
                self.results_table.show_outcome(outcome)
            # A send's pager is made after its answer, when this table may not have been built.
            self._page_changed()
        self.outcome_shown.emit(outcome)

    def _answered(self, draft: Draft, outcome: Outcome) -> None:
        self.request_panel.workspace_data.answered(self.session.sent, outcome)
        self.answered.emit(draft, outcome)

    def _page_changed(self) -> None:
        pager = self.session.pager
        table = self.results_table_slot.get()
        if pager is not None and table is not None:
            table.set_page(
                pager.describe(), has_previous=pager.has_previous, has_next=pager.has_next
            )

    def close_session(self) -> None:
        """Stop this tab's send and waits (the tab is closing)."""
        self.session.close()
