"""What the form's editors know of the workspace: its country, groups, flows and languages.

:class:`WorkspaceData` gives a :class:`~explorer.ui.request_form.RequestForm` the context of
the connection in use (a fresh suggestion cache for each one) and asks for the
workspace's languages once a form has a language to pick, not before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from explorer.core.catalog import HttpMethod, Kind
from explorer.ui.editors import EditorContext

if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome
    from explorer.core.connection import Connection
    from explorer.core.request import Prepared
    from explorer.ui.request_form import RequestForm
    from explorer.ui.workspace_cache import WorkspaceCache


class WorkspaceData(QObject):
    """Keeps ``form``'s editor context in step with the connection in use."""

    def __init__(self, form: RequestForm, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.connection: Connection | None = None
        self._languages_asked = False

    def use(self, connection: Connection | None, http: httpx.AsyncClient | None) -> None:
        """Suggestions and the default country now come from ``connection``."""
        self.connection = connection
        if connection is None:
            self.form.set_context(EditorContext())
            return
        if http is None:
            self.form.set_context(EditorContext(default_country=connection.default_country))
            return
        from explorer.ui.workspace_cache import WorkspaceCache

        cache = WorkspaceCache(http, connection, parent=self)
        self.form.set_context(
            EditorContext(default_country=connection.default_country, cache=cache)
        )
        self._languages_asked = False
        self.form_loaded()

    def form_loaded(self) -> None:
        """The form shows another endpoint or method: fetch languages if it now needs them."""
        cache = self.form.context.cache
        endpoint = self.form.endpoint
        if self._languages_asked or cache is None or endpoint is None or self.connection is None:
            return
        spec = endpoint.method(self.form.method)
        kinds = {p.spec.base.kind for p in (*spec.params, *spec.fields)}
        if not kinds & {Kind.LANGUAGE, Kind.TRANSLATIONS}:
            return
        self._languages_asked = True
        from explorer.ui.operation import Operation

        work = self._languages(self.connection, cache)  # type: ignore[arg-type]
        Operation(self, work, doing="reading the workspace's languages").run()

    async def _languages(self, connection: Connection, cache: WorkspaceCache) -> None:
        languages = await cache.languages()  # primary first; () when it cannot be read
        if languages and self.connection is connection:
            self.form.set_context(replace(self.form.context, workspace_languages=languages))

    def answered(self, prepared: Prepared | None, outcome: Outcome) -> None:
        """A write went through: names it made show up in suggestions."""
        cache = self.form.context.cache
        wrote = prepared is not None and prepared.method is not HttpMethod.GET
        if wrote and outcome.ok and cache is not None:
            cache.invalidate(prepared.endpoint.name)  # type: ignore[union-attr]
