"""Two openings of one new dataset at once (the panel listing it while a pull starts)."""

from __future__ import annotations

import threading
from pathlib import Path

from explorer.datasets import schema


def test_a_new_dataset_opened_twice_at_once_is_made_once(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            schema.connect(path).close()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    conn = schema.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    conn.close()
