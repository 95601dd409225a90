"""The focus ring: where the keyboard is shows on every control, in light and dark palettes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPushButton, QTabBar, QVBoxLayout, QWidget

from explorer.ui.focus_ring import FocusRingFollower, follow_focus, ring_colour

LIGHT = {"Window": "#efefef", "Base": "#ffffff", "Button": "#efefef", "Highlight": "#308cc6"}
# A dark theme whose highlight is a dark blue: on its own it would hardly show.
DARK = {
    "Window": "#2b2b2b",
    "WindowText": "#e0e0e0",
    "Base": "#1e1e1e",
    "Text": "#e0e0e0",
    "Button": "#353535",
    "ButtonText": "#e0e0e0",
    "Highlight": "#2a4a6a",
}


def palette(colours: dict[str, str]) -> QPalette:
    result = QPalette()
    for role, colour in colours.items():
        result.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    return result


@pytest.fixture
def follower(qapp: Any) -> Iterator[FocusRingFollower]:
    ring = follow_focus(qapp)
    yield ring
    ring.stop()


@pytest.mark.parametrize("colours", [LIGHT, DARK], ids=["light", "dark"])
def test_tab_puts_a_ring_around_each_kind_of_control(
    qtbot: Any, follower: FocusRingFollower, colours: dict[str, str]
) -> None:
    window = QWidget()
    window.setPalette(palette(colours))
    layout = QVBoxLayout(window)
    button, line, check, tabs = QPushButton("Send"), QLineEdit(), QCheckBox("Retry"), QTabBar()
    tabs.addTab("GET")
    tabs.addTab("POST")
    for widget in (button, line, check, tabs):
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # tab bars and buttons on every OS
        layout.addWidget(widget)
    qtbot.addWidget(window)
    window.resize(320, 220)
    window.show()
    qtbot.waitExposed(window)
    expected = ring_colour(window.palette()).name()

    def left_edge(widget: QWidget, margin: int) -> str:
        shot = window.grab().toImage()
        middle = widget.geometry().center().y()
        return shot.pixelColor(widget.geometry().left() - margin, middle).name()

    assert left_edge(button, 0) != expected and left_edge(button, 2) != expected
    for widget in (button, line, check, tabs):
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(lambda w=widget: w.hasFocus())
        ring = follower.ring
        assert ring is not None and ring.geometry().contains(widget.geometry())
        margin = widget.geometry().left() - ring.geometry().left()
        assert left_edge(widget, margin) == expected, type(widget).__name__


def test_ring_colour_stands_out_from_the_background() -> None:
    for colours in (LIGHT, DARK):
        pal = palette(colours)
        gap = abs(ring_colour(pal).lightness() - pal.color(QPalette.ColorRole.Window).lightness())
        assert gap >= 90, colours
    assert ring_colour(palette(LIGHT)).name() == LIGHT["Highlight"]  # a clear one is kept


def test_no_ring_once_focus_leaves_for_nowhere(qtbot: Any, follower: FocusRingFollower) -> None:
    window = QWidget()
    line = QLineEdit(window)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    line.setFocus()
    qtbot.waitUntil(lambda: follower.ring is not None and follower.ring.widget() is line)
    line.clearFocus()
    qtbot.waitUntil(lambda: follower.ring is None or follower.ring.widget() is None)
