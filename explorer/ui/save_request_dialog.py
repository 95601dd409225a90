"""Saving the request in the editor to a collection (Ctrl+S), and knowing when it changed.

:class:`SaveRequestDialog` asks for a name, notes, a collection and folder and the
expected status, then writes through the store. :class:`DirtyTracker` compares the editor's
draft with the saved request, so the window can mark its title with "•" and ask before
the changes are thrown away. :func:`save_current` is what Ctrl+S calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import ValidationError
from explorer.core.request import Draft
from explorer.store.collections import (
    Collection,
    SavedRequest,
    create_collection,
)
from explorer.store.errors import StoreError
from explorer.ui.dirty_tracker import DirtyTracker

log = logging.getLogger(__name__)

DEFAULT_COLLECTION = "My requests"


def parse_statuses(text: str) -> tuple[int, ...]:
    """``"200, 201"`` → ``(200, 201)``; empty → ``()`` (any 2xx). Raises ValidationError."""
    out = []
    for part in text.replace(",", " ").replace("or", " ").split():
        if not part.isdigit() or not 100 <= int(part) <= 599:
            raise ValidationError(f"{part} is not an HTTP status (100 to 599)")
        out.append(int(part))
    return tuple(out)


def confirm_discard(
    parent: QWidget,
    tracker: DirtyTracker,
    discard: Callable[[], None],
    save: Callable[[], None] | None = None,
) -> QMessageBox | None:
    """Run ``discard`` now if nothing is unsaved; otherwise ask first (non-modal).

    The box offers Save (when ``save`` is given), Discard and Cancel; it is returned so a
    caller (or a test) can answer it. Never blocks: the answer arrives through signals.
    """
    if not tracker.dirty:
        discard()
        return None
    name = tracker.saved.name if tracker.saved is not None else "this request"
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Your changes to {name} are not saved.")
    box.setInformativeText("Discard them?")
    buttons = QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
    if save is not None:
        buttons |= QMessageBox.StandardButton.Save
    box.setStandardButtons(buttons)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def answered(button: Any) -> None:
        which = box.standardButton(button)
        if which == QMessageBox.StandardButton.Discard:
            discard()
        elif which == QMessageBox.StandardButton.Save and save is not None:
            save()

    box.buttonClicked.connect(answered)
    box.open()
    return box


class SaveRequestDialog(QDialog):
    """Save a draft as a request of a collection: name, notes, place and expected status.

    Open it with ``open()``. An empty name is refused inline. With no collection yet, one
    called "My requests" is made on save.

    Signals:
        saved(object, object): the SavedRequest as written, and its Collection.
    """

    saved = Signal(object, object)

    def __init__(
        self,
        draft: Draft,
        collections: Sequence[Collection],
        *,
        existing: SavedRequest | None = None,
        collection: Collection | None = None,
        workspace: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("saveRequestDialog")
        self.setWindowTitle("Save request")
        self.draft = draft
        self.existing = existing
        self.workspace = workspace
        self._collections = list(collections)
        if collection is not None and all(c.root != collection.root for c in self._collections):
            self._collections.append(collection)

        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("saveName")
        self.name_edit.setPlaceholderText("List contacts in a group")
        self.name_edit.setText(existing.name if existing else _default_name(draft))
        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setObjectName("saveNotes")
        self.notes_edit.setPlaceholderText("What it is for (optional)")
        self.notes_edit.setFixedHeight(70)
        self.notes_edit.setPlainText(existing.notes if existing else "")
        self.collection_box = QComboBox(self)
        self.collection_box.setObjectName("saveCollection")
        for coll in self._collections:
            self.collection_box.addItem(coll.name, coll)
        if not self._collections:
            self.collection_box.addItem(f"{DEFAULT_COLLECTION} (new)", None)
        self.folder_box = QComboBox(self)
        self.folder_box.setObjectName("saveFolder")
        self.status_edit = QLineEdit(self)
        self.status_edit.setObjectName("saveExpectStatus")
        self.status_edit.setPlaceholderText("any 2xx (or e.g. 201, or 200, 404)")
        if existing and existing.expect_status:
            self.status_edit.setText(", ".join(str(s) for s in existing.expect_status))
        self.error = QLabel(self)
        self.error.setObjectName("saveError")
        self.error.setStyleSheet("color: #c62828")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("N&otes:", self.notes_edit)
        form.addRow("&Collection:", self.collection_box)
        form.addRow("&Folder:", self.folder_box)
        form.addRow("&Expected status:", self.status_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.collection_box.currentIndexChanged.connect(self._fill_folders)
        self.name_edit.textChanged.connect(lambda _t: self.error.hide())
        if collection is not None:
            at = next(i for i, c in enumerate(self._collections) if c.root == collection.root)
            self.collection_box.setCurrentIndex(at)
        self._fill_folders()
        if existing is not None:
            at = self.folder_box.findData(existing.folder)
            if at >= 0:
                self.folder_box.setCurrentIndex(at)
        self.resize(440, self.sizeHint().height())

    def _fill_folders(self, *_: Any) -> None:
        self.folder_box.clear()
        coll = self.collection_box.currentData()
        self.folder_box.addItem("(top of the collection)", "")
        if isinstance(coll, Collection):
            for folder in coll.folders():
                self.folder_box.addItem(folder, folder)

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def save(self) -> SavedRequest | None:
        """Write the request; on a problem, say so in the dialog and keep it open."""
        name = self.name_edit.text().strip()
        if not name:
            self._fail("Give the request a name")
            self.name_edit.setFocus()
            return None
        try:
            statuses = parse_statuses(self.status_edit.text())
        except ValidationError as exc:
            self._fail(str(exc))
            self.status_edit.setFocus()
            return None
        coll = self.collection_box.currentData()
        folder = str(self.folder_box.currentData() or "")
        try:
            if not isinstance(coll, Collection):
                coll = create_collection(DEFAULT_COLLECTION)
            request = SavedRequest(
                name=name,
                draft=self.draft,
                notes=self.notes_edit.toPlainText().strip(),
                expect_status=statuses,
                capture=dict(self.existing.capture) if self.existing else {},
                workspace=self.existing.workspace if self.existing else self.workspace,
            )
            written = self._write(coll, request, folder)
        except (StoreError, ValidationError) as exc:
            self._fail(str(exc))
            return None
        self.saved.emit(written, coll)
        self.accept()
        return written

    def _write(self, coll: Collection, request: SavedRequest, folder: str) -> SavedRequest:
        existing = self.existing
        same_place = (
            existing is not None
            and existing.path
            and existing.folder == folder
            and any(p == existing.path for p in _request_paths(coll))
        )
        if not same_place or existing is None or existing.path is None:
            return coll.add(request, folder)
        path = existing.path
        if existing.name != request.name:
            path = coll.rename(path, request.name)
        return coll.save(replace(request, path=path))


def _request_paths(coll: Collection) -> list[str]:
    return [r.path or "" for r in coll.requests()]


def _default_name(draft: Draft) -> str:
    method = str(getattr(draft.method, "value", draft.method)).upper()
    verb = {"GET": "List", "POST": "Post to", "DELETE": "Delete from"}.get(method, method)
    return f"{verb} {draft.endpoint}"


def save_current(
    draft: Draft,
    tracker: DirtyTracker,
    collections: Sequence[Collection],
    *,
    parent: QWidget | None = None,
    workspace: str | None = None,
    save_as: bool = False,
) -> SaveRequestDialog | None:
    """What Ctrl+S does with the editor's ``draft``.

    A request opened from a collection (``tracker.saved``) is saved over its file at once
    and None is returned. Otherwise — or with ``save_as`` — a :class:`SaveRequestDialog`
    is opened (non-modal) and returned; its ``saved`` signal is already connected to
    ``tracker.set_saved``. Raises StoreError when saving in place fails.
    """
    if tracker.saved is not None and tracker.collection is not None and not save_as:
        written = tracker.collection.save(replace(tracker.saved, draft=draft))
        tracker.set_saved(written, tracker.collection)
        return None
    dialog = SaveRequestDialog(
        draft,
        collections,
        existing=None,  # Save As makes a new request, never changes the opened one
        collection=tracker.collection,
        workspace=workspace,
        parent=parent,
    )
    dialog.saved.connect(tracker.set_saved)
    dialog.open()
    return dialog
