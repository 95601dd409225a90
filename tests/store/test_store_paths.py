"""Where files go: the environment overrides, platformdirs otherwise, folders made on demand."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from explorer.store import paths
from explorer.store.errors import StoreError


def test_folders_follow_the_environment_and_are_created(private_dirs: Path) -> None:
    assert paths.config_dir() == private_dirs / "config"
    assert paths.data_dir() == private_dirs / "data"
    assert paths.cache_dir() == private_dirs / "cache"
    for folder in (paths.config_dir(), paths.data_dir(), paths.cache_dir()):
        assert folder.is_dir()


def test_files_live_in_the_data_folder(private_dirs: Path) -> None:
    assert paths.sandbox_db_path() == private_dirs / "data" / "sandbox.sqlite3"
    assert paths.history_path().parent == private_dirs / "data"
    assert paths.collections_dir() == private_dirs / "data" / "collections"
    assert paths.collections_dir().is_dir()


def test_without_overrides_platformdirs_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def fake(kind: str):  # type: ignore[no-untyped-def]
        def where(appname: str, appauthor: object = None) -> Path:
            asked.append(appname)
            return tmp_path / kind / appname

        return where

    monkeypatch.setattr(platformdirs, "user_config_path", fake("config"))
    monkeypatch.setattr(platformdirs, "user_data_path", fake("data"))
    monkeypatch.setattr(platformdirs, "user_cache_path", fake("cache"))
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.delenv(f"RAPIDPRO_EXPLORER_{name}_DIR")
    assert paths.config_dir() == tmp_path / "config" / "rapidpro-explorer"
    assert paths.data_dir() == tmp_path / "data" / "rapidpro-explorer"
    assert paths.cache_dir() == tmp_path / "cache" / "rapidpro-explorer"
    assert set(asked) == {"rapidpro-explorer"}
    assert (tmp_path / "config" / "rapidpro-explorer").is_dir()


def test_a_folder_that_cannot_be_made_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    monkeypatch.setenv("RAPIDPRO_EXPLORER_CONFIG_DIR", str(blocker / "config"))
    with pytest.raises(StoreError) as caught:
        paths.config_dir()
    assert "Could not create the folder" in caught.value.message
    assert str(blocker / "config") in caught.value.message
