"""The app as a user starts it: a fresh process, its own folders, offscreen."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import main


def app_env(root: Path) -> dict[str, str]:
    """The environment of an app run with its own folders below ``root``, offscreen."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RAPIDPRO_EXPLORER_CONFIG_DIR": str(root / "config"),
        "RAPIDPRO_EXPLORER_DATA_DIR": str(root / "data"),
        "RAPIDPRO_EXPLORER_CACHE_DIR": str(root / "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the real keychain
        "PYTHONWARNINGS": "default",
    }


def start(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "dev", "-m", "explorer", *args],
        capture_output=True,
        text=True,
        env=app_env(root),
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


# What the first screen must not wait for: the event loop, HTTP, the sandbox, the keyring,
# the highlighter, and the panels and stores of tabs that are not shown.
LOADED_AFTER_FIRST_PAINT = (
    "asyncio",
    "qasync",
    "httpx",
    "keyring",
    "phonenumbers",
    "pycountry",
    "pygments",
    "uvicorn",
    "explorer.sandbox.server",
    "explorer.store.collections",
    "explorer.store.history",
    "explorer.ui.collections_panel",
    "explorer.ui.fetch_all_panel",
    "explorer.ui.history_panel",
    "explorer.ui.json_view",
    "explorer.ui.results_table",
    "explorer.ui.runner_panel",
)

SPY = """
import sys
import threading
import explorer.ui.app as app
from explorer.cli import main

real = app._screenshot

def spy(window, path):
    loaded = [m for m in sys.argv[2].split(",") if m in sys.modules]
    print("at first paint:", ",".join(loaded))
    print("threads:", ",".join(t.name for t in threading.enumerate()))
    return real(window, path)

app._screenshot = spy
sys.exit(main(["--sandbox", "--screenshot", sys.argv[1]]))
"""


@pytest.mark.parametrize(
    "last_request",
    [None, ("broadcasts", "POST")],  # the default form, and one with language choosers
)
def test_the_window_paints_before_the_rest_loads(
    tmp_path: Path, last_request: tuple[str, str] | None
) -> None:
    shot = tmp_path / "shot.png"
    if last_request is not None:  # the form the user had open last time comes back
        (tmp_path / "config").mkdir()
        endpoint, method = last_request
        (tmp_path / "config" / "window.ini").write_text(
            f"[request]\nendpoint={endpoint}\nmethod={method}\n"
        )
    done = subprocess.run(
        [sys.executable, "-c", SPY, str(shot), ",".join(LOADED_AFTER_FIRST_PAINT)],
        capture_output=True,
        text=True,
        env=app_env(tmp_path),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "at first paint: \n" in done.stdout, done.stdout
    # Nothing else runs yet: a worker thread would take turns with the first paint.
    assert "threads: MainThread\n" in done.stdout, done.stdout
    assert png_size(shot) == (1440, 860)
    # ...and then it all arrives: the sandbox started and was connected.
    assert (tmp_path / "data" / "sandbox.sqlite3").is_file()


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


def test_a_sandbox_database_it_may_not_touch_is_reported_not_a_crash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "sandbox.sqlite3").write_bytes(b"not a database")
    done = start(tmp_path, "--screenshot", str(tmp_path / "shot.png"))
    assert done.returncode == 1
    assert "The sandbox could not start:" in done.stderr and "untouched" in done.stderr
    assert "Move that file away" in done.stderr and "--db" not in done.stderr  # no such option
    assert "Traceback" not in done.stderr, done.stderr
    assert png_size(tmp_path / "shot.png") == (1440, 860)  # the window was up meanwhile
    assert (data / "sandbox.sqlite3").read_bytes() == b"not a database"


def test_version(tmp_path: Path) -> None:
    done = start(tmp_path, "--version")
    assert done.returncode == 0 and "rapidpro-explorer" in done.stdout


WARMED = """
import sys
import time
from PySide6.QtCore import QEvent, QSettings
from PySide6.QtWidgets import QApplication
from explorer.core.catalog import catalog
from explorer.ui.main_window import MainWindow

app = QApplication(sys.argv[:1])
window = MainWindow(catalog(), None, QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.show()
for _ in window.panels.warm_up():
    app.processEvents()
from explorer.ui.editors.language_combo import languages_ready

while not languages_ready():  # the language list loads on a thread of its own
    time.sleep(0.01)
before = set(sys.modules)
for endpoint in window.catalog:
    window.endpoints.select(endpoint.name)
    for index in range(window.method_selector.count()):
        window.method_selector.setCurrentIndex(index)
        app.processEvents()
print("imported by forms:", ",".join(sorted(m for m in set(sys.modules) - before)))
window.remember = False
window.close()
window.deleteLater()
app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # gone before the application
"""


def test_after_warming_up_no_form_waits_for_an_import(tmp_path: Path) -> None:
    """The app loads every editor while idle, so switching endpoints never stops to import."""
    done = subprocess.run(
        [sys.executable, "-c", WARMED, str(tmp_path / "w.ini")],
        capture_output=True,
        text=True,
        env=app_env(tmp_path),  # the warm-up reads the collections and history folders
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "imported by forms: \n" in done.stdout, done.stdout

# --send: the app sends one GET once connected and, with --screenshot, pictures the
# response (as the README's picture is made). The spy reads what the window shows at the
# moment the picture is taken; the real _screenshot runs after it.
SEND_SPY = """
import json
import sys
import explorer.ui.app as app
from explorer.cli import main

real = app._screenshot

def spy(window, path):
    body = window.response.body
    table = window.results_table
    print(json.dumps({
        "status": window.response.status_label.text(),
        "body_done": body.is_finished(),
        "body": "\\n".join(body.row_text(r) for r in range(min(body.row_count(), 40))),
        "table_rows": table.view.model().rowCount(),
    }))
    return real(window, path)

app._screenshot = spy
sys.exit(main(["--sandbox", "--send", sys.argv[2], "--screenshot", sys.argv[1]]))
"""


def run_spy(tmp_path: Path, request: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SEND_SPY, str(tmp_path / "shot.png"), request],
        capture_output=True,
        text=True,
        env=app_env(tmp_path),
        timeout=120,
        check=False,
    )


def test_the_picture_shows_the_response_of_the_request_sent(tmp_path: Path) -> None:
    done = run_spy(tmp_path, "contacts?group=Farmers")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "200 OK" in seen["status"]
    assert seen["body_done"]
    assert '"results": [' in seen["body"]
    assert '"name": "Farmers"' in seen["body"]  # the query reached the server
    assert seen["table_rows"] > 0
    assert png_size(tmp_path / "shot.png") == (1440, 860)


def test_a_request_the_form_refuses_is_not_sent_and_no_picture_is_taken(tmp_path: Path) -> None:
    done = run_spy(tmp_path, "contacts?uuid=not-a-uuid")
    assert done.returncode == 1
    assert "--send: not sent." in done.stderr
    assert "uuid" in done.stderr  # the form's reason, as it says beside Send
    assert not (tmp_path / "shot.png").exists()


@pytest.mark.parametrize(
    ("request_text", "said"),
    [
        ("contcts", "no endpoint named 'contcts'. Did you mean: contacts"),
        ("media", "media cannot be read with GET"),
        ("contacts?=x", "has no name"),
    ],
)
def test_a_request_that_cannot_be_sent_is_a_usage_error(
    request_text: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--send", request_text]) == 2
    assert said in capsys.readouterr().err
