"""History: every request sent, one JSON line each in ``history.jsonl``, newest last.

An entry holds what was asked (workspace name, endpoint, method, parameters and body as
the form held them) and what came of it (status, time, duration, response size) — never a
token and never the response body. The file keeps the last :data:`LIMIT` entries: appends
are cheap, and once it has grown past the bound by a margin it is rewritten, atomically,
with the newest ones. A line that cannot be read is skipped and reported, not fatal.

The log announces its changes (Anki's ``operation_did_execute``): whoever shows it calls
:meth:`History.subscribe` and hears of every entry recorded, by a send in the window, the
runner or anything else, without the writer knowing who is listening.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.core.catalog import HttpMethod
from explorer.core.request import NULL, Draft, is_unset
from explorer.store import paths
from explorer.store.atomic import SCHEMA_KEY, write_atomic
from explorer.store.errors import StoreError, describe_os_error

if TYPE_CHECKING:
    from explorer.core.client import Outcome

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
LIMIT = 1000


@dataclass(frozen=True)
class HistoryEntry:
    """One sent request and its result, without token or response body."""

    time: datetime
    endpoint: str
    method: HttpMethod = HttpMethod.GET
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    workspace: str | None = None
    status: int | None = None
    outcome: str = ""  # the client's Kind: ok, not_found, timeout…
    duration: float = 0.0  # seconds
    size: int | None = None  # response bytes

    @classmethod
    def of(
        cls,
        draft: Draft,
        outcome: Outcome | None = None,
        *,
        workspace: str | None = None,
        time: datetime | None = None,
    ) -> HistoryEntry:
        """The entry for ``draft`` sent with ``outcome`` (a core client ``Outcome``)."""
        return cls(
            time=time or datetime.now(UTC),
            endpoint=draft.endpoint,
            method=HttpMethod(str(draft.method).upper()),
            params=_plain(draft.params),
            body=_plain(draft.body),
            workspace=workspace,
            status=outcome.status if outcome is not None else None,
            outcome=str(outcome.kind) if outcome is not None else "",
            duration=outcome.elapsed if outcome is not None else 0.0,
            size=outcome.size if outcome is not None and outcome.status is not None else None,
        )

    def to_draft(self) -> Draft:
        """The request again, as a form fills it in (JSON null → :data:`NULL`)."""
        return Draft(
            self.endpoint,
            self.method,
            {k: (NULL if v is None else v) for k, v in self.params.items()},
            {k: (NULL if v is None else v) for k, v in self.body.items()},
        )

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            SCHEMA_KEY: SCHEMA_VERSION,
            "time": self.time.astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        if self.workspace:
            doc["workspace"] = self.workspace
        doc["method"] = self.method.value
        doc["endpoint"] = self.endpoint
        if self.params:
            doc["params"] = self.params
        if self.body:
            doc["body"] = self.body
        if self.status is not None:
            doc["status"] = self.status
        if self.outcome:
            doc["outcome"] = self.outcome
        doc["duration_ms"] = round(self.duration * 1000)
        if self.size is not None:
            doc["size"] = self.size
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> HistoryEntry:
        if not isinstance(doc, dict):
            raise ValueError("it is not a JSON object")
        version = doc.get(SCHEMA_KEY)
        if version != SCHEMA_VERSION:
            raise ValueError(f"it has schema {version!r}; this version reads {SCHEMA_VERSION}")
        try:
            when = datetime.fromisoformat(str(doc["time"]).replace("Z", "+00:00"))
            endpoint = doc["endpoint"]
            if not isinstance(endpoint, str):
                raise TypeError
            params, body = doc.get("params", {}), doc.get("body", {})
            if not isinstance(params, dict) or not isinstance(body, dict):
                raise TypeError
            status = doc.get("status")
            if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
                raise TypeError
            return cls(
                time=when if when.tzinfo else when.replace(tzinfo=UTC),
                endpoint=endpoint,
                method=HttpMethod(str(doc.get("method", "GET")).upper()),
                params=params,
                body=body,
                workspace=doc.get("workspace") or None,
                status=status,
                outcome=str(doc.get("outcome", "")),
                duration=float(doc.get("duration_ms", 0)) / 1000,
                size=doc.get("size") if isinstance(doc.get("size"), int) else None,
            )
        except (KeyError, TypeError, ValueError):
            raise ValueError("it is not a history entry") from None

    def search_text(self) -> str:
        """What a search matches against: method, endpoint, status, workspace, values."""
        parts = [self.method.value, self.endpoint, str(self.status or self.outcome)]
        if self.workspace:
            parts.append(self.workspace)
        for name, value in self.params.items():
            parts.append(f"{name}={_flat(value)}")
        for name, value in self.body.items():
            parts.append(f"{name}:{_flat(value)}")
        return " ".join(parts).casefold()


@dataclass(frozen=True)
class HistoryChange:
    """What changed in a :class:`History`: one entry recorded, or (``added`` None) anything."""

    added: HistoryEntry | None = None


HistoryListener = Callable[[HistoryChange], object]


class History:
    """The sent-requests log: read once, appended to, searched in memory.

    ``problems`` lists lines that could not be read (they are skipped, and dropped only
    when they age out of the file). Writing never raises into a send: a history that cannot
    be saved logs a warning and sets ``problem``. Every change is announced to the
    listeners given to :meth:`subscribe`, on the thread that made it.
    """

    def __init__(self, path: Path | None = None, *, limit: int = LIMIT) -> None:
        self.path = path if path is not None else paths.history_path()
        self.limit = limit
        self.slack = max(1, limit // 10)  # lines past the bound before the file is rewritten
        self.problems: list[str] = []
        self.problem: str | None = None
        self._entries: deque[HistoryEntry] = deque(maxlen=limit)
        self._lines = 0
        self._listeners: list[HistoryListener] = []
        self._load()

    # --- listening -------------------------------------------------------------------------

    def subscribe(self, listener: HistoryListener) -> Callable[[], None]:
        """Call ``listener(change)`` after every change; returns what stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _announce(self, change: HistoryChange) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a broken view must not fail the send that was recorded
                log.exception("a history listener failed")

    def _load(self) -> None:
        self._entries.clear()
        self.problems = []
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self._lines = 0
            return
        except OSError as exc:
            self.problem = f"Could not read the history: {describe_os_error(exc)}"
            log.warning("%s", self.problem)
            return
        lines = raw.splitlines()
        self._lines = sum(1 for line in lines if line.strip())
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = HistoryEntry.from_json(json.loads(line.decode("utf-8")))
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                reason = "it is not valid JSON" if isinstance(exc, json.JSONDecodeError) else exc
                self.problems.append(f"line {number} of {self.path.name} was skipped: {reason}")
                continue
            self._entries.append(entry)
        for problem in self.problems:
            log.warning("history: %s", problem)

    def reload(self) -> None:
        """Read the file again (another process may have written to it)."""
        self.problem = None
        self._load()
        self._announce(HistoryChange())

    # --- reading ---------------------------------------------------------------------------

    def entries(self) -> list[HistoryEntry]:
        """Newest first, at most :attr:`limit`."""
        return list(reversed(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, text: str) -> list[HistoryEntry]:
        """Entries matching every word of ``text`` (endpoint, method, status, values), newest first.

        ``contacts 404`` finds failed contact look-ups; ``urn=tel:+250`` a number.
        """
        words = text.casefold().split()
        if not words:
            return self.entries()
        return [e for e in self.entries() if all(w in e.search_text() for w in words)]

    # --- writing ---------------------------------------------------------------------------

    def add(self, entry: HistoryEntry) -> None:
        """Append ``entry``; rewrites the file with the newest entries when it grew too long."""
        line = json.dumps(entry.to_json(), ensure_ascii=False, separators=(",", ":"))
        self._entries.append(entry)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+b") as fh:
                # A line cut short by a crash must not swallow the next one.
                end = fh.seek(0, os.SEEK_END)
                prefix = b""
                if end > 0:
                    fh.seek(end - 1)
                    prefix = b"" if fh.read(1) == b"\n" else b"\n"
                fh.write(prefix + line.encode("utf-8") + b"\n")
            self._lines += 1
            if self._lines > self.limit + self.slack:
                self.compact()
        except (OSError, StoreError) as exc:
            why = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
            self.problem = f"Could not save the history: {why}"
            log.warning("%s", self.problem)
        self._announce(HistoryChange(added=entry))

    def record(
        self, draft: Draft, outcome: Outcome | None, *, workspace: str | None = None
    ) -> HistoryEntry:
        """Append the entry for ``draft`` sent with ``outcome`` and return it."""
        entry = HistoryEntry.of(draft, outcome, workspace=workspace)
        self.add(entry)
        return entry

    def compact(self) -> None:
        """Keep only the newest :attr:`limit` lines, rewriting the file atomically.

        Lines that could not be read are kept as they are while they are among the newest:
        they may be from a newer version, which would want them back.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        lines = [line for line in raw.splitlines() if line.strip()]
        kept = lines[-self.limit :]
        write_atomic(self.path, b"".join(line + b"\n" for line in kept))
        self._lines = len(kept)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
        self.problems = []
        if self.path.exists():
            write_atomic(self.path, b"")
        self._lines = 0
        self._announce(HistoryChange())


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Form values as JSON (NULL → null; unset ones left out; other objects as text)."""
    return {name: _json_value(v) for name, v in values.items() if v is NULL or not is_unset(v)}


def _json_value(value: Any) -> Any:
    if value is NULL or value is None:
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(x) for x in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if hasattr(value, "filename"):  # an upload: its name, not its content
        return str(value.filename)
    return str(value)


def _flat(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
