"""Snippets are code people paste: each one must run as it is and never hold the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from explorer.core import snippets
from explorer.core.catalog import HttpMethod
from explorer.core.request import Draft, Upload, prepare

GET, POST = HttpMethod.GET, HttpMethod.POST


def run(cmd: list[str], sandbox: Any, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAPIDPRO_TOKEN": sandbox.token}
    return subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=60, cwd=cwd, check=False
    )


def test_curl_snippet_runs_and_reads_the_token_from_the_environment(sandbox: Any) -> None:
    prepared = prepare(Draft("contacts", GET, {"urn": "tel:+250788000001", "deleted": False}))
    script = snippets.curl(sandbox.base_url, prepared)
    assert sandbox.token not in script and "$RAPIDPRO_TOKEN" in script
    result = run(["bash", "-c", script + " --silent --show-error"], sandbox)
    assert result.returncode == 0, result.stderr
    assert "results" in json.loads(result.stdout)


def test_curl_snippet_posts_json(sandbox: Any) -> None:
    name = f"Snippet group {uuid.uuid4().hex[:8]}"
    prepared = prepare(Draft("groups", POST, body={"name": name}))
    result = run(["bash", "-c", snippets.curl(sandbox.base_url, prepared) + " -s"], sandbox)
    assert json.loads(result.stdout)["name"] == name


def test_httpx_snippet_runs(sandbox: Any, tmp_path: Path) -> None:
    name = f"Snippet label {uuid.uuid4().hex[:8]}"
    prepared = prepare(Draft("labels", POST, body={"name": name}))
    code = snippets.httpx_snippet(sandbox.base_url, prepared)
    assert sandbox.token not in code
    result = run([sys.executable, "-c", code], sandbox)
    assert result.returncode == 0, result.stderr
    assert name in result.stdout


def test_temba_client_snippet_runs(sandbox: Any) -> None:
    prepared = prepare(Draft("flows", GET, {"archived": False}))
    code = snippets.temba_client(sandbox.base_url, prepared)
    assert "TembaClient(" in code and sandbox.token not in code
    result = run([sys.executable, "-c", code], sandbox)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("'uuid'") >= 1


def test_temba_client_snippet_creates_a_contact(sandbox: Any) -> None:
    name = f"Temba {uuid.uuid4().hex[:8]}"
    prepared = prepare(Draft("contacts", POST, body={"name": name, "language": "eng"}))
    code = snippets.temba_client(sandbox.base_url, prepared)
    assert "create_contact(" in code
    result = run([sys.executable, "-c", code], sandbox)
    assert result.returncode == 0, result.stderr
    assert name in result.stdout


def test_multipart_upload_snippets(tmp_path: Path) -> None:
    prepared = prepare(Draft("media", POST, body={"file": Upload("a.png", b"x", "image/png")}))
    assert "-F 'file=@a.png;type=image/png'" in snippets.curl("https://x.io", prepared)
    assert "files = {'file'" in snippets.httpx_snippet("https://x.io", prepared)


@pytest.mark.parametrize(
    ("draft", "why"),
    [
        (
            Draft("ticket_actions", POST, body={"tickets": [str(uuid.uuid4())], "action": "close"}),
            "no method",
        ),
        (Draft("tickets", GET), "no method"),
        (Draft("contacts", GET, {"expand_urns": True}), "cannot filter by expand_urns"),
    ],
)
def test_no_temba_snippet_where_the_client_has_no_method(draft: Draft, why: str) -> None:
    with pytest.raises(snippets.NoClientMethod, match=why):
        snippets.temba_client("https://x.io", prepare(draft))
