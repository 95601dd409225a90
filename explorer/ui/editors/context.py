"""What editors need to know about the workspace they edit a request for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.ui.workspace_cache import WorkspaceCache


@dataclass(frozen=True)
class EditorContext:
    """The workspace's defaults and its live objects, as the form's editors use them.

    ``default_country`` (ISO 3166 alpha-2, e.g. ``"RW"``) lets local phone numbers through
    the URN editors, as the workspace's country does on the server; ``workspace_languages``
    (ISO-639-3 codes) are offered first by language choosers; ``cache`` supplies suggestions
    for references (groups, flows, fields…). Every part is optional: an editor without a
    context still works, just without hints and suggestions.
    """

    default_country: str | None = None
    workspace_languages: tuple[str, ...] = ()
    cache: WorkspaceCache | None = None
