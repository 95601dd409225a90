"""The response pane: status with its meaning, timing and size; body, table, headers, raw."""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QSettings, Qt, Signal
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.ui import errors, status
from explorer.ui.deferred import Deferred
from explorer.ui.filter_line import FilterLine

if TYPE_CHECKING:
    from explorer.core.client import Outcome
    from explorer.core.links import Link, Ref
    from explorer.core.response_filter import Compiled
    from explorer.store.history import HistoryEntry
    from explorer.ui.compare_view import CompareView
    from explorer.ui.json_view import JsonView
    from explorer.ui.kept_responses import KeptResponses

OK_COLOUR, BAD_COLOUR = "#2e7d32", "#c62828"
FILTER_IN_THREAD = 256 * 1024  # bodies bigger than this are filtered on a worker thread
TAB_FRAME = 4  # what the tab page's frame adds around the body's toolbar


class ResponseView(QWidget):
    """Shows one outcome: ``201 Created · 0.12 s · 1.4 kB`` with what it means, and the body.

    The Body tab shows JSON highlighted and indented at any size (:class:`JsonView`);
    Headers lists the response headers; Raw shows the body exactly as received. A 400's
    field errors are listed above the tabs.

    References the catalog types (in the body and the table) open a
    :class:`~explorer.ui.link_menu.LinkMenu`; the request its entry fills in comes out of
    ``link_followed``.

    The filter line above the tabs narrows Body (and, through ``filter_applied``, the table
    and its export) to what a JMESPath expression selects; the last one used on each
    endpoint comes back with its next response.

    Signals:
        link_followed(object, bool): a link's action was chosen: the Draft it fills in, and
            whether a new tab was asked for (False: Ctrl or Shift, this request).
        filter_applied(object): the rows a filter selected (a list), or None when the whole
            response is shown again.
    """

    link_followed = Signal(object, bool)
    filter_applied = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("responseView")
        self.setAccessibleName("Response")
        self.status_label = QLabel("No request sent yet.", self)
        self.status_label.setObjectName("statusLabel")
        self.status_label.setAccessibleName("Response status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)  # text is escaped: never "&#x27;"
        self.meaning_label = QLabel(self)
        self.meaning_label.setObjectName("meaningLabel")
        self.meaning_label.setWordWrap(True)
        self.meaning_label.setTextFormat(Qt.TextFormat.RichText)
        self.errors_label = QLabel(self)
        self.errors_label.setObjectName("fieldErrors")
        self.errors_label.setWordWrap(True)
        self.errors_label.setTextFormat(Qt.TextFormat.RichText)
        self.errors_label.hide()
        # The viewers (and pygments) load with the first response, not at start-up.
        hint = QLabel("Send a request (Ctrl+Enter) and its response appears here.")
        hint.setObjectName("responseHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        hint.setEnabled(False)  # drawn in the palette's muted text colour
        self._body: Deferred[JsonView] = Deferred(self._make_body, placeholder=hint, on_show=False)
        self.link_menu: QMenu | None = None
        self.headers = QTreeWidget(self)
        self.headers.setObjectName("responseHeaders")
        self.headers.setAccessibleName("Response headers")
        self.headers.setHeaderLabels(["Header", "Value"])
        self.headers.setRootIsDecorated(False)
        # The body exactly as received; indexed only when the tab is first looked at.
        self._raw: Deferred[JsonView] = Deferred(
            lambda: _viewer("responseRaw", "Raw response body", pretty=False)
        )
        self._raw_pending: tuple[bytes, str] | None = None
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("responseTabs")
        self.tabs.addTab(self._body, "Body")
        self.tabs.addTab(self.headers, "Headers")
        self.tabs.addTab(self._raw, "Raw")
        self.tabs.currentChanged.connect(self._load_raw_if_shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status_label)
        layout.addWidget(self.meaning_label)
        layout.addWidget(self.errors_label)
        self._build_filter()
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.filter_line, 1)
        row.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        layout.addWidget(self.tabs, 1)
        # The body's toolbar comes with the first response; its width is kept from the start,
        # so the panes do not move when it arrives.
        self.setMinimumWidth(_toolbar_width() + TAB_FRAME)

    def _build_filter(self) -> None:
        self.filter_line = FilterLine(self)
        self.filter_line.filter_requested.connect(self.apply_filter)
        self._filters: dict[str, str] = {}
        self._settings: QSettings | None = None
        self._outcome: Outcome | None = None
        self._endpoint: str | None = None
        self._filter_run = 0  # a newer filter (or response) makes older results stale
        self.compare_button = QToolButton(self)
        self.compare_button.setObjectName("compareButton")
        self.compare_button.setText("Compare…")
        self.compare_button.setToolTip("Compare this response with the one before it")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self.compare_with_previous)
        self._kept: KeptResponses | None = None
        self.compare_view: CompareView | None = None

    def _make_body(self) -> JsonView:
        view = _viewer("responseBody", "Response body")
        view.link_activated.connect(self._body_link)
        return view

    def _body_link(self, link: Link, where: QPoint, in_place: bool) -> None:
        self.show_link_menu(link.ref, link.key, where, in_place=in_place)

    def show_link_menu(self, ref: Ref, key: str, where: QPoint, *, in_place: bool = False) -> None:
        """Open the menu of a reference at a global point (the body's, the table's)."""
        from explorer.ui.link_menu import LinkMenu

        menu = LinkMenu(ref, key, in_place=in_place, parent=self)
        menu.action_chosen.connect(self.link_followed)
        self.link_menu = menu
        menu.destroyed.connect(lambda *_: setattr(self, "link_menu", None))
        menu.open_at(where)

    def show_link_menus(
        self, refs: list[tuple[Ref, str]], where: QPoint, in_place: bool = False
    ) -> None:
        """The menu of a table cell's references: one menu, or one submenu per reference."""
        from explorer.ui.link_menu import LinkMenu

        if len(refs) == 1:
            self.show_link_menu(*refs[0], where, in_place=in_place)
            return
        menu = QMenu(self)
        menu.setObjectName("linkMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for ref, key in refs:
            sub = LinkMenu(ref, key, in_place=in_place, parent=menu)
            sub.setTitle(ref.title)
            sub.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # its parent owns it
            sub.action_chosen.connect(self.link_followed)
            menu.addMenu(sub)
        self.link_menu = menu
        menu.destroyed.connect(lambda *_: setattr(self, "link_menu", None))
        menu.popup(where)

    @property
    def body(self) -> JsonView:
        """The Body tab's viewer (pretty, highlighted)."""
        return self._body.widget()

    @property
    def raw(self) -> JsonView:
        """The Raw tab's viewer: the bytes as received."""
        return self._raw.widget()

    def focus_find(self) -> None:
        """Ctrl+F from anywhere: into the find box of the body shown (Raw if it is shown,
        else Body, switching to it from the Table or Headers)."""
        view = self._find_target()
        self.tabs.setCurrentWidget(self._raw if view is self._raw.get() else self._body)
        view.focus_find()

    def find_next(self) -> None:
        self._find_target().find_next()

    def find_previous(self) -> None:
        self._find_target().find_previous()

    def _find_target(self) -> JsonView:
        if self.tabs.currentWidget() is self._raw:
            return self.raw
        return self.body

    def add_tab(self, widget: QWidget, title: str, index: int = 1) -> None:
        """Extra views of a response (the results table) sit beside the body."""
        self.tabs.insertTab(index, widget, title)

    def show_sending(self, text: str) -> None:
        self.status_label.setText(html.escape(text))
        self.meaning_label.clear()
        self.errors_label.hide()
        # The viewer's modules load now, while the request is on its way, not in the loop
        # turn that shows the response: with a big page that turn has enough to do.
        import explorer.ui.json_view  # noqa: F401

    def show_problem(self, text: str) -> None:
        self.status_label.setText(f"<b style='color:{BAD_COLOUR}'>Not sent</b>")
        self.meaning_label.setText(html.escape(text))
        self.errors_label.hide()

    # --- comparing ----------------------------------------------------------------------------

    def share_kept(self, kept: KeptResponses) -> None:
        """Keep responses in ``kept``, shared with the other tabs: Compare sees them all."""
        self._kept = kept
        self.compare_button.setEnabled(len(kept.last_two()) == 2)

    def keep_response(self, entry: HistoryEntry, outcome: Outcome) -> None:
        """Keep a response in memory (this session only) so history can compare it later."""
        from explorer.ui.kept_responses import KeptResponses

        if self._kept is None:
            self._kept = KeptResponses()
        when = entry.time.astimezone().strftime("%H:%M:%S")
        label = f"{entry.method} {entry.endpoint} at {when} ({outcome.status})"
        self._kept.keep(_entry_key(entry), label, outcome)
        self.compare_button.setEnabled(len(self._kept.last_two()) == 2)

    def compare_with_previous(self) -> CompareView | None:
        """Compare the last two responses of this session."""
        kept = self._kept.last_two() if self._kept is not None else []
        if len(kept) < 2:
            status.show(self, "Send two requests first: Compare shows what changed between them.")
            return None
        return self.compare(kept[0], kept[1])

    def compare_entries(self, first: HistoryEntry, second: HistoryEntry) -> CompareView | None:
        """Compare the responses of two history entries (older on the left)."""
        older, newer = sorted((first, second), key=lambda e: e.time)
        found = [self._kept.get(_entry_key(e)) if self._kept else None for e in (older, newer)]
        missing = [e for e, f in zip((older, newer), found, strict=True) if f is None]
        if missing:
            when = missing[0].time.astimezone().strftime("%d %b %H:%M")
            status.show(
                self,
                f"The response to {missing[0].endpoint} of {when} was not kept: history keeps"
                " requests, and responses only while the app stays open (the last"
                " few). Send it again to compare it with a later one.",
            )
            return None
        return self.compare(found[0], found[1])  # type: ignore[arg-type]

    def compare(self, before: tuple[str, Outcome], after: tuple[str, Outcome]) -> CompareView:
        from explorer.ui.compare_view import CompareView

        if self.compare_view is None:
            self.compare_view = CompareView(self)
        view = self.compare_view
        view.compare(before[1].json, after[1].json, before=before[0], after=after[0])
        view.show()
        view.raise_()
        return view

    # --- the filter ---------------------------------------------------------------------------

    def remember_filters_in(self, settings: QSettings) -> None:
        """Keep the last filter of each endpoint in ``settings`` too (across restarts)."""
        self._settings = settings

    def _remembered(self, endpoint: str | None) -> str:
        if endpoint is None:
            return ""
        if endpoint not in self._filters and self._settings is not None:
            self._filters[endpoint] = str(self._settings.value(f"filters/{endpoint}", "") or "")
        return self._filters.get(endpoint, "")

    def _remember(self, text: str) -> None:
        if self._endpoint is not None:
            self._filters[self._endpoint] = text
            if self._settings is not None:
                self._settings.setValue(f"filters/{self._endpoint}", text)

    def apply_filter(self, text: str) -> None:
        """Show what ``text`` selects of the response ("" shows all of it again)."""
        self._filter_run += 1
        line, outcome = self.filter_line, self._outcome
        self._remember(text)
        if not text:
            line.show_state("")
            if line.applied and outcome is not None:
                line.applied = ""
                self._load_body(outcome)
                self.filter_applied.emit(None)
            return
        from explorer.core.response_filter import FilterError, compile_filter

        try:
            compiled = compile_filter(text)
        except FilterError as exc:
            line.show_error(exc.message, exc.position)
            return
        if outcome is None or outcome.json is None:
            line.show_error("There is no JSON response to filter yet.")
            return
        from explorer.ui.operation import Operation

        run = self._filter_run
        line.show_state("Filtering…")
        work = _filter(compiled, outcome.json, in_thread=outcome.size > FILTER_IN_THREAD)
        Operation(self, work, doing="filtering the response").success(
            lambda result: self._filtered(run, text, result)
        ).failure(lambda exc: self._filter_failed(run, exc)).run()

    def _filtered(self, run: int, text: str, result: tuple[list[object], bytes]) -> None:
        if run != self._filter_run:
            return
        rows, shown = result
        self.filter_line.applied = text
        self.filter_line.show_state(f"{len(rows):,} row{'s' if len(rows) != 1 else ''}")
        self.body.load(shown, content_type="application/json")
        self.filter_applied.emit(rows)

    def _filter_failed(self, run: int, exc: Exception) -> None:
        from explorer.core.response_filter import FilterError

        if run != self._filter_run:
            return
        self.filter_line.show_state("")
        if isinstance(exc, FilterError):
            self.filter_line.show_error(exc.message, exc.position)
        else:
            errors.report(exc, "filtering the response", self)

    def show_outcome(self, outcome: Outcome) -> None:
        from explorer.core.client import human_size  # httpx: loaded by the time there is one

        colour = OK_COLOUR if outcome.ok else BAD_COLOUR
        self._show_errors(outcome)
        if outcome.failed:
            self._outcome = None
            self.status_label.setText(f"<b style='color:{colour}'>No response</b>")
            self.meaning_label.setText(html.escape(f"{outcome.meaning} {outcome.error}".strip()))
            self.body.clear()
            self._set_raw(b"", "")
            self.headers.clear()
            return
        content_type = outcome.content_type or "no content type"
        self.status_label.setText(
            f"<b style='color:{colour}'>{outcome.status} {html.escape(outcome.reason)}</b>"
            f" · {outcome.elapsed:.2f} s · {human_size(outcome.size)} · "
            f"{html.escape(content_type)}"
        )
        meaning = outcome.meaning
        if outcome.retry_after is not None:
            meaning += f" {outcome.wait_advice()}"
        if outcome.detail and not outcome.ok:
            meaning += f" It says: {outcome.detail}"
        if outcome.json_error:
            meaning += f" Note: {outcome.json_error}; shown as text."
        self.meaning_label.setText(html.escape(meaning))
        self.headers.clear()
        for name, value in outcome.headers.multi_items():
            QTreeWidgetItem(self.headers, [name, value])
        self.headers.resizeColumnToContents(0)
        self._load_body(outcome)
        self._set_raw(outcome.content, outcome.headers.get("content-type", ""))
        self._filter_outcome(outcome)

    def _load_body(self, outcome: Outcome) -> None:
        self.body.load(
            outcome.content,
            content_type=outcome.headers.get("content-type", ""),
            endpoint=self._endpoint_of(outcome),
            method=outcome.request.method,
        )

    @staticmethod
    def _endpoint_of(outcome: Outcome) -> str | None:
        from explorer.core.catalog import catalog

        endpoint = catalog().by_path(outcome.request.url.path)
        return endpoint.name if endpoint else None

    def _filter_outcome(self, outcome: Outcome) -> None:
        """A new response: its endpoint's presets, and its last filter applied again."""
        from explorer.core.response_filter import presets_for

        self._filter_run += 1
        self._outcome = outcome
        self._endpoint = self._endpoint_of(outcome)
        line = self.filter_line
        line.applied = ""
        line.show_state("")
        line.set_presets(presets_for(self._endpoint))
        text = self._remembered(self._endpoint)
        line.set_text(text)
        if text and outcome.json is not None:
            self.apply_filter(text)

    def _set_raw(self, content: bytes, content_type: str) -> None:
        self._raw_pending = (content, content_type)
        self._load_raw_if_shown()

    def _load_raw_if_shown(self, *_args: object) -> None:
        if self._raw_pending is not None and self.tabs.currentWidget() is self._raw:
            content, content_type = self._raw_pending
            self._raw_pending = None
            self.raw.load(content, content_type=content_type)

    def _show_errors(self, outcome: Outcome) -> None:
        errors = outcome.field_errors
        if not errors:
            self.errors_label.hide()
            return
        items = "".join(f"<li>{html.escape(str(e))}</li>" for e in errors)
        self.errors_label.setText(
            f"<span style='color:{BAD_COLOUR}'>The server refused these values:</span>"
            f"<ul style='margin:0'>{items}</ul>"
        )
        self.errors_label.show()


def _viewer(name: str, accessible: str, *, pretty: bool = True) -> JsonView:
    from explorer.ui.json_view import JsonView

    view = JsonView()
    # The window's Find menu owns Ctrl+F, F3 and Shift+F3 for the whole window: the view's
    # own keys would make each press ambiguous, and Qt would then run neither.
    for shortcut in view.findChildren(QShortcut):
        shortcut.setEnabled(False)
    view.setObjectName(name)
    view.setAccessibleName(accessible)
    if not pretty:
        view.set_pretty(False)
    return view


async def _filter(
    compiled: Compiled, data: object, *, in_thread: bool
) -> tuple[list[object], bytes]:
    """The rows and the JSON text of what ``compiled`` selects (off the GUI thread if big)."""
    from explorer.core.response_filter import records_of, result_bytes

    def work() -> tuple[list[object], bytes]:
        result = compiled.apply(data)
        return records_of(result) or [], result_bytes(result)

    if not in_thread:
        return work()
    import asyncio

    return await asyncio.to_thread(work)


def _entry_key(entry: HistoryEntry) -> tuple[object, ...]:
    return (entry.time, entry.endpoint, str(entry.method))


@functools.cache
def _toolbar_width() -> int:
    """The body toolbar's least width, measured once (every request tab asks for it)."""
    from explorer.ui.json_toolbar import JsonToolbar

    probe = JsonToolbar()
    width = probe.minimumSizeHint().width()
    probe.deleteLater()
    return width
