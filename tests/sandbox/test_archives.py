"""Archives: the listing shows each month once, and its links serve rp-archiver's files."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from typing import Any

import httpx

ARCHIVES = "/api/v2/archives.json"
OFFSET_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
RUN_KEYS = [
    "id",
    "uuid",
    "flow",
    "contact",
    "responded",
    "path",
    "values",
    "created_on",
    "modified_on",
    "exited_on",
    "exit_type",
]
MESSAGE_KEYS = [
    "uuid",
    "id",
    "broadcast",
    "contact",
    "urn",
    "channel",
    "flow",
    "ticket_uuid",
    "direction",
    "type",
    "status",
    "visibility",
    "text",
    "attachments",
    "labels",
    "created_on",
    "sent_on",
    "modified_on",
]


def listing(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    return api.get(ARCHIVES, params={"limit": 1000, **params}).json()["results"]


def records(archive: dict[str, Any]) -> list[dict[str, Any]]:
    """The archive's records, fetched as a client must: no token, the body inflated by hand."""
    response = httpx.get(archive["download_url"], timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet"
    assert "content-encoding" not in response.headers
    assert response.headers["content-disposition"].startswith("attachment")
    assert len(response.content) == archive["size"]
    assert hashlib.md5(response.content).hexdigest() == archive["hash"]
    return [json.loads(line) for line in gzip.decompress(response.content).splitlines()]


def test_no_month_is_listed_twice(api: httpx.Client) -> None:
    everything = listing(api)
    periods: dict[tuple[str, str], set[str]] = {}
    for archive in everything:
        periods.setdefault((archive["type"], archive["start_date"][:7]), set()).add(
            archive["period"]
        )
    assert {p for kinds in periods.values() for p in kinds} == {"daily", "monthly"}
    assert all(len(kinds) == 1 for kinds in periods.values()), periods


def test_run_archive_holds_rp_archiver_records(api: httpx.Client) -> None:
    monthly = next(a for a in listing(api, type="run", period="monthly") if a["record_count"])
    runs = records(monthly)
    assert len(runs) == monthly["record_count"]
    assert all(list(run) == RUN_KEYS for run in runs)
    assert all(OFFSET_TIME.match(run["modified_on"]) for run in runs)
    assert all(run["modified_on"].startswith(monthly["start_date"][:7]) for run in runs)
    assert [(r["modified_on"], r["id"]) for r in runs] == sorted(
        (r["modified_on"], r["id"]) for r in runs
    )
    assert all(set(run["contact"]) == {"uuid", "name"} for run in runs)  # no urn, unlike the API


def test_message_archive_leaves_out_what_the_api_adds(api: httpx.Client) -> None:
    daily = next(a for a in listing(api, type="message", period="daily") if a["record_count"])
    messages = records(daily)
    assert len(messages) == daily["record_count"]
    assert all(list(m) == MESSAGE_KEYS for m in messages)
    assert all(m["created_on"].startswith(daily["start_date"]) for m in messages)
    assert {m["visibility"] for m in messages} <= {"visible", "archived"}  # deleted ones left out
    assert all(OFFSET_TIME.match(m["created_on"]) for m in messages)


def test_empty_archives_have_no_file(api: httpx.Client) -> None:
    empty = [a for a in listing(api) if a["record_count"] == 0]
    assert empty and all(a["hash"] is None and a["download_url"] is None for a in empty)


def test_a_tampered_link_is_refused(api: httpx.Client) -> None:
    archive = next(a for a in listing(api, period="monthly") if a["record_count"])
    tampered = re.sub(
        r"Expires=(\d+)", lambda m: f"Expires={int(m[1]) + 1}", archive["download_url"]
    )
    assert httpx.get(tampered, timeout=10).status_code == 403
    assert httpx.get(archive["download_url"].split("?")[0], timeout=10).status_code == 403


def test_links_point_at_another_origin_and_expire(sandbox: Any, api: httpx.Client) -> None:
    archive = next(a for a in listing(api, period="monthly") if a["record_count"])
    link = httpx.URL(archive["download_url"])
    api_origin = httpx.URL(sandbox.base_url)
    assert link.host == "127.0.0.1" and link.port != api_origin.port  # a different origin
    # The API's port does not serve the files: only the store's does.
    on_api = link.copy_with(port=api_origin.port)
    assert api.get(str(on_api)).status_code == 404
    sandbox.file_store.stale_links = 1
    stale = next(a for a in listing(api, period="monthly") if a["record_count"])
    answer = httpx.get(stale["download_url"], timeout=10)
    assert answer.status_code == 403 and "expired" in answer.text


def test_runs_and_messages_before_the_cutoff_are_only_in_archives(
    api: httpx.Client, walk: Any
) -> None:
    from explorer.sandbox.archive_files import ARCHIVE_CUTOFF

    cutoff = ARCHIVE_CUTOFF.isoformat()
    assert not walk(api, "/api/v2/runs.json", {"before": cutoff})
    assert not walk(api, "/api/v2/messages.json", {"before": cutoff})
    archived = listing(api)
    assert archived and all(a["start_date"] < cutoff for a in archived)


def test_the_file_store_notices_a_token_sent_to_it(sandbox: Any, api: httpx.Client) -> None:
    archive = next(a for a in listing(api, period="monthly") if a["record_count"])
    before = len(sandbox.file_store.authorizations)
    httpx.get(archive["download_url"], headers={"Authorization": "Token leaked"}, timeout=10)
    assert sandbox.file_store.authorizations[before:] == ["Token"]  # the scheme, not the token
