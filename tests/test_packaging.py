"""Packaging: the self-test, --version, the resources, the build's rules, and (slow) the
frozen app itself, built with build_spec/ as a release would be."""

from __future__ import annotations

import importlib.util
import os
import re
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from explorer import APP_NAME, __version__, resources

ROOT = Path(__file__).resolve().parent.parent
BUILD_SPEC = ROOT / "build_spec"


def _load(name: str) -> Any:
    """A build_spec module under a name of its own (``build`` would be PyPA's build)."""
    if str(BUILD_SPEC) not in sys.path:
        sys.path.insert(0, str(BUILD_SPEC))  # build.py imports its neighbours
    spec = importlib.util.spec_from_file_location(f"_build_spec_{name}", BUILD_SPEC / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load("build")
icons = _load("icon_files")
slim = _load("bundle_rules")


def run(*args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


# --- the self-test and --version from source ----------------------------------------------


def test_self_test_from_source_passes_and_touches_no_user_file(private_dirs: Path) -> None:
    done = run(sys.executable, "-m", "explorer", "--self-test")
    assert done.returncode == 0, done.stderr
    (summary,) = lines_starting(done.stdout, "self-test passed")
    assert "GET contacts 200" in summary and "POST groups 201" in summary
    assert "Traceback" not in done.stderr
    # The run used folders of its own: the (test's) user folders were never created.
    for sub in ("config", "data", "cache"):
        assert not (private_dirs / sub).exists() or not any((private_dirs / sub).iterdir())


def test_a_failing_self_test_exits_non_zero_with_one_line() -> None:
    code = (
        "import sys\n"
        "from explorer import cli\n"
        "from explorer.ui import self_test\n"
        "def broken():\n"
        "    raise OSError('port unavailable')\n"
        "self_test._start_sandbox = broken\n"
        "sys.exit(cli.main(['--self-test']))\n"
    )
    done = run(sys.executable, "-c", code)
    assert done.returncode == 1
    assert lines_starting(done.stderr, "self-test failed") == [
        "self-test failed: The sandbox could not start: port unavailable"
    ]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_module_missing_from_a_build_fails_the_self_test() -> None:
    """What a frozen build that missed a module looks like. The form's editors are imported
    on demand, inside a Qt slot, where only the self-test's hooks see the error."""
    code = (
        "import sys\n"
        "class Missing:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'explorer.ui.editors.date_editor':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Missing())\n"
        "from explorer import cli\n"
        "sys.exit(cli.main(['--self-test']))\n"
    )
    done = run(sys.executable, "-c", code)
    assert done.returncode == 1
    (line,) = lines_starting(done.stderr, "self-test failed")
    assert "ModuleNotFoundError: No module named 'explorer.ui.editors.date_editor'" in line


def test_self_test_takes_no_command() -> None:
    done = run(sys.executable, "-m", "explorer", "--self-test", "catalog")
    assert done.returncode == 2 and "--self-test takes no command" in done.stderr


def test_version_prints_app_qt_pyside6_and_httpx_versions() -> None:
    import httpx
    import PySide6
    from PySide6.QtCore import qVersion

    done = run(sys.executable, "-m", "explorer", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"rapidpro-explorer {__version__}",
        f"Qt {qVersion()}",
        f"PySide6 {PySide6.__version__}",
        f"httpx {httpx.__version__}",
    ]


def test_version_loads_no_widgets_and_no_httpx() -> None:
    code = (
        "import contextlib, io, sys\n"
        "from explorer import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    status = cli.main(['--version'])\n"
        "heavy = ['PySide6.QtWidgets', 'PySide6.QtGui', 'httpx', 'explorer.ui']\n"
        "print(status, [m for m in heavy if m in sys.modules])\n"
    )
    done = run(sys.executable, "-c", code)
    assert done.stdout.strip() == "0 []", done.stderr


def test_catalog_and_help_do_not_load_qt() -> None:
    code = (
        "import contextlib, io, sys\n"
        "from explorer import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['--help'])\n"
        "print([m for m in sys.modules if m.startswith('PySide6')])\n"
    )
    done = run(sys.executable, "-c", code)
    assert done.stdout.strip() == "[]", done.stderr


# --- resources ------------------------------------------------------------------------------


def test_resources_load_from_the_source_tree() -> None:
    assert resources.roots()[0] == ROOT / "resources"
    paths = resources.icon_paths()
    assert [p.name for p in paths] == [
        f"{resources.ICON_NAME}-{size}.png" for size in resources.ICON_SIZES
    ]
    for size, path in zip(resources.ICON_SIZES, paths, strict=True):
        assert icons.png_size(path.read_bytes()) == (size, size)
    assert resources.read_bytes("icons/rapidpro-explorer.svg").lstrip().startswith(b"<?xml")


def test_resource_names_stay_inside_the_resources() -> None:
    with pytest.raises(resources.ResourceNotFound):
        resources.path("icons/no-such-icon.png")
    for bad in ("../pyproject.toml", "icons/../../LICENSE", "", "/"):
        with pytest.raises(ValueError):
            resources.path(bad)


def test_about_dialog_shows_versions_licence_and_link(qtbot: Any) -> None:
    import httpx
    import PySide6
    from PySide6.QtCore import qVersion
    from PySide6.QtGui import QGuiApplication

    from explorer.ui.about_dialog import AboutDialog
    from explorer.ui.app_icon import app_icon

    assert not app_icon().isNull()
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    shown = dialog.versions_label.text()
    for version in (qVersion(), PySide6.__version__, httpx.__version__):
        assert version in shown
    assert APP_NAME in dialog.windowTitle()
    assert "BSD 3-Clause" in dialog.link_label.text()
    assert resources.PROJECT_URL in dialog.link_label.text()
    assert dialog.link_label.openExternalLinks()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text().startswith(f"{APP_NAME} {__version__}\nQt ")


# --- what the packages carry -----------------------------------------------------------------


def test_desktop_entry_and_metainfo_agree_with_the_app() -> None:
    linux = ROOT / "resources" / "linux"
    entry = (linux / f"{resources.APP_ID}.desktop").read_text("utf-8")
    fields = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line)
    assert fields["Exec"] == "rapidpro-explorer"
    assert fields["Icon"] == resources.ICON_NAME
    assert fields["Name"] == APP_NAME

    meta = ET.parse(linux / f"{resources.APP_ID}.metainfo.xml").getroot()
    assert meta.findtext("id") == resources.APP_ID
    assert meta.findtext("launchable") == f"{resources.APP_ID}.desktop"
    assert meta.findtext("url[@type='homepage']") == resources.PROJECT_URL
    releases = [r.get("version") for r in meta.iterfind("releases/release")]
    assert __version__ in releases, "add a <release> for this version to the metainfo file"


def test_windows_and_macos_icons_hold_the_pngs(tmp_path: Path) -> None:
    pngs = icons.read_pngs(ROOT / "resources" / "icons", resources.ICON_NAME, resources.ICON_SIZES)
    ico = icons.make_ico(pngs, tmp_path / "app.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count == len(icons.ICO_SIZES)
    width, _h, _c, _r, _p, _bits, length, offset = struct.unpack("<BBBBHHII", ico[6:22])
    assert width == 16 and ico[offset : offset + length] == pngs[16]

    icns = icons.make_icns(pngs, tmp_path / "app.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"ic08" in icns and b"ic09" in icns and pngs[256] in icns


def test_slim_keeps_the_platforms_the_app_needs_and_drops_the_rest() -> None:
    plugins = "PySide6/Qt/plugins/"
    for kept in ("platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqoffscreen.so"):
        assert slim.keep_binary(plugins + kept), kept
    assert slim.keep_binary("PySide6\\Qt\\plugins\\platforms\\qwindows.dll")
    assert slim.keep_binary(plugins + "platforms/libqcocoa.dylib")
    assert slim.keep_binary(plugins + "styles/qmodernwindowsstyle.dll")
    for dropped in (
        "platformthemes/libqgtk3.so",
        "imageformats/libqjpeg.so",
        "tls/libqopensslbackend.so",
        "sqldrivers/libqsqlite.so",
        "platforms/libqvnc.so",
        "xcbglintegrations/libqxcb-glx-integration.so",
    ):
        assert not slim.keep_binary(plugins + dropped), dropped
    assert not slim.keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert not slim.keep_data("pycountry/locales/de/LC_MESSAGES/iso3166-1.mo")
    assert slim.keep_data("pycountry/databases/iso639-3.json")


def test_slim_drops_the_libraries_only_a_dropped_plugin_needed() -> None:
    imports = {
        "/src/libqgtk3.so": ["libgtk-3.so.0", "libglib-2.0.so.0", "libQt6Gui.so.6"],
        "/src/libgtk-3.so.0": ["libcairo.so.2", "libglib-2.0.so.0"],
        "/src/libqxcb.so": ["libQt6Gui.so.6", "libxcb.so.1"],
        "/src/libQt6Gui.so.6": ["libglib-2.0.so.0"],
    }
    binaries = [
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/src/libqgtk3.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("libgtk-3.so.0", "/src/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "/src/libcairo.so.2", "BINARY"),
        ("libglib-2.0.so.0", "/src/libglib-2.0.so.0", "BINARY"),
        ("libxcb.so.1", "/src/libxcb.so.1", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/src/libQt6Gui.so.6", "BINARY"),
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libQt6Gtk.so.6", "PySide6/Qt/lib/libQt6Gtk.so.6", "SYMLINK"),
        ("libhook-added.so", "/src/libhook-added.so", "BINARY"),  # nothing links it: kept
    ]
    kept, _datas, _report = slim.slim(binaries, [], lambda src: imports.get(src, []))
    names = {dest for dest, _src, _kind in kept}
    assert names == {
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "libglib-2.0.so.0",  # Qt itself needs it
        "libxcb.so.1",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "libQt6Gui.so.6",
        "libhook-added.so",
    }


def test_debian_package_layout(tmp_path: Path) -> None:
    bundle = tmp_path / "rapidpro-explorer"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "rapidpro-explorer").write_bytes(b"#!/bin/sh\n")
    (bundle / "rapidpro-explorer").chmod(0o700)
    (bundle / "_internal" / "data.txt").write_text("x")
    root = tmp_path / "root"
    build.deb_tree(bundle, root)
    launcher = root / "usr/bin/rapidpro-explorer"
    assert launcher.is_symlink()
    assert os.readlink(launcher) == "/opt/rapidpro-explorer/rapidpro-explorer"
    assert (root / "opt/rapidpro-explorer/rapidpro-explorer").stat().st_mode & 0o777 == 0o755
    assert (root / "opt/rapidpro-explorer/_internal/data.txt").stat().st_mode & 0o777 == 0o644
    share = root / "usr/share"
    assert (share / f"applications/{resources.APP_ID}.desktop").is_file()
    assert (share / f"metainfo/{resources.APP_ID}.metainfo.xml").is_file()
    assert (share / "icons/hicolor/48x48/apps/rapidpro-explorer.png").is_file()
    assert (share / "icons/hicolor/scalable/apps/rapidpro-explorer.svg").is_file()
    assert (share / "doc/rapidpro-explorer/copyright").is_file()

    control = build.control_text("1.0rc1", "amd64", ["libc6 (>= 2.36)", "libgl1"], 1234)
    assert "Version: 1.0~rc1\n" in control and "Depends: libc6 (>= 2.36), libgl1\n" in control
    assert re.search(r"^Description: .+\n( .+\n)+$", control, re.MULTILINE)
    assert build.library_package_name("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert build.library_package_name("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"


# --- the frozen app ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_frozen_app_passes_its_self_test(tmp_path: Path) -> None:
    """Build the one-folder app as a release does (build_spec/build.py) and run it."""
    pytest.importorskip("PyInstaller", reason="pip install -e '.[test]' brings PyInstaller")
    started = time.perf_counter()
    dist, work = tmp_path / "dist", tmp_path / "work"
    built = run(
        sys.executable,
        str(BUILD_SPEC / "build.py"),
        "--bundle-only",
        "--no-self-test",
        "--dist",
        str(dist),
        "--work",
        str(work),
        timeout=1200,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    bundle = dist / (f"{APP_NAME}.app" if sys.platform == "darwin" else "rapidpro-explorer")
    app = build.executable(bundle)
    built_in = time.perf_counter() - started

    tested = run(str(app), "--self-test", timeout=180)
    assert tested.returncode == 0, tested.stderr
    assert lines_starting(tested.stdout, "self-test passed"), tested.stdout

    version = run(str(app), "--version", timeout=60)
    assert version.returncode == 0 and "httpx " in version.stdout, version.stderr

    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    assert any(f.endswith(f"explorer/assets/icons/{resources.ICON_NAME}-256.png") for f in files)
    unwanted = ("libqgtk3", "libgtk-3", "Qt/translations", "pycountry/locales", "QtNetwork")
    assert not [f for f in files if any(u in f for u in unwanted)]
    print(  # a figure for the README, shown with -s
        f"\nfrozen app: built in {built_in:.0f} s, {build.size_mb(bundle):.0f} MB; "
        f"self-test and --version in {time.perf_counter() - started - built_in:.1f} s"
    )
