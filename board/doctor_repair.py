"""`teamboard doctor --repair`: fix what the home itself can fix, as found by
:func:`board.doctor.examine`.

The change log is only ever read. The read model and a broken snapshot are rebuilt from
it in one SQLite transaction on the healthy file. A damaged file is never written to:
its change log (with peers and meta) is copied into a new file beside it, where snapshot
and read model are rebuilt; that file replaces the damaged one only once it passes
``PRAGMA integrity_check`` and loads, and only while no other process has the database
open. The damaged original stays as ``board.db.damaged-<time>``.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable

from board import readmodel
from board.boardfile import load_file, load_rows, team_of
from board.doctor import (
    PROBLEM,
    REJOIN,
    REPAIRED,
    RESTORE,
    Checkup,
    Finding,
    cert_matches,
    my_record,
)
from board.document import heads_hex
from storage import doctor as files
from storage.backup import CopyError, dated_sibling, discard, partial_path, seal, swap_in
from storage.store import Store
from sync.identity import CERT_FILE, KEY_FILE, member_id_for


class RepairRefused(Exception):
    """A repair could not be made safely; nothing was changed."""


Now = Callable[[], dt.datetime]


def repair(up: Checkup, now: Now | None = None) -> list[Finding]:
    """Carry out the repairs ``up`` offers; returns one finding per repair made or refused."""
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    done: list[Finding] = []
    actions = {
        "chmod": _repair_key_mode,
        "cert": _repair_certificate,
        "salvage": _salvage,
        "snapshot": _rebuild_in_place,
        "readmodel": _rebuild_in_place,
    }
    ran: set[Callable[[Checkup, Now], str]] = set()
    for finding in up.problems:
        action = actions.get(finding.repair)
        if action is None or action in ran:
            continue
        ran.add(action)
        try:
            done.append(Finding(REPAIRED, finding.subject, action(up, clock)))
        except (RepairRefused, CopyError, sqlite3.DatabaseError, OSError) as exc:
            done.append(Finding(PROBLEM, finding.subject, f"not repaired: {exc}"))
    return done


def _repair_key_mode(up: Checkup, now: Now) -> str:
    path = up.home / KEY_FILE
    os.chmod(path, 0o600)
    return "mode set to 600"


def _repair_certificate(up: Checkup, now: Now) -> str:
    assert up.key is not None
    record = my_record(up, member_id_for(up.key.public_key()))
    pem = str((record or {}).get("cert") or "")
    if not pem or not cert_matches(pem, up.key):
        raise RepairRefused("the board holds no certificate for this key")
    path = up.home / CERT_FILE
    temp = path.with_name(f".{CERT_FILE}.partial-{os.getpid()}")
    temp.write_text(pem)
    os.replace(temp, path)
    return "rewrote identity.crt from the team's record of your certificate"


def _refuse_if_open(up: Checkup) -> None:
    pid = files.holder_pid(up.db)
    if pid is not None:
        raise RepairRefused(
            f"another teamboard process (pid {pid}) has {up.db} open; stop the "
            "app, `serve` or `sync` and run `teamboard doctor --repair` again"
        )


def _rebuild_in_place(up: Checkup, now: Now) -> str:
    """Rebuild the snapshot (if broken) and the read model from the change log, in one
    SQLite transaction on the healthy file; the change log is only read."""
    board = up.board
    if board is None or board.doc is None:
        raise RepairRefused("the board does not load")
    doc = board.doc
    store = Store(up.db, readmodel.tables())
    try:
        with store.write():
            if board.from_log_only:
                files.discard_snapshots(store.conn)
                store.put_snapshot(store.max_seq(), heads_hex(doc.heads()), doc.save(), _iso(now))
            readmodel.rebuild(store, doc)
            store.set_meta("readmodel_heads", ",".join(heads_hex(doc.heads())))
    finally:
        store.close()
    done = "rebuilt the read model from the change log"
    return ("wrote a new snapshot and " + done) if board.from_log_only else done


def _salvage(up: Checkup, now: Now) -> str:
    """Copy the damaged file's change log (and peers, meta) into a new file beside it,
    write there a snapshot of the board as the damaged file holds it (its snapshot and the
    changes after it, or its whole change log) and the read model, check the new file,
    then swap it in."""
    _refuse_if_open(up)
    held = load_rows(files.read_board_rows(up.db))  # what the damaged file holds
    if held.doc is None or not team_of(held.doc)[0]:
        raise RepairRefused(f"the board in it does not load; {RESTORE}, {REJOIN}")
    doc = held.doc
    heads = heads_hex(doc.heads())
    built = partial_path(up.db)
    discard(built)
    try:
        store = Store(built, readmodel.tables())
        try:
            with store.write():
                copied = files.copy_rows(up.db, store.conn, set(readmodel.tables()), keep_seq=True)
                store.put_snapshot(store.max_seq(), heads, doc.save(), _iso(now))
                readmodel.rebuild(store, doc)
                store.set_meta("readmodel_heads", ",".join(heads))
            changes = store.change_count()
            seal(store.conn)
        finally:
            store.close()
        rebuilt = load_file(built).doc
        if not files.integrity_ok(built) or rebuilt is None or heads_hex(rebuilt.heads()) != heads:
            raise RepairRefused(
                "the rebuilt file did not check out; the damaged file was left as it was"
            )
        kept = dated_sibling(up.db, "damaged", now())
        swap_in(built, up.db, kept)
    except BaseException:
        discard(built)
        raise
    lost = f"; could not read: {', '.join(copied.unreadable)}" if copied.unreadable else ""
    return (
        f"rebuilt board.db from its change log ({changes} changes); the damaged file is kept "
        f"as {kept.name}{lost}"
    )


def _iso(now: Now) -> str:
    return now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
