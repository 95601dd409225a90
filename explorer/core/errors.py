"""The error types the core raises; the UI turns them into text in one place."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


class ExplorerError(Exception):
    """Base of every error the core raises on purpose."""


class ValidationError(ExplorerError, ValueError):
    """A value a person typed (or a file held) is not acceptable.

    ``message`` is a sentence meant for that person, e.g. ``"tel:0788123123 is not a full
    international number: add the country code, e.g. +250788123123"``.
    ``path`` says where the value sits when it is nested (``("urns", 0)``), empty at top level.
    """

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def at(self, *prefix: str | int) -> ValidationError:
        """The same error, placed under ``prefix`` (used while walking nested values)."""
        return ValidationError(self.message, (*prefix, *self.path))

    def __str__(self) -> str:
        if not self.path:
            return self.message
        return f"{format_path(self.path)}: {self.message}"


def format_path(path: Iterable[str | int]) -> str:
    """``("urns", 0)`` → ``urns[0]``; ``("text", "eng")`` → ``text.eng``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class ValidationErrors(ExplorerError):
    """Every problem found in a request at once, keyed by the field they belong to."""

    errors: list[ValidationError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    def __iter__(self) -> Iterator[ValidationError]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def for_field(self, name: str) -> list[str]:
        """Messages for the top-level field ``name`` (nested ones included)."""
        return [e.message for e in self.errors if e.path and e.path[0] == name]

    def summary(self) -> str:
        return "; ".join(str(e) for e in self.errors)
