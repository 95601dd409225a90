"""The app's icon for windows and dialogs, from ``explorer.resources`` (cheap to import:
the first screen needs it, not the About box it is shown in)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from explorer import resources


def app_icon() -> QIcon:
    """The app icon at every size there is a PNG for (an empty icon if none is found)."""
    icon = QIcon()
    for path in resources.icon_paths():
        icon.addFile(str(path))
    return icon
