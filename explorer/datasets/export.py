"""Export a dataset's table or view to CSV or JSON Lines, streamed and written atomically.

Rows are read from SQLite in batches and written through the app's streaming writers
(:mod:`explorer.core.export`) to a temporary file beside the target, which is fsynced and
renamed over it at the end: a stopped export never leaves half a file. In JSON Lines the
columns that hold JSON become nested values again; in CSV they stay JSON text.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from explorer.core.export import CSV, ExportError, format_for_path, replace_with, writer_for
from explorer.datasets.schema import TABLES, VIEWS

BATCH = 5000
JSON_COLUMNS: dict[str, frozenset[str]] = {
    "runs": frozenset({"path", "values"}),
    "messages": frozenset({"attachments", "labels", "quick_replies", "media"}),
    "contacts": frozenset({"urns", "groups", "notes", "fields"}),
    "flows": frozenset({"labels", "runs", "results", "parent_refs"}),
    "fields": frozenset({"usages"}),
}
EXPORTABLE = TABLES + VIEWS


def export(db_path: Path, name: str, out: Path, fmt: str | None = None) -> int:
    """Write table or view ``name`` of the dataset to ``out``; returns the rows written.

    ``fmt`` is ``"csv"`` or ``"jsonl"`` (default: from the file's suffix). Blocking: run it
    off the GUI thread. Raises :class:`~explorer.core.export.ExportError` with a sentence.
    """
    if name not in EXPORTABLE:
        raise ExportError(
            f"A dataset has no table or view called {name!r}: choose one of "
            f"{', '.join(EXPORTABLE)}.",
            out,
        )
    fmt = fmt or format_for_path(out)
    decode = JSON_COLUMNS.get(name, frozenset()) if fmt != CSV else frozenset()
    conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        cursor = conn.execute(f'SELECT * FROM "{name}"')
        columns = [d[0] for d in cursor.description]
        return _write(out, fmt, columns, cursor, decode)
    except sqlite3.Error as exc:
        raise ExportError(f"Could not read {name} from {db_path}: {exc}", out) from exc
    finally:
        conn.close()


def _write(
    out: Path, fmt: str, columns: list[str], cursor: sqlite3.Cursor, decode: frozenset[str]
) -> int:
    writer = writer_for(fmt, out, columns=columns, durable=False)  # one sync, at the end
    batches = (
        [_record(columns, row, decode) for row in batch]
        for batch in iter(lambda: cursor.fetchmany(BATCH), [])
    )
    replace_with(out, writer, batches)
    return writer.records_written


def _record(columns: list[str], row: tuple[Any, ...], decode: frozenset[str]) -> dict[str, Any]:
    record = dict(zip(columns, row, strict=True))
    for column in decode:
        text = record.get(column)
        if isinstance(text, str):
            with contextlib.suppress(ValueError):
                record[column] = json.loads(text)
    return record
