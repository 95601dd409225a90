"""Workspaces: the RapidPro servers a person works with, saved in ``workspaces.json``.

A workspace is a name, a base URL and a few preferences. Its token is not here: it lives in
the keyring (see :mod:`explorer.store.secrets`), filed under the workspace's name. With no
workspace configured the app uses the built-in sandbox.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers

from explorer import SANDBOX_WORKSPACE_NAME
from explorer.core.client import DEFAULT_DEADLINE
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import normalize_base_url
from explorer.store import paths
from explorer.store.atomic import SCHEMA_KEY, read_json, write_json
from explorer.store.errors import StoreError, UnreadableFile
from explorer.store.secrets import TokenVault

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FILE_NAME = "workspaces.json"
DEFAULT_RATE_LIMIT = 2500  # RapidPro's default for API v2 tokens, requests per hour
MAX_NAME_LENGTH = 80
DEADLINE_RANGE = (5, 24 * 3600)  # seconds: shorter cuts off real pages, longer is "forever"


@dataclass(frozen=True)
class Workspace:
    """One RapidPro server (or the local sandbox) and how to talk to it. No token."""

    name: str
    base_url: str
    default_country: str | None = None
    rate_limit_per_hour: int = DEFAULT_RATE_LIMIT
    is_sandbox: bool = False
    request_deadline_s: int = int(DEFAULT_DEADLINE)  # longest one request may take, in all

    def to_json(self) -> dict[str, Any]:
        """The workspace as saved: fields left at their default are left out."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.default is dataclasses.MISSING or value != f.default:
                out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: Any) -> Workspace:
        """A workspace from its saved form, checked like one a person typed in."""
        if not isinstance(data, dict):
            raise ValidationError("is not a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            # Only key names are shown: an unknown value could be a pasted token.
            raise ValidationError(f"has settings this version does not know: {', '.join(unknown)}")
        for key in ("name", "base_url"):
            if not isinstance(data.get(key), str):
                raise ValidationError(f"has no {key}")
        return validated(cls(**data))


def sandbox_workspace(base_url: str) -> Workspace:
    """The built-in sandbox as a workspace (its address depends on the port it runs on)."""
    return Workspace(SANDBOX_WORKSPACE_NAME, normalize_base_url(base_url), is_sandbox=True)


def validated(ws: Workspace) -> Workspace:
    """``ws`` tidied up (name trimmed, URL normalised, country upper-cased) and checked.

    Raises :class:`ValidationErrors` listing every problem, each under its field's name.
    """
    errors: list[ValidationError] = []
    changes: dict[str, Any] = {}

    name = ws.name.strip() if isinstance(ws.name, str) else ""
    if not name:
        errors.append(ValidationError("Give the workspace a name", ("name",)))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(
            ValidationError(f"Use a name of at most {MAX_NAME_LENGTH} characters", ("name",))
        )
    elif not name.isprintable():
        errors.append(ValidationError("The name cannot contain control characters", ("name",)))
    changes["name"] = name

    try:
        changes["base_url"] = normalize_base_url(ws.base_url)
    except ValidationError as exc:
        errors.append(exc.at("base_url"))

    try:
        changes["default_country"] = normalize_country(ws.default_country)
    except ValidationError as exc:
        errors.append(exc.at("default_country"))

    rate = ws.rate_limit_per_hour
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
        errors.append(
            ValidationError(
                "The rate limit must be a whole number of requests per hour, e.g. 2500",
                ("rate_limit_per_hour",),
            )
        )
    low, high = DEADLINE_RANGE
    deadline = ws.request_deadline_s
    if isinstance(deadline, bool) or not isinstance(deadline, int) or not low <= deadline <= high:
        errors.append(
            ValidationError(
                f"The longest a request may take is a whole number of seconds from {low} to "
                f"{high:,}, e.g. 180",
                ("request_deadline_s",),
            )
        )
    if not isinstance(ws.is_sandbox, bool):
        errors.append(ValidationError("must be true or false", ("is_sandbox",)))

    if errors:
        raise ValidationErrors(errors)
    return dataclasses.replace(ws, **changes)


def normalize_country(code: str | None) -> str | None:
    """A two-letter country code (ISO 3166 alpha-2, as phone numbers use it), or ``None``."""
    if code is None:
        return None
    if not isinstance(code, str):
        raise ValidationError(f"{code!r} is not a country code such as RW")
    text = code.strip()
    if not text:
        return None
    upper = text.upper()
    # The same table Urn.parse uses, so every saved country works for phone numbers.
    if upper in phonenumbers.SUPPORTED_REGIONS:
        return upper
    raise ValidationError(f"{text} is not a two-letter country code{_country_hint(text)}")


def _country_hint(text: str) -> str:
    if text.upper() == "UK":
        return ": the United Kingdom is GB"
    import pycountry

    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        return ", e.g. RW for Rwanda"
    return f": {country.name} is {country.alpha_2}"


def _key(name: str) -> str:
    return name.strip().casefold()


class WorkspaceStore:
    """The saved workspaces and which one is in use, kept in ``workspaces.json``.

    If the file exists but cannot be used, :attr:`problem` says why, the store starts empty
    and every change raises :class:`StoreError` instead of writing over the file: the
    person's workspaces must not be lost to a bug or a newer version's format.

    Changes that touch tokens (:meth:`update`, :meth:`remove`) are async because they go
    through the keyring; give the store the app's :class:`TokenVault` for that.
    """

    def __init__(self, path: Path | None = None, vault: TokenVault | None = None) -> None:
        self.path = path if path is not None else paths.config_dir() / FILE_NAME
        self.vault = vault
        self.problem: str | None = None
        self._workspaces: list[Workspace] = []
        self._current: str | None = None
        self._load()

    # --- reading ---------------------------------------------------------------------------

    def workspaces(self) -> list[Workspace]:
        """Every saved workspace, in the order they were added."""
        return list(self._workspaces)

    def names(self) -> list[str]:
        return [ws.name for ws in self._workspaces]

    def get(self, name: str) -> Workspace | None:
        """The workspace called ``name`` (any letter case), or ``None``."""
        key = _key(name)
        return next((ws for ws in self._workspaces if _key(ws.name) == key), None)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __len__(self) -> int:
        return len(self._workspaces)

    @property
    def current(self) -> str | None:
        """The name of the workspace in use; ``None`` means the built-in sandbox."""
        return self._current

    @current.setter
    def current(self, name: str | None) -> None:
        self.set_current(name)

    def current_workspace(self) -> Workspace | None:
        """The workspace in use, or ``None`` for the sandbox."""
        return self.get(self._current) if self._current is not None else None

    # --- changing --------------------------------------------------------------------------

    def set_current(self, name: str | None) -> None:
        """Switch to workspace ``name`` (``None`` or the sandbox's name: the sandbox); saved."""
        if name is None or _key(name) == _key(SANDBOX_WORKSPACE_NAME):
            new = None
        else:
            ws = self.get(name)
            if ws is None:
                raise ValidationError(f"There is no workspace called {name!r}")
            new = ws.name
        if new == self._current:
            return
        self._check_writable()
        previous, self._current = self._current, new
        try:
            self._save()
        except StoreError:
            self._current = previous
            raise

    def add(self, ws: Workspace) -> Workspace:
        """Save a new workspace and return it as saved (URL normalised and so on).

        Raises :class:`ValidationErrors` when a value is not acceptable or the name is taken,
        :class:`StoreError` when the file cannot be written.
        """
        self._check_writable()
        ws = self._checked(ws, replacing=None)
        self._commit([*self._workspaces, ws], self._current)
        log.info("added workspace %r", ws.name)
        return ws

    async def update(self, old_name: str, ws: Workspace) -> Workspace:
        """Replace workspace ``old_name`` with ``ws``; a new name takes the token along."""
        self._check_writable()
        old = self._existing(old_name)
        ws = self._checked(ws, replacing=old)
        items = [ws if item is old else item for item in self._workspaces]
        current = ws.name if self._current == old.name else self._current
        self._commit(items, current)
        if ws.name != old.name:
            log.info("renamed workspace %r to %r", old.name, ws.name)
            if self.vault is not None:
                await self.vault.rename(old.name, ws.name)
        return ws

    async def remove(self, name: str) -> None:
        """Delete workspace ``name`` and its token; the sandbox is used if it was current."""
        self._check_writable()
        old = self._existing(name)
        items = [item for item in self._workspaces if item is not old]
        current = None if self._current == old.name else self._current
        self._commit(items, current)
        log.info("removed workspace %r", old.name)
        if self.vault is not None:
            await self.vault.delete(old.name)

    def reload(self) -> None:
        """Read the file again (after the person fixed or moved it aside, say)."""
        self.problem = None
        self._workspaces, self._current = [], None
        self._load()

    # --- inside ----------------------------------------------------------------------------

    def _existing(self, name: str) -> Workspace:
        ws = self.get(name)
        if ws is None:
            raise ValidationError(f"There is no workspace called {name!r}")
        return ws

    def _checked(self, ws: Workspace, *, replacing: Workspace | None) -> Workspace:
        try:
            ws = validated(ws)
        except ValidationErrors as exc:
            errors = list(exc)
            name = ws.name.strip() if isinstance(ws.name, str) else ""
        else:
            errors, name = [], ws.name
        if name and not any(e.path[:1] == ("name",) for e in errors):
            taken = self.get(name)
            if _key(name) == _key(SANDBOX_WORKSPACE_NAME):
                errors.append(ValidationError("That name is kept for the sandbox", ("name",)))
            elif taken is not None and taken is not replacing:
                errors.append(
                    ValidationError(f"There is already a workspace called {taken.name}", ("name",))
                )
        if errors:
            raise ValidationErrors(errors)
        return ws

    def _check_writable(self) -> None:
        if self.problem is not None:
            raise StoreError(
                f"{self.problem}. Changes are not saved over it, so nothing in it is lost: "
                f"move it aside or fix it, then try again",
                self.path,
            )

    def _commit(self, items: list[Workspace], current: str | None) -> None:
        """Save first, then change what the store holds, so a failed save changes nothing."""
        before = (self._workspaces, self._current)
        self._workspaces, self._current = items, current
        try:
            self._save()
        except StoreError:
            self._workspaces, self._current = before
            raise

    def _save(self) -> None:
        data: dict[str, Any] = {
            SCHEMA_KEY: SCHEMA_VERSION,
            "workspaces": [ws.to_json() for ws in self._workspaces],
        }
        if self._current is not None:
            data["current"] = self._current
        write_json(self.path, data)

    def _load(self) -> None:
        try:
            data = read_json(self.path, expected_schema=SCHEMA_VERSION)
            if data is None:
                return
            self._workspaces, self._current = self._parse(data)
        except UnreadableFile as exc:
            log.warning("%s", exc.message)
            self.problem = exc.message

    def _parse(self, data: dict[str, Any]) -> tuple[list[Workspace], str | None]:
        unknown = sorted(set(data) - {SCHEMA_KEY, "workspaces", "current"})
        if unknown:
            raise UnreadableFile(
                self.path, f"it has settings this version does not know: {', '.join(unknown)}"
            )
        entries = data.get("workspaces", [])
        if not isinstance(entries, list):
            raise UnreadableFile(self.path, "its workspaces are not a list")
        items: list[Workspace] = []
        seen: set[str] = set()
        for number, entry in enumerate(entries, start=1):
            try:
                ws = Workspace.from_json(entry)
            except (ValidationError, ValidationErrors, TypeError) as exc:
                raise UnreadableFile(self.path, f"workspace {number} {_reason(exc)}") from exc
            if _key(ws.name) in seen:
                raise UnreadableFile(self.path, f"the name {ws.name!r} is used twice")
            seen.add(_key(ws.name))
            items.append(ws)
        current = data.get("current")
        if current is not None:
            match = next(
                (ws for ws in items if isinstance(current, str) and _key(ws.name) == _key(current)),
                None,
            )
            if match is None:
                # Not worth refusing the file for: fall back to the sandbox and say why.
                log.warning(
                    "the current workspace %r is not in %s; using the sandbox", current, self.path
                )
            current = match.name if match else None
        return items, current


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationErrors):
        return "; ".join(f"{e.path[0] if e.path else ''}: {e.message}".lstrip(": ") for e in exc)
    if isinstance(exc, ValidationError):
        return exc.message
    return "has a setting of the wrong type"
