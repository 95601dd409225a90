"""``Deferred``: a place in the layout for a widget that is built the first time it is needed.

The first screen paints sooner when panels it does not show (side tabs, the results table,
fetch-all, the runner) are neither imported nor built until they are looked at or used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

W = TypeVar("W", bound=QWidget)


class Deferred(QWidget, Generic[W]):
    """Holds the place of the widget ``factory`` makes, and makes it on first need.

    That is when this place is first shown (unless ``on_show`` is False) or when
    :meth:`widget` is first called. ``placeholder``, if given, is shown until then.
    ``built`` (if given) is called once with the new widget, to wire it up.
    """

    def __init__(
        self,
        factory: Callable[[], W],
        *,
        built: Callable[[W], None] | None = None,
        placeholder: QWidget | None = None,
        on_show: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._factory = factory
        self._built = built
        self._on_show = on_show
        self._widget: W | None = None
        self._building = False
        self._placeholder = placeholder
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if placeholder is not None:
            layout.addWidget(placeholder)

    @property
    def is_built(self) -> bool:
        return self._widget is not None

    def get(self) -> W | None:
        """The widget if it has been built, else None (never builds it)."""
        return self._widget

    def widget(self) -> W:
        """The widget, built now if it was not yet."""
        if self._widget is None:
            if self._building:  # the factory, or what it set off, asked for it: a bug
                raise RuntimeError("a Deferred widget was asked for while it was being built")
            self._building = True
            try:
                widget = self._factory()
            finally:
                self._building = False
            self._widget = widget
            if self._placeholder is not None:
                self._placeholder.hide()
                self._placeholder.deleteLater()
                self._placeholder = None
            self.layout().addWidget(widget)
            if self.isVisible():  # else the layout shows it a loop turn late: a blank frame
                widget.show()
            if self._built is not None:
                self._built(widget)
        return self._widget

    def showEvent(self, event: QShowEvent) -> None:
        if self._on_show:
            self.widget()
        super().showEvent(event)
