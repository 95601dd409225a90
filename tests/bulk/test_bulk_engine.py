"""Bulk runs against the sandbox over HTTP: 1,000 contacts, a group in chunks, an XLSX update."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from explorer.bulk.engine import CANCELLED, FINISHED, BulkEngine, Hooks, Progress
from explorer.bulk.jobs import JobError, read_facts, resume_job, start_job
from explorer.bulk.journal import results_path_for
from explorer.bulk.mapping import apply_overrides, auto_mapping
from explorer.bulk.plan import PlanInput
from explorer.bulk.results import write_results
from explorer.bulk.source import open_source
from explorer.core.catalog import HttpMethod
from explorer.core.client import make_http_client
from explorer.core.connection import Connection

POST = HttpMethod.POST
LONG_NAME = "N" * 70  # the catalog allows 64


def people(tag: str, count: int = 1000) -> list[list[str]]:
    """``count`` people with local phone numbers; rows 100, 150, … are bad in four ways."""
    rows = [["Name", "URNs", "Language", "Groups"]]
    bad = {100 + 40 * i: i % 4 for i in range(20)}
    for i in range(count):
        row = [f"{tag} {i}", f"0729{i:06d}", "eng", "Farmers"]
        kind = bad.get(i)
        if kind == 0:
            row[1] = "tel:12"
        elif kind == 1:
            row[2] = "xyz"
        elif kind == 2:
            row[3] = "No Such Group"
        elif kind == 3:
            row[0] = LONG_NAME
        rows.append(row)
    return rows


async def _run(
    path: Path, endpoint: str, conn: Connection, sets: list[tuple[str, str]] = (), **kw: Any
) -> tuple[Any, Any, Any]:
    async with make_http_client() as http:
        source = open_source(path, kw.get("sheet"))
        facts = await read_facts(conn, http)
        mapping = auto_mapping(endpoint, POST, source.headers, facts.field_key_list)
        apply_overrides(mapping, source.headers, list(kw.get("maps", [])), list(sets))
        job, summary = start_job(PlanInput(source, mapping, conn.default_country, facts), conn)
        end = await BulkEngine(job, conn, http, hooks=kw.get("hooks")).run()
        tally = write_results(job, source, results_path_for(path))
    return summary, end, tally


def test_a_thousand_contacts_then_a_group_in_chunks_then_an_xlsx_update(
    bulk_sandbox: Any, bulk_connection: Connection, aio: Any, files: Any, tmp_path: Path,
    contacts_of: Any,
) -> None:
    tag = uuid.uuid4().hex[:6]
    csv_path = files.csv(tmp_path / "people.csv", people(tag), delimiter=";")

    summary, end, tally = aio(_run(csv_path, "contacts", bulk_connection))
    assert (summary.rows, summary.ready, summary.invalid_count) == (1000, 980, 20), [
        c.error_text() for c in summary.invalid[:3]
    ]
    messages = {c.row.number: c.error_text() for c in summary.invalid}
    assert messages[102].startswith("URNs (urns[0]): tel:12 ")
    assert "xyz" in messages[142]
    assert "there is no group called 'No Such Group' in this workspace" in messages[182]
    assert "70 characters" in messages[222]
    assert end.state == FINISHED
    assert tally.counts == Counter({"created": 980, "invalid": 20})

    results = files.results(tmp_path / "people.results.csv")
    assert len(results) == 1000
    assert list(results[0])[-5:] == ["request", "status", "result", "uuid", "error"]
    assert {r["result"] for r in results[100:900:40]} == {"invalid"}
    assert all(r["uuid"] and r["status"] == "201" for r in results if r["result"] == "created")
    mine = [c for c in contacts_of(bulk_sandbox) if c["name"] and c["name"].startswith(tag)]
    urns = Counter(u for c in mine for u in c["urns"])
    assert len(mine) == 980 and set(urns.values()) == {1}
    assert all(u.startswith("tel:+2507") for u in urns)  # local numbers read in Rwanda

    # All of them into a new group through contact_actions: 980 rows, 10 requests.
    group = f"Bulk {tag}"
    with httpx.Client(headers={"Authorization": f"Token {bulk_sandbox.token}"}) as api:
        api.post(f"{bulk_sandbox.base_url}/api/v2/groups.json", json={"name": group})
    created = [r for r in results if r["result"] == "created"]
    add_path = files.csv(tmp_path / "add.csv", [["contact"]] + [[r["uuid"]] for r in created])
    summary, end, tally = aio(
        _run(add_path, "contact_actions", bulk_connection,
             [("action", "add"), ("group", group)], maps=[("contact", "contacts")])
    )
    assert (summary.ready, summary.requests) == (980, 10)
    assert tally.counts == Counter({"done": 980})
    added = files.results(tmp_path / "add.results.csv")
    assert Counter(r["request"] for r in added) == {str(n): 100 for n in range(1, 10)} | {"10": 80}
    members = [c for c in contacts_of(bulk_sandbox) if group in {g["name"] for g in c["groups"]}]
    assert len(members) == 980

    # A field updated from an XLSX sheet: a column named after the workspace's field key.
    xlsx = files.xlsx(
        tmp_path / "districts.xlsx",
        {"Notes": [["x"]], "Districts": [["uuid", "district"]]
         + [[r["uuid"], f"D{i % 3}"] for i, r in enumerate(created)]},
    )
    summary, end, tally = aio(_run(xlsx, "contacts", bulk_connection, sheet="Districts"))
    assert tally.counts == Counter({"updated": 980})
    by_uuid = {c["uuid"]: c for c in contacts_of(bulk_sandbox)}
    assert [by_uuid[r["uuid"]]["fields"]["district"] for r in created[:4]] == [
        "D0", "D1", "D2", "D0"
    ]


def test_failed_rows_are_sent_again_from_the_results_file(
    bulk_sandbox: Any, bulk_connection: Connection, aio: Any, files: Any, tmp_path: Path,
    contacts_of: Any,
) -> None:
    tag = uuid.uuid4().hex[:6]
    rows = [["name", "urns"]] + [[f"{tag} {i}", f"tel:+25072{i:07d}"] for i in range(5)]
    rows.insert(3, [LONG_NAME, "tel:+250721111111"])
    path = files.csv(tmp_path / "late.csv", rows)
    bulk_sandbox.faults.error_rate = 1.0  # the server fails every request
    try:
        _, end, tally = aio(_run(path, "contacts", bulk_connection))
    finally:
        bulk_sandbox.faults.error_rate = 0.0
    assert end.state == FINISHED and tally.counts == Counter({"failed": 5, "invalid": 1})
    results_file = tmp_path / "late.results.csv"
    assert "The server failed" in files.results(results_file)[0]["error"]

    _, end, tally = aio(_run(results_file, "contacts", bulk_connection))
    assert tally.counts == Counter({"created": 5, "invalid": 1})
    final = files.results(results_file)  # updated in place, every row still there
    assert [r["name"] for r in final] == [r[0] for r in rows[1:]]
    assert [r["result"] for r in final] == ["created"] * 2 + ["invalid"] + ["created"] * 3
    names = Counter(c["name"] for c in contacts_of(bulk_sandbox) if c["name"].startswith(tag))
    assert set(names.values()) == {1} and len(names) == 5


def test_pause_resume_and_cancel_leave_the_rest_unsent_and_resumable(
    bulk_sandbox: Any, bulk_connection: Connection, aio: Any, files: Any, tmp_path: Path,
    contacts_of: Any,
) -> None:
    tag = uuid.uuid4().hex[:6]
    rows = [["name", "urns"]] + [[f"{tag} {i}", f"tel:+25073{i:07d}"] for i in range(40)]
    path = files.csv(tmp_path / "some.csv", rows)
    seen: list[Progress] = []

    async def run() -> tuple[Any, Any]:
        async with make_http_client() as http:
            source = open_source(path)
            mapping = auto_mapping("contacts", POST, source.headers)
            job, _ = start_job(PlanInput(source, mapping, "RW"), bulk_connection)
            engine = BulkEngine(job, bulk_connection, http)

            def progress(p: Progress) -> None:
                seen.append(Progress(**vars(p)))
                if p.done == 5 and not p.paused and not any(s.paused for s in seen):
                    engine.pause()
                    asyncio.get_running_loop().call_later(0.2, engine.resume)
                if p.done == 12:
                    engine.cancel()

            engine.hooks = Hooks(progress=progress)
            first = await engine.run()
            with pytest.raises(JobError, match="that has not finished"):
                start_job(PlanInput(source, mapping, "RW"), bulk_connection)
            write_results(job, source, results_path_for(path))
            middle = files.results(results_path_for(path))
            again, source = resume_job(path, bulk_connection)
            second = await BulkEngine(again, bulk_connection, http).run()
            write_results(again, source, results_path_for(path))
            return (first, middle), second

    (first, middle), second = aio(run())
    assert first.state == CANCELLED and first.progress.done == 12
    assert any(p.paused for p in seen) and seen[-1].paused is False
    assert Counter(r["result"] for r in middle) == {"created": 12, "unsent": 28}
    assert second.state == FINISHED and second.progress.done == 40
    final = files.results(results_path_for(path))
    assert Counter(r["result"] for r in final) == {"created": 40}
    names = Counter(c["name"] for c in contacts_of(bulk_sandbox) if c["name"].startswith(tag))
    assert len(names) == 40 and set(names.values()) == {1}


def test_a_429_is_waited_out_with_a_countdown(
    bulk_sandbox: Any, bulk_connection: Connection, aio: Any, files: Any, tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:6]
    path = files.csv(tmp_path / "few.csv", [["name", "urns"], [tag, "tel:+250739999001"]])
    waits: list[tuple[int, str]] = []

    def progress(p: Progress) -> None:
        if p.waiting:
            waits.append((p.waiting, p.reason))
            bulk_sandbox.faults.throttle_storm = False

    bulk_sandbox.faults.throttle_storm = True
    bulk_sandbox.faults.storm_retry_after = 1
    try:
        _, end, tally = aio(_run(path, "contacts", bulk_connection, hooks=Hooks(progress)))
    finally:
        bulk_sandbox.faults.throttle_storm = False
    assert end.state == FINISHED and tally.counts == Counter({"created": 1})
    assert waits and waits[0][0] == 1 and waits[0][1]


def test_requests_keep_to_the_workspace_budget(
    bulk_connection: Connection, aio: Any, files: Any, tmp_path: Path
) -> None:
    from explorer.core.ratelimit import BudgetMeter

    tag = uuid.uuid4().hex[:6]
    rows = [["name", "urns"]] + [[f"{tag} {i}", f"tel:+25073888{i:04d}"] for i in range(4)]
    path = files.csv(tmp_path / "paced.csv", rows)
    meter = BudgetMeter(2, window=1.0)  # two requests a second, as the meter counts them
    reasons: list[str] = []

    async def run() -> Any:
        async with make_http_client() as http:
            source = open_source(path)
            job, _ = start_job(
                PlanInput(source, auto_mapping("contacts", POST, source.headers)), bulk_connection
            )
            hooks = Hooks(progress=lambda p: reasons.append(p.reason) if p.waiting else None)
            return await BulkEngine(job, bulk_connection, http, meter=meter, hooks=hooks).run()

    end = aio(run())
    assert end.state == FINISHED and end.progress.rows_ok == 4
    assert reasons and set(reasons) == {"Waiting for room in the workspace's hourly budget."}


def test_the_same_file_runs_on_the_sandbox_first_then_for_real(
    bulk_connection: Connection, aio: Any, files: Any, tmp_path: Path
) -> None:
    # By URN (the lookup): created on the first server, updated on the second (the same
    # sandbox here).
    path = files.csv(tmp_path / "p.csv", [["name", "urn"], ["A", "tel:+250788111333"]])
    _, _, tally = aio(_run(path, "contacts", bulk_connection))
    assert tally.counts == Counter({"created": 1})
    with pytest.raises(JobError, match=r"p\.csv was already sent to Sandbox on"):
        aio(_run(path, "contacts", bulk_connection))
    real = Connection("Ministry of Health", bulk_connection.base_url, bulk_connection.token)
    _, _, tally = aio(_run(path, "contacts", real))
    assert tally.counts == Counter({"updated": 1})
    assert sorted(p.name for p in (tmp_path / "p.bulk").iterdir()) == [
        "Ministry-of-Health", "Sandbox"
    ]


def test_a_workspace_that_stops_answering_stops_the_run(
    aio: Any, files: Any, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = Connection("Gone", f"http://127.0.0.1:{port}", "token", rate_limit_per_hour=10_000)
    rows = [["name", "urns"]] + [[f"N{i}", f"tel:+25078855{i:04d}"] for i in range(6)]
    path = files.csv(tmp_path / "gone.csv", rows)
    _, end, tally = aio(_run(path, "contacts", gone))
    assert end.state == "stopped" and "Nothing is listening" in end.message
    assert tally.counts == Counter({"failed": 3, "unsent": 3})
    assert "Nothing is listening" in files.results(tmp_path / "gone.results.csv")[0]["error"]


def test_a_changed_file_is_refused_on_resume(
    bulk_connection: Connection, files: Any, tmp_path: Path
) -> None:
    path = files.csv(tmp_path / "p.csv", [["name", "urns"], ["A", "tel:+250788111222"]])
    source = open_source(path)
    start_job(PlanInput(source, auto_mapping("contacts", POST, source.headers)), bulk_connection)
    files.csv(path, [["name", "urns"], ["B", "tel:+250788111222"]])
    with pytest.raises(JobError) as caught:
        resume_job(path, bulk_connection)
    assert "p.csv has changed since this run started" in caught.value.message
    assert "Put the original file back" in caught.value.message
