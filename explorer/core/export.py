"""Writing records to JSON Lines and CSV, a page at a time, resumable by byte offset.

A fetch of every page streams through a :class:`JsonlWriter` or :class:`CsvWriter`: each
page is encoded whole, appended, flushed and fsynced, and the writer reports the file's size
afterwards. Resuming opens the file at a recorded size and cuts off anything after it (a
page half-written when the app died), after checking that the bytes just before that point
are the ones it wrote. :func:`rows_to_csv` and :func:`to_jsonl` export one page at once.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from explorer.core.catalog import HttpMethod, catalog
from explorer.core.errors import ExplorerError

JSONL = "jsonl"
CSV = "csv"
FORMATS = (JSONL, CSV)
TAIL_BYTES = 64  # bytes kept to recognise a file on resume
SUMMARY_LIMIT = 80  # characters in a table cell


class ExportError(ExplorerError):
    """An output file cannot be written or resumed; ``message`` says why, for a person."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def compact_json(value: Any) -> str:
    """JSON without spaces, non-ASCII kept as is: what a nested value looks like in a cell."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def cell_text(value: Any) -> str:
    """A value as one CSV cell (or one copied cell): nested values as compact JSON.

    ``None`` is empty, booleans are ``true``/``false`` as in the JSON they came from.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return compact_json(value)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarize(value: Any, limit: int = SUMMARY_LIMIT) -> str:
    """A value as one short cell for a person to read.

    A reference (``{uuid, name}``) shows its name; a nameless one (a contact with no name)
    its display, text, email, key or uuid; an expanded URN ``scheme:path``. A list shows
    its items' values: references joined with commas (``Farmers, Over 30``), text such as
    URNs with semicolons (``tel:+250…; whatsapp:…``), as a comma may be part of a text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        first_line = value.split("\n", 1)[0]
        return truncate(first_line + (" …" if "\n" in value else ""), limit)
    if isinstance(value, int | float):
        return compact_json(value)
    if isinstance(value, dict):
        for key in ("name", "display", "text", "email", "key", "uuid"):
            if isinstance(value.get(key), str) and value[key]:
                return truncate(value[key], limit)
        if _is_urn(value):
            return truncate(f"{value['scheme']}:{value['path']}", limit)
        return truncate(compact_json(value), limit) if value else "{}"
    if isinstance(value, list):
        texts = any(isinstance(v, str) or (isinstance(v, dict) and _is_urn(v)) for v in value)
        # Only the first items are formatted: the cell shows no more than ``limit``.
        items = [summarize(v, limit) for v in value[:limit]]
        return truncate(("; " if texts else ", ").join(items), limit)
    return truncate(str(value), limit)


def _is_urn(value: dict[str, Any]) -> bool:
    return isinstance(value.get("path"), str) and isinstance(value.get("scheme"), str)


def result_field_names(endpoint: str | None) -> tuple[str, ...]:
    """The keys the catalog says a GET of ``endpoint`` returns, in its order (empty if unknown)."""
    if not endpoint or endpoint not in catalog():
        return ()
    ep = catalog()[endpoint]
    if not ep.supports(HttpMethod.GET):
        return ()
    return tuple(f.name for f in ep.method(HttpMethod.GET).result_fields)


def columns_for(endpoint: str | None, records: Iterable[Any]) -> list[str]:
    """Fixed CSV columns: the catalog's result fields, then any other key seen in ``records``.

    Fields the catalog marks as anonymous-workspace-only are left out unless a record has
    them: whether a workspace is anonymous does not change during a fetch.
    """
    seen: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict):
            for key in record:
                seen.setdefault(str(key), None)
    columns: list[str] = []
    if endpoint and endpoint in catalog() and catalog()[endpoint].supports(HttpMethod.GET):
        for f in catalog()[endpoint].method(HttpMethod.GET).result_fields:
            if f.anon_only and f.name not in seen:
                continue
            columns.append(f.name)
    known = set(columns)
    columns += [k for k in seen if k not in known]
    return columns


# --- streaming writers ------------------------------------------------------------------------


class RecordSink(Protocol):
    """Where a fetch of every page puts the records (see :class:`JsonlWriter`)."""

    path: Path
    format: str

    @property
    def columns(self) -> tuple[str, ...]: ...

    @property
    def tail(self) -> bytes: ...

    def open(self, resume_at: int = 0, tail: bytes = b"") -> None: ...

    def write(self, records: Sequence[Any]) -> int: ...

    def close(self) -> None: ...


class _StreamWriter:
    """Appends encoded pages to a file; every page is flushed and fsynced before returning."""

    format = ""

    def __init__(self, path: str | Path, *, durable: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable
        self._file: BinaryIO | None = None
        self._size = 0
        self._tail = b""
        self.records_written = 0

    @property
    def size(self) -> int:
        """Bytes in the file after the last page written."""
        return self._size

    @property
    def tail(self) -> bytes:
        """The last bytes written (up to 64): recorded in a resume state to check the file."""
        return self._tail

    @property
    def columns(self) -> tuple[str, ...]:
        return ()

    def open(self, resume_at: int = 0, tail: bytes = b"") -> None:
        """Start a new file (``resume_at=0``) or continue one cut back to ``resume_at`` bytes.

        Raises :class:`ExportError` when the file cannot be opened, or when resuming finds it
        shorter than ``resume_at`` or with other bytes than ``tail`` just before that point
        (it was changed or replaced since): nothing is cut off then.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if resume_at <= 0:
                self._file = open(self.path, "wb")  # noqa: SIM115 - kept open across pages
                self._size = 0
                self._tail = b""
                return
            handle = open(self.path, "r+b")  # noqa: SIM115
        except FileNotFoundError:
            raise ExportError(
                f"{self.path.name} is gone: it cannot be resumed. Start the fetch again.",
                self.path,
            ) from None
        except OSError as exc:
            why = exc.strerror or exc
            raise ExportError(f"Could not open {self.path}: {why}", self.path) from exc
        try:
            actual = os.fstat(handle.fileno()).st_size
            if actual < resume_at:
                raise ExportError(
                    f"{self.path.name} holds {actual:,} bytes, fewer than the {resume_at:,} "
                    "written before it stopped: it was changed since, so it cannot be "
                    "resumed. Start the fetch again.",
                    self.path,
                )
            if tail:
                handle.seek(resume_at - len(tail))
                if handle.read(len(tail)) != tail:
                    raise ExportError(
                        f"{self.path.name} is not the file this fetch was writing (its content "
                        "changed): it was left as it is. Start the fetch again.",
                        self.path,
                    )
            # Whatever follows the recorded size is a page that was being written when the
            # app stopped: cut it, so that page is fetched and written again exactly once.
            handle.truncate(resume_at)
            handle.seek(resume_at)
        except ExportError:
            handle.close()
            raise
        except OSError as exc:
            handle.close()
            why = exc.strerror or exc
            raise ExportError(f"Could not resume {self.path}: {why}", self.path) from exc
        self._file = handle
        self._size = resume_at
        self._tail = tail
        self._resumed()

    def _resumed(self) -> None:
        """Hook for subclasses: the file was reopened at a recorded size."""

    def write(self, records: Sequence[Any]) -> int:
        """Append one page of records; returns the file's size once it is on disk."""
        if self._file is None:
            raise RuntimeError("open() the writer first")
        payload = self._encode(records)
        if payload:
            try:
                self._file.write(payload)
                self._file.flush()
                if self.durable:
                    os.fsync(self._file.fileno())
            except OSError as exc:
                raise ExportError(
                    f"Could not write to {self.path}: {exc.strerror or exc}", self.path
                ) from exc
            self._size += len(payload)
            self._tail = (self._tail + payload)[-TAIL_BYTES:]
        self.records_written += len(records)
        return self._size

    def _encode(self, records: Sequence[Any]) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def __enter__(self) -> _StreamWriter:
        if self._file is None:
            self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JsonlWriter(_StreamWriter):
    """One JSON object per line, UTF-8, compact."""

    format = JSONL

    def _encode(self, records: Sequence[Any]) -> bytes:
        if not records:
            return b""
        return ("\n".join(compact_json(r) for r in records) + "\n").encode("utf-8")


class CsvWriter(_StreamWriter):
    """A CSV file with fixed columns (RFC 4180: quoted where needed, CRLF line ends).

    Columns are given, or chosen from the catalog and the first page written (see
    :func:`columns_for`). A key that first appears after the header was written has no
    column: it is listed in :attr:`dropped_keys` so the user can be told (JSON Lines keeps
    everything).
    """

    format = CSV

    def __init__(
        self,
        path: str | Path,
        columns: Sequence[str] = (),
        *,
        endpoint: str | None = None,
        durable: bool = True,
    ) -> None:
        super().__init__(path, durable=durable)
        self._columns: tuple[str, ...] = tuple(columns)
        self.endpoint = endpoint
        self.dropped_keys: set[str] = set()
        self._header_done = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def open(self, resume_at: int = 0, tail: bytes = b"") -> None:
        self._header_done = False
        super().open(resume_at, tail)

    def _resumed(self) -> None:
        if not self._columns:
            raise ExportError(
                f"The columns of {self.path.name} are not known: it cannot be resumed.",
                self.path,
            )
        self._header_done = True

    def _encode(self, records: Sequence[Any]) -> bytes:
        buffer = io.StringIO()
        out = csv.writer(buffer)
        if not self._header_done:
            if not self._columns:
                self._columns = tuple(columns_for(self.endpoint, records))
            if self._columns:
                out.writerow(self._columns)
                self._header_done = True
        wanted = set(self._columns)
        for record in records:
            if not isinstance(record, dict):
                record = {"value": record}  # noqa: PLW2901 - a listing of plain values
            extra = record.keys() - wanted
            if extra:
                self.dropped_keys.update(str(k) for k in extra)
            out.writerow([cell_text(record.get(c)) for c in self._columns])
        return buffer.getvalue().encode("utf-8")


def writer_for(
    fmt: str,
    path: str | Path,
    *,
    columns: Sequence[str] = (),
    endpoint: str | None = None,
    durable: bool = True,
) -> JsonlWriter | CsvWriter:
    """A streaming writer for ``fmt`` (``"jsonl"`` or ``"csv"``)."""
    if fmt == JSONL:
        return JsonlWriter(path, durable=durable)
    if fmt == CSV:
        return CsvWriter(path, columns, endpoint=endpoint, durable=durable)
    raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")


def format_for_path(path: str | Path, default: str = JSONL) -> str:
    """``x.csv`` → csv, ``x.jsonl``/``x.ndjson``/``x.json`` → jsonl, else ``default``."""
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv"):
        return CSV
    if suffix in (".jsonl", ".ndjson", ".json"):
        return JSONL
    return default


# --- one page at once (the results table) ---------------------------------------------------


def rows_to_csv(
    records: Sequence[Any],
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    endpoint: str | None = None,
) -> int:
    """Write ``records`` to a new CSV file at ``path`` (replaced whole); returns its size."""
    cols = list(columns) if columns is not None else columns_for(endpoint, records)
    writer = CsvWriter(Path(path), cols, endpoint=endpoint)
    return replace_with(Path(path), writer, [records])


def to_jsonl(records: Sequence[Any], path: str | Path) -> int:
    """Write ``records`` to a new JSON Lines file at ``path`` (replaced whole); returns its size."""
    return replace_with(Path(path), JsonlWriter(Path(path)), [records])


def replace_with(path: Path, writer: _StreamWriter, batches: Iterable[Sequence[Any]]) -> int:
    """Write ``batches`` of records to a temporary file beside ``path``, fsync it and rename
    it over ``path``: all or nothing. Returns the file's size.

    A writer made with ``durable=False`` is synced once at the end rather than per batch.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}", path) from exc
    tmp = Path(tmp_name)
    writer.path = tmp
    size = 0
    try:
        writer.open()
        for records in batches:
            size = writer.write(records)
        writer.close()
        if not writer.durable:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        writer.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise ExportError(f"Could not write {path}: {exc.strerror or exc}", path) from exc
        raise
    writer.path = path
    return size
