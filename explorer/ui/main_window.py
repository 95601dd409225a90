"""The main window: endpoints on the left, the request in the middle, the response on the right.

The window lays out and wires; the work is done by the objects it holds: the request's
:class:`~explorer.ui.request_session.RequestSession` (shown by a
:class:`~explorer.ui.request_panel.RequestPanel`), the :class:`~explorer.ui.workspace_bar.
WorkspaceBar`, the File menu's :class:`~explorer.ui.file_actions.FileActions`, and the side
tabs, results table, fetch-all and runner, built on first need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from explorer import APP_NAME, SANDBOX_WORKSPACE_NAME
from explorer.core.catalog import Catalog, HttpMethod
from explorer.core.connection import Connection
from explorer.core.ratelimit import BudgetMeters
from explorer.core.request import Draft, Prepared
from explorer.ui import status
from explorer.ui.endpoint_tree import EndpointTree
from explorer.ui.errors import guarded
from explorer.ui.file_actions import FileActions
from explorer.ui.request_panel import RequestPanel
from explorer.ui.request_session import RequestSession
from explorer.ui.response_view import ResponseView
from explorer.ui.window_actions import Commands, WindowActions
from explorer.ui.window_panels import WindowPanels
from explorer.ui.workspace_bar import WorkspaceBar

# What the first screen does not show (the side tabs, the results table, fetch-all, the
# runner, asyncio itself) is imported and built when first needed, so the window paints
# sooner: see Deferred.
if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome

__all__ = ["Connection", "MainWindow"]

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """The explorer window.

    Signals:
        closed(): the window has closed; the app shuts down.
        outcome_shown(object): a response (an Outcome) is on screen.
        workspace_requested(str): the user picked another workspace in the selector.
        manage_workspaces_requested(): the user asked for the workspace manager.
        start_afresh_requested(): the user asked for a fresh sandbox in place of the
            database that kept it from starting.
    """

    closed = Signal()
    outcome_shown = Signal(object)
    workspace_requested = Signal(str)
    manage_workspaces_requested = Signal()
    start_afresh_requested = Signal()

    def __init__(
        self,
        catalog: Catalog,
        http: httpx.AsyncClient | None,
        settings: QSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.catalog = catalog
        self.settings = settings
        self.connection: Connection | None = None
        self.remember = True  # save size, splitters and endpoint on close
        self.ask_before_close = True  # unsaved request edits: ask before closing
        self.budgets = BudgetMeters()
        self.session = RequestSession(http, self, confirm=self._confirm)
        self._build()
        self.file_actions = FileActions(self, self)
        self.actions = WindowActions(self, self._commands(), APP_NAME)
        self._connect_signals()
        self._restore()

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.workspace_bar = WorkspaceBar()
        self.endpoints = EndpointTree(self.catalog)
        self.request_panel = RequestPanel(self.catalog, self.session)
        self.response = ResponseView()
        self.panels = WindowPanels(self.session, self.settings, lambda: self.connection, self)
        self.response.add_tab(self.panels.results_table_slot, "Table", 1)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.addTab(self.endpoints, "&Endpoints")
        self.side_tabs.addTab(self.panels.collections_slot, "C&ollections")
        self.side_tabs.addTab(self.panels.datasets_slot, "Data")
        self.side_tabs.addTab(self.panels.history_slot, "Histor&y")
        self.side_tabs.setMinimumWidth(200)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.side_tabs)
        self.splitter.addWidget(self.request_panel)
        self.splitter.addWidget(self.response)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        # Wide enough for the longest row, resthook_subscribers and its three badges.
        self.splitter.setSizes([310, 710, 420])
        panel = self.request_panel
        self._splitters = [self.splitter, panel.request_splitter, panel.docs_splitter]
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.workspace_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.runner_dock = QDockWidget("Runner", self)
        self.runner_dock.setObjectName("runnerDock")
        self.runner_dock.setWidget(self.panels.runner_slot)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.runner_dock)
        self.runner_dock.hide()
        self._name_parts()

    def _name_parts(self) -> None:
        """The parts that tests, the self-test and the app reach by name."""
        bar, panel = self.workspace_bar, self.request_panel
        self.workspace_selector, self.manage_button = bar.selector, bar.manage_button
        self.workspace_banner, self.start_afresh_button = bar.banner, bar.start_afresh_button
        self.budget_meter = bar.meter
        self.form, self.raw, self.tracker = panel.form, panel.raw, panel.tracker
        self.raw_query, self.raw_body = panel.raw.query, panel.raw.body
        self.title, self.method_selector, self.docs = panel.title, panel.method_selector, panel.docs
        self.request_tabs, self.preview = panel.request_tabs, panel.preview
        self.send_button, self.cancel_button = panel.send_button, panel.cancel_button
        self.send_problem, self.auto_retry = panel.send_problem, panel.auto_retry
        self.rate_limit_banner = panel.rate_limit_banner
        self.copy_curl, self.copy_httpx, self.copy_temba = panel.copy_actions.values()

    def _commands(self) -> Commands:
        files, panel, response = self.file_actions, self.request_panel, self.response
        return Commands(
            save=files.save_request,
            paste_curl=files.paste_curl,
            edit_variables=files.edit_variables,
            import_postman=files.import_postman,
            export_postman=files.export_postman,
            quit=self.close,
            send=panel.send,
            send_as_written=panel.send_written,
            cancel=self.session.cancel,
            find=response.focus_find,
            find_next=response.find_next,
            find_previous=response.find_previous,
            filter_endpoints=self.endpoints.filter.setFocus,
            about=self.show_about,
        )

    def _connect_signals(self) -> None:
        s, bar, panel = self.session, self.workspace_bar, self.request_panel
        bar.workspace_picked.connect(self._on_workspace_picked)
        bar.manage_requested.connect(self.manage_workspaces_requested)
        bar.start_afresh_requested.connect(self._start_afresh)
        self.endpoints.endpoint_selected.connect(panel.show_endpoint)
        # The next endpoint opens on the method chosen last.
        panel.endpoint_shown.connect(lambda _e, method: setattr(panel, "preferred_method", method))
        self.panels.saved_request_opened.connect(self.open_saved)
        self.panels.history_request_opened.connect(
            lambda draft: self.unless_unsaved(lambda: self.load_draft(draft))
        )
        self.panels.run_requested.connect(self._run_collection)
        self.tracker.dirty_changed.connect(
            lambda _dirty: self.setWindowTitle(self.tracker.title(APP_NAME))
        )
        # Esc cancels a send in flight, or the retry waiting out a rate limit.
        for changed in (s.busy_changed, s.wait_started, s.retry_cancelled):
            changed.connect(lambda *_: self.actions.set_busy(s.busy or s.retry_pending))
        s.send_started.connect(self.response.show_sending)
        s.send_ended.connect(self.response.show_problem)
        s.outcome_arrived.connect(self._show_outcome)
        s.answered.connect(self._answered)
        s.page_changed.connect(self._page_changed)

    @property
    def http(self) -> httpx.AsyncClient | None:
        return self.session.http

    @http.setter
    def http(self, http: httpx.AsyncClient | None) -> None:
        """The client every send uses (the panels built so far get it too)."""
        self.request_panel.set_http(http)
        self.panels.set_http(http)

    # --- state ---------------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 860)
        for splitter in self._splitters:
            state = self.settings.value(f"window/{splitter.objectName()}")
            if isinstance(state, QByteArray | bytes):
                splitter.restoreState(state)
        self.request_panel.preferred_method = str(self.settings.value("request/method", "GET"))
        last = str(self.settings.value("request/endpoint", "contacts"))
        self.endpoints.select(last if last in self.catalog else "contacts")

    def _save(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        for splitter in self._splitters:
            self.settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())
        self.panels.save_opened_folders()
        if self.form.endpoint is not None:
            self.settings.setValue("request/endpoint", self.form.endpoint.name)
            self.settings.setValue("request/method", self.form.method.value)
        self.settings.sync()

    # --- the workspace ---------------------------------------------------------------------------

    def set_workspaces(self, names: list[str]) -> None:
        """The names the selector offers (the current one stays selected)."""
        self.workspace_bar.set_workspaces(names)

    def _on_workspace_picked(self, name: str) -> None:
        self.session.cancel()
        self.set_connection(None, connecting_to=name)
        self.workspace_requested.emit(name)

    def set_connection(self, connection: Connection | None, *, connecting_to: str = "") -> None:
        """Point requests at a workspace (None while one is being connected)."""
        self.connection = connection
        self.panels.set_connection(connection)
        waiting = ""
        if connection is None:
            waiting = self.workspace_bar.show_connecting(connecting_to)
        else:
            self.workspace_bar.show_connection(connection)
            self.budget_meter.set_model(
                self.budgets.for_workspace(connection.name, connection.rate_limit_per_hour)
            )
        self.request_panel.set_connection(connection, waiting_for=waiting)

    def connection_failed(self, why: str, *, can_start_afresh: bool = False) -> None:
        """Nothing could be connected: say why where requests would go, and keep Send off
        until another workspace is chosen (Workspaces…). ``can_start_afresh``: the sandbox's
        database is the trouble, and the window offers to set it aside."""
        self.connection = None
        self.panels.set_connection(None)
        self.workspace_bar.show_failure(why, can_start_afresh=can_start_afresh)
        self.request_panel.set_connection(None, waiting_for=why)

    def _start_afresh(self) -> None:
        self.set_connection(None, connecting_to=SANDBOX_WORKSPACE_NAME)
        self.start_afresh_requested.emit()

    # --- what the session says -------------------------------------------------------------------

    async def _confirm(self, prepared: Prepared, connection: Connection) -> bool:
        """Deletes, bulk actions and sends to contacts on a real workspace need a yes first."""
        from explorer.ui.confirm import confirm_request  # QMessageBox: 2 ms at start-up

        answered, counting = self.budget_meter.record_outcome, self.response.show_sending
        return await confirm_request(
            self, self.http, prepared, connection, answered=answered, counting=counting
        )

    def _show_outcome(self, outcome: Outcome) -> None:
        self.budget_meter.record_outcome(outcome)
        self.response.show_outcome(outcome)
        pager = self.session.pager
        if outcome.results is not None and pager is not None:
            self.panels.results_table.show_page(pager, outcome)
        elif outcome.results is not None or pager is None:  # one object is one row
            self.panels.results_table.show_outcome(outcome)
        status.show(self, outcome.summary())
        self.outcome_shown.emit(outcome)

    def _answered(self, draft: Draft, outcome: Outcome) -> None:
        """A send was answered: history keeps it, and suggestions learn new names."""
        workspace = self.connection.name if self.connection else None
        self.panels.history_store.record(draft, outcome, workspace=workspace)
        self.request_panel.workspace_data.answered(self.session.sent, outcome)

    def _page_changed(self) -> None:
        pager = self.session.pager
        table = self.panels.results_table_slot.get()
        if pager is not None and table is not None:
            table.set_page(
                pager.describe(), has_previous=pager.has_previous, has_next=pager.has_next
            )

    # --- requests in and out -----------------------------------------------------------------

    def send(self) -> None:
        """Send the current request (the button, Ctrl+Enter)."""
        self.request_panel.send()

    def unless_unsaved(self, then: Callable[[], None], *, offer_save: bool = False) -> None:
        """Run ``then`` now, or after the user agrees to lose (or saves) unsaved edits."""
        from explorer.ui.save_request_dialog import confirm_discard

        save = self.file_actions.save_request if offer_save else None
        confirm_discard(self, self.tracker, then, save=save)

    def open_saved(self, saved: object, collection: object) -> None:
        """A request from a collection: into the editor (after asking if edits would be lost)."""

        def load() -> None:
            self.load_draft(saved.draft)  # type: ignore[attr-defined]
            self.tracker.set_saved(saved, collection)  # type: ignore[arg-type]
            self.request_panel.refresh()  # its variables now resolve from this collection

        self.unless_unsaved(load)

    def load_draft(self, draft: Draft) -> None:
        """Show ``draft``'s endpoint, method and values in the editor."""
        if self.endpoints.current() == draft.endpoint:
            self.request_panel.show_endpoint(draft.endpoint)
        else:
            self.endpoints.select(draft.endpoint)
        self.request_panel.select_method(HttpMethod(str(draft.method).upper()))
        self.form.set_values(draft.params, draft.body)

    def show_collections(self) -> None:
        self.side_tabs.setCurrentWidget(self.panels.collections_slot)

    def _run_collection(self, collection: object, folder: str) -> None:
        runner = self.panels.runner
        runner.set_target(collection, folder)
        self.runner_dock.show()
        runner.run()

    def show_about(self) -> None:
        from explorer.ui.about_dialog import AboutDialog

        AboutDialog(self).open()  # not exec(): no nested loop inside the asyncio one

    # --- closing -------------------------------------------------------------------------------

    @guarded("closing the window")
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.ask_before_close and self.tracker.dirty:
            # Unsaved edits are never lost silently: ask first (non-modal), close on the answer.
            event.ignore()

            def close_anyway() -> None:
                self.ask_before_close = False
                self.close()

            self.unless_unsaved(close_anyway, offer_save=True)
            return
        try:
            self.request_panel.close_down()
            if self.remember:
                self._save()
        finally:  # a failed save (reported by the guard) never keeps the window open
            super().closeEvent(event)
            self.closed.emit()
