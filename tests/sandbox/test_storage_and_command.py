"""The database file (persistence, reset, refusing files it must not touch) and the command."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from explorer.sandbox import command
from explorer.sandbox.db import SandboxDatabaseError
from explorer.sandbox.server import SandboxServer
from explorer.store.paths import sandbox_db_path as default_db_path

TOKEN = "storage-token"
AUTH = {"Authorization": f"Token {TOKEN}"}


def labels(server: SandboxServer) -> set[str]:
    response = httpx.get(
        server.base_url + "/api/v2/labels.json", headers={"Authorization": f"Token {server.token}"}
    )
    return {label["name"] for label in response.json()["results"]}


def test_what_a_user_creates_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    with SandboxServer(contacts=30, db_path=db) as first:
        token = first.token
        created = httpx.post(
            first.base_url + "/api/v2/labels.json",
            json={"name": "Keep Me"},
            headers={"Authorization": f"Token {token}"},
        )
        assert created.status_code == 201
    with SandboxServer(contacts=30, db_path=db) as second:
        assert second.token == token  # a file database remembers its token
        assert "Keep Me" in labels(second)
    with SandboxServer(contacts=30, db_path=db, reset=True) as reset:
        assert "Keep Me" not in labels(reset) and "Spam" in labels(reset)


def test_seed_is_the_same_on_every_run(tmp_path: Path) -> None:
    def contact_uuids(server: SandboxServer) -> list[str]:
        page = httpx.get(server.base_url + "/api/v2/contacts.json", headers=AUTH).json()
        return [c["uuid"] for c in page["results"]]

    with (
        SandboxServer(token=TOKEN, contacts=40) as one,
        SandboxServer(token=TOKEN, contacts=40, db_path=tmp_path / "x.sqlite3") as two,
    ):
        assert contact_uuids(one) == contact_uuids(two)


def test_unreadable_file_is_reported_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    garbage = b"this is not a database\n" * 100
    db.write_bytes(garbage)
    for reset in (False, True):
        with pytest.raises(SandboxDatabaseError, match="left untouched"):
            SandboxServer(contacts=10, db_path=db, reset=reset).start()
    assert db.read_bytes() == garbage


def test_other_sqlite_files_and_newer_schemas_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    before = other.read_bytes()
    with pytest.raises(SandboxDatabaseError, match="not a RapidPro Explorer sandbox database"):
        SandboxServer(contacts=10, db_path=other, reset=True).start()
    assert other.read_bytes() == before

    newer = tmp_path / "newer.sqlite3"
    with SandboxServer(contacts=10, db_path=newer):
        pass  # builds the file
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = newer.read_bytes()
    with pytest.raises(SandboxDatabaseError, match="newer"):
        SandboxServer(contacts=10, db_path=newer).start()
    assert newer.read_bytes() == before


def test_default_db_path_follows_the_data_dir_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RAPIDPRO_EXPLORER_DATA_DIR", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "sandbox.sqlite3"
    monkeypatch.delenv("RAPIDPRO_EXPLORER_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # never the real home
    assert default_db_path() == tmp_path / "xdg" / "rapidpro-explorer" / "sandbox.sqlite3"


def _args(**overrides: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.configure_parser(parser)
    args = parser.parse_args([])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_command_options_and_defaults(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    command.configure_parser(parser)
    args = parser.parse_args(
        [
            "--port",
            "0",
            "--token",
            "T",
            "--rate",
            "5/minute",
            "--contacts",
            "1_000",
            "--db",
            str(tmp_path / "a.db"),
            "--reset",
        ]
    )
    assert (args.port, args.token, args.rate, args.contacts, args.db, args.reset) == (
        0,
        "T",
        "5/minute",
        1000,
        tmp_path / "a.db",
        True,
    )
    defaults = parser.parse_args([])
    assert (defaults.port, defaults.rate, defaults.contacts, defaults.db, defaults.reset) == (
        8000,
        "2500/hour",
        1000,
        None,
        False,
    )
    for bad in (["--rate", "lots"], ["--port", "70000"], ["--contacts", "-1"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_command_reports_a_busy_port_and_a_bad_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert command.run(_args(port=port, contacts=5, db=tmp_path / "s.sqlite3")) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"nope" * 50)
    assert command.run(_args(port=0, contacts=5, db=bad)) == 1
    said = capsys.readouterr().err
    assert "left untouched" in said and "choose another file with --db" in said
    assert bad.read_bytes() == b"nope" * 50


def test_sandbox_command_serves_until_ctrl_c(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "explorer",
            "sandbox",
            "--port",
            "0",
            "--contacts",
            "25",
            "--token",
            "cli-token",
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = []
        assert proc.stdout is not None
        for _ in range(20):  # bounded: the banner is a handful of lines
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.startswith("Press Ctrl+C"):
                break
        base_url = next(line.split()[-1] for line in lines if line.startswith("Base URL:"))
        assert "Token:    cli-token" in lines
        response = httpx.get(
            base_url + "/api/v2/contacts.json", headers={"Authorization": "Token cli-token"}
        )
        assert response.status_code == 200 and len(response.json()["results"]) > 20
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err
    assert "Sandbox stopped." in out
    assert db.exists()
