"""Schema migrations: a registry of steps, each taking a saved document from version N to N+1.

Every kind of file the store writes has its own :class:`Migrations` with its current
version. Reading an older file runs the steps in order, in memory; the file on disk changes
only when it is next saved, so opening a collection never rewrites a checkout by itself.
Version 1 is the first, so the registries below are still empty: they are the place where
the next format change goes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from explorer.store.atomic import SCHEMA_KEY

Step = Callable[[dict[str, Any]], dict[str, Any]]


class MigrationError(ValueError):
    """A document cannot be brought up to date (no step for its version, or a step failed)."""


class Migrations:
    """The steps for one kind of document, keyed by the version they start from.

    >>> requests = Migrations("request", current=2)
    >>> @requests.step(1)
    ... def _rename_expect(doc): ...
    """

    def __init__(self, kind: str, current: int) -> None:
        self.kind = kind
        self.current = current
        self._steps: dict[int, Step] = {}

    def step(self, from_version: int) -> Callable[[Step], Step]:
        """Register ``func`` as the step from ``from_version`` to ``from_version + 1``."""

        def register(func: Step) -> Step:
            if from_version in self._steps:
                raise ValueError(f"{self.kind}: a step from version {from_version} exists")
            if from_version >= self.current:
                raise ValueError(
                    f"{self.kind}: a step from version {from_version} would go past the "
                    f"current version {self.current}"
                )
            self._steps[from_version] = func
            return func

        return register

    def needs(self, doc: dict[str, Any]) -> bool:
        """Whether ``doc`` is older than the current version."""
        return _version(doc) < self.current

    def apply(self, doc: dict[str, Any]) -> dict[str, Any]:
        """``doc`` brought to the current version (a new dict; ``doc`` is left as it was).

        Raises :class:`MigrationError` when a step is missing or fails, or the version is
        newer than this one.
        """
        version = _version(doc)
        if version > self.current:
            raise MigrationError(
                f"{self.kind} schema {version} is newer than this version reads ({self.current})"
            )
        out = copy.deepcopy(doc)
        while version < self.current:
            func = self._steps.get(version)
            if func is None:
                raise MigrationError(
                    f"there is no way to read a {self.kind} of schema {version} any more"
                )
            try:
                out = func(out)
            except Exception as exc:
                raise MigrationError(
                    f"could not update a {self.kind} from schema {version}: {exc}"
                ) from exc
            version += 1
            out[SCHEMA_KEY] = version
        return out


def _version(doc: dict[str, Any]) -> int:
    version = doc.get(SCHEMA_KEY, 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise MigrationError(f"{version!r} is not a schema version")
    return version


# The formats of :mod:`explorer.store.collections`.
COLLECTION = Migrations("collection", current=1)
REQUEST = Migrations("request", current=1)
