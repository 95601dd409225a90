"""Benchmark: seed a million-contact sandbox, then page through every contact.

Run ``python tests/benchmarks/bench_sandbox.py [--contacts N]``. Prints the seed time and
pages per second for GET contacts over the first and the last pages of the walk, and their
ratio: keyset pagination should keep the ratio near 1. A benchmark, not a test: nothing is
asserted, and pytest does not collect this file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from explorer.sandbox.server import SandboxServer

TOKEN = "bench-token"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--window", type=int, default=50, help="pages timed at each end")
    parser.add_argument("--memory", action="store_true", help="keep the database in memory")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RAPIDPRO_EXPLORER_DATA_DIR"] = tmp
        db_path = None if args.memory else Path(tmp) / "sandbox.sqlite3"
        server = SandboxServer(
            token=TOKEN, contacts=args.contacts, db_path=db_path, rate="1000000/second"
        )
        started = time.perf_counter()
        server.start()
        seed_s = time.perf_counter() - started
        size = f", {db_path.stat().st_size / 1e6:.0f} MB file" if db_path else ""
        print(f"seed + start: {seed_s:.1f} s for {args.contacts:,} contacts{size}")
        try:
            urls, times = walk(server.base_url)
            window = min(args.window, len(times) // 2) or 1
            first_again, last_again = interleaved(urls[:window], urls[-window:])
        finally:
            server.stop()

    first, last = times[:window], times[-window:]
    start_rate = window / sum(first)
    end_rate = window / sum(last)
    print(
        f"pages walked: {len(times):,} ({sum(times):.1f} s in all, median "
        f"{statistics.median(times) * 1000:.1f} ms/page)"
    )
    print(f"GET contacts, first {window} pages: {start_rate:.1f} pages/s")
    print(f"GET contacts, last {window} pages:  {end_rate:.1f} pages/s")
    print(f"end/start ratio: {end_rate / start_rate:.2f}")
    # The walk takes minutes and other work on the machine comes and goes; fetching the
    # first and last pages again in turns compares them under the same load.
    again_start = len(first_again) / sum(first_again)
    again_end = len(last_again) / sum(last_again)
    print(
        f"same pages again, interleaved: first {again_start:.1f} pages/s, "
        f"last {again_end:.1f} pages/s, ratio {again_end / again_start:.2f}"
    )

    return 0


def walk(base_url: str) -> tuple[list[str], list[float]]:
    """Follow ``next`` links from the first page to the last: each page's URL and time."""
    urls: list[str] = []
    times: list[float] = []
    seen = 0
    with httpx.Client(headers={"Authorization": f"Token {TOKEN}"}, timeout=60) as client:
        url: str | None = f"{base_url}/api/v2/contacts.json"
        while url:
            urls.append(url)
            t = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t)
            response.raise_for_status()
            page = response.json()
            seen += len(page["results"])
            url = page["next"]
            if len(times) % 500 == 0:
                print(f"  … {len(times):,} pages, {seen:,} contacts", flush=True)
    print(f"contacts seen: {seen:,}")
    return urls, times


def interleaved(
    first: list[str], last: list[str], rounds: int = 3
) -> tuple[list[float], list[float]]:
    """Fetch the first and the last pages again, alternating: the time of each fetch."""
    first_times: list[float] = []
    last_times: list[float] = []
    with httpx.Client(headers={"Authorization": f"Token {TOKEN}"}, timeout=60) as client:
        for _ in range(rounds):
            for a, b in zip(first, last, strict=True):
                for url, into in ((a, first_times), (b, last_times)):
                    t = time.perf_counter()
                    client.get(url).raise_for_status()
                    into.append(time.perf_counter() - t)
    return first_times, last_times


if __name__ == "__main__":
    raise SystemExit(main())
