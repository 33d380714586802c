"""Local figures: one durable edit against the raw automerge transaction + SQLite commit under
it, and the peak memory of the app with a board open.

    python -m bench.local_bench edit HOME      one local edit, ours vs the raw floor (ms)
    python -m bench.local_bench rss HOME       peak RSS of the app showing HOME (MiB)
    python -m bench.local_bench rss-bare       peak RSS of a bare Textual app (MiB)

The edit is ``BoardService.add_goal`` (one automerge transaction, signed, stored and committed
with ``synchronous=FULL``, read model updated). The floor is the same record written in one
raw automerge transaction on the same document, its change bytes inserted into a table in a
WAL SQLite file beside the board with ``synchronous=FULL`` and committed. RSS is measured in a
child process (the parent's own memory would count otherwise): its peak resident set
(VmHWM) at exit.
"""

from __future__ import annotations

import asyncio
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automerge import core as am

from board.document_values import write_fields
from board.workspace import Workspace

GOAL_FIELDS = {
    "title": "A goal written by the benchmark",
    "kind": "change",
    "status": "proposed",
    "stream": "",
    "owners": ["Me"],
    "confidence": 5,
    "created_at": "2026-01-01T00:00:00Z",
}


def raw_edit(doc: am.Document, conn: sqlite3.Connection, i: int) -> None:
    """One record in one raw automerge transaction, its change stored and committed."""
    before = doc.get_heads()
    with doc.transaction() as tx:
        goals = tx.get(am.ROOT, "goals")
        parent = bytes(goals[1]) if goals else tx.put_object(am.ROOT, "goals", am.ObjType.Map)
        obj = tx.put_object(parent, uuid.uuid4().hex, am.ObjType.Map)
        write_fields(tx, obj, {**GOAL_FIELDS, "title": f"raw goal {i}"})
        tx.put_object(obj, "history", am.ObjType.List)
    rows = [(c.hash.hex(), c.bytes) for c in doc.get_changes(before)]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO changes(hash, bytes) VALUES (?, ?)", rows)
    conn.execute("COMMIT")


def edit_times(home: Path, edits: int = 50) -> tuple[float, float]:
    """(ours, floor): median seconds of one durable local edit on the board at ``home``
    (changes it: pass a copy)."""
    with Workspace.open(home) as ws:
        doc = ws.service.doc.doc.fork()
        conn = sqlite3.connect(home / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE changes(seq INTEGER PRIMARY KEY, hash TEXT, bytes BLOB)")
        ours, floor = [], []
        for i in range(edits):  # interleaved, so both see the same machine load
            start = time.perf_counter()
            raw_edit(doc, conn, i)
            floor.append(time.perf_counter() - start)
            start = time.perf_counter()
            ws.service.add_goal(f"durable goal {i}", kind="change")
            ours.append(time.perf_counter() - start)
        conn.close()
    return statistics.median(ours), statistics.median(floor)


def peak_rss(home: Path | None) -> float:
    """Peak RSS in MiB of a child process running the app on a copy of ``home`` (first paint,
    a few keys and status changes), or a bare Textual app when ``home`` is None."""
    args = ["rss", str(home)] if home is not None else ["rss-bare"]
    out = subprocess.run(
        [sys.executable, "-m", "bench.local_bench", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=900,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _child_rss(home: Path | None) -> None:
    from bench.ui_bench import bench_bare, bench_board

    if home is None:
        asyncio.run(bench_bare((80, 24), 5))
    else:
        with tempfile.TemporaryDirectory(prefix="teamboard-bench-rss-") as scratch:
            copy = Path(scratch) / "home"
            shutil.copytree(home, copy)
            asyncio.run(bench_board(copy, (80, 24), 5, 2))
    print(peak_of_this_process())


def peak_of_this_process() -> float:
    """MiB: the peak resident set of this process. VmHWM, since ``ru_maxrss`` keeps the
    high-water mark of the parent from before ``exec`` on Linux."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> int:
    if argv[:1] == ["rss-bare"]:
        _child_rss(None)
    elif len(argv) == 2 and argv[0] == "rss":
        _child_rss(Path(argv[1]))
    elif len(argv) == 2 and argv[0] == "edit":
        with tempfile.TemporaryDirectory(prefix="teamboard-bench-edit-") as scratch:
            copy = Path(scratch) / "home"
            shutil.copytree(argv[1], copy)
            ours, floor = edit_times(copy)
        print(f"one durable edit: ours {ours * 1000:.2f} ms, raw floor {floor * 1000:.2f} ms")
    else:
        print("usage: python -m bench.local_bench edit HOME | rss HOME | rss-bare", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
