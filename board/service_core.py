"""The board service's core: opening a board, the durable write path (one automerge
transaction per use case, stored in SQLite before it returns), merging what other
processes and peers wrote, compaction, and events for listeners."""

from __future__ import annotations

import datetime as dt
import gc
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import wraps
from typing import Any, Self, TypeVar, cast

from board import readmodel
from board.change_ops import change_hash
from board.dates import parse_date
from board.document import BoardDocument, Heads, heads_hex
from board.document_load import load_at_once, load_in_steps
from board.events import BoardChanged, Event
from board.model import (
    HistoryEntry,
    Record,
    RuleViolation,
)
from storage.store import Store

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
COMPACT_MIN_BYTES = 64 * 1024
COMPACT_CHECK_BYTES = 8 * 1024
Listener = Callable[[Event], None]
Clock = Callable[[], dt.datetime]


F = TypeVar("F", bound=Callable[..., Any])


def use_case(method: F) -> F:
    """Run a public method as one session: on the latest board, validated and written in
    one SQLite transaction, listeners told after the commit."""

    @wraps(method)
    def run(self: ServiceCore, *args: Any, **kwargs: Any) -> Any:
        with self._session():
            return method(self, *args, **kwargs)

    return cast(F, run)


def reader(method: F) -> F:
    """Catch up with other writers before a lookup on the document."""

    @wraps(method)
    def run(self: ServiceCore, *args: Any, **kwargs: Any) -> Any:
        if self._depth == 0:
            self.fresh()
        return method(self, *args, **kwargs)

    return cast(F, run)


def new_id() -> str:
    """A short random record id (8 characters, 40 bits)."""
    bits = secrets.randbits(40)
    return "".join(ID_ALPHABET[(bits >> shift) & 31] for shift in range(35, -5, -5))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def change_signing_payload(change_hash: bytes) -> bytes:
    """What an author signs for one change (the change hash covers its bytes)."""
    return b"teamboard-change-v1:" + change_hash


# Which fields `set ID FIELD VALUE` accepts per record type, and how to read the value.
class ServiceCore:
    """State and write path shared by every use case."""

    def __init__(
        self,
        store: Store,
        doc: BoardDocument,
        me: str,
        sign: Callable[[bytes], bytes] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.doc = doc
        self.me = me
        self._sign = sign or (lambda data: b"")
        self._clock = clock or _utcnow
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._depth = 0
        self._writing = 0  # write sessions open (nested in one another, under _lock)
        self._unchecked = 0  # bytes of local changes since compaction was last considered
        self._pending: list[Event] = []
        self._seen_seq = 0
        self._data_version = store.data_version()

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        store: Store,
        actor: bytes,
        me: str,
        sign: Callable[[bytes], bytes] | None = None,
        clock: Clock | None = None,
        pause: Callable[[], None] | None = None,
    ) -> Self:
        """Load the board from the latest snapshot plus the changes after it; with
        ``pause``, from its change log in small steps, calling ``pause`` between them (a
        screen keeps answering keys meanwhile: see :mod:`board.document_load`)."""
        doc, seen = load_in_steps(store, actor, pause) if pause else load_at_once(store, actor)
        service = cls(store, doc, me, sign, clock)
        service._seen_seq = seen
        stale = store.get_meta("readmodel_heads") != ",".join(heads_hex(doc.heads()))
        if stale or store.get_meta("readmodel_version") != readmodel.READMODEL_VERSION:
            with store.write():
                service._sync_read_model(None)
        return service

    def _sync_read_model(self, touched: set[tuple[str, str]] | None) -> None:
        """Refresh the read model for ``touched`` records (None: rebuild it all)."""
        if touched is None:
            readmodel.rebuild(self.store, self.doc)
        else:
            readmodel.update(self.store, self.doc, touched)
        self.store.set_meta("readmodel_heads", ",".join(heads_hex(self.doc.heads())))

    def _apply_tracked(self, mutate: Callable[[], Any]) -> tuple[Any, set[tuple[str, str]] | None]:
        """Run ``mutate`` (which merges others' changes into the document) and tell which
        records it changed; None means "could not tell", i.e. everything."""
        before = self.doc.track()
        if not before:
            return mutate(), None
        result = mutate()
        if self.doc.heads() == before:
            return result, set()
        return result, self.doc.touched_since(before)

    # ------------------------------------------------------------------ events
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every event; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------------ time
    def now(self) -> str:
        """The current time as ISO-8601 UTC with milliseconds (sorts as text)."""
        moment = self._clock().astimezone(dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def today(self) -> dt.date:
        return self._clock().astimezone().date()

    def parse_date(self, text: str) -> str:
        return parse_date(text, self.today())

    # ------------------------------------------------------------------ the write path
    def _catch_up(self) -> set[tuple[str, str]] | None:
        """Apply changes other writers stored since we last looked (under ``_lock``).

        Returns the touched records (None: could not tell, treat as everything)."""
        rows = self.store.changes_after(self._seen_seq)
        if not rows:
            return set()
        _, touched = self._apply_tracked(lambda: self.doc.apply_changes([r.data for r in rows]))
        self._seen_seq = rows[-1].seq
        return touched

    def _note_external(self, touched: set[tuple[str, str]] | None) -> None:
        if touched is None or touched:
            self._pending.append(
                BoardChanged(
                    frozenset(touched or ()), origin="external", everything=touched is None
                )
            )

    @contextmanager
    def _session(self, write: bool = True) -> Iterator[None]:
        """Run a use case on the latest board: under the process lock and (for writes) one
        SQLite write transaction, after catching up with other writers. Events raised
        inside are delivered after the outermost session has committed."""
        with self._lock:
            outer = self._depth == 0
            self._depth += 1
            try:
                # Catch up once per transaction: a session nested in another one that
                # already did (under the same lock and write transaction) has nothing new.
                if write:
                    with self.store.write():
                        if not self._writing:
                            self._note_external(self._catch_up())
                        self._writing += 1
                        try:
                            yield
                        finally:
                            self._writing -= 1
                else:
                    if outer:
                        self._note_external(self._catch_up())
                    yield
            except BaseException:
                if outer:
                    self._pending = [
                        e for e in self._pending if getattr(e, "origin", "") == "external"
                    ]
                raise
            finally:
                self._depth -= 1
            if not outer:
                return
            self._data_version = self.store.data_version()
            pending, self._pending = self._pending, []
        for event in pending:
            self._emit(event)

    def fresh(self) -> None:
        """Catch up with changes other writers made (cheap when there are none)."""
        with self._session(write=False):
            pass

    def refresh(self) -> bool:
        """Pick up edits another process made to this home; True when something changed."""
        version = self.store.data_version()
        if version == self._data_version:
            return False
        seen = self._seen_seq
        self.fresh()
        return self._seen_seq != seen

    def reload_document(self, actor: bytes) -> None:
        """Drop the in-memory document and load it again from the database, as ``actor``
        (the old document cannot be asked: after a panic its lock is poisoned): after
        automerge failed inside it while a peer's changes went in, only what was committed
        is kept. The read model is untouched (the failed write rolled back)."""
        with self._lock:
            fresh = type(self).open(self.store, actor, self.me, self._sign, self._clock)
            self.doc, self._seen_seq = fresh.doc, fresh._seen_seq

    def _write(self, action: Callable[[], set[tuple[str, str]]]) -> set[tuple[str, str]]:
        """Write one use case: ``action`` makes one automerge transaction; the change is
        stored, the read model updated, all committed durably before listeners hear."""
        with self._session():
            self._refuse_if_removed()
            before = self.doc.heads()
            touched = action()
            written = self._store_local_changes(before)
            readmodel.update(self.store, self.doc, touched)
            self.store.set_meta("readmodel_heads", ",".join(heads_hex(self.doc.heads())))
            self._maybe_compact(written=written)
            self._pending.append(BoardChanged(frozenset(touched), origin="local"))
        return touched

    def _refuse_if_removed(self) -> None:
        """A member who was removed (and this home knows it) cannot write: every teammate
        would refuse the edit (see sync/authorship.py), so it would be lost."""
        mine = self.doc.read("members", self.me)
        if not mine or not mine.get("removed_at"):
            return
        remover = self.doc.read("members", str(mine.get("removed_by") or "")) or {}
        by = remover.get("name") or "a teammate"
        when = str(mine["removed_at"])[:10]
        raise RuleViolation(
            f"you were removed from the team by {by} on {when}; edits made now would be "
            "refused by every teammate"
        )

    def _store_local_changes(self, before: Heads) -> int:
        """Store (signed) the changes made since ``before``; returns their size in bytes."""
        new = self.doc.changes_since(before)
        now = self.now()
        rows = [
            (
                c.hash.hex(),
                c.actor_id.hex(),
                self.me,
                c.bytes,
                self._sign(change_signing_payload(c.hash)),
            )
            for c in new
        ]
        self.store.append_changes(rows, now)
        self._seen_seq = self.store.max_seq()
        return sum(len(row[3]) for row in rows)

    def apply_remote(self, changes: Iterable[tuple[bytes, str, bytes]]) -> set[tuple[str, str]]:
        """Apply (change bytes, author member id, signature) received from a peer, as one
        batch (see :meth:`receive_changes`); returns the touched records."""
        items = list(changes)
        signatures = {}
        for data, author, signature in items:
            digest = change_hash(data)
            if digest is not None:
                signatures[digest.hex()] = (author, signature)
        return self.receive_changes([c for c, _, _ in items], signatures)

    def receive_changes(
        self,
        changes: Sequence[bytes],
        signatures: Mapping[str, tuple[str, bytes]],
        apply: Callable[[BoardDocument], None] | None = None,
    ) -> set[tuple[str, str]]:
        """The one way changes from peers enter the board: a whole batch at a time.

        ``changes`` are the raw changes the batch carries (inside sync messages or pushed
        live), ``signatures`` their authors' (member id, signature) by change hash (hex);
        the batch is complete before anything touches the document, so it can be checked
        as a unit here first. ``apply`` puts it into the document (default: apply
        ``changes``; sync messages are received instead, which also moves the peer's sync
        state on; a snapshot is merged).

        Whatever took effect is stored in one SQLite transaction, committed durably
        before this returns (so before the caller acknowledges anything to the peer),
        with the read model refreshed once for the touched records; listeners then get
        one event. If ``apply`` fails part way, what did enter the document is still
        stored, then the error is raised. Returns the touched records."""
        failure: list[BaseException] = []

        def mutate() -> None:
            try:
                if apply is None:
                    self.doc.apply_changes(list(changes))
                else:
                    apply(self.doc)
            except Exception as exc:  # noqa: BLE001 (raised below, once what entered is stored)
                failure.append(exc)

        touched: set[tuple[str, str]] | None = set()
        # A batch makes thousands of short-lived containers (decoded operations, rows,
        # history entries). With the cyclic collector running, those alive at each
        # collection are promoted until a full collection comes due, which walks every
        # object of the process (tens of milliseconds with a big board open). Nothing
        # here makes reference cycles: the collector waits until the batch is stored.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with self._session():
                before = self.doc.heads()
                _, touched = self._apply_tracked(mutate)
                applied = self.doc.changes_since(before)
                if applied:
                    now = self.now()
                    # Stored as they arrived (peers send changes uncompressed): compressing
                    # them here (``c.bytes``) would cost about as much as merging them, on
                    # the path the peer waits on, to save a third of their size on disk.
                    rows = []
                    for c in applied:
                        digest = c.hash.hex()
                        author, sig = signatures.get(digest, ("", b""))
                        rows.append((digest, c.actor_id.hex(), author, c.raw_bytes, sig))
                    self.store.append_changes(rows, now)
                    self._seen_seq = self.store.max_seq()
                    self._sync_read_model(touched)
                    self._pending.append(
                        BoardChanged(
                            frozenset(touched or ()), origin="remote", everything=touched is None
                        )
                    )
        finally:
            if collecting:
                gc.enable()
        if failure:
            raise failure[0]
        # Compaction (a full save of the document) waits for a quiet moment, see
        # compact_if_due: here it would hold up the acknowledgement the peer waits for.
        return touched or set()

    def _maybe_compact(self, force: bool = False, written: int | None = None) -> bool:
        """Write a snapshot if the changes after the last one outweigh it (or ``force``).

        After a local edit (``written``: its bytes) the database is asked only once every
        few kilobytes of edits: the question costs more than the edit's own work."""
        if not force and written is not None:
            self._unchecked += written
            if self._unchecked < COMPACT_CHECK_BYTES:
                return False
        self._unchecked = 0
        upto, size = self.store.snapshot_info()
        pending = self.store.bytes_after(upto)
        threshold = max(size, COMPACT_MIN_BYTES)
        if not force and pending <= threshold:
            return False
        if pending == 0:
            return False
        self.store.put_snapshot(
            self._seen_seq, heads_hex(self.doc.heads()), self.doc.save(), self.now()
        )
        return True

    def compact(self) -> bool:
        """Write a new snapshot now; True if one was written."""
        with self._session():
            return self._maybe_compact(force=True)

    def locked(self) -> AbstractContextManager[Any]:
        """The lock the service holds whenever it reads or writes the document, for the
        sync port, which hands the document to automerge's sync protocol directly."""
        return self._lock

    def ready_to_receive(self) -> None:
        """Build what the receive path needs (the index that tells which records a change
        touches) now, rather than on the first batch from a peer (a sync node calls this
        as it starts)."""
        with self._lock:
            self.doc.track()

    def compact_if_due(self) -> bool:
        """Write a new snapshot if enough changes piled up since the last one; True if one
        was written. Changes received from peers are not compacted as they arrive (a sync
        node calls this when its links are quiet)."""
        with self._lock:  # the store's connection is shared with the UI thread
            self.store.checkpoint()  # a quiet moment: see Store.checkpoint
            upto, size = self.store.snapshot_info()
            if self.store.bytes_after(upto) <= max(size, COMPACT_MIN_BYTES):
                return False
            with self._session():
                return self._maybe_compact()

    # ------------------------------------------------------------------ stamping helpers
    def _stamp_new(self) -> dict[str, Any]:
        now = self.now()
        return {"created_by": self.me, "created_at": now, "updated_by": self.me, "updated_at": now}

    def _create(self, record: Record) -> str:
        record.id = record.id or new_id()
        stamp = self._stamp_new()
        for key, value in stamp.items():
            setattr(record, key, value)
        fields = record.to_dict()
        changes = {
            k: [None, v]
            for k, v in fields.items()
            if k not in ("id", "type", *stamp) and v not in (None, "", [], {}, False)
        }
        collection = record.COLLECTION

        def action() -> set[tuple[str, str]]:
            with self.doc.transaction() as tx:
                tx.create(collection, record.id, fields)
                tx.log(
                    collection,
                    record.id,
                    HistoryEntry(
                        record.id, collection, stamp["created_at"], self.me, "created", changes
                    ),
                )
            return {(collection, record.id)}

        self._write(action)
        return record.id

    def _update(
        self,
        collection: str,
        record_id: str,
        fields: dict[str, Any],
        action_name: str = "edited",
        extra: Callable[[Any], set[tuple[str, str]]] | None = None,
    ) -> None:
        """Change ``fields`` of a record, logging old → new values in its history."""
        current = self.doc.read(collection, record_id) or {}
        changes = {k: [current.get(k), v] for k, v in fields.items() if current.get(k) != v}
        if not changes and extra is None:
            return
        now = self.now()
        payload = {
            **{k: v for k, v in fields.items() if k in changes},
            "updated_by": self.me,
            "updated_at": now,
        }

        def action() -> set[tuple[str, str]]:
            touched = {(collection, record_id)}
            with self.doc.transaction() as tx:
                tx.update(collection, record_id, payload)
                tx.log(
                    collection,
                    record_id,
                    HistoryEntry(record_id, collection, now, self.me, action_name, changes),
                )
                if extra is not None:
                    touched |= extra(tx)
            return touched

        self._write(action)
