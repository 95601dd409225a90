"""What the workspace manager edits: a row of its list and the editor's values.

Plain values, no widgets: the list, the editor and the operations behind Save, Remove and
Test connection all speak in these.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from explorer.core.client import DEFAULT_DEADLINE
from explorer.store.workspaces import (
    DEFAULT_RATE_LIMIT,
    SANDBOX_WORKSPACE_NAME,
    Workspace,
)

# Field keys as the store's ValidationErrors name them, in the order the editor shows them.
FIELD_LABELS = {
    "name": "Name",
    "base_url": "Base URL",
    "token": "API token",
    "default_country": "Default country",
    "rate_limit_per_hour": "Rate limit",
    "request_deadline_s": "Give up after",
}


class Kind(enum.Enum):
    """Which sort of row: the built-in sandbox, a saved workspace, or one being added."""

    SANDBOX = "sandbox"
    SAVED = "saved"
    NEW = "new"


@dataclass(frozen=True)
class Entry:
    """What a row of the list stands for: the sandbox, a saved workspace, or one being added."""

    kind: Kind
    name: str = ""

    def same(self, other: Entry | None) -> bool:
        # Workspace names are unique ignoring case, as the store compares them.
        return (
            other is not None
            and self.kind is other.kind
            and self.name.casefold() == other.name.casefold()
        )


SANDBOX = Entry(Kind.SANDBOX, SANDBOX_WORKSPACE_NAME)
NEW = Entry(Kind.NEW)


@dataclass(frozen=True)
class Values:
    """The editor's raw contents, compared with a snapshot to tell whether anything changed."""

    name: str = ""
    base_url: str = ""
    token: str = ""
    default_country: str = ""
    rate_limit_per_hour: int = DEFAULT_RATE_LIMIT
    request_deadline_s: int = int(DEFAULT_DEADLINE)

    @classmethod
    def of(cls, ws: Workspace, token: str = "") -> Values:
        """The editor's contents for a saved workspace."""
        return cls(
            name=ws.name,
            base_url=ws.base_url,
            token=token,
            default_country=ws.default_country or "",
            rate_limit_per_hour=ws.rate_limit_per_hour,
            request_deadline_s=ws.request_deadline_s,
        )

    def workspace(self) -> Workspace:
        return Workspace(
            name=self.name,
            base_url=self.base_url,
            default_country=self.default_country.strip() or None,
            rate_limit_per_hour=self.rate_limit_per_hour,
            request_deadline_s=self.request_deadline_s,
        )


def clean_token(text: str) -> str:
    """The token as typed, without spaces or the ``Token`` prefix copied from a curl line."""
    token = text.strip()
    if token[:6].lower() == "token ":
        token = token[6:].strip()
    return token
