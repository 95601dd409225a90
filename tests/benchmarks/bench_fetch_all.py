"""Benchmark: fetch every contact of a million-contact sandbox to JSON Lines.

Run ``python tests/benchmarks/bench_fetch_all.py [--contacts N] [--in-process]``. The sandbox
(seeded into a temporary SQLite file, ~30-45 s for a million contacts) runs in a child
process by default, so the peak RSS printed is the fetching process's own: fetch_all with
its per-page fsync and resume-state save, as the app runs it. ``--in-process`` runs the
sandbox in this process too (its seeding then dominates the peak). Prints pages/s,
records/s, peak RSS and RSS along the way. A benchmark, not a test: nothing is asserted and
pytest does not collect this file.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TOKEN = "bench-token"
RATE = "1000000/hour"


def rss_mb() -> float:
    """Current resident set size of this process, in MB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kB on Linux


def serve(contacts: int, db_path: str, conn: Any, stop: Any) -> None:
    """Child process: seed and serve the sandbox until told to stop."""
    from explorer.sandbox.server import SandboxServer

    server = SandboxServer(token=TOKEN, contacts=contacts, db_path=db_path, rate=RATE)
    started = time.perf_counter()
    server.start()
    conn.send((server.base_url, time.perf_counter() - started))
    stop.wait()
    server.stop()


async def fetch(base_url: str, out: Path, durable: bool) -> dict[str, Any]:
    import httpx

    from explorer.core.connection import Connection
    from explorer.core.pagination import FetchHooks, FetchState, estimate_total, fetch_all
    from explorer.core.request import Draft, prepare
    from explorer.store import fetch_state

    prepared = prepare(Draft("contacts"))
    state = FetchState.new("Bench", base_url, prepared, out)
    samples: list[tuple[int, float]] = []
    last_print = [time.perf_counter()]

    def progress(p: Any) -> None:
        if p.pages in (1, 10, 100) or p.pages % 500 == 0:
            samples.append((p.pages, rss_mb()))
        now = time.perf_counter()
        if now - last_print[0] > 10:
            last_print[0] = now
            print(f"  {p.text()} · RSS {rss_mb():.0f} MB", flush=True)

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as http:
        connection = Connection("Bench", base_url, TOKEN)
        total = await estimate_total(http, connection, prepared)  # as the panel does
        await fetch_all(
            http,
            connection,
            prepared,
            sink=state.writer(durable=durable),
            state=state,
            hooks=FetchHooks(on_progress=progress, save_state=fetch_state.save),
            total_hint=total,
        )
    elapsed = time.perf_counter() - started
    samples.append((state.pages, rss_mb()))
    return {"state": state, "elapsed": elapsed, "samples": samples}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--in-process", action="store_true", help="run the sandbox here too")
    parser.add_argument(
        "--no-fsync", action="store_true", help="flush pages without fsync (state still saved)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RAPIDPRO_EXPLORER_DATA_DIR"] = str(Path(tmp) / "data")
        db_path = str(Path(tmp) / "sandbox.sqlite3")
        out = Path(tmp) / "contacts.jsonl"
        child = stop = server = None
        if args.in_process:
            from explorer.sandbox.server import SandboxServer

            server = SandboxServer(token=TOKEN, contacts=args.contacts, db_path=db_path, rate=RATE)
            t = time.perf_counter()
            base_url = server.start()
            seed_s = time.perf_counter() - t
        else:
            ctx = mp.get_context("spawn")
            parent_conn, child_conn = ctx.Pipe()
            stop = ctx.Event()
            child = ctx.Process(target=serve, args=(args.contacts, db_path, child_conn, stop))
            child.start()
            base_url, seed_s = parent_conn.recv()
        print(f"sandbox: {args.contacts:,} contacts seeded and serving in {seed_s:.1f} s")
        rss_before = rss_mb()
        try:
            result = asyncio.run(fetch(base_url, out, durable=not args.no_fsync))
        finally:
            if server is not None:
                server.stop()
            if child is not None and stop is not None:
                stop.set()
                child.join(30)
        state = result["state"]
        elapsed = result["elapsed"]
        size = out.stat().st_size
        with open(out, "rb") as f:
            lines = sum(1 for _ in f)

    where = "sandbox in this process" if args.in_process else "sandbox in a child process"
    fsync = "no fsync" if args.no_fsync else "fsync per page"
    print(f"fetch-all of contacts to JSONL ({where}, {fsync}, resume state saved every page)")
    print(f"  pages: {state.pages:,}  records: {state.records:,}  lines in file: {lines:,}")
    print(f"  file: {size / 1e6:.0f} MB  time: {elapsed:.1f} s")
    print(f"  {state.pages / elapsed:.1f} pages/s  {state.records / elapsed:,.0f} records/s")
    print(f"  RSS before fetch: {rss_before:.0f} MB")
    print("  RSS along the way: " + ", ".join(f"p{p}: {m:.0f} MB" for p, m in result["samples"]))
    print(f"  peak RSS of this process: {peak_rss_mb():.0f} MB")
    if child is not None:
        print(f"  peak RSS of the sandbox process: {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
