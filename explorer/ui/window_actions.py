"""The main window's menu bar: every command that has a key is here, with its key shown.

A key pressed anywhere in the window reaches its command through these actions, so what the
menus say and what the keys do cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

Keys = QKeySequence.StandardKey | str | None
SIDE_TABS = (
    ("&Endpoints", "endpoints"),
    ("&Collections", "collections"),
    ("&Datasets: local copies of runs and messages", "datasets"),
    ("&History", "history"),
)


@dataclass(frozen=True)
class Commands:
    """What the window does for each menu entry."""

    save: Callable[[], None]
    paste_curl: Callable[[], None]
    edit_variables: Callable[[], None]
    import_postman: Callable[[], None]
    export_postman: Callable[[], None]
    quit: Callable[[], None]
    send: Callable[[], None]
    send_as_written: Callable[[], None]
    cancel: Callable[[], None]
    find: Callable[[], None]
    find_next: Callable[[], None]
    find_previous: Callable[[], None]
    filter_endpoints: Callable[[], None]
    about: Callable[[], None]
    new_tab: Callable[[], None]
    duplicate_tab: Callable[[], None]
    close_tab: Callable[[], None]
    next_tab: Callable[[], None]
    previous_tab: Callable[[], None]
    go_to_tab: Callable[[int], None]
    show_side: Callable[[str], None]
    """Bring a side tab to the front: ``endpoints``, ``collections``, ``datasets``, ``history``."""


class WindowActions(QObject):
    """Builds the File, Request, Find, View, Tabs and Help menus of ``window`` and keeps their
    actions.

    ``send``, ``cancel`` and ``find`` are kept as attributes for the window to enable,
    disable or trigger them.
    """

    def __init__(self, window: QMainWindow, commands: Commands, app_name: str) -> None:
        super().__init__(window)
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        self.save = _add(file_menu, "&Save request", commands.save, QKeySequence.StandardKey.Save)
        _add(
            file_menu,
            "New request from a &curl command (clipboard)",
            commands.paste_curl,
            "Ctrl+Shift+V",
        )
        _add(file_menu, "Collection &variables…", commands.edit_variables)
        _add(file_menu, "&Import Postman collection…", commands.import_postman)
        _add(file_menu, "&Export collection to Postman…", commands.export_postman)
        file_menu.addSeparator()
        # Ctrl+Q everywhere: the platform's Quit key is missing on some desktops.
        self.quit = _add(file_menu, "&Quit", commands.quit, "Ctrl+Q")
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)

        # No Alt letter is left for it (each is taken once, in the window): Alt+F, then →.
        request_menu = bar.addMenu("Request")
        self.send = _add(request_menu, "&Send", commands.send, "Ctrl+Return")
        # Ctrl+Enter is the keypad's Enter: both send, the menu names the first.
        self.send.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        # A wrong request on purpose: the Raw text as typed, the app's checks named, not kept.
        self.send_as_written = _add(
            request_menu, "Send as &written (Raw)", commands.send_as_written, "Ctrl+Shift+Return"
        )
        self.send_as_written.setShortcuts(
            [QKeySequence("Ctrl+Shift+Return"), QKeySequence("Ctrl+Shift+Enter")]
        )
        self.cancel = _add(request_menu, "&Cancel", commands.cancel, "Esc")
        self.cancel.setEnabled(False)  # Esc stays free for the fields until a send runs
        request_menu.addSeparator()
        _add(request_menu, "Find an &endpoint", commands.filter_endpoints, "Ctrl+L")

        find_menu = bar.addMenu("F&ind")
        self.find = _add(
            find_menu, "&Find in response…", commands.find, QKeySequence.StandardKey.Find
        )
        _add(find_menu, "Find &next", commands.find_next, QKeySequence.StandardKey.FindNext)
        _add(
            find_menu,
            "Find &previous",
            commands.find_previous,
            QKeySequence.StandardKey.FindPrevious,
        )

        # Every side tab by its name, the Datasets one too (its tab shows only an icon).
        self.view_menu = bar.addMenu("&View")
        for text, name in SIDE_TABS:
            _add(self.view_menu, text, lambda n=name: commands.show_side(n))
        self.view_menu.addSeparator()

        self._add_tabs_menu(bar.addMenu("Tabs"), commands)  # no Alt letter left, as Request

        about = _add(bar.addMenu("&Help"), f"&About {app_name}", commands.about)
        about.setMenuRole(QAction.MenuRole.AboutRole)  # the app menu on macOS

    def _add_tabs_menu(self, menu: QMenu, commands: Commands) -> None:
        _add(menu, "&New tab", commands.new_tab, QKeySequence.StandardKey.AddTab)
        _add(menu, "&Duplicate tab", commands.duplicate_tab, "Ctrl+Shift+D")
        _add(menu, "&Close tab", commands.close_tab, QKeySequence.StandardKey.Close)
        menu.addSeparator()
        _add(menu, "Ne&xt tab", commands.next_tab, "Ctrl+Tab")
        _add(menu, "&Previous tab", commands.previous_tab, "Ctrl+Shift+Tab")
        go = menu.addMenu("&Go to tab")
        for number in range(1, 10):
            text = "Last tab" if number == 9 else f"Tab &{number}"
            _add(go, text, lambda n=number: commands.go_to_tab(n), f"Ctrl+{number}")

    def set_busy(self, busy: bool) -> None:
        """A send is running (Cancel and Esc work) or not."""
        self.cancel.setEnabled(busy)


def _add(menu: QMenu, text: str, slot: Callable[[], None], keys: Keys = None) -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(lambda _checked=False: slot())
    if keys is not None:
        action.setShortcut(QKeySequence(keys))
    return action
