"""Atomic writes leave the old file or the new one, never a mix; bad files are left alone."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

import pytest

from explorer.store import atomic
from explorer.store.atomic import dump_json, read_json, write_atomic
from explorer.store.errors import StoreError, UnreadableFile

OLD = b'{"schema_version": 1, "old": true}\n'
NEW = '{"schema_version": 1, "new": "ü"}\n'


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "settings.json"
    path.write_bytes(OLD)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "settings.json")


def test_text_and_bytes_replace_the_file(target: Path) -> None:
    write_atomic(target, NEW)
    assert target.read_text(encoding="utf-8") == NEW
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert leftovers(target.parent) == []


def test_missing_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.json"
    write_atomic(path, "{}")
    assert path.read_text() == "{}"


def test_short_writes_are_finished(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    monkeypatch.setattr(atomic.os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    write_atomic(target, NEW)
    assert target.read_text(encoding="utf-8") == NEW


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_permissions_are_kept_and_new_files_are_private(target: Path, tmp_path: Path) -> None:
    target.chmod(0o640)
    write_atomic(target, NEW)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.json"
    write_atomic(fresh, NEW)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


@pytest.mark.parametrize("step", ["replace", "fsync"])
def test_a_failure_mid_write_keeps_the_old_file(
    target: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    def boom(*args: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, step, boom)
    with pytest.raises(StoreError) as caught:
        write_atomic(target, NEW)
    assert target.read_bytes() == OLD
    assert leftovers(target.parent) == []
    assert (
        caught.value.message
        == "Could not save settings.json: the disk reported an input/output error"
    )
    assert caught.value.path == target


def test_a_full_disk_is_said_plainly_and_the_old_file_survives(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    calls = 0

    def write(fd: int, data: bytes) -> int:
        nonlocal calls
        calls += 1
        if calls > 1:  # the first few bytes fit, then the disk fills up
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, bytes(data[:4]))

    monkeypatch.setattr(atomic.os, "write", write)
    with pytest.raises(StoreError) as caught:
        write_atomic(target, NEW)
    assert str(caught.value) == "Could not save settings.json: the disk is full"
    assert isinstance(caught.value.__cause__, OSError)
    assert target.read_bytes() == OLD
    assert leftovers(target.parent) == []


def test_an_interrupt_is_not_disguised_and_leaves_nothing_behind(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, NEW)
    assert target.read_bytes() == OLD
    assert leftovers(target.parent) == []


def test_json_is_written_stably() -> None:
    assert dump_json({"b": 1, "a": {"d": [1], "c": "é"}}) == (
        '{\n  "a": {\n    "c": "é",\n    "d": [\n      1\n    ]\n  },\n  "b": 1\n}\n'
    )


def test_reading_a_missing_file_gives_none(tmp_path: Path) -> None:
    assert read_json(tmp_path / "nope.json", expected_schema=1) is None


def test_reading_a_good_file(target: Path) -> None:
    assert read_json(target, expected_schema=1) == {"schema_version": 1, "old": True}
    # An older schema is returned for the caller to migrate.
    assert read_json(target, expected_schema=3) == {"schema_version": 1, "old": True}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"schema_version": 1, "x": ', "it is not valid JSON"),
        (b"[1, 2, 3]", "it does not hold a JSON object"),
        (b'{"x": 1}', "it has no valid schema_version"),
        (b'{"schema_version": "1"}', "it has no valid schema_version"),
        (b'{"schema_version": true}', "it has no valid schema_version"),
        (b"\xff\xfe\x00garbage", "it is not UTF-8 text"),
        (b'{"schema_version": 2}', "written by a newer version of RapidPro Explorer (schema 2"),
    ],
)
def test_unusable_files_are_reported_and_left_untouched(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "workspaces.json"
    path.write_bytes(content)
    before = path.stat().st_mtime_ns
    with pytest.raises(UnreadableFile) as caught:
        read_json(path, expected_schema=1)
    error = caught.value
    assert error.path == path
    assert reason in error.reason
    assert error.message.startswith("Could not read workspaces.json: ")
    assert path.read_bytes() == content
    assert path.stat().st_mtime_ns == before


def test_a_folder_in_place_of_the_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "settings.json").mkdir()
    with pytest.raises(UnreadableFile, match=r"settings\.json: it is a folder"):
        read_json(tmp_path / "settings.json", expected_schema=1)
