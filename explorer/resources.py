"""The files the app reads at run time (its icon), found alike from a checkout, a wheel and
a frozen bundle. Qt-free: the CLI, the build scripts and the UI all use it.

``resources/`` at the top of the repository is the only copy. Where it is found:

1. ``explorer/assets/`` inside the package (beside this module): the PyInstaller
   bundle puts it there (``build_spec/rapidpro-explorer.spec``).
2. ``<checkout>/resources/``: running from a source tree, editable installs included.
3. ``<prefix>/share/rapidpro-explorer/``: a wheel installs it there as data files
   (``[tool.setuptools.data-files]`` in pyproject.toml); found through the installed
   distribution's own file list (``importlib.metadata``), whatever the prefix.

Names are relative paths with forward slashes, such as ``"icons/rapidpro-explorer-48.png"``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DISTRIBUTION = "rapidpro-explorer"
APP_ID = "io.github.rapidpro_explorer.RapidProExplorer"
"""Reverse-DNS id: the .desktop file's and AppStream metainfo's name, the macOS bundle id,
and what ``QGuiApplication.setDesktopFileName`` should say (Wayland matches windows to their
menu entry and icon with it)."""
ICON_NAME = "rapidpro-explorer"
"""The icon's name in the freedesktop icon theme (``Icon=`` in the .desktop file)."""
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
"""Pixel sizes of the PNGs in ``resources/icons`` (rendered from the SVG master)."""
PROJECT_URL = "https://github.com/rapidpro-explorer/rapidpro-explorer"
"""Shown in the About box and the package metadata."""

_PACKAGE_DIR = "assets"
_SHARE_DIR = f"share/{DISTRIBUTION}"


class ResourceNotFound(FileNotFoundError):
    """A resource is in none of the places this module looks."""


def path(name: str) -> Path:
    """The file ``name`` on disk; raises :class:`ResourceNotFound` when it is missing."""
    parts = [p for p in name.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ValueError(f"not a resource name: {name!r}")
    for root in roots():
        candidate = root.joinpath(*parts)
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(r) for r in roots()) or "nowhere: no resource folder exists"
    raise ResourceNotFound(f"resource {name!r} not found (looked in {looked})")


def read_bytes(name: str) -> bytes:
    return path(name).read_bytes()


def icon_paths() -> list[Path]:
    """The app icon's PNGs, smallest first (for ``QIcon.addFile``); empty if none is found."""
    found = []
    for size in ICON_SIZES:
        try:
            found.append(path(f"icons/{ICON_NAME}-{size}.png"))
        except ResourceNotFound:
            continue
    return found


@cache
def roots() -> tuple[Path, ...]:
    """The resource folders that exist here, in the order :func:`path` tries them."""
    found = [p for p in (_package_dir(), _checkout_dir()) if p is not None and p.is_dir()]
    if not found:  # only then pay for reading the installed distribution's file list
        installed = _installed_dir()
        if installed is not None:
            found.append(installed)
    return tuple(found)


def _package_dir() -> Path | None:
    # The package's own folder, as importlib.resources.files("explorer") would give for a
    # package on disk (the frozen bundle's is); read from __file__, which costs no import.
    # A zip-imported package has no such folder, and Qt needs real files.
    return Path(__file__).resolve().parent / _PACKAGE_DIR


def _checkout_dir() -> Path | None:
    package = Path(__file__).resolve().parent
    candidate = package.parent / "resources"
    # Only a checkout has pyproject.toml beside the package: never pick up some other
    # "resources" folder that happens to sit next to site-packages/explorer.
    if (package.parent / "pyproject.toml").is_file():
        return candidate
    return None


def _installed_dir() -> Path | None:
    from importlib import metadata

    try:
        files = metadata.files(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return None
    marker = f"{_SHARE_DIR}/icons/"
    for entry in files:
        text = entry.as_posix()
        if marker in text:
            located = Path(str(entry.locate())).resolve()
            # .../share/rapidpro-explorer/icons/x.png -> .../share/rapidpro-explorer
            return located.parents[len(text.split(marker, 1)[1].split("/"))]
    return None
