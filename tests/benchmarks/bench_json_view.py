"""Big bodies in JsonView: first screen, full index, GUI stalls, memory; and a baseline.

Run by hand: ``python tests/benchmarks/bench_json_view.py [ROUNDS]`` (offscreen, a
1000×700 window). Each case runs ROUNDS times (the 100 MB one fewer), each round in a fresh
process so memory figures are its own; the medians are printed side by side:

- 1.4 MB: a pretty-printed contacts page; JsonView against QPlainTextEdit.setPlainText of the
  same text (time until each has painted its first screen), and the ratio;
- 14 MB and 100 MB: compact contacts pages, as RapidPro sends them.

"Worst gap" is the longest wait between ticks of a 10 ms heartbeat timer while a phase ran:
loading (until fully indexed), searching (until the count is final), scrolling (paging
through 100 screens, then Ctrl+End). RSS growth is measured from before the body existed
(so it includes the body) to the peak during the load, as a multiple of the body size.
It also writes /tmp/json_view.png and /tmp/json_view_dark.png of a contacts page.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WIDTH, HEIGHT = 1000, 700
SEARCH = "whatsapp:25070"


def contact(i: int, rnd: random.Random) -> dict[str, Any]:
    """A contact shaped like RapidPro's /api/v2/contacts.json results."""
    return {
        "uuid": f"{rnd.getrandbits(128):032x}",
        "name": rnd.choice(
            [
                "Ngozi Okafor",
                "Jean-Claude",
                "Ana María",
                'Amani "Ami" K.',
                "Софья",
                "李雷",
                "Fatima 🌍",
            ]
        ),
        "status": "active",
        "language": rnd.choice(["eng", "fra", "kin", None]),
        "urns": [f"tel:+25070{i:07d}", f"whatsapp:25070{i:07d}"],
        "groups": [{"uuid": f"{rnd.getrandbits(128):032x}", "name": "Customers"}] if i % 3 else [],
        "notes": [],
        "fields": {
            "age": str(18 + i % 60),
            "district": rnd.choice(["Gasabo", "Kicukiro"]),
            "score": round(rnd.random() * 100, 2),
            "nickname": None,
        },
        "flow": {"uuid": f"{rnd.getrandbits(128):032x}", "name": "Registration"}
        if i % 5 == 0
        else None,
        "created_on": f"2024-03-0{1 + i % 9}T10:{i % 60:02d}:12.345678Z",
        "modified_on": f"2025-01-1{i % 10}T08:{i % 60:02d}:00.000001Z",
        "last_seen_on": None if i % 4 else "2025-02-01T00:00:00.000000Z",
        "blocked": False,
        "stopped": i % 11 == 0,
    }


def contacts_body(size: int, *, indent: int | None) -> bytes:
    """A contacts page of about ``size`` bytes, compact or indented."""
    rnd = random.Random(5)
    sep = (",", ":") if indent is None else None
    parts: list[bytes] = []
    total, i = 0, 0
    while total < size:
        item = json.dumps(contact(i, rnd), ensure_ascii=False, indent=indent, separators=sep)
        if indent:
            item = "\n".join(" " * (2 * indent) + line for line in item.splitlines())
        data = item.encode()
        parts.append(data)
        total += len(data) + 2
        i += 1
    head = {"next": "https://rapidpro.example/api/v2/contacts.json?cursor=cD0y", "previous": None}
    if indent is None:
        return (
            (json.dumps(head, separators=sep)[:-1] + ',"results":[').encode()
            + b",".join(parts)
            + b"]}"
        )
    opening = json.dumps(head, indent=indent)[:-2] + ',\n  "results": [\n'
    return opening.encode() + b",\n".join(parts) + b"\n  ]\n}"


def body_path(size: int, indent: int | None) -> str:
    return os.path.join(tempfile.gettempdir(), f"bench_json_view_{size}_{indent or 0}.json")


def read_body(size: int, indent: int | None) -> bytes:
    path = body_path(size, indent)
    if not os.path.exists(path):
        data = contacts_body(size, indent=indent)
        with open(path + ".partial", "wb") as f:
            f.write(data)
        os.replace(path + ".partial", path)
    with open(path, "rb") as f:
        return f.read()


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


class Heartbeat:
    """A 10 ms timer; remembers when it ticked so the longest gap in a window can be read.

    Each tick also notes the GUI thread's CPU time: a gap in which the thread used little CPU
    was another process's doing (this machine is shared), not a stall of ours.
    """

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[tuple[float, float]] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(
            lambda: self.ticks.append((time.perf_counter(), time.thread_time()))
        )
        self.timer.start()

    @staticmethod
    def mark() -> tuple[float, float]:
        return time.perf_counter(), time.thread_time()

    def worst_gap(
        self, start: tuple[float, float], end: tuple[float, float]
    ) -> tuple[float, float]:
        """In the window between two marks: the longest wall-clock wait between ticks, and
        the longest CPU time the GUI thread spent between two ticks (the loop kept busy)."""
        points = [start, *(t for t in self.ticks if start[0] <= t[0] <= end[0]), end]
        wall = max(b[0] - a[0] for a, b in itertools.pairwise(points))
        cpu = max(b[1] - a[1] for a, b in itertools.pairwise(points))
        return wall, cpu


def pump_until(app: Any, done: Any, timeout: float) -> None:
    from PySide6.QtCore import QEventLoop

    end = time.perf_counter() + timeout
    while not done() and time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)


def run_view_case(size: int, indent: int | None) -> dict[str, float]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from explorer.ui.json_view import JsonView

    app = QApplication.instance() or QApplication([])
    view = JsonView()
    view.resize(WIDTH, HEIGHT)
    view.show()
    beat = Heartbeat()
    pump_until(app, lambda: False, 0.3)
    gc.collect()
    before_body = rss()
    body = read_body(size, indent)  # one allocation: no garbage left from making it
    reset_peak()
    out: dict[str, float] = {"size": len(body)}

    m0 = beat.mark()
    t0 = m0[0]
    view.load(body)
    pump_until(app, view.is_finished, 300)
    pump_until(app, lambda: view.first_paint_at > 0, 10)
    m1 = beat.mark()
    out["first_paint"] = view.first_paint_at - t0
    out["indexed"] = view.finished_at - t0 if view.finished_at else m1[0] - t0
    out["gap_load"], out["cpu_load"] = beat.worst_gap(m0, m1)
    out["rss_growth"] = (max(peak_rss(), rss()) - before_body) / len(body)
    out["rows"] = view.row_count()

    done: dict[str, float] = {"n": -1, "t": 0.0}

    def searched(n: int) -> None:
        done["n"] = n
        done["t"] = time.perf_counter()

    view.search_finished.connect(searched)
    m0 = beat.mark()
    view.find(SEARCH)
    pump_until(app, lambda: done["n"] >= 0, 120)
    pump_until(app, lambda: False, 0.05)  # and what the last match's painting costs
    m1 = beat.mark()
    out["search"] = done["t"] - m0[0]
    out["matches"] = done["n"]
    out["gap_search"], out["cpu_search"] = beat.worst_gap(m0, m1)

    area = view.area
    area.setFocus()
    QTest.keyClick(area, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    pump_until(app, lambda: False, 0.1)
    steps: list[float] = []
    m0 = beat.mark()
    for _ in range(100):
        s = time.perf_counter()
        QTest.keyClick(area, Qt.Key.Key_PageDown)
        area.viewport().repaint()
        app.processEvents()
        steps.append(time.perf_counter() - s)
    s = time.perf_counter()
    QTest.keyClick(area, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    area.viewport().repaint()
    app.processEvents()
    out["to_end"] = time.perf_counter() - s
    pump_until(app, lambda: False, 0.05)
    m1 = beat.mark()
    out["page_step"] = max(steps)
    out["gap_scroll"], out["cpu_scroll"] = beat.worst_gap(m0, m1)
    out["at_end"] = float(area.top_row() + area.page_rows() >= view.row_count())
    view.close()
    return out


def run_baseline(size: int) -> dict[str, float]:
    from PySide6.QtGui import QFontDatabase
    from PySide6.QtWidgets import QApplication, QPlainTextEdit

    app = QApplication.instance() or QApplication([])
    painted = {"t": 0.0}

    class Edit(QPlainTextEdit):
        def paintEvent(self, event: Any) -> None:
            super().paintEvent(event)
            if self.document().characterCount() > 1 and not painted["t"]:
                painted["t"] = time.perf_counter()

    edit = Edit()
    edit.setReadOnly(True)
    edit.setUndoRedoEnabled(False)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    edit.resize(WIDTH, HEIGHT)
    edit.show()
    beat = Heartbeat()
    pump_until(app, lambda: False, 0.3)
    text = read_body(size, 2).decode()
    m0 = beat.mark()
    edit.setPlainText(text)
    pump_until(app, lambda: painted["t"] > 0, 60)
    m1 = beat.mark()
    pump_until(app, lambda: False, 0.05)
    gap, cpu = beat.worst_gap(m0, m1)
    return {
        "size": len(text.encode()),
        "first_paint": painted["t"] - m0[0],
        "gap_load": gap,
        "cpu_load": cpu,
    }


def screenshots() -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    from explorer.ui.json_view import JsonView

    app = QApplication.instance() or QApplication([])
    app.setStyle("Fusion")
    body = contacts_body(40_000, indent=None)
    for path, dark in (("/tmp/json_view.png", False), ("/tmp/json_view_dark.png", True)):
        if dark:
            pal = QPalette()
            for role, colour in (
                (QPalette.ColorRole.Window, "#2b2b2b"),
                (QPalette.ColorRole.WindowText, "#e6e6e6"),
                (QPalette.ColorRole.Base, "#1e1e1e"),
                (QPalette.ColorRole.Text, "#e6e6e6"),
                (QPalette.ColorRole.Button, "#353535"),
                (QPalette.ColorRole.ButtonText, "#e6e6e6"),
                (QPalette.ColorRole.Highlight, "#264f78"),
                (QPalette.ColorRole.HighlightedText, "#ffffff"),
            ):
                pal.setColor(role, QColor(colour))
            app.setPalette(pal)
        view = JsonView()
        view.resize(WIDTH, HEIGHT)
        view.show()
        view.load(body)
        pump_until(app, view.is_finished, 10)
        view.find("Customers")
        pump_until(app, lambda: False, 0.3)
        view.grab().save(path)
        view.close()
        print(f"wrote {path}")


def child(argv: list[str]) -> None:
    kind, size = argv[0], int(argv[1])
    if kind == "baseline":
        result = run_baseline(size)
    else:
        result = run_view_case(size, 2 if kind == "pretty" else None)
    print("RESULT " + json.dumps(result), flush=True)


def run_child(kind: str, size: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(size)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{kind} {size} failed:\n{proc.stdout}\n{proc.stderr}")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    load = os.getloadavg()
    print(
        f"{os.cpu_count()} cores; load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    cases = [
        ("baseline", 1_400_000, rounds),
        ("pretty", 1_400_000, rounds),
        ("compact", 14_000_000, rounds),
        ("compact", 100_000_000, max(1, rounds - 2)),
    ]
    for kind, size, _n in cases:  # made once, before any timing, and kept in the temp folder
        read_body(size, 2 if kind != "compact" else None)
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    for r in range(max(n for _, _, n in cases)):
        for kind, size, n in cases:  # interleaved, so a busy moment does not hit one case
            if r < n:
                results.setdefault((kind, size), []).append(run_child(kind, size))
    med = {k: {f: statistics.median(d[f] for d in v) for f in v[0]} for k, v in results.items()}
    ms = 1000.0
    base = med[("baseline", 1_400_000)]
    columns = [  # (heading, field, scale, decimals)
        ("size MB", "size", 1e-6, 2),
        ("1st paint", "first_paint", ms, 1),
        ("indexed", "indexed", ms, 0),
        ("gap load", "gap_load", ms, 1),
        ("search", "search", ms, 0),
        ("matches", "matches", 1, 0),
        ("gap search", "gap_search", ms, 1),
        ("page step", "page_step", ms, 1),
        ("to end", "to_end", ms, 1),
        ("gap scroll", "gap_scroll", ms, 1),
        ("RSS/body", "rss_growth", 1, 2),
    ]

    def row(label: str, m: dict[str, float]) -> str:
        cells = [
            f"{m[field] * scale:>11.{decimals}f}" if field in m else f"{'-':>11}"
            for _head, field, scale, decimals in columns
        ]
        return f"{label:<26}" + "".join(cells)

    print()
    print(f"medians of {rounds} rounds (100 MB: {max(1, rounds - 2)}); times in ms")
    print(f"{'case':<26}" + "".join(f"{head:>11}" for head, *_ in columns))
    print(row("QPlainTextEdit 1.4 MB", base))
    for kind, size, _n in cases[1:]:
        print(row(f"JsonView {size / 1e6:g} MB {kind}", med[(kind, size)]))
    print()
    print("worst heartbeat gap of each round, ms, load / search / scroll; in brackets the")
    print("longest CPU time the GUI thread itself spent between two ticks (its own stall)")
    for kind, size, _n in cases[1:]:
        rounds_text = "  ".join(
            "/".join(
                f"{d['gap_' + g] * ms:.0f}({d['cpu_' + g] * ms:.0f})"
                for g in ("load", "search", "scroll")
            )
            for d in results[(kind, size)]
        )
        print(f"  {size / 1e6:g} MB {kind}: {rounds_text}")
    ours = med[("pretty", 1_400_000)]
    print()
    print(
        f"1.4 MB first screen: JsonView {ours['first_paint'] * ms:.1f} ms vs setPlainText "
        f"{base['first_paint'] * ms:.1f} ms: ratio "
        f"{ours['first_paint'] / base['first_paint']:.2f} (limit 1.25); fully indexed "
        f"{ours['indexed'] * ms:.1f} ms: ratio {ours['indexed'] / base['first_paint']:.2f}"
    )
    big = med[("compact", 100_000_000)]
    print(
        f"100 MB: first highlighted screen {big['first_paint'] * ms:.0f} ms (limit 1000); "
        f"RSS growth {big['rss_growth']:.2f}× the body (limit 3×)"
    )
    gaps = ("gap_load", "gap_search", "gap_scroll")
    worst = max(m[g] for k, m in med.items() if k[0] != "baseline" for g in gaps)
    print(f"worst heartbeat gap, medians over rounds: {worst * ms:.0f} ms (limit 50)")
    every = [d[g] for k, v in results.items() if k[0] != "baseline" for d in v for g in gaps]
    busy = [
        d[g.replace("gap", "cpu")]
        for k, v in results.items()
        if k[0] != "baseline"
        for d in v
        for g in gaps
    ]
    print(
        f"worst heartbeat gap in any single round: {max(every) * ms:.0f} ms; longest the GUI "
        f"thread itself was busy between two ticks: {max(busy) * ms:.0f} ms"
    )
    load = os.getloadavg()
    print(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    screenshots()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--shots":
        screenshots()
    else:
        main()
