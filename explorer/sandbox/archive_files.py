"""The sandbox's archive files: gzipped JSON Lines of old runs and messages, as rp-archiver
writes them for real RapidPro servers.

Records use rp-archiver's keys and order, and PostgreSQL's offset datetimes
(``2026-04-03T08:15:00.123456+00:00``), not the live API's result shape (see
``rapidpro-api-v2/ARCHIVES.md``); deleted messages are never archived. The files are not
stored: each day's records are drawn from a generator seeded with the day, so a monthly
archive is exactly its days' records put together, and a file served later is byte for byte
the one whose size and hash the seed listed. What the records point at (flows, channels,
labels, contacts of the time) is a snapshot the seed keeps in the ``meta`` table, so renaming
a label today does not change what an archive from April holds.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import hmac
import json
import random
import re
import secrets
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from explorer.sandbox.clock import iso, to_us

REFS_META_KEY = "archive_refs"
DAY_US = 86_400_000_000
MAX_PATH = 500  # rp-archiver keeps at most this many steps of a run's path
KINDS = ("message", "run")


@dataclass(frozen=True)
class ArchiveFile:
    """One archive's bytes and what the listing says about them."""

    data: bytes
    record_count: int

    @property
    def size(self) -> int:
        return len(self.data) if self.record_count else 0

    @property
    def hash(self) -> str | None:
        # RapidPro lists the MD5 of the gzipped bytes; empty archives have none.
        return hashlib.md5(self.data).hexdigest() if self.record_count else None


def offset_iso(us: int) -> str:
    """A datetime as PostgreSQL's JSON functions write it: ``+00:00``, six digits."""
    return (iso(us) or "")[:-1] + "+00:00"


def days_of(period: str, start: date) -> list[date]:
    """The UTC days an archive of ``period`` starting on ``start`` covers."""
    if period == "daily":
        return [start]
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return [start + timedelta(days=i) for i in range((following - start).days)]


def build(kind: str, period: str, start: date, refs: Mapping[str, Any]) -> ArchiveFile:
    """The archive of ``kind`` (``run`` or ``message``) for ``period`` from ``start``."""
    lines = [
        json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        for day in days_of(period, start)
        for record in day_records(kind, day, refs)
    ]
    body = "".join(line + "\n" for line in lines).encode()
    # mtime=0 and no file name: the same records always make the same bytes (and hash).
    return ArchiveFile(gzip.compress(body, compresslevel=6, mtime=0), len(lines))


def day_records(kind: str, day: date, refs: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """One UTC day's records, ordered as rp-archiver reads them (time, then id)."""
    rng = random.Random(f"{kind}:{day.isoformat()}")
    start = to_us(datetime(day.year, day.month, day.day, tzinfo=UTC))
    count = rng.randrange(0, 9) if kind == "message" else rng.randrange(0, 6)
    # Ids grow with time, below the live API's, as the oldest rows of a table have.
    first_id = (day - date(2024, 1, 1)).days * 10 + 1
    times = sorted(start + rng.randrange(DAY_US) for _ in range(count))
    make = message_record if kind == "message" else run_record
    for index, when in enumerate(times):
        yield make(rng, first_id + index, when, refs)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ref(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"uuid": item["uuid"], "name": item["name"]}


def run_record(
    rng: random.Random, run_id: int, modified: int, refs: Mapping[str, Any]
) -> dict[str, Any]:
    """A run in rp-archiver's keys: no ``start``, the contact without its URN."""
    flow = rng.choice(refs["flows"])
    contact = rng.choice(refs["contacts"])
    created = modified - rng.randrange(60_000_000, 6 * 3_600_000_000)
    exit_type = rng.choice(("completed", "completed", "interrupted", "expired", None))
    results = flow["results"][: rng.randrange(0, len(flow["results"]) + 1)]
    step = (modified - created) // (len(results) + 1)
    path = [{"node": flow["nodes"][0], "time": offset_iso(created)}]
    values: dict[str, Any] = {}
    for index, result in enumerate(results, start=1):
        at = offset_iso(created + index * step)
        node = result["node_uuids"][0]
        path.append({"node": node, "time": at})
        category = rng.choice(result["categories"])
        values[result["key"]] = {
            "name": result["name"],
            "value": category,
            "input": category,
            "time": at,
            "category": category,
            "node": node,
        }
    return {
        "id": run_id,
        "uuid": _uuid(rng),
        "flow": _ref(flow),
        "contact": _ref(contact),
        "responded": bool(values),
        "path": path[:MAX_PATH],
        "values": values,
        "created_on": offset_iso(created),
        "modified_on": offset_iso(modified),
        "exited_on": offset_iso(modified) if exit_type else None,
        "exit_type": exit_type,
    }


def message_record(
    rng: random.Random, msg_id: int, created: int, refs: Mapping[str, Any]
) -> dict[str, Any]:
    """A message in rp-archiver's keys: ``ticket_uuid``, no ``archived`` or ``media``."""
    contact = rng.choice(refs["contacts"])
    channel = rng.choice(refs["channels"])
    incoming = rng.random() < 0.5
    flow = rng.choice(refs["flows"]) if not incoming and rng.random() < 0.6 else None
    labels = rng.sample(refs["labels"], rng.choice((0, 0, 1, 2))) if incoming else []
    sent = None if incoming else created + rng.randrange(1_000_000, 30_000_000)
    attachments = (
        [
            {
                "content_type": "image/jpeg",
                "url": f"https://sandbox-media.example/archived/{msg_id}.jpg",
            }
        ]
        if rng.random() < 0.1
        else []
    )
    return {
        "uuid": _uuid(rng),
        "id": msg_id,
        "broadcast": None,
        "contact": _ref(contact),
        "urn": contact["urn"],
        "channel": _ref(channel),
        "flow": _ref(flow) if flow else None,
        "ticket_uuid": None,
        "direction": "in" if incoming else "out",
        "type": "text",
        "status": "handled"
        if incoming
        else rng.choice(("sent", "delivered", "delivered", "failed")),
        "visibility": "archived" if incoming and rng.random() < 0.2 else "visible",
        "text": rng.choice(INCOMING if incoming else OUTGOING),
        "attachments": attachments,
        "labels": [_ref(label) for label in labels],
        "created_on": offset_iso(created),
        "sent_on": offset_iso(sent) if sent else None,
        "modified_on": offset_iso(sent or created),
    }


INCOMING = ("Yes", "No", "STOP", "When is my appointment?", "Thank you", "Maize", "3", "Help")
OUTGOING = (
    "Welcome! Reply YES to join.",
    "Your appointment is tomorrow at 9am.",
    "Thanks, we got your answer.",
    "What did you plant this season?",
)


# --- where the files are served --------------------------------------------------------------

ROUTE = "/sandbox-archives/{name}"
_NAME = re.compile(r"^(run|message)_(daily|monthly)_(\d{4}-\d{2}-\d{2})\.jsonl\.gz$")
URL_LIFETIME = 24 * 3600  # RapidPro's download links are valid for up to a day
ARCHIVE_CUTOFF = date(2025, 6, 1)
"""Runs modified and messages created before this day are only in archives; the seeded live
data starts after it, as a server's does once its older records are archived and purged."""
# Like a file store's pre-signed links, the links need no token, only this process's key: a
# link handed out before a restart stops working, as an expired one does.
_SIGNING_KEY = secrets.token_bytes(16)


@dataclass
class FileStore:
    """The sandbox's stand-in for the file store archives live on: another loopback origin.

    ``lifetime`` is how long (seconds) a link it signs stays good. The knobs make it misbehave
    as a real store or network can, for tests: ``stale_links`` links handed out next are
    already expired (a listing read long ago), ``corrupt_downloads`` downloads next have one
    byte changed (so their MD5 no longer matches the listing). ``authorizations`` keeps the
    scheme (``Token``, ``Basic``…) of every request that carried an ``Authorization`` header,
    never the credential itself: a client that sends its API token to the store shows up.
    """

    origin: str
    lifetime: int = URL_LIFETIME
    stale_links: int = 0
    corrupt_downloads: int = 0
    downloads: int = 0
    authorizations: list[str] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def take_stale_link(self) -> bool:
        with self._lock:
            if self.stale_links > 0:
                self.stale_links -= 1
                return True
            return False

    def take_corruption(self) -> bool:
        with self._lock:
            self.downloads += 1
            if self.corrupt_downloads > 0:
                self.corrupt_downloads -= 1
                return True
            return False


# The API's listing names a link on the store that serves the same sandbox; the store is found
# by the API's port, which is unique in the process while the server runs.
_STORES: dict[int, FileStore] = {}


def attach_store(api_port: int, store: FileStore) -> None:
    """Make the API on ``api_port`` hand out links on ``store``."""
    _STORES[api_port] = store


def detach_store(api_port: int) -> None:
    _STORES.pop(api_port, None)


def store_for(api_origin: str) -> FileStore | None:
    port = urlsplit(api_origin).port
    return _STORES.get(port) if port is not None else None


def file_name(kind: str, period: str, start: str) -> str:
    return f"{kind}_{period}_{start}.jsonl.gz"


def parse_name(name: str) -> tuple[str, str, date] | None:
    """``(kind, period, start)`` of a file name this module made, or None."""
    match = _NAME.match(name)
    if match is None:
        return None
    try:
        return match[1], match[2], date.fromisoformat(match[3])
    except ValueError:
        return None


def signature(name: str, expires: int) -> str:
    return hmac.new(_SIGNING_KEY, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def download_url(origin: str, name: str, now: int) -> str:
    """A link to the file that needs no token and expires, as a pre-signed store URL does.

    ``origin`` is the API's; the link points at its file store (another port) when one is
    attached, else at ``origin`` itself.
    """
    store = store_for(origin)
    lifetime = store.lifetime if store is not None else URL_LIFETIME
    expires = now - 1 if store is not None and store.take_stale_link() else now + lifetime
    query = urlencode({"Expires": expires, "Signature": signature(name, expires)})
    host = store.origin if store is not None else origin
    return f"{host}{ROUTE.format(name=name)}?{query}"


def corrupted(data: bytes) -> bytes:
    """``data`` with one byte changed in the middle: same size, another MD5."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


def link_problem(name: str, expires: str | None, given: str | None, now: int) -> str | None:
    """Why a download link is refused (as a file store words it), or None when it is good."""
    if not expires or not expires.isdigit() or not given:
        return "Query-string authentication requires the Signature and Expires parameters"
    if not hmac.compare_digest(signature(name, int(expires)), given):
        return "The request signature we calculated does not match the signature you provided."
    if int(expires) < now:
        return "Request has expired"
    return None


@functools.lru_cache(maxsize=16)
def cached(kind: str, period: str, start: date, refs_json: str) -> ArchiveFile:
    """A built file, kept while it is likely to be fetched again (a client resuming)."""
    return build(kind, period, start, json.loads(refs_json))
