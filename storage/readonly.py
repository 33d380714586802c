"""Read-only connections to a board database that leave its folder as they found it.

A database in WAL mode has two files beside it while it is open, ``-wal`` (the log) and
``-shm`` (the log's index). SQLite makes them for any connection, a read-only one too
when the folder is writable; a read-write connection removes them when it closes as the
last one (after copying the log into the database), but a read-only one cannot, so a
command that only reads (``doctor``, ``backup``) used to leave them behind, empty.

:func:`read_only` leaves that decision to SQLite: when the files were not there before
and the log is still empty, it opens one more connection that reads the schema and
closes. SQLite removes the files on that close only if it can take the database's
exclusive lock, that is, if no other connection in any process (the app, ``serve``) has
the database open; otherwise they stay, as they belong to that connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

WAL = "-wal"
SHM = "-shm"


def sidecar(path: Path, suffix: str) -> Path:
    """The file SQLite keeps beside the database ``path`` (``suffix``: WAL, SHM...)."""
    return path.with_name(path.name + suffix)


def wal_files(path: Path) -> tuple[Path, Path]:
    """The ``-wal`` and ``-shm`` files of the database ``path``."""
    return sidecar(path, WAL), sidecar(path, SHM)


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection (it may read the ``-wal`` beside the file, never writes);
    the ``-wal`` and ``-shm`` it made are gone afterwards unless another connection has
    the database open."""
    found = [p for p in wal_files(path) if p.exists()]
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        conn.execute("PRAGMA trusted_schema=OFF")  # a hostile file's schema runs no functions
        yield conn
    finally:
        conn.close()
        if not found:
            _close_as_last(path)


def _close_as_last(path: Path) -> None:
    """Let SQLite remove the ``-wal`` and ``-shm`` a read-only connection made, as it
    does when the last read-write connection closes. Never raises: at worst they stay."""
    wal, shm = wal_files(path)
    try:
        if not (wal.exists() or shm.exists()):
            return
        if wal.exists() and wal.stat().st_size > 0:
            return  # another process wrote meanwhile: its log is folded in by it or the next open
        with closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0)) as conn:
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA trusted_schema=OFF")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the log
    except (sqlite3.Error, OSError):
        pass  # they stay, as they did before; the next read-write close removes them
