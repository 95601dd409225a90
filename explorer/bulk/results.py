"""The results file: every input row with what became of it.

Beside the input (``people.csv`` → ``people.results.csv``): the input's columns, then
``request`` (the number of the request the row went in), ``status`` (the HTTP status),
``result`` (created, updated, done, failed, invalid, uncertain or unsent), ``uuid`` (the
object's, when the server returned one) and ``error`` (the checker's or the server's
message, per field). Written from the file, the plan and the journal, streamed and atomic.
A rerun updates the results file it came from: rows it did not send keep their line.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from explorer.bulk.journal import Job, Journal, atomic_lines, read_plan
from explorer.bulk.plan import RERUN_RESULTS, RESULT_COLUMNS, input_headers, is_results_file
from explorer.bulk.source import Source

log = logging.getLogger(__name__)

CREATED, UPDATED, DONE, FAILED = "created", "updated", "done", "failed"
INVALID, UNCERTAIN, UNSENT = "invalid", "uncertain", "unsent"
SUCCESSES = frozenset({CREATED, UPDATED, DONE})


@dataclass
class Tally:
    """How many rows ended each way, and the rows left uncertain by a crash."""

    counts: Counter[str]
    uncertain_rows: list[int]

    @property
    def all_succeeded(self) -> bool:
        return not any(self.counts[k] for k in (FAILED, INVALID, UNCERTAIN, UNSENT))

    def text(self) -> str:
        order = (CREATED, UPDATED, DONE, FAILED, INVALID, UNCERTAIN, UNSENT)
        parts = [f"{self.counts[k]:,} {k}" for k in order if self.counts[k]]
        return ", ".join(parts) or "no rows"


def write_results(job: Job, source: Source, path: Path) -> Tally:
    """Write the results file for ``job`` at ``path`` and count the rows' outcomes."""
    request_of: dict[int, tuple[int, int]] = {}  # file row → (request, index in it)
    errors: dict[int, str] = {}
    for line in read_plan(job):
        if "n" in line:
            for i, row in enumerate(line["rows"]):
                request_of[int(row)] = (int(line["n"]), i)
        else:
            errors[int(line["invalid"])] = str(line["error"])
    journal = Journal(job.journal_path)
    rerun = is_results_file(source)
    headers = input_headers(source)
    counts: Counter[str] = Counter()
    uncertain: list[int] = []
    with atomic_lines(path) as f:
        writer = csv.writer(f)
        writer.writerow([*headers, *RESULT_COLUMNS])
        for row in source.rows():
            cells = row.cells
            if rerun and cells.get("result") not in RERUN_RESULTS:
                values = [cells.get(c, "") for c in RESULT_COLUMNS]  # not sent this time
            elif row.number in errors:
                values = ["", "", INVALID, "", errors[row.number]]
            elif row.number in request_of:
                n, index = request_of[row.number]
                values = _sent(n, index, journal)
                if values[2] == UNCERTAIN:
                    uncertain.append(row.number)
            else:
                values = ["", "", UNSENT, "", "the file changed"]
            counts[values[2]] += 1
            writer.writerow([*(cells.get(h, "") for h in headers), *values])
    return Tally(counts, uncertain)


def _sent(n: int, index: int, journal: Journal) -> list[str]:
    answer = journal.answers.get(n)
    if answer is None:
        return [str(n), "", UNSENT, "", ""]
    if answer.uncertain:
        return [
            str(n),
            "",
            UNCERTAIN,
            "",
            "the run stopped while this request was being sent: check in the workspace "
            "whether it was done before sending it again",
        ]
    result = answer.results[index] if index < len(answer.results) else {}
    status = "" if answer.status is None else str(answer.status)
    return [str(n), status, result.get("result", FAILED), result.get("uuid", ""),
            result.get("error", "")]
