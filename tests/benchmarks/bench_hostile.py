"""Hostile bodies through the whole response path: GUI stalls and memory, before and after.

Run by hand: ``python tests/benchmarks/bench_hostile.py [CASE ...]`` (offscreen). Each case
runs in a fresh process: a raw-socket server on 127.0.0.1 sends the body, the main window
sends a contacts GET to it and shows the outcome (status, body viewer, results table).

- ``big``: a 200 MB compact contacts page;
- ``tiny``: a page of 1,000,000 tiny results (``{"i": 0}``);
- ``bomb``: gzip of about 1 GiB of JSON, about 1 MB on the wire.

"Before" is the old path, switched back on in the same code: the body parsed by
``json.loads`` where it is first read (on the GUI thread), gzip inflated by httpx on the
loop and counted after each chunk. "Worst gap" is the longest wait between ticks of a 10 ms
heartbeat from Send until the body viewer finished; "peak" is the process's RSS high-water
mark over the same span.

``--warm`` first shows one small page, so the figures leave out what the window builds
for its first response of a session (the table, the body viewer, the history panel) and
count only what the hostile body costs.

``--trace CASE`` runs one case ("after" only) and says where its stalls came from: each
garbage collection over 10 ms, and the GUI thread's stack sampled every 5 ms while the
heartbeat was more than 30 ms late (most frequent first, and for each gap over 40 ms).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "benchmarks")]

from bench_json_view import Heartbeat, peak_rss, read_body, reset_peak  # noqa: E402

CASES = ("big", "tiny", "bomb")


def tiny_body() -> bytes:
    return json.dumps({"next": None, "results": [{"i": i % 10} for i in range(1_000_000)]}).encode()


def bomb_body() -> bytes:
    path = Path(tempfile.gettempdir()) / "bench_hostile_bomb.gz"
    if not path.exists():
        z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
        parts = [z.compress(b'{"results": [')]
        block = b"0," * (1 << 19)
        parts += [z.compress(block) for _ in range(1024)]  # 1 GiB of "0,"
        parts.append(z.compress(b"0]}") + z.flush())
        path.write_bytes(b"".join(parts))
    return path.read_bytes()


def head_for(case: str, body: bytes) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    if case == "bomb":
        lines.append("Content-Encoding: gzip")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Tracer:
    """Where a stall comes from: slow collections, and stacks sampled while the GUI is late."""

    def __init__(self, beat: Any) -> None:
        import gc

        self.beat = beat
        self.gui = threading.get_ident()
        self.collections: list[tuple[int, float, int]] = []  # generation, ms, collected
        self.stacks: Counter[str] = Counter()
        self.samples: list[tuple[float, str]] = []
        self._started = 0.0
        self._stop = threading.Event()
        gc.callbacks.append(self._gc)
        threading.Thread(target=self._watch, daemon=True).start()

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            ms = 1000 * (time.perf_counter() - self._started)
            if ms > 10:
                self.collections.append((info["generation"], ms, info["collected"]))

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            ticks = self.beat.ticks
            if ticks and time.perf_counter() - ticks[-1][0] > 0.03:
                frame = sys._current_frames().get(self.gui)
                if frame is not None:
                    stack = "".join(traceback.format_stack(frame)[-8:])
                    self.stacks[stack] += 1
                    self.samples.append((time.perf_counter(), stack))

    def report(self) -> str:
        self._stop.set()
        out = [f"collections over 10 ms (generation, ms, collected): {self.collections}"]
        for stack, n in self.stacks.most_common(6):
            out.append(f"--- {n} samples (x5 ms) while late:\n{stack}")
        ticks = [t for t, _cpu in self.beat.ticks]
        for a, b in itertools.pairwise(ticks):
            if b - a > 0.04:
                inside = Counter(st for t, st in self.samples if a <= t <= b)
                out.append(f"=== gap of {1000 * (b - a):.0f} ms; its samples:")
                out += [f"[{n}x]\n{st}" for st, n in inside.most_common(3)]
        return "\n".join(out)


WARM_BODY = json.dumps({"next": None, "results": [{"uuid": "u1", "name": "Ana"}]}).encode()
WARM = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
    + f"Content-Length: {len(WARM_BODY)}\r\n\r\n".encode()
    + WARM_BODY
)


async def send_and_wait(win: Any) -> Any:
    """Send, and wait until the outcome is shown and its body viewer has finished."""
    shown = asyncio.get_running_loop().create_future()

    def arrived(outcome: Any) -> None:
        if not shown.done():
            shown.set_result(outcome)

    win.outcome_shown.connect(arrived)
    win.send()
    outcome = await shown
    win.outcome_shown.disconnect(arrived)
    while not win.response.body.is_finished():
        await asyncio.sleep(0.01)
    return outcome


def run_case(case: str, mode: str, *, trace: bool = False, warm: bool = False) -> dict[str, Any]:
    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from explorer.core import client
    from explorer.core.catalog import catalog
    from explorer.core.connection import Connection
    from explorer.ui.gc_guard import GcGuard
    from explorer.ui.main_window import MainWindow
    from tests.core.test_client import raw_server

    if mode == "before":
        client.SLICED_PARSE_FROM = 1 << 62
        client.ENCODINGS = frozenset()  # type: ignore[misc]
    body = {"big": lambda: read_body(200_000_000, None), "tiny": tiny_body, "bomb": bomb_body}[
        case
    ]()
    data = head_for(case, body) + body
    del body

    answers = [WARM] if warm else []

    def serve(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(answers.pop(0) if answers else data)

    app = QApplication.instance() or QApplication([])
    GcGuard(app)
    out: dict[str, Any] = {"case": case, "mode": mode, "wire": len(data)}

    async def go(port: int) -> None:
        http = client.make_http_client()
        settings = QSettings(str(Path(tempfile.mkdtemp()) / "w.ini"), QSettings.Format.IniFormat)
        win = MainWindow(catalog(), http, settings)
        win.set_connection(Connection("Bench", f"http://127.0.0.1:{port}", "t", is_sandbox=True))
        win.resize(1200, 800)
        win.show()
        win.endpoints.select("contacts")
        await asyncio.sleep(0.5)
        GcGuard.settle()  # start-up is over, as the app says once its window is up
        if warm:
            await send_and_wait(win)
            await asyncio.sleep(0.3)
        beat = Heartbeat()
        tracer = Tracer(beat) if trace else None
        await asyncio.sleep(0.1)
        reset_peak()
        m0 = beat.mark()
        outcome = await send_and_wait(win)
        await asyncio.sleep(0.3)
        m1 = beat.mark()
        out["seconds"] = m1[0] - m0[0]
        out["worst_gap_ms"] = 1000 * beat.worst_gap(m0, m1)[0]
        out["peak_mb"] = peak_rss() / 1e6
        out["shown"] = outcome.summary()[:70]
        out["rows"] = win.results_table.row_count()
        if tracer is not None:
            print(tracer.report(), file=sys.stderr)
        win.ask_before_close = False
        win.close()
        await http.aclose()

    with (
        raw_server(serve) as port,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        runner.run(go(port))
    return out


def main(argv: list[str]) -> None:
    warm = argv[:1] == ["--warm"]
    argv = argv[1:] if warm else argv
    if argv[:1] == ["--trace"]:
        print(json.dumps(run_case(argv[1], "after", trace=True, warm=warm)))
        return
    if argv[:1] == ["--child"]:
        print(json.dumps(run_case(argv[1], argv[2], warm=warm)))
        return
    cases = argv or list(CASES)
    print(
        f"{'case':6} {'mode':7} {'on wire':>10} {'time s':>7} {'worst gap ms':>13} "
        f"{'peak MB':>8} {'rows':>9}  shown"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for case in cases:
        for mode in ("before", "after"):
            done = subprocess.run(
                [sys.executable, __file__, *(["--warm"] if warm else []), "--child", case, mode],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                cwd=ROOT,
            )
            if done.returncode != 0:
                print(f"{case:6} {mode:7} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{case:6} {mode:7} {r['wire']:>10,} {r['seconds']:>7.2f} "
                f"{r['worst_gap_ms']:>13.0f} {r['peak_mb']:>8.0f} {r['rows']:>9,}  {r['shown']}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
