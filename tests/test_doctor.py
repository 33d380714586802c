"""Damaged and hostile files: normal commands refuse them with one clear line and leave
every byte as it was; `teamboard doctor` says what is wrong and how to recover, and
`doctor --repair` fixes what the home itself can fix, without touching the change log
and without ever writing to a damaged file."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from board.workspace import Workspace
from storage.store import STORE_SCHEMA
from sync.identity import Identity

from .conftest import Cli
from .test_convergence import random_op

PAGE = 4096


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def change_log(home: Path) -> list[tuple[object, ...]]:
    """Every row of the change log, as stored."""
    with sqlite3.connect(f"file:{home / 'board.db'}?mode=ro", uri=True) as conn:
        return list(
            conn.execute(
                "SELECT seq, hash, actor, author, bytes, signature FROM changes ORDER BY seq"
            )
        )


def sql(home: Path, statement: str, *params: object) -> list[tuple[object, ...]]:
    """Run one statement on board.db as another program would (and close the connection)."""
    conn = sqlite3.connect(home / "board.db")
    try:
        rows = list(conn.execute(statement, params))
        conn.commit()
        return rows
    finally:
        conn.close()


def settle(home: Path) -> None:
    """Fold the WAL into board.db and close it, so that the file alone holds the board."""
    conn = sqlite3.connect(home / "board.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        assert not (home / f"board.db{suffix}").exists()


def root_page(home: Path, name: str) -> int:
    with sqlite3.connect(f"file:{home / 'board.db'}?mode=ro", uri=True) as conn:
        return int(
            conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
        )


def smash(home: Path, page: int) -> None:
    db = home / "board.db"
    data = bytearray(db.read_bytes())
    data[(page - 1) * PAGE : page * PAGE] = bytes(
        random.Random(page).randrange(256) for _ in range(PAGE)
    )
    db.write_bytes(bytes(data))


@pytest.fixture
def board(run: Cli) -> list[str]:
    """Ana's board with 30 goals, settled in one file."""
    ids = [run("add", "goal", f"goal {i}").stdout.strip() for i in range(30)]
    settle(run.home)
    return ids


def goal_ids(run: Cli) -> set[str]:
    import json

    return {g["id"] for g in json.loads(run("list", "goals", "--json").stdout)}


def assert_one_line_refusal(run: Cli, args: list[str], message: str) -> None:
    result = run(*args, code=1)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("teamboard: error: "), result.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def doctor(run: Cli, *args: str, code: int) -> list[str]:
    result = run("doctor", *args, code=code)
    assert result.stderr == ""
    return result.stdout.splitlines()


def finding(lines: list[str], status: str, subject: str) -> str:
    found = [line for line in lines if line.startswith(f"{status:<8} {subject}: ")]
    assert found, (status, subject, lines)
    return found[0]


# ---------------------------------------------------------------------- damaged files


def truncate(home: Path) -> None:
    db = home / "board.db"
    db.write_bytes(db.read_bytes()[: 12 * PAGE + 100])


def smash_change_log(home: Path) -> None:
    smash(home, root_page(home, "changes"))


def not_sqlite(home: Path) -> None:
    (home / "board.db").write_bytes(b"this is not a database at all\n" * 300)


def empty(home: Path) -> None:
    (home / "board.db").write_bytes(b"")


def foreign(home: Path) -> None:
    (home / "board.db").unlink()
    sql(home, "CREATE TABLE recipes (name TEXT, steps TEXT)")
    sql(home, "INSERT INTO recipes VALUES ('bread', 'knead')")


def newer(home: Path) -> None:
    sql(home, "UPDATE meta SET value = ? WHERE key = 'schema_version'", str(STORE_SCHEMA + 1))
    settle(home)


DAMAGE: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # case: (how the file is damaged, what a normal command says, what doctor says)
    "truncated": (truncate, "damaged", "is damaged"),
    "corrupted change log": (smash_change_log, "damaged", "its change log cannot be read in full"),
    "not SQLite": (
        not_sqlite,
        "not a teamboard database (not an SQLite file)",
        "not an SQLite file",
    ),
    "empty": (empty, "is empty (0 bytes)", "is empty (0 bytes)"),
    "another program's database": (
        foreign,
        "not a teamboard database",
        "is not a teamboard database",
    ),
    "newer schema": (newer, "written by a newer teamboard", "upgrade teamboard"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_database_is_refused_untouched_and_explained(
    run: Cli, board: list[str], case: str
) -> None:
    damage, refusal, diagnosis = DAMAGE[case]
    damage(run.home)
    db = run.home / "board.db"
    before = digest(db)
    for args in (
        ["list"],
        ["add", "goal", "one more"],
        ["show", board[0]],
        ["backup", str(run.home.parent / "copy.db")],
    ):
        assert_one_line_refusal(run, args, refusal)
        assert digest(db) == before, args
    assert not (run.home.parent / "copy.db").exists()

    lines = doctor(run, code=1)
    line = finding(lines, "problem", "board.db")
    assert diagnosis in line
    if case != "newer schema":
        assert "teamboard restore FILE" in line and "join the team again" in line
    assert lines[-1].startswith("1 problem found")
    assert digest(db) == before

    # --repair cannot rebuild these from the home itself: it says so and writes nothing
    lines = doctor(run, "--repair", code=1)
    assert diagnosis in finding(lines, "problem", "board.db")
    assert digest(db) == before
    assert sorted(p.name for p in run.home.iterdir() if p.name.startswith("board.db.")) == []


def test_a_key_readable_by_others_is_refused_then_repaired(run: Cli, board: list[str]) -> None:
    key = run.home / "identity.key"
    key.chmod(0o644)
    before = digest(key), digest(run.home / "board.db")
    assert_one_line_refusal(run, ["list"], "is readable by other users (mode 644); run `chmod 600")
    assert_one_line_refusal(run, ["add", "goal", "x"], "readable by other users")
    line = finding(doctor(run, code=1), "problem", "identity.key")
    assert "chmod 600" in line and "teamboard doctor --repair" in line
    assert (digest(key), digest(run.home / "board.db")) == before
    assert oct(key.stat().st_mode & 0o777) == "0o644"

    lines = doctor(run, "--repair", code=0)
    assert "mode set to 600" in finding(lines, "repaired", "identity.key")
    assert lines[-1] == "healthy after the repairs above"
    assert oct(key.stat().st_mode & 0o777) == "0o600" and digest(key) == before[0]
    assert goal_ids(run) == set(board)


def test_a_certificate_that_does_not_match_the_key_is_rewritten_from_the_team_record(
    run: Cli, board: list[str]
) -> None:
    cert = run.home / "identity.crt"
    original = cert.read_text()
    cert.write_text(Identity.generate().cert_pem)  # someone else's certificate
    assert_one_line_refusal(run, ["list"], "the certificate does not match the key")
    assert "does not match identity.key" in finding(doctor(run, code=1), "problem", "identity.crt")
    doctor(run, "--repair", code=0)
    assert cert.read_text() == original
    cert.unlink()
    assert_one_line_refusal(run, ["list"], "cannot read the identity")
    assert "missing" in finding(doctor(run, code=1), "problem", "identity.crt")
    doctor(run, "--repair", code=0)
    assert cert.read_text() == original
    assert goal_ids(run) == set(board)


def test_missing_files_are_named_with_the_way_back(
    run: Cli, board: list[str], tmp_path: Path
) -> None:
    key = run.home / "identity.key"
    saved = key.read_bytes()
    key.unlink()
    line = finding(doctor(run, code=1), "problem", "identity.key")
    assert "missing" in line and "join the team again" in line
    key.write_bytes(saved)
    key.chmod(0o600)
    (run.home / "board.db").rename(tmp_path / "elsewhere.db")
    line = finding(doctor(run, code=1), "problem", "board.db")
    assert "missing" in line and "teamboard restore FILE" in line
    nowhere = Cli(tmp_path / "nowhere")
    result = nowhere("doctor", code=1)
    assert "problem  home:" in result.stdout and "does not exist" in result.stdout
    assert not (tmp_path / "nowhere").exists()


# ---------------------------------------------------------------------- repairs


def test_a_healthy_board_is_healthy_and_doctor_changes_nothing(run: Cli, tmp_path: Path) -> None:
    with Workspace.open(run.home) as ws:
        for i in range(3):
            ident = Identity.generate()
            ws.service.add_member(ident.member_id, f"M{i}", ident.cert_pem, ws.service.me)
        ws.service.add_stream("Ops")
        rng = random.Random(7)
        for _ in range(150):  # every kind of edit, incremental read-model updates throughout
            random_op(ws.service, rng)
        ws.service.compact()
        for _ in range(20):
            random_op(ws.service, rng)
    settle(run.home)
    before = digest(run.home / "board.db")
    lines = doctor(run, code=0)
    assert lines[-1] == "healthy: nothing to do"
    assert all(line.startswith("ok ") for line in lines[:-1]), lines
    assert [line.split(":")[0].split(maxsplit=1)[1] for line in lines[:-1]] == [
        "identity.key",
        "identity.crt",
        "board.db",
        "board",
        "read model",
    ]
    assert digest(run.home / "board.db") == before


def test_a_stale_read_model_is_reported_and_rebuilt_without_touching_the_change_log(
    run: Cli, board: list[str]
) -> None:
    sql(run.home, "UPDATE meta SET value = 'stale' WHERE key = 'readmodel_heads'")
    sql(run.home, "DELETE FROM goals WHERE id = ?", board[3])
    settle(run.home)
    log = change_log(run.home)
    before = digest(run.home / "board.db")
    line = finding(doctor(run, code=1), "problem", "read model")
    assert "mirrors an older state" in line and "goals 1" in line and "--repair" in line
    assert digest(run.home / "board.db") == before

    lines = doctor(run, "--repair", code=0)
    assert "rebuilt the read model" in finding(lines, "repaired", "read model")
    assert change_log(run.home) == log
    assert goal_ids(run) == set(board)


def test_a_read_model_edited_by_hand_is_found_inconsistent_and_rebuilt(
    run: Cli, board: list[str]
) -> None:
    # readmodel_heads still says "in step"
    sql(run.home, "UPDATE goals SET title = 'tampered' WHERE id = ?", board[0])
    sql(run.home, "INSERT INTO goals(id, type, title) VALUES ('ghost123', 'goal', 'ghost')")
    log = change_log(run.home)
    line = finding(doctor(run, code=1), "problem", "read model")
    assert "rows differ from the change log (goals 3)" in line
    doctor(run, "--repair", code=0)
    assert change_log(run.home) == log
    import json

    titles = {g["id"]: g["title"] for g in json.loads(run("list", "goals", "--json").stdout)}
    assert titles[board[0]] == "goal 0" and "ghost123" not in titles


def test_a_snapshot_that_does_not_load_is_rewritten_from_the_change_log(
    run: Cli, board: list[str]
) -> None:
    with Workspace.open(run.home) as ws:
        assert ws.service.compact()
    broken = bytearray(sql(run.home, "SELECT bytes FROM snapshots")[0][0])  # type: ignore[arg-type]
    broken[len(broken) // 2] ^= 0xFF
    sql(run.home, "UPDATE snapshots SET bytes = ?", bytes(broken))
    settle(run.home)
    log = change_log(run.home)
    before = digest(run.home / "board.db")
    assert_one_line_refusal(run, ["list"], "the board cannot be loaded")
    line = finding(doctor(run, code=1), "problem", "snapshot")
    assert "does not load" in line and "the change log is intact" in line
    assert digest(run.home / "board.db") == before
    lines = doctor(run, "--repair", code=0)
    assert "wrote a new snapshot" in finding(lines, "repaired", "snapshot")
    assert change_log(run.home) == log
    assert goal_ids(run) == set(board)


@pytest.mark.parametrize("table", ["goals", "idx_changes_hash", "meta"])
def test_a_damaged_file_with_an_intact_change_log_is_rebuilt_beside_it(
    run: Cli, board: list[str], table: str
) -> None:
    log = change_log(run.home)
    smash(run.home, root_page(run.home, table))
    db = run.home / "board.db"
    damaged = digest(db)
    assert_one_line_refusal(run, ["list"], "damaged")
    line = finding(doctor(run, code=1), "problem", "board.db")
    assert f"its change log reads without error ({len(log)} changes)" in line and "--repair" in line
    assert digest(db) == damaged

    lines = doctor(run, "--repair", code=0)
    repaired = finding(lines, "repaired", "board.db")
    kept = [p for p in run.home.iterdir() if p.name.startswith("board.db.damaged-")]
    assert len(kept) == 1 and kept[0].name in repaired
    assert digest(kept[0]) == damaged  # the damaged original, byte for byte
    assert change_log(run.home) == log
    assert goal_ids(run) == set(board)
    assert lines[-1] == "healthy after the repairs above"
    run("add", "goal", "after the repair")


def test_a_repair_that_would_swap_the_file_waits_for_other_processes(
    run: Cli, board: list[str]
) -> None:
    smash(run.home, root_page(run.home, "goals"))
    db = run.home / "board.db"
    damaged = digest(db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
                "c.execute('SELECT count(*) FROM sqlite_master').fetchone(); "
                "print('open', flush=True); time.sleep(120)"
            ),
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        line = finding(doctor(run, "--repair", code=1), "problem", "board.db")
        assert f"not repaired: another teamboard process (pid {holder.pid}) has" in line
        assert digest(db) == damaged
    finally:
        holder.kill()
        holder.wait()
    doctor(run, "--repair", code=0)
    assert goal_ids(run) == set(board)
    assert os.access(db, os.R_OK)
