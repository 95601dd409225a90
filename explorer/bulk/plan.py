"""From a file and a mapping to the plan: every row checked, the requests they make, counted.

:func:`make_plan` walks the file once (streamed), checks each row with the form's parsers,
chunks the valid ones and writes the plan file atomically; a dry run walks it the same way
and keeps only the counts, the first bad rows and the first request. A results file as
input is a *rerun*: only its failed and unsent rows are planned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from explorer.bulk.check import Checked, Facts, check_row
from explorer.bulk.chunk import Chunker, Planned, chunk_field
from explorer.bulk.journal import atomic_lines, dump_line
from explorer.bulk.mapping import COLUMN, Mapping
from explorer.bulk.source import Row, Source

log = logging.getLogger(__name__)

RESULT_COLUMNS = ("request", "status", "result", "uuid", "error")
RERUN_RESULTS = frozenset({"failed", "unsent"})
SHOWN_INVALID = 200  # bad rows kept for the window's table and the terminal
PROGRESS_EVERY = 2000  # rows between progress reports while checking


def is_results_file(source: Source) -> bool:
    """Whether ``source`` is a results file this app wrote (its last columns are ours)."""
    return source.headers[-len(RESULT_COLUMNS) :] == RESULT_COLUMNS


def input_headers(source: Source) -> tuple[str, ...]:
    """The columns that came from the user's file (a results file's own columns left out)."""
    if is_results_file(source):
        return source.headers[: -len(RESULT_COLUMNS)]
    return source.headers


def selected_rows(source: Source) -> Iterator[Row]:
    """The rows to plan: all of them, or a results file's failed and unsent ones."""
    rerun = is_results_file(source)
    for row in source.rows():
        if not rerun or row.cells.get("result") in RERUN_RESULTS:
            yield row


@dataclass
class PlanSummary:
    """What checking found: counts, the first bad rows, the first request."""

    rows: int = 0
    ready: int = 0
    requests: int = 0
    invalid: list[Checked] = field(default_factory=list)  # the first SHOWN_INVALID
    invalid_count: int = 0
    first: Planned | None = None

    @property
    def chunked(self) -> bool:
        return self.requests < self.ready


@dataclass(frozen=True)
class PlanInput:
    """Everything a plan is made from."""

    source: Source
    mapping: Mapping
    default_country: str | None = None
    facts: Facts | None = None


def make_plan(
    given: PlanInput,
    out: IO[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PlanSummary:
    """Check every row and chunk the valid ones, writing each line to ``out`` when given."""
    mapping = given.mapping
    columns = {t for t, r in mapping.rules.items() if r.kind == COLUMN}
    chunker = Chunker(chunk_field(mapping.spec, columns))
    summary = PlanSummary()
    drafter = mapping.drafter()

    def emit(planned: Planned) -> None:
        summary.requests += 1
        if summary.first is None:
            summary.first = planned
        if out is not None:
            out.write(dump_line(planned.to_json()))

    for row in selected_rows(given.source):
        summary.rows += 1
        if progress is not None and summary.rows % PROGRESS_EVERY == 0:
            progress(summary.rows)
        checked = check_row(
            mapping, row, default_country=given.default_country, facts=given.facts,
            drafter=drafter,
        )
        if checked.prepared is None:
            summary.invalid_count += 1
            if len(summary.invalid) < SHOWN_INVALID:
                summary.invalid.append(checked)
            if out is not None:
                out.write(dump_line({"invalid": row.number, "error": checked.error_text()}))
            continue
        summary.ready += 1
        prepared = checked.prepared
        for planned in chunker.add(row.number, list(prepared.query), prepared.json_body):
            emit(planned)
    for planned in chunker.flush():
        emit(planned)
    return summary


def write_plan(
    given: PlanInput, path: Path, progress: Callable[[int], None] | None = None
) -> PlanSummary:
    """:func:`make_plan` into ``path``, all or nothing."""
    with atomic_lines(path) as out:
        return make_plan(given, out, progress)
