"""The collections browser: saved requests by collection and folder, edited in place.

Every change goes straight through :class:`explorer.store.collections.Collection` (it
saves at once, atomically); the rows of the folders it touched are then brought in line with
the collection, so what is on screen is always what is on disk. Only those rows: rebuilding
a tree of hundreds of requests after each change would stall the window. Reload (F5) reads
everything again and rebuilds it all. Files that cannot be read are shown greyed, with the
reason, and are never written over.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QKeySequence,
    QStandardItem,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import ValidationError
from explorer.store import paths
from explorer.store.collections import (
    Collection,
    CollectionChange,
    Deleted,
    SavedRequest,
    TreeFolder,
    create_collection,
    list_collections,
)
from explorer.store.errors import StoreError
from explorer.ui.collections_model import (
    KEY_ROLE,
    KIND_ROLE,
    MIME_TYPE,
    PATH_ROLE,
    ROOT_ROLE,
    BadgeDelegate,
    CollectionsModel,
    collection_item,
    collection_key,
    make_item,
    row_key,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Undo:
    """One deletion that Ctrl+Z can take back."""

    root: str
    record: Deleted
    name: str


class CollectionsPanel(QWidget):
    """Saved requests: every collection, its folders and requests, with method badges.

    Double-click or Enter opens a request; F2 renames, Ctrl+D duplicates, Del deletes
    (Ctrl+Z undoes), folders and requests move by drag and drop within a collection.

    Signals:
        request_opened(object, object): a request (SavedRequest) and its Collection, to
            load into the editor.
        run_requested(object, str): run a Collection, or a folder of it (path, "" = all).
        status_message(str): something to show in the status bar (also shown in the panel).
        collections_changed(): a collection was opened, created or changed on disk.
    """

    request_opened = Signal(object, object)
    run_requested = Signal(object, str)
    status_message = Signal(str)
    collections_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, load_default: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("collectionsPanel")
        self._collections: dict[str, Collection] = {}
        self._unsubscribe: dict[str, Callable[[], None]] = {}
        self._writing = False  # the panel's own change: it updates the tree itself
        self._undo: list[_Undo] = []
        # Collection.revision as the tree shows it, by collection folder: a change made
        # elsewhere (a save from the editor, a reload before a run) leaves it behind.
        self._shown: dict[str, int] = {}

        self.model = CollectionsModel(self)
        self.tree = QTreeView(self)
        self.tree.setObjectName("collectionsTree")
        self.tree.setAccessibleName("Collections")
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)  # one size hint for all rows, not one per row
        self.tree.setItemDelegate(BadgeDelegate(self.tree))
        self.tree.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setDropIndicatorShown(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.tree.activated.connect(self._on_activated)

        self.new_button = QToolButton(self)
        self.new_button.setText("New collection…")
        self.new_button.clicked.connect(self.ask_new_collection)
        self.open_button = QToolButton(self)
        self.open_button.setText("Open folder…")
        self.open_button.setToolTip("Open any folder (a repository checkout, say) as a collection")
        self.open_button.clicked.connect(self.ask_open_folder)
        self.message = QLabel(self)
        self.message.setObjectName("collectionsMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.message)

        # No shortcut: the tree itself turns Enter into activated, and a Return shortcut would
        # also fire while the inline rename editor is open.
        self.open_action = self._action("Open", None, self._open_current)
        self.rename_action = self._action("Rename", "F2", self.rename_current)
        self.duplicate_action = self._action("Duplicate", "Ctrl+D", self.duplicate_current)
        self.new_folder_action = self._action("New folder…", "Ctrl+Shift+N", self.ask_new_folder)
        self.delete_action = self._action(
            "Delete", QKeySequence.StandardKey.Delete, self.delete_current
        )
        self.undo_action = self._action(
            "Undo delete", QKeySequence.StandardKey.Undo, self.undo_delete
        )
        self.run_action = self._action("Run…", None, self._run_current)
        self.reload_action = self._action("Reload from disk", "F5", self.reload)
        self.undo_action.setEnabled(False)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._update_actions())

        if load_default:
            self.load_default()
        self._update_actions()

    def _action(self, text: str, key: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        # Only while the panel has focus: Del and Ctrl+Z mean other things in the form.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # --- collections -------------------------------------------------------------------------

    def load_default(self) -> None:
        """Open every collection in the app's collections folder."""
        for info in list_collections(paths.collections_dir()):
            try:
                self._keep(Collection.open(info.path))
            except StoreError as exc:
                log.warning("collection %s not opened: %s", info.path, exc)
        self.refresh()

    def collections(self) -> list[Collection]:
        """The open collections, by name."""
        return sorted(self._collections.values(), key=lambda c: c.name.casefold())

    def add_collection(self, collection: Collection) -> None:
        """Show ``collection`` (already open) in the tree."""
        self._keep(collection)
        self.refresh()
        self.collections_changed.emit()

    def _keep(self, collection: Collection) -> None:
        """Hold ``collection`` and hear of every change made to it from now on."""
        key = str(collection.root)
        old = self._unsubscribe.pop(key, None)
        if old is not None:
            old()
        self._collections[key] = collection
        self._unsubscribe[key] = collection.subscribe(self._on_changed)

    def _on_changed(self, change: CollectionChange) -> None:
        """A change made elsewhere (a save from the editor, say): show it and select it."""
        if not self._writing and str(change.collection.root) in self._collections:
            folders = list(change.folders) if change.folders is not None else None
            self._after_change(change.collection, change.path, folders, before=change.before)

    @contextlib.contextmanager
    def _own_change(self) -> Iterator[None]:
        self._writing = True
        try:
            yield
        finally:
            self._writing = False

    def show_saved(self, saved: SavedRequest, collection: Collection) -> None:
        """Select a request just saved elsewhere (the save dialog); a collection the tree did
        not show yet (made by that save) is added first."""
        if str(collection.root) not in self._collections:
            self._keep(collection)
            self.collections_changed.emit()
            # Not shown before: what else it holds is not in the tree yet.
            self._after_change(collection, saved.path or "", before=None)
            return
        self.select(collection.root, saved.path or "")
        self.tree.scrollTo(self.tree.currentIndex())

    def open_folder(self, folder: Path | str) -> Collection | None:
        """Open ``folder`` as a collection, making it one first if it is not yet."""
        path = Path(folder)
        try:
            if (path / "collection.json").exists():
                coll = Collection.open(path)
            else:
                coll = Collection.create(path)
        except (StoreError, ValidationError) as exc:
            self.show_message(str(exc))
            return None
        self.add_collection(coll)
        self.show_message(f"Opened {coll.name} from {path}")
        return coll

    def new_collection(self, name: str) -> Collection | None:
        """Create a collection called ``name`` in the app's collections folder."""
        try:
            coll = create_collection(name)
        except (StoreError, ValidationError) as exc:
            self.show_message(str(exc))
            return None
        self.add_collection(coll)
        self.show_message(f"Created the collection {coll.name}")
        return coll

    def ask_new_collection(self) -> None:
        """Ask for a name (non-modal) and create the collection."""
        dialog = self._name_dialog("New collection", "Name of the collection:", "")
        dialog.textValueSelected.connect(self.new_collection)
        dialog.open()

    def ask_open_folder(self) -> None:
        """Pick a folder (non-modal) and open it as a collection."""
        dialog = QFileDialog(self, "Open a folder as a collection")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.open_folder)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # the panel owns it until then
        dialog.open()

    def _name_dialog(self, title: str, label: str, text: str) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # the panel owns it until then
        return dialog

    # --- the tree ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read every open collection again from disk (after a ``git pull``, say)."""
        for coll in self._collections.values():
            coll.reload()
        self.refresh()
        self.collections_changed.emit()

    def refresh(self) -> None:
        """Rebuild the tree from the open collections, keeping what was expanded and current."""
        expanded = self._expanded_keys()
        current = self.tree.currentIndex()
        current_key = (
            (current.data(ROOT_ROLE), current.data(PATH_ROLE)) if current.isValid() else None
        )
        self._rebuild()
        self._restore(expanded, current_key)
        self._update_actions()

    def _rebuild(self) -> None:
        self.model.clear()
        root_item = self.model.invisibleRootItem()
        root_item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # no drops outside a collection
        self._shown = {}
        for coll in self.collections():
            self._shown[str(coll.root)] = coll.revision
            root_item.appendRow(collection_item(coll))

    def _walk(self, parent: QModelIndex | None = None) -> list[QModelIndex]:
        out = []
        parent = parent or QModelIndex()
        for row in range(self.model.rowCount(parent)):
            index = self.model.index(row, 0, parent)
            out.append(index)
            out.extend(self._walk(index))
        return out

    def _expanded_keys(self) -> set[tuple[str, str]] | None:
        if self.model.rowCount() == 0:
            return None  # first build: expand everything
        return {
            (i.data(ROOT_ROLE), i.data(PATH_ROLE)) for i in self._walk() if self.tree.isExpanded(i)
        }

    def _restore(
        self, expanded: set[tuple[str, str]] | None, current: tuple[str, str] | None
    ) -> None:
        for index in self._walk():
            key = (index.data(ROOT_ROLE), index.data(PATH_ROLE))
            if expanded is None or key in expanded or index.data(KIND_ROLE) == "collection":
                self.tree.setExpanded(index, True)
            if current is not None and key == current:
                self.tree.setCurrentIndex(index)

    def find(self, root: Path | str, path: str) -> QModelIndex:
        """The tree index of ``path`` in the collection at ``root`` (invalid if not shown)."""
        item = self._item(str(root), path)
        return item.index() if item is not None else QModelIndex()

    def _item(self, root: str, path: str) -> QStandardItem | None:
        """The row of ``path`` in the collection at ``root``, found folder by folder.

        Rows nest as paths do (``a/b.json`` is in ``a``), so this looks at one folder's rows
        per part of the path instead of at every row of the tree.
        """
        top = self.model.invisibleRootItem()
        item = next(
            (
                top.child(row)
                for row in range(top.rowCount())
                if top.child(row).data(ROOT_ROLE) == root
            ),
            None,
        )
        if item is None or not path:
            return item
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            for row in range(item.rowCount()):
                child = item.child(row)
                if child.data(PATH_ROLE) == prefix:
                    item = child
                    break
            else:
                return None
        return item

    def select(self, root: Path | str, path: str) -> None:
        index = self.find(root, path)
        if index.isValid():
            self.tree.setCurrentIndex(index)

    def _collection(self, index: QModelIndex | QPersistentModelIndex) -> Collection | None:
        return self._collections.get(index.data(ROOT_ROLE)) if index.isValid() else None

    def _update_actions(self) -> None:
        index = self.tree.currentIndex()
        kind = index.data(KIND_ROLE) if index.isValid() else None
        self.open_action.setEnabled(kind == "request")
        self.rename_action.setEnabled(kind in ("folder", "request"))
        self.duplicate_action.setEnabled(kind == "request")
        self.new_folder_action.setEnabled(kind is not None)
        self.delete_action.setEnabled(kind in ("folder", "request", "problem"))
        self.run_action.setEnabled(kind in ("collection", "folder"))
        self.undo_action.setEnabled(bool(self._undo))

    def show_message(self, text: str) -> None:
        """Show ``text`` under the tree and pass it on for the status bar."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.status_message.emit(text)

    # --- actions ---------------------------------------------------------------------------

    def _menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if index.isValid():
            self.tree.setCurrentIndex(index)
        self._update_actions()
        menu = QMenu(self)
        kind = index.data(KIND_ROLE) if index.isValid() else None
        if kind == "request":
            menu.addAction(self.open_action)
        if kind in ("folder", "request"):
            menu.addAction(self.rename_action)
        if kind == "request":
            menu.addAction(self.duplicate_action)
        if kind is not None:
            menu.addAction(self.new_folder_action)
        if kind in ("collection", "folder"):
            menu.addAction(self.run_action)
        if kind in ("folder", "request", "problem"):
            menu.addSeparator()
            menu.addAction(self.delete_action)
        menu.addAction(self.undo_action)
        menu.addSeparator()
        menu.addAction(self.reload_action)
        menu.addAction("New collection…", self.ask_new_collection)
        menu.addAction("Open folder…", self.ask_open_folder)
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _on_activated(self, index: QModelIndex) -> None:
        self.open_index(index)

    def _open_current(self) -> None:
        self.open_index(self.tree.currentIndex())

    def open_index(self, index: QModelIndex) -> None:
        """Emit :attr:`request_opened` for the request at ``index``."""
        coll = self._collection(index)
        kind = index.data(KIND_ROLE)
        if coll is None or kind not in ("request", "problem"):
            return
        if kind == "problem":
            self.show_message(
                f"{index.data()} cannot be opened: {index.data(Qt.ItemDataRole.ToolTipRole)}"
            )
            return
        try:
            saved = coll.get(index.data(PATH_ROLE))
        except StoreError as exc:
            self.show_message(str(exc))
            return
        self.request_opened.emit(saved, coll)

    def rename_current(self) -> None:
        """Start renaming the current folder or request in place."""
        index = self.tree.currentIndex()
        if index.isValid() and index.data(KIND_ROLE) in ("folder", "request"):
            self.tree.edit(index)

    def _rename(self, index: QModelIndex, name: str) -> bool:
        coll = self._collection(index)
        if coll is None or name.strip() == str(index.data() or ""):
            return False
        before = coll.revision
        try:
            with self._own_change():
                new_path = coll.rename(index.data(PATH_ROLE), name)
        except (StoreError, ValidationError) as exc:
            self.show_message(str(exc))
            return False
        self.show_message(f"Renamed to {name.strip()}")
        # Not now: the view is still inside setData and holds the index.
        QTimer.singleShot(0, self, lambda: self._after_change(coll, new_path, before=before))
        return True

    def rename(self, root: Path | str, path: str, name: str) -> bool:
        """Rename ``path`` as the inline editor does (the same code path)."""
        index = self.find(root, path)
        ok = index.isValid() and self.model.setData(index, name, Qt.ItemDataRole.EditRole)
        return bool(ok)

    def duplicate_current(self) -> None:
        index = self.tree.currentIndex()
        coll = self._collection(index)
        if coll is None or index.data(KIND_ROLE) != "request":
            return
        before = coll.revision
        try:
            with self._own_change():
                copy = coll.duplicate(index.data(PATH_ROLE))
        except (StoreError, ValidationError) as exc:
            self.show_message(str(exc))
            return
        self.show_message(f"Duplicated as {copy.name}")
        path = copy.path or ""
        self._after_change(coll, path, before=before)

    def ask_new_folder(self) -> None:
        """Ask for a name (non-modal) and create the folder next to the current entry."""
        index = self.tree.currentIndex()
        if self._collection(index) is None:
            return
        persistent = QPersistentModelIndex(index)
        dialog = self._name_dialog("New folder", "Name of the folder:", "")
        dialog.textValueSelected.connect(
            lambda name: self.new_folder(
                persistent.data(ROOT_ROLE), self._folder_of(persistent), name
            )
        )
        dialog.open()

    def _folder_of(self, index: QModelIndex | QPersistentModelIndex) -> str:
        kind = index.data(KIND_ROLE)
        path = str(index.data(PATH_ROLE) or "")
        if kind in ("collection", "folder"):
            return path
        return path.rpartition("/")[0]

    def new_folder(self, root: Path | str, parent: str, name: str) -> str | None:
        """Create folder ``name`` in ``parent`` of the collection at ``root``."""
        coll = self._collections.get(str(root))
        if coll is None:
            return None
        before = coll.revision
        try:
            with self._own_change():
                path = coll.create_folder(name, parent)
        except (StoreError, ValidationError) as exc:
            self.show_message(str(exc))
            return None
        self.show_message(f"Created the folder {name.strip()}")
        self._after_change(coll, path, before=before)
        return path

    def delete_current(self) -> None:
        """Move the current entry to the collection's trash; Ctrl+Z brings it back."""
        index = self.tree.currentIndex()
        coll = self._collection(index)
        if coll is None or index.data(KIND_ROLE) not in ("folder", "request", "problem"):
            return
        name = str(index.data())
        before = coll.revision
        try:
            with self._own_change():
                record = coll.delete(index.data(PATH_ROLE))
        except (StoreError, ValidationError) as exc:
            self.show_message(str(exc))
            return
        self._undo.append(_Undo(str(coll.root), record, name))
        self.show_message(f"Deleted {name}. Press Ctrl+Z (or Undo delete) to bring it back.")
        folder = record.path.rpartition("/")[0]
        self._after_change(coll, folder, [folder], before=before)

    def undo_delete(self) -> None:
        """Put back the last deleted entry."""
        if not self._undo:
            return
        undo = self._undo.pop()
        coll = self._collections.get(undo.root)
        if coll is None:
            return
        before = coll.revision
        try:
            with self._own_change():
                path = coll.undo(undo.record)
        except (StoreError, ValidationError) as exc:
            self.show_message(str(exc))
            return
        self.show_message(f"Restored {undo.name}")
        self._after_change(coll, path, before=before)

    def _run_current(self) -> None:
        index = self.tree.currentIndex()
        coll = self._collection(index)
        if coll is not None and index.data(KIND_ROLE) in ("collection", "folder"):
            self.run_requested.emit(coll, str(index.data(PATH_ROLE) or ""))

    def _after_change(
        self,
        coll: Collection,
        path: str,
        folders: Iterable[str] | None = None,
        *,
        before: int | None = None,
    ) -> None:
        """Show a change to ``coll`` and select ``path``.

        ``folders`` are those whose entries the change added, removed, renamed or reordered
        (by default the one ``path`` is in): only their rows are updated, unless the tree
        must be rebuilt (see :meth:`_update_rows`). ``before`` is
        ``coll.revision`` before the change (``None``: not known); when the tree showed
        another one, all of ``coll`` is compared with the tree, as for any collection
        changed elsewhere since it was shown.
        """
        if folders is None:
            folders = [path.rpartition("/")[0]]
        if not self._update_rows(coll, folders, before):
            self.refresh()
        self.select(coll.root, path)
        self.tree.scrollTo(self.tree.currentIndex())
        self._update_actions()
        self.collections_changed.emit()

    def _update_rows(self, coll: Collection, folders: Iterable[str], before: int | None) -> bool:
        """Bring the rows of ``folders`` of ``coll`` in line with it; ``False``: rebuild all.

        Rows that did not change stay as they are (expanded or not, selected or not); a row
        that comes back (a folder moved within its folder) is expanded if it was, just as a
        full rebuild keeps what was expanded by path. A collection changed elsewhere since
        the tree showed it is compared with the tree all through, so the tree shows what a
        rebuild would.
        """
        root = str(coll.root)
        coll = self._collections.get(root, coll)  # the one the tree shows
        for other in self._collections.values():
            key = str(other.root)
            seen = before if other is coll else other.revision
            if (seen is None or seen != self._shown.get(key)) and not self._update_all(other):
                return False
        if self._item(root, "") is None:
            return False
        expanded: set[str] = set()
        added: list[QStandardItem] = []
        # Parents first: a folder whose rows its parent has just made anew is then up to date.
        for folder in sorted(set(folders), key=lambda f: (f.count("/") if f else -1, f)):
            rel: str | None = folder
            while rel is not None:
                item = self._item(root, rel)
                node = self._tree_of(coll, rel) if item is not None else None
                if item is not None and node is not None:
                    self._update_children(item, node, root, expanded, added)
                    break
                # Gone (moved, deleted) or not shown yet (made by an undo): its parent then.
                rel = rel.rpartition("/")[0] if rel else None
        if expanded:
            self._expand_again(added, expanded)
        self._shown[root] = coll.revision
        return True

    def _update_all(self, coll: Collection) -> bool:
        """Bring every row of ``coll`` in line with it; ``False``: the tree must be rebuilt.

        That is when its own row would change (its name decides where it is listed).
        """
        root = str(coll.root)
        top = self._item(root, "")
        if top is None or top.data(KEY_ROLE) != collection_key(coll):
            return False
        expanded: set[str] = set()
        added: list[QStandardItem] = []

        def update(item: QStandardItem, folder: TreeFolder) -> None:
            self._update_children(item, folder, root, expanded, added)
            for row, child in enumerate(folder.children):
                if isinstance(child, TreeFolder):
                    update(item.child(row), child)  # rows just made anew compare equal

        update(top, coll.tree())
        if expanded:
            self._expand_again(added, expanded)
        self._shown[root] = coll.revision
        return True

    @staticmethod
    def _tree_of(coll: Collection, folder: str) -> TreeFolder | None:
        try:
            return coll.tree(folder)
        except StoreError:
            return None

    def _update_children(
        self,
        parent: QStandardItem,
        folder: TreeFolder,
        root: str,
        expanded: set[str],
        added: list[QStandardItem],
    ) -> None:
        """Make ``parent``'s rows those of ``folder``'s entries, touching only what differs."""
        old = [parent.child(row).data(KEY_ROLE) for row in range(parent.rowCount())]
        new = [row_key(child) for child in folder.children]
        if old == new:
            return
        steps = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
        for tag, i1, i2, _, _ in steps:
            if tag in ("delete", "replace"):
                for row in range(i1, i2):
                    self._note_expanded(parent.child(row), expanded)
        # From the end, so the rows of the steps still to do keep their numbers.
        for tag, i1, i2, j1, j2 in reversed(steps):
            if tag == "equal":
                continue
            if i2 > i1:
                parent.removeRows(i1, i2 - i1)
            if j2 > j1:
                items = [make_item(child, root) for child in folder.children[j1:j2]]
                parent.insertRows(i1, items)
                added.extend(items)

    def _note_expanded(self, item: QStandardItem, expanded: set[str]) -> None:
        """Add the paths of ``item`` and the folders in it that are expanded to ``expanded``.

        Empty folders too: one expanded shows what is dropped into it later.
        """
        if item.data(KIND_ROLE) != "folder":
            return
        if self.tree.isExpanded(item.index()):
            expanded.add(str(item.data(PATH_ROLE)))
        for row in range(item.rowCount()):
            self._note_expanded(item.child(row), expanded)

    def _expand_again(self, items: list[QStandardItem], expanded: set[str]) -> None:
        """Expand the folders among ``items`` (and in them) whose paths are in ``expanded``."""
        for item in items:
            if item.data(KIND_ROLE) != "folder":
                continue
            if item.data(PATH_ROLE) in expanded:
                self.tree.setExpanded(item.index(), True)
            self._expand_again([item.child(row) for row in range(item.rowCount())], expanded)

    # --- drag and drop ---------------------------------------------------------------------

    def _drop_target(
        self, data: QMimeData, row: int, parent: Any
    ) -> tuple[Collection, list[str], str, int | None] | None:
        """What a drop would do: (collection, paths, folder, index), or None if not allowed."""
        if not data.hasFormat(MIME_TYPE) or not parent.isValid():
            return None
        entries = json.loads(bytes(data.data(MIME_TYPE).data()).decode("utf-8"))
        kind = parent.data(KIND_ROLE)
        if not entries or kind not in ("collection", "folder"):
            return None
        root = parent.data(ROOT_ROLE)
        if any(e.get("root") != root for e in entries):
            return None  # moving between collections is a copy; not by drag and drop
        folder = str(parent.data(PATH_ROLE) or "")
        paths_ = [str(e["path"]) for e in entries]
        if any(folder == p or folder.startswith(p + "/") for p in paths_):
            return None  # a folder into itself
        coll = self._collections.get(root)
        if coll is None:
            return None
        return coll, paths_, folder, (row if row >= 0 else None)

    def _drop(self, data: QMimeData, row: int, parent: Any) -> None:
        target = self._drop_target(data, row, parent)
        if target is None:
            return
        coll, paths_, folder, index = target
        new_path = ""
        touched = {folder} | {p.rpartition("/")[0] for p in paths_}
        before = coll.revision
        for path in paths_:
            old_folder, _, entry = path.rpartition("/")
            at = index
            if at is not None and old_folder == folder:
                # The row counts the entry itself; the store places it among the others.
                names = [
                    str(self.model.index(r, 0, parent).data(PATH_ROLE)).rpartition("/")[2]
                    for r in range(self.model.rowCount(parent))
                ]
                if entry in names and names.index(entry) < at:
                    at -= 1
            try:
                with self._own_change():
                    new_path = coll.move(path, folder, at)
            except (StoreError, ValidationError) as exc:
                self.show_message(str(exc))
                break
            if index is not None:
                index += 1
        else:
            self.show_message(f"Moved to {folder or coll.name}")
        # Updated after the drag has finished: the view still holds the old rows now.
        QTimer.singleShot(
            0, self, lambda: self._after_change(coll, new_path, touched, before=before)
        )
