"""Cold start: the app to a painted window against a bare PySide6 QMainWindow.

Run by hand: ``python tests/benchmarks/bench_startup.py [ROUNDS]``. Each round starts both,
alternating, as fresh processes, each writing a screenshot; prints the medians and the ratio.
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
window.grab().save(sys.argv[1])
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=120)
    return time.perf_counter() - start


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "RAPIDPRO_EXPLORER_CONFIG_DIR": f"{tmp}/config",
            "RAPIDPRO_EXPLORER_DATA_DIR": f"{tmp}/data",
            "RAPIDPRO_EXPLORER_CACHE_DIR": f"{tmp}/cache",
        }
        app_cmd = [sys.executable, "-m", "explorer", "--sandbox", "--screenshot", f"{tmp}/app.png"]
        bare_cmd = [sys.executable, "-c", BARE, f"{tmp}/bare.png"]
        first = timed(app_cmd, env)  # seeds the sandbox database, as a first run does
        print(f"first run (seeds the sandbox): {first:.2f} s")
        app_times, bare_times = [], []
        for _ in range(rounds):
            bare_times.append(timed(bare_cmd, env))
            app_times.append(timed(app_cmd, env))
        assert Path(f"{tmp}/app.png").stat().st_size > 0
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
