"""``rapidpro-explorer bulk`` in a subprocess: exit statuses, a dry run, and a SIGKILL mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest


def _env(server: Any) -> dict[str, str]:
    env = {**os.environ, "RAPIDPRO_TOKEN": server.token, "PYTHONIOENCODING": "utf-8"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


def bulk(server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explorer", "bulk", *args, "--base-url", server.base_url],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(server),
        timeout=120,
        check=False,
    )


def test_exit_statuses_and_a_dry_run(bulk_sandbox: Any, files: Any, tmp_path: Path) -> None:
    good = files.csv(tmp_path / "good.csv", [["Name", "URNs"], ["Ada", "tel:+250788555001"]])
    done = bulk(bulk_sandbox, "contacts", "POST", str(good), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Dry run: would create or update 1 contact in http://127.0.0.1")
    assert '"name": "Ada"' in done.stdout and "Token $RAPIDPRO_TOKEN" in done.stdout
    assert bulk_sandbox.token not in done.stdout + done.stderr
    assert not (tmp_path / "good.bulk").exists()  # a dry run leaves nothing behind

    done = bulk(bulk_sandbox, "contacts", "POST", str(good))
    assert done.returncode == 0, done.stderr
    assert "(1 created)" in done.stdout
    assert "  urns                 from column URNs" in done.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 4  # the job, its plan and journal, the results file
    assert not any(bulk_sandbox.token.encode() in p.read_bytes() for p in written)
    again = bulk(bulk_sandbox, "contacts", "POST", str(good))
    assert again.returncode == 2 and "good.csv was already sent" in again.stderr

    bad = files.csv(tmp_path / "bad.csv", [["name", "urns"], ["Bo", "tel:+250788555002"],
                                           ["Cy", "tel:1"]])
    done = bulk(bulk_sandbox, "contacts", "POST", str(bad))
    assert done.returncode == 1 and "(1 created, 1 invalid)" in done.stdout

    usage = [
        (["contacts", "GET", str(good)], "use POST, not GET"),
        (["contacs", "POST", str(good)], "did you mean contacts"),
        (["contacts", "POST", str(tmp_path / "none.csv")], "There is no file at"),
        (["contacts", "POST", str(good), "--map", "Phone=urns"], "no column 'Phone'"),
        (["contacts", "POST", str(good), "--resume", "--set", "name=x"], "leave out --map"),
    ]
    for args, message in usage:
        done = bulk(bulk_sandbox, *args)
        assert (done.returncode, message in done.stderr) == (2, True), (args, done.stderr)


def _journal(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().split(b"\n")[:-1]]


@pytest.mark.slow
def test_a_run_killed_mid_request_resumes_without_sending_anything_twice(
    bulk_sandbox: Any, files: Any, tmp_path: Path, contacts_of: Any
) -> None:
    tag = f"Kill{os.getpid()}"
    # The 1,000 contacts with 20 bad rows, killed a third of the way through.
    rows = [["name", "urns"]] + [[f"{tag} {i}", f"+250730{i:06d}"] for i in range(1000)]
    for i in range(0, 1000, 50):
        rows[i + 1][1] = "tel:12"
    path = files.csv(tmp_path / "kill.csv", rows)
    folder = "http-" + bulk_sandbox.base_url.removeprefix("http://").replace(":", "-")
    journal = tmp_path / "kill.bulk" / folder / "journal.jsonl"
    bulk_sandbox.faults.latency_ms = 5  # so the kill most likely lands while one is in flight
    command = [sys.executable, "-m", "explorer", "bulk", "contacts", "POST", str(path),
               "--base-url", bulk_sandbox.base_url, "--set", "language=eng"]
    env = _env(bulk_sandbox)
    try:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(_journal(journal)) < 600 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    finally:
        bulk_sandbox.faults.latency_ms = 0
    lines = _journal(journal)
    assert 0 < len(lines) < 2 * 980, err
    in_flight = [line["n"] for line in lines if line["state"] == "sending"][-1]
    answered = {line["n"] for line in lines if line["state"] == "answered"}
    left_in_flight = in_flight not in answered

    refused = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert refused.returncode == 2 and "that has not finished" in refused.stderr

    done = subprocess.run(
        [*command[:-2], "--resume"], env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # twenty rows were invalid
    results = files.results(tmp_path / "kill.results.csv")
    assert [r["name"] for r in results] == [r[0] for r in rows[1:]]
    outcome = Counter(r["result"] for r in results)
    uncertain = [r for r in results if r["result"] == "uncertain"]
    assert outcome["invalid"] == 20
    assert outcome["created"] + len(uncertain) == 980
    assert len(uncertain) == (1 if left_in_flight else 0)  # one row per contacts request
    if uncertain:
        assert uncertain[0]["request"] == str(in_flight)
        assert "check in the workspace" in uncertain[0]["error"]
        assert "Uncertain" in done.stderr
    names = Counter(c["name"] for c in contacts_of(bulk_sandbox) if c["name"].startswith(tag))
    sent = {r["name"] for r in results if r["result"] == "created"}
    assert all(names[n] == 1 for n in sent)  # every valid contact exists exactly once
    assert all(names[r["name"]] <= 1 for r in uncertain)
    assert set(names) <= sent | {r["name"] for r in uncertain}
