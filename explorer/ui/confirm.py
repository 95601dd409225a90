"""A Yes/Cancel question before a request or change that cannot be undone."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def warning_box(
    parent: QWidget, title: str, text: str, *, details: str = "", yes: str = ""
) -> QMessageBox:
    """A warning with Yes (labelled ``yes`` when given) and Cancel, Cancel the default.

    The caller connects ``finished`` and calls ``open()``: never ``exec()``, whose nested
    event loop would stall the tasks on the app's qasync loop.
    """
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    if details:
        box.setInformativeText(details)
    if yes:
        box.button(QMessageBox.StandardButton.Yes).setText(yes)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


def said_yes(box: QMessageBox) -> bool:
    """Whether the box was closed with its Yes button (not Cancel, Esc or the title bar)."""
    clicked = box.clickedButton()
    return clicked is not None and box.standardButton(clicked) == QMessageBox.StandardButton.Yes
