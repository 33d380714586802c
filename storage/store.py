"""One SQLite file per home: the change log, snapshots, read-model tables and peers.

Writes go through :meth:`Store.write`, one ``BEGIN IMMEDIATE`` transaction at a time
(SQLite's own lock serialises writers across processes), committed with
``synchronous=FULL`` so an edit reported as saved survives a crash or power loss.

Opening refuses, without modifying the file, a file that is not a teamboard database,
one that is damaged, or one written by a newer schema.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.readonly import read_only

STORE_SCHEMA = 1
APPLICATION_ID = 0x7445_424D  # "teBM": marks the file as a teamboard database
WAL_AUTOCHECKPOINT_PAGES = 8192  # ~32 MB of log before SQLite checkpoints by itself


class StoreError(Exception):
    """The database cannot be used (damaged, foreign, newer); nothing was changed."""


@dataclass(frozen=True)
class StoredChange:
    seq: int
    hash: str
    actor: str
    author: str
    data: bytes
    signature: bytes


@dataclass(frozen=True)
class Snapshot:
    upto_seq: int
    heads: list[str]
    data: bytes


class Store:
    """The SQLite file of one home."""

    def __init__(self, path: Path, tables: dict[str, dict[str, type]]) -> None:
        """Open (creating if absent) the database at ``path``.

        ``tables`` declares the read-model tables (name -> column -> type); they are
        created if missing. Raises StoreError for a damaged, foreign or newer file.
        """
        self.path = Path(path)
        existed = self.path.exists() and self.path.stat().st_size > 0
        if existed:
            _check_readable(self.path)
        try:
            self.conn = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=30
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            # Checkpoints (copying the log into the database file) wait for a quiet
            # moment (see checkpoint); SQLite's own is a safety net for homes with none.
            self.conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.db = sqlite_utils.Database(self.conn)
            self._lock = threading.RLock()
            self._in_write = False
            with self.write():
                self._migrate(tables)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path}: the database is damaged or unreadable ({exc})"
            ) from None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def page_cache(self, kib: int) -> Iterator[None]:
        """Read through a page cache of ``kib`` KiB meanwhile (then as it was): a pass that
        reads the file once from end to end need not leave its pages in memory."""
        with self._lock:
            (size,) = self.conn.execute("PRAGMA cache_size").fetchone()
            self.conn.execute(f"PRAGMA cache_size = {-abs(int(kib))}")
        try:
            yield
        finally:
            with self._lock:
                self.conn.execute(f"PRAGMA cache_size = {int(size)}")

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds into the database file, as far as readers
        allow (never waits for them). Done at quiet moments: a commit that crosses
        SQLite's automatic threshold does it inline, which would stall an edit or the
        acknowledgement a peer waits for by tens of milliseconds."""
        with self._lock:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    # ------------------------------------------------------------------ schema
    def _table(self, name: str) -> sqlite_utils.db.Table:
        return self.db.table(name)

    def _migrate(self, tables: dict[str, dict[str, type]]) -> None:
        db = self.db
        if "meta" not in db.table_names():
            self._table("meta").create({"key": str, "value": str}, pk="key")
            self.conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            self.set_meta("schema_version", str(STORE_SCHEMA))
        if "changes" not in db.table_names():
            self._table("changes").create(
                {
                    "seq": int,
                    "hash": str,
                    "actor": str,
                    "author": str,
                    "bytes": bytes,
                    "signature": bytes,
                    "stored_at": str,
                },
                pk="seq",
            )
            self._table("changes").create_index(["hash"], unique=True)
        if "snapshots" not in db.table_names():
            self._table("snapshots").create(
                {"id": int, "upto_seq": int, "heads": str, "bytes": bytes, "created_at": str},
                pk="id",
            )
        if "peers" not in db.table_names():
            self._table("peers").create(
                {"id": str, "address": str, "last_seen": str, "last_sync": str, "note": str},
                pk="id",
            )
        for name, columns in tables.items():
            table = self._table(name)
            if name not in db.table_names():
                table.create(columns, pk="id" if "id" in columns else None)
            else:
                existing = {c.name for c in table.columns}
                for col, typ in columns.items():
                    if col not in existing:
                        table.add_column(col, typ)
            if "id" not in columns and "item" in columns:
                # rows keyed by the record they belong to (history): replace_rows deletes
                # by it, which must not scan the whole table on every edit
                table.create_index(["item"], if_not_exists=True)

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def write(self) -> Iterator[Store]:
        """One write transaction (re-entrant within a thread); committed durably on exit."""
        with self._lock:
            if self._in_write:
                yield self
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._in_write = True
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._in_write = False

    def data_version(self) -> int:
        """Changes whenever another connection commits (cheap to poll)."""
        with self._lock:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    # ------------------------------------------------------------------ changes
    def append_changes(self, rows: Iterable[tuple[str, str, str, bytes, bytes]], now: str) -> int:
        """Store (hash, actor, author, bytes, signature) rows; known hashes are skipped.

        Returns how many were new.
        """
        cur = self.conn.executemany(
            "INSERT OR IGNORE INTO changes(hash, actor, author, bytes, signature, stored_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (hash_, actor, author, data, signature, now)
                for hash_, actor, author, data, signature in rows
            ],
        )
        return max(cur.rowcount, 0)

    def changes_after(self, seq: int) -> list[StoredChange]:
        rows = self.conn.execute(
            "SELECT seq, hash, actor, author, bytes, signature FROM changes WHERE seq > ? ORDER BY seq",
            (seq,),
        ).fetchall()
        return [StoredChange(r[0], r[1], r[2], r[3] or "", r[4], r[5] or b"") for r in rows]

    def newest_signatures(self, hashes: list[str] | None) -> list[tuple[str, str, bytes]]:
        """(hash, author, signature) of each actor's newest stored change among ``hashes``
        (None: among every change), where that change has a signature. An actor's
        changes are stored in their order, so the newest is the one stored last."""
        if hashes is None:
            rows = self.conn.execute(
                "SELECT hash, author, signature FROM changes WHERE seq IN "
                "(SELECT max(seq) FROM changes GROUP BY actor)"
            ).fetchall()
        else:
            newest: dict[str, tuple[int, str, str, bytes]] = {}
            for i in range(0, len(hashes), 500):
                chunk = hashes[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for seq, h, actor, author, sig in self.conn.execute(
                    f"SELECT seq, hash, actor, author, signature FROM changes WHERE hash IN ({marks})",
                    chunk,
                ):
                    if actor not in newest or seq > newest[actor][0]:
                        newest[actor] = (seq, h, author or "", sig or b"")
            rows = [(h, author, sig) for _, h, author, sig in newest.values()]
        return [(h, author or "", sig) for h, author, sig in rows if sig]

    def max_seq(self) -> int:
        row = self.conn.execute("SELECT max(seq) FROM changes").fetchone()
        return int(row[0] or 0)

    def change_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM changes").fetchone()[0])

    def bytes_after(self, seq: int) -> int:
        row = self.conn.execute(
            "SELECT coalesce(sum(length(bytes)), 0) FROM changes WHERE seq > ?", (seq,)
        ).fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ snapshots
    def latest_snapshot(self) -> Snapshot | None:
        row = self.conn.execute(
            "SELECT upto_seq, heads, bytes FROM snapshots ORDER BY upto_seq DESC, id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return Snapshot(int(row[0]), json.loads(row[1]), row[2])

    def snapshot_info(self) -> tuple[int, int]:
        """(upto_seq, size in bytes) of the latest snapshot, without reading it."""
        row = self.conn.execute(
            "SELECT upto_seq, length(bytes) FROM snapshots ORDER BY upto_seq DESC, id DESC LIMIT 1"
        ).fetchone()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def put_snapshot(self, upto_seq: int, heads: list[str], data: bytes, now: str) -> None:
        """Replace older snapshots with this one (inside a write transaction)."""
        self.conn.execute(
            "INSERT INTO snapshots(upto_seq, heads, bytes, created_at) VALUES (?, ?, ?, ?)",
            (upto_seq, json.dumps(heads), data, now),
        )
        self.conn.execute("DELETE FROM snapshots WHERE upto_seq < ?", (upto_seq,))

    # ------------------------------------------------------------------ read model
    def replace_rows(
        self,
        table: str,
        ids: Iterable[str],
        rows: Sequence[Any],
        of_type: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> None:
        """Replace the rows with ``ids`` by ``rows`` (inside a write transaction): dicts, or
        tuples of the values of ``columns``. Only rows of type ``of_type`` are replaced when
        it is given (history rows of records in different collections can share an item)."""
        if rows and columns is None:
            columns = list(rows[0])
            rows = [tuple(map(row.get, columns)) for row in rows]
        key = "item" if table == "history" else "id"
        # A record table's id is its primary key: a row replaces the one with its id as it
        # is inserted, so only the ids left without a row are deleted beforehand.
        at = columns.index("id") if key == "id" and columns and "id" in columns else None
        written = set() if at is None else {row[at] for row in rows}
        gone = [i for i in ids if i not in written]
        where, extra = ("", []) if of_type is None else (" AND [type] = ?", [of_type])
        for i in range(0, len(gone), 500):
            chunk = gone[i : i + 500]
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                f"DELETE FROM [{table}] WHERE [{key}] IN ({marks}){where}", chunk + extra
            )
        if rows and columns is not None:
            names = ", ".join(f"[{c}]" for c in columns)
            marks = ", ".join("?" * len(columns))
            verb = "INSERT" if at is None else "INSERT OR REPLACE"
            self.conn.executemany(f"{verb} INTO [{table}] ({names}) VALUES ({marks})", rows)

    def clear_table(self, table: str) -> None:
        self.conn.execute(f"DELETE FROM [{table}]")

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cur = self.conn.execute(sql, tuple(params))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]

    # ------------------------------------------------------------------ peers
    def upsert_peer(self, peer_id: str, **fields: Any) -> None:
        with self.write():
            self._table("peers").upsert({"id": peer_id, **fields}, pk="id")

    def peers(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM peers ORDER BY id")


def _check_readable(path: Path) -> None:
    """Refuse a non-SQLite, damaged, foreign or newer file without writing to it."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the database ({exc.strerror})") from None
    if header != b"SQLite format 3\x00":
        raise StoreError(f"{path}: not a teamboard database (not an SQLite file)")
    try:
        with read_only(path) as conn:  # leaves no -wal / -shm behind, even when refusing
            check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if check != "ok":
                raise StoreError(
                    f"{path}: the database is damaged ({check}); restore it from a backup or a teammate's copy"
                )
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "meta" not in tables or "changes" not in tables:
                raise StoreError(f"{path}: not a teamboard database")
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the database is damaged or unreadable ({exc})") from None
    version = int(row[0]) if row and str(row[0]).isdigit() else None
    if version is None:
        raise StoreError(f"{path}: not a teamboard database (no schema version)")
    if version > STORE_SCHEMA:
        raise StoreError(
            f"{path}: written by a newer teamboard (database schema {version}, this program "
            f"knows {STORE_SCHEMA}); upgrade teamboard to open it"
        )
