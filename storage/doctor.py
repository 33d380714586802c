"""Read-only inspection of a board database file, and the rows a repair salvages from it.

Nothing here writes to the file it looks at: connections are opened with ``mode=ro``
(:mod:`storage.readonly`), so a damaged, foreign or newer file keeps every byte.
:func:`holder_pid` tells whether another process has the database open (SQLite's own
lock on the ``-shm`` file), so that a restore or a repair never swaps a file under a
running app or ``serve``.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import struct
import sys
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.readonly import SHM, read_only, sidecar
from storage.store import APPLICATION_ID, STORE_SCHEMA, Snapshot

SQLITE_HEADER = b"SQLite format 3\x00"
CORE_TABLES = ("meta", "changes", "snapshots", "peers")

# Database states, from best to worst.
OK = "ok"
MISSING = "missing"
EMPTY = "empty"
NOT_SQLITE = "not_sqlite"
DAMAGED = "damaged"
FOREIGN = "foreign"
NEWER = "newer"


@dataclass
class DatabaseReport:
    """What :func:`inspect_database` found; ``problem`` is one line for people."""

    path: Path
    state: str
    problem: str = ""
    schema: int | None = None
    changes: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.state == OK


def inspect_database(path: Path, thorough: bool = True) -> DatabaseReport:
    """Check ``path`` without modifying it: present, SQLite, structurally sound
    (``PRAGMA integrity_check``, or ``quick_check`` when not ``thorough``), a teamboard
    database, and a schema this program knows."""
    path = Path(path)
    if not path.exists():
        return DatabaseReport(path, MISSING, f"{path} does not exist")
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        return DatabaseReport(path, DAMAGED, f"{path} cannot be read ({exc.strerror})")
    if not header:
        return DatabaseReport(path, EMPTY, f"{path} is empty (0 bytes): it was truncated")
    if header != SQLITE_HEADER:
        return DatabaseReport(
            path, NOT_SQLITE, f"{path} is not a teamboard database (not an SQLite file)"
        )
    try:
        with read_only(path) as conn:
            pragma = "integrity_check(20)" if thorough else "quick_check(20)"
            verdict = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}")]
            if verdict != ["ok"]:
                return DatabaseReport(
                    path, DAMAGED, f"{path} is damaged ({verdict[0]})", details=verdict
                )
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            if "meta" not in tables or "changes" not in tables or app_id not in (0, APPLICATION_ID):
                return DatabaseReport(path, FOREIGN, f"{path} is not a teamboard database")
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            changes = int(conn.execute("SELECT count(*) FROM changes").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return DatabaseReport(path, DAMAGED, f"{path} is damaged ({exc})")
    schema = int(row[0]) if row and str(row[0]).isdigit() else None
    if schema is None:
        return DatabaseReport(
            path, FOREIGN, f"{path} is not a teamboard database (no schema version)"
        )
    if schema > STORE_SCHEMA:
        return DatabaseReport(
            path,
            NEWER,
            f"{path} was written by a newer teamboard (database schema {schema}, "
            f"this program knows {STORE_SCHEMA})",
            schema=schema,
        )
    return DatabaseReport(path, OK, schema=schema, changes=changes)


# ---------------------------------------------------------------------- the rows of a board


@dataclass
class BoardRows:
    """What could be read of a board database: the latest snapshot and the change log,
    each with the error that stopped its reading ('' when it was read in full)."""

    snapshot: Snapshot | None = None
    snapshot_error: str = ""
    changes: list[tuple[int, str, bytes]] = field(default_factory=list)  # (seq, hash, bytes)
    changes_error: str = ""
    meta: dict[str, str] = field(default_factory=dict)

    def change_bytes(self, after: int = 0) -> list[bytes]:
        return [data for seq, _, data in self.changes if seq > after]

    @property
    def hashes(self) -> set[str]:
        return {h for _, h, _ in self.changes}


def read_board_rows(path: Path) -> BoardRows:
    """Read the snapshot and every change row of ``path`` (read-only, tolerant of damage)."""
    rows = BoardRows()
    try:
        with read_only(path) as conn:
            try:
                found = conn.execute(
                    "SELECT upto_seq, heads, bytes FROM snapshots "
                    "ORDER BY upto_seq DESC, id DESC LIMIT 1"
                ).fetchone()
                if found is not None:
                    rows.snapshot = Snapshot(int(found[0]), json.loads(found[1]), bytes(found[2]))
            except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
                rows.snapshot_error = str(exc) or type(exc).__name__
            try:
                for seq, hash_, data in conn.execute(
                    "SELECT seq, hash, bytes FROM changes ORDER BY seq"
                ):
                    rows.changes.append((int(seq), str(hash_), bytes(data)))
            except (sqlite3.DatabaseError, TypeError) as exc:
                rows.changes_error = str(exc) or type(exc).__name__
            try:
                rows.meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}
            except sqlite3.DatabaseError:
                pass
    except sqlite3.DatabaseError as exc:
        rows.changes_error = rows.changes_error or str(exc)
        rows.snapshot_error = rows.snapshot_error or str(exc)
    return rows


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f"PRAGMA table_info([{table}])")]


def table_rows(conn: sqlite3.Connection, table: str, names: list[str]) -> list[tuple[Any, ...]]:
    """Every row of ``table`` (only the columns ``names``; missing ones read as NULL)."""
    present = set(columns(conn, table))
    if not present:
        return []
    select = ", ".join(f"[{c}]" if c in present else "NULL" for c in names)
    return list(conn.execute(f"SELECT {select} FROM [{table}]"))


@dataclass
class Copied:
    """What :func:`copy_rows` did: rows gained per table, tables that could not be read."""

    gained: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)


def copy_rows(source: Path, target: sqlite3.Connection, skip: set[str], keep_seq: bool) -> Copied:
    """Copy the rows of the change log, peers, meta and any other table that is not a
    read-model table (those are in ``skip``) from ``source`` (read-only) into ``target``.

    Rows already present (same key or change hash) are left alone. ``keep_seq`` keeps the
    change log's sequence numbers (a salvage); otherwise copied changes are appended after
    the target's own, in their original order (a merge). A table other than the change
    log that cannot be read is skipped and named in ``unreadable``; a change log that
    cannot be read in full raises sqlite3.DatabaseError and nothing of it is copied.
    """
    copied = Copied()
    with read_only(source) as src:
        src_tables = [
            str(r[0])
            for r in src.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        dst_tables = {
            str(r[0]) for r in target.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        for table in src_tables:
            if table in skip or table not in dst_tables or table == "snapshots":
                continue
            try:
                src_columns = set(columns(src, table))
                names = [c for c in columns(target, table) if c in src_columns]
                if table == "changes" and not keep_seq:
                    names = [c for c in names if c != "seq"]
                order = " ORDER BY seq" if table == "changes" else ""
                select = ", ".join(f"[{c}]" for c in names)
                rows = list(src.execute(f"SELECT {select} FROM [{table}]{order}"))
            except sqlite3.DatabaseError:
                if table == "changes":
                    raise
                copied.unreadable.append(table)
                continue
            if table == "meta":
                rows = [
                    r
                    for r in rows
                    if r[names.index("key")] not in ("schema_version", "readmodel_heads")
                ]
            marks = ", ".join("?" * len(names))
            before = target.total_changes
            target.executemany(f"INSERT OR IGNORE INTO [{table}] ({select}) VALUES ({marks})", rows)
            copied.gained[table] = target.total_changes - before
    return copied


def discard_snapshots(conn: sqlite3.Connection) -> None:
    """Delete every snapshot (inside a write transaction): the board then loads from the
    change log alone, which compaction never deletes."""
    conn.execute("DELETE FROM snapshots")


def integrity_ok(path: Path) -> bool:
    """``PRAGMA integrity_check`` of ``path`` says ok (read-only)."""
    try:
        with read_only(path) as conn:
            return [r[0] for r in conn.execute("PRAGMA integrity_check(1)")] == ["ok"]
    except sqlite3.DatabaseError:
        return False


# ---------------------------------------------------------------------- who has it open


def holder_pid(db: Path) -> int | None:
    """The id of another process that has the database ``db`` open, or None.

    Every SQLite connection to a WAL database holds a read lock on one byte (the
    "dead man switch", offset 128) of the ``-shm`` file while it is open; asking the
    kernel who holds it (``F_GETLK``) does not take the lock. Detects the app, ``serve``
    and ``sync`` on Linux and macOS; elsewhere this returns None (not detectable).
    Call it before this process opens ``db`` itself: POSIX drops a process's locks on a
    file when it closes any descriptor of it.
    """
    shm = sidecar(db, SHM)
    if not shm.exists():
        return None
    if sys.platform.startswith("linux"):
        layout, pad, pid_at = "@hhqqi", 4, 4
    elif sys.platform == "darwin":
        layout, pad, pid_at = "@qqihh", 0, 2
    else:
        return None
    try:
        fd = os.open(shm, os.O_RDONLY)
    except OSError:
        return None
    with closing(os.fdopen(fd, "rb")) as fh:
        if layout == "@hhqqi":
            request = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 128, 1, 0)
        else:
            request = struct.pack(layout, 128, 1, 0, fcntl.F_WRLCK, os.SEEK_SET)
        try:
            answer = fcntl.fcntl(fh.fileno(), fcntl.F_GETLK, request + b"\0" * pad)
        except OSError:
            return None
    fields = struct.unpack(layout, answer[: struct.calcsize(layout)])
    lock_type = fields[0] if layout == "@hhqqi" else fields[3]
    if lock_type == fcntl.F_UNLCK:
        return None
    return int(fields[pid_at])
