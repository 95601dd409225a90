"""The app as a user starts it: a fresh process, its own folders, offscreen."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any


def start(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RAPIDPRO_EXPLORER_CONFIG_DIR": str(root / "config"),
        "RAPIDPRO_EXPLORER_DATA_DIR": str(root / "data"),
        "RAPIDPRO_EXPLORER_CACHE_DIR": str(root / "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the real keychain
        "PYTHONWARNINGS": "default",
    }
    return subprocess.run(
        [sys.executable, "-X", "dev", "-m", "explorer", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])


def test_first_run_opens_on_the_sandbox_and_exits_cleanly(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    done = start(tmp_path, "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    assert png_size(shot) == (1440, 860)
    # No workspace configured: the sandbox's database was created and used.
    assert (tmp_path / "data" / "sandbox.sqlite3").is_file()
    # Shutting down leaves no pending task, unclosed client or stray traceback behind.
    for bad in ("Task was destroyed", "never awaited", "Traceback", "Unclosed", "ResourceWarning"):
        assert bad not in done.stderr, done.stderr
    # A screenshot run leaves the user's window layout alone.
    assert (
        not (tmp_path / "config" / "window.ini").exists()
        or "geometry" not in (tmp_path / "config" / "window.ini").read_text()
    )


def test_opens_the_current_workspace_when_there_is_one(tmp_path: Path, sandbox: Any) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "workspaces.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "current": "Staging",
                "workspaces": [{"name": "Staging", "base_url": sandbox.base_url}],
            }
        )
    )
    done = start(tmp_path, "--screenshot", str(tmp_path / "shot.png"))
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "data" / "sandbox.sqlite3").exists()  # no sandbox was needed


def test_version(tmp_path: Path) -> None:
    done = start(tmp_path, "--version")
    assert done.returncode == 0 and "rapidpro-explorer" in done.stdout
