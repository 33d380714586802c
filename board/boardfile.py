"""A board read straight from a database file, without opening a home: for the doctor,
backups and restores, which must look at files that normal commands refuse.

Nothing here writes. The board is loaded the way the service loads it (latest snapshot
plus the changes after it); when that fails, from the whole change log, which compaction
never deletes.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from board import readmodel
from board.document import BoardDocument, NewerSchema, heads_hex
from storage.doctor import BoardRows, read_board_rows, table_rows
from storage.readonly import read_only
from storage.store import Store

READMODEL_HEADS = "readmodel_heads"


@dataclass
class LoadedBoard:
    """The outcome of :func:`load_board`: the document (or None) and what went wrong."""

    doc: BoardDocument | None
    rows: BoardRows
    snapshot_problem: str = ""  # the latest snapshot does not load ('' when it does)
    log_problem: str = ""  # the change log does not load either ('' when it does)
    newer: str = ""  # written by a newer teamboard

    @property
    def from_log_only(self) -> bool:
        """Loaded from the change log alone, because the snapshot is broken."""
        return self.doc is not None and bool(self.snapshot_problem)


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def load_rows(rows: BoardRows, actor: bytes | None = None) -> LoadedBoard:
    """Load the board held in ``rows``: snapshot + later changes, else the whole log."""
    actor = actor or os.urandom(16)
    out = LoadedBoard(None, rows)
    snap = rows.snapshot
    if snap is not None or rows.snapshot_error:
        try:
            if rows.snapshot_error or snap is None:
                raise ValueError(rows.snapshot_error)
            data = snap.data + b"".join(rows.change_bytes(after=snap.upto_seq))
            out.doc = BoardDocument.load(data, actor)
            return out
        except NewerSchema as exc:
            out.newer = str(exc)
            return out
        except Exception as exc:  # noqa: BLE001 (automerge reports damage as plain Exception)
            out.snapshot_problem = _reason(exc)
    if rows.changes_error:
        out.log_problem = f"the change log cannot be read ({rows.changes_error})"
        return out
    log = rows.change_bytes()
    try:
        out.doc = BoardDocument.load(b"".join(log), actor) if log else BoardDocument.empty(actor)
    except NewerSchema as exc:
        out.newer = str(exc)
    except Exception as exc:  # noqa: BLE001 (as above)
        out.log_problem = _reason(exc)
    return out


def load_file(path: Path, actor: bytes | None = None) -> LoadedBoard:
    """Read and load the board in the database file ``path`` (read-only)."""
    return load_rows(read_board_rows(path), actor)


def team_of(doc: BoardDocument) -> tuple[str, str]:
    """(team id, team name) of a loaded board; ('', '') for an empty one."""
    team = doc.team()
    return str(team.get("id") or ""), str(team.get("name") or "")


def member_record(doc: BoardDocument, member_id: str) -> dict[str, object] | None:
    return doc.read("members", member_id)


def item_count(doc: BoardDocument) -> int:
    return sum(
        len(doc.ids(c)) for c in readmodel.tables() if c not in ("team", readmodel.HISTORY_TABLE)
    )


# ---------------------------------------------------------------------- the read model


@dataclass
class ReadModelCheck:
    """How the read-model tables of a file compare with the board's document."""

    stale: bool = False  # the file says it mirrors other heads than the document's
    differing: dict[str, int] = field(default_factory=dict)  # table -> rows that differ
    rows: int = 0

    @property
    def consistent(self) -> bool:
        return not self.stale and not self.differing


def expected_tables(doc: BoardDocument) -> Store:
    """An in-memory database holding the read model rebuilt from ``doc``."""
    memory = Store(Path(":memory:"), readmodel.tables())
    with memory.write():
        readmodel.rebuild(memory, doc)
    return memory


def check_read_model(path: Path, doc: BoardDocument) -> ReadModelCheck:
    """Compare the read-model tables of ``path`` (read-only) with a rebuild from ``doc``.

    Raises sqlite3.DatabaseError when the file cannot be read."""
    check = ReadModelCheck()
    memory = expected_tables(doc)
    try:
        with read_only(path) as conn:
            row = conn.execute(
                "SELECT value FROM meta WHERE key = ?", (READMODEL_HEADS,)
            ).fetchone()
            check.stale = (row[0] if row else None) != ",".join(heads_hex(doc.heads()))
            for table, declared in readmodel.tables().items():
                names = list(declared)
                want = Counter(map(_normal, table_rows(memory.conn, table, names)))
                have = Counter(map(_normal, table_rows(conn, table, names)))
                check.rows += sum(want.values())
                differ = sum(((want - have) + (have - want)).values())
                if differ:
                    check.differing[table] = differ
    finally:
        memory.close()
    return check


def _normal(row: tuple[object, ...]) -> str:
    return json.dumps(row, default=repr)


def describe_differences(check: ReadModelCheck) -> str:
    parts = []
    if check.stale:
        parts.append("it mirrors an older state of the board")
    if check.differing:
        tables = ", ".join(f"{table} {count}" for table, count in sorted(check.differing.items()))
        parts.append(f"rows differ from the change log ({tables})")
    return "; ".join(parts)
