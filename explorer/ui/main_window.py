"""The main window: endpoints on the left, the request in the middle, the response on the right."""

from __future__ import annotations

import html
import importlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabBar,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from explorer import APP_NAME, SANDBOX_WORKSPACE_NAME
from explorer.core.catalog import Catalog, HttpMethod, Kind, Pagination
from explorer.core.catalog_text import method_html
from explorer.core.connection import Connection
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.ratelimit import BudgetMeters
from explorer.core.request import Draft, Prepared, build_request, is_unset, prepare, preview_text
from explorer.store.errors import StoreError
from explorer.ui.budget_meter import BudgetMeter
from explorer.ui.deferred import Deferred
from explorer.ui.dirty_tracker import DirtyTracker
from explorer.ui.editors import EditorContext
from explorer.ui.endpoint_tree import EndpointTree
from explorer.ui.rate_limit_banner import RateLimitBanner
from explorer.ui.raw_editor import RawEditor
from explorer.ui.request_form import RequestForm
from explorer.ui.response_view import ResponseView
from explorer.ui.send_problem import problem_text
from explorer.ui.window_actions import Commands, WindowActions

# What the first screen does not show (the side tabs, the results table, fetch-all, the
# runner, asyncio itself) is imported and built when first needed, so the window paints
# sooner: see Deferred.
if TYPE_CHECKING:
    import asyncio

    import httpx

    from explorer.core.client import Outcome
    from explorer.core.pagination import Pager
    from explorer.store.history import History
    from explorer.ui.collections_panel import CollectionsPanel
    from explorer.ui.fetch_all_panel import FetchAllPanel
    from explorer.ui.history_panel import HistoryPanel
    from explorer.ui.results_table import ResultsTable
    from explorer.ui.runner_panel import RunnerPanel

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
        self._http = http
        self.settings = settings
        self.connection: Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._prepared: Prepared | None = None
        self._problem = "Choose an endpoint."
        self._pager: Pager | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._languages_asked = False
        self._extra_params: dict[str, object] = {}
        self.remember = True  # save size, splitters and endpoint on close
        self.ask_before_close = True  # unsaved request edits: ask before closing
        self._extra_body: dict[str, object] = {}
        self._waiting = "Starting the sandbox…"  # what Send waits for while not connected

        # --- workspace bar
        self.workspace_selector = QComboBox()
        self.workspace_selector.setObjectName("workspaceSelector")
        self.workspace_selector.setAccessibleName("Workspace")
        self.workspace_selector.setMinimumWidth(220)
        self.workspace_selector.activated.connect(self._on_workspace_picked)
        self.manage_button = QPushButton("Wor&kspaces…")
        self.manage_button.setObjectName("manageWorkspacesButton")
        self.manage_button.setToolTip("Add, edit or remove workspaces and their tokens")
        self.manage_button.clicked.connect(self.manage_workspaces_requested)
        self.workspace_banner = QLabel()
        self.workspace_banner.setObjectName("workspaceBanner")
        self.workspace_banner.setWordWrap(True)
        self.workspace_banner.setTextFormat(Qt.TextFormat.RichText)  # escaped text
        self.start_afresh_button = QPushButton("Start a fresh sa&ndbox")
        self.start_afresh_button.setObjectName("startAfreshButton")
        self.start_afresh_button.setToolTip(
            "Renames the sandbox database that would not open, so nothing in it is lost, and "
            "starts the sandbox on a new one with the demo data"
        )
        self.start_afresh_button.hide()
        self.start_afresh_button.clicked.connect(self._start_afresh)
        bar = QHBoxLayout()
        workspace_label = QLabel("&Workspace:")
        workspace_label.setBuddy(self.workspace_selector)
        bar.addWidget(workspace_label)
        bar.addWidget(self.workspace_selector)
        bar.addWidget(self.manage_button)
        bar.addWidget(self.workspace_banner, 1)
        bar.addWidget(self.start_afresh_button)
        self.budgets = BudgetMeters()
        self.budget_meter = BudgetMeter()
        bar.addWidget(self.budget_meter)

        # --- endpoints
        self.endpoints = EndpointTree(catalog)
        self.endpoints.endpoint_selected.connect(self._on_endpoint)

        # --- request side
        self.title = QLabel()
        self.title.setObjectName("requestTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.method_selector = QTabBar()
        self.method_selector.setObjectName("methodSelector")
        self.method_selector.setAccessibleName("Method")
        self.method_selector.setExpanding(False)
        self.method_selector.currentChanged.connect(self._on_method)
        # A text browser lays the docs out once per width; a word-wrapped label in a scroll
        # area laid them out again for every size the layout asked about (15 ms a switch).
        self.docs = QTextBrowser()
        self.docs.setObjectName("endpointDocs")
        self.docs.setAccessibleName("Endpoint documentation")
        self.docs.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.docs.setOpenLinks(False)
        # On the window's own background, in any colour scheme. (Not through viewport():
        # its first call makes PySide6 set up every widget class, ~30 ms before the first paint.)
        palette = self.docs.palette()
        palette.setBrush(QPalette.ColorRole.Base, Qt.GlobalColor.transparent)
        self.docs.setPalette(palette)
        self.docs.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form = RequestForm()
        self.form.draft_changed.connect(self._refresh)
        self.raw = RawEditor()
        self.raw.raw_edited.connect(self._on_raw_edited)
        self.raw.unreadable_changed.connect(lambda _reason: self._refresh())
        self.raw_query = self.raw.query
        self.raw_body = self.raw.body
        self.request_tabs = QTabWidget()
        self.request_tabs.addTab(self.form, "For&m")
        self.request_tabs.addTab(self.raw, "&Raw")
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("requestPreview")
        self.preview.setAccessibleName("Request preview")
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.copy_curl = QPushButton("Copy as curl")
        self.copy_httpx = QPushButton("Copy as httpx")
        self.copy_temba = QPushButton("Copy as TembaClient")
        self.copy_curl.clicked.connect(lambda: self._copy("curl"))
        self.copy_httpx.clicked.connect(lambda: self._copy("httpx"))
        self.copy_temba.clicked.connect(lambda: self._copy("temba"))
        self.send_button = QPushButton("&Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setAccessibleName("Send request")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAccessibleName("Cancel request")
        self.cancel_button.setToolTip("Cancel (Esc)")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.send_problem = QLabel()
        self.send_problem.setObjectName("sendProblem")
        self.send_problem.setWordWrap(True)
        self.send_problem.setTextFormat(Qt.TextFormat.PlainText)  # one problem per line
        self.rate_limit_banner = RateLimitBanner()
        self.rate_limit_banner.remaining_changed.connect(lambda _s: self._update_send_state())
        self.rate_limit_banner.finished.connect(self._rate_limit_over)
        self.auto_retry = QCheckBox("Retry after a rate limit")
        self.auto_retry.setObjectName("autoRetry")
        self.auto_retry.setToolTip(
            "When the server answers 429, send the same request again once it says you may"
        )
        self._retry_prepared: Prepared | None = None
        self._sent: Prepared | None = None
        self._sent_draft: Draft | None = None

        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_curl)
        buttons.addWidget(self.copy_httpx)
        buttons.addWidget(self.copy_temba)
        buttons.addStretch(1)
        buttons.addWidget(self.auto_retry)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.send_button)

        request_side = QWidget()
        rs = QVBoxLayout(request_side)
        rs.setContentsMargins(4, 0, 4, 0)
        rs.addWidget(self.title)
        rs.addWidget(self.method_selector)
        top = QSplitter(Qt.Orientation.Vertical)
        top.setObjectName("requestSplitter")
        docs_and_form = QSplitter(Qt.Orientation.Horizontal)
        docs_and_form.setObjectName("docsSplitter")
        docs_and_form.addWidget(self.request_tabs)
        docs_and_form.addWidget(self.docs)
        docs_and_form.setStretchFactor(0, 3)
        docs_and_form.setStretchFactor(1, 2)
        self.docs.setMinimumWidth(200)
        docs_and_form.setSizes([440, 300])
        top.addWidget(docs_and_form)
        top.addWidget(self.preview)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        rs.addWidget(top, 1)
        rs.addWidget(self.rate_limit_banner)
        rs.addWidget(self.send_problem)
        rs.addLayout(buttons)

        self.response = ResponseView()
        self._results_table: Deferred[ResultsTable] = Deferred(self._make_results_table)
        self.response.add_tab(self._results_table, "Table", 1)
        self._fetch_all: Deferred[FetchAllPanel] = Deferred(self._make_fetch_all)
        self._fetch_all_tab = self.request_tabs.addTab(self._fetch_all, "Fetch &all")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self._history_store: History | None = None
        self._collections: Deferred[CollectionsPanel] = Deferred(self._make_collections)
        self._history: Deferred[HistoryPanel] = Deferred(self._make_history)
        self._runner: Deferred[RunnerPanel] = Deferred(self._make_runner)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.addTab(self.endpoints, "&Endpoints")
        self.side_tabs.addTab(self._collections, "C&ollections")
        self.side_tabs.addTab(self._history, "Histor&y")
        self.splitter.addWidget(self.side_tabs)
        self.splitter.addWidget(request_side)
        self.splitter.addWidget(self.response)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.side_tabs.setMinimumWidth(200)
        # Wide enough for the longest row, resthook_subscribers and its three badges.
        self.splitter.setSizes([310, 710, 420])
        self._splitters = [self.splitter, top, docs_and_form]

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.runner_dock = QDockWidget("Runner", self)
        self.runner_dock.setObjectName("runnerDock")
        self.runner_dock.setWidget(self._runner)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.runner_dock)
        self.runner_dock.hide()
        self.tracker = DirtyTracker(self)
        self.form.draft_changed.connect(lambda: self.tracker.update(self.form.draft()))
        self.tracker.dirty_changed.connect(
            lambda _dirty: self.setWindowTitle(self.tracker.title(APP_NAME))
        )
        self.actions = WindowActions(
            self,
            Commands(
                save=self.save_request,
                paste_curl=self.paste_curl,
                edit_variables=self.edit_variables,
                import_postman=self.import_postman,
                export_postman=self.export_postman,
                quit=self.close,
                send=self.send,
                cancel=self.cancel,
                find=self.response.focus_find,
                find_next=self.response.find_next,
                find_previous=self.response.find_previous,
                filter_endpoints=self.endpoints.filter.setFocus,
                about=self.show_about,
            ),
            APP_NAME,
        )

        self._restore()

    # --- panels built on first need -----------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient | None:
        return self._http

    @http.setter
    def http(self, http: httpx.AsyncClient | None) -> None:
        """The client every send uses (the panels built so far get it too)."""
        self._http = http
        for deferred in (self._fetch_all, self._runner):
            panel = deferred.get()
            if panel is not None:
                panel.set_http(http)

    @property
    def results_table(self) -> ResultsTable:
        return self._results_table.widget()

    @property
    def fetch_all(self) -> FetchAllPanel:
        return self._fetch_all.widget()

    @property
    def collections(self) -> CollectionsPanel:
        return self._collections.widget()

    @property
    def history(self) -> HistoryPanel:
        return self._history.widget()

    @property
    def runner(self) -> RunnerPanel:
        return self._runner.widget()

    @property
    def history_store(self) -> History:
        """Every send, kept across restarts (shared by the history tab and the runner)."""
        if self._history_store is None:
            from explorer.store.history import History

            self._history_store = History()
        return self._history_store

    def _make_results_table(self) -> ResultsTable:
        from explorer.ui.results_table import ResultsTable

        table = ResultsTable()
        table.next_requested.connect(lambda: self._go_page("next"))
        table.previous_requested.connect(lambda: self._go_page("previous"))
        return table

    def _make_fetch_all(self) -> FetchAllPanel:
        from explorer.ui.fetch_all_panel import FetchAllPanel

        panel = FetchAllPanel()
        panel.set_http(self._http)
        panel.waiting.connect(self.rate_limit_banner.start)
        panel.response_received.connect(self._count_fetch_request)
        panel.finished.connect(
            lambda path: self.statusBar().showMessage(f"Fetched everything into {path}", 15000)
        )
        panel.failed.connect(lambda why: self.statusBar().showMessage(why, 15000))
        self._sync_fetch_all(panel)
        return panel

    def _make_collections(self) -> CollectionsPanel:
        from explorer.ui.collections_panel import CollectionsPanel

        panel = CollectionsPanel()
        panel.request_opened.connect(self.open_saved)
        panel.status_message.connect(lambda t: self.statusBar().showMessage(t, 8000))
        panel.collections_changed.connect(self._collections_changed)
        panel.run_requested.connect(self._run_collection)
        opened = self.settings.value("collections/opened", [])
        for folder in [opened] if isinstance(opened, str) else list(opened or []):
            # Folders opened from elsewhere (a repository checkout, say) come back; one that
            # has since gone is skipped.
            if Path(folder, "collection.json").is_file():
                panel.open_folder(folder)
        return panel

    def _collections_changed(self) -> None:
        runner, panel = self._runner.get(), self._collections.get()
        if runner is not None and panel is not None:
            runner.set_collections(panel.collections())

    def _make_history(self) -> HistoryPanel:
        from explorer.ui.history_panel import HistoryPanel

        panel = HistoryPanel(self.history_store)
        panel.request_opened.connect(
            lambda draft: self._unless_unsaved(lambda: self.load_draft(draft))
        )
        return panel

    def _unless_unsaved(self, then: Callable[[], None], *, offer_save: bool = False) -> None:
        """Run ``then`` now, or after the user agrees to lose (or saves) unsaved edits."""
        from explorer.ui.save_request_dialog import confirm_discard

        confirm_discard(self, self.tracker, then, save=self.save_request if offer_save else None)

    def _make_runner(self) -> RunnerPanel:
        from explorer.ui.runner_panel import RunnerPanel

        runner = RunnerPanel(history=self.history_store)
        runner.set_collections(self.collections.collections())
        runner.set_http(self._http)
        runner.set_connection(self.connection)
        return runner

    def warm_up(self) -> Iterator[None]:
        """Load, one short step at a time, what the first form switch, the first response and
        the first look at a side tab would otherwise stop for (run while the app is idle; see
        app.amain)."""
        from explorer.ui.editors import load_all_editors

        yield from load_all_editors()
        for module in (
            "explorer.core.pagination",
            "explorer.ui.json_view",
            "explorer.ui.results_table",
            "secrets",  # the collections store's imports, one step each
            "shutil",
            "explorer.store.migrations",
            "explorer.store.collections",
            "explorer.ui.collections_panel",
            "explorer.ui.history_panel",
        ):
            importlib.import_module(module)
            yield
        # The side tabs read their files now rather than on the first click.
        self._collections.widget()
        yield
        self._history.widget()
        yield
        from explorer.ui.editors.language_combo import warm_languages

        # Last: the thread takes turns with this one, and made the steps above twice as long.
        warm_languages()

    # --- state -----------------------------------------------------------------------------

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
        last = self.settings.value("request/endpoint", "contacts")
        self.endpoints.select(str(last) if str(last) in self.catalog else "contacts")

    def _save(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        for splitter in self._splitters:
            self.settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())
        panel = self._collections.get()
        if panel is not None:  # else the folders opened last time are still the ones to open
            from explorer.store import paths

            home = paths.collections_dir().resolve()
            opened = [
                str(c.root) for c in panel.collections() if c.root.resolve().parent != home
            ]
            self.settings.setValue("collections/opened", opened)
        if self.form.endpoint is not None:
            self.settings.setValue("request/endpoint", self.form.endpoint.name)
            self.settings.setValue("request/method", self.form.method.value)
        self.settings.sync()

    def set_workspaces(self, names: list[str]) -> None:
        """The names the selector offers (the current one stays selected)."""
        # While one is connecting, the name shown is the one being connected.
        current = self.connection.name if self.connection else self.workspace_selector.currentText()
        self.workspace_selector.blockSignals(True)
        self.workspace_selector.clear()
        self.workspace_selector.addItems(names)
        if current in names:
            self.workspace_selector.setCurrentIndex(names.index(current))
        self.workspace_selector.blockSignals(False)

    def _on_workspace_picked(self, index: int) -> None:
        name = self.workspace_selector.itemText(index)
        if not self.connection or name != self.connection.name:
            self.cancel()
            self.set_connection(None, connecting_to=name)
            self.workspace_requested.emit(name)

    def set_connection(self, connection: Connection | None, *, connecting_to: str = "") -> None:
        """Point requests at a workspace (None while one is being connected)."""
        self.connection = connection
        self.start_afresh_button.hide()
        runner = self._runner.get()
        if runner is not None:
            runner.set_connection(connection)
        if connection is None:
            name = connecting_to or SANDBOX_WORKSPACE_NAME
            waiting = (
                "Starting the sandbox…"
                if name == SANDBOX_WORKSPACE_NAME
                else f"Connecting to {name}…"
            )
            self._waiting = waiting
            self.workspace_banner.setText(html.escape(waiting))
            self.workspace_banner.setStyleSheet("padding: 4px;")
            if self.workspace_selector.findText(name) < 0:
                self.workspace_selector.addItem(name)
            self.workspace_selector.setCurrentIndex(self.workspace_selector.findText(name))
            self.form.set_context(EditorContext())
        else:
            self._use_workspace_data(connection)
            index = self.workspace_selector.findText(connection.name)
            if index < 0:
                self.workspace_selector.addItem(connection.name)
                index = self.workspace_selector.count() - 1
            self.workspace_selector.setCurrentIndex(index)
            self.budget_meter.set_model(
                self.budgets.for_workspace(connection.name, connection.rate_limit_per_hour)
            )
            if connection.is_sandbox:
                self.workspace_banner.setText(
                    "Sandbox: a local demo workspace on this computer. Nothing you send leaves it."
                )
                self.workspace_banner.setStyleSheet(
                    "background: #e8f5e9; color: #1b5e20; padding: 4px; border-radius: 3px;"
                )
            else:
                self.workspace_banner.setText(
                    f"Requests act on the real data of {html.escape(connection.name)} "
                    f"({html.escape(connection.base_url)})."
                )
                self.workspace_banner.setStyleSheet(
                    "background: #ffebee; color: #b71c1c; padding: 4px; border-radius: 3px;"
                )
        self._refresh()

    def connection_failed(self, why: str, *, can_start_afresh: bool = False) -> None:
        """Nothing could be connected: say why where requests would go, and keep Send off
        until another workspace is chosen (Workspaces…). ``can_start_afresh``: the sandbox's
        database is the trouble, and the window offers to set it aside."""
        self.connection = None
        self.start_afresh_button.setVisible(can_start_afresh)
        runner = self._runner.get()
        if runner is not None:
            runner.set_connection(None)
        self._waiting = why
        self.workspace_banner.setText(html.escape(why))
        self.workspace_banner.setStyleSheet(
            "background: #fff3e0; color: #8a4b00; padding: 4px; border-radius: 3px;"
        )
        self._refresh()

    def _start_afresh(self) -> None:
        self.set_connection(None, connecting_to=SANDBOX_WORKSPACE_NAME)
        self.start_afresh_requested.emit()

    def _use_workspace_data(self, connection: Connection) -> None:
        """Editors suggest the workspace's groups, flows, fields and languages."""
        if self.http is None:
            self.form.set_context(EditorContext(default_country=connection.default_country))
            return
        from explorer.ui.workspace_cache import WorkspaceCache

        cache = WorkspaceCache(self.http, connection.base_url, connection.token, parent=self)
        self.form.set_context(
            EditorContext(default_country=connection.default_country, cache=cache)
        )
        self._languages_asked = False
        self._maybe_fetch_languages()

    def _maybe_fetch_languages(self) -> None:
        """Ask for the workspace's languages once a form has a language to pick, not before."""
        cache = self.form.context.cache
        endpoint = self.form.endpoint
        if self._languages_asked or cache is None or endpoint is None or self.connection is None:
            return
        spec = endpoint.method(self.form.method)
        kinds = {p.spec.base.kind for p in (*spec.params, *spec.fields)}
        if not kinds & {Kind.LANGUAGE, Kind.TRANSLATIONS}:
            return
        self._languages_asked = True
        import asyncio

        task = asyncio.ensure_future(self._workspace_languages(self.connection, cache))
        self._background.add(task)  # keep a reference until it is done
        task.add_done_callback(self._background.discard)

    async def _workspace_languages(self, connection: Connection, cache: object) -> None:
        from dataclasses import replace

        from explorer.ui.workspace_cache import WorkspaceCache

        assert isinstance(cache, WorkspaceCache)
        languages = await cache.languages()  # primary first; () when it cannot be read
        if languages and self.connection is connection:
            self.form.set_context(replace(self.form.context, workspace_languages=languages))

    # --- endpoint and method ----------------------------------------------------------------

    def _on_endpoint(self, name: str) -> None:
        self.tracker.set_saved(None)  # a new request; open_saved names its own after this
        endpoint = self.catalog[name]
        self.method_selector.blockSignals(True)
        while self.method_selector.count():
            self.method_selector.removeTab(0)
        for method in endpoint.method_names:
            self.method_selector.addTab(method.value)
        wanted = str(self.settings.value("request/method", "GET"))
        names = [m.value for m in endpoint.method_names]
        self.method_selector.setCurrentIndex(names.index(wanted) if wanted in names else 0)
        self.method_selector.blockSignals(False)
        self._on_method(self.method_selector.currentIndex())

    def _on_method(self, index: int) -> None:
        name = self.endpoints.current()
        if name is None or index < 0:
            return
        endpoint = self.catalog[name]
        method = endpoint.method_names[index]
        spec = endpoint.method(method)
        deprecated = ""
        if endpoint.deprecated:
            deprecated = " <span style='color:#9e9e9e'>(deprecated)</span>"
        self.title.setText(
            f"<b>{html.escape(spec.title)}</b>{deprecated}<br>"
            f"<code>{method.value} {html.escape(endpoint.path)}</code>"
        )
        self.docs.setHtml(method_html(endpoint, spec))
        self.raw.set_has_body(bool(spec.fields))
        self._extra_params, self._extra_body = {}, {}
        self.form.load(endpoint, method)
        running = (panel := self._fetch_all.get()) is not None and panel.running
        self.request_tabs.setTabVisible(self._fetch_all_tab, spec.is_listing or running)
        self._maybe_fetch_languages()

    # --- validation and preview --------------------------------------------------------------

    def _refresh(self) -> None:
        if self.form.endpoint is None:
            return
        draft = self.form.draft()
        # Names typed in raw mode that the form has no editor for still reach validation,
        # which reports them ("contacts GET has no parameter called 'grup'").
        draft.params.update(self._extra_params)
        draft.body.update(self._extra_body)
        country = self.connection.default_country if self.connection else None
        try:
            draft = self._with_variables(draft)
            prepared = prepare(draft, default_country=country)
        except ValidationErrors as errors:
            self._prepared = None
            # Inline marks only where the user has typed something: an untouched form is not
            # a wall of red. What is still missing is said beside Send.
            self.form.show_errors(
                ValidationErrors([e for e in errors if self._typed(e.path[0] if e.path else "")])
            )
            self._problem = problem_text(errors)
        else:
            self._prepared = prepared
            self.form.show_errors(None)
            self._problem = "" if self.connection else self._waiting
        if self.raw.unreadable:  # sending the form's older values is not what was meant
            self._prepared, self._problem = None, f"Fix the Raw tab first: {self.raw.unreadable}"
            self.form.show_unusable_raw(self.raw.unreadable)
        self.raw.show_draft(draft)
        self._update_preview()
        self._update_send_state()
        panel = self._fetch_all.get()
        if panel is not None:
            self._sync_fetch_all(panel)

    def _sync_fetch_all(self, panel: FetchAllPanel) -> None:
        """Fetch-all follows the request in the editor and the workspace in use."""
        c = self.connection
        panel.set_request(
            self._prepared if c else None,
            workspace=c.name if c else "",
            base_url=c.base_url if c else "",
            token=c.token if c else None,
            deadline=c.deadline if c else None,
        )

    def _with_variables(self, draft: Draft) -> Draft:
        """``{{name}}`` resolved from the open collection and the workspace's environment.

        Raises ValidationErrors naming every variable that has no value, field by field.
        """
        from explorer.core import variables

        if not any(variables.names_in(v) for v in (draft.params, draft.body)):
            return draft
        collection = self.tracker.collection
        base_url = self.connection.base_url if self.connection else None
        workspace = self.connection.name if self.connection else None
        if collection is not None:
            scope = collection.scope(workspace, base_url=base_url)
        else:
            scope = variables.scope(base_url=base_url)
        missing = variables.unresolved(draft, scope)
        if missing:
            raise ValidationErrors(missing)
        return variables.resolve_draft(draft, scope)

    def _typed(self, name: object) -> bool:
        editor = self.form.editor(str(name))
        return editor is None or not is_unset(editor.value())

    def _on_raw_edited(self, params: dict, body: dict) -> None:  # type: ignore[type-arg]
        """Raw text was read: the form takes it; names it has no editor for are reported."""
        self._extra_params = {k: v for k, v in params.items() if k not in self.form.params}
        self._extra_body = {k: v for k, v in body.items() if k not in self.form.fields}
        self.form.set_values(params, body)

    def _update_preview(self) -> None:
        prepared = self._prepared
        if prepared is None:
            self.preview.setPlainText(self._problem)
            for button in (self.copy_curl, self.copy_httpx, self.copy_temba):
                button.setEnabled(False)
            return
        # Until a workspace is connected its address is not known: the path alone.
        base = self.connection.base_url if self.connection else ""
        has_token = bool(self.connection and self.connection.token)
        self.preview.setPlainText(preview_text(base, prepared, has_token=has_token))
        from explorer.core import snippets

        self.copy_curl.setEnabled(True)
        self.copy_httpx.setEnabled(True)
        try:
            snippets.temba_client(base, prepared)
        except snippets.NoClientMethod as exc:
            self.copy_temba.setEnabled(False)
            self.copy_temba.setToolTip(str(exc))
        else:
            self.copy_temba.setEnabled(True)
            self.copy_temba.setToolTip("")

    def _update_send_state(self) -> None:
        busy = self._task is not None and not self._task.done()
        waiting = self.rate_limit_banner.active
        problem = self._problem
        if waiting:
            left = self.rate_limit_banner.remaining
            problem = f"Rate limit: you can send again in {left // 60}:{left % 60:02d}."
            if self._retry_prepared is not None:
                problem += " The request will go again then."
            self.send_button.setText(f"Send ({left} s)")
        else:
            self.send_button.setText("&Send")
            if busy:
                problem = "Sending…"
        self.send_button.setEnabled(not problem)
        self.send_problem.setText(problem if problem not in ("Sending…",) else "")
        self.send_button.setToolTip(problem or "Send (Ctrl+Enter)")
        waiting = busy or self._retry_prepared is not None  # a scheduled retry can be called off
        self.cancel_button.setEnabled(waiting)
        self.actions.set_busy(waiting)

    def _copy(self, kind: str) -> None:
        if self._prepared is None:
            return
        from explorer.core import snippets

        base = self.connection.base_url if self.connection else "https://app.rapidpro.io"
        make = {"curl": snippets.curl, "httpx": snippets.httpx_snippet}.get(kind)
        QGuiApplication.clipboard().setText((make or snippets.temba_client)(base, self._prepared))
        self.statusBar().showMessage(
            f"Copied the request as {kind} (token left as $RAPIDPRO_TOKEN).", 4000
        )

    # --- sending ----------------------------------------------------------------------------

    def send(self) -> None:
        """Send the current request (the button, Ctrl+Enter)."""
        self.raw.flush()  # text typed a moment ago is what the user means to send
        if not self.send_button.isEnabled() or self._prepared is None or self.connection is None:
            return
        import asyncio

        self._sent_draft = self.form.draft()
        self._task = asyncio.ensure_future(self._send(self._prepared, self.connection))
        self._update_send_state()

    def cancel(self) -> None:
        """Abandon the request in flight, or else the retry waiting out a rate limit."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        elif self._retry_prepared is not None:
            self._retry_prepared = None
            self.statusBar().showMessage("Retry cancelled: nothing is sent again by itself.", 8000)
            self._update_send_state()

    async def _send(self, prepared: Prepared, connection: Connection) -> None:
        import asyncio

        self._sent = prepared
        try:
            if not connection.is_sandbox and not await self._confirm(prepared, connection):
                self.response.show_problem("Not sent: you cancelled it.")
                return
            request = build_request(connection.base_url, connection.token, prepared)
            self.response.show_sending(f"Sending {request.method} {request.url.path}…")
            from explorer.core.client import send

            assert self.http is not None, "set_connection comes after the HTTP client exists"
            outcome = await send(
                self.http, request, base_url=connection.base_url, deadline=connection.deadline
            )
            self.budget_meter.record_outcome(outcome)
            cache = self.form.context.cache
            if outcome.ok and prepared.method is not HttpMethod.GET and cache is not None:
                cache.invalidate(prepared.endpoint.name)  # new names show up in suggestions
            self._pager = None
            paged = prepared.endpoint.method(prepared.method).pagination is not Pagination.NONE
            if paged and outcome.ok and outcome.results is not None:
                from explorer.core.pagination import Pager

                self._pager = Pager.from_outcome(
                    connection.base_url,
                    connection.token,
                    prepared,
                    outcome,
                    deadline=connection.deadline,
                )
            if self._sent_draft is not None:
                self.history_store.record(self._sent_draft, outcome, workspace=connection.name)
            self.show_outcome(outcome)
        except asyncio.CancelledError:
            self.response.show_problem("Cancelled: the request was abandoned.")
            self.statusBar().showMessage("Cancelled", 3000)
        finally:
            self._task = None
            self._update_send_state()

    async def _confirm(self, prepared: Prepared, connection: Connection) -> bool:
        """Deletes, bulk actions and sends to contacts on a real workspace need a yes first."""
        from explorer.ui.confirm import confirm_request  # QMessageBox: 2 ms at start-up

        answered, counting = self.budget_meter.record_outcome, self.response.show_sending
        return await confirm_request(
            self, self.http, prepared, connection, answered=answered, counting=counting
        )

    def show_outcome(self, outcome: Outcome) -> None:
        self.response.show_outcome(outcome)
        field_messages: dict[str, list[str]] = {}
        for error in outcome.field_errors:
            if error.field:
                field_messages.setdefault(error.field, []).append(str(error))
        if field_messages or outcome.field_errors:
            general = [str(e) for e in outcome.field_errors if not e.field]
            self.form.show_errors(None, field_messages={**field_messages, "": general})
        if outcome.results is not None:
            if self._pager is not None:
                self.results_table.show_page(self._pager, outcome)
            else:
                self.results_table.show_outcome(outcome)
        elif self._pager is None:  # one object (a 201, a GET by uuid) is one row
            self.results_table.show_outcome(outcome)
        if outcome.retry_after is not None:
            if self.auto_retry.isChecked() and self._sent is not None:
                self._retry_prepared = self._sent
            self.rate_limit_banner.start(outcome.retry_after)
        self.statusBar().showMessage(outcome.summary(), 8000)
        self.outcome_shown.emit(outcome)

    def _rate_limit_over(self) -> None:
        """The countdown ended: with auto-retry on, the refused request goes again."""
        prepared, self._retry_prepared = self._retry_prepared, None
        self._update_send_state()
        if prepared is not None and self.connection is not None and self._task is None:
            import asyncio

            self._task = asyncio.ensure_future(self._send(prepared, self.connection))
            self._update_send_state()

    def _go_page(self, which: str) -> None:
        """Previous or Next from the results table: follow the page link of the last listing."""
        busy = self._task is not None and not self._task.done()
        if busy or self._pager is None or self.http is None:
            return
        import asyncio

        self._task = asyncio.ensure_future(self._page(self._pager, which))
        self._update_send_state()

    async def _page(self, pager: Pager, which: str) -> None:
        import asyncio

        try:
            self.results_table.set_loading(True)
            assert self.http is not None
            outcome = await pager.go(self.http, which)
            if outcome is not None:
                self.budget_meter.record_outcome(outcome)
                self.show_outcome(outcome)
        except ValidationError as exc:  # a page link pointing at another host
            self.response.show_problem(str(exc))
        except asyncio.CancelledError:
            self.response.show_problem("Cancelled: the page was not loaded.")
        finally:
            self._task = None
            self.results_table.set_loading(False)
            self.results_table.set_page(
                pager.describe(), has_previous=pager.has_previous, has_next=pager.has_next
            )
            self._update_send_state()

    def _count_fetch_request(self, outcome: Outcome) -> None:
        """Fetch-all's requests count on the meter of the workspace it runs against."""
        self.budgets.for_workspace(self.fetch_all.workspace).record_outcome(outcome)
        self.budget_meter.refresh()

    # --- saved requests ---------------------------------------------------------------------

    def open_saved(self, saved: object, collection: object) -> None:
        """A request from a collection: into the editor (after asking if edits would be lost)."""

        def load() -> None:
            self.load_draft(saved.draft)  # type: ignore[attr-defined]
            self.tracker.set_saved(saved, collection)
            self._refresh()  # its variables now resolve from this collection

        self._unless_unsaved(load)

    def load_draft(self, draft: Draft) -> None:
        """Show ``draft``'s endpoint, method and values in the editor."""
        method = HttpMethod(str(draft.method).upper())
        if self.endpoints.current() == draft.endpoint:
            self._on_endpoint(draft.endpoint)
        else:
            self.endpoints.select(draft.endpoint)
        names = [self.method_selector.tabText(i) for i in range(self.method_selector.count())]
        if method.value in names:
            self.method_selector.setCurrentIndex(names.index(method.value))
        self.form.set_values(draft.params, draft.body)

    def save_request(self) -> None:
        """Ctrl+S: save in place when the request came from a collection, else ask where."""
        from explorer.ui.save_request_dialog import save_current

        try:
            dialog = save_current(
                self.form.draft(),
                self.tracker,
                self.collections.collections(),
                parent=self,
                workspace=self.connection.name if self.connection else None,
            )
        except StoreError as exc:
            self.statusBar().showMessage(str(exc), 10000)
            return
        if dialog is None:
            saved, collection = self.tracker.saved, self.tracker.collection
            if saved is not None and collection is not None:  # the tree shows it at once
                self.collections.show_saved(saved, collection)
            self.statusBar().showMessage(f"Saved {saved.name if saved else 'the request'}", 4000)
        else:
            dialog.saved.connect(self.collections.show_saved)

    def edit_variables(self) -> None:
        """The open collection's variables and the current workspace's environment."""
        from explorer.ui.variables_dialog import VariablesDialog

        collection = self.tracker.collection or next(iter(self.collections.collections()), None)
        if collection is None:
            self.statusBar().showMessage("Save a request first: variables belong to a collection.")
            return
        dialog = VariablesDialog(
            collection, self.connection.name if self.connection else None, self
        )
        dialog.saved.connect(self._refresh)  # values may now resolve, or stop resolving
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # not exec(): no nested loop inside the asyncio one

    def paste_curl(self) -> None:
        """A curl command on the clipboard becomes the request (asking first over unsaved edits)."""
        from explorer.core.curl_import import import_message, parse_curl

        try:
            imported = parse_curl(QGuiApplication.clipboard().text())
        except ValidationError as exc:
            self.statusBar().showMessage(f"The clipboard has no usable curl command: {exc}", 10000)
            return

        def load() -> None:
            self.load_draft(imported.draft)
            self.statusBar().showMessage(import_message(imported, self.connection), 15000)

        self._unless_unsaved(load)

    def import_postman(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        dialog = QFileDialog(self, "Import a Postman collection", "", "Postman collection (*.json)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._import_postman_file)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # not exec(): no nested loop inside the asyncio one

    def _import_postman_file(self, path: str) -> None:
        from explorer.store import paths
        from explorer.store.postman import create_from_postman, read_postman

        try:
            result = read_postman(Path(path))
            taken = [c.name for c in self.collections.collections()]
            folder = paths.collections_dir() / Path(path).stem
            collection = create_from_postman(result, folder, taken_names=taken)
        except (ValidationError, StoreError) as exc:
            self.statusBar().showMessage(str(exc), 15000)
            return
        self.collections.add_collection(collection)
        problems = f" ({len(result.problems)} item(s) could not be used)" if result.problems else ""
        self.statusBar().showMessage(f"Imported {collection.name}{problems}.", 15000)
        self.side_tabs.setCurrentWidget(self._collections)

    def export_postman(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        collection = self.tracker.collection or next(iter(self.collections.collections()), None)
        if collection is None:
            self.statusBar().showMessage("There is no collection to export yet.", 8000)
            return
        dialog = QFileDialog(self, f"Export {collection.name} for Postman")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("Postman collection (*.json)")
        dialog.selectFile(f"{collection.name}.postman_collection.json")
        dialog.fileSelected.connect(lambda path: self._export_postman_file(collection, path))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _export_postman_file(self, collection: object, path: str) -> None:
        from explorer.store.postman import write_postman

        try:
            write_postman(collection, Path(path))  # type: ignore[arg-type]
        except StoreError as exc:
            self.statusBar().showMessage(str(exc), 15000)
            return
        self.statusBar().showMessage(f"Exported to {path} (token left empty).", 10000)

    def _run_collection(self, collection: object, folder: str) -> None:
        self.runner.set_target(collection, folder)
        self.runner_dock.show()
        self.runner.run()

    def _close_anyway(self) -> None:
        self.ask_before_close = False
        self.close()

    def show_about(self) -> None:
        from explorer.ui.about_dialog import AboutDialog

        AboutDialog(self).open()  # not exec(): no nested loop inside the asyncio one

    # --- closing ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.ask_before_close and self.tracker.dirty:
            # Unsaved edits are never lost silently: ask first (non-modal), close on the answer.
            event.ignore()
            self._unless_unsaved(self._close_anyway, offer_save=True)
            return
        try:
            self.cancel()
            fetch_all = self._fetch_all.get()
            if fetch_all is not None:
                fetch_all.cancel()
            if self.remember:
                self._save()
        except Exception:  # never let a failed save keep the window open or crash Qt
            log.exception("saving the window state failed")
        super().closeEvent(event)
        self.closed.emit()

