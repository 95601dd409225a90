"""Suggestions for references, fetched from the live workspace and kept in memory.

Reference editors (a contact's groups, a start's flow, a ticket's assignee…) offer the
workspace's own objects. :class:`WorkspaceCache` fetches the first page of an endpoint the
first time an editor asks, through the core client, and keeps the answer for a few minutes.
Fetching never blocks the GUI and never raises: a failure is logged and means "no
suggestions", and typing a value by hand always works.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from explorer.core.catalog import HttpMethod, catalog
from explorer.core.connection import Connection
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import Draft, prepare

if TYPE_CHECKING:  # httpx loads after the first paint; a cache only needs it to send
    import httpx

log = logging.getLogger(__name__)

FRESH_SECONDS = 300.0
"""How long fetched options are served without asking the server again."""

FAILED_SECONDS = 30.0
"""How long a failed fetch is remembered, so focusing a field does not hammer the server."""


@dataclass(frozen=True)
class Option:
    """One object a reference can point at, as a completer shows and inserts it.

    ``label`` is what a person recognises (a group's name, a contact's name), ``detail`` a
    secondary hint shown beside it (a UUID, a contact's first URN, a user's email), ``uuid``
    and ``key`` the identifiers the API may take (``key`` is a field's key or a user's email).
    """

    label: str
    detail: str = ""
    uuid: str | None = None
    key: str | None = None

    @property
    def search_text(self) -> str:
        """Everything a person might type to find this option."""
        parts = (self.label, self.detail, self.uuid or "", self.key or "")
        return " ".join(dict.fromkeys(x for x in parts if x))  # each once, in this order

    def insert_text(self, accepts: str | None) -> str:
        """What goes into the field for a reference that ``accepts`` (the catalog's words).

        A name is inserted where the API takes one (it reads better in a saved request);
        otherwise the UUID, or the key for fields and the email for users.
        """
        words = set(re.findall(r"[a-z]+", (accepts or "uuid").lower()))
        if self.key and ({"email", "key"} & words):
            return self.key
        if "name" in words and self.label and self.label != self.uuid:
            return self.label
        return self.uuid or self.key or self.label


@dataclass
class _Entry:
    options: list[Option]
    fetched_at: float
    problem: str | None = None  # why there are none, when fetching failed

    @property
    def failed(self) -> bool:
        return self.problem is not None

    def fresh(self, now: float) -> bool:
        ttl = FAILED_SECONDS if self.failed else FRESH_SECONDS
        return now - self.fetched_at < ttl


class WorkspaceCache(QObject):
    """The objects of one workspace that reference editors suggest, by endpoint name.

    Entries are keyed by base URL and endpoint name and live in memory only. Editors call
    :meth:`request` (which starts a fetch on the running qasync loop when needed) and read
    :meth:`cached` when :attr:`options_ready` fires; coroutines may ``await``
    :meth:`options` instead.

    Signals:
        options_ready(str): options for the named endpoint were fetched (possibly none).
    """

    options_ready = Signal(str)

    def __init__(
        self,
        http: httpx.AsyncClient,
        connection: Connection,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.http = http
        self.connection = connection
        self.base_url = connection.base_url.rstrip("/")
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[list[Option]]] = {}
        self._languages: tuple[str, ...] | None = None

    def __repr__(self) -> str:  # never show the token
        return f"WorkspaceCache({self.base_url!r})"

    def _key(self, endpoint: str) -> tuple[str, str]:
        return (self.base_url, endpoint)

    def cached(self, endpoint: str) -> list[Option] | None:
        """What is known for ``endpoint`` now (possibly stale), or None if nothing yet."""
        entry = self._entries.get(self._key(endpoint))
        return entry.options if entry is not None else None

    def problem(self, endpoint: str) -> str | None:
        """Why the last fetch of ``endpoint`` gave no suggestions, if it failed."""
        entry = self._entries.get(self._key(endpoint))
        return entry.problem if entry is not None else None

    def is_fresh(self, endpoint: str) -> bool:
        entry = self._entries.get(self._key(endpoint))
        return entry is not None and entry.fresh(time.monotonic())

    def request(self, endpoint: str) -> None:
        """Start fetching ``endpoint`` unless fresh options are known or a fetch is running.

        Returns at once; :attr:`options_ready` fires when the fetch ends. Without a running
        event loop (a widget used outside the app) nothing is fetched.
        """
        if self.is_fresh(endpoint):
            return
        try:
            self._start(endpoint)
        except RuntimeError:
            log.debug("no running event loop: no suggestions for %s", endpoint)

    async def options(self, endpoint: str) -> list[Option]:
        """The options for ``endpoint``, fetched if they are not fresh; never raises."""
        if self.is_fresh(endpoint):
            return self.cached(endpoint) or []
        return await asyncio.shield(self._start(endpoint))

    async def languages(self) -> tuple[str, ...]:
        """The workspace's languages, its primary one first (from ``/workspace.json``).

        Fetched once; ``()`` when they cannot be read (the editors then list every
        language in name order).
        """
        if self._languages is not None:
            return self._languages
        data = await read_workspace(self.http, self.connection)
        if data is None:
            return ()
        listed = [x for x in data.get("languages") or [] if isinstance(x, str)]
        primary = data.get("primary_language")
        if isinstance(primary, str) and primary:
            listed = [primary, *(x for x in listed if x != primary)]
        self._languages = tuple(listed)
        return self._languages

    def invalidate(self, endpoint: str | None = None) -> None:
        """Forget ``endpoint``'s options (all when None), e.g. after creating a group."""
        if endpoint is None:
            self._entries.clear()
        else:
            self._entries.pop(self._key(endpoint), None)

    def _start(self, endpoint: str) -> asyncio.Task[list[Option]]:
        key = self._key(endpoint)
        task = self._tasks.get(key)
        if task is None or task.done():
            asyncio.get_running_loop()  # raises RuntimeError outside a loop, before any work
            task = asyncio.ensure_future(self._fetch(endpoint))
            self._tasks[key] = task
            task.add_done_callback(lambda t, name=endpoint: self._finished(name, t))
        return task

    def _finished(self, endpoint: str, task: asyncio.Task[list[Option]]) -> None:
        self._tasks.pop(self._key(endpoint), None)
        if task.cancelled():
            return
        try:
            self.options_ready.emit(endpoint)
        except RuntimeError:  # the cache was deleted with its window while fetching
            log.debug("options for %s arrived after the cache was closed", endpoint)

    async def _fetch(self, endpoint: str) -> list[Option]:
        options: list[Option] = []
        problem: str | None = None
        try:
            options = await self._get(endpoint)
        except asyncio.CancelledError:
            raise
        except _FetchFailed as exc:
            problem = str(exc)  # already logged with the server's answer
        except Exception:
            # Suggestions are a convenience: a failure must never reach the person typing.
            log.exception("fetching suggestions from %s failed", endpoint)
            problem = "the workspace's answer could not be read"
        else:
            log.debug("%d suggestions for %s", len(options), endpoint)
        self._entries[self._key(endpoint)] = _Entry(options, time.monotonic(), problem)
        return options

    async def _get(self, endpoint: str) -> list[Option]:
        cat = catalog()
        if endpoint not in cat or not cat[endpoint].supports(HttpMethod.GET):
            return []  # e.g. media: nothing to list
        try:
            prepared = prepare(Draft(endpoint, HttpMethod.GET))
        except ValidationErrors:
            return []  # an endpoint that cannot be listed without a filter
        conn = self.connection
        outcome = await conn.send(self.http, conn.request(prepared))
        results = outcome.results
        if not outcome.ok or results is None:
            why = outcome.summary() or outcome.meaning
            log.warning("no suggestions from %s: %s", endpoint, why)
            raise _FetchFailed(why)
        return [o for r in results if isinstance(r, Mapping) if (o := option_for(endpoint, r))]


async def read_workspace(
    http: httpx.AsyncClient, connection: Connection
) -> Mapping[str, Any] | None:
    """The token's workspace as ``/workspace.json`` describes it (name, country,
    languages…), or None when it cannot be read; never raises but for cancellation."""
    try:
        prepared = prepare(Draft("workspace", HttpMethod.GET))
        outcome = await connection.send(http, connection.request(prepared))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("reading the workspace's settings failed")
        return None
    data = outcome.json if outcome.ok else None
    if not isinstance(data, Mapping):
        log.warning("the workspace's settings could not be read: %s", outcome.summary())
        return None
    return data


def workspace_country(data: Mapping[str, Any] | None) -> str | None:
    """The country a workspace's settings name (``RW``), if it is one phone numbers know."""
    from explorer.store.workspaces import normalize_country

    value = data.get("country") if data is not None else None
    try:
        return normalize_country(value) if isinstance(value, str) else None
    except ValidationError:
        log.warning("the workspace's country %r is not a country code", value)
        return None


class _FetchFailed(Exception):
    """The server answered with something other than a page of results."""


def option_for(endpoint: str, result: Mapping[str, Any]) -> Option | None:
    """How one object of ``endpoint`` is offered, or None if it has nothing to refer by."""
    uuid = _text(result.get("uuid"))
    name = _text(result.get("name"))
    if endpoint == "contacts":
        urns = result.get("urns")
        first = _text(urns[0]) if isinstance(urns, list) and urns else ""
        label = name or first or uuid
        return Option(label, first if first != label else "", uuid or None) if label else None
    if endpoint == "users":
        email = _text(result.get("email"))
        label = name or " ".join(
            x for x in (_text(result.get("first_name")), _text(result.get("last_name"))) if x
        )
        if not email and not uuid:
            return None
        return Option(label or email, email, uuid or None, email or None)
    if endpoint in ("fields", "globals"):
        key = _text(result.get("key"))
        label = _text(result.get("label")) or name or key
        return Option(label, key, uuid or None, key) if key else None
    if endpoint == "tickets":
        topic = result.get("topic")
        contact = result.get("contact")
        parts = [_text(x.get("name")) for x in (topic, contact) if isinstance(x, Mapping)]
        parts = [x for x in parts if x]
        label = " · ".join(parts) or _text(result.get("body")) or uuid
        return Option(label, uuid, uuid) if uuid else None
    label = name or uuid
    return Option(label, uuid if uuid != label else "", uuid or None) if label else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
