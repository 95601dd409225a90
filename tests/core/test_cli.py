"""The command line as a user runs it: ``python -m explorer ...`` in a real subprocess.

A few tests call :func:`explorer.cli.main` in-process where what matters is which
function the command line hands over to (the window, the sandbox), not the output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import explorer
from explorer import cli

FACTS_PATH = Path(__file__).parent / "data" / "rapidpro_api_v2_facts.json"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explorer", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        cwd=cwd,
        check=False,
    )


def facts() -> dict[str, Any]:
    return json.loads(FACTS_PATH.read_text(encoding="utf-8"))


def test_catalog_json_agrees_with_the_facts(tmp_path: Path) -> None:
    done = run_cli("catalog", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["base_path"] == "/api/v2/"

    def shape(endpoints: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            e["name"]: {
                method: {
                    kind: [(p["name"], p["type"], p["required"]) for p in m.get(kind, [])]
                    for kind in ("params", "fields")
                }
                for method, m in e["methods"].items()
            }
            for e in endpoints
        }

    ours, theirs = shape(data["endpoints"]), shape(facts()["endpoints"])
    diffs = [
        f"{name}: {ours.get(name)!r} != {theirs.get(name)!r}"
        for name in sorted(set(ours) | set(theirs))
        if ours.get(name) != theirs.get(name)
    ]
    assert not diffs, "\n".join(diffs)


def test_catalog_json_carries_help_examples_and_limits() -> None:
    data = json.loads(run_cli("catalog", "--json", "contacts").stdout)
    [contacts] = data["endpoints"]
    assert contacts["path"] == "/api/v2/contacts.json"
    assert contacts["throttle_scope"] == "v2.contacts"
    post = contacts["methods"]["POST"]
    name = next(f for f in post["fields"] if f["name"] == "name")
    assert name["help"] and name["example"] == "Ben Haggerty"
    assert name["max_length"] == 64
    assert name["required_on_update"] is False
    assert post["returns"] == {"201": "created", "200": "updated"}
    get = contacts["methods"]["GET"]
    assert get["pagination"] == "cursor"
    assert {"uuid", "urns", "modified_on"} <= {r["name"] for r in get["result_fields"]}


def test_catalog_summary_lists_every_endpoint_by_group() -> None:
    done = run_cli("catalog")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    names = [e["name"] for e in facts()["endpoints"]]
    listed = {line.split()[0] for line in lines if line.startswith("  ") and line.split()}
    assert set(names) <= listed
    assert "30 endpoints" in lines[0]
    for group in {e["group"] for e in facts()["endpoints"]}:
        assert group in lines
    org = next(line for line in lines if line.startswith("  org "))
    assert "deprecated" in org
    contacts = next(line for line in lines if line.startswith("  contacts "))
    assert "GET POST DELETE" in contacts


def test_catalog_endpoint_shows_post_fields_in_columns() -> None:
    done = run_cli("catalog", "contacts")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "/api/v2/contacts.json" in text
    post = text[
        text.index("POST /api/v2/contacts.json") : text.index("DELETE /api/v2/contacts.json")
    ]
    rows = {line.split()[0]: line for line in post.splitlines() if line.startswith("    ")}
    for field in next(e for e in facts()["endpoints"] if e["name"] == "contacts")["methods"][
        "POST"
    ]["fields"]:
        assert field["name"] in rows, f"POST field {field['name']} not shown"
        assert rows[field["name"]].split()[1] == field["type"]
    # columns line up: every field's type starts at the same place
    starts = {
        rows[n].index(rows[n].split()[1], len("    " + n)) for n in ("name", "urns", "fields")
    }
    assert len(starts) == 1


def test_catalog_endpoint_marks_required_fields() -> None:
    text = run_cli("catalog", "campaigns").stdout
    post = text[text.index("POST /api/v2/campaigns.json") :].splitlines()
    name_row = next(line for line in post if line.split()[:2] == ["name", "string"])
    assert name_row.split()[2] == "required"
    assert "at most 64 characters" in " ".join(" ".join(post).split())


def test_catalog_accepts_an_endpoint_path() -> None:
    by_path = run_cli("catalog", "/api/v2/runs.json")
    assert by_path.returncode == 0, by_path.stderr
    assert by_path.stdout == run_cli("catalog", "runs").stdout


def test_unknown_endpoint_exits_2_with_a_suggestion() -> None:
    done = run_cli("catalog", "contact")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "contact" in done.stderr and "contacts" in done.stderr
    assert "Did you mean" in done.stderr


def test_unknown_option_is_a_usage_error() -> None:
    done = run_cli("catalog", "--yaml")
    assert done.returncode == 2
    assert "unrecognized arguments: --yaml" in done.stderr


def test_version_prints_the_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == f"rapidpro-explorer {explorer.__version__}"
    assert [line.split()[0] for line in lines[1:]] == ["Qt", "PySide6", "httpx"]


def test_piping_into_head_ends_without_a_traceback() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", "catalog", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()  # what `| head -c 100` does
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err, err


def test_core_store_and_sandbox_load_no_qt() -> None:
    """Every module of the three Qt-free packages imports without PySide6 or qasync."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import explorer.cli\n"
        "for package in ('explorer.core', 'explorer.store', 'explorer.sandbox'):\n"
        "    root = importlib.import_module(package)\n"
        "    for info in pkgutil.walk_packages(root.__path__, package + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(any(m.startswith(('PySide6', 'qasync', 'explorer.ui')) for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


# --version loads QtCore by design (it reports Qt's version); tests/test_packaging.py
# checks it loads no widgets and no httpx.
@pytest.mark.parametrize("args", [["catalog", "--json"], ["catalog", "contacts"]])
def test_quick_commands_load_neither_qt_httpx_nor_the_sandbox(args: list[str]) -> None:
    code = (
        "import contextlib, io, sys\n"
        "from explorer import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    cli.main({args!r})\n"
        "heavy = ('PySide6', 'shiboken6', 'qasync', 'httpx', 'explorer.sandbox', 'explorer.ui')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


# --- hand-over to the window and the sandbox ---------------------------------------------------


def install_module(monkeypatch: pytest.MonkeyPatch, name: str, **attrs: Any) -> None:
    """Put a stand-in for a module another part of the app provides."""
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    package_name, _, leaf = name.rpartition(".")
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(sys.modules[package_name], leaf, module, raising=False)


def test_no_command_opens_the_window_with_the_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import explorer.ui

    seen: list[Any] = []
    install_module(monkeypatch, "explorer.ui.app", main=lambda args: seen.append(args) or 7)
    assert explorer.ui  # the package exists; the window module is stood in for
    shot = tmp_path / "shot.png"
    status = cli.main(["--sandbox", "--workspace", "Demo", "--screenshot", str(shot)])
    assert status == 7
    [args] = seen
    assert args.sandbox is True
    assert args.workspace == "Demo"
    assert args.screenshot == shot


def test_sandbox_command_hands_its_arguments_to_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import explorer.sandbox

    ran: list[Any] = []

    def configure_parser(parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--contacts", type=int, default=100)

    install_module(
        monkeypatch,
        "explorer.sandbox.command",
        configure_parser=configure_parser,
        run=lambda args: ran.append(args) or 0,
    )
    assert explorer.sandbox
    assert cli.main(["sandbox", "--port", "8123", "--contacts=5"]) == 0
    [args] = ran
    assert (args.port, args.contacts) == (8123, 5)

    assert cli.main(["sandbox", "--help"]) == 0
    out = capsys.readouterr().out
    assert "rapidpro-explorer sandbox" in out and "--port" in out

    assert cli.main(["sandbox", "--bogus"]) == 2
    assert "--bogus" in capsys.readouterr().err
