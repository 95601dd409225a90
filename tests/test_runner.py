"""The collection runner against the sandbox over real HTTP, and ``rapidpro-explorer run``."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from explorer import cli
from explorer.core.catalog import HttpMethod
from explorer.core.connection import Connection
from explorer.core.request import Draft
from explorer.core.retry import RetryPolicy
from explorer.run import engine as runner
from explorer.store.collections import Collection, SavedRequest
from explorer.store.postman import write_postman
from explorer.store.secrets import TokenVault
from explorer.store.workspaces import Workspace, WorkspaceStore


def smoke(root: Path, group_name: str) -> Collection:
    """List contacts, then create a group, fetch it by name and delete it."""
    c = Collection.create(root, "Smoke")
    c.set_variables({"group_name": group_name})
    c.add(SavedRequest("List contacts", Draft("contacts")))
    groups = c.create_folder("Groups")
    c.add(
        SavedRequest(
            "Create group",
            Draft("groups", HttpMethod.POST, body={"name": "{{group_name}}"}),
            expect_status=(201,),
            capture={"group_uuid": "uuid"},
        ),
        groups,
    )
    c.add(
        SavedRequest(
            "Fetch it by name",
            Draft("groups", params={"name": "{{group_name}}"}),
            capture={"found_uuid": "results.0.uuid"},
        ),
        groups,
    )
    c.add(
        SavedRequest(
            "Delete it",
            Draft("groups", HttpMethod.DELETE, params={"uuid": "{{found_uuid}}"}),
            expect_status=(204,),
        ),
        groups,
    )
    return c


def unique() -> str:
    return f"Runner {uuid.uuid4().hex[:12]}"


def test_a_collection_passes_over_real_http(sandbox: Any, aio: Any, tmp_path: Path) -> None:
    coll = smoke(tmp_path / "smoke", unique())
    started: list[str] = []
    finished: list[tuple[str, bool]] = []
    report = aio(
        runner.run_steps(
            runner.steps_from_collection(coll),
            Connection("Sandbox", sandbox.base_url, sandbox.token, is_sandbox=True),
            variables=coll.scope(base_url=sandbox.base_url),
            name=coll.name,
            callbacks=runner.Callbacks(
                step_started=lambda step, n, total: started.append(f"{n}/{total} {step.label}"),
                step_finished=lambda r, n, total: finished.append((r.step.name, r.passed)),
            ),
        )
    )
    assert report.passed, [(r.step.name, r.message, r.details) for r in report.results]
    assert started[0] == "1/4 List contacts" and started[-1] == "4/4 Groups/Delete it"
    assert [r.status for r in report.results] == [200, 201, 200, 204]
    assert report.variables["group_uuid"] == report.variables["found_uuid"]
    assert all(passed for _, passed in finished)
    # The group really is gone.
    import httpx

    gone = httpx.get(
        f"{sandbox.base_url}/api/v2/groups.json",
        params={"name": coll.variables["group_name"]},
        headers={"Authorization": f"Token {sandbox.token}"},
    )
    assert gone.json()["results"] == []


def test_the_cli_runs_a_collection_and_writes_junit(sandbox: Any, tmp_path: Path) -> None:
    coll = smoke(tmp_path / "smoke", unique())
    report = tmp_path / "out" / "junit.xml"
    env = {**os.environ, "RAPIDPRO_TOKEN": sandbox.token, "PYTHONIOENCODING": "utf-8"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "explorer",
            "run",
            str(coll.root),
            "--base-url",
            sandbox.base_url,
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Running Smoke against {sandbox.base_url} (4 requests)"
    assert lines[1].startswith("PASS  1/4  List contacts  [GET contacts]  200 OK")
    assert lines[4].startswith("PASS  4/4  Groups/Delete it  [DELETE groups]  204 No Content")
    assert lines[5].startswith("4 passed, 0 failed in ")
    assert sandbox.token not in done.stdout + done.stderr + report.read_text()
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "0", "0")
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("Smoke", "List contacts"),
        ("Smoke.Groups", "Create group"),
        ("Smoke.Groups", "Fetch it by name"),
        ("Smoke.Groups", "Delete it"),
    ]
    assert all(c.find("failure") is None for c in cases)


def test_failures_exit_1_with_reasons(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    c = Collection.create(tmp_path / "failing", "Failing")
    c.add(SavedRequest("Expect 404", Draft("contacts"), expect_status=(404,)))
    c.add(SavedRequest("No name", Draft("groups", HttpMethod.POST, body={"name": ""})))
    c.add(SavedRequest("Unknown var", Draft("groups", params={"name": "{{nope}}"})))
    c.add(SavedRequest("Still runs", Draft("workspace")))
    (tmp_path / "failing" / "zz-broken.json").write_text("{oops")
    report = tmp_path / "junit.xml"
    monkeypatch.setenv("RAPIDPRO_TOKEN", sandbox.token)
    status = cli.main(["run", str(c.root), "--base-url", sandbox.base_url, "--report", str(report)])
    out, err = capsys.readouterr()
    assert status == 1
    assert "FAIL  1/4  Expect 404  [GET contacts]  200 OK" in out
    assert "expected 404, got 200 OK" in out
    assert "not sent: name: is required" in out
    assert "uses {{nope}}, which has no value" in out
    assert "PASS  4/4  Still runs" in out
    assert "could not read: zz-broken.json: it is not valid JSON" in err
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "1", "3")
    failure = suite.find("testcase[@name='Expect 404']/failure")
    assert failure is not None and failure.get("message") == "expected 404, got 200 OK"
    invalid = suite.find("testcase[@name='No name']/error")
    assert invalid is not None and invalid.get("type") == "invalid"


def test_a_rate_limit_in_the_middle_is_waited_out(
    fresh_sandbox: Any, aio: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    coll = smoke(tmp_path / "smoke", unique())
    fresh_sandbox.set_rate("2/second")  # the 3rd groups request in a second gets 429
    monkeypatch.setenv("RAPIDPRO_TOKEN", fresh_sandbox.token)
    status = cli.main(["run", str(coll.root), "--base-url", fresh_sandbox.base_url])
    out, _err = capsys.readouterr()
    assert status == 0, out
    assert "429 rate limited: retrying Groups/" in out
    assert "(waited out 1 x 429)" in out
    assert "4 passed, 0 failed" in out

    # A server that never lets up: the same request is retried a bounded number of times.
    fresh_sandbox.faults.throttle_storm = True
    fresh_sandbox.faults.storm_retry_after = 3
    waits: list[int] = []
    sleeps: list[float] = []
    now = [0.0]

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    report = aio(
        runner.run_steps(
            runner.steps_from_collection(coll)[:1],
            Connection("Sandbox", fresh_sandbox.base_url, fresh_sandbox.token),
            callbacks=runner.Callbacks(waiting=lambda step, left: waits.append(left)),
            retry=RetryPolicy(max_waits=2, clock=lambda: now[0], sleep=fake_sleep),
        )
    )
    (result,) = report.results
    assert not result.passed and result.status == 429 and result.waits == 2
    assert "still rate limited after 2 waits" in result.message
    assert waits == [3, 2, 1, 3, 2, 1]
    assert sleeps == [1.0] * 6


def test_a_workspace_token_and_environment_and_a_postman_file(
    sandbox: Any, aio: Any, tmp_path: Path, capsys: Any
) -> None:
    coll = smoke(tmp_path / "smoke", "never used")
    name = unique()
    coll.set_environment("Local", {"group_name": name})
    WorkspaceStore().add(Workspace("Local", sandbox.base_url))
    aio(TokenVault().set("Local", sandbox.token))
    assert cli.main(["run", str(coll.root), "--workspace", "Local"]) == 0
    out, _ = capsys.readouterr()
    assert "4 passed" in out
    # A folder of the collection runs on its own.
    assert cli.main(["run", str(coll.root / "Groups"), "--workspace", "Local"]) == 0
    assert "Running Smoke/Groups" in capsys.readouterr().out
    # The same requests exported to Postman run the same way (the variable comes along).
    postman = tmp_path / "smoke.postman_collection.json"
    coll.set_variables({"group_name": unique()})
    write_postman(coll, postman)
    assert cli.main(["run", str(postman), "--workspace", "Local", "--env", "Local"]) == 2
    assert "no environment 'Local'" in capsys.readouterr().err
    assert cli.main(["run", str(postman), "--workspace", "Local"]) == 0
    assert "4 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "env_token", "message"),
    [
        # How a workspace is named and found: tests/store/test_target.py, for every command.
        ([], True, "--workspace NAME"),
        (["--base-url", "http://example.org"], True, "plain http"),
        (["--base-url", "http://127.0.0.1:9", "--env", "Prod"], True, "no environment 'Prod'"),
    ],
)
def test_usage_errors_exit_2(
    *,
    args: list[str],
    env_token: bool,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    coll = smoke(tmp_path / "smoke", "x")
    if env_token:
        monkeypatch.setenv("RAPIDPRO_TOKEN", "t")
    assert cli.main(["run", str(coll.root), *args]) == 2
    assert message in capsys.readouterr().err


def test_paths_that_are_not_collections_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("RAPIDPRO_TOKEN", "t")
    (tmp_path / "plain.json").write_text('{"a": 1}')
    (tmp_path / "empty").mkdir()
    for path in (tmp_path / "missing", tmp_path / "plain.json", tmp_path / "empty"):
        assert cli.main(["run", str(path), "--base-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "neither a collection" in err
    Collection.create(tmp_path / "nothing")
    assert cli.main(["run", str(tmp_path / "nothing"), "--base-url", "http://127.0.0.1:9"]) == 2
    assert "no requests" in capsys.readouterr().err


def test_run_help_and_lazy_imports() -> None:
    code = (
        "import sys; from explorer import cli; cli.build_parser(); "
        "print('explorer.run' in sys.modules, 'httpx' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.split() == ["False", "False"]
    assert cli.main(["run", "--help"]) == 0


def test_a_step_takes_no_longer_than_the_connections_deadline(
    fresh_sandbox: Any, aio: Any
) -> None:
    fresh_sandbox.faults.latency_ms = 3000  # a server slower than the workspace allows
    step = runner.Step(SavedRequest("Slow", Draft("workspace")))
    slow = Connection("Slow", fresh_sandbox.base_url, fresh_sandbox.token, deadline=0.2)
    report = aio(runner.run_steps([step], slow))
    (result,) = report.results
    assert not result.passed and result.outcome == "timeout"
    assert "the longest this workspace lets one request take" in result.message
