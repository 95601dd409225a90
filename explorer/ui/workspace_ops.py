"""The work behind the workspace manager's buttons, apart from its widgets.

Loading a token, saving, removing, testing a connection, and what is wrong with the
editor's values: each is a plain function or coroutine over the store, the vault and the
HTTP client, which the dialog runs as an :class:`~explorer.ui.operation.Operation`.
Tokens move only between the editor and the vault (the keyring), never through a file.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from explorer.core.client import Outcome, send
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import Draft, build_request, prepare
from explorer.store.secrets import TokenVault
from explorer.store.workspaces import (
    SANDBOX_WORKSPACE_NAME,
    Workspace,
    WorkspaceStore,
    validated,
)
from explorer.ui.workspace_cache import workspace_country
from explorer.ui.workspace_entry import Entry, Kind, Values, clean_token

log = logging.getLogger(__name__)


def problems(
    store: WorkspaceStore, entry: Entry | None, values: Values, *, token_loading: bool
) -> list[ValidationError]:
    """Everything wrong with ``values`` for ``entry``, each under its field's key."""
    if entry is None or entry.kind is Kind.SANDBOX:
        return []
    errors: list[ValidationError] = []
    try:
        validated(values.workspace())
    except ValidationErrors as exc:
        errors.extend(exc)
    name = values.name.strip()
    if name and not any(e.path[:1] == ("name",) for e in errors):
        taken = store.get(name)
        if name.casefold() == SANDBOX_WORKSPACE_NAME.casefold():
            errors.append(ValidationError("That name is kept for the sandbox", ("name",)))
        elif taken is not None and not Entry(Kind.SAVED, taken.name).same(entry):
            errors.append(
                ValidationError(f"There is already a workspace called {taken.name}", ("name",))
            )
    if not token_loading and not clean_token(values.token):
        errors.append(ValidationError("Enter the workspace's API token", ("token",)))
    return errors


async def load_token(vault: TokenVault, name: str) -> str | None:
    """The saved token of workspace ``name``, or None when there is none (or it can't be read)."""
    try:
        return await vault.get(name)
    except asyncio.CancelledError:
        raise
    except Exception:
        # The vault turns keyring failures into a session-only fallback; this is a bug.
        log.exception("loading the token of workspace %r failed", name)
        return None


async def save(
    store: WorkspaceStore,
    vault: TokenVault,
    entry: Entry,
    values: Values,
    loaded_token: str | None,
) -> Workspace:
    """Save ``values`` as ``entry`` (added or updated) and its token; return what was saved.

    Raises the store's ValidationErrors, ValidationError or StoreError when it refuses.
    """
    token = clean_token(values.token)
    if entry.kind is Kind.NEW:
        saved = store.add(values.workspace())
        await vault.set(saved.name, token)
        return saved
    saved = await store.update(entry.name, values.workspace())
    if saved.name != entry.name and store.vault is not vault:
        # The store moves tokens through its own vault; this one must follow.
        await vault.rename(entry.name, saved.name)
    if token != loaded_token:
        await vault.set(saved.name, token)
    return saved


async def remove(store: WorkspaceStore, vault: TokenVault, name: str) -> None:
    """Remove workspace ``name`` and its token."""
    await store.remove(name)
    if store.vault is not vault:
        await vault.delete(name)


async def check_connection(
    http: httpx.AsyncClient, base_url: str, token: str, deadline: float
) -> Outcome:
    """Ask ``base_url`` for /api/v2/workspace.json with ``token``."""
    request = build_request(base_url, token, prepare(Draft("workspace")))
    return await send(http, request, base_url=base_url, deadline=deadline)


@dataclass(frozen=True)
class Verdict:
    """What a connection test found, in words, and the workspace's country if it gave one."""

    text: str
    ok: bool
    country: str | None = None
    workspace_name: str = ""

    def with_country_filled(self) -> Verdict:
        """The same verdict, saying that its country is now the editor's default country."""
        text = (
            f"Connected to “{self.workspace_name}” "
            f"(country {self.country}, now filled in as the default country)."
        )
        return Verdict(text, self.ok, self.country, self.workspace_name)


def verdict(base_url: str, outcome: Outcome) -> Verdict:
    """What ``outcome`` of a connection test to ``base_url`` means for the person testing."""
    data = outcome.json
    if outcome.ok and isinstance(data, dict) and isinstance(data.get("name"), str):
        country = workspace_country(data)
        extra = f" (country {country})" if country else ""
        return Verdict(f"Connected to “{data['name']}”{extra}.", True, country, data["name"])
    if outcome.ok:
        return Verdict(
            f"{base_url} answered, but not as RapidPro does: is the address right?", False
        )
    if outcome.failed:
        detail = f" ({outcome.error})" if outcome.error else ""
        return Verdict(f"{outcome.meaning}{detail}", False)
    said = f" The server said: {outcome.detail}" if outcome.detail else ""
    return Verdict(f"{outcome.status} {outcome.reason}: {outcome.meaning}{said}".strip(), False)
