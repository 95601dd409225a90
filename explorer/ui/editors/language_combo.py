"""A searchable chooser of ISO-639-3 languages (``fra — French``), loaded when first used."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QObject, QStringListModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from explorer.core import values
from explorer.ui.errors import guarded

log = logging.getLogger(__name__)

# The languages come from pycountry, which takes about a third of a second to read: that
# happens once per process, on a worker thread, started by the app once its window is up or
# by the first chooser that needs the list. (Not when a chooser is made: the first form may
# hold one, and the thread would take turns with the window's first paint.)
_ready = threading.Event()
_started = threading.Lock()
_warming = False
_names: dict[str, str] = {}
_models: dict[tuple[bool, tuple[str, ...]], QStringListModel] = {}
_CODE = re.compile(r"\s+[—–-]\s+|[—–]")


def warm_languages() -> None:
    """Load the language list in the background (once); :func:`languages_ready` says when."""
    global _warming  # noqa: PLW0603 - one process-wide warm-up
    with _started:
        if _warming:
            return
        _warming = True
    threading.Thread(target=_warm, name="languages", daemon=True).start()


def _warm() -> None:
    # This thread allocates thousands of objects; it never runs the cycle collector itself
    # because the app's GcGuard collects on the GUI thread only.
    try:
        _names.update({lang.code: lang.name for lang in values.all_languages()})
        values.translation_languages()
    except Exception:
        log.exception("loading the languages failed")
    finally:
        _ready.set()


def languages_ready() -> bool:
    return _ready.is_set()


def check_when_ready(editor: QObject, check: Callable[[], object]) -> bool:
    """Whether languages can be looked up now; if not, run ``check`` again once they can.

    Checking a language code reads the whole list: on the GUI thread, before the worker has
    read it, that would freeze the window for a third of a second.
    """
    if languages_ready():
        return True
    warm_languages()
    QTimer.singleShot(50, editor, check)
    return False


def language_model(translations_only: bool, preferred: Sequence[str]) -> QStringListModel:
    """``fra — French`` for every language, the workspace's own first (shared, built once)."""
    key = (translations_only, tuple(preferred))
    model = _models.get(key)
    if model is None:
        pool = values.translation_languages() if translations_only else values.all_languages()
        allowed = {lang.code for lang in pool}
        first = [f"{code} — {_names[code]}" for code in key[1] if code in allowed]
        rest = [str(lang) for lang in pool if lang.code not in key[1]]
        # Parented to the application so every chooser can share it for the whole run.
        model = QStringListModel(first + rest, QCoreApplication.instance())
        _models[key] = model
    return model


def code_of(text: str) -> str:
    """``fra`` from ``fra — French`` (or from ``fra`` as typed)."""
    return _CODE.split(text, maxsplit=1)[0].strip()


class LanguageCombo(QComboBox):
    """Type a code or part of a name; the matching ``code — name`` entries pop up.

    ``translations_only`` offers just the languages RapidPro takes as translation keys;
    ``preferred`` (the workspace's languages) come first. The 7,900 entries are put in only
    when the chooser is first focused or opened, so building a form stays fast.

    Signals:
        code_changed(): the text changed.
    """

    code_changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        translations_only: bool = False,
        preferred: Sequence[str] = (),
        name: str = "language",
    ) -> None:
        super().__init__(parent)
        self.translations_only = translations_only
        self.preferred = tuple(preferred)
        self._loaded = False
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(15)
        # Sizing to the contents would measure 7,900 names.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.setAccessibleName(name)
        line = self.lineEdit()
        line.setAccessibleName(name)
        line.setPlaceholderText("code or name, e.g. fra or French")
        # The popup lists the best matches first (exact code, then names that start with
        # what was typed, then names that contain it): a plain contains-filter over the
        # list would put "Cajun French" before "French".
        self._matches = QStringListModel(self)
        self.finder = QCompleter(self._matches, self)
        self.finder.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.finder.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.finder.setMaxVisibleItems(12)
        # On the line edit, not the combo: the combo would map a choice to its own list
        # and clear the text when that list is not loaded yet.
        line.setCompleter(self.finder)
        line.textEdited.connect(self._search)
        self.editTextChanged.connect(self.code_changed)

    # --- value ------------------------------------------------------------------------------

    def code(self) -> str:
        """The language code typed or chosen (``""`` when empty)."""
        return code_of(self.currentText())

    def set_code(self, code: str | None) -> None:
        """Show ``code`` (with its name when the languages are loaded)."""
        text = "" if code is None else str(code).strip()
        name = _names.get(text.lower()) if languages_ready() else None
        self.setEditText(f"{text.lower()} — {name}" if name else text)

    def set_preferred(self, preferred: Sequence[str]) -> None:
        """Offer these languages first (takes effect when the list is next loaded)."""
        if tuple(preferred) != self.preferred:
            self.preferred = tuple(preferred)
            if self._loaded:
                self._loaded = False
                self.load()

    # --- loading ----------------------------------------------------------------------------

    @Slot()
    def load(self) -> None:
        """Put the languages in (once they are read; until then typing a code still works)."""
        if self._loaded:
            return
        if not languages_ready():
            warm_languages()
            QTimer.singleShot(50, self, self.load)
            return
        self._loaded = True
        model = language_model(self.translations_only, self.preferred)
        text = self.currentText()
        line = self.lineEdit()
        # QComboBox.setModel would hand the whole list to the line edit's completer (and
        # reset a search popup that is open): take the completer off while it happens.
        line.setCompleter(None)  # type: ignore[arg-type]
        blocked = self.blockSignals(True)
        try:
            self.setModel(model)
            self.setCurrentIndex(-1)
            self.setEditText(text)
        finally:
            self.blockSignals(blocked)
            line.setCompleter(self.finder)
        if line.hasFocus() and text.strip():
            self._search(text)  # typed while the list was loading: offer the matches now

    def matches(self) -> list[str]:
        """What the search popup offers now (``fra — French``…), best first."""
        return self._matches.stringList()

    @Slot(str)
    def _search(self, text: str) -> None:
        needle = text.strip()
        if not needle or not languages_ready():
            self._matches.setStringList([])
            return
        found = values.search_languages(needle, translations_only=self.translations_only, limit=60)
        # The workspace's own languages first, after an exact code.
        code = needle.lower()
        found.sort(
            key=lambda lang: 0 if lang.code == code else 1 if lang.code in self.preferred else 2
        )
        self._matches.setStringList([str(lang) for lang in found])
        if found:
            self.finder.complete()
        else:
            self.finder.popup().hide()

    @guarded("loading the languages")
    def focusInEvent(self, event: QFocusEvent) -> None:
        self.load()
        super().focusInEvent(event)

    @guarded("loading the languages")
    def showPopup(self) -> None:
        self.load()
        super().showPopup()
