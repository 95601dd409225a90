"""Where dataset files live by default: one per workspace, in the app's data folder."""

from __future__ import annotations

import re
from pathlib import Path

from explorer.store.paths import data_dir

SUFFIX = ".sqlite3"


def datasets_dir() -> Path:
    return data_dir() / "datasets"


def default_path(workspace: str) -> Path:
    """The dataset file of ``workspace`` (a name, or an address for unsaved ones)."""
    name = re.sub(r"^[a-z]+://", "", workspace.strip().lower())
    slug = re.sub(r"[^a-z0-9]+", "-", name).strip("-") or "workspace"
    return datasets_dir() / f"{slug}{SUFFIX}"


def known_files() -> list[Path]:
    """The dataset files in the default folder, by name."""
    folder = datasets_dir()
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
