"""`teamboard doctor`: check a home and say, one finding per line, what is wrong and how
to recover; with ``--repair``, fix what can be fixed from what the home itself holds.

Checks, in order: the home, the identity key (permissions, readable), the certificate
(matches the key and the team's record of you), the database file (SQLite, integrity,
a teamboard database, a schema this program knows), the board (snapshot and change log
load), and the read model (mirrors the change log). Examining never writes; the
repairs are in :mod:`board.doctor_repair`.
"""

from __future__ import annotations

import sqlite3
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from board.boardfile import (
    LoadedBoard,
    check_read_model,
    describe_differences,
    item_count,
    load_file,
    load_rows,
    team_of,
)
from board.workspace import DB_FILE
from storage import doctor as files
from sync.identity import (
    CERT_FILE,
    KEY_FILE,
    IdentityError,
    member_id_for,
    public_key_from_cert_pem,
)

OK, PROBLEM, NOTE, REPAIRED = "ok", "problem", "note", "repaired"
RESTORE = "restore a backup with `teamboard restore FILE`"
REJOIN = "or join the team again from a new home and let a teammate's copy sync to you"


@dataclass
class Finding:
    """One line of the doctor's report. ``repair`` names what ``--repair`` would do."""

    status: str
    subject: str
    message: str
    repair: str = ""

    @property
    def problem(self) -> bool:
        return self.status == PROBLEM

    def line(self) -> str:
        return f"{self.status:<8} {self.subject}: {self.message}"


@dataclass
class Checkup:
    """Everything the doctor found in one home."""

    home: Path
    findings: list[Finding] = field(default_factory=list)
    key: Ed25519PrivateKey | None = None
    board: LoadedBoard | None = None

    @property
    def db(self) -> Path:
        return self.home / DB_FILE

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.problem]

    def add(self, status: str, subject: str, message: str, repair: str = "") -> None:
        self.findings.append(Finding(status, subject, message, repair))


def examine(home: Path) -> Checkup:
    """Check the home at ``home`` without changing anything."""
    home = Path(home).expanduser()
    up = Checkup(home)
    if not home.is_dir():
        up.add(
            PROBLEM,
            "home",
            f"{home} does not exist: create a board with `teamboard init "
            "--team NAME --name ME`, join one with `teamboard join CODE --name ME`, or point "
            "--home at the right directory",
        )
        return up
    if not (home / KEY_FILE).exists() and not up.db.exists():
        up.add(
            PROBLEM,
            "home",
            f"no board and no identity in {home}: `teamboard init` or "
            "`teamboard join` creates them, or point --home at the right directory",
        )
        return up
    _check_key(up)
    _check_database(up)
    _check_certificate(up)
    _check_leftovers(up)
    order = [KEY_FILE, CERT_FILE, "membership", DB_FILE, "snapshot", "board", "read model"]
    up.findings.sort(key=lambda f: order.index(f.subject) if f.subject in order else len(order))
    return up


def _check_key(up: Checkup) -> None:
    path = up.home / KEY_FILE
    if not path.exists():
        up.add(
            PROBLEM,
            KEY_FILE,
            "missing: this home cannot sign or sync as you; copy identity.key "
            f"and identity.crt back from a copy of this home, {REJOIN}",
        )
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        up.add(
            PROBLEM,
            KEY_FILE,
            f"cannot be read ({' '.join(str(exc).split())}): copy it back "
            f"from a copy of this home, {REJOIN}",
        )
        return
    if not isinstance(key, Ed25519PrivateKey):
        up.add(
            PROBLEM,
            KEY_FILE,
            f"not an Ed25519 key: copy identity.key back from a copy of this home, {REJOIN}",
        )
        return
    up.key = key
    if mode & 0o077:
        up.add(
            PROBLEM,
            KEY_FILE,
            f"readable by other users (mode {mode:o}): run `chmod 600 "
            f"{path}` or `teamboard doctor --repair`; if someone may have copied it, ask a "
            "teammate to remove you and join again",
            repair="chmod",
        )
    else:
        up.add(
            OK, KEY_FILE, f"private (mode {mode:o}), member id {member_id_for(key.public_key())}"
        )


def _check_certificate(up: Checkup) -> None:
    if up.key is None:
        return
    path = up.home / CERT_FILE
    mine = member_id_for(up.key.public_key())
    record = my_record(up, mine)
    team_cert = str(record.get("cert") or "") if record else ""
    can_rewrite = bool(team_cert) and cert_matches(team_cert, up.key)
    fix = (
        "`teamboard doctor --repair` writes the team's copy of your certificate"
        if can_rewrite
        else f"copy identity.crt back from a copy of this home, {REJOIN}"
    )
    try:
        pem = path.read_text()
    except OSError:
        up.add(PROBLEM, CERT_FILE, f"missing or unreadable: {fix}", "cert" if can_rewrite else "")
        return
    if not cert_matches(pem, up.key):
        up.add(
            PROBLEM, CERT_FILE, f"does not match identity.key: {fix}", "cert" if can_rewrite else ""
        )
    elif team_cert and team_cert.strip() != pem.strip():
        up.add(
            PROBLEM,
            CERT_FILE,
            "differs from the certificate your team knows for you, so "
            f"peers would refuse you: {fix}",
            "cert" if can_rewrite else "",
        )
    else:
        up.add(OK, CERT_FILE, "matches the key" + (" and the team's record" if team_cert else ""))
    if up.board is not None and up.board.doc is not None and team_of(up.board.doc)[0]:
        if record is None:
            up.add(
                PROBLEM,
                "membership",
                f"your member id {mine} is not on this board: this "
                "identity belongs to another board; point --home at the right directory",
            )
        elif record.get("removed_at"):
            up.add(
                NOTE,
                "membership",
                f"you were removed from the team on "
                f"{str(record['removed_at'])[:10]}: peers refuse your connections",
            )


def my_record(up: Checkup, member_id: str) -> dict[str, object] | None:
    if up.board is None or up.board.doc is None:
        return None
    return up.board.doc.read("members", member_id)


def cert_matches(pem: str, key: Ed25519PrivateKey) -> bool:
    try:
        return public_key_from_cert_pem(pem) == key.public_key()
    except (IdentityError, ValueError):
        return False


def _check_database(up: Checkup) -> None:
    report = files.inspect_database(up.db)
    if report.state == files.MISSING:
        up.add(PROBLEM, DB_FILE, f"missing: {RESTORE}, {REJOIN}")
        return
    if report.state == files.NEWER:
        up.add(
            PROBLEM,
            DB_FILE,
            f"{_short(report.problem, up)}: upgrade teamboard to open it "
            "(do not restore over it: it holds edits this version cannot read)",
        )
        return
    if report.state == files.DAMAGED:
        _check_salvage(up, report)
        return
    if not report.usable:
        up.add(PROBLEM, DB_FILE, f"{_short(report.problem, up)}: {RESTORE}, {REJOIN}")
        return
    up.add(
        OK,
        DB_FILE,
        f"SQLite, integrity ok, a teamboard database (schema {report.schema}), "
        f"{report.changes} changes",
    )
    board = up.board = load_file(up.db)
    if board.newer:
        up.add(PROBLEM, "board", f"{board.newer}")
        return
    if board.doc is None:
        up.add(
            PROBLEM,
            "board",
            f"the change log does not load ({board.log_problem or board.snapshot_problem}): "
            f"{RESTORE}, {REJOIN}",
        )
        return
    if board.from_log_only:
        up.add(
            PROBLEM,
            "snapshot",
            f"the latest snapshot does not load ({board.snapshot_problem}), "
            "but the change log is intact: `teamboard doctor --repair` writes a new snapshot from it",
            repair="snapshot",
        )
    team_id, team_name = team_of(board.doc)
    if not team_id:
        up.add(
            NOTE,
            "board",
            "empty: this home joined a team but has not received the board yet; "
            "run `teamboard sync --peer HOST:PORT` near a teammate",
        )
    else:
        up.add(
            OK,
            "board",
            f"team {team_name!r}, {item_count(board.doc)} items, loads "
            + ("from the change log" if board.from_log_only else "from its snapshot and changes"),
        )
    try:
        check = check_read_model(up.db, board.doc)
    except sqlite3.DatabaseError as exc:
        up.add(PROBLEM, "read model", f"cannot be read ({exc}): {RESTORE}, {REJOIN}")
        return
    if check.consistent:
        up.add(OK, "read model", f"matches the change log ({check.rows} rows)")
    else:
        up.add(
            PROBLEM,
            "read model",
            f"{describe_differences(check)}: `teamboard doctor --repair` "
            "rebuilds it from the change log (the change log is not touched)",
            repair="readmodel",
        )


def _check_salvage(up: Checkup, report: files.DatabaseReport) -> None:
    """A damaged file: can its change log be read in full and loaded?"""
    rows = files.read_board_rows(up.db)
    loaded = load_rows(rows)
    what = _short(report.problem, up)
    if rows.changes_error or loaded.doc is None or not team_of(loaded.doc)[0]:
        up.add(
            PROBLEM,
            DB_FILE,
            f"{what}, and its change log cannot be read in full: {RESTORE}, {REJOIN}",
        )
        return
    up.add(
        PROBLEM,
        DB_FILE,
        f"{what}, but its change log reads without error ({len(rows.changes)} "
        "changes): `teamboard doctor --repair` rebuilds the board in a new file beside it and "
        "keeps the damaged one as board.db.damaged-<time>",
        repair="salvage",
    )


def _check_leftovers(up: Checkup) -> None:
    for leftover in sorted(up.home.glob(f".{DB_FILE}.partial-*")):
        up.add(
            NOTE,
            leftover.name,
            "left by an interrupted repair or restore; it is not used and may be deleted",
        )


def _short(problem: str, up: Checkup) -> str:
    """A report's problem without the path prefix (the subject already names the file)."""
    prefix = f"{up.db} "
    return problem.removeprefix(prefix)
