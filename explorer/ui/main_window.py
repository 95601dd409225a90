"""The main window: endpoints on the left, then the open requests, one tab each.

The window lays out and wires; the work is done by the objects it holds: each request tab
(:class:`~explorer.ui.request_tab.RequestTab`: its session, request panel, response and
table), the :class:`~explorer.ui.workspace_bar.WorkspaceBar`, the File menu's
:class:`~explorer.ui.file_actions.FileActions`, and the side tabs, fetch-all and runner,
built on first need.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from explorer import APP_NAME, SANDBOX_WORKSPACE_NAME
from explorer.core.catalog import Catalog, HttpMethod
from explorer.core.connection import Connection
from explorer.core.ratelimit import BudgetMeters
from explorer.core.request import NULL, Draft, Prepared, is_unset
from explorer.ui import status
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
        self.preferred_method = "GET"  # the next endpoint opens on the method chosen last
        self.remember = True  # save size, splitters, tabs and endpoint on close
        self.ask_before_close = True  # unsaved request edits: ask before closing
        self.budgets = BudgetMeters()
        self._kept = KeptResponses()
        self._build()
        self.file_actions = FileActions(self, self)
        self.actions = WindowActions(self, self._commands(), APP_NAME)
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
            about=self.show_about,
            new_tab=self.new_tab,
            duplicate_tab=lambda: self.duplicate_tab(self.tabs.current()),
            close_tab=lambda: self.close_tab(self.tabs.current()),
            next_tab=lambda: self.tabs.go(1),
            previous_tab=lambda: self.tabs.go(-1),
            go_to_tab=self.tabs.go_to,
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
        panel.preferred_method = self.preferred_method
        panel.set_connection(self.connection, waiting_for=self._waiting_for)
        panel.endpoint_shown.connect(lambda _e, method: self._remember_method(method))
        panel.tracker.dirty_changed.connect(lambda _d: self._show_title())
        tab.outcome_shown.connect(lambda outcome: self._show_outcome(tab, outcome))
        tab.answered.connect(self._answered)
        tab.response.remember_filters_in(self.settings)
        tab.response.share_kept(self._kept)  # Compare sees the responses of every tab
        # A link's action fills in a request: in a new tab, or this one (asking first).
        tab.response.link_followed.connect(self._follow_link)
        panel.bulk_requested.connect(self._open_bulk)  # "Send for each row of a file…"
        # Esc cancels a send in flight, or the retry waiting out a rate limit.
        for changed in (s.busy_changed, s.wait_started, s.retry_cancelled):
            changed.connect(lambda *_: self._show_busy())
        s.wait_started.connect(lambda seconds: self._share_wait(tab, seconds))
        current = self.tabs.currentWidget() if self.tabs.count() else None
        self.tabs.add(tab, after=after)
        self.layout_fit.watch(tab)
        if not self.layout_fit.fitting and isinstance(current, RequestTab):
            _copy_layout(current, tab)
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
            self.endpoints.blockSignals(True)  # showing where the tab is, not opening anew
            try:
                self.endpoints.select(name)
            finally:
                self.endpoints.blockSignals(False)
        self._show_title()
        self._show_busy()

    def _show_title(self) -> None:
        if self.tabs.count():
            self.setWindowTitle(self.tracker.title(APP_NAME))

    def _show_busy(self) -> None:
        if self.tabs.count():
            s = self.session
            self.actions.set_busy(s.busy or s.retry_pending)

    def _remember_method(self, method: str) -> None:
        self.preferred_method = method
        for tab in self.tabs.all():
            tab.request_panel.preferred_method = method

    def _share_wait(self, tab: RequestTab, seconds: float) -> None:
        """A throttle scope that says "wait" says it to every tab sending on that scope."""
        scope = _scope(tab)
        for other in self.tabs.all():
            if other is tab or scope is None or _scope(other) != scope:
                continue
            if other.session.wait_left < seconds - 1:  # not the same wait heard back again
                other.session.hold(seconds)

    def _open_bulk(self, endpoint: str, method: str) -> None:
        """The bulk view for this form, on the workspace in use (built when first asked for)."""
        if self.connection is None:
            status.show(self, "Wait for the workspace to connect, then send for each row.")
            return
        from explorer.ui.bulk_view import BulkView

        meter = self.budgets.for_workspace(self.connection.name)
        view = BulkView(endpoint, HttpMethod(method), self.connection, self._http, meter, self)
        self.bulk_view = view
        view.show()

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
        self.preferred_method = str(self.settings.value("request/method", "GET"))
        last = str(self.settings.value("request/endpoint", "contacts"))
        self.endpoints.blockSignals(True)
        self.endpoints.select(last if last in self.catalog else "contacts")
        self.endpoints.blockSignals(False)
        drafts = [
            d for d in _drafts(self.settings.value("tabs/open")) if d.endpoint in self.catalog
        ]
        state = self.settings.value("window/mainSplitter")
        if isinstance(state, QByteArray | bytes):
            self.layout_fit.stop()  # the person's own layout
        for draft in drafts or [None]:
            tab = self.new_tab(draft)
            _restore_layout(tab, self.settings)
        if isinstance(state, QByteArray | bytes):
            self.splitter.restoreState(state)
        current = _int(self.settings.value("tabs/current"))
        if 0 <= current < self.tabs.count():
            self.tabs.setCurrentIndex(current)

    def _save(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/mainSplitter", self.splitter.saveState())
        tab = self.tabs.current()
        for splitter in (tab.splitter, tab.request_panel.request_splitter):
            self.settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())
        docs = tab.request_panel.docs_splitter
        self.settings.setValue(f"window/{docs.objectName()}", docs.saveState())
        self.panels.save_opened_folders()
        if self.form.endpoint is not None:
            self.settings.setValue("request/endpoint", self.form.endpoint.name)
            self.settings.setValue("request/method", self.form.method.value)
        states = [_draft_state(t.request_panel.draft()) for t in self.tabs.all()]
        self.settings.setValue("tabs/open", json.dumps([s for s in states if s is not None]))
        self.settings.setValue("tabs/current", self.tabs.currentIndex())
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
        if new_tab:
            self.new_tab(draft, after=self.tabs.current())
        else:
            self.unless_unsaved(lambda: self.load_draft(draft))

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
        self.endpoints.blockSignals(True)  # the tree follows; the tab opens it itself
        try:
            self.endpoints.select(draft.endpoint)
        finally:
            self.endpoints.blockSignals(False)
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

    def show_about(self) -> None:
        from explorer.ui.about_dialog import AboutDialog

        AboutDialog(self).open()  # not exec(): no nested loop inside the asyncio one

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


def _in_front(window: MainWindow, *path: str) -> Callable[..., Any]:
    """A call to the part at ``path`` of the tab in front when it is made, not now."""

    def call(*args: Any) -> Any:
        target: Any = window
        for step in path:
            target = getattr(target, step)
        return target(*args)

    return call


def _scope(tab: RequestTab) -> str | None:
    prepared = tab.session.prepared
    return prepared.endpoint.throttle_scope if prepared is not None else None


def _copy_layout(source: RequestTab, tab: RequestTab) -> None:
    """A new tab opens laid out as the one in front."""
    tab.splitter.setSizes(source.splitter.sizes())
    for name in ("request_splitter", "docs_splitter"):
        getattr(tab.request_panel, name).setSizes(getattr(source.request_panel, name).sizes())


def _restore_layout(tab: RequestTab, settings: QSettings) -> None:
    panel = tab.request_panel
    for splitter in (tab.splitter, panel.request_splitter, panel.docs_splitter):
        state = settings.value(f"window/{splitter.objectName()}")
        if isinstance(state, QByteArray | bytes):
            splitter.restoreState(state)


def _draft_state(draft: Draft | None) -> dict[str, Any] | None:
    """A tab's draft as JSON for the next start (files to upload are left out)."""
    if draft is None:
        return None
    parts: dict[str, dict[str, Any]] = {}
    for key, values in (("params", draft.params), ("body", draft.body)):
        kept = {}
        for name, value in values.items():
            if value is not NULL and is_unset(value):
                continue  # not set: left out, as a saved request leaves it out
            try:
                kept[name] = json.loads(json.dumps(value, allow_nan=False, default=_null))
            except (TypeError, ValueError):
                continue
        parts[key] = kept
    return {"endpoint": draft.endpoint, "method": str(draft.method), **parts}


def _null(value: object) -> None:
    """JSON ``null`` for the draft's "send null" marker; anything else is not kept."""
    if value is NULL:
        return None
    raise TypeError(f"{type(value).__name__} is not kept with the tab")


def _drafts(saved: object) -> list[Draft]:
    """The drafts of the tabs open at the last close (none when unreadable)."""
    try:
        docs = json.loads(saved) if isinstance(saved, str) else []
    except ValueError:
        log.warning("the open tabs of the last session could not be read; starting afresh")
        return []
    drafts = []
    for doc in docs if isinstance(docs, list) else []:
        try:
            drafts.append(
                Draft(
                    str(doc["endpoint"]),
                    HttpMethod(str(doc.get("method", "GET")).upper()),
                    params=_values(doc.get("params")),
                    body=_values(doc.get("body")),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return drafts


def _values(part: object) -> dict[str, Any]:
    if not isinstance(part, dict):
        return {}
    return {str(k): (NULL if v is None else v) for k, v in part.items()}


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1
