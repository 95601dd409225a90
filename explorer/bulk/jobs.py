"""Starting, resuming and describing a bulk job; reading what the workspace knows.

These are the steps the CLI and the bulk view share around the engine: make the job and
its plan (refusing to start over an unfinished one), reopen it for a resume (refusing a
file that changed), read the workspace's groups and field keys for the checker, and say in
words what a run will do before it starts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from explorer.bulk.check import Facts
from explorer.bulk.journal import Job, Journal, job_dir_for, load_job
from explorer.bulk.mapping import Mapping
from explorer.bulk.plan import PlanInput, PlanSummary, is_results_file, write_plan
from explorer.bulk.source import Source, fingerprint, open_source
from explorer.core.errors import ExplorerError
from explorer.core.retry import RetryPolicy, send_retrying

if TYPE_CHECKING:
    import httpx

    from explorer.core.connection import Connection

log = logging.getLogger(__name__)

FACT_PAGES = 40  # pages of groups or fields read at most (10,000 of each)


class JobError(ExplorerError):
    """A job that cannot be started or resumed; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_finished(job: Job) -> bool:
    """Every planned request has an answer (none left unsent or in flight)."""
    journal = Journal(job.journal_path)
    answered = [a for a in journal.answers.values() if not a.uncertain]
    return len(answered) + len(journal.uncertain) >= job.requests


def start_job(
    given: PlanInput,
    connection: Connection,
    progress: Callable[[int], None] | None = None,
) -> tuple[Job, PlanSummary]:
    """Check the file, write the plan and save the job; refuses over an unfinished run."""
    source = given.source
    existing = _existing(source.path, connection.name)
    if existing is not None and not is_finished(existing):
        raise JobError(
            f"{source.path.name} has a run on {connection.name} that has not finished "
            f"({job_dir_for(source.path, connection.name)}): "
            "continue it with --resume (Continue the unfinished run in the window), or delete "
            "that folder to start again."
        )
    digest = fingerprint(source.path)
    if existing is not None and existing.fingerprint == digest:
        raise JobError(
            f"{source.path.name} was already sent to {connection.name} on "
            f"{existing.created[:16].replace('T', ' ')}; its results are in the results file. "
            "To send the failed rows again, run the results file; to send everything again, "
            f"delete {existing.folder}."
        )
    if existing is not None:
        _set_aside(existing)
    job = Job(
        source.path,
        digest,
        given.mapping,
        connection.name,
        connection.base_url,
        source.sheet,
        given.default_country,
        rerun=is_results_file(source),
    )
    summary = write_plan(given, job.plan_path, progress)
    job.requests, job.ready, job.invalid = summary.requests, summary.ready, summary.invalid_count
    job.save()
    return job, summary


def _set_aside(job: Job) -> None:
    """Keep a finished job's folder under another name (a results file run again)."""
    stamp = job.created.replace(":", "").replace("-", "")[:15]
    target = job.folder.with_name(f"{job.folder.name}-{stamp}")
    try:
        job.folder.rename(target)
    except OSError as exc:
        raise JobError(
            f"The folder of the earlier run, {job.folder}, could not be moved aside "
            f"({exc.strerror or exc}): move or delete it, then start again."
        ) from None


def _existing(path: object, workspace: str) -> Job | None:
    from pathlib import Path

    from explorer.store.errors import StoreError

    try:
        return load_job(Path(str(path)), workspace)
    except StoreError as exc:
        raise JobError(exc.message) from None


def resume_job(input_path: object, connection: Connection) -> tuple[Job, Source]:
    """The saved job of ``input_path``, its file checked unchanged and on the same workspace."""
    from pathlib import Path

    path = Path(str(input_path))
    job = _existing(path, connection.name)
    if job is None:
        raise JobError(
            f"There is no run of {path.name} on {connection.name} to resume: start one "
            "without --resume."
        )
    if not path.exists() or fingerprint(path) != job.fingerprint:
        raise JobError(
            f"{path.name} has changed since this run started on "
            f"{job.created[:16].replace('T', ' ')}, so its rows may no longer match what was "
            f"sent. Put the original file back to continue, or delete {job.folder} to start "
            "a new run."
        )
    if job.base_url != connection.base_url:
        raise JobError(
            f"This run was started on {job.workspace} ({job.base_url}): resume it there."
        )
    return job, open_source(path, job.sheet)


async def read_facts(connection: Connection, http: httpx.AsyncClient) -> Facts:
    """The workspace's group names and UUIDs and its contact field keys (None if unreadable)."""
    groups = await _all(connection, http, "groups")
    fields = await _all(connection, http, "fields")
    group_names: frozenset[str] | None = None
    if groups is not None:
        group_names = frozenset(
            [str(g.get("name", "")).lower() for g in groups] + [str(g.get("uuid")) for g in groups]
        )
    keys = frozenset(str(f.get("key")) for f in fields) if fields is not None else None
    return Facts(group_names, keys)


async def _all(connection: Connection, http: httpx.AsyncClient, endpoint: str) -> list | None:
    from explorer.core.request import Draft, prepare

    url: str | None = None
    out: list = []
    first = prepare(Draft(endpoint))
    for _ in range(FACT_PAGES):

        def make(url: str | None = url) -> httpx.Request:
            return connection.request(first) if url is None else connection.follow(url)

        retried = await send_retrying(
            lambda: connection.send(http, make()), policy=RetryPolicy(max_waits=3)
        )
        outcome = retried.outcome
        if not outcome.ok or outcome.results is None:
            log.info("could not read %s for the checks: %s", endpoint, outcome.summary())
            return None
        out.extend(r for r in outcome.results if isinstance(r, dict))
        url = outcome.next_url
        if not url:
            return out
    return out


# --- in words ------------------------------------------------------------------------------------


def describe_run(mapping: Mapping, summary: PlanSummary, connection: Connection) -> str:
    """``create or update 4,812 contacts in Ministry of Health, in 4,812 requests, about
    1 h 56 min at 2,500/hour``: what a run will do, for its confirmation."""
    what = _what(mapping, summary.ready)
    requests = f"{summary.requests:,} request{'s' if summary.requests != 1 else ''}"
    limit = connection.rate_limit_per_hour
    seconds = summary.requests * 3600 / limit
    return (
        f"{what} in {connection.name}, in {requests}, {duration_text(seconds)} "
        f"at {limit:,}/hour"
    )


def _what(mapping: Mapping, rows: int) -> str:
    endpoint = mapping.endpoint
    n = f"{rows:,}"
    action = _constant(mapping, "action")
    if endpoint == "contacts":
        return f"create or update {n} contact{'s' if rows != 1 else ''}"
    if endpoint == "contact_actions":
        group = _constant(mapping, "group")
        verbs = {"add": "add {n} contacts to group {g}", "remove": "remove {n} contacts from "
                 "group {g}"}
        text = verbs.get(action or "", "{a} {n} contacts")
        verb = (action or "act on").replace("_", " ")
        return text.format(n=n, g=group or "(from the file)", a=verb)
    if endpoint in ("broadcasts", "flow_starts"):
        kind = "send a broadcast" if endpoint == "broadcasts" else "start a flow"
        return f"{kind} for {n} rows"
    return f"send {mapping.method} {endpoint} for {n} row{'s' if rows != 1 else ''}"


def _constant(mapping: Mapping, target: str) -> str | None:
    rule = mapping.rules.get(target)
    return rule.value if rule is not None and rule.kind != "column" else None


def duration_text(seconds: float) -> str:
    """``6960`` → ``about 1 h 56 min``; ``75`` → ``about 2 min``; ``20`` → ``under a minute``."""
    minutes = math.ceil(seconds / 60 - 1e-9)
    if seconds < 60:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"
    return f"about {minutes} min"
