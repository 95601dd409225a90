"""What the frozen app leaves out: Qt plugins, translations and data it never uses, and the
system libraries that only those plugins pulled in.

Used by ``rapidpro-explorer.spec`` on the lists PyInstaller's Analysis collected. The app
imports QtCore, QtGui and QtWidgets only (check: ``grep -rn "PySide6\\." explorer``).

Dropping a plugin does not drop the libraries PyInstaller collected for it (the GTK theme
plugin alone brings GLib, GIO, Cairo, Pango, ATK…): :func:`prune_orphans` removes every
library that only dropped files needed, found by following the libraries' own link-time
imports — so the rule holds on any build machine, whatever it happens to have installed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

log = logging.getLogger("bundle_rules")

# Python modules the app never imports but that something may drag in.
EXCLUDED_MODULES = [
    # Qt modules beyond QtCore/QtGui/QtWidgets (qasync and PySide6's own hooks pull some).
    *(
        f"PySide6.{name}"
        for name in [
            *("QtNetwork", "QtDBus", "QtSvg", "QtSvgWidgets", "QtOpenGL", "QtOpenGLWidgets"),
            *("QtQml", "QtQuick", "QtQuickWidgets", "QtQuickControls2", "QtPdf", "QtPdfWidgets"),
            *("QtPrintSupport", "QtSql", "QtTest", "QtUiTools", "QtDesigner", "QtHelp", "QtXml"),
            *("QtConcurrent", "QtMultimedia", "QtWebEngineCore", "QtWebEngineWidgets"),
            *("QtCharts", "QtDataVisualization", "QtGraphs", "QtStateMachine"),
        ]
    ),
    # Other Qt bindings qasync knows about: never bundle two.
    "PyQt5",
    "PyQt6",
    "PySide2",
    # pygments' image formatter imports Pillow; the app only formats text.
    "PIL",
    # phonenumbers' geocoder, carrier and time-zone tables (≈ 45 MB of source): the app
    # parses and formats numbers only. Its PyInstaller hook collects every submodule.
    "phonenumbers.geocoder",
    "phonenumbers.geodata",
    "phonenumbers.carrier",
    "phonenumbers.carrierdata",
    "phonenumbers.timezone",
    "phonenumbers.tzdata",
    "tkinter",
    "_tkinter",
    "pydoc_data",
    "lib2to3",
    "ensurepip",
    "idlelib",
    "test",
]

# Plugin folder -> which plugins in it to keep (substrings of the file name); a folder not
# listed here is dropped whole (printsupport, sqldrivers, tls, networkinformation, generic,
# egldeviceintegrations, xcbglintegrations, wayland-graphics-integration-*, qmltooling…).
KEPT_PLUGINS: dict[str, tuple[str, ...]] = {
    # offscreen: --self-test and --screenshot; xcb and wayland: Linux desktops;
    # windows and cocoa: the other two systems.
    "platforms": ("offscreen", "xcb", "wayland", "qwindows", "cocoa"),
    # The desktop-portal theme (file dialogs in sandboxes, colour scheme) is small; the GTK3
    # one drags in GTK, GDK, Cairo, Pango and GLib.
    "platformthemes": ("xdgdesktopportal",),
    # Compose key / dead keys and IBus input methods: typing non-ASCII text on X11/Wayland.
    "platforminputcontexts": ("compose", "ibus"),
    "styles": ("",),  # Windows 11 and macOS native styles
    "iconengines": ("svg",),  # freedesktop icon themes are mostly SVG
    "imageformats": ("svg",),  # PNG is built into QtGui; the app shows no other images
    "wayland-shell-integration": ("xdg-shell",),
    "wayland-decoration-client": ("",),  # client-side title bars (GNOME's Wayland)
}

# Data under these folders is dropped (destination paths inside the bundle).
DROPPED_DATA_DIRS = (
    "PySide6/Qt/translations",  # the app is in English only
    "PySide6/translations",
    "pycountry/locales",  # 21 MB of country/language names in other languages; unused
)


def _parts(dest: str) -> tuple[str, ...]:
    return PurePosixPath(dest.replace("\\", "/")).parts


def qt_plugin(dest: str) -> tuple[str, str] | None:
    """``(folder, file name)`` when ``dest`` is a Qt plugin, else None."""
    parts = _parts(dest)
    for i, part in enumerate(parts[:-2]):
        if part == "plugins" and i >= 1 and parts[i - 1] == "Qt":
            return parts[i + 1], parts[-1]
    return None


def keep_binary(dest: str) -> bool:
    plugin = qt_plugin(dest)
    if plugin is None:
        return True
    folder, name = plugin
    wanted = KEPT_PLUGINS.get(folder)
    return wanted is not None and any(w in name for w in wanted)


def keep_data(dest: str) -> bool:
    path = "/".join(_parts(dest))
    if any(path == d or path.startswith(d + "/") for d in DROPPED_DATA_DIRS):
        return False
    plugin = qt_plugin(dest)  # some plugins arrive as data (e.g. .json metadata)
    return plugin is None or keep_binary(dest)


Entry = tuple[str, str, str]  # PyInstaller TOC entry: (dest, source, typecode)
ImportsOf = Callable[[str], Iterable[str]]


def _key(name: str) -> str:
    # Windows DLL names are case-insensitive; macOS names may be @rpath/...Framework/Name.
    base = os.path.basename(name.replace("\\", "/"))
    return base.lower() if os.name == "nt" else base


def prune_orphans(
    kept: list[Entry], dropped: list[Entry], imports_of: ImportsOf
) -> tuple[list[Entry], list[Entry]]:
    """Split ``kept`` into (still needed, orphans): an orphan is a library that a dropped
    binary needed (directly or not) and nothing kept needs."""
    by_key: dict[str, Entry] = {}
    for entry in kept:
        by_key.setdefault(_key(entry[0]), entry)

    def reach(roots: Iterable[Entry]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            entry = todo.pop()
            for name in imports_of(entry[1]):
                key = _key(name)
                if key in by_key and key not in seen:
                    seen.add(key)
                    todo.append(by_key[key])
        return seen

    pulled_in_by_dropped = reach(dropped)
    roots = [e for e in kept if _key(e[0]) not in pulled_in_by_dropped]
    still_needed = reach(roots) | {_key(e[0]) for e in roots}
    orphans = [e for e in kept if _key(e[0]) not in still_needed]
    survivors = [e for e in kept if _key(e[0]) in still_needed]
    return survivors, orphans


def _without_dangling_links(entries: list[Entry], present: set[str]) -> list[Entry]:
    """PyInstaller adds symbolic links (typecode SYMLINK, source = target relative to the
    link) for libraries it also keeps elsewhere; drop those whose target is gone."""
    kept = []
    for dest, src, kind in entries:
        if kind == "SYMLINK":
            target = os.path.normpath(os.path.join(os.path.dirname(dest), src))
            if target.replace("\\", "/") not in present:
                continue
        kept.append((dest, src, kind))
    return kept


def slim(
    binaries: list[Entry], datas: list[Entry], imports_of: ImportsOf
) -> tuple[list[Entry], list[Entry], list[str]]:
    """Apply the rules above; returns (binaries, datas, what was dropped, for the log)."""
    links = [e for e in binaries if e[2] == "SYMLINK"]
    files = [e for e in binaries if e[2] != "SYMLINK"]
    kept = [e for e in files if keep_binary(e[0])]
    dropped = [e for e in files if not keep_binary(e[0])]
    kept, orphans = prune_orphans(kept, dropped, imports_of)
    kept_datas = [e for e in datas if keep_data(e[0])]
    present = {"/".join(_parts(e[0])) for e in kept + kept_datas if e[2] != "SYMLINK"}
    kept_links = _without_dangling_links(links, present)
    kept_datas = _without_dangling_links(kept_datas, present)
    dropped_data_count = len(datas) - len(kept_datas)
    report = [f"plugin {e[0]}" for e in dropped] + [f"library {e[0]}" for e in orphans]
    report.append(f"{dropped_data_count} data files (translations, locales, plugins)")
    return kept + kept_links, kept_datas, report


def pyinstaller_imports_of(path: str) -> list[str]:
    """Link-time imports of a binary, as PyInstaller itself reads them (ldd, macholib, pefile)."""
    from PyInstaller.depend import bindepend

    try:
        return [name for name, _resolved in bindepend.get_imports(path)]
    except Exception as exc:  # a file PyInstaller cannot parse keeps what it has
        log.warning("could not read the imports of %s: %s", path, exc)
        return []
