"""Deferred: a panel is built the first time it is shown or asked for, once."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QTabWidget

from explorer.ui.deferred import Deferred


def test_built_when_its_tab_is_first_shown_then_kept(qtbot: Any) -> None:
    made: list[QLabel] = []
    wired: list[QLabel] = []

    def make() -> QLabel:
        made.append(QLabel("the panel"))
        return made[-1]

    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("first"), "First")
    later: Deferred[QLabel] = Deferred(make, built=wired.append)
    tabs.addTab(later, "Later")
    tabs.show()
    qtbot.waitExposed(tabs)
    assert made == [] and later.get() is None  # not looked at: not built
    tabs.setCurrentIndex(1)
    assert len(made) == 1 and wired == made
    assert made[0].isVisible()  # shown in the same frame, not one loop turn later
    tabs.setCurrentIndex(0)
    tabs.setCurrentIndex(1)
    assert later.widget() is made[0] and len(made) == 1


def test_a_placeholder_stands_in_until_the_widget_is_asked_for(qtbot: Any) -> None:
    hint = QLabel("Nothing yet")
    body: Deferred[QLabel] = Deferred(lambda: QLabel("body"), placeholder=hint, on_show=False)
    qtbot.addWidget(body)
    body.show()
    qtbot.waitExposed(body)
    assert body.get() is None and hint.isVisible()  # shown, but not built
    assert body.widget().text() == "body"
    assert not hint.isVisible()


def test_asking_for_it_while_it_is_being_built_is_an_error(qtbot: Any) -> None:
    holder: list[Deferred[QLabel]] = []

    def make() -> QLabel:
        holder[0].widget()  # a factory that loops back into itself
        return QLabel()

    holder.append(Deferred(make, on_show=False))
    qtbot.addWidget(holder[0])
    with pytest.raises(RuntimeError, match="while it was being built"):
        holder[0].widget()
