"""Cold start: the app to a painted window against a bare PySide6 QMainWindow.

Run by hand: ``python tests/benchmarks/bench_startup.py [ROUNDS]``. Each round starts both,
alternating, as fresh processes, and times each from start to its screenshot on disk;
prints the medians and the ratio.
The app runs with --sandbox in a private data folder whose sandbox database was made once
before timing (as on any start after the first).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1440, 860)
window.show()
app.processEvents()
import os
window.grab().save(sys.argv[1] + ".partial.png")
os.replace(sys.argv[1] + ".partial.png", sys.argv[1])
"""


def timed(cmd: list[str], env: dict[str, str], png: Path) -> float:
    """Seconds from starting the process to its screenshot existing (both write it whole)."""
    png.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not png.exists():
            if proc.poll() is not None and not png.exists():
                raise SystemExit(f"{cmd[:3]} exited with {proc.returncode} and no screenshot")
            if time.perf_counter() - start > 120:
                raise SystemExit("no screenshot after 120 s")
            time.sleep(0.002)
        return time.perf_counter() - start
    finally:
        proc.wait(60)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "RAPIDPRO_EXPLORER_CONFIG_DIR": f"{tmp}/config",
            "RAPIDPRO_EXPLORER_DATA_DIR": f"{tmp}/data",
            "RAPIDPRO_EXPLORER_CACHE_DIR": f"{tmp}/cache",
            # Installed apps start from compiled bytecode; a development shell that sets
            # PYTHONDONTWRITEBYTECODE would recompile every module on every start instead.
            "PYTHONPYCACHEPREFIX": f"{tmp}/pycache",
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        app_cmd = [sys.executable, "-m", "explorer", "--sandbox", "--screenshot", f"{tmp}/app.png"]
        bare_cmd = [sys.executable, "-c", BARE, f"{tmp}/bare.png"]
        app_png, bare_png = Path(f"{tmp}/app.png"), Path(f"{tmp}/bare.png")
        first = timed(app_cmd, env, app_png)  # seeds the sandbox database, as a first run does
        print(f"first run (seeds the sandbox): {first:.2f} s")
        app_times, bare_times = [], []
        for _ in range(rounds):
            bare_times.append(timed(bare_cmd, env, bare_png))
            app_times.append(timed(app_cmd, env, app_png))
        app_med, bare_med = statistics.median(app_times), statistics.median(bare_times)
        for label, med, times in (
            ("bare QMainWindow", bare_med, bare_times),
            ("RapidPro Explorer", app_med, app_times),
        ):
            shown = ", ".join(f"{t:.2f}" for t in times)
            print(f"{label}: median {med:.3f} s  ({shown})")
        print(f"ratio app / bare: {app_med / bare_med:.2f}")


if __name__ == "__main__":
    main()
