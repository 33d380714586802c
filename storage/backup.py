"""Copies of a board database and the atomic swap that puts a rebuilt one in place.

A copy uses SQLite's online backup API from a read-only connection: it reads one
consistent state of the file (a WAL read transaction), so it is safe while the app or
``serve`` keeps writing. Every new file is written beside its destination under a
temporary name, checked, flushed to disk and renamed into place, so a crash at any point
leaves either the old file or the new one, never half of one. A swapped-out database is
kept (hard link, or copy) under a dated name together with its ``-wal``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

from storage.readonly import SHM, WAL, read_only, sidecar


class CopyError(Exception):
    """The copy could not be made or did not verify; the destination is untouched."""


def stamp(moment: dt.datetime | None = None) -> str:
    """A UTC timestamp for file names: 20260302T093000Z."""
    moment = moment or dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def dated_sibling(path: Path, label: str, moment: dt.datetime | None = None) -> Path:
    """``path.<label>-<timestamp>`` beside ``path``, with a counter if that name is taken."""
    base = f"{path.name}.{label}-{stamp(moment)}"
    candidate = path.with_name(base)
    n = 2
    while candidate.exists() or sidecar(candidate, WAL).exists():
        candidate = path.with_name(f"{base}-{n}")
        n += 1
    return candidate


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Make renames in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def online_copy(source: Path, target: Path) -> None:
    """Copy the database ``source`` into the new file ``target`` with the online backup
    API, as one consistent state, and make ``target`` a single self-contained file
    (rollback journal, no ``-wal``). Raises sqlite3.DatabaseError."""
    with read_only(source) as src:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: every page in one step, under one read transaction
            dst.execute("PRAGMA journal_mode=DELETE")
            # teamboard defines no triggers or views: any in the copy came from elsewhere
            # and would run inside later writes (a hostile backup file), so drop them.
            for kind, name in list(
                dst.execute(
                    "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"
                )
            ):
                dst.execute(f"DROP {kind.upper()} IF EXISTS [{name}]")
            dst.commit()
        finally:
            dst.close()


def partial_path(destination: Path) -> Path:
    """A temporary name beside ``destination`` for the file being built."""
    return destination.with_name(f".{destination.name}.partial-{os.getpid()}")


def discard(path: Path) -> None:
    for p in (path, sidecar(path, WAL), sidecar(path, SHM), sidecar(path, "-journal")):
        p.unlink(missing_ok=True)


def seal(conn: sqlite3.Connection) -> None:
    """Turn the file being built into one self-contained file (rollback journal: its WAL
    is checkpointed into it and removed), so that checking it leaves nothing beside it.
    Call outside a transaction, just before closing ``conn``."""
    conn.execute("PRAGMA journal_mode=DELETE")


def _check_built(built: Path) -> None:
    for suffix in (WAL, "-journal"):
        extra = sidecar(built, suffix)
        if extra.exists() and extra.stat().st_size > 0:
            raise CopyError(f"{built} still has a {suffix} file; it was not closed cleanly")
        extra.unlink(missing_ok=True)
    sidecar(built, SHM).unlink(missing_ok=True)


def place(built: Path, destination: Path) -> None:
    """Rename the finished file ``built`` onto ``destination`` (atomic; durable)."""
    _check_built(built)
    fsync_file(built)
    os.replace(built, destination)
    fsync_dir(destination.parent)


def keep_aside(current: Path, keep_as: Path) -> None:
    """Keep ``current`` (and its ``-wal``, which holds committed data not yet copied into
    the file) under the name ``keep_as``, then take the ``-wal`` and ``-shm`` away from
    ``current`` so that nothing of the old file can be read into the one that replaces it.

    Only call this while no process has ``current`` open."""
    _link_or_copy(current, keep_as)
    wal = sidecar(current, WAL)
    if holds_data(wal):
        _link_or_copy(wal, sidecar(keep_as, WAL))
    fsync_dir(current.parent)
    wal.unlink(missing_ok=True)
    sidecar(current, SHM).unlink(missing_ok=True)


def holds_data(path: Path) -> bool:
    """Whether ``path`` exists and is not empty (readers leave an empty ``-wal`` behind)."""
    return path.exists() and path.stat().st_size > 0


def swap_in(built: Path, current: Path, keep_as: Path) -> None:
    """Put the finished, checked file ``built`` in place of ``current``; the old one (if
    any, with its ``-wal``) stays as ``keep_as``. At every instant ``current`` is either
    the whole old database or the whole new one. Only while no process has it open."""
    _check_built(built)
    if current.exists():
        keep_aside(current, keep_as)
    elif holds_data(sidecar(current, WAL)):  # a -wal without its file: keep, never replay it
        _link_or_copy(sidecar(current, WAL), sidecar(keep_as, WAL))
    sidecar(current, WAL).unlink(missing_ok=True)
    sidecar(current, SHM).unlink(missing_ok=True)
    place(built, current)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
        fsync_file(target)
