"""One side of a sync: a board receiving a teammate's batch of new changes, against
automerge applying the same changes to the same document.

Usage: python bench/receive_bench.py [ITEMS] [CHANGES] [REPEAT] [--cache DIR]
(default: 10000 1000 5; built boards are kept in DIR, as ``python -m bench --cache`` does)

A teammate (a member of the board) makes CHANGES goals offline; the board then takes
them through the one receive path a sync session uses (``sync.port.ServicePort``):
consistency and signature checks, durable storage, the records they touched found and
their read-model rows refreshed. The floor is ``receive_sync_message`` of the same
changes into a copy of the same document. Each run starts from a fresh copy of the board;
the medians of REPEAT runs are printed, with where our time goes (a profile of one run,
by the part of the receive path each function belongs to).

This is the per-side cost inside the "concurrent edits: time" figure of ``python -m
bench`` (there both peers receive, on one core).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automerge import core as am

from bench.figures import board
from board.document import encode_apply_message
from board.workspace import Workspace
from sync.port import ServicePort

# Where a function's time is counted: the first of these its module path contains.
PARTS = [
    ("change_check", "consistency checks"),
    ("authorship", "signature checks"),
    ("record_index", "finding touched records"),
    ("change_ops", "finding touched records"),
    ("change_columns", "finding touched records"),
    ("readmodel", "read-model rows"),
    ("read_many", "read-model rows"),
    ("document_values", "read-model rows"),
    ("sqlite3", "SQLite"),
    ("receive_sync_message", "automerge apply"),
    ("builtins.Document", "automerge reads (records, changes)"),
]


def teammate_batch(
    home: Path, root: Path, changes: int
) -> tuple[list[bytes], dict[str, tuple[str, bytes]]]:
    """A new member's ``changes`` offline goals on a copy of the board at ``home``, as the
    raw changes and signatures a sync message would carry."""
    with Workspace.create(root / "ben-id") as ident:
        member_id, cert = ident.identity.member_id, ident.identity.cert_pem
    with Workspace.open(home) as ana:
        ana.service.add_member(member_id, "Ben", cert, ana.service.me)
    ben_home = root / "ben"
    shutil.copytree(home, ben_home)  # the teammate's copy of the board, with their key
    for name in ("identity.key", "identity.crt"):
        shutil.copy2(root / "ben-id" / name, ben_home / name)
    with Workspace.open(ben_home) as ben:
        before = ben.service.doc.heads()
        for i in range(changes):
            ben.service.add_goal(f"ben offline {i}")
        made = ben.service.doc.changes_since(before)
        raw = [bytes(c.raw_bytes) for c in made]
        signed = ben.service.store.newest_signatures([c.hash.hex() for c in made])
    return raw, {h: (author, sig) for h, author, sig in signed}


def one_run(
    home: Path, batch: list[bytes], signatures: dict[str, tuple[str, bytes]], profile: bool
) -> tuple[float, float, pstats.Stats | None]:
    """(ours, floor) seconds on a fresh copy of the board at ``home``."""
    with tempfile.TemporaryDirectory(prefix="teamboard-bench-receive-") as scratch:
        copy = Path(scratch) / "home"
        shutil.copytree(home, copy)
        with Workspace.open(copy) as ws:
            port = ServicePort(ws.service)
            port.ready()  # as a sync node does when it starts
            floor_doc = ws.service.doc.doc.fork()
            start = time.perf_counter()
            floor_doc.receive_sync_message(am.SyncState(), encode_apply_message(batch))
            floor = time.perf_counter() - start
            profiler = cProfile.Profile() if profile else None
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            port._receive(batch, dict(signatures), lambda doc: doc.apply_changes(batch))
            if profiler:
                profiler.disable()
            ours = time.perf_counter() - start
            shown = ws.service.store.rows(
                "SELECT count(*) AS n FROM goals WHERE title LIKE 'ben offline %'"
            )[0]["n"]
            if shown != len(batch):
                raise RuntimeError(f"the read model shows {shown} of {len(batch)} new goals")
    return ours, floor, pstats.Stats(profiler) if profiler else None


def breakdown(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per part of the receive path (profiled, so inflated)."""
    out: dict[str, float] = {}
    for (path, _, name), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{path}:{name}"
        part = next((label for key, label in PARTS if key in where), "other Python")
        out[part] = out.get(part, 0.0) + own
    return out


def main(items: int, changes: int, repeat: int, cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    home = board(cache, items)
    with tempfile.TemporaryDirectory(prefix="teamboard-bench-receive-") as scratch:
        root = Path(scratch)
        ana = root / "ana"
        shutil.copytree(home, ana)
        batch, signatures = teammate_batch(ana, root, changes)
        runs = [one_run(ana, batch, signatures, profile=False) for _ in range(repeat)]
        _, _, stats = one_run(ana, batch, signatures, profile=True)
    ours = statistics.median(r[0] for r in runs)
    floor = statistics.median(r[1] for r in runs)
    print(
        f"receiving {changes:,} new goals into a {items:,}-item board: ours {ours * 1000:.1f} ms, "
        f"automerge applying them {floor * 1000:.1f} ms, ratio {ours / floor:.2f} "
        f"(medians of {repeat})"
    )
    assert stats is not None
    parts = breakdown(stats)
    total = sum(parts.values())
    print("where it goes (one profiled run; shares of its time):")
    for part, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"  {part:36s} {seconds / total:6.1%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("items", type=int, nargs="?", default=10000)
    parser.add_argument("changes", type=int, nargs="?", default=1000)
    parser.add_argument("repeat", type=int, nargs="?", default=5)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "teamboard-bench-cache"
    )
    args = parser.parse_args()
    main(args.items, args.changes, args.repeat, args.cache)
