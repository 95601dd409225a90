"""Reading spreadsheets: CSV in the encodings and separators people save, and XLSX sheets."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from explorer.bulk.source import SourceError, open_source

ROWS = [["Name", "Phone", "District"], ["Amélie", "0788123123", "Gasabo"], ["Bob", "", "Kicukiro"]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_separator_is_found_whatever_it_is(files: Any, tmp_path: Path, delimiter: str) -> None:
    source = open_source(files.csv(tmp_path / "people.csv", ROWS, delimiter=delimiter))
    assert source.headers == ("Name", "Phone", "District")
    assert [r.cells for r in source.rows()] == [
        {"Name": "Amélie", "Phone": "0788123123", "District": "Gasabo"},
        {"Name": "Bob", "Phone": "", "District": "Kicukiro"},
    ]


@pytest.mark.parametrize(
    ("encoding", "shown"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"), ("utf-16", "UTF-16")],
)
def test_excel_encodings_read_the_same(
    files: Any, tmp_path: Path, encoding: str, shown: str
) -> None:
    source = open_source(files.csv(tmp_path / "p.csv", ROWS, delimiter=";", encoding=encoding))
    assert source.headers[0] == "Name"  # a BOM never sticks to the first header
    assert next(iter(source.rows())).cells["Name"] == "Amélie"
    assert shown in source.describe()


def test_a_file_that_changes_encoding_half_way_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    good = "".join(f"Row {i},tel:+25078812{i:04d}\n" for i in range(3000))
    path.write_bytes(b"Name,Phone\n" + good.encode() + "Amélie,x\n".encode("cp1252"))
    source = open_source(path)
    with pytest.raises(SourceError) as caught:
        list(source.rows())
    assert "not all UTF-8" in caught.value.message
    assert "line 3002 is in another encoding" in caught.value.message
    assert "CSV UTF-8" in caught.value.message


def test_a_workbook_saved_as_csv_or_an_old_xls_is_explained(tmp_path: Path) -> None:
    old = tmp_path / "people.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(SourceError, match=r"could not be read as a spreadsheet .* save it again"):
        open_source(old)
    binary = tmp_path / "people.csv"
    binary.write_bytes(b"Name\0Phone\0")
    with pytest.raises(SourceError, match="does not look like text"):
        open_source(binary)


def test_empty_files_and_duplicate_headers_are_refused(files: Any, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(SourceError, match="empty"):
        open_source(tmp_path / "empty.csv")
    with pytest.raises(SourceError, match="two columns called 'Name'"):
        open_source(files.csv(tmp_path / "dup.csv", [["Name", "Name"], ["a", "b"]]))


def test_xlsx_sheets_are_chosen_by_name_and_cells_read_as_typed(
    files: Any, tmp_path: Path
) -> None:
    path = files.xlsx(
        tmp_path / "clinic.xlsx",
        {
            "Summary": [["Total"], [3]],
            "Patients": [
                ["Name", "Phone", "Born", "Age"],
                ["Ann", 250788123123, dt.datetime(1990, 5, 1), 34],
                [None, None, None, None],
                ["Bob", "+250788000111", dt.date(2001, 1, 2), 22.5],
            ],
        },
    )
    first = open_source(path)
    assert (first.sheet, first.sheets) == ("Summary", ("Summary", "Patients"))
    source = open_source(path, "Patients")
    rows = list(source.rows())
    assert [r.number for r in rows] == [2, 4]  # the blank row is skipped, numbers stay
    assert rows[0].cells == {"Name": "Ann", "Phone": "250788123123", "Born": "1990-05-01",
                             "Age": "34"}
    assert rows[1].cells["Age"] == "22.5"
    with pytest.raises(SourceError) as caught:
        open_source(path, "Nurses")
    assert caught.value.message == (
        "clinic.xlsx has no sheet called 'Nurses' (its sheets: Summary, Patients)."
    )


def test_rows_are_read_again_from_the_disk_each_time(files: Any, tmp_path: Path) -> None:
    source = open_source(files.csv(tmp_path / "p.csv", ROWS))
    rows = source.rows()
    assert not isinstance(rows, list)  # a generator: the file is streamed
    assert len(list(rows)) == len(list(source.rows())) == 2


def test_a_bom_file_with_a_sniffable_header_only(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"urns\n")
    source = open_source(path)
    assert source.headers == ("urns",)
    assert list(source.rows()) == []
