"""The bar above everything: which workspace requests go to, and what that means.

The selector and the Workspaces… button, a banner that says whether requests act on a
real workspace or the local sandbox (or why nothing is connected), the offer to start a
fresh sandbox when its database would not open, and the rate-limit meter.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from explorer import SANDBOX_WORKSPACE_NAME
from explorer.core.connection import Connection
from explorer.ui.budget_meter import BudgetMeter

SANDBOX_STYLE = "background: #e8f5e9; color: #1b5e20; padding: 4px; border-radius: 3px;"
REAL_STYLE = "background: #ffebee; color: #b71c1c; padding: 4px; border-radius: 3px;"
TROUBLE_STYLE = "background: #fff3e0; color: #8a4b00; padding: 4px; border-radius: 3px;"


class WorkspaceBar(QWidget):
    """Workspace selector, banner, start-afresh offer and meter, in one row.

    Signals:
        workspace_picked(str): the user chose another workspace in the selector.
        manage_requested(): the user asked for the workspace manager.
        start_afresh_requested(): the user asked for a fresh sandbox.
    """

    workspace_picked = Signal(str)
    manage_requested = Signal()
    start_afresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current: str | None = None  # the workspace connected, None while connecting
        self.selector = QComboBox()
        self.selector.setObjectName("workspaceSelector")
        self.selector.setAccessibleName("Workspace")
        self.selector.setMinimumWidth(220)
        self.selector.activated.connect(self._picked)
        self.manage_button = QPushButton("Wor&kspaces…")
        self.manage_button.setObjectName("manageWorkspacesButton")
        self.manage_button.setToolTip("Add, edit or remove workspaces and their tokens")
        self.manage_button.clicked.connect(self.manage_requested)
        self.banner = QLabel()
        self.banner.setObjectName("workspaceBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)  # escaped text
        self.start_afresh_button = QPushButton("Start a fresh sa&ndbox")
        self.start_afresh_button.setObjectName("startAfreshButton")
        self.start_afresh_button.setToolTip(
            "Renames the sandbox database that would not open, so nothing in it is lost, and "
            "starts the sandbox on a new one with the demo data"
        )
        self.start_afresh_button.hide()
        self.start_afresh_button.clicked.connect(self.start_afresh_requested)
        self.meter = BudgetMeter()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel("&Workspace:")
        label.setBuddy(self.selector)
        layout.addWidget(label)
        layout.addWidget(self.selector)
        layout.addWidget(self.manage_button)
        layout.addWidget(self.banner, 1)
        layout.addWidget(self.start_afresh_button)
        layout.addWidget(self.meter)

    def set_workspaces(self, names: list[str]) -> None:
        """The names the selector offers (the current one stays selected)."""
        # While one is connecting, the name shown is the one being connected.
        current = self.current or self.selector.currentText()
        self.selector.blockSignals(True)
        self.selector.clear()
        self.selector.addItems(names)
        if current in names:
            self.selector.setCurrentIndex(names.index(current))
        self.selector.blockSignals(False)

    def _picked(self, index: int) -> None:
        name = self.selector.itemText(index)
        if name != self.current:
            self.workspace_picked.emit(name)

    def _select(self, name: str) -> None:
        if self.selector.findText(name) < 0:
            self.selector.addItem(name)
        self.selector.setCurrentIndex(self.selector.findText(name))

    def show_connecting(self, name: str) -> str:
        """``name`` is being connected; returns what Send waits for meanwhile."""
        self.current = None
        self.start_afresh_button.hide()
        name = name or SANDBOX_WORKSPACE_NAME
        waiting = (
            "Starting the sandbox…" if name == SANDBOX_WORKSPACE_NAME else f"Connecting to {name}…"
        )
        self.banner.setText(html.escape(waiting))
        self.banner.setStyleSheet("padding: 4px;")
        self._select(name)
        return waiting

    def show_connection(self, connection: Connection) -> None:
        """Requests now act on ``connection``: say whose data that is."""
        self.current = connection.name
        self.start_afresh_button.hide()
        self._select(connection.name)
        if connection.is_sandbox:
            self.banner.setText(
                "Sandbox: a local demo workspace on this computer. Nothing you send leaves it."
            )
            self.banner.setStyleSheet(SANDBOX_STYLE)
        else:
            self.banner.setText(
                f"Requests act on the real data of {html.escape(connection.name)} "
                f"({html.escape(connection.base_url)})."
            )
            self.banner.setStyleSheet(REAL_STYLE)

    def show_failure(self, why: str, *, can_start_afresh: bool = False) -> None:
        """Nothing could be connected: say why (and offer a fresh sandbox if that helps)."""
        self.current = None
        self.start_afresh_button.setVisible(can_start_afresh)
        self.banner.setText(html.escape(why))
        self.banner.setStyleSheet(TROUBLE_STYLE)
