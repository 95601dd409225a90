"""The connection: the one value that says where requests go and how they are sent.

A :class:`Connection` is a workspace as the request pipeline needs it (HTTPie's
``Environment``, one object passed around instead of loose settings): its name, base URL,
token, whether it is the local sandbox, the country local phone numbers belong to, its hourly
rate limit and how long one request may take. Request building, fetch-all, the runner, the
workspace cache and the window all take it whole.

The token lives here in memory only: it is left out of ``repr`` (so of log lines, crash
reports and test failure messages) and never written anywhere by this module.

Cheap to import (the window's first paint imports it): no httpx until a request is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.core.catalog import DOCUMENTED_RATE_LIMIT

if TYPE_CHECKING:
    import httpx

    from explorer.core.client import Outcome
    from explorer.core.request import Prepared


@dataclass
class Connection:
    """Where requests go: a workspace's name, base URL and (in memory only) its token.

    ``deadline`` is how many seconds one request may take in all (None: the client's
    default). ``rate_limit_per_hour`` is the workspace's budget, as the meter counts it.
    Mutable on purpose: the connector updates the limit when the server shows it is lower.
    """

    name: str
    base_url: str
    token: str | None
    is_sandbox: bool = False
    default_country: str | None = None
    rate_limit_per_hour: int = DOCUMENTED_RATE_LIMIT
    deadline: float | None = None

    def __repr__(self) -> str:
        # Written by hand so the token can never reach a log line through %r or an f-string.
        token = "set" if self.token else "none"
        return (
            f"Connection(name={self.name!r}, base_url={self.base_url!r}, token=<{token}>, "
            f"is_sandbox={self.is_sandbox!r}, default_country={self.default_country!r}, "
            f"rate_limit_per_hour={self.rate_limit_per_hour!r}, deadline={self.deadline!r})"
        )

    def request(self, prepared: Prepared) -> httpx.Request:
        """The exact request ``prepared`` becomes on this workspace, token included."""
        from explorer.core.request import build_request

        return build_request(self.base_url, self.token, prepared)

    def follow(self, url: str) -> httpx.Request:
        """A GET of a page link, refused (ValidationError) unless it stays on this origin."""
        from explorer.core.request import build_follow_request

        return build_follow_request(url, self.base_url, self.token)

    async def send(self, http: httpx.AsyncClient, request: httpx.Request) -> Outcome:
        """Send ``request`` on this workspace's terms (its origin for redirects, its deadline)."""
        from explorer.core.client import send

        return await send(http, request, base_url=self.base_url, deadline=self.deadline)
