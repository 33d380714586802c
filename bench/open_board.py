"""How long reopening a board takes, against the floors of its parts.

Usage: python bench/open_board.py [ITEMS ...]   (default: 1000 10000)

Prints, per size: our Workspace.open(); the bare automerge load of the same snapshot + changes;
reading every read-model row with plain sqlite3; listing every item through the service; and
opening the same board when its change log was never compacted.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automerge import core as am

from bench.common import build_board, stored_document, timeit
from board.workspace import Workspace


def bare_load(home: Path) -> None:
    am.Document.load(stored_document(home))


def bare_rows(home: Path) -> None:
    conn = sqlite3.connect(home / "board.db")
    for table in ("goals", "commitments", "agreements"):
        conn.execute(f"SELECT * FROM {table}").fetchall()
    conn.close()


def open_and_list(home: Path) -> None:
    with Workspace.open(home) as ws:
        for collection in ("goals", "commitments", "agreements"):
            ws.service.list(collection)


def uncompacted_open(home: Path, repeat: int = 5) -> tuple[float, float]:
    """(compacted, uncompacted) median seconds for Workspace.open() of the board at ``home``:
    compacts it first, then times the open, then deletes the snapshots (the change log alone
    stays) and times it again. Changes the board: pass a copy."""
    with Workspace.open(home) as ws:
        ws.service.compact()
    compacted = timeit(lambda: Workspace.open(home).close(), repeat)[0]
    conn = sqlite3.connect(home / "board.db")
    conn.execute("DELETE FROM snapshots")
    conn.commit()
    conn.close()
    return compacted, timeit(lambda: Workspace.open(home).close(), repeat)[0]


def main(sizes: list[int]) -> None:
    print(
        f"{'items':>7} {'build s':>8} {'open ms':>8} {'+list ms':>9} {'am load ms':>11} "
        f"{'sql rows ms':>12} {'uncompacted ms':>15} {'db KB':>7}"
    )
    for items in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            start = time.perf_counter()
            build_board(home, items).close()
            build = time.perf_counter() - start
            with Workspace.open(home) as ws:
                ws.service.compact()
            list_ms = timeit(partial(open_and_list, home))[0] * 1000
            load_ms = timeit(partial(bare_load, home))[0] * 1000
            rows_ms = timeit(partial(bare_rows, home))[0] * 1000
            open_s, raw_s = uncompacted_open(home)
            size_kb = (home / "board.db").stat().st_size / 1024
            print(
                f"{items:>7} {build:>8.1f} {open_s * 1000:>8.0f} {list_ms:>9.0f} {load_ms:>11.0f} "
                f"{rows_ms:>12.0f} {raw_s * 1000:>15.0f} {size_kb:>7.0f}"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
