"""Fixtures for bulk runs: a sandbox of the test's own, its connection, file writers."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from explorer.core.connection import Connection


@pytest.fixture
def bulk_sandbox(fresh_sandbox: Any) -> Any:
    """A sandbox of the test's own, with a limit no bulk test reaches by accident."""
    fresh_sandbox.set_rate("1000000/hour")
    return fresh_sandbox


@pytest.fixture
def bulk_connection(bulk_sandbox: Any) -> Connection:
    """The sandbox as a workspace in Rwanda (local numbers are read as +250)."""
    return Connection(
        "Sandbox",
        bulk_sandbox.base_url,
        bulk_sandbox.token,
        is_sandbox=True,
        default_country="RW",
        rate_limit_per_hour=1_000_000,
    )


class Files:
    """Writes spreadsheets as people make them and reads results files back."""

    @staticmethod
    def csv(
        path: Path, rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8"
    ) -> Path:
        with path.open("w", newline="", encoding=encoding) as f:
            csv.writer(f, delimiter=delimiter).writerows(rows)
        return path

    @staticmethod
    def xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        for name, rows in sheets.items():
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
        book.save(path)
        return path

    @staticmethod
    def results(path: Path) -> list[dict[str, str]]:
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))


@pytest.fixture
def files() -> Files:
    return Files()


def all_contacts(server: Any) -> list[dict[str, Any]]:
    """Every contact in ``server``, page by page, over HTTP."""
    import httpx

    out: list[dict[str, Any]] = []
    headers = {"Authorization": f"Token {server.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:
        url: str | None = f"{server.base_url}/api/v2/contacts.json"
        while url:
            page = client.get(url).json()
            out += page["results"]
            url = page["next"]
    return out


@pytest.fixture
def contacts_of() -> Any:
    return all_contacts
