"""Store tests: a private cache folder too (the shared setup covers config and data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def private_cache_dir(private_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RAPIDPRO_EXPLORER_CACHE_DIR", str(private_dirs / "cache"))
    return private_dirs / "cache"
