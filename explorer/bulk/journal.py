"""A job's files beside its input: what it is, its plan, and the journal of what was sent.

For ``people.csv`` sent to the workspace "Ministry of Health" the job lives in
``people.bulk/Ministry-of-Health/`` (one job per workspace, so the same file can be run on
the sandbox first):

- ``job.json`` — the endpoint, method, mapping, sheet, workspace and the input's
  fingerprint (a changed file is refused on resume), written atomically;
- ``plan.jsonl`` — every request the check produced (its rows, query and body) and every
  invalid row with its messages, written once, atomically (temporary file, fsync, rename);
- ``journal.jsonl`` — one line when a request is about to go (``sending``) and one when
  its answer is known, each line written with a single ``write`` and ``fsync`` *before*
  the next request is sent. A line cut short by a crash has no newline and is ignored.

On resume, a request journalled as ``sending`` with no answer is the one that was in
flight: its rows are *uncertain* (the server may or may not have acted) and are never
sent again silently. No request is ever sent that the journal does not already name.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from explorer.bulk.chunk import Planned
from explorer.bulk.mapping import Mapping
from explorer.store.atomic import read_json, write_json
from explorer.store.errors import StoreError

log = logging.getLogger(__name__)

SCHEMA = 1
SENDING = "sending"
ANSWERED = "answered"
NOT_SENT = "not_sent"  # it was refused with a 429 and the run was cancelled while waiting


def job_dir_for(input_path: Path, workspace: str) -> Path:
    """``people.csv`` on "Ministry of Health" → ``people.bulk/Ministry-of-Health/`` beside it."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", workspace).strip("-.")[:60] or "workspace"
    return input_path.with_name(input_path.stem + ".bulk") / slug


def saved_jobs(input_path: Path) -> list[Job]:
    """Every readable job of ``input_path``, on any workspace, newest first."""
    jobs = []
    for folder in sorted(input_path.with_name(input_path.stem + ".bulk").glob("*/job.json")):
        try:
            data = read_json(folder, expected_schema=SCHEMA)
        except StoreError:
            continue
        if data is not None:
            jobs.append(_job(input_path, data))
    return sorted(jobs, key=lambda j: j.created, reverse=True)


def results_path_for(input_path: Path) -> Path:
    """``people.csv`` → ``people.results.csv``; a results file is updated in place."""
    if input_path.name.endswith(".results.csv"):
        return input_path
    return input_path.with_name(input_path.stem + ".results.csv")


@dataclass
class Job:
    """A bulk run as saved: what it sends where, from which file, mapped how."""

    input_path: Path
    fingerprint: str
    mapping: Mapping
    workspace: str
    base_url: str
    sheet: str | None = None
    default_country: str | None = None
    rerun: bool = False  # the input is a results file: only its failed and unsent rows go
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    requests: int = 0
    ready: int = 0
    invalid: int = 0

    @property
    def folder(self) -> Path:
        return job_dir_for(self.input_path, self.workspace)

    @property
    def plan_path(self) -> Path:
        return self.folder / "plan.jsonl"

    @property
    def journal_path(self) -> Path:
        return self.folder / "journal.jsonl"

    def save(self) -> None:
        write_json(self.folder / "job.json", self.to_json())

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA,
            "input": self.input_path.name,
            "fingerprint": self.fingerprint,
            "mapping": self.mapping.to_json(),
            "workspace": self.workspace,
            "base_url": self.base_url,
            "sheet": self.sheet,
            "default_country": self.default_country,
            "rerun": self.rerun,
            "created": self.created,
            "requests": self.requests,
            "ready": self.ready,
            "invalid": self.invalid,
        }


def load_job(input_path: Path, workspace: str) -> Job | None:
    """The job of ``input_path`` on ``workspace``, or None (StoreError when unreadable)."""
    data = read_json(job_dir_for(input_path, workspace) / "job.json", expected_schema=SCHEMA)
    return None if data is None else _job(input_path, data)


def _job(input_path: Path, data: dict[str, Any]) -> Job:
    return Job(
        input_path,
        str(data["fingerprint"]),
        Mapping.from_json(data["mapping"]),
        str(data["workspace"]),
        str(data["base_url"]),
        data.get("sheet"),
        data.get("default_country"),
        bool(data.get("rerun")),
        str(data.get("created", "")),
        int(data.get("requests", 0)),
        int(data.get("ready", 0)),
        int(data.get("invalid", 0)),
    )


@contextlib.contextmanager
def atomic_lines(path: Path) -> Iterator[IO[str]]:
    """Write a text file line by line, all or nothing (as :func:`write_atomic`, streamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def dump_line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The complete JSON lines of ``path``; a last line without its newline is skipped."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return
    with f:
        for raw in f:
            if not raw.endswith(b"\n"):
                log.warning("%s ends with a line cut short; it is ignored", path.name)
                return
            yield json.loads(raw)


def read_plan(job: Job) -> Iterator[dict[str, Any]]:
    """The plan's lines: ``{"n": …}`` requests and ``{"invalid": row, "error": …}`` rows."""
    if not job.plan_path.exists():
        raise StoreError(f"The plan of this run is missing from {job.folder}.", job.plan_path)
    yield from read_lines(job.plan_path)


def planned_requests(job: Job) -> Iterator[Planned]:
    for line in read_plan(job):
        if "n" in line:
            yield Planned.from_json(line)


@dataclass(frozen=True)
class Answer:
    """What the journal says about one request."""

    number: int
    state: str  # SENDING (no answer known) or ANSWERED
    status: int | None = None
    kind: str = ""
    results: list[dict[str, str]] = field(default_factory=list)  # per row: result, uuid, error

    @property
    def uncertain(self) -> bool:
        return self.state == SENDING


class Journal:
    """The append-only record of one job's sends; see the module docstring for the rules."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.answers: dict[int, Answer] = {}
        for line in read_lines(path):
            n = int(line["n"])
            if line["state"] == SENDING:
                self.answers.setdefault(n, Answer(n, SENDING))
            elif line["state"] == NOT_SENT:
                self.answers.pop(n, None)
            else:
                self.answers[n] = Answer(
                    n, ANSWERED, line.get("status"), line.get("kind", ""), line.get("results", [])
                )

    @property
    def uncertain(self) -> list[Answer]:
        return [a for a in self.answers.values() if a.uncertain]

    def sending(self, number: int) -> None:
        """Record that request ``number`` is about to go (durable before it does)."""
        self._append({"n": number, "state": SENDING})
        self.answers[number] = Answer(number, SENDING)

    def not_sent(self, number: int) -> None:
        """Record that request ``number`` was never accepted (a later run sends it)."""
        self._append({"n": number, "state": NOT_SENT})
        self.answers.pop(number, None)

    def answered(self, answer: Answer) -> None:
        """Record the answer of a request (durable before the next one is sent)."""
        self._append(
            {
                "n": answer.number,
                "state": ANSWERED,
                "status": answer.status,
                "kind": answer.kind,
                "results": answer.results,
            }
        )
        self.answers[answer.number] = answer

    def _append(self, value: dict[str, Any]) -> None:
        data = dump_line(value).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                # One write of a whole line: a crash leaves it whole or without its newline.
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StoreError(
                f"Could not write the journal of this run ({exc.strerror or exc}): nothing more "
                "is sent until it can be written.",
                self.path,
            ) from exc
