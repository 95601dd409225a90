"""The runner, bulk runs and pulls find their workspace the same way, and say the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from explorer import cli
from explorer.store.workspaces import Workspace, WorkspaceStore


def command(name: str, tmp_path: Path) -> list[str]:
    if name == "run":
        collection = tmp_path / "empty.postman_collection.json"
        collection.write_text('{"info": {"name": "Empty"}, "item": []}')
        return ["run", str(collection)]
    if name == "bulk":
        rows = tmp_path / "rows.csv"
        rows.write_text("name\nAna\n")
        return ["bulk", "contacts", "POST", str(rows)]
    return ["pull", "runs", "--db", str(tmp_path / "data.sqlite3")]


CASES = [
    # (the options, whether RAPIDPRO_TOKEN is set, what the command says)
    (["--workspace", "Nope"], True, "there is no workspace called 'Nope' (Local)"),
    # argparse says it for pull, whose two options are a group
    (["--workspace", "Local", "--base-url", "http://127.0.0.1:9"], True, "not both|not allowed"),
    (["--workspace", "Local"], False, "no token saved for 'Local': add it under Workspaces…"),
    (["--base-url", "http://127.0.0.1:9"], False, "no token given: set the RAPIDPRO_TOKEN"),
    (["--base-url", "ftp://127.0.0.1:9"], True, "http"),
]


@pytest.mark.parametrize("name", ["run", "bulk", "pull"])
@pytest.mark.parametrize("case", CASES)
def test_every_command_names_what_is_wrong_with_its_workspace(
    name: str, case: tuple[list[str], bool, str], tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    where, env_token, message = case
    WorkspaceStore().add(Workspace("Local", "http://127.0.0.1:9"))
    if env_token:
        monkeypatch.setenv("RAPIDPRO_TOKEN", "t")
    else:
        monkeypatch.delenv("RAPIDPRO_TOKEN", raising=False)
    assert cli.main([*command(name, tmp_path), *where]) == 2
    err = capsys.readouterr().err
    assert any(m in err for m in message.split("|")), err
    assert not (tmp_path / "data.sqlite3").exists()  # nothing pulled, nothing created
