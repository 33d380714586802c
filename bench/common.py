"""Helpers shared by the benchmark scripts: building big boards quickly and timing."""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from board.service import BoardService
from board.workspace import Workspace
from sync.identity import Identity


def build_board(home: Path, items: int, members: int = 6) -> Workspace:
    """A board with ``items`` goals, commitments and agreements (roughly 2:2:1), made through
    the service in batches of one transaction per item, like people would make them."""
    ws = Workspace.init(home, "Bench team", "M0")
    s = ws.service
    names = ["M0"]
    for i in range(1, members):
        ident = Identity.generate()
        s.add_member(ident.member_id, f"M{i}", ident.cert_pem, s.me)
        names.append(f"M{i}")
    stream = s.add_stream("Ops", members=names[:3], customers=["Acme"])
    goals: list[str] = []
    for i in range(items):
        k = i % 5
        if k in (0, 1) or not goals:
            goals.append(
                s.add_goal(
                    f"Goal number {i}",
                    kind="change" if k else "routine",
                    stream=stream,
                    owners=[names[i % members]],
                    confidence=1 + i % 10,
                )
            )
        elif k in (2, 3):
            s.add_commitment(
                f"Commitment number {i}",
                to=names[(i + 1) % members],
                by=names[i % members],
                goal=goals[-1],
                due="+7d",
            )
        else:
            s.add_agreement(
                f"Agreement number {i}",
                counterparts=[names[(i + 2) % members]],
                accountable=names[i % members],
            )
    return ws


def timeit(fn: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """(median, min) seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def open_service(home: Path) -> BoardService:
    return Workspace.open(home).service


def stored_document(home: Path) -> bytes:
    """The board's latest snapshot followed by the changes stored after it, read with plain
    sqlite3: what a bare automerge ``load()`` takes (the floor of opening a board)."""
    conn = sqlite3.connect(home / "board.db")
    snap = conn.execute(
        "SELECT upto_seq, bytes FROM snapshots ORDER BY upto_seq DESC LIMIT 1"
    ).fetchone()
    upto, data = (snap[0], snap[1]) if snap else (0, b"")
    rest = b"".join(r[0] for r in conn.execute("SELECT bytes FROM changes WHERE seq > ?", (upto,)))
    conn.close()
    return bytes(data) + rest
