"""Collections panel: how long each tree change holds the GUI thread on 300 saved requests.

Run by hand: ``python tests/benchmarks/bench_collections.py [ROUNDS]`` (offscreen). It makes a
collection of 300 requests (60 on top, 60 in each of three folders, 50 in a fourth and 10 in
a sub-folder of it) in a temporary app folder (no real user folder is touched), opens it in
a real, shown :class:`CollectionsPanel`, and times each change through the code path its UI
action takes:
the actions' ``trigger()`` (delete, Ctrl+Z, duplicate), the model's ``setData`` (what the F2
editor commits), the model's ``mimeData``/``dropMimeData`` (a drag and drop) and
``new_folder`` (what the New folder… dialog calls).

Two figures per change, each the median and the worst of ROUNDS rounds:

- "handler": the action's own call plus, after a rename or a drop, the tree update the panel
  defers to the next turn of the event loop (two stalls, added up);
- "painted": the wall time from the action until the event loop has nothing left to do, the
  repaint of the tree included: an upper bound of what the user waits for.

Each change is undone, untimed, between rounds, so every round starts from the same 300
requests. "repaint" (the tree repainted, nothing changed) and "reload (F5)" (everything
read again from disk, on purpose) are there for scale. The app's budget for any GUI stall
is 50 ms. To compare with other code, run it with ``PYTHONPATH`` naming a copy of that
``explorer`` package.
"""

from __future__ import annotations

import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Before anything imports Qt or reads the app's folders: no window, no real user folder.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="colbench_"))
for _name in ("CONFIG", "DATA", "CACHE"):
    os.environ[f"RAPIDPRO_EXPLORER_{_name}_DIR"] = str(_HOME / _name.lower())

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from explorer.core.catalog import HttpMethod  # noqa: E402
from explorer.core.request import Draft  # noqa: E402
from explorer.store.collections import (  # noqa: E402
    COLLECTION_FILE,
    Collection,
    SavedRequest,
    create_collection,
    dump,
    request_text,
    slugify,
)
from explorer.ui.collections_model import PATH_ROLE  # noqa: E402
from explorer.ui.collections_panel import CollectionsPanel  # noqa: E402

FOLDERS = {"": 60, "Contacts": 60, "Groups": 60, "Flows": 50, "Flows/Old": 10, "Messages": 60}
BUDGET_MS = 50.0


def sample(i: int) -> SavedRequest:
    """A request like the ones people save: a few parameters, sometimes a body."""
    kind = i % 3
    if kind == 0:
        return SavedRequest(f"List contacts {i}", Draft("contacts", params={"group": f"Group {i}"}))
    if kind == 1:
        return SavedRequest(
            f"Create group {i}",
            Draft("groups", HttpMethod.POST, body={"name": f"Testers {i}"}),
            notes="Made by the benchmark.",
            expect_status=(201,),
        )
    return SavedRequest(
        f"Start flow {i}",
        Draft(
            "flow_starts",
            HttpMethod.POST,
            body={"flow": "f5901b62-ba76-4003-9c62-72fdacc1b7b7", "urns": [f"tel:+2507{i:08d}"]},
        ),
        capture={"start": "uuid"},
    )


def build() -> tuple[Collection, list[str]]:
    """The 300-request collection, written as the store writes it (quicker than 300 adds).

    Returns it and the path of each request, by number.
    """
    coll = create_collection("Benchmark")
    order: dict[str, list[str]] = {}
    where: list[str] = []
    for folder, count in FOLDERS.items():
        base = coll.root / folder if folder else coll.root
        base.mkdir(parents=True, exist_ok=True)
        names = []
        for _ in range(count):
            request = sample(len(where))
            name = slugify(request.name) + ".json"
            (base / name).write_text(request_text(request), encoding="utf-8")
            names.append(name)
            where.append(f"{folder}/{name}" if folder else name)
        order[folder] = names
    for folder in FOLDERS:
        if folder and "/" not in folder:
            order[""].append(folder)
    order["Flows"].append("Old")
    meta = coll.meta_json()
    meta["order"] = dict(sorted(order.items()))
    (coll.root / COLLECTION_FILE).write_text(dump(meta), encoding="utf-8")
    return Collection.open(coll.root), where


def settle(app: QApplication) -> None:
    """Run everything the event loop has queued (deferred updates, repaints)."""
    for _ in range(3):
        app.processEvents()


class Deferred:
    """Counts the time the panel spends in its deferred tree update (after a rename, a drop).

    The panel calls ``self._after_change`` from a zero-timer; an instance attribute wrapping
    it is what that call finds.
    """

    def __init__(self, panel: CollectionsPanel) -> None:
        self.seconds = 0.0
        self.in_action = False
        inner = panel._after_change

        def after_change(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                if not self.in_action:  # called from the action itself: counted there
                    self.seconds += time.perf_counter() - start

        panel._after_change = after_change  # type: ignore[method-assign]


def timed(app: QApplication, deferred: Deferred, action: Callable[[], Any]) -> tuple[float, float]:
    """Milliseconds of ``action``'s handlers, and until the event loop is idle again."""
    settle(app)
    gc.collect()
    deferred.seconds = 0.0
    deferred.in_action = True
    start = time.perf_counter()
    try:
        action()
    finally:
        deferred.in_action = False
    handler = time.perf_counter() - start
    settle(app)
    painted = time.perf_counter() - start
    return (handler + deferred.seconds) * 1000, painted * 1000


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    app = QApplication.instance() or QApplication(sys.argv[:1])
    coll, where = build()
    assert len(coll.requests()) == 300, len(coll.requests())
    root = coll.root
    panel = CollectionsPanel()
    panel.resize(360, 800)
    panel.show()
    settle(app)
    model = panel.model
    assert all(panel.find(root, path).isValid() for path in where[::7])

    def opened() -> Collection:
        return panel.collections()[0]

    def select(path: str) -> None:
        panel.select(root, path)
        assert panel.tree.currentIndex().data(PATH_ROLE) == path, path

    def drop(path: str, folder: str, row: int = -1) -> None:
        data = model.mimeData([panel.find(root, path)])
        model.dropMimeData(data, Qt.DropAction.MoveAction, row, 0, panel.find(root, folder))

    deferred = Deferred(panel)
    times: dict[str, list[tuple[float, float]]] = {}

    def record(label: str, action: Callable[[], Any]) -> None:
        times.setdefault(label, []).append(timed(app, deferred, action))

    for r in range(rounds):
        # Delete a request in the middle of a folder, then Ctrl+Z.
        select(where[150])
        record("delete request", panel.delete_action.trigger)
        record("undo delete (request)", panel.undo_action.trigger)
        assert all(panel.find(root, path).isValid() for path in where[::7])

        # The same with a folder of 60 requests.
        select("Messages")
        record("delete folder (60)", panel.delete_action.trigger)
        record("undo delete (folder)", panel.undo_action.trigger)
        assert panel.find(root, where[270]).isValid()

        # Duplicate (Ctrl+D); the copy is deleted again, untimed.
        select(where[90])
        record("duplicate", panel.duplicate_action.trigger)
        copy = panel.tree.currentIndex().data(PATH_ROLE)
        assert copy == where[90].replace(".json", "-copy.json"), copy
        select(copy)
        panel.delete_action.trigger()

        # Rename a request (what F2 + Enter commits), and back.
        name = f"Renamed {r}"
        record("rename request", lambda n=name: panel.rename(root, where[10], n))
        assert panel.find(root, f"renamed-{r}.json").isValid()
        panel.rename(root, f"renamed-{r}.json", sample(10).name)
        settle(app)
        assert panel.find(root, where[10]).isValid()

        # Rename a folder of 60, and back.
        record("rename folder (60)", lambda: panel.rename(root, "Messages", "Messages 2"))
        assert panel.find(root, "Messages 2/" + where[270].partition("/")[2]).isValid()
        panel.rename(root, "Messages 2", "Messages")
        settle(app)

        # Drag a request into another folder, and back.
        moved = "Groups/" + where[100].partition("/")[2]
        record("move request (drop)", lambda: drop(where[100], "Groups"))
        assert panel.find(root, moved).isValid()
        record("move request back", lambda m=moved: drop(m, "Contacts"))
        # Reorder within a folder: to the top, then (untimed) back to its place (the row
        # counts the dragged entry itself, as in the view).
        record("reorder in folder", lambda: drop(where[200], "Flows", 0))
        drop(where[200], "Flows", 200 - 180 + 1)
        settle(app)

        # Drag a folder of 60 into another folder, and back.
        record("move folder (60)", lambda: drop("Messages", "Groups"))
        assert panel.find(root, "Groups/" + where[270]).isValid()
        drop("Groups/Messages", "", model.rowCount(panel.find(root, "")))
        settle(app)

        # New folder (what the New folder… dialog calls); deleted again, untimed.
        record("new folder", lambda n=f"Folder {r}": panel.new_folder(root, "Groups", n))
        select(f"Groups/Folder {r}")
        panel.delete_action.trigger()

        # For scale: what repainting the tree alone costs (every change above repaints it).
        record("repaint (for scale)", panel.tree.viewport().repaint)
        # For scale: F5 re-reads the whole collection from disk on purpose.
        record("reload (F5, for scale)", panel.reload_action.trigger)
        settle(app)

    # Every round put things back: the collection is as it was built.
    fresh = Collection.open(root)
    assert len(fresh.requests()) == 300 and fresh.tree() == opened().tree()

    print(f"Collections panel, {len(fresh.requests())} requests, {rounds} rounds (ms)")
    print(f"{'':<24}{'handler':>18}{'painted':>18}")
    print(f"{'operation':<24}" + f"{'median':>9}{'worst':>9}" * 2)
    for label, values in times.items():
        handler = [h for h, _ in values]
        painted = [p for _, p in values]
        flag = "  over budget" if max(handler) > BUDGET_MS and "scale" not in label else ""
        print(
            f"{label:<24}"
            f"{statistics.median(handler):>9.1f}{max(handler):>9.1f}"
            f"{statistics.median(painted):>9.1f}{max(painted):>9.1f}{flag}"
        )
    panel.close()


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(_HOME, ignore_errors=True)
