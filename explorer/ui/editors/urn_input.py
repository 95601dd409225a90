"""One URN as a scheme chooser and a path box; the building block of the URN editors."""

from __future__ import annotations

import re

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from explorer.core.errors import ValidationError
from explorer.core.values import URN_SCHEMES, Urn
from explorer.ui.editors.editor import hint_label
from explorer.ui.editors.scheme_combo import SchemeCombo

_SCHEMES = {s.scheme: s for s in URN_SCHEMES}
# A pasted "tel:+250…" starts with a scheme; only known ones switch the chooser, so a
# Facebook "ref:…" path stays a path.
_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")


class UrnInput(QWidget):
    """A scheme (``tel — phone number``…) and its path; ``text()`` is ``scheme:path``.

    The box takes a bare path (the chooser supplies the scheme) or a whole URN: typing or
    pasting ``tel:+250…`` switches the chooser to match and the text is kept as it is, and
    choosing another scheme rewrites such a prefix. With a default country, the normalised
    URN a local phone number becomes (``tel:+250788123123``) shows underneath. Problems are
    not shown here: the editor that holds this input shows the core's message.

    Signals:
        changed(): the scheme or the path changed.
    """

    changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        name: str = "urn",
        default_country: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._country = default_country
        self._rewriting = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.scheme = SchemeCombo(self)
        self.scheme.setObjectName("urnScheme")
        self.scheme.setAccessibleName(f"{name} scheme")
        self.path = QLineEdit(self)
        self.path.setObjectName("urnPath")
        self.path.setAccessibleName(f"{name} value")
        # A whole phone number shows; in a narrow form the row goes under its label instead.
        number = self.path.fontMetrics().horizontalAdvance("+250788123123")
        self.path.setMinimumWidth(number + 12)
        row.addWidget(self.scheme)
        row.addWidget(self.path, 1)
        layout.addLayout(row)
        self._hint: QLabel | None = None
        self._hint_layout = layout
        self.setFocusProxy(self.path)
        # Tab lands on the proxy, and Qt goes on from there: the scheme, before it in the
        # chain, was never reached. Path first, then the scheme.
        QWidget.setTabOrder(self.path, self.scheme)
        self._describe()
        self.scheme.currentIndexChanged.connect(self._on_scheme)
        self.path.textChanged.connect(self._on_path)

    # --- value ------------------------------------------------------------------------------

    def current_scheme(self) -> str:
        return str(self.scheme.currentData())

    def text(self) -> str:
        """``scheme:path`` as typed, or ``""`` when the box is empty."""
        box = self.path.text().strip()
        if not box:
            return ""
        return box if self._prefix(box) else f"{self.current_scheme()}:{box}"

    def set_text(self, value: str | None) -> None:
        """Show a URN (an unknown scheme is kept, for the core to name)."""
        text = "" if value is None else str(value).strip()
        match = _PREFIX.match(text)
        blocked = self.blockSignals(True)
        try:
            if match:
                self._choose(match[1].lower(), add=True)
            self._rewriting = True
            self.path.setText(text)
        finally:
            self._rewriting = False
            self.blockSignals(blocked)
        self._describe()
        self.changed.emit()

    def normalised(self) -> str | None:
        """The URN as the core will send it, or None when it is empty or not valid."""
        text = self.text()
        if not text:
            return None
        try:
            return str(Urn.parse(text, self._country))
        except ValidationError:
            return None

    def set_default_country(self, country: str | None) -> None:
        self._country = country
        self._describe()

    @property
    def hint(self) -> QLabel:
        """The normalised URN, when it differs from what was typed (made when first needed)."""
        if self._hint is None:
            self._hint = hint_label(self, "urnHint")
            self._hint_layout.addWidget(self._hint)
        return self._hint

    def focusables(self) -> list[QWidget]:
        """The widgets Tab stops at, in order (for editors that splice rows into the chain):
        the path first, as the focus proxy leads."""
        return [self.path, self.scheme]

    # --- reactions --------------------------------------------------------------------------

    def _prefix(self, text: str) -> re.Match[str] | None:
        """The ``scheme:`` text starts with, when the chooser lists that scheme."""
        match = _PREFIX.match(text)
        if match and self.scheme.findData(match[1].lower()) >= 0:
            return match
        return None

    def _choose(self, scheme: str, *, add: bool = False) -> None:
        index = self.scheme.findData(scheme)
        if index < 0 and add:
            index = self.scheme.add_scheme(scheme)
        if index >= 0:
            blocked = self.scheme.blockSignals(True)
            self.scheme.setCurrentIndex(index)
            self.scheme.blockSignals(blocked)

    @Slot()
    def _on_scheme(self) -> None:
        box = self.path.text()
        match = self._prefix(box.strip())
        if match is not None and match[1].lower() != self.current_scheme():
            # The box spells a scheme too: make it agree with the new choice.
            self._rewriting = True
            try:
                self.path.setText(f"{self.current_scheme()}:{box.strip()[match.end() :]}")
            finally:
                self._rewriting = False
        self._describe()
        self.changed.emit()

    @Slot(str)
    def _on_path(self, text: str) -> None:
        if self._rewriting:
            return
        match = self._prefix(text.strip())
        if match is not None:
            self._choose(match[1].lower())  # a whole URN was typed or pasted
        self._describe()
        self.changed.emit()

    def _describe(self) -> None:
        """Placeholder and tooltip from the scheme; the normalised URN when it differs."""
        known = _SCHEMES.get(self.current_scheme())
        if known is not None:
            example = known.hint.rsplit("e.g. ", 1)[-1] if "e.g. " in known.hint else known.hint
            # Only tel: takes local numbers; the workspace's country completes them.
            local = f" (or local, {self._country})" if known.scheme == "tel" else ""
            placeholder = f"e.g. {example}" if "e.g. " in known.hint else example
            self.path.setPlaceholderText(placeholder + (local if self._country else ""))
            self.path.setToolTip(known.hint)
        normal = self.normalised()
        shown = normal is not None and normal != self.text().strip()
        if shown:
            self.hint.setText(f"Sent as {normal}")
        if self._hint is not None or shown:
            self.hint.setVisible(shown)
