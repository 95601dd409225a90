"""Workspaces survive a restart, refuse bad values, carry their token along, never hold it."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest

from explorer.core.errors import ValidationError, ValidationErrors
from explorer.store import atomic, paths
from explorer.store.errors import StoreError
from explorer.store.secrets import SERVICE, TokenVault
from explorer.store.workspaces import (
    SANDBOX_WORKSPACE_NAME,
    Workspace,
    WorkspaceStore,
    sandbox_workspace,
)

TOKEN = "9d8c7b6a5f4e3d2c1b0a99887766554433221100"
Run = Callable[..., Any]


def store(vault: TokenVault | None = None) -> WorkspaceStore:
    """A store as a fresh start of the app would open it."""
    return WorkspaceStore(vault=vault)


def ws_file() -> Path:
    return paths.config_dir() / "workspaces.json"


def passwords() -> dict[tuple[str, str], str]:
    return dict(keyring.get_keyring().passwords)  # type: ignore[attr-defined]


def test_nothing_configured_means_the_sandbox() -> None:
    s = store()
    assert s.workspaces() == []
    assert s.current is None
    assert s.current_workspace() is None
    assert s.problem is None
    assert not ws_file().exists()  # reading does not create the file


def test_a_workspace_is_saved_tidily_and_read_back() -> None:
    s = store()
    saved = s.add(Workspace("  Production ", "app.rapidpro.io/api/v2/", default_country="rw"))
    assert saved == Workspace("Production", "https://app.rapidpro.io", default_country="RW")
    s.add(Workspace("Local", "http://127.0.0.1:8000", rate_limit_per_hour=100))
    s.current = "production"
    assert ws_file().read_text(encoding="utf-8") == (
        "{\n"
        '  "current": "Production",\n'
        '  "schema_version": 1,\n'
        '  "workspaces": [\n'
        "    {\n"
        '      "base_url": "https://app.rapidpro.io",\n'
        '      "default_country": "RW",\n'
        '      "name": "Production"\n'
        "    },\n"
        "    {\n"
        '      "base_url": "http://127.0.0.1:8000",\n'
        '      "name": "Local",\n'
        '      "rate_limit_per_hour": 100\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )
    again = store()
    assert again.workspaces() == s.workspaces()
    assert again.current == "Production"
    assert again.current_workspace() == saved
    assert again.get("LOCAL") == Workspace(
        "Local", "http://127.0.0.1:8000", rate_limit_per_hour=100
    )
    assert "production" in again
    assert len(again) == 2


def errors_of(exc: ValidationErrors) -> dict[str, str]:
    return {str(e.path[0]): e.message for e in exc}


def test_plain_http_is_refused_except_on_this_computer() -> None:
    s = store()
    with pytest.raises(ValidationErrors) as caught:
        s.add(Workspace("Staging", "http://staging.example.org"))
    assert "unencrypted" in errors_of(caught.value)["base_url"]
    assert s.workspaces() == []
    assert not ws_file().exists()
    assert s.add(Workspace("Here", "http://localhost:8000")).base_url == "http://localhost:8000"


@pytest.mark.parametrize(
    ("ws", "field", "words"),
    [
        (Workspace("", "https://app.rapidpro.io"), "name", "name"),
        (Workspace("   ", "https://app.rapidpro.io"), "name", "name"),
        (Workspace("a\tb", "https://app.rapidpro.io"), "name", "control characters"),
        (Workspace("x" * 81, "https://app.rapidpro.io"), "name", "at most 80"),
        (Workspace("Prod", ""), "base_url", "address"),
        (Workspace("Prod", "ftp://app.rapidpro.io"), "base_url", "not a web address"),
        (Workspace("Prod", "https://x.org", default_country="Rwanda"), "default_country", "RW"),
        (Workspace("Prod", "https://x.org", default_country="UK"), "default_country", "GB"),
        (Workspace("Prod", "https://x.org", default_country="QQ"), "default_country", "QQ"),
        (Workspace("Prod", "https://x.org", rate_limit_per_hour=0), "rate_limit_per_hour", "whole"),
        (Workspace(SANDBOX_WORKSPACE_NAME.upper(), "https://x.org"), "name", "sandbox"),
    ],
)
def test_bad_values_are_refused_by_field(ws: Workspace, field: str, words: str) -> None:
    with pytest.raises(ValidationErrors) as caught:
        store().add(ws)
    assert words in errors_of(caught.value)[field]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationErrors) as caught:
        store().add(Workspace(" ", "http://example.org", default_country="ZZ"))
    assert set(errors_of(caught.value)) == {"name", "base_url", "default_country"}


def test_names_are_unique_whatever_the_case() -> None:
    s = store()
    s.add(Workspace("Production", "https://app.rapidpro.io"))
    with pytest.raises(ValidationErrors) as caught:
        s.add(Workspace("PRODUCTION ", "https://other.example.org"))
    assert errors_of(caught.value) == {"name": "There is already a workspace called Production"}
    assert len(store()) == 1


def test_switching_is_remembered() -> None:
    s = store()
    s.add(Workspace("A", "https://a.example.org"))
    s.add(Workspace("B", "https://b.example.org"))
    s.set_current("b")
    assert store().current == "B"
    s.current = SANDBOX_WORKSPACE_NAME  # back to the sandbox
    assert store().current is None
    with pytest.raises(ValidationError, match="no workspace called 'C'"):
        s.current = "C"
    assert store().current is None


def test_edit_rename_and_remove_carry_the_token(aio: Run) -> None:
    vault = TokenVault()
    s = store(vault)
    s.add(Workspace("Staging", "https://staging.example.org"))
    s.add(Workspace("Other", "https://other.example.org"))
    aio(vault.set("Staging", TOKEN))
    s.current = "Staging"

    # An edit that keeps the name.
    edited = aio(s.update("staging", Workspace("Staging", "https://staging.example.org/", "KE")))
    assert edited.default_country == "KE"
    assert store().get("Staging") == edited
    assert passwords() == {(SERVICE, "Staging"): TOKEN}

    # A rename: the token, the position and "current" follow.
    aio(s.update("Staging", Workspace("Kenya staging", edited.base_url, "KE")))
    fresh = store(TokenVault())
    assert fresh.names() == ["Kenya staging", "Other"]
    assert fresh.current == "Kenya staging"
    assert passwords() == {(SERVICE, "Kenya staging"): TOKEN}
    assert aio(TokenVault().get("Kenya staging")) == TOKEN

    # A rename onto another workspace's name is refused; a change of case is fine.
    with pytest.raises(ValidationErrors):
        aio(s.update("Kenya staging", Workspace("other", edited.base_url)))
    aio(s.update("Kenya staging", Workspace("KENYA STAGING", edited.base_url)))
    assert passwords() == {(SERVICE, "KENYA STAGING"): TOKEN}

    # Removing it deletes its token and goes back to the sandbox.
    aio(s.remove("kenya staging"))
    fresh = store()
    assert fresh.names() == ["Other"]
    assert fresh.current is None
    assert passwords() == {}
    with pytest.raises(ValidationError, match="no workspace called"):
        aio(s.remove("kenya staging"))


def test_no_token_is_ever_written_to_a_file(aio: Run, private_dirs: Path) -> None:
    vault = TokenVault()
    s = store(vault)
    s.add(Workspace("Production", "https://app.rapidpro.io"))
    aio(vault.set("Production", TOKEN))
    s.current = "Production"
    aio(s.update("Production", Workspace("Live", "https://app.rapidpro.io", "RW")))
    paths.sandbox_db_path().write_bytes(b"placeholder")  # everything under the app's folders
    files = [p for p in private_dirs.rglob("*") if p.is_file()]
    assert ws_file() in files
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path
    assert passwords() == {(SERVICE, "Live"): TOKEN}


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{ this is not json", "not valid JSON"),
        (b'{"schema_version": 2, "workspaces": []}', "newer version"),
        (b'{"schema_version": 1, "workspaces": {}}', "not a list"),
        (b'{"schema_version": 1, "theme": "dark"}', "does not know: theme"),
        (
            b'{"schema_version": 1, "workspaces": [{"name": "A", "base_url": "https://a.org",'
            b' "token": "secret-value"}]}',
            "workspace 1 has settings this version does not know: token",
        ),
        (
            b'{"schema_version": 1, "workspaces": [{"name": "A", "base_url": "http://a.org"}]}',
            "workspace 1 base_url: http://a.org uses plain http",
        ),
        (
            b'{"schema_version": 1, "workspaces": [{"name": "A", "base_url": "https://a.org"},'
            b' {"name": "a", "base_url": "https://b.org"}]}',
            "used twice",
        ),
        (b'{"schema_version": 1, "workspaces": [{"name": "A"}]}', "workspace 1 has no base_url"),
        (
            b'{"schema_version": 1, "workspaces": [{"name": "A", "base_url": "https://a.org",'
            b' "rate_limit_per_hour": "lots"}]}',
            "rate limit",
        ),
    ],
)
def test_an_unreadable_file_is_reported_and_never_overwritten(
    aio: Run, content: bytes, why: str
) -> None:
    ws_file().write_bytes(content)
    s = store(TokenVault())
    assert s.problem is not None
    assert s.problem.startswith("Could not read workspaces.json")
    assert why in s.problem
    assert "secret-value" not in s.problem
    assert s.workspaces() == []
    assert s.current is None
    attempts = [
        lambda: s.add(Workspace("New", "https://new.example.org")),
        lambda: aio(s.update("A", Workspace("B", "https://a.org"))),
        lambda: aio(s.remove("A")),
    ]
    for attempt in attempts:
        with pytest.raises(StoreError) as caught:
            attempt()
        assert "not saved over it" in caught.value.message
    assert ws_file().read_bytes() == content
    assert sorted(p.name for p in ws_file().parent.iterdir()) == ["workspaces.json"]


def test_a_fixed_file_can_be_reloaded() -> None:
    ws_file().write_bytes(b"{ broken")
    s = store()
    assert s.problem
    ws_file().unlink()
    s.reload()
    assert s.problem is None
    s.add(Workspace("Production", "https://app.rapidpro.io"))
    assert store().names() == ["Production"]


def test_an_unknown_current_workspace_falls_back_to_the_sandbox() -> None:
    ws_file().write_text(
        '{"schema_version": 1, "current": "Gone",'
        ' "workspaces": [{"name": "A", "base_url": "https://a.org"}]}'
    )
    s = store()
    assert s.problem is None
    assert s.names() == ["A"]
    assert s.current is None


def test_a_failed_save_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    s = store()
    s.add(Workspace("A", "https://a.example.org"))
    before = ws_file().read_bytes()

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "write", full)
    with pytest.raises(StoreError, match=r"Could not save workspaces\.json: the disk is full"):
        s.add(Workspace("B", "https://b.example.org"))
    with pytest.raises(StoreError, match="the disk is full"):
        s.current = "A"
    assert s.names() == ["A"]
    assert s.current is None
    assert ws_file().read_bytes() == before


def test_the_sandbox_workspace() -> None:
    ws = sandbox_workspace("http://127.0.0.1:8765/")
    assert ws == Workspace(SANDBOX_WORKSPACE_NAME, "http://127.0.0.1:8765", is_sandbox=True)
    assert ws.to_json() == {
        "name": SANDBOX_WORKSPACE_NAME,
        "base_url": "http://127.0.0.1:8765",
        "is_sandbox": True,
    }
