"""``rapidpro-explorer pull`` in a subprocess: exit status, progress, and surviving SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from explorer.datasets.rows import utc_text
from explorer.sandbox.faults import Faults

TOKEN = "dataset-token-0123456789abcdef"


def command(server: Any, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "explorer", "pull", *extra, "--base-url", server.base_url,
            "--db", str(db)]  # fmt: skip


def environment() -> dict[str, str]:
    return {**os.environ, "RAPIDPRO_TOKEN": TOKEN}


def count(db: Path, sql: str) -> int:
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # not created yet


def test_pull_all_exits_0_with_progress_on_stderr(server: Any, db_path: Path) -> None:
    done = subprocess.run(  # noqa: PLW1510 - the status is what is checked

        command(server, db_path, "all"), env=environment(), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "archive 1 of" in done.stderr and "page 1 of runs" in done.stderr
    assert done.stdout.startswith(f"Pulled into {db_path}")
    assert count(db_path, "SELECT count(*) FROM runs") > 0


def test_pull_without_a_token_is_a_usage_error(server: Any, db_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RAPIDPRO_TOKEN"}
    done = subprocess.run(  # noqa: PLW1510 - the status is what is checked
        command(server, db_path, "runs"), env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "RAPIDPRO_TOKEN" in done.stderr


def kill_when(cmd: list[str], ready: Callable[[], bool], timeout: float = 60) -> None:
    """Start the pull and SIGKILL it as soon as ``ready()`` holds."""
    proc = subprocess.Popen(cmd, env=environment(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        end = time.monotonic() + timeout
        while not ready():
            assert proc.poll() is None, "the pull ended before it could be killed"
            assert time.monotonic() < end, "the pull never got there"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)


@pytest.mark.slow
def test_a_pull_killed_twice_then_run_again_holds_each_object_once(
    server: Any, db_path: Path, live: Any, archived: Any
) -> None:
    server.faults = Faults(latency_ms=40)  # slow pages, so the kills land mid-pull
    cmd = command(server, db_path, "all")
    kill_when(cmd, lambda: count(db_path, "SELECT count(*) FROM archives_pulled") >= 3)
    kill_when(cmd, lambda: count(db_path, "SELECT count(*) FROM messages") > 20)
    server.faults = Faults()
    done = subprocess.run(  # noqa: PLW1510 - the status is what is checked
        cmd, env=environment(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(db_path)
    try:
        runs = dict(conn.execute("SELECT uuid, modified_on FROM runs"))
        messages = {u for (u,) in conn.execute("SELECT uuid FROM messages")}
    finally:
        conn.close()
    expected_runs = {r["uuid"]: utc_text(r["modified_on"]) for r in archived(server, "run")}
    expected_runs |= {r["uuid"]: utc_text(r["modified_on"]) for r in live(server, "runs")}
    assert runs == expected_runs
    expected_messages = {m["uuid"] for m in archived(server, "message")}
    expected_messages |= {m["uuid"] for m in live(server, "messages")}
    assert messages == expected_messages
