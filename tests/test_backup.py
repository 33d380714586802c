"""`teamboard backup FILE` makes a consistent, checked copy even while another process
writes; `teamboard restore FILE` brings a board back without losing what was made since,
refuses anything that is not a backup of this team (changing nothing), keeps the
previous file, and is never half done."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from board.boardfile import load_file
from board.workspace import Workspace

from .conftest import Cli
from .test_doctor import root_page, settle, smash, sql

EXE = str(Path(sys.executable).with_name("teamboard"))
WRITER = """
import sys
from board.workspace import Workspace
ws = Workspace.open(sys.argv[1])
i = 0
while True:
    print(ws.service.add_goal(f"written {i}"), flush=True)   # printed once saved
    i += 1
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def goals_in(db: Path) -> set[str]:
    board = load_file(db)
    assert board.doc is not None, board.log_problem
    return set(board.doc.ids("goals"))


def integrity(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def goal_ids(run: Cli) -> set[str]:
    return {g["id"] for g in json.loads(run("list", "goals", "--json").stdout)}


def home_files(home: Path) -> dict[str, str]:
    """The bytes of every file in the home, except what SQLite keeps for its readers: the
    shared-memory index and an empty write-ahead log."""
    files = {
        p.name: digest(p) for p in home.iterdir() if p.is_file() and not p.name.endswith("-shm")
    }
    if files.get("board.db-wal") == hashlib.sha256(b"").hexdigest():
        del files["board.db-wal"]
    return files


def refused(run: Cli, args: list[str], code: int, message: str) -> None:
    result = run(*args, code=code)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("teamboard: error: ") and message in lines[0], (
        result.stderr
    )


@pytest.fixture
def goals(run: Cli) -> list[str]:
    return [run("add", "goal", f"goal {i}").stdout.strip() for i in range(5)]


def test_a_backup_is_a_checked_copy_and_is_not_overwritten_without_force(
    run: Cli, goals: list[str], tmp_path: Path
) -> None:
    copy = tmp_path / "monday.teamboard"
    out = run("backup", str(copy)).stdout
    assert out.startswith("backed up team 'Orbit' (") and str(copy) in out
    assert integrity(copy) == "ok" and goals_in(copy) == set(goals)
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    before = digest(copy)
    run("add", "goal", "later")
    refused(run, ["backup", str(copy)], 1, "already exists; use --force")
    assert digest(copy) == before
    run("backup", str(copy), "--force")
    assert len(goals_in(copy)) == 6
    refused(run, ["backup", str(run.home / "board.db")], 2, "is the board itself")
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_a_backup_while_another_process_writes_is_consistent(run: Cli, tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(run.home)], stdout=subprocess.PIPE, text=True
    )
    reported: list[str] = []
    assert writer.stdout is not None
    reader = threading.Thread(
        target=lambda: reported.extend(line.strip() for line in writer.stdout), daemon=True
    )  # type: ignore[union-attr]
    reader.start()
    try:
        for n in range(3):
            deadline = time.monotonic() + 120
            while len(reported) < 20 * (n + 1) and time.monotonic() < deadline:
                time.sleep(0.02)
            saved_before = set(reported)
            assert len(saved_before) >= 20 * (n + 1)
            copy = tmp_path / f"copy{n}.db"
            run("backup", str(copy))
            assert integrity(copy) == "ok"
            assert goals_in(copy) >= saved_before  # everything saved before the backup began
            assert writer.poll() is None  # and the writer never stopped
    finally:
        writer.kill()
        writer.wait()
        reader.join(timeout=30)
    # the copy restores into a working board
    run("restore", str(tmp_path / "copy2.db"), "--replace")
    assert goal_ids(run) == goals_in(tmp_path / "copy2.db")


def test_restore_brings_back_a_damaged_board_and_keeps_the_damaged_file(
    run: Cli, goals: list[str], tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    run("backup", str(copy))
    identity = digest(run.home / "identity.key"), digest(run.home / "identity.crt")
    settle(run.home)
    smash(run.home, root_page(run.home, "changes"))
    damaged = digest(run.home / "board.db")
    run("list", code=1)
    out = run("restore", str(copy)).stdout
    assert "restored team 'Orbit'" in out
    assert "the previous board.db could not be read" in out and "nothing of it was merged" in out
    kept = [p for p in run.home.iterdir() if p.name.startswith("board.db.before-restore-")]
    assert len(kept) == 1 and str(kept[0]) in out and digest(kept[0]) == damaged
    assert goal_ids(run) == set(goals)
    assert (digest(run.home / "identity.key"), digest(run.home / "identity.crt")) == identity
    assert "healthy" in run("doctor").stdout


def test_restoring_an_older_backup_merges_what_was_made_since(
    run: Cli, goals: list[str], tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    run("backup", str(copy))
    later = run("add", "goal", "made after the backup").stdout.strip()
    run("set", goals[0], "title", "renamed after the backup")
    out = run("restore", str(copy)).stdout
    assert "merged 2 changes made since the backup, so none is lost" in out
    assert goal_ids(run) == {*goals, later}
    assert json.loads(run("show", goals[0], "--json").stdout)["title"] == "renamed after the backup"


def test_a_hostile_backup_cannot_run_its_own_sql_during_the_restore(
    run: Cli, goals: list[str], tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    run("backup", str(copy))
    conn = sqlite3.connect(copy)  # someone slipped a trigger into the file
    conn.execute("CREATE TRIGGER wipe AFTER INSERT ON changes BEGIN DELETE FROM changes; END")
    conn.execute("CREATE VIEW peek AS SELECT * FROM changes")
    conn.commit()
    conn.close()
    later = run("add", "goal", "made after the backup").stdout.strip()
    assert "merged 1 change made since the backup" in run("restore", str(copy)).stdout
    assert goal_ids(run) == {*goals, later}
    kinds = sql(run.home, "SELECT type FROM sqlite_master WHERE type IN ('trigger', 'view')")
    assert kinds == []


def test_restore_replace_leaves_out_what_was_made_since_and_says_where_it_is(
    run: Cli, goals: list[str], tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    run("backup", str(copy))
    later = run("add", "goal", "made after the backup").stdout.strip()
    out = run("restore", str(copy), "--replace").stdout
    assert "1 change of the previous board are not in the restored one" in out
    kept = next(p for p in run.home.iterdir() if p.name.startswith("board.db.before-restore-"))
    assert str(kept) in out
    assert goal_ids(run) == set(goals)
    assert later in goals_in(kept)


def test_restore_into_a_home_that_lost_its_database(
    run: Cli, goals: list[str], tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    run("backup", str(copy))
    (run.home / "board.db").unlink()
    out = run("restore", str(copy)).stdout
    assert "restored team 'Orbit'" in out and "previous board" not in out
    assert goal_ids(run) == set(goals)


def other_team_backup(tmp_path: Path) -> Path:
    other = Cli(tmp_path / "other")
    other("init", "--team", "Elsewhere", "--name", "Zed")
    other("add", "goal", "not yours")
    other("backup", str(tmp_path / "other.db"))
    return tmp_path / "other.db"


def garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.db"
    path.write_bytes(random.Random(1).randbytes(50_000))
    return path


def truncated_backup(tmp_path: Path, run: Cli) -> Path:
    run("backup", str(tmp_path / "whole.db"))
    path = tmp_path / "truncated.db"
    path.write_bytes((tmp_path / "whole.db").read_bytes()[:20_000])
    return path


def newer_backup(tmp_path: Path, run: Cli) -> Path:
    path = tmp_path / "newer.db"
    run("backup", str(path))
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    "case", ["garbage", "truncated", "newer", "other team", "directory", "absent"]
)
def test_restore_refuses_what_is_not_a_backup_of_this_board_and_changes_nothing(
    run: Cli, goals: list[str], tmp_path: Path, case: str
) -> None:
    source, code, message = {
        "garbage": (lambda: garbage(tmp_path), 2, "not a teamboard database (not an SQLite file)"),
        "truncated": (lambda: truncated_backup(tmp_path, run), 2, "cannot be restored"),
        "newer": (lambda: newer_backup(tmp_path, run), 2, "written by a newer teamboard"),
        "other team": (lambda: other_team_backup(tmp_path), 1, "is a backup of team 'Elsewhere'"),
        "directory": (lambda: tmp_path, 2, "is a directory"),
        "absent": (lambda: tmp_path / "nothing.db", 2, "does not exist"),
    }[case]
    path = source()
    settle(run.home)
    home_before = home_files(run.home)
    source_before = digest(path) if path.is_file() else None
    refused(run, ["restore", str(path)], code, message)
    assert home_files(run.home) == home_before
    assert (digest(path) if path.is_file() else None) == source_before
    assert goal_ids(run) == set(goals)


def test_restore_refuses_a_board_that_does_not_list_you(
    run: Cli, goals: list[str], tmp_path: Path
) -> None:
    other = other_team_backup(tmp_path)
    (run.home / "board.db").rename(tmp_path / "aside.db")
    refused(run, ["restore", str(other)], 1, "does not list you")
    assert not (run.home / "board.db").exists()


def test_restore_refuses_while_another_process_has_the_board_open(
    run: Cli, goals: list[str], tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    run("backup", str(copy))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from board.workspace import Workspace; "
                "ws = Workspace.open(sys.argv[1]); print('open', flush=True); "
                "time.sleep(120)"
            ),
            str(run.home),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = digest(run.home / "board.db")
        refused(run, ["restore", str(copy)], 1, f"another teamboard process (pid {holder.pid}) has")
        assert digest(run.home / "board.db") == before
    finally:
        holder.kill()
        holder.wait()


def test_restore_of_an_item_still_restores_an_archived_item(run: Cli, goals: list[str]) -> None:
    run("archive", goals[0])
    assert run("restore", goals[0]).stdout.strip() == f"restored {goals[0]}"
    refused(run, ["restore", goals[1], "--replace"], 2, "--replace is for restoring a backup FILE")


def test_a_restore_killed_at_any_point_leaves_the_old_board_or_the_new_one(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine"
    with Workspace.init(pristine, "Orbit", "Ana") as ws:
        for i in range(300):
            ws.service.add_goal(f"goal {i}")
    copy = tmp_path / "backup.db"
    Cli(pristine)("backup", str(copy))
    with Workspace.open(pristine) as ws:
        for i in range(100):
            ws.service.add_goal(f"after {i}")
    settle(pristine)
    old, new = goals_in(pristine / "board.db"), goals_in(copy)
    assert old > new
    rng = random.Random(20260302)
    outcomes = []
    for _ in range(6):
        home = tmp_path / "home"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(pristine, home)
        proc = subprocess.Popen(
            [EXE, "--home", str(home), "restore", str(copy), "--replace"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.6))
        proc.kill()
        proc.wait()
        assert integrity(home / "board.db") == "ok"
        now = goals_in(home / "board.db")
        assert now in (old, new)
        outcomes.append("new" if now == new else "old")
        if now == new:  # the previous board was kept whole
            kept = next(p for p in home.iterdir() if p.name.startswith("board.db.before-restore-"))
            assert goals_in(kept) == old
        with Workspace.open(home) as ws:
            assert {g.id for g in ws.service.list("goals")} == now
    print("restore kills:", outcomes)
    assert sql(pristine, "SELECT count(*) FROM goals")[0][0] == 400  # the original is untouched
