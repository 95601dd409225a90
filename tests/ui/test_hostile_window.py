"""The window facing hostile servers: each ends with the screen updated and words that fit.

The servers are tiny raw-socket ones on 127.0.0.1 (the sandbox never misbehaves like this).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt

from explorer.core.catalog import catalog
from explorer.core.client import make_http_client
from explorer.core.connection import Connection
from explorer.ui.main_window import MainWindow
from tests.core.test_client import raw_server
from tests.ui.test_main_window import choose, send_and_wait

Behaviour = Callable[[socket.socket], None]


def answer(status: str, body: bytes, *headers: str) -> Behaviour:
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", *headers]
    head.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(head) + "\r\n\r\n").encode() + body

    def behaviour(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(data)

    return behaviour


@contextmanager
def window_on(
    qtbot: Any, qloop: Any, tmp_path: Path, behaviour: Behaviour, deadline: float | None = None
) -> Iterator[MainWindow]:
    with raw_server(behaviour) as port:
        http = make_http_client()
        settings = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
        win = MainWindow(catalog(), http, settings)
        qtbot.addWidget(win)
        base = f"http://127.0.0.1:{port}"
        win.set_connection(Connection("Hostile", base, "tok", is_sandbox=True, deadline=deadline))
        win.show()
        qtbot.waitExposed(win)
        choose(win, "contacts", "GET")
        try:
            yield win
        finally:
            win.ask_before_close = False
            win.close()


def test_100000_levels_of_nesting_show_as_text_with_a_note(
    qtbot: Any, qloop: Any, tmp_path: Path
) -> None:
    body = b'{"results": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with window_on(qtbot, qloop, tmp_path, answer("200 OK", body)) as win:
        win.results_table.set_results([{"uuid": "from an earlier page"}])
        outcome = send_and_wait(qtbot, win)
        assert outcome.json_error == "the body nests JSON too deeply to read"
        view = win.response.body
        qtbot.waitUntil(view.is_finished, timeout=5000)
        assert view.note() == (
            "Too deep to show as JSON: more levels of nesting than this app can read. "
            "Shown as received."
        )
        assert not view.is_pretty() and view.row_count() > 0
        assert "too deeply" in win.response.meaning_label.text()
        assert win.statusBar().currentMessage().startswith("200 OK")
        assert win.results_table.row_count() == 0  # the earlier page is not left standing
        win.grab().save("/tmp/hostile-deep.png")


def test_a_next_link_with_a_tab_is_refused_in_the_window(
    qtbot: Any, qloop: Any, tmp_path: Path
) -> None:
    port: list[int] = []

    def page(conn: socket.socket) -> None:
        link = f"http://127.0.0.1:{port[0]}/api/v2/contacts.json?cursor=\tx"  # a real tab
        answer("200 OK", json.dumps({"next": link, "results": [{"a": 1}]}).encode())(conn)

    with window_on(qtbot, qloop, tmp_path, page) as win:
        port.append(int(win.connection.base_url.rsplit(":", 1)[1]))
        assert send_and_wait(qtbot, win).ok
        table = win.results_table
        win.response.tabs.setCurrentWidget(win.current_tab.results_table_slot)
        qtbot.waitUntil(table.next_button.isVisible, timeout=5000)
        assert table.next_button.isEnabled()
        qtbot.mouseClick(table.next_button, Qt.MouseButton.LeftButton)
        meaning = win.response.meaning_label
        qtbot.waitUntil(lambda: "holds a tab, so it is not a valid" in meaning.text(), timeout=5000)
        assert "cursor=\\tx" in meaning.text()  # the tab shown, not a gap
        assert "Not sent" in win.response.status_label.text()
        qtbot.waitUntil(win.send_button.isEnabled, timeout=5000)
        win.grab().save("/tmp/hostile-next-tab.png")


def test_a_dripping_server_is_cut_off_at_the_workspaces_deadline(
    qtbot: Any, qloop: Any, tmp_path: Path
) -> None:
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.is_set():
            conn.sendall(b"X")
            stop.wait(0.2)

    try:
        with window_on(qtbot, qloop, tmp_path, drip, deadline=1.0) as win:
            outcome = send_and_wait(qtbot, win)
            assert outcome.failed
            assert "Stopped after 0:01" in win.response.meaning_label.text()
            assert "No response" in win.response.status_label.text()
            assert win.send_button.isEnabled()
            win.grab().save("/tmp/hostile-drip.png")
    finally:
        stop.set()


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Retry-After: -5", "The server asks to wait 0:00."),
        (None, "The server did not say how long to wait; this app waits 1:00."),
    ],
)
def test_a_429_says_who_chose_the_wait(
    qtbot: Any, qloop: Any, tmp_path: Path, header: str | None, words: str
) -> None:
    behaviour = answer("429 Too Many Requests", b"{}", *([header] if header else []))
    with window_on(qtbot, qloop, tmp_path, behaviour) as win:
        assert send_and_wait(qtbot, win).status == 429
        assert words in win.response.meaning_label.text()
        if header is None:
            win.grab().save("/tmp/hostile-429.png")


def test_a_workspaces_deadline_reaches_its_connection(
    qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path, arun: Any
) -> None:
    from explorer.store.secrets import TokenVault
    from explorer.store.workspaces import Workspace, WorkspaceStore
    from tests.ui.test_connector import _Started, open_window

    vault = TokenVault()
    store = WorkspaceStore(vault=vault)
    store.add(Workspace("Slow", sandbox.base_url, request_deadline_s=600))
    arun(vault.set("Slow", sandbox.token))
    window, _connector, _http = open_window(qtbot, tmp_path, store, vault, _Started(sandbox))
    try:
        index = window.workspace_selector.findText("Slow")
        window.workspace_selector.activated.emit(index)
        qtbot.waitUntil(lambda: window.connection is not None, timeout=5000)
        assert window.connection.name == "Slow" and window.connection.deadline == 600
        choose(window, "contacts", "GET")
        assert send_and_wait(qtbot, window).ok
        pager = window.session.pager  # Next, Previous
        assert pager is not None and pager.connection.deadline == 600
        assert window.request_panel.fetch_all._target.deadline == 600  # and fetch-all
    finally:
        window.close()
