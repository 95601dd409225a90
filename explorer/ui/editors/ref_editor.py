"""The editor for a reference to another object (a group, a flow, a contact, a field…)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from explorer.core.catalog import Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor, hint_label
from explorer.ui.editors.ref_completer import RefCompleter
from explorer.ui.editors.ref_options import RefOptions


class RefEditor(Editor):
    """A line edit completing from the live workspace; the name of a typed UUID shows below.

    Signals:
        value_changed(): the text changed.
    """

    def __init__(
        self, param: Param, parent: QWidget | None = None, context: EditorContext | None = None
    ) -> None:
        super().__init__(param, parent, context)
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        self.line = QLineEdit(box)
        self.line.setAccessibleName(param.name)
        searchable = self.context.cache is not None
        self.line.setPlaceholderText(placeholder_for(param, searchable=searchable))
        self.line.setToolTip(f"Takes a {param.accepts or 'uuid'}")
        target = param.spec.base.target or ""
        self.options = RefOptions(target, param.accepts, self.context.cache, self)
        self.completer = RefCompleter(self.options, self.line)
        self._box = box
        self._hint: QLabel | None = None
        self._hint_layout = layout
        layout.addWidget(self.line)
        self.line.textChanged.connect(self._on_text)
        self.options.loaded.connect(self._name_it)
        self._finish(box)
        self.setFocusProxy(self.line)

    def value(self) -> Any:
        return self.line.text().strip() or None

    def set_value(self, value: Any) -> None:
        if isinstance(value, dict):  # a {"uuid": …, "name": …} copied from a result
            value = value.get("uuid") or value.get("key") or value.get("name")
        self.line.setText("" if value is None else str(value))

    @property
    def hint(self) -> QLabel:
        """The name of the object a typed identifier refers to (made when first needed)."""
        if self._hint is None:
            self._hint = hint_label(self._box, "refHint")
            self._hint_layout.addWidget(self._hint)
        return self._hint

    def _context_changed(self) -> None:
        self.options.set_cache(self.context.cache)
        self.line.setPlaceholderText(
            placeholder_for(self.param, searchable=self.context.cache is not None)
        )
        self._name_it()

    @Slot()
    def _on_text(self) -> None:
        self._name_it()
        self.value_changed.emit()

    @Slot()
    def _name_it(self) -> None:
        """Say which object a typed identifier is, when the suggestions know it."""
        text = self.line.text().strip()
        option = self.options.option_for(text) if text else None
        shown = option is not None and option.label.lower() != text.lower()
        if option is not None and shown:
            self.hint.setText(option.label + (f" · {option.detail}" if option.detail else ""))
        if self._hint is not None or shown:
            self.hint.setVisible(shown)


def placeholder_for(param: Param, *, searchable: bool) -> str:
    """``e.g. Reporters · type to search``: the example, and whether suggestions come."""
    example = param.example[0] if isinstance(param.example, list) else param.example
    parts = [f"e.g. {example}" if example else (param.accepts or "uuid")]
    if searchable:
        parts.append("type or press ↓ to search")
    return " · ".join(parts)
