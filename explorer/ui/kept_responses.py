"""The last responses of this run of the app, kept in memory so two can be compared.

History keeps requests, not bodies; Compare needs bodies, so the window keeps the last few
here (bounded in number and in bytes), shared by every request tab. No Qt.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from explorer.core.client import Outcome

KEEP_RESPONSES = 8
KEEP_BYTES = 40 * 1024 * 1024  # of bodies; parsed, they take several times that


class KeptResponses:
    """The last responses of this session, by the time they were recorded (memory only)."""

    def __init__(self, limit: int = KEEP_RESPONSES, max_bytes: int = KEEP_BYTES) -> None:
        self.limit, self.max_bytes = limit, max_bytes
        self._kept: OrderedDict[tuple[Any, ...], tuple[str, Outcome]] = OrderedDict()

    def keep(self, key: tuple[Any, ...], label: str, outcome: Outcome) -> None:
        if outcome.json is None:
            return
        self._kept[key] = (label, outcome)
        while len(self._kept) > self.limit or (
            len(self._kept) > 1 and sum(o.size for _l, o in self._kept.values()) > self.max_bytes
        ):
            self._kept.popitem(last=False)

    def get(self, key: tuple[Any, ...]) -> tuple[str, Outcome] | None:
        return self._kept.get(key)

    def last_two(self) -> list[tuple[str, Outcome]]:
        return list(self._kept.values())[-2:]
