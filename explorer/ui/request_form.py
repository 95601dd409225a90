"""The form for one endpoint and method, generated from the catalog."""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from explorer.core.catalog import Endpoint, HttpMethod, Param
from explorer.core.errors import ValidationErrors
from explorer.core.request import Draft
from explorer.ui.editors import Editor, EditorContext, create_editor
from explorer.ui.editors.editor import ERROR_COLOUR, tint


class RequestForm(QScrollArea):
    """Query parameters and body fields of one method, one editor each.

    The editors take the workspace's defaults and suggestions from an
    :class:`~explorer.ui.editors.context.EditorContext` (see :meth:`set_context`).

    Signals:
        draft_changed(): any value changed.
    """

    draft_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestForm")
        self.setAccessibleName("Request form")
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.endpoint: Endpoint | None = None
        self.method: HttpMethod = HttpMethod.GET
        self.params: dict[str, Editor] = {}
        self.fields: dict[str, Editor] = {}
        self.context = EditorContext()
        self._general = QLabel()
        # What was typed on each endpoint and method, until the window closes: a look at
        # another endpoint's docs must not cost the values typed here.
        self._typed: dict[tuple[str, HttpMethod], Draft] = {}
        self.setWidget(QWidget())

    def set_context(self, context: EditorContext) -> None:
        """Use a workspace's country, languages and suggestions, in this form and the next."""
        self.context = context
        for editor in (*self.params.values(), *self.fields.values()):
            editor.set_context(context)

    def load(self, endpoint: Endpoint, method: HttpMethod) -> None:
        """Build the editors for ``endpoint``'s ``method`` (replacing the previous form), with
        the values last typed on it."""
        if self.endpoint is not None:
            self._typed[(self.endpoint.name, self.method)] = self.draft()
        self.endpoint, self.method = endpoint, method
        spec = endpoint.method(method)
        self.params.clear()
        self.fields.clear()
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(8, 8, 8, 8)
        self._general = QLabel(page)
        self._general.setWordWrap(True)
        tint(self._general, ERROR_COLOUR)
        self._general.hide()
        outer.addWidget(self._general)
        # One form for both sections, so query parameters and body fields share a label
        # column and their inputs line up.
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(8)
        # In a narrow pane a field that would not fit beside its label goes under it, whole,
        # instead of the form scrolling sideways.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        if spec.form_params:
            form.addRow(_heading("Query parameters", page, first=True))
            self._section(form, spec.form_params, body=False, parent=page)
        if spec.fields:
            form.addRow(_heading("Body", page, first=not spec.form_params))
            self._section(form, spec.fields, body=True, parent=page)
        outer.addLayout(form)
        if not spec.form_params and not spec.fields:
            none = QLabel("This request takes no parameters.", page)
            none.setEnabled(False)
            outer.addWidget(none)
        outer.addStretch(1)
        # The old page is deleted on a later turn of the event loop, so tearing it down
        # and building this one are two short stalls rather than one long one.
        old = self.takeWidget()
        if old is not None:
            old.hide()
            old.deleteLater()
        self.setWidget(page)
        self._chain_fields(page)
        typed = self._typed.get((endpoint.name, method))
        if typed is not None:
            self.set_values(typed.params, typed.body)  # emits draft_changed
        else:
            self.draft_changed.emit()

    def _chain_fields(self, page: QWidget) -> None:
        """Tab goes from the form into its fields, then on to what follows the form.

        A new page joins the end of the window's focus chain, after the response pane, so
        it is moved to just after the form. An editor hands focus to its input (its focus
        proxy) and Tab goes on from there, so each input comes right after its editor: what
        lay between (a URN's scheme, a translation's language) would be skipped.
        """
        block = _tab_order(page)
        # setTabOrder leaves out widgets that take no focus and hands a policy on to a
        # proxy: for the move every widget takes focus and has no proxy; both are set back.
        saved = [(w, w.focusProxy(), w.focusPolicy()) for w in block]
        for w, _proxy, _policy in saved:
            w.setFocusProxy(None)
            w.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for first, second in itertools.pairwise([self, *block]):
            QWidget.setTabOrder(first, second)
        for w, _proxy, policy in saved:
            w.setFocusPolicy(policy)
        for w, proxy, _policy in saved:
            w.setFocusProxy(proxy)

    def _section(
        self, form: QFormLayout, items: tuple[Param, ...], *, body: bool, parent: QWidget
    ) -> None:
        for param in items:
            editor = create_editor(param, body=body, parent=parent, context=self.context)
            editor.value_changed.connect(self.draft_changed)
            required = param.required or bool(param.required_on_update)
            text = param.name + (" *" if required else "")
            label = QLabel(text, parent)
            label.setBuddy(editor)
            tip = f"{param.type}{' · required' if required else ''}\n{param.help}"
            if param.note:
                tip += f"\n{param.note}"
            label.setToolTip(tip)
            editor.setToolTip(tip)
            if param.deprecated:
                label.setEnabled(False)
                label.setText(f"{text} (deprecated)")
            form.addRow(label, editor)
            (self.fields if body else self.params)[param.name] = editor

    def draft(self) -> Draft:
        assert self.endpoint is not None
        return Draft(
            self.endpoint.name,
            self.method,
            {n: e.value() for n, e in self.params.items()},
            {n: e.value() for n, e in self.fields.items()},
        )

    def set_values(self, params: dict[str, Any], body: dict[str, Any]) -> None:
        """Fill the editors (from raw mode or a saved request) without emitting per editor."""
        self.blockSignals(True)
        try:
            for name, editor in self.params.items():
                editor.set_value(params.get(name))
            for name, editor in self.fields.items():
                editor.set_value(body.get(name))
        finally:
            self.blockSignals(False)
        self.draft_changed.emit()

    def editor(self, name: str) -> Editor | None:
        return self.params.get(name) or self.fields.get(name)

    def show_errors(
        self,
        errors: ValidationErrors | None,
        *,
        field_messages: dict[str, list[str]] | None = None,
    ) -> list[str]:
        """Mark each editor with its message; returns the messages that fit no editor."""
        by_name: dict[str, list[str]] = {}
        general: list[str] = []
        for error in errors or ():
            name = str(error.path[0]) if error.path else ""
            if name in self.params or name in self.fields:
                # Nested problems keep their place: "urns[1]: … is not a full number".
                by_name.setdefault(name, []).append(
                    str(error) if len(error.path) > 1 else error.message
                )
            else:
                general.append(str(error))
        for name, messages in (field_messages or {}).items():
            if name in self.params or name in self.fields:
                by_name.setdefault(name, []).extend(messages)
            else:
                general.extend(messages)
        for name, editor in (*self.params.items(), *self.fields.items()):
            messages = by_name.get(name)
            editor.set_error("\n".join(messages) if messages else None)
        self._general.setText("\n".join(general))
        self._general.setVisible(bool(general))
        return general

    def show_unusable_raw(self, reason: str) -> None:
        """Say at the top of the form that the Raw tab's text, not these values, is pending."""
        note = f"The Raw tab's text cannot be used yet, so these values are not sent. {reason}"
        shown = [t for t in (note, self._general.text() if self._general.isVisible() else "") if t]
        self._general.setText("\n".join(shown))
        self._general.setVisible(True)


def _tab_order(page: QWidget) -> list[QWidget]:
    """``page`` and its descendants in focus-chain order, each input right after the editor
    that passes focus on to it."""
    chain = [page]
    widget = page.nextInFocusChain()
    while widget is not page and page.isAncestorOf(widget):
        chain.append(widget)
        widget = widget.nextInFocusChain()
    inside = set(chain)
    order: list[QWidget] = []
    for widget in chain:
        proxy = widget.focusProxy()
        while proxy is not None and proxy.focusProxy() is not None:
            proxy = proxy.focusProxy()
        for w in (widget, proxy):
            if w is not None and w in inside and w not in order:
                order.append(w)
    return order


def _heading(text: str, parent: QWidget, *, first: bool = False) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    if not first:
        label.setContentsMargins(0, 8, 0, 0)  # a gap between the sections
    return label
