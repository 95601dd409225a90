"""Cold start: the app to a painted window against a bare PySide6 QMainWindow.

Run by hand: ``python tests/benchmarks/bench_startup.py [ROUNDS]``. Each round starts, in
turn, a bare QMainWindow, a small hand-built window (a tree of 40 rows, a nine-field form, a
text box, a label of text; for scale: what any real first screen costs on top of a bare
one), the bare window after setting up the Qt classes the app's first screen uses, and the
app, as fresh processes, and times each from start to its screenshot on disk; prints the
medians and the ratios to the bare window.

PySide6 makes each Qt class (and its Python enums: the ``Qt`` namespace alone has about
2,000 members) on first use. The third run pays exactly that for the classes the app had
made by its first paint, read from one spied-on app run before timing, and nothing else:
a floor no first screen built from those widgets can go below.

All are shown, given one processEvents() and grabbed the same way. The app runs with
--sandbox in a private data folder whose sandbox database was made once before timing (as
on any start after the first); it writes its screenshot at the first paint and starts the
sandbox afterwards.
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

CLASSES_SPY = """
import sys
import explorer.ui.app as app
from explorer.cli import main

real = app._screenshot

def spy(window, path):
    from PySide6 import QtCore, QtGui, QtWidgets
    # PySide6 adds a class to its module's namespace once it has made it.
    for module in (QtCore, QtGui, QtWidgets):
        made = (name for name, value in vars(module).items() if isinstance(value, type))
        print(*(f"{module.__name__}.{name}" for name in made), sep="\\n")
    return real(window, path)

app._screenshot = spy
sys.exit(main(["--sandbox", "--screenshot", sys.argv[1]]))
"""

# The bare window, after making each class named in CLASSES (set in front of this script).
BARE_WITH_CLASSES = BARE.replace(
    "window = QMainWindow()",
    """import importlib
for name in CLASSES:
    module, _, attribute = name.rpartition(".")
    getattr(importlib.import_module(module), attribute)
window = QMainWindow()""",
)
assert BARE_WITH_CLASSES != BARE

SMALL = """
import os, sys
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication, QComboBox, QFormLayout, QLabel, QLineEdit, QMainWindow, QPlainTextEdit,
    QPushButton, QSplitter, QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1440, 860)
splitter = QSplitter(Qt.Orientation.Horizontal)
tree = QTreeWidget()
for g in range(8):
    top = QTreeWidgetItem(tree, [f"Group {g}"])
    for i in range(4):
        QTreeWidgetItem(top, [f"endpoint_{g}_{i}"])
tree.expandAll()
splitter.addWidget(tree)
form_page = QWidget()
form = QFormLayout(form_page)
for i in range(8):
    form.addRow(f"param{i}", QLineEdit(placeholderText="e.g. something"))
form.addRow("choice", QComboBox())
tabs = QTabWidget()
tabs.addTab(form_page, "Form")
tabs.addTab(QWidget(), "Raw")
splitter.addWidget(tabs)
side = QWidget()
column = QVBoxLayout(side)
label = QLabel("Documentation " * 40)
label.setWordWrap(True)
label.setAlignment(Qt.AlignmentFlag.AlignTop)
column.addWidget(label)
column.addWidget(QPlainTextEdit("GET https://example.org/api/v2/contacts.json"))
column.addWidget(QPushButton("Send"))
splitter.addWidget(side)
window.setCentralWidget(splitter)
window.menuBar().addMenu("&File")
window.show()
app.processEvents()
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


def app_classes(env: dict[str, str], png: Path) -> list[str]:
    """The PySide6 classes the app has made by the time it takes its screenshot."""
    done = subprocess.run(
        [sys.executable, "-c", CLASSES_SPY, str(png)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if line.startswith("PySide6.")]


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
        app_run = [sys.executable, "-m", "explorer", "--sandbox", "--screenshot"]
        png = Path(tmp) / "shot.png"
        first = timed([*app_run, str(png)], env, png)  # makes the database
        print(f"first run (the sandbox database is made after the screenshot): {first:.2f} s")
        classes = app_classes(env, png)
        runs = {
            "bare QMainWindow": [sys.executable, "-c", BARE],
            "small hand-built window": [sys.executable, "-c", SMALL],
            f"bare QMainWindow + the {len(classes)} Qt classes of the app's first screen": [
                sys.executable,
                "-c",
                f"CLASSES = {classes!r}\n{BARE_WITH_CLASSES}",
            ],
            "RapidPro Explorer": app_run,
        }
        times: dict[str, list[float]] = {label: [] for label in runs}
        for _ in range(rounds):
            for label, cmd in runs.items():
                times[label].append(timed([*cmd, str(png)], env, png))
        bare = statistics.median(times["bare QMainWindow"])
        for label, values in times.items():
            median = statistics.median(values)
            shown = ", ".join(f"{t:.2f}" for t in values)
            print(f"{label}: median {median:.3f} s, {median / bare:.2f}x bare  ({shown})")
        app = statistics.median(times["RapidPro Explorer"])
        print(f"ratio app / bare: {app / bare:.2f}")

if __name__ == "__main__":
    main()
