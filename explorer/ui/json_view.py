"""A response body viewer that stays fast at any size: pretty or raw, highlighted, searchable.

The body is kept as the bytes received. :class:`~explorer.core.json_text.BodyIndex` finds,
a few milliseconds per loop turn, where each row starts; the view paints only the rows on
screen, tokenising and colouring each when it is first shown. So a 100 MB body shows its
first screen at once, and neither loading, searching nor scrolling blocks the GUI thread
(see tests/benchmarks/bench_json_view.py for the figures).

:class:`JsonView` puts the parts together and drives the work, a slice per loop turn:
indexing, searching and building a big copy. The parts live beside it: the painted text in
:mod:`~explorer.ui.json_body_area`, the controls in :mod:`~explorer.ui.json_toolbar`, the
colours in :mod:`~explorer.ui.json_theme` and the background save in
:mod:`~explorer.ui.body_saver`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from pygments.token import _TokenType
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QLabel, QVBoxLayout, QWidget

from explorer.core.json_text import BodyIndex, Finder, is_json_type, needle_pattern
from explorer.core.links import LinkScanner
from explorer.store.atomic import write_atomic
from explorer.ui.body_saver import BodySaver
from explorer.ui.errors import guarded
from explorer.ui.json_body_area import JsonBodyArea
from explorer.ui.json_toolbar import JsonToolbar

SLICE_S = 0.005
"""Work per loop turn. With painting and Qt's own work a turn stays well under 50 ms."""
UI_EVERY_S = 0.1  # progress, scroll ranges: refreshed this often while work goes on
INDEX_STEP = 16 * 1024
"""Bytes indexed between looks at the clock. Dense bodies (a million ``{"i": 0}``) make
a row every three bytes: 32 kB took 6-10 ms, past a slice's budget on its own."""
SEARCH_STEP = 256 * 1024
SYNC_SEARCH_S = 0.015  # find() searches this long before returning; the rest goes on in slices
COPY_SYNC_ROWS = 20_000  # bigger pretty copies are built in slices
LINK_STEP = 4 * 1024
"""Bytes scanned for references between looks at the clock: each token is a step in
Python, and 16 kB of a dense body (10,000 tokens) took 10 ms, four times its budget."""
# Finding references walks every token of a body in Python: a few seconds for a 14 MB page,
# half a minute and millions of objects (collected on the GUI thread) for 200 MB. Past this,
# a body's references stay text; the Table still opens them.
LINK_LIMIT = 32 * 1024 * 1024


class JsonView(QWidget):
    """Shows a response body, pretty (re-indented) or raw (as received), at any size.

    ``load()`` returns at once: the first screen is painted right away and the rest of the
    body is indexed a few milliseconds per loop turn; a new ``load()`` or ``clear()`` drops
    the previous body's remaining work. JSON is coloured (keys, strings, numbers, literals,
    punctuation); other content types are shown as text, and a body that says it is JSON
    but is not falls back to text with a note saying where it breaks.

    Signals:
        loaded(): the first screen of a body is on screen.
        finished(): the whole body is indexed (and checked, for JSON).
        search_finished(int): a search went through the whole body; the number of matches.
        saved(str): the body was saved to this path.
        save_failed(str): the body could not be saved; a sentence saying why.
        link_activated(object, object, bool): a reference (a Link) was clicked or Entered;
            where its menu goes (a global QPoint); whether to open it in this request.
    """

    loaded = Signal()
    finished = Signal()
    search_finished = Signal(int)
    saved = Signal(str)
    save_failed = Signal(str)
    link_activated = Signal(object, object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jsonView")
        self.setAccessibleName("Response body")
        self._data = b""
        self._content_type = ""
        self._index: BodyIndex | None = None
        self._links: LinkScanner | None = None
        self._links_skipped = False  # a body too big to look for references in
        self._pretty = True
        self._note = ""
        self._copy_job: Iterator[str] | None = None
        self._copy_parts: list[str] = []
        self._loaded_pending = False
        self._finished_sent = True
        self._pending_match = -1
        self._search_text = ""
        self._search_origin = 0
        self._ui_at = 0.0
        # For the benchmark: time.perf_counter() when the last load began, was first painted
        # and was fully indexed.
        self.load_started_at = 0.0
        self.first_paint_at = 0.0
        self.finished_at = 0.0
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._work)
        self._find_timer = QTimer(self)
        self._find_timer.setSingleShot(True)
        self._find_timer.setInterval(200)
        self._find_timer.timeout.connect(self._find_typed)
        self._saver = BodySaver(self)
        self._saver.saved.connect(self._saved)
        self._saver.save_failed.connect(self._save_failed)
        self._show_state()

    def _build(self) -> None:
        self.toolbar = JsonToolbar(self)
        bar = self.toolbar
        # The controls by their old names: the window and the tests reach them so.
        self.pretty_button, self.raw_button = bar.pretty_button, bar.raw_button
        self.find_edit, self.find_count = bar.find_edit, bar.find_count
        self.prev_button, self.next_button = bar.prev_button, bar.next_button
        self.copy_button, self.save_button = bar.copy_button, bar.save_button
        self.status_label = bar.status_label
        self.pretty_button.toggled.connect(self.set_pretty)
        self.find_edit.textEdited.connect(lambda _text: self._find_timer.start())
        bar.next_requested.connect(self.find_next)
        bar.previous_requested.connect(self.find_previous)
        self.copy_button.clicked.connect(self.copy_selection)
        self.save_button.clicked.connect(self.open_save_dialog)
        self.note_label = QLabel(self)
        self.note_label.setObjectName("jsonNote")
        self.note_label.setWordWrap(True)
        self.note_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.area = JsonBodyArea(self)
        self.area.first_painted.connect(self._first_paint)
        self.area.copy_requested.connect(self.copy_selection)
        self.area.link_activated.connect(self.link_activated)
        bar.find_left.connect(self.area.setFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.note_label)
        layout.addWidget(self.area, 1)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (
            (QKeySequence.StandardKey.Find, self.focus_find),
            (QKeySequence.StandardKey.FindNext, self.find_next),
            (QKeySequence.StandardKey.FindPrevious, self.find_previous),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(context)
            shortcut.activated.connect(slot)

    # --- loading ----------------------------------------------------------------------------

    def load(
        self,
        data: bytes,
        *,
        content_type: str = "application/json",
        endpoint: str | None = None,
        method: str = "GET",
    ) -> None:
        """Show a body. Returns at once; ``loaded`` and ``finished`` follow.

        ``endpoint`` and ``method``: what answered, so the catalog's references are links.
        """
        self.load_started_at = time.perf_counter()
        self.first_paint_at = self.finished_at = 0.0
        self._data = data if isinstance(data, bytes) else bytes(data)
        self._content_type = content_type
        media = content_type.split(";", 1)[0].strip()
        is_json = is_json_type(content_type) or (
            not media and self._data.lstrip()[:1] in (b"{", b"[")
        )
        self._copy_job = None
        self._pending_match = -1
        self._index = BodyIndex(self._data, is_json=is_json)
        self.area.placeholder = "No content." if not self._data else ""
        self.area.set_index(self._index, self._pretty and self._index.is_json)
        linked = is_json and len(self._data) <= LINK_LIMIT
        self._links = LinkScanner.for_response(self._data, endpoint if linked else None, method)
        self._links_skipped = is_json and not linked and endpoint is not None
        self.area.links.set_scanner(self._links)
        self._links.advance(LINK_STEP)
        self._finished_sent = False
        self._loaded_pending = True
        self._index_for(SLICE_S)
        self._restart_search()
        self._show_state()
        if not self.area.isVisible():
            self._first_paint()  # nothing will be painted: the first screen is ready
        self._timer.start()

    def clear(self) -> None:
        """Show nothing, and stop any work on the previous body."""
        self._timer.stop()
        self._data = b""
        self._index = None
        self._links = None
        self._copy_job = None
        self._loaded_pending = False
        self._finished_sent = True
        self.area.placeholder = "No body."
        self.area.set_index(None, self._pretty)
        self._search_text = ""
        self.find_edit.clear()
        self._show_state()

    def set_pretty(self, pretty: bool) -> None:
        """Pretty re-indents JSON; raw shows the bytes as received."""
        self._pretty = bool(pretty)
        for button, checked in (
            (self.pretty_button, self._pretty),
            (self.raw_button, not self._pretty),
        ):
            if button.isChecked() != checked:
                button.blockSignals(True)
                button.setChecked(checked)
                button.blockSignals(False)
        index = self._index
        self.area.set_pretty(self._pretty and index is not None and index.is_json)
        self._show_match_count()

    def is_pretty(self) -> bool:
        """Whether rows are shown re-indented (False for raw, text and invalid JSON)."""
        return self.area.pretty and self._index is not None and self._index.is_json

    def body(self) -> bytes:
        """The body as received."""
        return self._data

    def note(self) -> str:
        """The note under the toolbar (why a body is shown as text, a save's outcome)."""
        return self._note

    def is_finished(self) -> bool:
        return self._index is None or self._index.done

    def row_count(self) -> int:
        return self.area.row_count()

    def row_text(self, row: int) -> str:
        """A row's text as shown."""
        return self.area.row(row).text

    def row_spans(self, row: int) -> list[tuple[str, _TokenType]]:
        """A row's coloured runs as (text, pygments token type)."""
        r = self.area.row(row)
        return [(r.text[a:b], kind) for a, b, kind in r.spans]

    def token_colour(self, kind: _TokenType) -> QColor:
        return self.area.theme.tokens.get(kind, self.area.theme.text)

    def top_row(self) -> int:
        return self.area.top_row()

    def _first_paint(self) -> None:
        # Called from paintEvent: emit on the next turn, so no slot runs inside a paint.
        if self._loaded_pending:
            self._loaded_pending = False
            self.first_paint_at = time.perf_counter()
            QTimer.singleShot(0, self.loaded.emit)

    def _index_for(self, seconds: float) -> None:
        index = self._index
        if index is None or index.done:
            return
        deadline = time.perf_counter() + seconds
        while not index.advance(INDEX_STEP) and time.perf_counter() < deadline:
            pass
        area = self.area
        rows = index.row_count(area.pretty)
        needed = area.top_row() + area.page_rows() + 1 >= rows  # rows on screen were missing
        now = time.perf_counter()
        if needed or index.done or now - self._ui_at >= UI_EVERY_S:
            # Repainting scroll bars and labels costs Qt time too: not on every turn.
            self._ui_at = now
            area.index_grew()
            if needed or index.done:
                area.viewport().update()
            self._show_state()
        if self._pending_match >= 0:
            self._show_match(self._pending_match)

    @guarded("working through the response body")
    def _work(self) -> None:
        """One loop turn's worth of indexing, searching and copying."""
        index = self._index
        more = False
        if index is not None and not index.done:
            was_json = index.is_json
            self._index_for(SLICE_S / 2 if self._searching() else SLICE_S)
            if was_json and not index.is_json:
                self.area.set_index(index, False)  # not JSON after all: show it as text
                self._restart_search()
            more = not index.done
            if index.done:
                self.area.viewport().update()
        links = self._links
        if links is not None and not links.done:
            self._scan_links(links)
            more = more or not links.done
        if self._searching():
            self._search_for(SLICE_S / 2 if more else SLICE_S)
            more = more or self._searching()
        if self._copy_job is not None:
            self._copy_for(SLICE_S)
            more = more or self._copy_job is not None
            if self._copy_job is None:
                self._show_state()
        links_done = self._links is None or self._links.done
        if index is not None and index.done and links_done and not self._finished_sent:
            self._finished_sent = True
            self.finished_at = time.perf_counter()
            self.finished.emit()
        if more:
            self._timer.start()

    def _scan_links(self, links: LinkScanner) -> None:
        deadline = time.perf_counter() + SLICE_S / 2
        before = len(links.links)
        while not links.advance(LINK_STEP) and time.perf_counter() < deadline:
            pass
        if len(links.links) != before or links.done:
            self.area.viewport().update()  # links on screen are drawn as links now

    def links(self) -> LinkScanner | None:
        """The references found in the body (so far: see ``LinkScanner.done``)."""
        return self._links

    def _show_state(self) -> None:
        index = self._index
        is_json = index is not None and index.is_json
        self.pretty_button.setEnabled(is_json)
        self.raw_button.setEnabled(is_json)
        has_body = bool(self._data)
        self.copy_button.setEnabled(has_body)
        self.save_button.setEnabled(has_body)
        note = ""
        if index is not None and index.error:
            what = "Too deep to show as JSON" if index.too_deep else "Not valid JSON"
            note = f"{what}: {index.error}. Shown as received."
        elif self._links_skipped:
            note = (
                f"References are not links in a body this big (over {LINK_LIMIT >> 20} MB): "
                "open them from the Table, or ask for a smaller page."
            )
        self._set_note(note, keep_save_note=True)
        status = ""
        if index is not None and not index.done and index.size:
            status = f"Indexing… {100 * index.scanned // index.size} %"
        elif self._copy_job is not None:
            status = "Copying…"
        if self.status_label.text() != status:
            self.status_label.setText(status)

    def _set_note(self, text: str, *, keep_save_note: bool = False) -> None:
        if keep_save_note and not text and self._note.startswith(("Saved", "Could not")):
            return
        if text != self._note:
            self._note = text
            self.note_label.setText(text)
            self.note_label.setVisible(bool(text))

    # --- find -------------------------------------------------------------------------------

    def focus_find(self) -> None:
        self.find_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_edit.selectAll()

    def find(self, text: str) -> int:
        """Search the whole body for ``text`` and go to the first match from the caret on.

        Returns the number of matches; for a body too big to search in one go this is the
        count so far, the search goes on in slices and ``search_finished`` gives the total.
        """
        if self.find_edit.text() != text:
            self.find_edit.setText(text)
        self._find_timer.stop()
        self._search_text = text
        self._restart_search()
        self._search_for(SYNC_SEARCH_S)
        finder = self.area.finder
        if self._searching():
            self._timer.start()
        self._show_match_count()
        return finder.count if finder is not None else 0

    @guarded("finding in the response body")
    def _find_typed(self) -> None:
        self.find(self.find_edit.text())

    def find_next(self) -> None:
        self._step_match(1)

    def find_previous(self) -> None:
        self._step_match(-1)

    def match_count(self) -> int:
        return self.area.finder.count if self.area.finder is not None else 0

    def current_match(self) -> int:
        """1-based number of the current match, 0 when there is none."""
        return self.area.current_match + 1

    def _step_match(self, step: int) -> None:
        if self.find_edit.text() != self._search_text:
            self.find(self.find_edit.text())
            return
        finder = self.area.finder
        if finder is None or not finder.count:
            return
        i = self.area.current_match
        i = (i + step) % finder.count if i >= 0 else 0
        self._show_match(i)
        self._show_match_count()

    def _restart_search(self) -> None:
        pattern = needle_pattern(self._search_text) if self._search_text else None
        index = self._index
        area = self.area
        sel = area.selection()
        # Matches are looked for from the caret (or a selection's start) on, then wrap around.
        self._search_origin = (
            area.offset_at(sel[0] if sel else area.caret)
            if (index is not None and area.row_count())
            else 0
        )
        self.area.finder = Finder(index.data, pattern) if pattern and index is not None else None
        self.area.current_match = -1
        self._pending_match = -1
        self.area.viewport().update()

    def _searching(self) -> bool:
        finder = self.area.finder
        return finder is not None and not finder.done

    def _search_for(self, seconds: float) -> None:
        finder = self.area.finder
        if finder is None or finder.done:
            return
        deadline = time.perf_counter() + seconds
        while not finder.advance(SEARCH_STEP) and time.perf_counter() < deadline:
            pass
        if finder.count and self.area.current_match < 0 and self._pending_match < 0:
            first = finder.index_at_or_after(self._search_origin)
            if first < finder.count:
                self._show_match(first)
            elif finder.done:
                self._show_match(0)
        if finder.done:
            self.search_finished.emit(finder.count)
        self._show_match_count()
        self.area.viewport().update()

    def _show_match(self, i: int) -> None:
        """Select match ``i`` and scroll to it (once the index reaches it)."""
        finder = self.area.finder
        index = self._index
        if finder is None or index is None or not 0 <= i < finder.count:
            return
        a, b = finder.starts[i], finder.ends[i]
        self.area.current_match = i
        rows = index.row_count(self.area.pretty)
        reach = index.row_span(self.area.pretty, rows - 1)[1] if rows else 0
        if not index.done and b > reach:
            self._pending_match = i  # shown when indexing gets there
            return
        self._pending_match = -1
        self.area.anchor = self.area.pos_at_offset(a)
        self.area.caret = self.area.pos_at_offset(b)
        self.area.ensure_visible(self.area.anchor, center=True)
        self.area.viewport().update()

    def _show_match_count(self) -> None:
        finder = self.area.finder
        if finder is None:
            text = ""
        elif not finder.count:
            text = "No matches" if finder.done else "Searching…"
        else:
            more = "+" if (not finder.done or finder.capped) else ""
            text = f"{max(0, self.area.current_match) + 1:,} of {finder.count:,}{more}"
        if self.find_count.text() != text:
            self.find_count.setText(text)

    # --- copy and save ----------------------------------------------------------------------

    def text_for_copy(self) -> str:
        """The selected text, or the whole body as shown when nothing is selected.

        Pretty text is re-indented; raw text is the body's bytes as received. Built here and
        now: for a big pretty body prefer :meth:`copy_selection`, which builds it in slices.
        """
        return "".join(self._copy_pieces())

    def _copy_pieces(self) -> Iterator[str]:
        area = self.area
        if self._index is None or not area.row_count():
            return iter(())
        sel = area.selection()
        if sel is not None:
            return area.iter_text(*sel)
        if not area.pretty:
            return iter((self._data.decode("utf-8", "replace"),))
        last = area.row_count() - 1
        return area.iter_text((0, 0), (last, len(area.row(last).text)))

    def copy_selection(self) -> None:
        """Put the selection (or the whole body) on the clipboard, in slices when it is big."""
        area = self.area
        if self._index is None or not area.row_count():
            return
        sel = area.selection()
        rows = (sel[1][0] - sel[0][0]) if sel else area.row_count()
        if not area.pretty or rows < COPY_SYNC_ROWS:
            QGuiApplication.clipboard().setText(self.text_for_copy())
            return
        self._copy_job = self._copy_pieces()
        self._copy_parts = []
        self._show_state()
        self._timer.start()

    def _copy_for(self, seconds: float) -> None:
        job = self._copy_job
        if job is None:
            return
        deadline = time.perf_counter() + seconds
        parts = self._copy_parts
        for piece in job:
            parts.append(piece)
            if len(parts) % 256 == 0 and time.perf_counter() > deadline:
                return
        self._copy_job = None
        QGuiApplication.clipboard().setText("".join(parts))
        self._copy_parts = []

    def save_to(self, path: str | Path) -> None:
        """Write the body as received to ``path``, atomically. Raises StoreError."""
        write_atomic(Path(path), self._data)

    def open_save_dialog(self) -> None:
        """Ask where to save (a non-modal dialog); the body is then written in the background."""
        suffix = "json" if is_json_type(self._content_type) else "txt"
        dialog = QFileDialog(self, "Save response body")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix)
        dialog.selectFile(f"response.{suffix}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.save_in_background)
        dialog.open()

    def save_in_background(self, path: str) -> None:
        """Save the body to ``path`` on a worker thread; ``saved``/``save_failed`` follow."""
        self._saver.save(path, self._data)

    def _saved(self, path: str) -> None:
        self._set_note(f"Saved to {path}.")
        self.saved.emit(path)

    def _save_failed(self, error: str) -> None:
        self._set_note(error)
        self.save_failed.emit(error)
