"""The request side of the window: one request's editors, docs, preview and Send.

A :class:`RequestPanel` shows one :class:`~explorer.ui.request_session.RequestSession`:
the endpoint's title and methods, the Form, Raw and Fetch-all tabs, the docs, the preview,
the copy menu, Send and Cancel, the rate-limit banner and the reason Send is off. Whatever
the editors hold goes to the session; what the session makes of it comes back here.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabBar,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from explorer.core.catalog import Catalog, HttpMethod
from explorer.core.catalog_text import method_html
from explorer.core.errors import ValidationErrors
from explorer.core.request import Draft, as_written, is_unset, preview_text
from explorer.ui import status
from explorer.ui.deferred import Deferred
from explorer.ui.dirty_tracker import DirtyTracker
from explorer.ui.rate_limit_banner import RateLimitBanner
from explorer.ui.raw_editor import RawEditor
from explorer.ui.request_form import RequestForm
from explorer.ui.request_session import RequestSession
from explorer.ui.workspace_data import WorkspaceData

if TYPE_CHECKING:
    from explorer.core.client import Outcome
    from explorer.core.connection import Connection
    from explorer.core.request import Prepared
    from explorer.ui.fetch_all_panel import FetchAllPanel

log = logging.getLogger(__name__)

SNIPPETS = (("curl", "&curl"), ("httpx", "Python &httpx"), ("temba", "&TembaClient"))


NO_PREVIEW = (
    "The request appears here exactly as it will be sent once it can be sent; "
    "what stops it now is said beside Send."
)


def compact_width(button: QPushButton) -> int:
    """The least width that still shows all of ``button``'s words (and its menu arrow)."""
    extra = 34 if button.menu() is not None else 16
    return button.fontMetrics().horizontalAdvance(button.text().replace("&", "")) + extra


class RequestPanel(QWidget):
    """The editors and controls of one request, subscribed to its session.

    Signals:
        endpoint_shown(str, str): the editors now hold this endpoint and method.
        bulk_requested(str, str): the user asked to send this endpoint and method once for
            each row of a file.
    """

    endpoint_shown = Signal(str, str)
    bulk_requested = Signal(str, str)

    def __init__(
        self, catalog: Catalog, session: RequestSession, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.session = session
        self.endpoint_name: str | None = None
        self.preferred_method = "GET"  # a new endpoint opens on this method when it has it
        self._extra_params: dict[str, object] = {}
        self._extra_body: dict[str, object] = {}
        self.tracker = DirtyTracker(self)
        self._build()
        self.workspace_data = WorkspaceData(self.form, self)
        self._connect()

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setObjectName("requestTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.method_selector = QTabBar()
        self.method_selector.setObjectName("methodSelector")
        self.method_selector.setAccessibleName("Method")
        self.method_selector.setExpanding(False)
        self.docs = _docs_browser()
        self.form = RequestForm()
        self.raw = RawEditor()
        self.request_tabs = QTabWidget()
        self.request_tabs.addTab(self.form, "For&m")
        self.request_tabs.addTab(self.raw, "&Raw")
        self._fetch_all: Deferred[FetchAllPanel] = Deferred(self._make_fetch_all)
        self._fetch_all_tab = self.request_tabs.addTab(self._fetch_all, "Fetch &all")
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("requestPreview")
        self.preview.setAccessibleName("Request preview")
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.send_problem = QLabel()
        self.send_problem.setObjectName("sendProblem")
        self.send_problem.setWordWrap(True)
        self.send_problem.setTextFormat(Qt.TextFormat.PlainText)  # one problem per line
        self.rate_limit_banner = RateLimitBanner()
        self._build_buttons()
        self._lay_out()

    def _build_buttons(self) -> None:
        # One "Copy as" menu, not three buttons: the row must fit a 1280-pixel window.
        self.copy_button = QPushButton("Co&py as")
        self.copy_button.setObjectName("copyAsButton")
        self.copy_button.setToolTip("Copy this request as a command or code to run elsewhere")
        menu = QMenu(self.copy_button)
        self.copy_actions: dict[str, QAction] = {}
        for kind, text in SNIPPETS:
            action = menu.addAction(text)
            action.triggered.connect(lambda _checked=False, k=kind: self.copy(k))
            self.copy_actions[kind] = action
        self.copy_button.setMenu(menu)
        self.copy_curl, self.copy_httpx, self.copy_temba = self.copy_actions.values()
        self.send_as_written = QPushButton("Sen&d as written")
        self.send_as_written.setObjectName("sendAsWrittenButton")
        self.send_as_written.setToolTip(
            "Send the Raw text exactly as typed, even where it fails the app's checks, "
            "to see what the server answers (Ctrl+Shift+Enter)"
        )
        self.send_button = QPushButton("&Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setAccessibleName("Send request")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAccessibleName("Cancel request")
        self.cancel_button.setToolTip("Cancel (Esc)")
        self.cancel_button.setEnabled(False)
        self.bulk_button = QPushButton("For ea&ch row…")
        self.bulk_button.setObjectName("bulkButton")
        self.bulk_button.setAccessibleName("Send for each row of a file")
        self.bulk_button.setToolTip(
            "Send for each row of a file…: one request per row of a CSV or Excel file, "
            "checked first"
        )
        # Short, so the row fits a 1024-pixel window; the tooltip says what it does.
        self.auto_retry = QCheckBox("Auto-retry")
        self.auto_retry.setObjectName("autoRetry")
        self.auto_retry.setAccessibleName("Retry after a rate limit")
        self.auto_retry.setToolTip(
            "When the server says the rate limit is reached (429), send the same request "
            "again by itself once it says you may"
        )

    def _lay_out(self) -> None:
        # "Send as written" belongs to the Raw text: it sits under it, so the row below keeps
        # one width in Form and Raw and never widens the pane (and the window). Buttons give
        # up their style's padding before their words when the pane is narrow.
        written = QHBoxLayout()
        written.addStretch(1)
        written.addWidget(self.send_as_written)
        self.raw.layout().addLayout(written)
        for button in (self.copy_button, self.send_as_written, self.cancel_button,
                       self.bulk_button):
            button.setMinimumWidth(compact_width(button))
        self.send_button.setMinimumWidth(compact_width(self.send_button))
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.auto_retry)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.title)
        # Beside the methods, not among the buttons below: that row must fit 1024 pixels.
        methods = QHBoxLayout()
        methods.addWidget(self.method_selector)
        methods.addStretch(1)
        methods.addWidget(self.bulk_button)
        layout.addLayout(methods)
        self.request_splitter = QSplitter(Qt.Orientation.Vertical)
        self.request_splitter.setObjectName("requestSplitter")
        self.docs_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.docs_splitter.setObjectName("docsSplitter")
        self.docs_splitter.addWidget(self.request_tabs)
        self.docs_splitter.addWidget(self.docs)
        self.docs_splitter.setStretchFactor(0, 3)
        self.docs_splitter.setStretchFactor(1, 2)
        self.docs.setMinimumWidth(150)  # collapsible: a narrow window gives the form the room
        self.docs_splitter.setSizes([440, 300])
        self.request_splitter.addWidget(self.docs_splitter)
        self.request_splitter.addWidget(self.preview)
        self.request_splitter.setStretchFactor(0, 3)
        self.request_splitter.setStretchFactor(1, 1)
        layout.addWidget(self.request_splitter, 1)
        layout.addWidget(self.rate_limit_banner)
        layout.addWidget(self.send_problem)
        layout.addLayout(buttons)

    def _connect(self) -> None:
        s = self.session
        self.method_selector.currentChanged.connect(self._on_method)
        self.form.draft_changed.connect(self.refresh)
        self.form.draft_changed.connect(lambda: self.tracker.update(self.form.draft()))
        self.raw.raw_edited.connect(self._on_raw_edited)
        self.raw.unreadable_changed.connect(lambda _reason: self.refresh())
        self.request_tabs.currentChanged.connect(lambda _i: self._update_send_state())
        self.send_button.clicked.connect(self.send)
        self.send_as_written.clicked.connect(self.send_written)
        self.bulk_button.clicked.connect(
            lambda: self.bulk_requested.emit(self.endpoint_name or "", self.form.method.value)
        )
        self.cancel_button.clicked.connect(s.cancel)
        self.auto_retry.toggled.connect(lambda on: setattr(s, "auto_retry", on))
        self.rate_limit_banner.remaining_changed.connect(lambda _s: self._update_send_state())
        s.prepared_changed.connect(self._on_prepared)
        s.outcome_arrived.connect(self._show_server_errors)
        s.busy_changed.connect(lambda _busy: self._update_send_state())
        s.wait_ticked.connect(self.rate_limit_banner.follow)  # core's countdown, shown
        s.wait_ended.connect(self.rate_limit_banner.finish)
        s.wait_ended.connect(self._update_send_state)
        s.retry_cancelled.connect(self._update_send_state)
        s.retry_cancelled.connect(
            lambda: status.show(self, "Retry cancelled: nothing is sent again by itself.")
        )

    # --- endpoint and method --------------------------------------------------------------------

    def show_endpoint(self, name: str) -> None:
        """A new, unsaved request on endpoint ``name`` (its remembered method, else the first)."""
        self.tracker.set_saved(None)  # open_saved names its own after this
        self.endpoint_name = name
        endpoint = self.catalog[name]
        self.method_selector.blockSignals(True)
        while self.method_selector.count():
            self.method_selector.removeTab(0)
        for method in endpoint.method_names:
            self.method_selector.addTab(method.value)
        names = [m.value for m in endpoint.method_names]
        wanted = self.preferred_method
        self.method_selector.setCurrentIndex(names.index(wanted) if wanted in names else 0)
        self.method_selector.blockSignals(False)
        self._on_method(self.method_selector.currentIndex())

    def _on_method(self, index: int) -> None:
        if self.endpoint_name is None or index < 0:
            return
        endpoint = self.catalog[self.endpoint_name]
        method = endpoint.method_names[index]
        spec = endpoint.method(method)
        deprecated = (
            " <span style='color:#9e9e9e'>(deprecated)</span>" if endpoint.deprecated else ""
        )
        self.title.setText(
            f"<b>{html.escape(spec.title)}</b>{deprecated}<br>"
            f"<code>{method.value} {html.escape(endpoint.path)}</code>"
        )
        self.docs.setHtml(method_html(endpoint, spec))
        self.raw.set_has_body(bool(spec.fields))
        self.bulk_button.setVisible(method is HttpMethod.POST)
        self._extra_params, self._extra_body = {}, {}
        self.form.load(endpoint, method)
        running = (panel := self._fetch_all.get()) is not None and panel.running
        self.request_tabs.setTabVisible(self._fetch_all_tab, spec.is_listing or running)
        self.workspace_data.form_loaded()
        self.endpoint_shown.emit(endpoint.name, method.value)

    def select_method(self, method: HttpMethod) -> None:
        names = [self.method_selector.tabText(i) for i in range(self.method_selector.count())]
        if method.value in names:
            self.method_selector.setCurrentIndex(names.index(method.value))

    # --- what the editors hold ------------------------------------------------------------------

    def draft(self) -> Draft:
        """The form's values, with names typed in Raw that the form has no editor for (so
        validation reports them: "contacts GET has no parameter called 'grup'")."""
        draft = self.form.draft()
        draft.params.update(self._extra_params)
        draft.body.update(self._extra_body)
        return draft

    def refresh(self) -> None:
        """Hand what the editors hold to the session."""
        if self.form.endpoint is None:
            return
        self.session.take_draft(
            self.draft(), collection=self.tracker.collection, unreadable=self.raw.unreadable
        )

    def _on_raw_edited(self, params: dict[str, Any], body: dict[str, Any]) -> None:
        """Raw text was read: the form takes it; names it has no editor for are reported."""
        self._extra_params = {k: v for k, v in params.items() if k not in self.form.params}
        self._extra_body = {k: v for k, v in body.items() if k not in self.form.fields}
        self.form.set_values(params, body)

    def _on_prepared(self) -> None:
        s = self.session
        if s.errors is not None:
            # Inline marks only where the user has typed something: an untouched form is not
            # a wall of red. What is still missing is said beside Send.
            typed = [e for e in s.errors if self._typed(e.path[0] if e.path else "")]
            self.form.show_errors(ValidationErrors(typed))
        else:
            self.form.show_errors(None)
        if self.raw.unreadable:
            self.form.show_unusable_raw(self.raw.unreadable)
        if s.draft is not None:
            self.raw.show_draft(s.draft)
        self._update_preview()
        self._update_send_state()
        self.sync_fetch_all()

    def _show_server_errors(self, outcome: Outcome) -> None:
        """A 400's field errors go beside the fields they name; the rest above the form."""
        field_messages: dict[str, list[str]] = {}
        for error in outcome.field_errors:
            if error.field:
                field_messages.setdefault(error.field, []).append(str(error))
        if outcome.field_errors:
            general = [str(e) for e in outcome.field_errors if not e.field]
            self.form.show_errors(None, field_messages={**field_messages, "": general})

    def _typed(self, name: object) -> bool:
        editor = self.form.editor(str(name))
        return editor is None or not is_unset(editor.value())

    def _update_preview(self) -> None:
        s = self.session
        copyable = s.prepared is not None or s.draft is not None
        for action in self.copy_actions.values():
            action.setEnabled(copyable)
        if s.prepared is None:
            # What stops it is said once, beside Send, not again here.
            self.preview.setPlainText(NO_PREVIEW)
            return
        # Until a workspace is connected its address is not known: the path alone.
        base = s.connection.base_url if s.connection else ""
        has_token = bool(s.connection and s.connection.token)
        self.preview.setPlainText(preview_text(base, s.prepared, has_token=has_token))
        from explorer.core import snippets

        temba = self.copy_actions["temba"]
        try:
            snippets.temba_client(base, s.prepared)
        except snippets.NoClientMethod as exc:
            temba.setEnabled(False)
            temba.setToolTip(str(exc))
        else:
            temba.setToolTip("")

    def _update_send_state(self) -> None:
        s = self.session
        problem = s.blocked_by()
        if s.waiting:
            self.send_button.setText(f"Send ({self.rate_limit_banner.remaining} s)")
        else:
            self.send_button.setText("&Send")
        self.send_button.setEnabled(not problem)
        # A send in flight is said by the response pane; beside Send, only what blocks it.
        self.send_problem.setText("" if s.busy and not s.waiting else problem)
        self.send_button.setToolTip(problem or "Send (Ctrl+Enter)")
        in_raw = self.request_tabs.currentWidget() is self.raw
        self.send_as_written.setVisible(in_raw)
        written_ok = s.connection is not None and not s.busy and not s.waiting
        self.send_as_written.setEnabled(in_raw and written_ok)
        self.cancel_button.setEnabled(s.busy or s.retry_pending)

    # --- commands --------------------------------------------------------------------------------

    def send(self) -> None:
        """Send the request (the button, Ctrl+Enter): only what passes the app's checks."""
        self.raw.flush()  # text typed a moment ago is what the user means to send
        self.session.send()

    def send_written(self) -> None:
        """Send the Raw text as typed (Ctrl+Shift+Enter), after saying which checks it fails."""
        self.raw.flush()
        if self.raw.unreadable:
            status.show(self, f"Not sent: {self.raw.unreadable}")
            return
        s = self.session
        fails = "; ".join(str(e) for e in s.errors) if s.errors is not None else ""
        s.send_as_written(self.draft(), fails=fails)

    def copy(self, kind: str) -> None:
        """Copy the request as curl, httpx or TembaClient code (the token never included)."""
        from explorer.core import snippets

        s = self.session
        prepared: Prepared | None = s.prepared
        unchecked = prepared is None
        if prepared is None:
            if s.draft is None:
                return
            prepared = as_written(s.draft)
        base = s.connection.base_url if s.connection else "https://app.rapidpro.io"
        make = {"curl": snippets.curl, "httpx": snippets.httpx_snippet}.get(kind)
        text = (make or snippets.temba_client)(base, prepared)
        if unchecked:
            text = f"# Does not pass RapidPro Explorer's checks: {s.problem}\n{text}"
        QGuiApplication.clipboard().setText(text)
        name = dict(SNIPPETS)[kind].replace("&", "")
        note = " It does not pass the app's checks." if unchecked else ""
        status.show(self, f"Copied the request as {name} (token left as $RAPIDPRO_TOKEN).{note}")

    # --- the workspace ---------------------------------------------------------------------------

    def set_connection(self, connection: Connection | None, *, waiting_for: str = "") -> None:
        """Requests go to ``connection`` (None, with why, while one is being connected)."""
        self.workspace_data.use(connection, self.session.http)
        self.session.set_connection(connection, waiting_for=waiting_for)
        if self.session.draft is None:
            self.refresh()

    # --- fetch-all, built on first need ----------------------------------------------------------

    @property
    def fetch_all(self) -> FetchAllPanel:
        return self._fetch_all.widget()

    def _make_fetch_all(self) -> FetchAllPanel:
        from explorer.ui.fetch_all_panel import FetchAllPanel

        panel = FetchAllPanel()
        panel.set_http(self.session.http)
        panel.waiting.connect(self.session.hold)  # the same workspace: Send waits as well
        panel.finished.connect(lambda path: status.show(self, f"Fetched everything into {path}"))
        panel.failed.connect(lambda why: status.show(self, why))
        self._sync(panel)
        return panel

    def sync_fetch_all(self) -> None:
        panel = self._fetch_all.get()
        if panel is not None:
            self._sync(panel)

    def _sync(self, panel: FetchAllPanel) -> None:
        """Fetch-all follows the request in the editor and the workspace in use."""
        panel.set_request(self.session.prepared, self.session.connection)

    def set_http(self, http: object) -> None:
        self.session.http = http  # type: ignore[assignment]
        panel = self._fetch_all.get()
        if panel is not None:
            panel.set_http(http)  # type: ignore[arg-type]

    def close_down(self) -> None:
        """The window is closing: stop the send, the wait and fetch-all."""
        self.session.close()
        panel = self._fetch_all.get()
        if panel is not None:
            panel.cancel()


def _docs_browser() -> QTextBrowser:
    # A text browser lays the docs out once per width; a word-wrapped label in a scroll
    # area laid them out again for every size the layout asked about (15 ms a switch).
    docs = QTextBrowser()
    docs.setObjectName("endpointDocs")
    docs.setAccessibleName("Endpoint documentation")
    docs.setFrameShape(QTextBrowser.Shape.NoFrame)
    docs.setOpenLinks(False)
    # On the window's own background, in any colour scheme. (Not through viewport():
    # its first call makes PySide6 set up every widget class, ~30 ms before the first paint.)
    palette = docs.palette()
    palette.setBrush(QPalette.ColorRole.Base, Qt.GlobalColor.transparent)
    docs.setPalette(palette)
    docs.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return docs
