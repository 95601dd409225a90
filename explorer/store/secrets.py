"""API tokens: kept in the operating system's keyring, and in memory while the app runs.

Never in a file. Every keyring call runs off the event loop with a time limit, because a
locked keyring can wait forever on an unlock prompt. When there is no usable keyring the
vault keeps tokens in memory for this run only and says so in :attr:`TokenVault.problem`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import keyring
import keyring.backends.fail
import keyring.backends.null
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from explorer.core.errors import ValidationError

log = logging.getLogger(__name__)

SERVICE = "rapidpro-explorer"
TOKEN_ENV = "RAPIDPRO_TOKEN"
DEFAULT_TIMEOUT = 5.0

T = TypeVar("T")

_SESSION_ONLY = "the token is kept for this session only and must be entered again next time."


def token_from_env() -> str | None:
    """The token in ``$RAPIDPRO_TOKEN``, for headless runs that ask for it explicitly.

    The app never reads this on its own: a token from the environment is used only where a
    caller chooses to.
    """
    value = os.environ.get(TOKEN_ENV, "").strip()
    return value or None


class _Unavailable(Exception):
    """The keyring cannot be used; ``problem`` is the sentence shown to the user."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class TokenVault:
    """Gets, saves and forgets workspace tokens (keyring service ``rapidpro-explorer``,
    user name = workspace name).

    ``persistent`` turns ``False`` the first time the keyring cannot be used (none installed,
    an error, or no answer within ``timeout`` seconds); from then on, for the rest of this
    run, tokens live in memory only and ``problem`` holds a sentence saying so.
    """

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, service: str = SERVICE) -> None:
        self.timeout = timeout
        self.service = service
        self.persistent = True
        self.problem: str | None = None
        # Tokens known this run: saves the keyring a round trip (and perhaps an unlock
        # prompt) each time, and is the only store once the keyring is unavailable.
        self._memory: dict[str, str] = {}
        # Keyring backends are not all thread-safe: one call at a time.
        self._lock = threading.Lock()

    async def get(self, name: str) -> str | None:
        """The token saved for workspace ``name``, or ``None`` when there is none."""
        if name in self._memory or not self.persistent:
            return self._memory.get(name)
        try:
            token = await self._call(keyring.get_password, self.service, name)
        except _Unavailable as exc:
            self._fall_back(exc.problem)
            return self._memory.get(name)
        if token:
            self._memory[name] = token
        return token or None

    async def set(self, name: str, token: str) -> None:
        """Save ``token`` for workspace ``name`` (in memory only when no keyring works)."""
        token = token.strip()
        if not token:
            raise ValidationError("Enter the workspace's API token", ("token",))
        self._memory[name] = token
        if not self.persistent:
            return
        try:
            await self._call(keyring.set_password, self.service, name, token, secret=token)
        except _Unavailable as exc:
            self._fall_back(exc.problem)
            return
        log.info("saved the token for workspace %r in the keyring", name)

    async def delete(self, name: str) -> None:
        """Forget the token of workspace ``name``; nothing happens when there is none."""
        self._memory.pop(name, None)
        if not self.persistent:
            return
        try:
            await self._call(_delete_password, self.service, name)
        except _Unavailable as exc:
            self._fall_back(exc.problem)
            return
        log.info("removed the token for workspace %r from the keyring", name)

    async def rename(self, old_name: str, new_name: str) -> None:
        """Move a token from ``old_name`` to ``new_name`` (a workspace was renamed)."""
        if old_name == new_name:
            return
        token = await self.get(old_name)
        if token is None:
            await self.delete(new_name)  # no stale token may come with the new name
            return
        if old_name.casefold() == new_name.casefold():
            # Some keyrings (Windows Credential Manager) ignore case in names: saving the new
            # name and then deleting the old would delete the token just saved.
            await self.delete(old_name)
            await self.set(new_name, token)
            return
        await self.set(new_name, token)  # save under the new name first: a failure loses nothing
        if self.persistent:
            await self.delete(old_name)
        else:
            # The keyring failed: keep its old entry, the only copy that lasts past this run.
            self._memory.pop(old_name, None)

    def _fall_back(self, problem: str) -> None:
        if self.persistent:
            log.warning("keyring unavailable, keeping tokens in memory: %s", problem)
        self.persistent = False
        self.problem = problem

    async def _call(self, func: Callable[..., T], *args: Any, secret: str | None = None) -> T:
        """Run a keyring function in a worker thread, giving up after ``timeout`` seconds.

        ``secret`` is the token being saved, kept out of any message.

        A plain daemon thread rather than ``asyncio.to_thread``: a call stuck on an unlock
        prompt would otherwise hold a default-executor worker that ``asyncio.run`` and the
        interpreter both wait for at exit, so the app could not quit.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(result: T | None, error: BaseException | None) -> None:
            if future.done():
                return  # timed out already
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        def work() -> None:
            result: T | None = None
            error: BaseException | None = None
            try:
                with self._lock:
                    ring = keyring.get_keyring()
                    if isinstance(ring, keyring.backends.null.Keyring):
                        # The null backend drops every token without a word: treat it as none.
                        raise NoKeyringError("the null keyring backend stores nothing")
                    result = func(*args)
            except BaseException as exc:
                error = exc
            # RuntimeError: the loop closed while the keyring was busy; nobody is waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, result, error)

        threading.Thread(target=work, name="keyring", daemon=True).start()
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise _Unavailable(
                f"The system keyring did not answer within {self.timeout:g} seconds "
                f"(it may be locked): {_SESSION_ONLY}"
            ) from None
        except NoKeyringError:
            raise _Unavailable(f"No keyring is available on this system: {_SESSION_ONLY}") from None
        except KeyringError as exc:
            raise _Unavailable(
                f"The system keyring refused the request ({_detail(exc, secret)}): {_SESSION_ONLY}"
            ) from None
        except Exception as exc:
            # A backend bug (a D-Bus error it did not wrap, say) must not lose the token.
            log.debug("keyring backend failed", exc_info=secret is None)
            raise _Unavailable(
                f"The system keyring failed ({_detail(exc, secret)}): {_SESSION_ONLY}"
            ) from None


def _detail(exc: BaseException, secret: str | None) -> str:
    """The backend's own words, with the token blanked out should a backend echo it."""
    text = str(exc).strip() or type(exc).__name__
    if secret:
        text = text.replace(secret, "…")
    return text


def _delete_password(service: str, name: str) -> None:
    with contextlib.suppress(PasswordDeleteError):  # there was nothing to delete
        keyring.delete_password(service, name)
