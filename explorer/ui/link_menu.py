"""The menu a link opens: what can be done with the contact, flow or group it refers to.

Each entry fills in a request (a :class:`~explorer.core.request.Draft` from
:mod:`explorer.core.links`) and nothing more: the request waits in the form for Send. The
last entry copies the identity (UUID, key or email) itself.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from explorer.core.links import Ref, actions_for
from explorer.ui import status


class LinkMenu(QMenu):
    """The actions of one reference, titled with what it refers to.

    An action asks for a new tab, or for this request when Ctrl or Shift is held with the
    click that opened the menu, Shift with Enter (Ctrl+Enter is Send), or either when the
    entry is chosen.

    Signals:
        action_chosen(object, bool): an entry was chosen: its Draft, and whether a new tab
            was asked for.
    """

    action_chosen = Signal(object, bool)

    def __init__(
        self, ref: Ref, key: str = "uuid", *, in_place: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("linkMenu")
        self.setAccessibleName(f"What to do with {ref.title}")
        self.ref = ref
        self._in_place = in_place
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setToolTipsVisible(True)
        title = self.addSection(ref.title)
        title.setObjectName("linkMenuTitle")
        for action in actions_for(ref, key):
            item = self.addAction(action.label)
            item.setToolTip(
                f"Fills in {action.draft.method} {action.draft.endpoint}; Send sends it"
            )
            item.triggered.connect(lambda _c=False, d=action.draft: self._chosen(d))
        self.addSeparator()
        what = {"uuid": "UUID", "key": "key", "email": "email"}.get(key, key)
        self.copy_action = self.addAction(f"Copy {what}")
        self.copy_action.triggered.connect(self._copy)

    def labels(self) -> list[str]:
        """The entries' texts, in order (the title and separators left out)."""
        return [a.text() for a in self.actions() if not a.isSeparator()]

    def _chosen(self, draft: object) -> None:
        held = QGuiApplication.keyboardModifiers()
        in_place = self._in_place or bool(
            held & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        )
        self.action_chosen.emit(draft, not in_place)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.ref.value)
        status.show(self.parentWidget(), f"Copied {self.ref.value}")

    def open_at(self, where: QPoint) -> None:
        """Show the menu at a global point, with its first action ready for Enter."""
        self.popup(where)
        entries = [a for a in self.actions() if not a.isSeparator() and a.isEnabled()]
        if entries:
            self.setActiveAction(entries[0])
