"""Where requests go: the one context value passed to everything that sends."""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer.core.catalog import DOCUMENTED_RATE_LIMIT


@dataclass
class Connection:
    """Where requests go: a workspace's name, base URL and (in memory only) its token."""

    name: str
    base_url: str
    token: str | None = field(repr=False)
    is_sandbox: bool = False
    default_country: str | None = None
    rate_limit_per_hour: int = DOCUMENTED_RATE_LIMIT
    deadline: float | None = None  # seconds one request may take in all; None: the default
