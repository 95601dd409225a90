"""Tokens go to the keyring, or stay in memory for the run when there is no keyring."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from explorer.core.errors import ValidationError
from explorer.store.secrets import SERVICE, TokenVault, token_from_env

TOKEN = "5f0c1e2d3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9"

Run = Callable[..., Any]


class StuckKeyring(KeyringBackend):
    """A keyring waiting on an unlock prompt nobody answers."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        self.release.wait(30)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        self.release.wait(30)

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        self.release.wait(30)


class ChattyKeyring(KeyringBackend):
    """A broken keyring whose error message repeats the password it was given."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"could not store {password!r} for {username}")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


@pytest.fixture
def stuck() -> Iterator[StuckKeyring]:
    ring = StuckKeyring()
    keyring.set_keyring(ring)
    yield ring
    ring.release.set()


def memory_ring() -> Any:
    return keyring.get_keyring()


def test_tokens_round_trip_through_the_keyring(aio: Run) -> None:
    vault = TokenVault()
    aio(vault.set("Production", f"  {TOKEN}\n"))
    assert memory_ring().passwords == {(SERVICE, "Production"): TOKEN}
    assert vault.persistent and vault.problem is None
    # A later run finds it in the keyring.
    assert aio(TokenVault().get("Production")) == TOKEN
    assert aio(TokenVault().get("Staging")) is None
    aio(vault.delete("Production"))
    assert memory_ring().passwords == {}
    assert aio(TokenVault().get("Production")) is None
    aio(vault.delete("Production"))  # deleting what is gone is fine


def test_a_rename_moves_the_token(aio: Run) -> None:
    vault = TokenVault()
    aio(vault.set("Old", TOKEN))
    aio(vault.rename("Old", "New"))
    assert memory_ring().passwords == {(SERVICE, "New"): TOKEN}
    assert aio(vault.get("Old")) is None
    assert aio(TokenVault().get("New")) == TOKEN


def test_an_empty_token_is_refused(aio: Run) -> None:
    with pytest.raises(ValidationError, match="token"):
        aio(TokenVault().set("Production", "   "))
    assert memory_ring().passwords == {}


def test_without_a_keyring_tokens_last_for_this_run_only(aio: Run) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    vault = TokenVault()
    aio(vault.set("Production", TOKEN))
    assert vault.persistent is False
    assert vault.problem is not None
    assert vault.problem.startswith("No keyring is available on this system")
    assert "session only" in vault.problem
    assert aio(vault.get("Production")) == TOKEN
    assert aio(TokenVault().get("Production")) is None  # the next run has to ask again
    aio(vault.rename("Production", "Live"))
    assert aio(vault.get("Live")) == TOKEN
    aio(vault.delete("Live"))
    assert aio(vault.get("Live")) is None


def test_a_first_get_without_a_keyring_says_so(aio: Run) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    vault = TokenVault()
    assert aio(vault.get("Production")) is None
    assert vault.persistent is False
    assert vault.problem and "No keyring" in vault.problem


def test_the_null_backend_counts_as_no_keyring(aio: Run) -> None:
    # It would accept the token and silently forget it.
    keyring.set_keyring(keyring.backends.null.Keyring())
    vault = TokenVault()
    aio(vault.set("Production", TOKEN))
    assert vault.persistent is False
    assert aio(vault.get("Production")) == TOKEN


def test_a_stuck_keyring_times_out_and_the_loop_keeps_running(
    aio: Run, stuck: StuckKeyring
) -> None:
    vault = TokenVault(timeout=0.2)

    async def scenario() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        assert await vault.get("Production") is None
        task.cancel()
        return ticks

    ticks = aio(scenario())
    assert ticks > 1  # the event loop went on while the keyring was stuck
    assert vault.persistent is False
    assert vault.problem is not None
    assert "did not answer within 0.2 seconds" in vault.problem
    assert "session only" in vault.problem
    # From then on the keyring is left alone: no more waits.
    aio(vault.set("Production", TOKEN))
    assert aio(vault.get("Production")) == TOKEN
    assert stuck.calls == 1


def test_a_stuck_set_keeps_the_token_in_memory(aio: Run, stuck: StuckKeyring) -> None:
    vault = TokenVault(timeout=0.2)
    aio(vault.set("Production", TOKEN))
    assert vault.persistent is False
    assert aio(vault.get("Production")) == TOKEN


def test_keyring_errors_fall_back_without_repeating_the_token(aio: Run) -> None:
    keyring.set_keyring(ChattyKeyring())
    vault = TokenVault()
    aio(vault.set("Production", TOKEN))
    assert vault.persistent is False
    assert vault.problem is not None
    assert "could not store" in vault.problem
    assert TOKEN not in vault.problem
    assert aio(vault.get("Production")) == TOKEN

    locked = TokenVault()
    assert aio(locked.get("Production")) is None
    assert locked.problem and "the collection is locked" in locked.problem


def all_log_text(records: list[logging.LogRecord]) -> str:
    parts = []
    for record in records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


@pytest.mark.parametrize("backend", ["memory", "fail", "chatty"])
def test_tokens_never_reach_the_logs(
    aio: Run, caplog: pytest.LogCaptureFixture, backend: str
) -> None:
    if backend == "fail":
        keyring.set_keyring(keyring.backends.fail.Keyring())
    elif backend == "chatty":
        keyring.set_keyring(ChattyKeyring())
    caplog.set_level(logging.DEBUG)
    vault = TokenVault()
    aio(vault.set("Production", TOKEN))
    assert aio(vault.get("Production")) == TOKEN
    assert aio(TokenVault().get("Production")) in (TOKEN, None)
    aio(vault.rename("Production", "Live"))
    aio(vault.delete("Live"))
    assert caplog.records  # something was logged, and it was checked
    assert TOKEN not in all_log_text(caplog.records)


def test_the_environment_token_is_only_read_when_asked(
    aio: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert token_from_env() is None
    monkeypatch.setenv("RAPIDPRO_TOKEN", f" {TOKEN} ")
    assert token_from_env() == TOKEN
    assert aio(TokenVault().get("Production")) is None
    monkeypatch.setenv("RAPIDPRO_TOKEN", "  ")
    assert token_from_env() is None
