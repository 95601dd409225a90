"""Build RapidPro Explorer's bundle and packages for this system: one command,

    python build_spec/build.py

run with the Python of a virtualenv that has the app and PyInstaller installed
(``pip install . -r build_spec/requirements.txt``). It writes to ``dist/``:

- Linux: ``rapidpro-explorer/`` (the one-folder app), ``rapidpro-explorer-VERSION-linux-ARCH
  .tar.gz`` of it, and ``rapidpro-explorer_VERSION_ARCH.deb`` (installs under
  /opt/rapidpro-explorer, with /usr/bin/rapidpro-explorer, a menu entry and icons).
- Windows: ``rapidpro-explorer/``, a .zip of it, and with Inno Setup 6 installed
  ``rapidpro-explorer-VERSION-setup.exe`` (build_spec/windows/rapidpro-explorer.iss).
- macOS: ``RapidPro Explorer.app`` and ``RapidPro-Explorer-VERSION.dmg``
  (build_spec/macos/make_dmg.sh).

The built app runs its own ``--self-test`` before anything is packaged. The bundle holds the
libraries of the machine it was built on: build on the oldest system you support.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build_spec" / "rapidpro-explorer.spec"
NAME = "rapidpro-explorer"
MAINTAINER = "RapidPro Explorer developers <maintainers@rapidpro-explorer.invalid>"
SELF_TEST_TIMEOUT = 180  # seconds; the app's own limit is 60 s, a cold first start is slow

sys.path[:0] = [str(ROOT), str(ROOT / "build_spec")]
import icon_files  # noqa: E402  (build_spec/icon_files.py)

from explorer import APP_NAME, __version__  # noqa: E402
from explorer.resources import APP_ID, ICON_NAME, ICON_SIZES, PROJECT_URL  # noqa: E402


def say(text: str) -> None:
    print(f"build: {text}", flush=True)  # noqa: T201 - a build script reports progress


# --- the bundle ---------------------------------------------------------------------------


def build_bundle(dist: Path, work: Path) -> Path:
    """Run PyInstaller on the spec; returns the bundle (the folder, or the .app on macOS)."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit(
            "build: PyInstaller is not installed in this Python: "
            f"{sys.executable} -m pip install -r build_spec/requirements.txt"
        ) from None
    started = time.perf_counter()
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    say("PyInstaller: " + " ".join(command[3:]))
    subprocess.run(command, check=True, cwd=ROOT)
    bundle = dist / (f"{APP_NAME}.app" if sys.platform == "darwin" else NAME)
    say(f"bundle {bundle} ({size_mb(bundle):.0f} MB) in {time.perf_counter() - started:.0f} s")
    return bundle


def executable(bundle: Path) -> Path:
    if sys.platform == "darwin":
        return bundle / "Contents" / "MacOS" / NAME
    return bundle / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def self_test(bundle: Path) -> None:
    """The frozen app opens its window on the sandbox and sends a GET and a POST."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    done = subprocess.run(
        [str(executable(bundle)), "--self-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=SELF_TEST_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"build: the built app failed its self-test:\n{done.stderr.strip()}")
    say((done.stdout.strip() or "self-test passed").splitlines()[-1])


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    total = sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())
    return total / 1e6


# --- Linux: .tar.gz and .deb ----------------------------------------------------------------


def machine() -> str:
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(
        platform.machine().lower(), platform.machine()
    )


def make_tarball(bundle: Path, out: Path) -> Path:
    """The folder as ``rapidpro-explorer-VERSION/``, owned by root, symlinks kept."""

    def reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{NAME}-{__version__}", filter=reset)
    say(f"archive {out.name} ({size_mb(out):.0f} MB)")
    return out


def debian_version(version: str) -> str:
    """PEP 440 to Debian: pre-releases sort before the release (``1.0rc1`` → ``1.0~rc1``)."""
    return re.sub(r"\.?(a|b|rc|dev)(\d*)", r"~\1\2", version)


def debian_arch() -> str:
    try:
        return subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine(), machine())


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def needed_libraries(path: Path) -> set[str]:
    out = subprocess.run(
        ["readelf", "-d", str(path)], capture_output=True, text=True, check=False
    ).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


def system_library_paths() -> dict[str, str]:
    """``{soname: path}`` from the dynamic linker's cache (this machine's architecture)."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if match and ("x86-64" in match[2]) == (machine() == "x86_64"):
            found.setdefault(match[1], match[3])
    return found


def owning_package(path: str) -> str | None:
    for candidate in dict.fromkeys([path, os.path.realpath(path), _toggle_usr(path)]):
        done = subprocess.run(
            ["dpkg", "-S", candidate], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            return done.stdout.split(":", 1)[0].strip()
    return None


def _toggle_usr(path: str) -> str:
    return path[4:] if path.startswith("/usr/") else "/usr" + path


def library_package_name(soname: str) -> str:
    """Debian's name for the package of a shared library: ``libfoo.so.4`` → ``libfoo4``,
    ``libfoo2.so.1`` → ``libfoo2-1`` (policy §8.1)."""
    base, _, version = soname.partition(".so.")
    version = version.split(".")[0]
    if not version:
        return base.lower()
    separator = "-" if base[-1:].isdigit() else ""
    return f"{base}{separator}{version}".lower().replace("_", "-")


def debian_depends(bundle: Path) -> list[str]:
    """The packages providing the libraries the bundle links to but does not carry."""
    elves = elf_files(bundle)
    carried = {p.name for p in bundle.rglob("*")}
    wanted = set().union(*(needed_libraries(p) for p in elves)) - carried
    system = system_library_paths()
    packages: set[str] = set()
    for soname in sorted(wanted):
        path = system.get(soname)
        package = owning_package(path) if path else None
        if package is None:
            # Not on this machine (a plugin's optional library, e.g. the xcb plugin's
            # libxcb-icccm): Debian names library packages after the soname.
            package = library_package_name(soname)
            say(f"note: {soname} is not installed here; depending on {package} by its name")
        packages.add(package)
    glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    depends = []
    for package in sorted(packages):
        if package == "libc6" and glibc.startswith("glibc "):
            depends.append(f"libc6 (>= {glibc.split()[1]})")
        else:
            depends.append(package)
    return depends


def control_text(version: str, arch: str, depends: list[str], installed_kb: int) -> str:
    description = (
        "desktop explorer for the RapidPro REST API v2\n"
        " Forms for every endpoint of the RapidPro (and TextIt) API v2, the exact request\n"
        " before it is sent (and as curl, httpx or rapidpro-python code), and a built-in\n"
        " sandbox that answers like RapidPro, so it works with no account at all."
    )
    fields = {
        "Package": NAME,
        "Version": debian_version(version),
        "Architecture": arch,
        "Maintainer": MAINTAINER,
        "Installed-Size": str(installed_kb),
        "Depends": ", ".join(depends),
        "Section": "devel",
        "Priority": "optional",
        "Homepage": PROJECT_URL,
        "Description": description,
    }
    return "".join(f"{k}: {v}\n" for k, v in fields.items() if v)


def deb_tree(bundle: Path, root: Path) -> None:
    """Lay out the package's files under ``root`` (the future ``/``)."""
    if root.exists():
        shutil.rmtree(root)
    opt = root / "opt" / NAME
    shutil.copytree(bundle, opt, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / NAME).symlink_to(f"/opt/{NAME}/{NAME}")
    share = root / "usr" / "share"
    resources = ROOT / "resources"
    install(resources / "linux" / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    install(
        resources / "linux" / f"{APP_ID}.metainfo.xml",
        share / "metainfo" / f"{APP_ID}.metainfo.xml",
    )
    hicolor = share / "icons" / "hicolor"
    for size in ICON_SIZES:
        install(
            resources / "icons" / f"{ICON_NAME}-{size}.png",
            hicolor / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png",
        )
    install(
        resources / "icons" / f"{ICON_NAME}.svg", hicolor / "scalable" / "apps" / f"{ICON_NAME}.svg"
    )
    install(ROOT / "LICENSE", share / "doc" / NAME / "copyright")
    for path in [root, *root.rglob("*")]:  # dpkg-deb wants sane modes, whatever the umask
        if path.is_symlink():
            continue
        if path.is_dir() or os.access(path, os.X_OK):
            path.chmod(0o755)
        else:
            path.chmod(0o644)


def install(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def make_deb(bundle: Path, work: Path, out_dir: Path) -> Path:
    if shutil.which("dpkg-deb") is None:
        raise SystemExit("build: dpkg-deb is needed for the .deb (apt-get install dpkg)")
    root = work / "deb-root"
    deb_tree(bundle, root)
    arch = debian_arch()
    installed_kb = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir()) // 1024
    depends = debian_depends(bundle)
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(
        control_text(__version__, arch, depends, installed_kb), "utf-8"
    )
    out = out_dir / f"{NAME}_{debian_version(__version__)}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    say(f"package {out.name} ({size_mb(out):.0f} MB), Depends: {', '.join(depends)}")
    return out


# --- Windows and macOS ------------------------------------------------------------------------


def find_iscc() -> str | None:
    found = shutil.which("ISCC") or shutil.which("iscc")
    if found:
        return found
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        candidate = Path(base or "") / "Inno Setup 6" / "ISCC.exe"
        if base and candidate.is_file():
            return str(candidate)
    return None


def make_windows_installer(bundle: Path, dist: Path, work: Path) -> Path | None:
    archive = shutil.make_archive(
        str(dist / f"{NAME}-{__version__}-windows-{machine().lower()}"),
        "zip",
        bundle.parent,
        bundle.name,
    )
    say(f"archive {Path(archive).name} ({size_mb(Path(archive)):.0f} MB)")
    iscc = find_iscc()
    if iscc is None:
        say("Inno Setup's ISCC.exe not found: no installer (https://jrsoftware.org/isinfo.php)")
        return None
    script = ROOT / "build_spec" / "windows" / f"{NAME}.iss"
    pngs = icon_files.read_pngs(ROOT / "resources" / "icons", ICON_NAME, ICON_SIZES)
    ico = icon_files.make_ico(pngs, work / f"{ICON_NAME}.ico")
    subprocess.run(
        [
            iscc,
            f"/DAppVersion={__version__}",
            f"/DSourceDir={bundle}",
            f"/DOutputDir={dist}",
            f"/DIconFile={ico}",
            f"/DAppURL={PROJECT_URL}",
            str(script),
        ],
        check=True,
    )
    out = dist / f"{NAME}-{__version__}-setup.exe"
    say(f"installer {out.name} ({size_mb(out):.0f} MB)")
    return out


def make_dmg(bundle: Path, dist: Path) -> Path:
    out = dist / f"{APP_NAME.replace(' ', '-')}-{__version__}.dmg"
    script = ROOT / "build_spec" / "macos" / "make_dmg.sh"
    subprocess.run(["bash", str(script), str(bundle), str(out)], check=True)
    say(f"disk image {out.name} ({size_mb(out):.0f} MB)")
    return out


# --- the command --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument(
        "--work",
        type=Path,
        default=ROOT / "build" / "pyinstaller",
        help="PyInstaller's work folder",
    )
    parser.add_argument(
        "--bundle-only", action="store_true", help="build and test the app folder, package nothing"
    )
    parser.add_argument(
        "--no-self-test", action="store_true", help="skip the built app's self-test"
    )
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    started = time.perf_counter()
    bundle = build_bundle(dist, work)
    if not args.no_self_test:
        self_test(bundle)
    if not args.bundle_only:
        if sys.platform == "win32":
            make_windows_installer(bundle, dist, work)
        elif sys.platform == "darwin":
            make_dmg(bundle, dist)
        else:
            make_tarball(bundle, dist / f"{NAME}-{__version__}-linux-{machine()}.tar.gz")
            make_deb(bundle, work, dist)
    say(f"done in {time.perf_counter() - started:.0f} s: see {dist}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
