"""One editor widget per catalog type; :func:`create_editor` picks the right one."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator

from PySide6.QtWidgets import QWidget

from explorer.core.catalog import Kind, Param
from explorer.ui.editors.context import EditorContext
from explorer.ui.editors.editor import Editor

# Lists whose items are objects are edited as JSON; other lists get rows.
_JSON_ITEMS = (Kind.DICT, Kind.JSON, Kind.STR_DICT, Kind.TRANSLATIONS, Kind.LIST)


# Which module and class edit each kind. Modules are imported when a form first needs
# them, so the first form the app shows loads only its own editors.
_EDITORS: dict[Kind | str, tuple[str, str]] = {
    Kind.BOOL: ("bool_editor", "BoolEditor"),
    Kind.CHOICE: ("choice_editor", "ChoiceEditor"),
    Kind.INT: ("int_editor", "IntEditor"),
    Kind.URN: ("urn_editor", "UrnEditor"),
    Kind.DATETIME: ("datetime_editor", "DateTimeEditor"),
    Kind.DATE: ("date_editor", "DateEditor"),
    Kind.LANGUAGE: ("language_editor", "LanguageEditor"),
    Kind.TRANSLATIONS: ("translations_editor", "TranslationsEditor"),
    Kind.STR_DICT: ("dict_editor", "DictEditor"),
    Kind.REF: ("ref_editor", "RefEditor"),
    Kind.FILE: ("file_editor", "FileEditor"),
    Kind.DICT: ("multiline_editor", "MultilineEditor"),
    Kind.JSON: ("multiline_editor", "MultilineEditor"),
    "json": ("multiline_editor", "MultilineEditor"),
    "list": ("list_editor", "ListEditor"),
    "line": ("line_editor", "LineEditor"),
}


def editor_class(param: Param) -> type[Editor]:
    """The editor type for ``param``'s catalog type."""
    spec = param.spec
    if spec.kind is Kind.LIST:
        key: Kind | str = "json" if spec.base.kind in _JSON_ITEMS else "list"
    elif spec.kind is Kind.STRING and (param.max_length or 0) > 200:
        key = "json"  # long text: the multi-line editor, as text
    else:
        key = spec.kind if spec.kind in _EDITORS else "line"
    return _load(*_EDITORS[key])


@functools.cache
def _load(module: str, name: str) -> type[Editor]:
    found: type[Editor] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return found


def load_all_editors() -> Iterator[None]:
    """Import every editor module, one per step (for loading them while the app is idle, so
    the first form that needs one does not wait for it)."""
    for module, name in dict.fromkeys(_EDITORS.values()):
        _load(module, name)
        yield


def create_editor(
    param: Param,
    *,
    body: bool,
    parent: QWidget | None = None,
    context: EditorContext | None = None,
) -> Editor:
    """The editor for ``param``, named ``field_<name>`` (body) or ``param_<name>`` (query)."""
    editor = editor_class(param)(param, parent, context)
    editor.setObjectName(f"{'field' if body else 'param'}_{param.name}")
    editor.setAccessibleName(param.name)
    editor.setAccessibleDescription(param.help)
    return editor


__all__ = ["Editor", "EditorContext", "create_editor", "editor_class", "load_all_editors"]
