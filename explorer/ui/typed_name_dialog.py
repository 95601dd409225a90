"""The last gate before reaching many contacts: type the workspace's name to go ahead.

A Yes button is easy to press out of habit; typing "Ministry of Health" is not. The dialog is
shown with ``open()`` (never ``exec()``, whose nested event loop would stall the app's
tasks) and says how it ended through :attr:`TypedNameDialog.finished`.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

_STYLE = "color: #b71c1c;"


class TypedNameDialog(QDialog):
    """Asks ``question`` and lets the request go only once ``name`` is typed.

    Letter case and spaces around the name do not matter; anything else does. Cancel, Esc
    and closing the window all refuse.

    Signals (QDialog's own):
        finished(int): Accepted only when the name was typed and the go button pressed.
    """

    def __init__(
        self,
        question: str,
        name: str,
        *,
        go: str = "Send",
        details: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("typedNameDialog")
        self.setWindowTitle("Confirm")
        self.name = name
        self.question = QLabel(question)
        self.question.setObjectName("typedNameQuestion")
        self.question.setWordWrap(True)
        self.question.setStyleSheet(f"font-weight: bold; {_STYLE}")
        self.details = QLabel(details)
        self.details.setWordWrap(True)
        self.details.setVisible(bool(details))
        prompt = QLabel(f"To go ahead, type the workspace's name, <b>{html.escape(name)}</b>:")
        prompt.setWordWrap(True)
        self.edit = QLineEdit()
        self.edit.setObjectName("typedNameEdit")
        self.edit.setAccessibleName("Workspace name, to confirm")
        self.edit.setPlaceholderText(name)
        prompt.setBuddy(self.edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go_button = self.buttons.addButton(go, QDialogButtonBox.ButtonRole.AcceptRole)
        self.go_button.setObjectName("typedNameGoButton")
        self.go_button.setEnabled(False)
        self.go_button.setDefault(False)
        self.go_button.setAutoDefault(False)  # Enter in the field must not send half-typed
        self.buttons.accepted.connect(self._accept_if_typed)
        self.buttons.rejected.connect(self.reject)
        self.edit.textChanged.connect(self._on_typed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.details)
        layout.addWidget(prompt)
        layout.addWidget(self.edit)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    @property
    def typed(self) -> bool:
        """Whether what is in the field is the workspace's name."""
        return self.edit.text().strip().casefold() == self.name.strip().casefold()

    def _on_typed(self, _text: str) -> None:
        self.go_button.setEnabled(self.typed)

    def _accept_if_typed(self) -> None:
        if self.typed:
            self.accept()
