"""The window's panels that the first screen does not show, built when first needed.

The Collections and History tabs, the runner and the history store
behind them cost start-up time that the first paint should not wait for: each is a
:class:`~explorer.ui.deferred.Deferred` placeholder until it is looked at (or
:meth:`WindowPanels.warm_up` builds it while the app is idle).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal

from explorer.ui import status
from explorer.ui.deferred import Deferred

if TYPE_CHECKING:
    import httpx

    from explorer.core.connection import Connection
    from explorer.store.history import History
    from explorer.ui.collections_panel import CollectionsPanel
    from explorer.ui.datasets_panel import DatasetsPanel
    from explorer.ui.history_panel import HistoryPanel
    from explorer.ui.runner_panel import RunnerPanel


class WindowPanels(QObject):
    """Builds and keeps the deferred panels; the window places their placeholders.

    Signals:
        saved_request_opened(object, object): a saved request (and its collection) was
            opened from the Collections tab.
        history_request_opened(object): a Draft was opened from the History tab.
        run_requested(object, str): run a collection (or one of its folders).
        history_compare_requested(object, object): compare two history entries' responses.
    """

    saved_request_opened = Signal(object, object)
    history_request_opened = Signal(object)
    run_requested = Signal(object, str)
    history_compare_requested = Signal(object, object)

    def __init__(
        self,
        http: Callable[[], httpx.AsyncClient | None],
        settings: QSettings,
        connection: Callable[[], Connection | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._http = http
        self.settings = settings
        self._connection = connection
        self._history_store: History | None = None
        self.collections_slot: Deferred[CollectionsPanel] = Deferred(self._make_collections)
        self.history_slot: Deferred[HistoryPanel] = Deferred(self._make_history)
        self.runner_slot: Deferred[RunnerPanel] = Deferred(self._make_runner)
        self.datasets_slot: Deferred[DatasetsPanel] = Deferred(self._make_datasets)

    @property
    def collections(self) -> CollectionsPanel:
        return self.collections_slot.widget()

    @property
    def history(self) -> HistoryPanel:
        return self.history_slot.widget()

    @property
    def runner(self) -> RunnerPanel:
        return self.runner_slot.widget()

    @property
    def history_store(self) -> History:
        """Every send, kept across restarts (shared by the history tab and the runner)."""
        if self._history_store is None:
            from explorer.store.history import History

            self._history_store = History()
        return self._history_store

    def set_http(self, http: httpx.AsyncClient | None) -> None:
        runner = self.runner_slot.get()
        if runner is not None:
            runner.set_http(http)
        datasets = self.datasets_slot.get()
        if datasets is not None:
            datasets.set_http(http)

    def set_connection(self, connection: Connection | None) -> None:
        runner = self.runner_slot.get()
        if runner is not None:
            runner.set_connection(connection)
        datasets = self.datasets_slot.get()
        if datasets is not None:
            datasets.set_connection(connection)

    def _make_collections(self) -> CollectionsPanel:
        from explorer.ui.collections_panel import CollectionsPanel

        panel = CollectionsPanel()
        panel.request_opened.connect(self.saved_request_opened)
        panel.status_message.connect(lambda text: status.show(panel, text))
        panel.collections_changed.connect(self._collections_changed)
        panel.run_requested.connect(self.run_requested)
        opened = self.settings.value("collections/opened", [])
        for folder in [opened] if isinstance(opened, str) else list(opened or []):
            # Folders opened from elsewhere (a repository checkout, say) come back; one that
            # has since gone is skipped.
            if Path(folder, "collection.json").is_file():
                panel.open_folder(folder)
        return panel

    def _collections_changed(self) -> None:
        runner, panel = self.runner_slot.get(), self.collections_slot.get()
        if runner is not None and panel is not None:
            runner.set_collections(panel.collections())

    def _make_history(self) -> HistoryPanel:
        from explorer.ui.history_panel import HistoryPanel

        panel = HistoryPanel(self.history_store)
        panel.request_opened.connect(self.history_request_opened)
        panel.compare_requested.connect(self.history_compare_requested)
        return panel

    def _make_runner(self) -> RunnerPanel:
        from explorer.ui.runner_panel import RunnerPanel

        runner = RunnerPanel(history=self.history_store)
        runner.set_collections(self.collections.collections())
        runner.set_http(self._http())
        runner.set_connection(self._connection())
        return runner

    def _make_datasets(self) -> DatasetsPanel:
        from explorer.ui.datasets_panel import DatasetsPanel

        panel = DatasetsPanel()
        panel.set_http(self._http())
        panel.set_connection(self._connection())
        return panel

    def save_opened_folders(self) -> None:
        """Remember the collection folders opened from elsewhere, for the next start."""
        panel = self.collections_slot.get()
        if panel is None:  # the folders opened last time are still the ones to open
            return
        from explorer.store import paths

        home = paths.collections_dir().resolve()
        opened = [str(c.root) for c in panel.collections() if c.root.resolve().parent != home]
        self.settings.setValue("collections/opened", opened)

    def warm_up(self) -> Iterator[None]:
        """Load, one short step at a time, what the first form switch, the first response and
        the first look at a side tab would otherwise stop for (run while the app is idle; see
        app.amain)."""
        from explorer.ui.editors import load_all_editors

        yield from load_all_editors()
        for module in (
            "explorer.core.pagination",
            "explorer.ui.json_view",
            "explorer.ui.results_table",
            "secrets",  # the collections store's imports, one step each
            "shutil",
            "explorer.store.migrations",
            "explorer.store.collections",
            "explorer.ui.collections_panel",
            "explorer.ui.history_panel",
        ):
            importlib.import_module(module)
            yield
        # The side tabs read their files now rather than on the first click.
        self.collections_slot.widget()
        yield
        self.history_slot.widget()
        yield
        from explorer.ui.editors.language_combo import warm_languages

        # Last: the thread takes turns with this one, and made the steps above twice as long.
        warm_languages()
