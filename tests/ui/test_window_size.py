"""The window keeps the size and the layout the user gave it, whatever the responses hold,
and its panes fit the width it has, down to a 1024 px screen."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QLineEdit, QToolButton, QWidget

from explorer.core.catalog import catalog
from explorer.core.client import make_http_client
from explorer.core.connection import Connection
from explorer.ui.main_window import MainWindow
from tests.ui.test_main_window import choose, send_and_wait


@pytest.fixture
def small_window(qtbot: Any, qloop: Any, sandbox: Any, tmp_path: Path, request: Any) -> Any:
    http = make_http_client()
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    win = MainWindow(catalog(), http, settings)
    qtbot.addWidget(win)
    win.set_connection(Connection("Sandbox", sandbox.base_url, sandbox.token, is_sandbox=True))
    win.resize(*request.param)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.ask_before_close = False
    win.remember = False
    win.close()
    qloop.run_until_complete(http.aclose()) if not qloop.is_running() else None


def clipped(win: MainWindow) -> list[str]:
    """Visible buttons, labels and boxes drawn narrower than their text needs."""
    found = []
    for widget in win.findChildren(QWidget):
        if not widget.isVisible() or widget.width() <= 0:
            continue
        if isinstance(widget, QToolButton | QLineEdit) or (
            isinstance(widget, QLabel) and not widget.wordWrap() and widget.text()
        ):
            needed = widget.minimumSizeHint().width()
            if widget.width() + 1 < needed:
                name = widget.objectName() or type(widget).__name__
                owner = widget.parentWidget()
                while owner is not None and not owner.objectName():
                    owner = owner.parentWidget()
                where = owner.objectName() if owner else "?"
                found.append(f"{name} in {where}: {widget.width()}<{needed}")
    return found


def panes(win: MainWindow) -> list[int]:
    """The endpoint list, the request and the response, as wide as they are drawn."""
    return [win.splitter.sizes()[0], *win.current_tab.splitter.sizes()]


SIZES = [(1280, 800), (1024, 640)]


@pytest.mark.parametrize("small_window", SIZES, indirect=True, ids=["1280x800", "1024x640"])
def test_responses_never_resize_the_window_or_move_its_splitters(
    small_window: MainWindow, qtbot: Any
) -> None:
    win = small_window
    size = win.size()
    sizes = panes(win)
    assert sizes[0] >= 200 and all(s > 0 for s in sizes), sizes
    choose(win, "contacts", "GET")
    send_and_wait(qtbot, win)  # a page: the body's viewer and its toolbar appear
    choose(win, "contacts", "POST")
    phone = f"tel:+25078{uuid.uuid4().int % 10**7:07d}"
    win.form.set_values({}, {"name": "Window Size", "urns": [phone]})
    assert send_and_wait(qtbot, win).status == 201
    choose(win, "runs", "GET")
    send_and_wait(qtbot, win)
    win.response.tabs.setCurrentIndex(1)  # the Table
    qtbot.wait(20)
    assert win.size() == size
    assert panes(win) == sizes
    assert clipped(win) == []


@pytest.mark.parametrize("small_window", [(1024, 640)], indirect=True, ids=["1024x640"])
def test_the_default_layout_follows_the_window_until_a_splitter_is_dragged(
    small_window: MainWindow, qtbot: Any
) -> None:
    win = small_window
    narrow = panes(win)
    win.resize(1600, 900)
    qtbot.wait(20)
    wide = panes(win)
    assert wide[0] > narrow[0] and wide[1] > narrow[1]  # room goes to the list and the form
    win.splitter.moveSplitter(250, 1)  # the person's own layout from now on
    dragged = panes(win)
    win.resize(1400, 900)
    qtbot.wait(20)
    assert panes(win)[0] == dragged[0]
