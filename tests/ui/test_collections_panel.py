"""The collections panel and the save dialog, acting on real collection folders on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

from explorer.core.catalog import HttpMethod
from explorer.core.request import Draft
from explorer.store import paths
from explorer.store.collections import Collection, SavedRequest, create_collection
from explorer.ui.collections_model import KIND_ROLE, METHOD_ROLE, PATH_ROLE
from explorer.ui.collections_panel import CollectionsPanel
from explorer.ui.dirty_tracker import DirtyTracker
from explorer.ui.save_request_dialog import (
    SaveRequestDialog,
    confirm_discard,
    save_current,
)


def smoke() -> Collection:
    """A collection in the app's collections folder: two requests on top, one in a folder."""
    coll = create_collection("Smoke")
    coll.add(SavedRequest("List contacts", Draft("contacts")))
    coll.add(SavedRequest("List groups", Draft("groups")))
    folder = coll.create_folder("Groups")
    coll.add(
        SavedRequest("Create group", Draft("groups", HttpMethod.POST, body={"name": "G"})),
        folder,
    )
    return coll


def labels(panel: CollectionsPanel, parent: QModelIndex | None = None) -> list[Any]:
    """The tree as nested lists of (name, kind) — what a user sees."""
    parent = parent or QModelIndex()
    out: list[Any] = []
    for row in range(panel.model.rowCount(parent)):
        index = panel.model.index(row, 0, parent)
        entry: Any = (index.data(), index.data(KIND_ROLE))
        if panel.model.rowCount(index):
            entry = (*entry, labels(panel, index))
        out.append(entry)
    return out


def order(coll: Collection) -> dict[str, list[str]]:
    doc = json.loads((coll.root / "collection.json").read_text("utf-8"))
    return doc.get("order", {})


@pytest.fixture
def coll() -> Collection:
    return smoke()


@pytest.fixture
def panel(qtbot: Any, coll: Collection) -> CollectionsPanel:
    widget = CollectionsPanel()
    qtbot.addWidget(widget)
    widget.resize(320, 420)
    widget.show()
    return widget


def test_lists_the_collections_folders_and_requests(panel: CollectionsPanel) -> None:
    assert labels(panel) == [
        (
            "Smoke",
            "collection",
            [
                ("List contacts", "request"),
                ("List groups", "request"),
                ("Groups", "folder", [("Create group", "request")]),
            ],
        )
    ]
    index = panel.find(panel.collections()[0].root, "groups/create-group.json")
    assert not index.isValid()  # folders keep their own name: Groups/…
    index = panel.find(panel.collections()[0].root, "Groups/create-group.json")
    assert index.isValid() and panel.tree.isExpanded(index.parent())


def test_double_click_or_enter_opens_the_request(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    index = panel.find(coll.root, "Groups/create-group.json")
    panel.tree.setCurrentIndex(index)
    with qtbot.waitSignal(panel.request_opened) as blocker:
        panel.tree.setFocus()
        qtbot.keyClick(panel.tree, Qt.Key.Key_Return)
    saved, opened_from = blocker.args
    assert saved.name == "Create group" and saved.draft.body == {"name": "G"}
    assert opened_from is coll or opened_from.root == coll.root
    rect = panel.tree.visualRect(index)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(panel.request_opened):
        qtbot.mouseDClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_rename_duplicate_new_folder_act_on_disk(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    # Rename goes through the model's setData: what the inline (F2) editor commits.
    assert panel.rename(coll.root, "list-contacts.json", "All contacts")
    qtbot.waitUntil(lambda: panel.find(coll.root, "all-contacts.json").isValid())
    assert not (coll.root / "list-contacts.json").exists()
    doc = json.loads((coll.root / "all-contacts.json").read_text("utf-8"))
    assert doc["name"] == "All contacts"
    assert order(coll)[""][0] == "all-contacts.json"  # it kept its place

    panel.select(coll.root, "list-groups.json")
    panel.duplicate_action.trigger()
    copy = json.loads((coll.root / "list-groups-copy.json").read_text("utf-8"))
    assert copy["name"] == "List groups copy"
    assert panel.tree.currentIndex().data() == "List groups copy"

    panel.select(coll.root, "Groups")
    assert panel.new_folder(coll.root, "Groups", "Archive") == "Groups/Archive"
    assert (coll.root / "Groups" / "Archive").is_dir()
    assert ("Archive", "folder") in labels(panel)[0][2][3][2]

    panel.select(coll.root, "Groups")
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_F2)  # the inline editor
    assert panel.tree.state() == panel.tree.State.EditingState
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "Groups"
    qtbot.keyClick(editor, Qt.Key.Key_Delete)  # edits the name, deletes nothing
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (coll.root / "Groups").is_dir() and not panel.undo_action.isEnabled()
    editor.setText("Group admin")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil((coll.root / "Group admin" / "create-group.json").is_file)
    qtbot.waitUntil(lambda: panel.tree.currentIndex().data(PATH_ROLE) == "Group admin")


def test_a_bad_rename_is_refused_with_a_message(panel: CollectionsPanel, coll: Collection) -> None:
    assert not panel.rename(coll.root, "Groups", "a/b")
    assert (coll.root / "Groups").is_dir()
    assert "cannot contain" in panel.message.text()


def test_delete_then_undo_restores_the_file(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    before = (coll.root / "Groups" / "create-group.json").read_bytes()
    panel.select(coll.root, "Groups")
    with qtbot.waitSignal(panel.status_message) as blocker:
        panel.delete_action.trigger()
    assert "Ctrl+Z" in blocker.args[0]
    assert not (coll.root / "Groups").exists()
    assert [x[0] for x in labels(panel)[0][2]] == ["List contacts", "List groups"]
    assert panel.undo_action.isEnabled()

    panel.undo_action.trigger()
    assert (coll.root / "Groups" / "create-group.json").read_bytes() == before
    assert [x[0] for x in labels(panel)[0][2]] == ["List contacts", "List groups", "Groups"]
    assert panel.message.text() == "Restored Groups"
    assert not panel.undo_action.isEnabled()


def test_drag_and_drop_moves_within_a_collection(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    model = panel.model
    # A request into a folder, dropped on the folder (the path a QTreeView drop takes).
    source = panel.find(coll.root, "list-groups.json")
    folder = panel.find(coll.root, "Groups")
    data = model.mimeData([source])
    assert model.canDropMimeData(data, Qt.DropAction.MoveAction, -1, 0, folder)
    model.dropMimeData(data, Qt.DropAction.MoveAction, -1, 0, folder)
    qtbot.waitUntil(lambda: panel.find(coll.root, "Groups/list-groups.json").isValid())
    assert (coll.root / "Groups" / "list-groups.json").is_file()
    assert not (coll.root / "list-groups.json").exists()

    # The folder above the request, by dropping it between rows at the top.
    top = panel.find(coll.root, "Groups").parent()
    data = model.mimeData([panel.find(coll.root, "Groups")])
    model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, top)
    qtbot.waitUntil(lambda: labels(panel)[0][2][0][0] == "Groups")
    assert order(coll)[""] == ["Groups", "list-contacts.json"]

    # Reordering downwards inside one folder: row counts the dragged entry itself.
    data = model.mimeData([panel.find(coll.root, "Groups/create-group.json")])
    folder = panel.find(coll.root, "Groups")
    model.dropMimeData(data, Qt.DropAction.MoveAction, 2, 0, folder)
    qtbot.waitUntil(lambda: order(coll).get("Groups") == ["list-groups.json", "create-group.json"])

    # Never into itself, never onto another collection.
    other = create_collection("Other")
    panel.add_collection(other)
    groups = panel.find(coll.root, "Groups")
    data = model.mimeData([groups])
    assert not model.canDropMimeData(data, Qt.DropAction.MoveAction, -1, 0, groups)
    other_index = panel.find(other.root, "")
    assert not model.canDropMimeData(data, Qt.DropAction.MoveAction, -1, 0, other_index)


def test_an_unreadable_file_is_greyed_with_its_reason_and_left_alone(
    qtbot: Any, coll: Collection
) -> None:
    broken = coll.root / "Groups" / "broken.json"
    content = b'{"schema_version": 1, "name": "Half-writ'
    broken.write_bytes(content)
    widget = CollectionsPanel()
    qtbot.addWidget(widget)
    index = widget.find(coll.root, "Groups/broken.json")
    assert index.data(KIND_ROLE) == "problem"
    assert index.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#8a8a8a"
    assert "could not be opened" in index.data(Qt.ItemDataRole.ToolTipRole)
    # Opening it, renaming around it and moving its neighbours never write over it.
    widget.open_index(index)
    assert "cannot be opened" in widget.message.text()
    assert not widget.rename(coll.root, "Groups/broken.json", "Fixed")
    widget.new_folder(coll.root, "Groups", "Sub")
    widget.select(coll.root, "Groups/create-group.json")
    widget.duplicate_action.trigger()
    assert broken.read_bytes() == content


def test_open_folder_and_new_collection(panel: CollectionsPanel, tmp_path: Path) -> None:
    checkout = tmp_path / "repo"
    checkout.mkdir()
    coll = panel.open_folder(checkout)
    assert coll is not None and (checkout / "collection.json").is_file()
    created = panel.new_collection("Team flows")
    assert created is not None and created.root.parent == paths.collections_dir()
    assert [c.name for c in panel.collections()] == ["repo", "Smoke", "Team flows"]
    assert panel.new_collection("  ") is None and "name" in panel.message.text()


# --- saving ---------------------------------------------------------------------------------


def test_the_save_dialog_writes_a_file_and_refuses_an_empty_name(
    qtbot: Any, coll: Collection
) -> None:
    draft = Draft("contacts", params={"group": "Farmers"})
    dialog = SaveRequestDialog(draft, [coll])
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.name_edit.setText("  ")
    dialog.save()
    assert dialog.isVisible() and dialog.error.isVisible()
    assert dialog.error.text() == "Give the request a name"

    dialog.name_edit.setText("Farmers")
    dialog.notes_edit.setPlainText("Everyone in the Farmers group")
    dialog.folder_box.setCurrentIndex(dialog.folder_box.findData("Groups"))
    dialog.status_edit.setText("200")
    with qtbot.waitSignal(dialog.saved) as blocker:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    saved, where = blocker.args
    assert saved.path == "Groups/farmers.json" and where is coll
    doc = json.loads((coll.root / "Groups" / "farmers.json").read_text("utf-8"))
    assert doc["params"] == {"group": "Farmers"} and doc["expect_status"] == 200
    assert doc["notes"] == "Everyone in the Farmers group"
    assert not dialog.isVisible()


def test_a_bad_expected_status_is_refused_inline(qtbot: Any, coll: Collection) -> None:
    dialog = SaveRequestDialog(Draft("contacts"), [coll])
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("X")
    dialog.status_edit.setText("20")
    assert dialog.save() is None and "not an HTTP status" in dialog.error.text()


def test_ctrl_s_saves_in_place_or_asks(qtbot: Any, coll: Collection) -> None:
    tracker = DirtyTracker()
    changes: list[bool] = []
    tracker.dirty_changed.connect(changes.append)
    saved = coll.get("list-contacts.json")
    tracker.set_saved(saved, coll)
    assert not tracker.update(Draft("contacts", params={"group": ""}))  # unset is no change
    assert tracker.update(Draft("contacts", params={"group": "Farmers"}))
    assert tracker.title("List contacts") == "• List contacts" and changes == [True]

    assert save_current(Draft("contacts", params={"group": "Farmers"}), tracker, [coll]) is None
    doc = json.loads((coll.root / "list-contacts.json").read_text("utf-8"))
    assert doc["params"] == {"group": "Farmers"} and not tracker.dirty and changes == [True, False]

    scratch = DirtyTracker()
    assert scratch.update(Draft("runs", params={"flow": "abc"}))
    dialog = save_current(Draft("runs", params={"flow": "abc"}), scratch, [coll])
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Runs of a flow")
    dialog.save()
    assert (coll.root / "runs-of-a-flow.json").is_file()
    panel = CollectionsPanel(load_default=False)
    qtbot.addWidget(panel)
    dialog.saved.connect(panel.show_saved)  # as the window wires it
    panel.show_saved(scratch.saved, coll)  # type: ignore[arg-type]
    assert panel.tree.currentIndex().data() == "Runs of a flow"
    assert scratch.saved is not None and scratch.saved.path == "runs-of-a-flow.json"
    assert not scratch.dirty


def test_discarding_changes_asks_first(qtbot: Any, coll: Collection) -> None:
    tracker = DirtyTracker()
    discarded: list[bool] = []
    assert confirm_discard(None, tracker, lambda: discarded.append(True)) is None  # type: ignore[arg-type]
    assert discarded == [True]
    tracker.set_saved(coll.get("list-contacts.json"), coll)
    tracker.update(Draft("contacts", params={"name": "Ann"}))
    box = confirm_discard(None, tracker, lambda: discarded.append(True))  # type: ignore[arg-type]
    assert box is not None and box.isVisible() and discarded == [True]
    box.button(QMessageBox.StandardButton.Discard).click()
    assert discarded == [True, True]


def test_screenshot(panel: CollectionsPanel, coll: Collection, qtbot: Any) -> None:
    (coll.root / "Groups" / "broken.json").write_text("{", "utf-8")
    coll.add(SavedRequest("Delete a group", Draft("groups", HttpMethod.DELETE, {"uuid": "x"})))
    panel.reload_action.trigger()  # F5: changes made outside the panel
    assert ("Delete a group", "request") in labels(panel)[0][2]
    panel.select(coll.root, "list-groups.json")
    qtbot.wait(50)
    assert panel.grab().save("/tmp/collections_panel.png")
    dialog = SaveRequestDialog(Draft("contacts"), [coll])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name_edit.clear()
    dialog.save()
    qtbot.wait(50)
    assert dialog.grab().save("/tmp/save_request_dialog.png")


def test_new_folder_and_new_collection_ask_without_blocking(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    panel.select(coll.root, "Groups/create-group.json")
    panel.new_folder_action.trigger()
    dialog = panel.findChild(QInputDialog)
    assert dialog is not None and dialog.isVisible()  # open(), not exec()
    dialog.setTextValue("Drafts")
    dialog.accept()
    assert (coll.root / "Groups" / "Drafts").is_dir()
    assert panel.tree.currentIndex().data(PATH_ROLE) == "Groups/Drafts"
    qtbot.waitUntil(lambda: panel.findChild(QInputDialog) is None)  # deleted on close

    panel.ask_new_collection()
    dialog = panel.findChild(QInputDialog)
    assert dialog is not None
    dialog.setTextValue("Onboarding")
    dialog.accept()
    assert "Onboarding" in [c.name for c in panel.collections()]


# --- changes update the rows they touch ------------------------------------------------------


def rows(panel: CollectionsPanel, parent: QModelIndex | None = None) -> list[Any]:
    """Every row as the user sees it (text, kind, path, method, tooltip, colour, flags)."""
    parent = parent or QModelIndex()
    out: list[Any] = []
    for row in range(panel.model.rowCount(parent)):
        index = panel.model.index(row, 0, parent)
        brush = index.data(Qt.ItemDataRole.ForegroundRole)
        out.append(
            (
                index.data(),
                index.data(KIND_ROLE),
                index.data(PATH_ROLE),
                index.data(METHOD_ROLE),
                index.data(Qt.ItemDataRole.ToolTipRole),
                index.data(Qt.ItemDataRole.AccessibleTextRole),
                brush.color().name() if brush is not None else None,
                index.flags(),
                rows(panel, index),
            )
        )
    return out


def as_opened_afresh(qtbot: Any) -> list[Any]:
    """The rows of a new panel, which reads every collection from disk."""
    fresh = CollectionsPanel()
    qtbot.addWidget(fresh)
    return rows(fresh)


def test_every_change_shows_what_reading_the_disk_again_shows(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    (coll.root / "Groups" / "broken.json").write_text("{", "utf-8")
    panel.reload_action.trigger()

    def check(current: str) -> None:
        assert rows(panel) == as_opened_afresh(qtbot)
        assert panel.tree.currentIndex().data(PATH_ROLE) == current

    panel.select(coll.root, "list-groups.json")
    panel.duplicate_action.trigger()
    check("list-groups-copy.json")

    panel.delete_action.trigger()
    check("")  # the collection, where the deleted request was
    panel.select(coll.root, "Groups")
    panel.delete_action.trigger()
    check("")
    panel.undo_action.trigger()
    check("Groups")
    panel.undo_action.trigger()
    check("list-groups-copy.json")

    assert panel.rename(coll.root, "list-groups-copy.json", "All groups")
    qtbot.waitUntil(lambda: panel.find(coll.root, "all-groups.json").isValid())
    check("all-groups.json")
    assert panel.rename(coll.root, "Groups", "Group admin")
    qtbot.waitUntil(lambda: panel.find(coll.root, "Group admin").isValid())
    check("Group admin")

    assert panel.new_folder(coll.root, "Group admin", "Old") == "Group admin/Old"
    check("Group admin/Old")

    model = panel.model
    data = model.mimeData([panel.find(coll.root, "all-groups.json")])
    model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, panel.find(coll.root, "Group admin"))
    qtbot.waitUntil(lambda: panel.find(coll.root, "Group admin/all-groups.json").isValid())
    check("Group admin/all-groups.json")
    data = model.mimeData([panel.find(coll.root, "Group admin/Old")])
    model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, panel.find(coll.root, ""))
    qtbot.waitUntil(lambda: panel.find(coll.root, "Old").isValid())
    check("Old")
    data = model.mimeData([panel.find(coll.root, "Group admin/broken.json")])
    model.dropMimeData(data, Qt.DropAction.MoveAction, -1, 0, panel.find(coll.root, "Old"))
    qtbot.waitUntil(lambda: panel.find(coll.root, "Old/broken.json").isValid())
    check("Old/broken.json")
    assert panel.find(coll.root, "Old/broken.json").data(KIND_ROLE) == "problem"
    assert (coll.root / "Old" / "broken.json").read_text("utf-8") == "{"


def test_a_change_keeps_what_is_expanded_and_collapsed(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    panel.new_folder(coll.root, "Groups", "Archive")
    archive = panel.find(coll.root, "Groups/Archive")
    panel.tree.setExpanded(archive, True)  # empty, but expanded: what comes in shows
    groups = panel.find(coll.root, "Groups")
    panel.tree.collapse(groups)

    panel.select(coll.root, "list-contacts.json")
    panel.delete_action.trigger()
    assert not panel.tree.isExpanded(panel.find(coll.root, "Groups"))
    assert panel.tree.isExpanded(panel.find(coll.root, "Groups/Archive"))
    assert panel.tree.isExpanded(panel.find(coll.root, ""))

    # A folder moved within its folder comes back as it was: collapsed, its inside expanded.
    model = panel.model
    data = model.mimeData([panel.find(coll.root, "Groups")])
    model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, panel.find(coll.root, ""))
    qtbot.waitUntil(lambda: labels(panel)[0][2][0][0] == "Groups")
    assert not panel.tree.isExpanded(panel.find(coll.root, "Groups"))
    assert panel.tree.isExpanded(panel.find(coll.root, "Groups/Archive"))
    data = model.mimeData([panel.find(coll.root, "list-groups.json")])
    model.dropMimeData(
        data, Qt.DropAction.MoveAction, -1, 0, panel.find(coll.root, "Groups/Archive")
    )
    qtbot.waitUntil(lambda: panel.find(coll.root, "Groups/Archive/list-groups.json").isValid())
    assert panel.tree.isExpanded(panel.find(coll.root, "Groups/Archive"))
    # The moved request is selected, so the folders above it open to show it.
    assert panel.tree.isExpanded(panel.find(coll.root, "Groups"))


def test_files_changed_by_others_show_after_reload(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    (coll.root / "Groups" / "by-hand.json").write_text(
        '{"schema_version": 1, "name": "Made by hand", "endpoint": "runs"}', "utf-8"
    )
    (coll.root / "list-contacts.json").unlink()
    panel.new_folder(coll.root, "", "Mine")  # a change of our own, elsewhere
    panel.reload_action.trigger()  # F5
    assert rows(panel) == as_opened_afresh(qtbot)
    assert [x[0] for x in labels(panel)[0][2]] == ["List groups", "Groups", "Mine"]
    assert ("Made by hand", "request") in labels(panel)[0][2][1][2]


def test_changes_made_elsewhere_show_with_the_next_change(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    shown = panel.collections()[0]
    # Ctrl+S in the editor saves in place, through the same collection, not the panel.
    saved = shown.get("Groups/create-group.json")
    saved.draft = Draft("groups", HttpMethod.DELETE, params={"uuid": "x"})
    shown.save(saved)
    panel.select(coll.root, "list-contacts.json")
    panel.delete_action.trigger()
    assert panel.find(coll.root, "Groups/create-group.json").data(METHOD_ROLE) == "DELETE"
    assert rows(panel) == as_opened_afresh(qtbot)

    # A run reads the collection again first: what others changed on disk then shows too.
    (coll.root / "Groups" / "by-hand.json").write_text(
        '{"schema_version": 1, "name": "Made by hand", "endpoint": "runs"}', "utf-8"
    )
    shown.reload()
    assert panel.new_folder(coll.root, "", "Mine") == "Mine"
    assert ("Made by hand", "request") in labels(panel)[0][2][1][2]
    assert rows(panel) == as_opened_afresh(qtbot)


def test_a_save_made_elsewhere_shows_in_the_tree_at_once(
    panel: CollectionsPanel, coll: Collection, qtbot: Any
) -> None:
    shown = panel.collections()[0]
    # The editor saves through the collection the panel shows, never through the panel.
    saved = shown.get("Groups/create-group.json")
    saved.draft = Draft("groups", HttpMethod.DELETE, params={"uuid": "x"})
    shown.save(saved)
    assert panel.find(coll.root, "Groups/create-group.json").data(METHOD_ROLE) == "DELETE"
    added = shown.add(SavedRequest("List runs", Draft("runs")), "Groups")
    index = panel.find(coll.root, added.path or "")
    assert index.isValid() and index.data() == "List runs"
    assert panel.tree.currentIndex() == index  # selected, as a save from the dialog is
    shown.delete(added.path or "")
    assert not panel.find(coll.root, added.path or "").isValid()
    assert rows(panel) == as_opened_afresh(qtbot)
