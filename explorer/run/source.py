"""What a run runs, read from a path: a collection, a folder or request of one, a Postman file.

The CLI reads its argument with :func:`load_source`; the runner panel takes its steps from
an open collection instead (:func:`explorer.run.engine.steps_from_collection`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.core.errors import ValidationError
from explorer.run.engine import Step, steps_from_collection
from explorer.store.collections import COLLECTION_FILE, Collection


@dataclass
class Source:
    """A runnable thing read from a path: a collection, a folder of one, or a Postman file."""

    name: str
    steps: list[Step]
    variables: dict[str, Any] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    base_url: str | None = None  # a Postman file may name its server

    def scope(self, environment: str | None, base_url: str) -> dict[str, Any]:
        from explorer.core.variables import scope

        env = self.environments.get(environment, {}) if environment else {}
        return scope(self.variables, env, base_url=base_url)


def load_source(path: Path) -> Source:
    """Read ``path``: a collection folder (or a folder or request file inside one),
    a ``collection.json``, or a Postman v2.1 file. Raises :class:`ValidationError`.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ValidationError(f"{path} does not exist")
    if path.is_file() and path.name != COLLECTION_FILE:
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(f"{path} is not a JSON file ({exc})") from None
        from explorer.store.postman import is_postman, parse_postman

        if is_postman(data):
            result = parse_postman(data)
            notes = []
            if result.token:
                notes.append("the file holds a token; it was not used (set RAPIDPRO_TOKEN)")
            return Source(
                result.name,
                [Step(r, folder) for folder, r in result.requests()],
                dict(result.variables),
                problems=list(result.problems),
                notes=notes,
                base_url=result.base_url,
            )
    root = _collection_root(path)
    if root is None:
        raise ValidationError(
            f"{path} is neither a collection (a folder with {COLLECTION_FILE}) nor a "
            "Postman collection file"
        )
    from explorer.store.errors import StoreError

    try:
        collection = Collection.open(root)
    except StoreError as exc:
        raise ValidationError(exc.message) from None
    rel = "" if path in (root, root / COLLECTION_FILE) else path.relative_to(root).as_posix()
    problems = [str(p) for p in collection.problems]
    if rel and path.is_file():
        try:
            request = collection.get(rel)
        except StoreError as exc:
            raise ValidationError(exc.message) from None
        steps = [Step(request, request.folder)]
    else:
        try:
            steps = steps_from_collection(collection, rel)
        except StoreError as exc:
            raise ValidationError(exc.message) from None
        if rel:
            problems = [str(p) for p in collection.unreadable(rel)]
    return Source(
        collection.name if not rel else f"{collection.name}/{rel}",
        steps,
        dict(collection.variables),
        {k: dict(v) for k, v in collection.environments.items()},
        problems,
    )


def _collection_root(path: Path) -> Path | None:
    start = path if path.is_dir() else path.parent
    for folder in (start, *start.parents):
        if (folder / COLLECTION_FILE).is_file():
            return folder
    return None
