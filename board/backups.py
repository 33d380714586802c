"""`teamboard backup FILE` and `teamboard restore FILE`.

A backup is one self-contained SQLite file holding the board (change log, snapshot, read
model, known peers), copied with SQLite's online backup API while the app or ``serve``
may keep writing, and checked (``PRAGMA integrity_check``, the board loads) before it is
renamed into place. It holds no key: the identity stays in the home.

A restore checks FILE first (a teamboard database this version can read, of this team,
listing you as a member) and changes nothing if it is not. It keeps the home's identity,
builds the restored board in a new file beside ``board.db``, merges into it every change
of the current board that the backup lacks (so nothing made since the backup is lost;
``merge=False`` leaves them out, and says how many), checks it, and swaps it in
atomically; the previous ``board.db`` stays as ``board.db.before-restore-<time>``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from board import readmodel
from board.boardfile import load_file, team_of
from board.document import heads_hex
from board.model import BoardError, InvalidInput
from board.workspace import DB_FILE, DOCTOR, HomeError, has_board
from storage import doctor as files
from storage.backup import (
    CopyError,
    dated_sibling,
    discard,
    holds_data,
    online_copy,
    partial_path,
    place,
    seal,
    swap_in,
)
from storage.readonly import SHM, WAL, sidecar
from storage.store import Store
from sync.identity import Identity, IdentityError


class RestoreRefused(BoardError):
    """The restore was refused; nothing was changed."""


@dataclass(frozen=True)
class BackupMade:
    path: Path
    team: str
    changes: int
    size: int


@dataclass(frozen=True)
class Restored:
    team: str
    changes: int
    merged: int  # changes of the previous board that the backup lacked, merged in
    left_out: int  # changes of the previous board not in the restored one (merge off)
    kept_as: Path | None  # where the previous board.db now is
    note: str = ""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def backup(home: Path, destination: Path, force: bool = False) -> BackupMade:
    """Copy the board of ``home`` to ``destination`` (a consistent, verified copy)."""
    home = Path(home).expanduser()
    db = home / DB_FILE
    destination = Path(destination).expanduser()
    if not has_board(home):
        raise HomeError(f"no board in {home} to back up")
    if any(_same_file(destination, p) for p in (db, sidecar(db, WAL), sidecar(db, SHM))):
        raise InvalidInput(f"{destination} is the board itself; give a new file name")
    if destination.is_dir():
        raise InvalidInput(f"{destination} is a directory; give a file name")
    if not destination.parent.is_dir():
        raise InvalidInput(f"{destination.parent} does not exist")
    if destination.exists() and not force:
        raise BoardError(f"{destination} already exists; use --force to replace it")
    report = files.inspect_database(db, thorough=False)
    if not report.usable:
        raise HomeError(f"{report.problem}; {DOCTOR}")
    built = partial_path(destination)
    discard(built)
    with _discarded_on_failure(built, f"{destination} was not written"):
        try:
            online_copy(db, built)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise BoardError(f"cannot copy {db}: {exc}") from None
        check = files.inspect_database(built, thorough=True)
        board = load_file(built)
        if not check.usable or board.doc is None:
            raise BoardError(
                f"the copy did not check out ({check.problem or board.log_problem}); "
                f"{destination} was not written; {DOCTOR}"
            )
        place(built, destination)
    return BackupMade(destination, team_of(board.doc)[1], check.changes, destination.stat().st_size)


# ---------------------------------------------------------------------- restore


def _check_source(source: Path, db: Path) -> files.DatabaseReport:
    if not source.exists():
        raise InvalidInput(f"{source} does not exist")
    if source.is_dir():
        raise InvalidInput(f"{source} is a directory, not a backup file")
    if _same_file(source, db):
        raise InvalidInput(f"{source} is the board itself, not a backup")
    report = files.inspect_database(source, thorough=True)
    if report.state == files.NEWER:
        raise InvalidInput(f"{report.problem}; upgrade teamboard to restore it")
    if not report.usable:
        raise InvalidInput(f"{report.problem}; it cannot be restored")
    return report


def restore(
    home: Path, source: Path, merge: bool = True, now: Callable[[], dt.datetime] | None = None
) -> Restored:
    """Replace the board of ``home`` with the backup ``source`` (see the module doc).

    Raises InvalidInput when ``source`` is not a usable backup, RestoreRefused when it
    belongs to another team or another process has the home open, HomeError when the
    home has no usable identity. Nothing is changed when it raises."""
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    home = Path(home).expanduser()
    db = home / DB_FILE
    source = Path(source).expanduser()
    _check_source(source, db)
    try:
        identity = Identity.load(home)
    except IdentityError as exc:
        raise HomeError(
            f"{exc} (a backup holds the board, not your key: restore needs this "
            "home's identity.key and identity.crt)"
        ) from None
    backup_board = load_file(source, identity.actor)
    if backup_board.doc is None or not team_of(backup_board.doc)[0]:
        why = backup_board.newer or backup_board.log_problem or "it holds no board"
        raise InvalidInput(
            f"{source}: the board in it does not load ({why}); it cannot be restored"
        )
    team_id, team_name = team_of(backup_board.doc)
    _refuse_if_open(db)

    current = files.inspect_database(db, thorough=False)
    current_hashes: set[str] = set()
    note = ""
    if current.usable:
        current_board = load_file(db, identity.actor)
        if current_board.doc is not None:
            current_id, current_name = team_of(current_board.doc)
            if current_id and current_id != team_id:
                raise RestoreRefused(
                    f"{source} is a backup of team {team_name!r}, this home holds "
                    f"team {current_name!r}; restore it into another --home"
                )
        current_hashes = current_board.rows.hashes
    elif current.state != files.MISSING:
        note = f"the previous board.db could not be read ({current.problem}), so nothing of it was merged"

    built = partial_path(db)
    discard(built)
    with _discarded_on_failure(built, "nothing was changed"):
        merged, changes = _build(
            built, source, db if merge and current.usable else None, identity, team_id, clock
        )
        if not files.integrity_ok(built):
            raise BoardError("the restored file did not pass integrity_check; nothing was changed")
        restored_hashes = files.read_board_rows(built).hashes
        kept = dated_sibling(db, "before-restore", clock())
        keep = db.exists() or holds_data(sidecar(db, WAL))
        _refuse_if_open(db)  # again: someone may have started the app meanwhile
        swap_in(built, db, kept)
    return Restored(
        team_name,
        changes,
        merged,
        len(current_hashes - restored_hashes),
        kept if keep else None,
        note,
    )


@contextmanager
def _discarded_on_failure(built: Path, outcome: str) -> Iterator[None]:
    """Remove the half-built file ``built`` if anything fails; a failed copy is told as
    a BoardError ending with ``outcome`` (what was left untouched)."""
    try:
        yield
    except CopyError as exc:
        discard(built)
        raise BoardError(f"{exc}; {outcome}") from None
    except BaseException:
        discard(built)
        raise


def _refuse_if_open(db: Path) -> None:
    pid = files.holder_pid(db)
    if pid is not None:
        raise RestoreRefused(
            f"another teamboard process (pid {pid}) has {db} open; stop the app, "
            "`serve` or `sync` and try again"
        )


def _build(
    built: Path,
    source: Path,
    merge_from: Path | None,
    identity: Identity,
    team_id: str,
    now: Callable[[], dt.datetime],
) -> tuple[int, int]:
    """Write the restored board into the new file ``built``: a consistent copy of
    ``source``, plus the change log (and peers) of ``merge_from``; then a fresh snapshot and
    read model. Returns (changes merged in, changes in the result)."""
    try:
        online_copy(source, built)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise InvalidInput(f"{source} cannot be read ({exc}); it cannot be restored") from None
    store = Store(built, readmodel.tables())  # brings an older schema up to date
    try:
        merged = 0
        if merge_from is not None:
            with store.write():
                copied = files.copy_rows(
                    merge_from, store.conn, set(readmodel.tables()), keep_seq=False
                )
            merged = copied.gained.get("changes", 0)
        board = load_file(built, identity.actor)
        if board.doc is None or team_of(board.doc)[0] != team_id:
            raise BoardError(
                f"the restored board does not load ({board.log_problem}); nothing was changed"
            )
        doc = board.doc
        record = doc.read("members", identity.member_id)
        if record is None:
            raise RestoreRefused(
                f"{source} does not list you ({identity.member_id}) as a member of "
                "its team: it is not a backup of your board; nothing was changed"
            )
        stamp = now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        with store.write():
            if merged:
                store.put_snapshot(store.max_seq(), heads_hex(doc.heads()), doc.save(), stamp)
            readmodel.rebuild(store, doc)
            store.set_meta("readmodel_heads", ",".join(heads_hex(doc.heads())))
        seal(store.conn)
        return merged, store.change_count()
    finally:
        store.close()
