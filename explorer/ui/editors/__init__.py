"""One editor widget per catalog type; :func:`create_editor` picks the right one."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from explorer.core.catalog import Kind, Param
from explorer.ui.editors.editor import Editor


def create_editor(param: Param, *, body: bool, parent: QWidget | None = None) -> Editor:
    """The editor for ``param``, named ``field_<name>`` (body) or ``param_<name>`` (query)."""
    from explorer.ui.editors.bool_editor import BoolEditor
    from explorer.ui.editors.choice_editor import ChoiceEditor
    from explorer.ui.editors.line_editor import LineEditor
    from explorer.ui.editors.multiline_editor import MultilineEditor

    spec = param.spec
    editor: Editor
    if spec.kind is Kind.BOOL:
        editor = BoolEditor(param, parent)
    elif spec.kind is Kind.CHOICE:
        editor = ChoiceEditor(param, parent)
    elif spec.kind in (Kind.LIST, Kind.DICT, Kind.STR_DICT, Kind.JSON, Kind.TRANSLATIONS) or (
        spec.kind is Kind.STRING and (param.max_length or 0) > 200
    ):
        editor = MultilineEditor(param, parent)
    else:
        editor = LineEditor(param, parent)
    editor.setObjectName(f"{'field' if body else 'param'}_{param.name}")
    editor.setAccessibleName(param.name)
    editor.setAccessibleDescription(param.help)
    return editor


__all__ = ["Editor", "create_editor"]
