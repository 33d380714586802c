"""Crash safety under `kill -9`: an edit reported as saved is never lost, compaction
interrupted at any point loses nothing, and a peer killed mid-sync leaves both boards
valid and converging afterwards. Every process here is killed with SIGKILL at seeded
random points; nothing is mocked."""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from board.boardfile import load_rows
from board.doctor import examine
from board.workspace import Workspace
from storage.doctor import read_board_rows

from .test_sync_team import invite_and_join

EXE = str(Path(sys.executable).with_name("teamboard"))
ENV = {**os.environ, "TEAMBOARD_INTERFACES": "127.0.0.1"}

# The real CLI entry point, in a loop in one process (1,000 separate processes would take
# minutes): each `add goal` opens the home, saves, prints the new id, closes. The driver
# announces each attempt first, so the parent knows what was tried and what was reported.
CLI_DRIVER = """
import sys
from board.cli import cli
home, n = sys.argv[1], int(sys.argv[2])
while True:
    print(f"try {n}", flush=True)
    cli.main(["--home", home, "add", "goal", f"edit {n}"], standalone_mode=False)
    n += 1
"""

COMPACTOR = """
import sys
from board.workspace import Workspace
ws = Workspace.open(sys.argv[1])
n = int(sys.argv[2])
while True:
    print("saved", ws.service.add_goal(f"compacted {n}"), flush=True)
    n += 1
    print("compacting", flush=True)
    ws.service.compact()
    print("compacted", flush=True)
"""


class Child:
    """A child process whose stdout lines are collected by a thread as they come."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, count: int, what: str, timeout: float = 120) -> None:
        """Until ``count`` lines starting with ``what`` arrived (or the child ended)."""
        deadline = time.monotonic() + timeout
        while sum(line.startswith(what) for line in self.lines) < count:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"child stopped or stalled; last lines {self.lines[-5:]}")
            time.sleep(0.002)

    def kill(self) -> list[str]:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._reader.join(timeout=30)
        return self.lines


def integrity(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def goal_titles(home: Path) -> dict[str, str]:
    with Workspace.open(home) as ws:
        return {g.id: g.title for g in ws.service.list("goals")}


def test_kill_9_loop_of_1000_cli_edits_loses_nothing_reported_as_saved(tmp_path: Path) -> None:
    # Four homes in turn keep each board small, so the loop stays quick; every round
    # kills the driver at a random point, mid-edit or while it starts up.
    homes = [tmp_path / f"home{i}" for i in range(4)]
    for home in homes:
        Workspace.init(home, "Orbit", "Ana").close()
    rng = random.Random(20260302)
    reported: dict[Path, dict[str, str]] = {home: {} for home in homes}  # id -> title
    attempted = {home: 0 for home in homes}
    rounds = 0
    while sum(len(r) for r in reported.values()) < 1000:
        home = homes[rounds % len(homes)]
        rounds += 1
        child = Child([sys.executable, "-c", CLI_DRIVER, str(home), str(attempted[home])])
        if rng.random() < 0.15:
            time.sleep(rng.uniform(0.0, 0.6))  # kill while it imports, opens or saves
        else:
            child.wait_for(rng.randint(30, 150), "try ")
            time.sleep(rng.uniform(0.0, 0.03))
        tried = None
        for line in child.kill():
            if line.startswith("try "):
                tried = int(line.split()[1])
                attempted[home] = tried + 1
            elif line:
                assert tried is not None, line
                reported[home][line] = f"edit {tried}"  # the CLI printed the id: saved
    lost = 0
    for home in homes:
        assert integrity(home / "board.db") == "ok"
        assert examine(home).problems == []  # read model in step with the change log too
        present = goal_titles(home)
        lost += sum(1 for gid, title in reported[home].items() if present.get(gid) != title)
    saved = sum(len(r) for r in reported.values())
    print(
        f"kill -9 loop: {sum(attempted.values())} edits attempted, {saved} reported saved, "
        f"{lost} lost, {rounds} kill rounds"
    )
    assert lost == 0
    assert saved >= 1000 and rounds >= 10


def test_compaction_killed_at_any_point_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana") as ws:
        for i in range(600):  # many change rows for compaction to fold into a snapshot
            ws.service.add_goal(f"before {i} with a title long enough to weigh something")
    rng = random.Random(7)
    reported: set[str] = set()
    mid_compaction = 0
    for round_ in range(8):
        child = Child([sys.executable, "-c", COMPACTOR, str(home), str(round_ * 1000)])
        child.wait_for(rng.randint(1, 4), "compacting")
        time.sleep(rng.uniform(0.0, 0.05))
        lines = child.kill()
        reported |= {line.split()[1] for line in lines if line.startswith("saved ")}
        mid_compaction += lines[-1] == "compacting"
        assert integrity(home / "board.db") == "ok"
        rows = read_board_rows(home / "board.db")
        from_snapshot = load_rows(rows)
        assert from_snapshot.doc is not None and not from_snapshot.snapshot_problem
        rows.snapshot = None  # the change log alone must hold the same board
        from_log = load_rows(rows)
        assert from_log.doc is not None
        assert sorted(from_snapshot.doc.heads()) == sorted(from_log.doc.heads())
        present = goal_titles(home)
        assert reported <= set(present)
        assert sum(t.startswith("before ") for t in present.values()) == 600
    print(
        f"compaction: 8 kills, {mid_compaction} while compacting, {len(reported)} edits reported, 0 lost"
    )


def serve(home: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [EXE, "--home", str(home), "serve", "--port", "0", "--no-discovery"],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        match = re.search(r"on port (\d+)", line)
        if match:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
            return proc, int(match.group(1))
        if not line and proc.poll() is not None:
            break
    raise AssertionError("serve did not start")


def sync(home: Path, port: int, timeout: int = 60) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            EXE,
            "--home",
            str(home),
            "sync",
            "--peer",
            f"127.0.0.1:{port}",
            "--no-discovery",
            "--timeout",
            str(timeout),
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sync_again(home: Path, port: int, timeout: int = 60) -> str:
    """One more `teamboard sync`, run to its end; what it printed about the peer."""
    done = sync(home, port, timeout)
    out, err = done.communicate(timeout=180)
    assert done.returncode == 0, (out, err)
    return out.strip()


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time a live process has used (Linux /proc); -1 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return -1.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_to_end(proc: subprocess.Popen[str]) -> float:
    """Wait for ``proc``; the CPU seconds it used (last seen while it was alive)."""
    used = 0.0
    while proc.poll() is None:
        used = max(used, cpu_seconds(proc.pid))
        time.sleep(0.005)
    return used


def kill_at_cpu(proc: subprocess.Popen[str], seconds: float, deadline: float = 180) -> None:
    """SIGKILL ``proc`` once it has done ``seconds`` of CPU work: a point in its life that
    does not move with the machine's load (wall-clock delays do, on a shared machine)."""
    end = time.monotonic() + deadline
    while proc.poll() is None and cpu_seconds(proc.pid) < seconds and time.monotonic() < end:
        time.sleep(0.003)
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=60)


def connected(port: int) -> bool:
    """Whether a TCP connection to 127.0.0.1:``port`` is established (Linux /proc)."""
    wanted = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and wanted in (fields[1], fields[2]):
            return True
    return False


def cpu_when_connected(proc: subprocess.Popen[str], port: int, deadline: float = 120) -> float:
    """The CPU seconds ``proc`` had used when a connection to ``port`` was made."""
    end = time.monotonic() + deadline
    while not connected(port):
        assert proc.poll() is None and time.monotonic() < end, "no connection was made"
        time.sleep(0.001)
    return cpu_seconds(proc.pid)


def board_state(home: Path) -> tuple[list[bytes], set[str]]:
    assert integrity(home / "board.db") == "ok"
    with Workspace.open(home) as ws:
        return sorted(ws.service.doc.heads()), {g.id for g in ws.service.list("goals")}


def test_a_peer_killed_mid_sync_leaves_both_boards_valid_and_they_converge(tmp_path: Path) -> None:
    async def members() -> None:
        ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
        ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
        ben.close()
        for i in range(1200):  # a large first sync for Ben
            ana.service.add_goal(f"Ana's goal {i}")
        ana.close()

    asyncio.run(members())
    ana, ben = tmp_path / "ana", tmp_path / "ben"
    rng = random.Random(11)
    kills = []
    server, port = serve(ana)
    try:
        _, ana_goals = board_state(ana)
        # How much work a whole first sync is for Ben's process once connected, measured
        # on a copy of his home; then kill him at random points of that work.
        shutil.copytree(ben, tmp_path / "ben-trial")
        trial = sync(tmp_path / "ben-trial", port)
        before = cpu_when_connected(trial, port)
        work = run_to_end(trial) - before
        assert board_state(tmp_path / "ben-trial")[1] == ana_goals
        for _ in range(3):  # the receiving `sync` killed mid-way through the first sync
            receiver = sync(ben, port)
            kill_at_cpu(
                receiver, cpu_when_connected(receiver, port) + rng.uniform(0.0, 0.95) * work
            )
            _, ben_goals = board_state(ben)
            assert ben_goals <= ana_goals
            kills.append(f"sync: {len(ben_goals)}/{len(ana_goals)}")
            assert server.poll() is None  # the other side keeps serving
        resumed = [sync_again(ben, port)]
        assert board_state(ben)[1] == ana_goals
    finally:
        stop(server)

    # Both edit offline, then the receiving `serve` is killed while it reconciles.
    with Workspace.open(ana) as ws:
        ana_new = {ws.service.add_goal(f"Ana offline {i}") for i in range(300)}
    with Workspace.open(ben) as ws:
        ben_new = {ws.service.add_goal(f"Ben offline {i}") for i in range(300)}
    for name in ("ana", "ben"):
        shutil.rmtree(tmp_path / f"{name}-trial", ignore_errors=True)
        shutil.copytree(tmp_path / name, tmp_path / f"{name}-trial")
    trial, trial_port = serve(tmp_path / "ana-trial")
    sender = sync(tmp_path / "ben-trial", trial_port, timeout=20)  # 300 changes: far less
    before = cpu_when_connected(trial, trial_port)
    run_to_end(sender)
    reconcile = cpu_seconds(trial.pid) - before
    stop(trial)
    for _ in range(3):  # the receiving `serve` killed mid-way through the reconciliation
        server, port = serve(ana)
        sender = sync(ben, port, timeout=20)
        kill_at_cpu(server, cpu_when_connected(server, port) + rng.uniform(0.0, 0.95) * reconcile)
        sender.communicate(timeout=180)
        _, goals = board_state(ana)
        assert ana_new <= goals <= ana_goals | ana_new | ben_new
        kills.append(f"serve: {len(goals & ben_new)}/{len(ben_new)}")
    server, port = serve(ana)
    try:
        resumed.append(sync_again(ben, port, timeout=20))
    finally:
        stop(server)
    ana_heads, ana_final = board_state(ana)
    ben_heads, ben_final = board_state(ben)
    assert ana_final == ben_final == ana_goals | ana_new | ben_new
    assert ana_heads == ben_heads
    assert examine(ana).problems == [] and examine(ben).problems == []
    # Both boards are whole and identical: what the kills interrupted was resumed. (What the
    # last `sync` printed is reported, not asserted: the sync layer's own tests own that.)
    print(f"after the kills, `sync` said: {resumed}")
    print(
        f"peer kills (what the killed receiver held afterwards): {kills}; a first sync is "
        f"{work:.2f} s of CPU once connected, reconciling {reconcile:.2f} s for the server"
    )
