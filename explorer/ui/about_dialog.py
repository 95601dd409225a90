"""The About box: what this is, which versions it runs on, its licence and where it lives.

Open it non-modally: ``AboutDialog(window).open()`` (it deletes itself when closed).
"""

from __future__ import annotations

import html
import platform

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer import APP_NAME, __version__, resources
from explorer.ui.app_icon import app_icon

LICENCE = "BSD 3-Clause License"
SUMMARY = "A desktop explorer for the RapidPro REST API v2."


def versions() -> list[tuple[str, str]]:
    """``(component, version)`` for the About box and bug reports."""
    import httpx
    import PySide6
    from PySide6.QtCore import qVersion

    return [
        (APP_NAME, __version__),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("httpx", httpx.__version__),
        ("Python", platform.python_version()),
    ]


class AboutDialog(QDialog):
    """Name, version, the versions of Qt, PySide6, httpx and Python, licence and project link,
    with a button that copies the versions for a bug report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.versions = versions()

        logo = QLabel()
        logo.setObjectName("aboutIcon")
        icon = app_icon()
        if not icon.isNull():
            logo.setPixmap(icon.pixmap(96, 96))
        logo.setAlignment(Qt.AlignmentFlag.AlignTop)

        title = QLabel(
            f"<h2 style='margin-bottom:0'>{html.escape(APP_NAME)}</h2>"
            f"<p style='margin-top:2px'>Version {html.escape(__version__)}</p>"
            f"<p>{html.escape(SUMMARY)}</p>"
        )
        title.setObjectName("aboutTitle")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        rows = "".join(
            f"<tr><td style='padding-right:12px'>{html.escape(name)}</td>"
            f"<td><b>{html.escape(version)}</b></td></tr>"
            for name, version in self.versions[1:]
        )
        self.versions_label = QLabel(f"<table>{rows}</table>")
        self.versions_label.setObjectName("aboutVersions")
        self.versions_label.setAccessibleName("Versions")
        self.versions_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        url = html.escape(resources.PROJECT_URL, quote=True)
        self.link_label = QLabel(f"Licence: {html.escape(LICENCE)}<br><a href='{url}'>{url}</a>")
        self.link_label.setObjectName("aboutLink")
        self.link_label.setAccessibleName("Licence and project page")
        self.link_label.setOpenExternalLinks(True)
        self.link_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy versions")
        self.copy_button.setToolTip("Copy the versions above, for a bug report")
        self.copy_button.clicked.connect(self.copy_versions)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(self.versions_label)
        text.addSpacing(8)
        text.addWidget(self.link_label)
        top = QHBoxLayout()
        top.addWidget(logo)
        top.addSpacing(12)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)

    def versions_text(self) -> str:
        return "\n".join(f"{name} {version}" for name, version in self.versions)

    def copy_versions(self) -> None:
        QGuiApplication.clipboard().setText(self.versions_text())
        self.copy_button.setText("Copied")
