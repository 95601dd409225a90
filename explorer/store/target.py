"""Where a command-line run sends: a saved workspace (its token from the keyring), or an
address with the token from ``RAPIDPRO_TOKEN``.

The runner, bulk runs and pulls all find their workspace here, so they agree on how, and
say the same when they cannot. No Qt here.
"""

from __future__ import annotations

from explorer.core.connection import Connection


class TargetError(Exception):
    """The command line names no workspace that can be used (a usage error: exit 2)."""


async def find_target(
    workspace: str | None,
    base_url: str | None,
    *,
    default_url: str | None = None,
    missing: str = "say where to send: --workspace NAME (a saved workspace) or --base-url URL",
) -> tuple[Connection, str | None]:
    """The connection for ``--workspace`` or ``--base-url`` (else ``default_url``), with its
    token, and the saved workspace's name (None for an address). ``missing``: what to say
    when neither is given."""
    from explorer.store.secrets import TOKEN_ENV, token_from_env

    if workspace and base_url:
        raise TargetError("give --workspace or --base-url, not both")
    if workspace:
        connection = await saved_workspace(workspace)
        name: str | None = connection.name
    elif base_url or default_url:
        url = _normalized(base_url or default_url or "")
        connection, name = Connection(url, url, None), None  # named by its address
    else:
        raise TargetError(missing)
    connection.token = connection.token or token_from_env()
    if not connection.token:
        if name:
            raise TargetError(
                f"no token saved for {name!r}: add it under Workspaces… in the app, "
                f"or set the {TOKEN_ENV} environment variable"
            )
        raise TargetError(f"no token given: set the {TOKEN_ENV} environment variable")
    return connection, name


async def saved_workspace(name: str) -> Connection:
    """The saved workspace called ``name``, its token read from the keyring."""
    from explorer.store.secrets import TokenVault
    from explorer.store.workspaces import WorkspaceStore

    store = WorkspaceStore()
    if store.problem:
        raise TargetError(store.problem)
    ws = store.get(name)
    if ws is None:
        known = ", ".join(store.names()) or "none are saved"
        raise TargetError(f"there is no workspace called {name!r} ({known})")
    return Connection(
        ws.name,
        ws.base_url,
        await TokenVault().get(ws.name),
        default_country=ws.default_country,
        rate_limit_per_hour=ws.rate_limit_per_hour,
        deadline=float(ws.request_deadline_s),
    )


def _normalized(text: str) -> str:
    from explorer.core.errors import ValidationError
    from explorer.core.request import normalize_base_url

    try:
        return normalize_base_url(text)
    except ValidationError as exc:
        raise TargetError(exc.message) from None
