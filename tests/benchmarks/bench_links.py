"""The response filter, the JSON diff and the link scan on big pages: times and GUI stalls.

Run by hand: ``python tests/benchmarks/bench_links.py [ROUNDS]`` (offscreen). It prints,
as medians over ROUNDS:

- the runs preset and a plain expression on a 14 MB runs page (engine time, no Qt), and the
  longest wait between ticks of a 10 ms heartbeat while the response view filters that
  page and shows the result (the filter runs on a worker thread);
- the diff of two 1.4 MB runs pages that differ in a few values, against ``==`` on them
  (the least any comparison costs), and the ratio;
- finding the links of the 1.4 MB and 14 MB pages (the viewer does it in slices).
"""

from __future__ import annotations

import copy
import gc
import json
import os
import random
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def run(i: int, rnd: random.Random) -> dict[str, Any]:
    """A run shaped like RapidPro's /api/v2/runs.json results, with a path and results."""
    uid = lambda: f"{rnd.getrandbits(128):032x}"  # noqa: E731
    when = f"2025-01-1{i % 10}T08:{i % 60:02d}:00.000001Z"
    return {
        "uuid": uid(),
        "flow": {"uuid": uid(), "name": "Registration"},
        "contact": {"uuid": uid(), "name": f"Contact {i}", "urn": f"tel:+25070{i:07d}"},
        "start": {"uuid": uid()} if i % 3 else None,
        "responded": True,
        "path": [{"node": uid(), "time": when} for _ in range(6)],
        "values": {
            key: {
                "name": key.title(),
                "value": str(rnd.randint(1, 90)),
                "category": rnd.choice(["Yes", "No", "Other"]),
                "node": uid(),
                "time": when,
                "input": "yes please",
            }
            for key in ("age", "consent", "district")[: 1 + i % 3]
        },
        "created_on": when,
        "modified_on": when,
        "exited_on": None,
        "exit_type": None,
    }


def runs_page(size: int) -> dict[str, Any]:
    rnd = random.Random(7)
    results: list[dict[str, Any]] = []
    total = 0
    while total < size:
        record = run(len(results), rnd)
        total += len(json.dumps(record)) + 1
        results.append(record)
    return {"next": None, "previous": None, "results": results}


def median_time(work: Any, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def engine(rounds: int, big: dict[str, Any], big_bytes: bytes) -> None:
    from explorer.core.response_filter import apply, result_bytes

    preset = median_time(lambda: result_bytes(apply("run_results(results)", big)), rounds)
    plain = median_time(lambda: apply("results[?responded].contact.name", big), rounds)
    print(f"14 MB runs page ({len(big_bytes) / 1e6:.1f} MB, {len(big['results']):,} runs)")
    print(f"  runs preset, with the result as JSON text: {preset * 1000:8.0f} ms")
    print(f"  results[?responded].contact.name:          {plain * 1000:8.0f} ms")


def gui_stall(big: dict[str, Any], big_bytes: bytes) -> float:
    import httpx
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from explorer.core.client import Kind, Outcome
    from explorer.ui.gc_guard import GcGuard
    from explorer.ui.response_view import ResponseView

    app = QApplication.instance() or QApplication(sys.argv)
    guard = GcGuard(app)  # as the app runs: the collector on the GUI thread
    # The app's guard sets a page aside while it is parsed (gc.freeze); this one was built
    # before the guard existed, so it is set aside here, as it would have been.
    gc.collect()
    gc.freeze()
    loop = qasync.QEventLoop(app, already_running=False)
    request = httpx.Request("GET", "http://127.0.0.1:8000/api/v2/runs.json")
    outcome = Outcome(
        Kind.OK,
        request,
        200,
        "OK",
        httpx.Headers({"content-type": "application/json"}),
        big_bytes,
    )
    outcome.set_parsed(big, None)
    view = ResponseView()
    view.resize(1000, 700)
    view.show()
    view.show_outcome(outcome)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        if now - last[0] > 0.04 and os.environ.get("BENCH_TRACE"):
            print(f"  gap {1000 * (now - last[0]):.0f} ms ending at {now:.3f}")
        last[0] = now

    beat = QTimer()
    beat.setInterval(10)
    beat.timeout.connect(tick)
    done: list[Any] = []
    view.filter_applied.connect(done.append)

    async def go() -> None:
        body = view.body
        while not body.is_finished():  # the page itself first: its index and links
            await asyncio.sleep(0.05)
        last[0] = time.perf_counter()
        beat.start()
        view.filter_line.choose("run_results(results)")
        while not done:
            await asyncio.sleep(0.01)
        while not view.body.is_finished():  # and the filtered text shown, indexed
            await asyncio.sleep(0.01)
        beat.stop()

    import asyncio

    with loop:
        loop.run_until_complete(go())
    print(f"  rows shown: {len(done[0]):,}")
    del guard
    return max(gaps) if gaps else 0.0


def diff_pages(rounds: int) -> None:
    from explorer.core.json_diff import diff

    old = runs_page(1_400_000)
    new = copy.deepcopy(old)
    for i in (3, 50, 120):
        new["results"][i]["values"].setdefault("age", {})["value"] = "changed"
    new["results"].insert(0, run(99_999, random.Random(1)))
    size = len(json.dumps(old)) / 1e6
    same = copy.deepcopy(old)
    took = median_time(lambda: diff(old, new), rounds)
    base = median_time(lambda: old == same, rounds)  # all of it compared, nothing found
    print(f"diff of two {size:.1f} MB runs pages ({len(diff(old, new))} changes)")
    print(
        f"  diff {took * 1000:.1f} ms, == {base * 1000:.1f} ms, ratio {took / max(base, 1e-9):.1f}×"
    )


def links(rounds: int, pages: list[bytes]) -> None:
    from explorer.core.links import links_in

    for data in pages:
        took = median_time(lambda d=data: links_in(d, "runs"), rounds)
        print(
            f"links of a {len(data) / 1e6:.1f} MB runs page: {took * 1000:.0f} ms in all"
            f" ({len(links_in(data, 'runs')):,} links), done in slices of ≤ 5 ms"
        )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    big = runs_page(14_000_000)
    big_bytes = json.dumps(big).encode()
    engine(rounds, big, big_bytes)
    stalls = [gui_stall(big, big_bytes)]
    print(f"  worst GUI gap while filtering and showing it: {max(stalls) * 1000:.0f} ms")
    diff_pages(rounds)
    small = json.dumps(runs_page(1_400_000)).encode()
    links(rounds, [small, big_bytes])


if __name__ == "__main__":
    main()
