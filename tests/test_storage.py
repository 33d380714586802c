"""Durable storage: edits survive new processes and kill -9; snapshots and the read model."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from board.service import BoardService
from board.workspace import Workspace

EDIT_LOOP = """
import sys
from board.workspace import Workspace
ws = Workspace.open(sys.argv[1])
for i in range(int(sys.argv[2])):
    new_id = ws.service.add_goal(f"goal {i}")
    print(new_id, flush=True)   # reported as saved only after add_goal returned
"""


def test_an_edit_reported_as_saved_is_seen_by_a_fresh_process(ws: Workspace) -> None:
    goal = ws.service.add_goal("Durable")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sys; from board.workspace import Workspace; "
                "print(Workspace.open(sys.argv[1]).service.get(sys.argv[2]).title)"
            ),
            str(ws.home),
            goal,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "Durable"


def test_kill_9_mid_way_loses_no_saved_edit_and_leaves_the_file_readable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Workspace.init(home, "Orbit", "Ana").close()
    reported: list[str] = []
    for round_ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", EDIT_LOOP, str(home), "100000"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        for _ in range(20 + 15 * round_):  # let it report some edits, then kill it mid-stream
            line = proc.stdout.readline()
            if not line:
                break
            reported.append(line.strip())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        reported += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
    with sqlite3.connect(home / "board.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Workspace.open(home) as ws:
        present = {g.id for g in ws.service.list("goals")}
    assert len(reported) >= 20 + 35 + 50
    assert set(reported) <= present


def test_reopening_uses_the_snapshot_and_the_changes_after_it(ws: Workspace) -> None:
    for i in range(30):
        ws.service.add_goal(f"goal {i}")
    assert ws.service.compact()
    snapshot = ws.store.latest_snapshot()
    assert snapshot is not None and snapshot.upto_seq == ws.store.max_seq()
    after = ws.service.add_goal("after the snapshot")
    home = ws.home
    ws.close()
    with Workspace.open(home) as again:
        titles = {g.title for g in again.service.list("goals")}
        assert "after the snapshot" in titles and "goal 29" in titles
        assert again.service.get(after).title == "after the snapshot"


def test_compaction_happens_when_changes_outweigh_the_snapshot(ws: Workspace) -> None:
    assert ws.store.latest_snapshot() is None
    for i in range(400):
        ws.service.add_goal(f"a goal with a reasonably long title number {i}")
    snapshot = ws.store.latest_snapshot()
    assert snapshot is not None
    assert ws.store.bytes_after(snapshot.upto_seq) <= max(len(snapshot.data), 64 * 1024)


def test_read_model_is_rebuilt_from_the_changes(ws: Workspace) -> None:
    goal = ws.service.add_goal("Rebuild me")
    home = ws.home
    ws.store.conn.execute("DELETE FROM goals")
    ws.store.set_meta("readmodel_heads", "stale")
    ws.close()
    with Workspace.open(home) as again:
        assert [g.id for g in again.service.list("goals")] == [goal]


def test_read_model_is_queryable_with_plain_sql(ws: Workspace) -> None:
    ws.service.add_commitment("Ship it", to="Acme", due="2030-01-01")
    with sqlite3.connect(ws.home / "board.db") as conn:
        rows = conn.execute("SELECT title, status, to_kind, due FROM commitments").fetchall()
    assert rows == [("Ship it", "proposed", "external", "2030-01-01")]


def test_another_process_writing_to_the_same_home_is_picked_up(ws: Workspace) -> None:
    events = []
    ws.service.subscribe(events.append)
    subprocess.run(
        [sys.executable, "-m", "board.cli", "--home", str(ws.home), "add", "goal", "From outside"],
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + 30
    while not ws.service.refresh() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "From outside" in {g.title for g in ws.service.list("goals")}
    assert any(e.origin == "external" for e in events)
    # and this process's next edit builds on it (no clash of change sequence numbers)
    mine = ws.service.add_goal("After")
    with Workspace.open(ws.home) as fresh:
        assert {g.title for g in fresh.service.list("goals")} >= {"From outside", "After"}
        assert fresh.service.get(mine).title == "After"


def test_two_services_on_one_home_interleave_edits(ws: Workspace) -> None:
    other = BoardService.open(ws.store, ws.identity.actor, ws.identity.member_id, ws.identity.sign)
    a = ws.service.add_goal("one")
    b = other.add_goal("two")
    c = ws.service.add_goal("three")
    assert {g.id for g in other.list("goals")} == {a, b, c}
    other.fresh()
    assert sorted(ws.service.doc.heads()) == sorted(other.doc.heads())
