"""The main window: endpoints on the left, then the open requests, one tab each.

The window lays out and wires; the work is done by the objects it holds: each request tab
(:class:`~explorer.ui.request_tab.RequestTab`: its session, request panel, response and
table), the :class:`~explorer.ui.workspace_bar.WorkspaceBar`, the File menu's
:class:`~explorer.ui.file_actions.FileActions`, and the side tabs, fetch-all and runner,
built on first need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer import APP_NAME, SANDBOX_WORKSPACE_NAME
from explorer.core.catalog import Catalog, HttpMethod
from explorer.core.connection import Connection
from explorer.core.ratelimit import BudgetMeters
from explorer.core.request import Draft, Prepared
from explorer.ui import status, tab_state
from explorer.ui.endpoint_tree import EndpointTree
from explorer.ui.errors import guarded
from explorer.ui.file_actions import FileActions
from explorer.ui.kept_responses import KeptResponses
from explorer.ui.request_tab import RequestTab
from explorer.ui.request_tabs import RequestTabs
from explorer.ui.window_actions import Commands, WindowActions
from explorer.ui.window_layout import WindowLayout
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

    The parts of the request tab in front (its ``form``, ``send_button``, ``session``…)
    are reached on the window by the names in :data:`TAB_PARTS`, for the self-test,
    automation and tests.

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
        self._http = http
        self._waiting_for = ""  # why Send waits while nothing is connected
        self.remember = True  # save size, splitters, tabs and endpoint on close
        self.ask_before_close = True  # unsaved request edits: ask before closing
        self.budgets = BudgetMeters()
        self._kept = KeptResponses()
        self._build()
        self.file_actions = FileActions(self, self)
        self.actions = WindowActions(self, self._commands(), APP_NAME)
        runner = self.runner_dock.toggleViewAction()
        runner.setText("&Runner")
        self.actions.view_menu.addAction(runner)
        self._connect_signals()
        self._restore()

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.workspace_bar = WorkspaceBar()
        self.endpoints = EndpointTree(self.catalog)
        self.panels = WindowPanels(lambda: self._http, self.settings, lambda: self.connection, self)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.addTab(self.endpoints, "&Endpoints")
        self.side_tabs.addTab(self.panels.collections_slot, "C&ollections")
        # An icon, not a word: the side tabs must all fit, and the window a 1024-pixel screen.
        data_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon)
        data_tab = self.side_tabs.addTab(self.panels.datasets_slot, data_icon, "")
        self.side_tabs.setTabToolTip(data_tab, "Datasets: local copies of runs and messages")
        self.side_tabs.tabBar().setAccessibleTabName(data_tab, "Datasets")
        self.side_tabs.setIconSize(QSize(12, 12))
        self.side_tabs.addTab(self.panels.history_slot, "Histor&y")
        # Its three tabs' names fit without scroll arrows.
        self.side_tabs.setMinimumWidth(self.side_tabs.tabBar().sizeHint().width() + 8)
        self.tabs = RequestTabs()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.side_tabs)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.layout_fit = WindowLayout(self, self.splitter)
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
        bar = self.workspace_bar
        self.workspace_selector, self.manage_button = bar.selector, bar.manage_button
        self.workspace_banner, self.start_afresh_button = bar.banner, bar.start_afresh_button
        self.budget_meter = bar.meter

    def __getattr__(self, name: str) -> Any:
        # Only for names not found the usual way: the parts of the tab in front.
        path = TAB_PARTS.get(name)
        if path is None:
            raise AttributeError(name)
        part: Any = self.__dict__.get("tabs")
        if part is None or part.count() == 0:
            raise AttributeError(name)
        part = part.current()
        for step in path:
            part = getattr(part, step)
        return part

    def _commands(self) -> Commands:
        files = self.file_actions
        return Commands(
            save=files.save_request,
            paste_curl=files.paste_curl,
            edit_variables=files.edit_variables,
            import_postman=files.import_postman,
            export_postman=files.export_postman,
            quit=self.close,
            send=_in_front(self, "request_panel", "send"),
            send_as_written=_in_front(self, "request_panel", "send_written"),
            cancel=_in_front(self, "session", "cancel"),
            find=_in_front(self, "response", "focus_find"),
            find_next=_in_front(self, "response", "find_next"),
            find_previous=_in_front(self, "response", "find_previous"),
            filter_endpoints=self.endpoints.filter.setFocus,
            about=lambda: _show_about(self),
            new_tab=self.new_tab,
            duplicate_tab=lambda: self.duplicate_tab(self.tabs.current()),
            close_tab=lambda: self.close_tab(self.tabs.current()),
            next_tab=lambda: self.tabs.go(1),
            previous_tab=lambda: self.tabs.go(-1),
            go_to_tab=self.tabs.go_to,
            show_side=lambda name: _show_side(self, name),
        )

    def _connect_signals(self) -> None:
        bar, tabs = self.workspace_bar, self.tabs
        bar.workspace_picked.connect(self._on_workspace_picked)
        bar.manage_requested.connect(self.manage_workspaces_requested)
        bar.start_afresh_requested.connect(self._start_afresh)
        self.endpoints.endpoint_selected.connect(_in_front(self, "request_panel", "show_endpoint"))
        self.panels.saved_request_opened.connect(self.open_saved)
        self.panels.history_request_opened.connect(
            lambda draft: self.unless_unsaved(lambda: self.load_draft(draft))
        )
        self.panels.run_requested.connect(self._run_collection)
        tabs.new_requested.connect(self.new_tab)
        tabs.duplicate_requested.connect(self.duplicate_tab)
        tabs.close_requested.connect(self.close_tab)
        tabs.tab_changed.connect(self._on_tab_changed)
        compare = _in_front(self, "response", "compare_entries")
        self.panels.history_compare_requested.connect(compare)

    # --- tabs ----------------------------------------------------------------------------------

    def new_tab(self, draft: Draft | None = None, *, after: RequestTab | None = None) -> RequestTab:
        """Open a request tab (on ``draft``, else a new request on the endpoint in view)."""
        tab = RequestTab(self.catalog, self._http, self._confirm)
        panel, s = tab.request_panel, tab.session
        panel.preferred_method = self.tabs.preferred_method
        panel.set_connection(self.connection, waiting_for=self._waiting_for)
        panel.endpoint_shown.connect(lambda _e, method: self.tabs.prefer_method(method))
        panel.tracker.dirty_changed.connect(lambda _d: self._show_current())
        tab.outcome_shown.connect(lambda outcome: self._show_outcome(tab, outcome))
        tab.answered.connect(self._answered)
        tab.response.remember_filters_in(self.settings)
        tab.response.share_kept(self._kept)  # Compare sees the responses of every tab
        # A link's action fills in a request: in a new tab, or this one (asking first).
        tab.response.link_followed.connect(self._follow_link)
        # "Send for each row of a file…"
        panel.bulk_requested.connect(lambda endpoint, method: _open_bulk(self, endpoint, method))
        # Esc cancels a send in flight, or the retry waiting out a rate limit.
        for changed in (s.busy_changed, s.wait_started, s.retry_cancelled):
            changed.connect(lambda *_: self._show_current())
        s.wait_started.connect(lambda seconds: self.tabs.share_wait(tab, seconds))
        current = self.tabs.currentWidget() if self.tabs.count() else None
        self.tabs.add(tab, after=after)
        self.layout_fit.watch(tab)
        if not self.layout_fit.fitting and isinstance(current, RequestTab):
            tab_state.copy_layout(current, tab)
        if draft is not None:
            self.load_draft(draft)
        else:
            panel.show_endpoint(self.endpoints.current() or "contacts")
        return tab

    def duplicate_tab(self, tab: RequestTab) -> RequestTab:
        """A new tab holding a copy of ``tab``'s request, beside it."""
        return self.new_tab(tab.request_panel.draft(), after=tab)

    def close_tab(self, tab: RequestTab) -> None:
        """Close ``tab``, asking first over unsaved changes; the last one makes way for a new."""

        def close() -> None:
            tab.close_session()
            self.tabs.removeTab(self.tabs.indexOf(tab))
            tab.deleteLater()
            if self.tabs.count() == 0:
                self.new_tab()

        self.tabs.setCurrentWidget(tab)
        self.unless_unsaved(close)

    def _on_tab_changed(self, tab: RequestTab) -> None:
        name = tab.request_panel.endpoint_name
        if name is not None and name != self.endpoints.current():
            self.endpoints.point_at(name)
        self._show_current()

    def _show_current(self) -> None:
        """The window's title and Esc follow the tab in front."""
        if self.tabs.count():
            self.setWindowTitle(self.tracker.title(APP_NAME))
            s = self.session
            self.actions.set_busy(s.busy or s.retry_pending)

    @property
    def http(self) -> httpx.AsyncClient | None:
        return self._http

    @http.setter
    def http(self, http: httpx.AsyncClient | None) -> None:
        """The client every send uses (the tabs and panels built so far get it too)."""
        self._http = http
        for tab in self.tabs.all():
            tab.request_panel.set_http(http)
        self.panels.set_http(http)

    # --- state ---------------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 860)
        self.tabs.preferred_method = str(self.settings.value("request/method", "GET"))
        last = str(self.settings.value("request/endpoint", "contacts"))
        self.endpoints.point_at(last if last in self.catalog else "contacts")
        entries = zip(
            tab_state.drafts(self.settings), tab_state.saved_refs(self.settings), strict=True
        )
        kept = [(d, ref) for d, ref in entries if d.endpoint in self.catalog]
        state = self.settings.value("window/mainSplitter")
        if isinstance(state, QByteArray | bytes):
            self.layout_fit.stop()  # the person's own layout
        for draft, _ref in kept or [(None, None)]:
            tab = self.new_tab(draft)
            tab_state.restore_layout(tab, self.settings)
        if isinstance(state, QByteArray | bytes):
            self.splitter.restoreState(state)
        refs = [ref for _d, ref in kept]
        if any(refs):  # after the first paint: the collections are read then
            tabs, panels = self.tabs.all(), self.panels

            def reattach() -> None:
                tab_state.reattach(tabs, refs, panels.collections.collections())

            QTimer.singleShot(0, self, reattach)
        current = tab_state.current(self.settings)
        if 0 <= current < self.tabs.count():
            self.tabs.setCurrentIndex(current)

    def _save(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/mainSplitter", self.splitter.saveState())
        tab_state.save(self.settings, self.tabs.all(), self.tabs.currentIndex())
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
        for tab in self.tabs.all():
            tab.session.cancel()
        self.set_connection(None, connecting_to=name)
        self.workspace_requested.emit(name)

    def set_connection(self, connection: Connection | None, *, connecting_to: str = "") -> None:
        """Point requests at a workspace (None while one is being connected)."""
        self.connection = connection
        self.panels.set_connection(connection)
        self._waiting_for = ""
        if connection is None:
            self._waiting_for = self.workspace_bar.show_connecting(connecting_to)
        else:
            self.workspace_bar.show_connection(connection)
            self.budget_meter.set_model(
                self.budgets.for_workspace(connection.name, connection.rate_limit_per_hour)
            )
        for tab in self.tabs.all():
            tab.request_panel.set_connection(connection, waiting_for=self._waiting_for)

    def connection_failed(self, why: str, *, can_start_afresh: bool = False) -> None:
        """Nothing could be connected: say why where requests would go, and keep Send off
        until another workspace is chosen (Workspaces…). ``can_start_afresh``: the sandbox's
        database is the trouble, and the window offers to set it aside."""
        self.connection = None
        self._waiting_for = why
        self.panels.set_connection(None)
        self.workspace_bar.show_failure(why, can_start_afresh=can_start_afresh)
        for tab in self.tabs.all():
            tab.request_panel.set_connection(None, waiting_for=why)

    def _start_afresh(self) -> None:
        self.set_connection(None, connecting_to=SANDBOX_WORKSPACE_NAME)
        self.start_afresh_requested.emit()

    # --- what the tabs say -----------------------------------------------------------------------

    async def _confirm(self, tab: RequestTab, prepared: Prepared, connection: Connection) -> bool:
        """Deletes, bulk actions and sends to contacts on a real workspace need a yes first."""
        from explorer.ui.confirm import confirm_request  # QMessageBox: 2 ms at start-up

        self.tabs.setCurrentWidget(tab)  # the question is about the request in front
        answered, counting = self.budget_meter.record_outcome, tab.response.show_sending
        return await confirm_request(
            self, self._http, prepared, connection, answered=answered, counting=counting
        )

    def _show_outcome(self, tab: RequestTab, outcome: Outcome) -> None:
        self.budget_meter.record_outcome(outcome)
        if tab is self.tabs.currentWidget():
            status.show(self, outcome.summary())
        self.outcome_shown.emit(outcome)

    def _answered(self, draft: Draft, outcome: Outcome) -> None:
        """A send was answered: history keeps it, and Compare its response (this run only)."""
        workspace = self.connection.name if self.connection else None
        entry = self.panels.history_store.record(draft, outcome, workspace=workspace)
        self.response.keep_response(entry, outcome)

    def _follow_link(self, draft: Draft, new_tab: bool) -> None:
        # After the link's menu has finished with its signal: a new tab hides (and so
        # deletes) the menu, which must not happen while it is still emitting.
        if new_tab:
            QTimer.singleShot(0, self, lambda: self.new_tab(draft, after=self.tabs.current()))
        else:
            QTimer.singleShot(0, self, lambda: self.unless_unsaved(lambda: self.load_draft(draft)))

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
        """Show ``draft``'s endpoint, method and values in the tab in front."""
        panel = self.request_panel
        self.endpoints.point_at(draft.endpoint)  # the tree follows; the tab opens it itself
        panel.show_endpoint(draft.endpoint)
        panel.select_method(HttpMethod(str(draft.method).upper()))
        panel.form.set_values(draft.params, draft.body)

    def show_collections(self) -> None:
        self.side_tabs.setCurrentWidget(self.panels.collections_slot)

    def _run_collection(self, collection: object, folder: str) -> None:
        runner = self.panels.runner
        runner.set_target(collection, folder)
        self.runner_dock.show()
        runner.run()

    # --- closing -------------------------------------------------------------------------------

    @guarded("closing the window")
    def closeEvent(self, event: QCloseEvent) -> None:
        dirty = [t for t in self.tabs.all() if t.request_panel.tracker.dirty]
        if self.ask_before_close and dirty:
            # Unsaved edits are never lost silently: ask first (non-modal), close on the answer.
            event.ignore()

            def close_anyway() -> None:
                self.ask_before_close = False
                self.close()

            self.tabs.setCurrentWidget(dirty[0])
            self.unless_unsaved(close_anyway, offer_save=True)
            return
        try:
            for tab in self.tabs.all():
                tab.request_panel.close_down()
            if self.remember:
                self._save()
        finally:  # a failed save (reported by the guard) never keeps the window open
            super().closeEvent(event)
            self.closed.emit()


TAB_PARTS: dict[str, tuple[str, ...]] = {
    "current_tab": (),
    "session": ("session",),
    "request_panel": ("request_panel",),
    "response": ("response",),
    "results_table": ("results_table",),
    "form": ("request_panel", "form"),
    "raw": ("request_panel", "raw"),
    "tracker": ("request_panel", "tracker"),
    "raw_query": ("request_panel", "raw", "query"),
    "raw_body": ("request_panel", "raw", "body"),
    "title": ("request_panel", "title"),
    "method_selector": ("request_panel", "method_selector"),
    "docs": ("request_panel", "docs"),
    "request_tabs": ("request_panel", "request_tabs"),
    "preview": ("request_panel", "preview"),
    "send_button": ("request_panel", "send_button"),
    "cancel_button": ("request_panel", "cancel_button"),
    "send_problem": ("request_panel", "send_problem"),
    "auto_retry": ("request_panel", "auto_retry"),
    "rate_limit_banner": ("request_panel", "rate_limit_banner"),
    "copy_curl": ("request_panel", "copy_curl"),
    "copy_httpx": ("request_panel", "copy_httpx"),
    "copy_temba": ("request_panel", "copy_temba"),
}
"""The parts of the tab in front, by the names the window answers to."""


def _open_bulk(window: MainWindow, endpoint: str, method: str) -> None:
    """The bulk view for this form, on the workspace in use (built when first asked for)."""
    connection = window.connection
    if connection is None:
        status.show(window, "Wait for the workspace to connect, then send for each row.")
        return
    from explorer.ui.bulk_view import BulkView

    meter = window.budgets.for_workspace(connection.name)
    view = BulkView(endpoint, HttpMethod(method), connection, window.http, meter, window)
    window.bulk_view = view  # kept while it is open (and for tests)
    view.show()


def _show_side(window: MainWindow, name: str) -> None:
    """The side tab ``name`` in front, its panel built if need be, and the keys in it."""
    if name == "endpoints":
        place: QWidget = window.endpoints
        panel: QWidget = place
    else:
        place = getattr(window.panels, f"{name}_slot")
        panel = place.widget()
    window.side_tabs.setCurrentWidget(place)
    for child in (panel, *panel.findChildren(QWidget)):
        if child.focusPolicy() & Qt.FocusPolicy.TabFocus and child.isVisibleTo(panel):
            child.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return


def _show_about(window: MainWindow) -> None:
    from explorer.ui.about_dialog import AboutDialog

    AboutDialog(window).open()  # not exec(): no nested loop inside the asyncio one


def _in_front(window: MainWindow, *path: str) -> Callable[..., Any]:
    """A call to the part at ``path`` of the tab in front when it is made, not now."""

    def call(*args: Any) -> Any:
        target: Any = window
        for step in path:
            target = getattr(target, step)
        return target(*args)

    return call
