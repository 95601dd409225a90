"""Collections: saved requests as a folder of small, stable JSON files, one per request.

A collection is any folder with a ``collection.json`` (name, variables, environments per
workspace name, the order of entries in each folder); every other ``*.json`` file in it or
in a sub-folder is one request, and sub-folders are folders of the tree. Files are written
pretty-printed with keys in a fixed order and defaults left out, so they diff well in a
repository and a one-field change is a one-line change. No file ever holds a token.

A file that cannot be read, or was written by a newer version, is listed in
:attr:`Collection.problems` and never written over; the rest of the collection opens.
Every write is atomic (:func:`explorer.store.atomic.write_atomic`); moves are renames.
Deleted entries go to a ``.trash`` folder inside the collection, from where
:meth:`Collection.undo` puts them back.

A change updates what is in memory for the one entry it touched (a file renamed, a folder
moved, an entry back from the trash, which is read again) rather than reading every file
again: with hundreds of requests a full read takes longer than a GUI may stall. Only
:meth:`Collection.reload` (and opening) reads everything, so files changed by others on disk
show after it.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from explorer.core.catalog import HttpMethod, catalog
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import NULL, Draft, is_unset
from explorer.core.variables import check_variables, is_valid_name, scope
from explorer.store import migrations, paths
from explorer.store.atomic import SCHEMA_KEY, read_json, write_atomic
from explorer.store.errors import StoreError, UnreadableFile, describe_os_error

log = logging.getLogger(__name__)

COLLECTION_FILE = "collection.json"
TRASH_DIR = ".trash"
SUFFIX = ".json"
MAX_SLUG = 60
MAX_FOLDER_NAME = 80
MAX_DEPTH = 16

# Key order of the files; a key not listed here makes a file unreadable (it would be lost).
REQUEST_KEYS = (
    SCHEMA_KEY, "name", "notes", "workspace", "endpoint", "method", "params", "body",
    "expect_status", "capture",
)  # fmt: skip
COLLECTION_KEYS = (SCHEMA_KEY, "name", "variables", "environments", "order")

_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
_BAD_NAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


# --- what is saved -------------------------------------------------------------------------


@dataclass
class SavedRequest:
    """One request of a collection: a :class:`Draft` plus its name, notes and expectations.

    ``expect_status`` lists the statuses the runner accepts (empty: any 2xx). ``capture``
    maps a variable name to a path in the JSON response (``uuid``, ``results.0.uuid``) whose
    value later requests of a run can use as ``{{name}}``. ``workspace`` optionally names
    the workspace it was made for; the address itself is always ``{{base_url}}``.
    ``path`` is where it is saved inside its collection (``groups/create-group.json``).
    """

    name: str
    draft: Draft
    notes: str = ""
    expect_status: tuple[int, ...] = ()
    capture: dict[str, str] = field(default_factory=dict)
    workspace: str | None = None
    path: str | None = None

    def expects(self, status: int | None) -> bool:
        """Whether a response with ``status`` meets the expectation."""
        if status is None:
            return False
        if self.expect_status:
            return status in self.expect_status
        return 200 <= status < 300

    @property
    def expectation(self) -> str:
        """The expectation in words: ``2xx``, ``201``, ``200 or 201``."""
        if not self.expect_status:
            return "2xx"
        return " or ".join(str(s) for s in self.expect_status)

    @property
    def folder(self) -> str:
        """The folder it is in (``""`` for the top of the collection)."""
        if not self.path:
            return ""
        parent = str(PurePosixPath(self.path).parent)
        return "" if parent == "." else parent


@dataclass(frozen=True)
class Problem:
    """A file of the collection that was not opened, and why. It was left as it is."""

    path: str  # inside the collection, e.g. "groups/broken.json"
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}. It was left as it is"


@dataclass(frozen=True)
class TreeRequest:
    """A request in the tree: enough to show it; :meth:`Collection.get` loads the rest."""

    name: str
    path: str
    endpoint: str = ""
    method: HttpMethod = HttpMethod.GET
    problem: str | None = None  # set when the file could not be read


@dataclass(frozen=True)
class TreeFolder:
    """A folder in the tree (the collection itself has ``path == ""``), entries in order."""

    name: str
    path: str
    children: tuple[TreeFolder | TreeRequest, ...] = ()

    def walk(self) -> Iterator[TreeFolder | TreeRequest]:
        for child in self.children:
            yield child
            if isinstance(child, TreeFolder):
                yield from child.walk()


@dataclass(frozen=True)
class Deleted:
    """What :meth:`Collection.delete` did, for :meth:`Collection.undo` to replay."""

    path: str  # where the entry was
    trash: str  # where it is now, inside the collection (under .trash/)
    index: int  # its position in its folder
    order: dict[str, list[str]] = field(default_factory=dict)  # orders of folders inside it


# --- file format ---------------------------------------------------------------------------


def dump(doc: Mapping[str, Any]) -> str:
    """A document as the store writes it: indented by 2, keys as given, a final newline."""
    try:
        return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError as exc:
        raise ValidationError(f"cannot be saved: {exc}") from None


def request_to_json(request: SavedRequest) -> dict[str, Any]:
    """The file content of ``request``: keys in :data:`REQUEST_KEYS` order, defaults left out."""
    draft = request.draft
    errors: list[ValidationError] = []
    doc: dict[str, Any] = {SCHEMA_KEY: migrations.REQUEST.current, "name": request.name}
    if request.notes:
        doc["notes"] = request.notes
    if request.workspace:
        doc["workspace"] = request.workspace
    doc["endpoint"] = draft.endpoint
    method = HttpMethod(str(draft.method).upper())
    if method is not HttpMethod.GET:
        doc["method"] = method.value
    spec_order = _spec_order(draft.endpoint, method)
    for key, values in (("params", draft.params), ("body", draft.body)):
        encoded: dict[str, Any] = {}
        for name in sorted(values, key=lambda n: (spec_order.get(n, len(spec_order)), n)):
            raw = values[name]
            if raw is not NULL and is_unset(raw):
                continue
            try:
                encoded[name] = _encode(raw)
            except ValidationError as exc:
                errors.append(exc.at(name))
        if encoded:
            doc[key] = encoded
    if request.expect_status:
        statuses = list(request.expect_status)
        doc["expect_status"] = statuses[0] if len(statuses) == 1 else statuses
    if request.capture:
        doc["capture"] = dict(sorted(request.capture.items()))
    if errors:
        raise ValidationErrors(errors)
    return doc


def request_text(request: SavedRequest) -> str:
    """The exact text of the file that holds ``request``."""
    return dump(request_to_json(request))


def request_from_json(doc: Mapping[str, Any]) -> SavedRequest:
    """A request from its (migrated) file content; ``ValueError`` says what is wrong."""
    unknown = [k for k in doc if k not in REQUEST_KEYS]
    if unknown:
        raise ValueError(f"it has keys this version does not know: {', '.join(unknown)}")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("it has no name")
    endpoint = doc.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ValueError("it has no endpoint")
    try:
        method = HttpMethod(str(doc.get("method", "GET")).upper())
    except ValueError:
        raise ValueError(f"{doc.get('method')!r} is not a method (GET, POST or DELETE)") from None
    parts: dict[str, dict[str, Any]] = {}
    for key in ("params", "body"):
        value = doc.get(key, {})
        if not isinstance(value, dict):
            raise ValueError(f"its {key} are not a JSON object")
        parts[key] = {k: (NULL if v is None else v) for k, v in value.items()}
    for key in ("notes", "workspace"):
        if key in doc and not isinstance(doc[key], str):
            raise ValueError(f"its {key} is not text")
    expect = doc.get("expect_status", [])
    expect_list = [expect] if isinstance(expect, int) else expect
    if not isinstance(expect_list, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in expect_list
    ):
        raise ValueError("its expect_status is not a status code or a list of them")
    capture = doc.get("capture", {})
    if not isinstance(capture, dict) or not all(
        isinstance(k, str) and is_valid_name(k) and isinstance(v, str) for k, v in capture.items()
    ):
        raise ValueError("its capture is not a map of variable names to response paths")
    return SavedRequest(
        name=name,
        draft=Draft(endpoint, method, parts["params"], parts["body"]),
        notes=doc.get("notes", ""),
        expect_status=tuple(expect_list),
        capture=dict(capture),
        workspace=doc.get("workspace") or None,
    )


def _spec_order(endpoint: str, method: HttpMethod) -> dict[str, int]:
    """Parameters and fields in the catalog's order, so a file reads like the form."""
    try:
        spec = catalog()[endpoint].method(method)
    except KeyError:
        return {}
    names = [p.name for p in spec.params] + [f.name for f in spec.fields]
    return {name: index for index, name in enumerate(names)}


def _encode(value: Any) -> Any:
    """A raw form value as JSON: NULL → null, nested objects with sorted keys."""
    if value is NULL or value is None:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{value} cannot be saved as JSON")
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_encode(x) for x in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(value[k]) for k in sorted(value, key=str)}
    raise ValidationError(f"a {type(value).__name__} cannot be saved in a collection")


def slugify(name: str, default: str = "request") -> str:
    """``"Create a group (v2)"`` → ``"create-a-group-v2"``: a safe, portable file name stem."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:MAX_SLUG].strip("-")
    if not slug:
        slug = default
    if slug in _WINDOWS_RESERVED:
        slug += "-1"
    return slug


def check_folder_name(name: str) -> str:
    """A folder name, trimmed, or :class:`ValidationError` when no file system would take it."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise ValidationError("Give the folder a name")
    if len(text) > MAX_FOLDER_NAME:
        raise ValidationError(f"Use a name of at most {MAX_FOLDER_NAME} characters")
    if _BAD_NAME_CHARS.search(text):
        raise ValidationError(
            'A folder name cannot contain / \\ : * ? " < > | or control characters'
        )
    if text.startswith(".") or text.endswith("."):
        raise ValidationError("A folder name cannot start or end with a dot")
    if text.split(".")[0].casefold() in _WINDOWS_RESERVED:
        raise ValidationError(f"{text} is a name Windows keeps for devices")
    return text


# --- collections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionChange:
    """One change made through a :class:`Collection`, as its listeners hear of it.

    ``path`` is the entry to show (the request or folder added, saved, renamed, moved or
    restored; the folder a deletion emptied; "" for the collection's own settings).
    ``folders`` are those whose entries changed (None: the one ``path`` is in), ``before``
    the :attr:`Collection.revision` before the change.
    """

    collection: Collection
    path: str
    before: int
    folders: tuple[str, ...] | None = None


CollectionListener = Callable[[CollectionChange], None]


class Collection:
    """A collection folder: its tree of requests, variables and environments.

    Paths in this API are relative to the collection, with ``/`` (``groups/create.json``
    for a request, ``groups`` for a folder, ``""`` for the top). Changes are saved at once;
    a change that cannot be saved raises :class:`StoreError` and changes nothing.

    :attr:`revision` goes up with every change made through this object and every reload:
    a view that shows the collection and updates only what its own changes touched compares
    it with the revision it showed to learn of changes made elsewhere (a save from the
    editor, a reload before a run).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.name = self.root.name
        self.revision = 0
        self._listeners: list[CollectionListener] = []
        self.variables: dict[str, str] = {}
        self.environments: dict[str, dict[str, str]] = {}
        self._order: dict[str, list[str]] = {}
        self._meta_problem: Problem | None = None
        self._requests: dict[str, SavedRequest] = {}
        self._problems: dict[str, Problem] = {}
        self._folders: list[str] = []

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: Path | str) -> Collection:
        """Open the collection in ``folder`` (or the folder of a ``collection.json``).

        Files that cannot be read are listed in :attr:`problems`; the rest opens. Raises
        :class:`StoreError` when there is no collection there.
        """
        root = Path(folder).expanduser()
        if root.name == COLLECTION_FILE and root.is_file():
            root = root.parent
        if not (root / COLLECTION_FILE).is_file():
            raise StoreError(f"{root} is not a collection: it has no {COLLECTION_FILE}", root)
        coll = cls(root)
        coll.reload()
        return coll

    @classmethod
    def create(cls, folder: Path | str, name: str | None = None) -> Collection:
        """Make ``folder`` (new, or existing such as a repository checkout) a collection."""
        root = Path(folder).expanduser()
        if (root / COLLECTION_FILE).exists():
            raise StoreError(f"{root} is a collection already", root)
        coll = cls(root)
        coll.name = (name or root.name).strip() or root.name
        coll._write_meta()
        coll.reload()
        return coll

    def reload(self) -> None:
        """Read everything again from disk (after a ``git pull``, say)."""
        self.revision += 1
        self.variables, self.environments, self._order = {}, {}, {}
        self._meta_problem = None
        self.name = self.root.name
        try:
            doc = read_json(
                self.root / COLLECTION_FILE, expected_schema=migrations.COLLECTION.current
            )
            if doc is None:
                raise UnreadableFile(self.root / COLLECTION_FILE, "it is missing")
            self._parse_meta(migrations.COLLECTION.apply(doc))
        except UnreadableFile as exc:
            self._meta_problem = Problem(COLLECTION_FILE, exc.reason)
        except (ValueError, migrations.MigrationError) as exc:
            self._meta_problem = Problem(COLLECTION_FILE, str(exc))
        if self._meta_problem is not None:
            log.warning("collection %s: %s", self.root, self._meta_problem)
        self._requests, self._problems, self._folders = {}, {}, []
        self._scan("", self.root, 0)

    def _parse_meta(self, doc: dict[str, Any]) -> None:
        unknown = [k for k in doc if k not in COLLECTION_KEYS]
        if unknown:
            raise ValueError(f"it has keys this version does not know: {', '.join(unknown)}")
        name = doc.get("name", self.root.name)
        if not isinstance(name, str):
            raise ValueError("its name is not text")
        variables = doc.get("variables", {})
        environments = doc.get("environments", {})
        order = doc.get("order", {})
        if not _is_str_map(variables):
            raise ValueError("its variables are not a map of names to text")
        if not isinstance(environments, dict) or not all(
            isinstance(k, str) and _is_str_map(v) for k, v in environments.items()
        ):
            raise ValueError("its environments are not maps of names to text")
        if not isinstance(order, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in order.items()
        ):
            raise ValueError("its order is not a map of folders to lists of names")
        self.name = name.strip() or self.root.name
        self.variables = dict(variables)
        self.environments = {k: dict(v) for k, v in environments.items()}
        self._order = {k: list(v) for k, v in order.items()}

    def _scan(self, rel: str, folder: Path, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        listing = self._listing(rel)
        for entry in self._entries(rel, listing):
            child_rel = _join(rel, entry)
            path = folder / entry
            if listing[entry]:
                self._folders.append(child_rel)
                self._scan(child_rel, path, depth + 1)
            else:
                self._load_request(child_rel, path)

    def _load_request(self, rel: str, path: Path) -> None:
        try:
            doc = read_json(path, expected_schema=migrations.REQUEST.current)
            if doc is None:
                return  # gone since the folder was listed
            if migrations.REQUEST.needs(doc):  # else apply() only copies it: a waste here
                doc = migrations.REQUEST.apply(doc)
            request = request_from_json(doc)
        except UnreadableFile as exc:
            self._problems[rel] = Problem(rel, exc.reason)
        except (ValueError, migrations.MigrationError) as exc:
            self._problems[rel] = Problem(rel, str(exc))
        else:
            request.path = rel
            self._requests[rel] = request
            return
        log.warning("collection %s: %s", self.root, self._problems[rel])

    # --- reading ---------------------------------------------------------------------------

    @property
    def problems(self) -> list[Problem]:
        """Files that were not opened (and are left as they are), by path."""
        out = [self._meta_problem] if self._meta_problem else []
        return out + sorted(self._problems.values(), key=lambda p: p.path)

    def tree(self, folder: str = "") -> TreeFolder:
        """Folders and requests in their saved order; unreadable files carry ``problem``.

        With ``folder``, only that folder (named after its last part) and what is in it: a
        view that shows the tree updates the folder a change touched, not all of it.
        """
        rel = self._folder(folder)
        return self._tree(rel, _split(rel)[1] if rel else self.name)

    def _tree(self, rel: str, name: str) -> TreeFolder:
        children: list[TreeFolder | TreeRequest] = []
        for entry in self._entries(rel):
            child = _join(rel, entry)
            if child in self._requests:
                r = self._requests[child]
                children.append(TreeRequest(r.name, child, r.draft.endpoint, r.draft.method))
            elif child in self._problems:
                stem = PurePosixPath(entry).stem
                children.append(TreeRequest(stem, child, problem=self._problems[child].reason))
            elif child in self._folders:
                children.append(self._tree(child, entry))
        return TreeFolder(name, rel, tuple(children))

    def folders(self) -> list[str]:
        """Every folder's path, parents before children."""
        return list(self._folders)

    def requests(self, folder: str = "") -> list[SavedRequest]:
        """Copies of the readable requests in ``folder`` and below, in tree order."""
        folder = self._rel(folder, allow_root=True)
        if folder and folder not in self._folders:
            raise StoreError(f"There is no folder {folder} in {self.name}")
        node = self._tree(folder, folder)
        return [
            self.get(n.path) for n in node.walk() if isinstance(n, TreeRequest) and not n.problem
        ]

    def unreadable(self, folder: str = "") -> list[Problem]:
        """The problems of request files in ``folder`` and below, in tree order."""
        prefix = f"{folder}/" if folder else ""
        found = [p for p in self._problems.values() if p.path.startswith(prefix)]
        if len(found) < 2:
            return found
        # Changes update memory entry by entry, so the dict is not in scan order: the tree is.
        place = {n.path: i for i, n in enumerate(self._tree("", self.name).walk())}
        return sorted(found, key=lambda p: (place.get(p.path, len(place)), p.path))

    def get(self, path: str) -> SavedRequest:
        """A copy of the request saved at ``path``."""
        rel = self._rel(path)
        if rel in self._problems:
            raise StoreError(str(self._problems[rel]), self.root / rel)
        try:
            return copy.deepcopy(self._requests[rel])
        except KeyError:
            raise StoreError(f"There is no request {rel} in {self.name}", self.root / rel) from None

    def load_draft(self, path: str) -> Draft:
        """The request at ``path`` as a :class:`Draft` for the form."""
        return self.get(path).draft

    def scope(
        self,
        workspace: str | None = None,
        *,
        base_url: str | None = None,
        environment: str | None = None,
    ) -> dict[str, Any]:
        """The variables a request sees with ``workspace``.

        The collection's variables, then those of the workspace's environment (or of
        ``environment`` when given), then ``{{base_url}}``.
        """
        env_name = environment if environment is not None else workspace
        env = self.environments.get(env_name, {}) if env_name else {}
        return scope(self.variables, env, base_url=base_url)

    # --- listening -------------------------------------------------------------------------

    def subscribe(self, listener: CollectionListener) -> Callable[[], None]:
        """Call ``listener(change)`` after every change made through this object; returns
        what stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _announce(self, path: str, before: int, folders: tuple[str, ...] | None = None) -> None:
        change = CollectionChange(self, path, before, folders)
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a view that failed to update must not undo a saved change
                log.exception("a listener of collection %s failed", self.name)

    # --- changing requests -----------------------------------------------------------------

    def add(
        self, request: SavedRequest, folder: str = "", index: int | None = None
    ) -> SavedRequest:
        """Save ``request`` as a new file in ``folder`` (a unique name from its own)."""
        self._check_writable()
        before = self.revision
        folder = self._folder(folder)
        text = request_text(request)
        file_name = self._unique_file(folder, slugify(request.name))
        rel = _join(folder, file_name)
        write_atomic(self.root / rel, text)
        self._insert(folder, file_name, index)
        self._save_meta_or_undo(lambda: (self.root / rel).unlink(missing_ok=True))
        saved = _as_saved(request, rel)
        self._requests[rel] = saved
        log.info("collection %s: added %s", self.name, rel)
        self._announce(rel, before)
        return copy.deepcopy(saved)

    def save(self, request: SavedRequest) -> SavedRequest:
        """Save ``request`` over its own file (``request.path``); new ones go to the top.

        The file name stays as it is even when the name changed: :meth:`rename` renames.
        A file that could not be read is never written over.
        """
        if not request.path:
            return self.add(request)
        rel = self._rel(request.path)
        if rel in self._problems:
            raise StoreError(
                f"{self._problems[rel]}: it is not saved over, so nothing in it is lost",
                self.root / rel,
            )
        if rel not in self._requests:
            return self.add(replace(request, path=None), _split(rel)[0])
        text = request_text(request)
        target = self.root / rel
        try:
            same = target.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            write_atomic(target, text)
        saved = _as_saved(request, rel)
        self._requests[rel] = saved
        self.revision += 1
        self._announce(rel, self.revision - 1)
        return copy.deepcopy(saved)

    def rename(self, path: str, new_name: str) -> str:
        """Give the request (or folder) at ``path`` a new name; returns its new path.

        A request's file is renamed after its new name, keeping its place in the order.
        """
        rel = self._rel(path)
        before = self.revision
        if rel in self._folders:
            new_rel = self._rename_folder(rel, new_name)
            self._announce(new_rel, before)
            return new_rel
        request = self.get(rel)
        new_name = new_name.strip()
        if not new_name:
            raise ValidationError("Give the request a name")
        self._check_writable()
        folder, old_file = _split(rel)
        new_file = self._unique_file(folder, slugify(new_name), keep=old_file)
        request.name = new_name
        text = request_text(request)
        new_rel = _join(folder, new_file)
        with self._reload_on_error():
            if new_file != old_file:
                entries = self._entries(folder)
                self._rename_path(self.root / rel, self.root / new_rel)
                self._order[folder] = [new_file if e == old_file else e for e in entries]
            write_atomic(self.root / new_rel, text)
            # What reading the new file back gives, without reading it (nor any other).
            del self._requests[rel]
            self._requests[new_rel] = _as_saved(request, new_rel)
        self._write_meta()
        self._announce(new_rel, before)
        return new_rel

    def duplicate(self, path: str) -> SavedRequest:
        """A copy of the request at ``path`` named "… copy", saved right after it."""
        request = self.get(path)
        folder, file_name = _split(request.path or "")
        index = self._entries(folder).index(file_name) + 1
        request.name = f"{request.name} copy"
        request.path = None
        return self.add(request, folder, index)

    def move(self, path: str, folder: str, index: int | None = None) -> str:
        """Move a request or folder into ``folder`` at ``index`` (default: last).

        Returns its new path (its file or folder name changes only if the name is taken).
        """
        self._check_writable()
        rel = self._rel(path)
        if rel not in self._requests and rel not in self._problems and rel not in self._folders:
            raise StoreError(f"There is nothing at {rel} in {self.name}", self.root / rel)
        target = self._folder(folder)
        if rel in self._folders and (target == rel or target.startswith(rel + "/")):
            raise ValidationError("A folder cannot be moved into itself")
        old_folder, entry = _split(rel)
        is_dir = rel in self._folders
        before = self.revision
        if target == old_folder:
            entries = [e for e in self._entries(old_folder) if e != entry]
            entries.insert(len(entries) if index is None else max(0, index), entry)
            self._order[old_folder] = entries
            if is_dir:
                self._sort_folders()  # folders() lists them in tree order
            self._write_meta()
            self._announce(rel, before, (old_folder,))
            return rel
        new_entry = self._unique_entry(target, entry, is_dir=is_dir)
        new_rel = _join(target, new_entry)
        self._rename_path(self.root / rel, self.root / new_rel)
        self._relocate(rel, new_rel)
        self._remove_from_order(old_folder, entry)
        self._move_order_keys(rel, new_rel)
        self._insert(target, new_entry, index)
        if is_dir:
            self._sort_folders()
        self._write_meta()
        self._announce(new_rel, before, (old_folder, target))
        return new_rel

    def delete(self, path: str) -> Deleted:
        """Move a request or folder to the collection's trash; :meth:`undo` brings it back."""
        self._check_writable()
        rel = self._rel(path)
        if rel not in self._requests and rel not in self._problems and rel not in self._folders:
            raise StoreError(f"There is nothing at {rel} in {self.name}", self.root / rel)
        folder, entry = _split(rel)
        index = self._entries(folder).index(entry)
        before = self.revision
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        trash_rel = f"{TRASH_DIR}/{stamp}-{secrets.token_hex(3)}/{entry}"
        trash_dir = self.root / TRASH_DIR
        trash_dir.mkdir(exist_ok=True)
        ignore = trash_dir / ".gitignore"
        if not ignore.exists():
            write_atomic(ignore, "*\n")  # deleted entries stay out of the repository
        (self.root / trash_rel).parent.mkdir(parents=True, exist_ok=True)
        self._rename_path(self.root / rel, self.root / trash_rel)
        self._forget(rel)
        inner = {k: v for k, v in self._order.items() if _inside(k, rel)}
        for key in inner:
            del self._order[key]
        self._remove_from_order(folder, entry)
        self._write_meta()
        log.info("collection %s: deleted %s (kept in %s)", self.name, rel, trash_rel)
        self._announce(folder, before, (folder,))
        return Deleted(rel, trash_rel, index, inner)

    def undo(self, deleted: Deleted) -> str:
        """Put a deleted entry back where it was (another name if that one is taken now)."""
        self._check_writable()
        source = self.root / deleted.trash
        if not source.exists():
            raise StoreError(f"{deleted.path} is no longer in the trash", source)
        folder, entry = _split(deleted.path)
        before = self.revision
        if folder and not (self.root / folder).is_dir():
            (self.root / folder).mkdir(parents=True)
        new_entry = self._unique_entry(folder, entry, is_dir=source.is_dir())
        new_rel = _join(folder, new_entry)
        self._rename_path(source, self.root / new_rel)
        with contextlib.suppress(OSError):
            source.parent.rmdir()  # the stamped folder, now empty
        for key, value in deleted.order.items():
            self._order[new_rel + key[len(deleted.path) :]] = list(value)
        # Read back what came back (it may have been edited in the trash), and only that: the
        # entry, or the first folder above it that is not known (one made just now).
        parts = new_rel.split("/")
        above = ("/".join(parts[:n]) for n in range(1, len(parts)))
        read = next((f for f in above if f not in self._folders), new_rel)
        self._forget(read)
        self._load_entry(read)
        self._insert(folder, new_entry, deleted.index)
        if read in self._folders:
            self._sort_folders()
        self._write_meta()
        self._announce(new_rel, before)
        return new_rel

    def empty_trash(self) -> None:
        """Delete what is in the trash for good."""
        trash = self.root / TRASH_DIR
        if trash.is_dir():
            shutil.rmtree(trash)

    # --- folders ---------------------------------------------------------------------------

    def create_folder(self, name: str, parent: str = "", index: int | None = None) -> str:
        """A new, empty folder in ``parent``; returns its path."""
        self._check_writable()
        parent = self._folder(parent)
        name = check_folder_name(name)
        if self._exists_in(parent, name):
            raise ValidationError(f"There is already something called {name} here")
        rel = _join(parent, name)
        before = self.revision
        try:
            (self.root / rel).mkdir(parents=True)
        except OSError as exc:
            raise StoreError(f"Could not create {name}: {describe_os_error(exc)}") from exc
        self._load_entry(rel)  # empty, but maybe too deep to be listed, as opening would
        self._insert(parent, name, index)
        self._sort_folders()
        self._write_meta()
        self._announce(rel, before)
        return rel

    def _rename_folder(self, rel: str, new_name: str) -> str:
        self._check_writable()
        name = check_folder_name(new_name)
        parent, old = _split(rel)
        if name == old:
            return rel
        if name.casefold() != old.casefold() and self._exists_in(parent, name):
            raise ValidationError(f"There is already something called {name} here")
        new_rel = _join(parent, name)
        entries = self._entries(parent)
        self._rename_path(self.root / rel, self.root / new_rel)
        self._relocate(rel, new_rel)
        self._order[parent] = [name if e == old else e for e in entries]
        self._move_order_keys(rel, new_rel)
        self._sort_folders()
        self._write_meta()
        return new_rel

    # --- the collection itself -------------------------------------------------------------

    def set_name(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValidationError("Give the collection a name")
        self._change_meta(lambda: setattr(self, "name", name))

    def set_variables(self, variables: Mapping[str, str]) -> None:
        """Replace the collection's variables (a token-like name must have no value)."""
        check_variables(variables)
        self._change_meta(lambda: setattr(self, "variables", dict(variables)))

    def set_environment(self, workspace: str, variables: Mapping[str, str] | None) -> None:
        """Set (or with ``None`` remove) the variables used with workspace ``workspace``."""
        if variables is not None:
            check_variables(variables, where="environment")

        def change() -> None:
            if variables is None:
                self.environments.pop(workspace, None)
            else:
                self.environments[workspace] = dict(variables)

        self._change_meta(change)

    # --- inside ----------------------------------------------------------------------------

    def _change_meta(self, change: Any) -> None:
        self._check_writable()
        revision = self.revision
        before = (self.name, dict(self.variables), copy.deepcopy(self.environments))
        change()
        try:
            self._write_meta()
        except StoreError:
            self.name, self.variables, self.environments = before
            raise
        self._announce("", revision, ())

    def _check_writable(self) -> None:
        if self._meta_problem is not None:
            raise StoreError(
                f"{self._meta_problem}. Changes are not saved over it, so nothing in it is "
                "lost: fix it or move it aside, then open the collection again",
                self.root / COLLECTION_FILE,
            )

    def meta_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {SCHEMA_KEY: migrations.COLLECTION.current, "name": self.name}
        if self.variables:
            doc["variables"] = dict(sorted(self.variables.items()))
        if self.environments:
            doc["environments"] = {
                k: dict(sorted(v.items())) for k, v in sorted(self.environments.items())
            }
        order = {k: v for k, v in sorted(self._order.items()) if v}
        if order:
            doc["order"] = order
        return doc

    def _write_meta(self) -> None:
        self._check_writable()
        self.revision += 1  # every change of the tree or the variables comes through here
        # Keep only what still exists, so the file does not collect stale names. One listing
        # per folder says so for most names (a stat per name is slow with hundreds); a name
        # not in it, or a link, is asked about as before (on macOS "a.json" finds "A.json").
        for key in list(self._order):
            if key and not (self.root / key).is_dir():
                del self._order[key]
                continue
            base = self.root / key
            there = _plain_names(base)
            self._order[key] = [e for e in self._order[key] if e in there or (base / e).exists()]
        text = dump(self.meta_json())
        target = self.root / COLLECTION_FILE
        try:
            if target.read_text(encoding="utf-8") == text:
                return
        except (OSError, UnicodeDecodeError):
            pass
        write_atomic(target, text)

    def _save_meta_or_undo(self, undo: Any) -> None:
        try:
            self._write_meta()
        except StoreError:
            undo()
            self.reload()
            raise

    def _entries(self, rel: str, listing: Mapping[str, bool] | None = None) -> list[str]:
        """The requests and folders in folder ``rel``: the saved order, then new ones by name.

        ``listing`` is :meth:`_listing` of ``rel`` when the caller has it already.
        """
        return self._in_order(rel, self._listing(rel) if listing is None else listing)

    def _in_order(self, rel: str, names: Mapping[str, bool] | set[str]) -> list[str]:
        """``names`` (entries of folder ``rel``) as it lists them: the saved order, then the
        rest by name."""
        listed = [n for n in self._order.get(rel, []) if n in names]
        taken = set(listed)
        rest = sorted((n for n in names if n not in taken), key=lambda n: (n.casefold(), n))
        return listed + rest

    def _listing(self, rel: str) -> dict[str, bool]:
        """The requests and folders on disk in folder ``rel``: name → whether it is a folder."""
        folder = self.root / rel if rel else self.root
        present: dict[str, bool] = {}
        try:
            # scandir, not a stat per name: the file type comes with the listing.
            with os.scandir(folder) as it:
                for item in it:
                    name = item.name
                    if name.startswith("."):
                        continue  # .git, .trash, temporary files of interrupted writes
                    if _is_dir(item):
                        if not _is_link(item):
                            present[name] = True
                    elif name.endswith(SUFFIX) and not (not rel and name == COLLECTION_FILE):
                        present[name] = False
        except OSError:
            return {}
        return present

    def _insert(self, folder: str, entry: str, index: int | None) -> None:
        entries = [e for e in self._entries(folder) if e != entry]
        entries.insert(len(entries) if index is None else max(0, min(index, len(entries))), entry)
        self._order[folder] = entries

    def _remove_from_order(self, folder: str, entry: str) -> None:
        self._order[folder] = [e for e in self._entries(folder) if e != entry]

    def _move_order_keys(self, old: str, new: str) -> None:
        for key in [k for k in self._order if _inside(k, old)]:
            self._order[new + key[len(old) :]] = self._order.pop(key)

    # --- keeping memory in step with a change, without reading every file again ------------

    def _forget(self, rel: str) -> None:
        """``rel`` and all that is under it left the collection (deleted, or moved away)."""
        for key in [k for k in self._requests if _inside(k, rel)]:
            del self._requests[key]
        for key in [k for k in self._problems if _inside(k, rel)]:
            del self._problems[key]
        # Dropping entries keeps the rest in tree order: no need to sort again.
        self._folders = [f for f in self._folders if not _inside(f, rel)]

    def _relocate(self, old: str, new: str) -> None:
        """``old`` was renamed ``new`` on disk: the same files, at new paths.

        Call :meth:`_sort_folders` once the orders are updated if ``old`` is a folder. Moving
        a folder to another depth can take some of it past :data:`MAX_DEPTH`, or bring
        back what was past it; that folder is then read again, as opening would.
        """
        moved = [k for k in (*self._requests, *self._problems, *self._folders) if _inside(k, old)]
        deepest = max((k.count("/") for k in moved), default=0)
        shift = new.count("/") - old.count("/")
        if shift and max(deepest, deepest + shift) >= MAX_DEPTH:
            self._forget(old)
            self._load_entry(new)
            return
        for key in [k for k in self._requests if _inside(k, old)]:
            request = self._requests.pop(key)
            request.path = new + key[len(old) :]
            self._requests[request.path] = request
        for key in [k for k in self._problems if _inside(k, old)]:
            problem = self._problems.pop(key)
            self._problems[new + key[len(old) :]] = replace(problem, path=new + key[len(old) :])
        self._folders = [new + f[len(old) :] if _inside(f, old) else f for f in self._folders]

    def _load_entry(self, rel: str) -> None:
        """Read ``rel`` (a request file, or a folder and all in it) as opening would.

        A folder is added last to :meth:`folders`: call :meth:`_sort_folders` after.
        """
        path = self.root / rel
        depth = rel.count("/") + 1
        if depth > MAX_DEPTH + 1:
            return  # opening does not go this deep either
        if path.is_dir():
            if not path.is_symlink():
                self._folders.append(rel)
                self._scan(rel, path, depth)
        else:
            self._load_request(rel, path)

    def _sort_folders(self) -> None:
        """Put the known folders in tree order, parents first, as a scan finds them.

        From memory, as :meth:`_entries` orders a folder (the saved order, then by name):
        listing every folder again would cost as much as the change itself.
        """
        inside: dict[str, set[str]] = {}
        for rel in self._folders:
            parent, name = _split(rel)
            inside.setdefault(parent, set()).add(name)
        ordered: list[str] = []

        def visit(rel: str) -> None:
            for name in self._in_order(rel, inside.get(rel, set())):
                child = _join(rel, name)
                ordered.append(child)
                visit(child)

        visit("")
        found = set(ordered)
        self._folders = ordered + [f for f in self._folders if f not in found]

    @contextlib.contextmanager
    def _reload_on_error(self) -> Iterator[None]:
        """Read everything again if a change fails half-way, so memory matches the disk."""
        try:
            yield
        except Exception:
            self.reload()
            raise

    def _exists_in(self, folder: str, name: str) -> bool:
        base = self.root / folder if folder else self.root
        try:
            names = os.listdir(base)
        except OSError:
            return False
        # Case-insensitive: on macOS and Windows "Groups" and "groups" are one folder.
        return name.casefold() in {n.casefold() for n in names}

    def _unique_file(self, folder: str, slug: str, keep: str | None = None) -> str:
        for n in range(1, 10_000):
            candidate = f"{slug}{SUFFIX}" if n == 1 else f"{slug}-{n}{SUFFIX}"
            if keep is not None and candidate.casefold() == keep.casefold():
                return keep
            if not self._exists_in(folder, candidate) and not (
                not folder and candidate == COLLECTION_FILE
            ):
                return candidate
        raise StoreError(f"Too many requests called {slug} in one folder")

    def _unique_entry(self, folder: str, entry: str, *, is_dir: bool) -> str:
        if not self._exists_in(folder, entry) and not (not folder and entry == COLLECTION_FILE):
            return entry
        stem, suffix = (entry, "") if is_dir else (entry[: -len(SUFFIX)], SUFFIX)
        stem = re.sub(r"-\d+$", "", stem) if not is_dir else stem
        for n in range(2, 10_000):
            candidate = f"{stem}-{n}{suffix}" if not is_dir else f"{stem} {n}"
            if not self._exists_in(folder, candidate):
                return candidate
        raise StoreError(f"Too many entries called {entry} in one folder")

    def _rename_path(self, source: Path, target: Path) -> None:
        try:
            os.rename(source, target)
        except OSError as exc:
            raise StoreError(
                f"Could not move {source.name}: {describe_os_error(exc)}", source
            ) from exc

    def _folder(self, folder: str) -> str:
        rel = self._rel(folder, allow_root=True)
        if rel and rel not in self._folders:
            raise StoreError(f"There is no folder {rel} in {self.name}", self.root / rel)
        return rel

    def _rel(self, path: str, *, allow_root: bool = False) -> str:
        """``path`` checked to stay inside the collection, as ``a/b.json``."""
        text = (path or "").replace("\\", "/").strip("/")
        if not text:
            if allow_root:
                return ""
            raise StoreError("No request or folder was given")
        parts = PurePosixPath(text).parts
        if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise StoreError(f"{path} is not a place inside the collection")
        return "/".join(parts)

    def __repr__(self) -> str:
        return f"Collection({self.root!s}, name={self.name!r})"


# --- the collections folder ------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionInfo:
    """A collection found in the collections folder, without opening its requests."""

    path: Path
    name: str
    problem: str | None = None


def list_collections(parent: Path | None = None) -> list[CollectionInfo]:
    """The collections in ``parent`` (default: the app's collections folder), by name."""
    folder = parent if parent is not None else paths.collections_dir()
    out = []
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
    for child in children:
        meta = child / COLLECTION_FILE
        if not meta.is_file():
            continue
        try:
            doc = read_json(meta, expected_schema=migrations.COLLECTION.current) or {}
            name = doc.get("name")
            out.append(CollectionInfo(child, name if isinstance(name, str) else child.name))
        except UnreadableFile as exc:
            out.append(CollectionInfo(child, child.name, exc.reason))
    return sorted(out, key=lambda c: c.name.casefold())


def create_collection(name: str, parent: Path | None = None) -> Collection:
    """A new collection called ``name`` in its own folder of ``parent`` (default: the app's)."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the collection a name")
    folder = parent if parent is not None else paths.collections_dir()
    slug = slugify(name, default="collection")
    target = folder / slug
    n = 2
    while target.exists():
        target = folder / f"{slug}-{n}"
        n += 1
    return Collection.create(target, name)


def _as_saved(request: SavedRequest, rel: str) -> SavedRequest:
    """``request`` as it reads back from its file (unset values gone, null as NULL)."""
    saved = request_from_json(request_to_json(request))
    saved.path = rel
    return saved


def _join(folder: str, entry: str) -> str:
    return f"{folder}/{entry}" if folder else entry


def _is_dir(item: os.DirEntry[str]) -> bool:
    """Like ``Path.is_dir``: a folder, or a link to one; ``False`` when it cannot be told."""
    try:
        return item.is_dir()
    except OSError:
        return False


def _is_link(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_symlink()
    except OSError:
        return False


def _plain_names(folder: Path) -> set[str]:
    """The names in ``folder`` that surely exist: all but links (which may point nowhere)."""
    try:
        with os.scandir(folder) as it:
            return {item.name for item in it if not _is_link(item)}
    except OSError:
        return set()


def _inside(key: str, rel: str) -> bool:
    """Whether path ``key`` is ``rel`` or under it."""
    return key == rel or key.startswith(rel + "/")


def _split(rel: str) -> tuple[str, str]:
    folder, _, entry = rel.rpartition("/")
    return folder, entry


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str | int | float | bool) for k, v in value.items()
    )
