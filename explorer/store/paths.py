"""Where RapidPro Explorer keeps its files: the one module that knows the folders.

Each folder comes from platformdirs unless an environment variable names another one (tests
and portable setups use them), and is created the first time it is asked for.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import platformdirs

from explorer.store.errors import StoreError, describe_os_error

log = logging.getLogger(__name__)

APP_NAME = "rapidpro-explorer"
CONFIG_DIR_ENV = "RAPIDPRO_EXPLORER_CONFIG_DIR"
DATA_DIR_ENV = "RAPIDPRO_EXPLORER_DATA_DIR"
CACHE_DIR_ENV = "RAPIDPRO_EXPLORER_CACHE_DIR"


def config_dir() -> Path:
    """Settings: ``workspaces.json`` and other small files a person might back up."""
    return _folder(CONFIG_DIR_ENV, platformdirs.user_config_path(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """What the app accumulates: the sandbox database, collections, history."""
    return _folder(DATA_DIR_ENV, platformdirs.user_data_path(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Files that can be thrown away at any time and rebuilt."""
    return _folder(CACHE_DIR_ENV, platformdirs.user_cache_path(APP_NAME, appauthor=False))


def sandbox_db_path() -> Path:
    """The SQLite file the local sandbox keeps its demo data in."""
    return data_dir() / "sandbox.sqlite3"


def collections_dir() -> Path:
    """The folder of saved request collections (one sub-folder per collection)."""
    return _folder(None, data_dir() / "collections")


def history_path() -> Path:
    """The file that records sent requests (without their tokens)."""
    return data_dir() / "history.jsonl"


def _folder(env_name: str | None, default: Path) -> Path:
    override = os.environ.get(env_name, "").strip() if env_name else ""
    path = Path(override).expanduser() if override else default
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("could not create %s: %s", path, exc)
        raise StoreError(
            f"Could not create the folder {path}: {describe_os_error(exc)}", path
        ) from exc
    return path
