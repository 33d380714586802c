"""Bad input gets one clear line on stderr, the contract's exit code, and changes nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from board.cli import cli  # noqa: F401  (the entry point under test)
from storage.store import STORE_SCHEMA
from sync.identity import Identity

from .conftest import Cli


def fingerprint(home: Path) -> str:
    """The board's content: every change row (so 'nothing changed' is checkable)."""
    conn = sqlite3.connect(home / "board.db")
    try:
        rows = conn.execute("SELECT hash FROM changes ORDER BY seq").fetchall()
    finally:
        conn.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(run: Cli, args: list[str], code: int, message: str) -> None:
    before = fingerprint(run.home)
    result = run(*args, code=code)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("teamboard: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert fingerprint(run.home) == before


@pytest.fixture
def board(run: Cli) -> dict[str, str]:
    ids = {
        "goal": run("add", "goal", "Uptime").stdout.strip(),
        "commitment": run("add", "commitment", "Alerts", "--to", "Acme").stdout.strip(),
    }
    ident = Identity.generate()
    # Ben joins through the service (the invite flow is the sync layer's).
    from board.workspace import Workspace

    with Workspace.open(run.home) as ws:
        ws.service.add_member(ident.member_id, "Ben", ident.cert_pem, ws.service.me)
        ids["ben"] = ident.member_id
        zoe = Identity.generate()
        ws.service.add_member(zoe.member_id, "Zoe", zoe.cert_pem, ws.service.me)
        ids["agreement"] = ws.service.add_agreement(
            "Handover", counterparts=["Ben", "Zoe"], accountable="Ben"
        )
    return ids


def test_unknown_id(run: Cli, board: dict[str, str]) -> None:
    assert_refused(run, ["show", "zzzzzzzz"], 2, "no item with id 'zzzzzzzz'")
    assert_refused(run, ["set", "zzzzzzzz", "status", "done"], 2, "no item with id")


def test_ambiguous_prefix(run: Cli, board: dict[str, str]) -> None:
    for i in range(40):
        run("add", "goal", f"g{i}")
    from board.workspace import Workspace

    with Workspace.open(run.home) as ws:
        ids = [r.id for r in ws.service.list("goals")]
    prefix = next(i[0] for i in ids if sum(j[0] == i[0] for j in ids) > 1)
    assert_refused(run, ["show", prefix], 2, f"id prefix '{prefix}' is ambiguous")


def test_invalid_status_transition(run: Cli, board: dict[str, str]) -> None:
    assert_refused(
        run,
        ["set", board["commitment"], "status", "done"],
        1,
        "a proposed commitment cannot become done",
    )
    assert_refused(
        run, ["set", board["commitment"], "status", "bogus"], 2, "unknown commitment status"
    )


def test_confidence_out_of_range(run: Cli, board: dict[str, str]) -> None:
    assert_refused(run, ["add", "goal", "x", "--confidence", "11"], 2, "11 is not in the range")
    assert_refused(
        run,
        ["set", board["goal"], "confidence", "11"],
        2,
        "confidence must be a whole number from 1 to 10",
    )
    assert_refused(run, ["checkin", board["goal"], "--confidence", "0"], 2, "0 is not in the range")


def test_bad_date(run: Cli, board: dict[str, str]) -> None:
    assert_refused(run, ["add", "goal", "x", "--due", "31/12/2030"], 2, "bad date '31/12/2030'")
    assert_refused(run, ["set", board["goal"], "due", "someday"], 2, "bad date 'someday'")


def test_consent_by_a_non_party(run: Cli, board: dict[str, str]) -> None:
    assert_refused(
        run, ["consent", board["agreement"]], 1, "only the parties to this agreement can consent"
    )


def test_editing_someone_elses_focus(run: Cli, board: dict[str, str]) -> None:
    assert_refused(run, ["focus", "--member", "Ben", "--focus", "x"], 1, "only Ben can edit theirs")


def test_usage_errors(run: Cli, board: dict[str, str]) -> None:
    assert_refused(run, ["frobnicate"], 2, "No such command 'frobnicate'")
    assert_refused(run, ["add", "commitment", "x"], 2, "Missing option '--to'")
    assert_refused(
        run, ["set", board["goal"], "colour", "red"], 2, "a goal has no settable field 'colour'"
    )
    assert_refused(run, ["add", "goal", "   "], 2, "the title must not be empty")


def test_no_board_in_home(tmp_path: Path) -> None:
    result = Cli(tmp_path / "empty")("list", code=1)
    assert (
        result.stderr.startswith("teamboard: error: no board in")
        and "teamboard init" in result.stderr
    )


def test_damaged_database_is_refused_and_untouched(run: Cli, board: dict[str, str]) -> None:
    db = run.home / "board.db"
    for name in ("board.db-wal", "board.db-shm"):
        (run.home / name).unlink(missing_ok=True)
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xde\xad\xbe\xef" * 1024  # smash the second page
    db.write_bytes(bytes(data))
    before = file_digest(db)
    result = run("list", code=1)
    assert result.stderr.count("\n") == 1 and "damaged" in result.stderr
    assert file_digest(db) == before


def test_non_sqlite_file_is_refused_and_untouched(run: Cli) -> None:
    db = run.home / "board.db"
    db.write_bytes(b"this is not a database at all\n" * 100)
    before = file_digest(db)
    result = run("list", code=1)
    assert "not a teamboard database" in result.stderr and result.stderr.count("\n") == 1
    assert file_digest(db) == before


def test_truncated_database_is_refused_and_untouched(run: Cli, board: dict[str, str]) -> None:
    db = run.home / "board.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2 + 100])
    before = file_digest(db)
    result = run("list", code=1)
    assert result.stderr.startswith("teamboard: error: ") and result.stderr.count("\n") == 1
    assert file_digest(db) == before


def test_database_from_a_newer_schema_is_refused_and_untouched(run: Cli) -> None:
    db = run.home / "board.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(STORE_SCHEMA + 1),)
        )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = file_digest(db)
    result = run("list", code=1)
    assert "written by a newer teamboard" in result.stderr and result.stderr.count("\n") == 1
    assert file_digest(db) == before


def test_key_readable_by_others_is_refused(run: Cli) -> None:
    key = run.home / "identity.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    key.chmod(0o644)
    result = run("list", code=1)
    assert "readable by other users" in result.stderr and "chmod 600" in result.stderr
