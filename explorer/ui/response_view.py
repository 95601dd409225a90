"""The response pane: status with its meaning, timing and size, and the body."""

from __future__ import annotations

import json

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from explorer.core.client import Outcome

PRETTY_LIMIT = 2_000_000  # bytes; larger bodies are shown as the server sent them


class ResponseView(QWidget):
    """Shows one outcome: ``201 Created · 0.12 s · 1.4 kB`` and the body as pretty JSON."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("responseView")
        self.setAccessibleName("Response")
        self.status_label = QLabel("No request sent yet.", self)
        self.status_label.setObjectName("statusLabel")
        self.status_label.setAccessibleName("Response status")
        self.status_label.setWordWrap(True)
        self.meaning_label = QLabel(self)
        self.meaning_label.setWordWrap(True)
        self.body = QPlainTextEdit(self)
        self.body.setObjectName("responseBody")
        self.body.setAccessibleName("Response body")
        self.body.setReadOnly(True)
        self.body.setUndoRedoEnabled(False)
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.body.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status_label)
        layout.addWidget(self.meaning_label)
        layout.addWidget(self.body, 1)

    def show_sending(self, text: str) -> None:
        self.status_label.setText(text)
        self.meaning_label.clear()

    def show_outcome(self, outcome: Outcome) -> None:
        colour = "#2e7d32" if outcome.ok else "#c62828"
        if outcome.failed:
            self.status_label.setText(f"<b style='color:{colour}'>No response</b>")
            self.meaning_label.setText(f"{outcome.meaning} {outcome.error}".strip())
            self.body.setPlainText("")
            return
        self.status_label.setText(
            f"<b style='color:{colour}'>{outcome.status} {outcome.reason}</b>"
            f" · {outcome.elapsed:.2f} s · {outcome.size:,} bytes"
        )
        meaning = outcome.meaning
        if outcome.retry_after is not None:
            meaning += f" The server asks to wait {outcome.retry_after:.0f} s."
        if outcome.json_error:
            meaning += f" Note: {outcome.json_error}."
        self.meaning_label.setText(meaning)
        if outcome.status == 204 or not outcome.content:
            self.body.setPlainText("No content.")
        elif outcome.json is not None and outcome.size <= PRETTY_LIMIT:
            self.body.setPlainText(json.dumps(outcome.json, indent=2, ensure_ascii=False))
        else:
            self.body.setPlainText(outcome.text)

    def show_problem(self, text: str) -> None:
        self.status_label.setText("<b style='color:#c62828'>Not sent</b>")
        self.meaning_label.setText(text)
