"""The File menu's work: save the request, curl from the clipboard, variables, Postman.

:class:`FileActions` does what the menu entries ask, with the request panel and the
collections of its :class:`FileHost` (the window), and says how it went in the status bar.
Dialogs are opened, never exec()'d: no nested event loop inside the asyncio one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from explorer.core.errors import ValidationError
from explorer.store.errors import StoreError
from explorer.ui import status

if TYPE_CHECKING:
    from explorer.core.connection import Connection
    from explorer.core.request import Draft
    from explorer.store.collections import Collection
    from explorer.ui.request_panel import RequestPanel
    from explorer.ui.window_panels import WindowPanels


class FileHost(Protocol):
    """What file actions need of the window they serve."""

    @property
    def request_panel(self) -> RequestPanel: ...
    @property
    def panels(self) -> WindowPanels: ...
    @property
    def connection(self) -> Connection | None: ...
    def load_draft(self, draft: Draft) -> None: ...
    def unless_unsaved(self, then: Callable[[], None], *, offer_save: bool = False) -> None: ...
    def show_collections(self) -> None: ...


class FileActions(QObject):
    """Save, curl import, variables and Postman import/export for one window."""

    def __init__(self, window: QWidget, host: FileHost) -> None:
        super().__init__(window)
        self.window = window
        self.host = host

    def _workspace(self) -> str | None:
        connection = self.host.connection
        return connection.name if connection else None

    def _collection(self) -> Collection | None:
        """The request's own collection, else the first one there is."""
        tracker = self.host.request_panel.tracker
        return tracker.collection or next(iter(self.host.panels.collections.collections()), None)

    def save_request(self) -> None:
        """Ctrl+S: save in place when the request came from a collection, else ask where."""
        from explorer.ui.save_request_dialog import save_current

        panel, collections = self.host.request_panel, self.host.panels.collections
        tracker = panel.tracker
        try:
            dialog = save_current(
                panel.form.draft(),
                tracker,
                collections.collections(),
                parent=self.window,
                workspace=self._workspace(),
            )
        except StoreError as exc:
            status.show(self.window, str(exc))
            return
        if dialog is None:
            saved, collection = tracker.saved, tracker.collection
            if saved is not None and collection is not None:  # the tree shows it at once
                collections.show_saved(saved, collection)
            status.show(self.window, f"Saved {saved.name if saved else 'the request'}")
        else:
            dialog.saved.connect(collections.show_saved)

    def edit_variables(self) -> None:
        """The open collection's variables and the current workspace's environment."""
        from explorer.ui.variables_dialog import VariablesDialog

        collection = self._collection()
        if collection is None:
            status.show(self.window, "Save a request first: variables belong to a collection.")
            return
        dialog = VariablesDialog(collection, self._workspace(), self.window)
        dialog.saved.connect(self.host.request_panel.refresh)  # values may now (not) resolve
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def paste_curl(self) -> None:
        """A curl command on the clipboard becomes the request (asking first over unsaved edits)."""
        from explorer.core.curl_import import import_message, parse_curl

        try:
            imported = parse_curl(QGuiApplication.clipboard().text())
        except ValidationError as exc:
            status.show(self.window, f"The clipboard has no usable curl command: {exc}")
            return

        def load() -> None:
            self.host.load_draft(imported.draft)
            status.show(self.window, import_message(imported, self.host.connection))

        self.host.unless_unsaved(load)

    def import_postman(self) -> None:
        dialog = QFileDialog(
            self.window, "Import a Postman collection", "", "Postman collection (*.json)"
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.import_postman_file)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def import_postman_file(self, path: str) -> None:
        from explorer.store import paths
        from explorer.store.postman import create_from_postman, read_postman

        collections = self.host.panels.collections
        try:
            result = read_postman(Path(path))
            taken = [c.name for c in collections.collections()]
            folder = paths.collections_dir() / Path(path).stem
            collection = create_from_postman(result, folder, taken_names=taken)
        except (ValidationError, StoreError) as exc:
            status.show(self.window, str(exc))
            return
        collections.add_collection(collection)
        problems = f" ({len(result.problems)} item(s) could not be used)" if result.problems else ""
        status.show(self.window, f"Imported {collection.name}{problems}.")
        self.host.show_collections()

    def export_postman(self) -> None:
        collection = self._collection()
        if collection is None:
            status.show(self.window, "There is no collection to export yet.")
            return
        dialog = QFileDialog(self.window, f"Export {collection.name} for Postman")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("Postman collection (*.json)")
        dialog.selectFile(f"{collection.name}.postman_collection.json")
        dialog.fileSelected.connect(lambda path: self.export_postman_file(collection, path))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def export_postman_file(self, collection: Collection, path: str) -> None:
        from explorer.store.postman import write_postman

        try:
            write_postman(collection, Path(path))
        except StoreError as exc:
            status.show(self.window, str(exc))
            return
        status.show(self.window, f"Exported to {path} (token left empty).")
