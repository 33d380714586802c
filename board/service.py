"""BoardService: the use cases of the board, each one automerge transaction, stamped with
author and time, stored durably before it returns, and announced to listeners.

The CLI and the terminal UI call only this; they never touch automerge or SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar, cast

from board import readmodel
from board.dates import parse_date
from board.document import BoardDocument, Heads, heads_hex
from board.events import BoardChanged, Event
from board.model import (
    COLLECTIONS,
    COMMITMENT_NEXT,
    FOCUS_LISTS,
    GOAL_NEXT,
    ITEM_COLLECTIONS,
    Agreement,
    AgreementStatus,
    Ambiguous,
    BoardError,
    Cadence,
    CheckIn,
    Commitment,
    Focus,
    Goal,
    HistoryEntry,
    InvalidInput,
    Kind,
    Member,
    NotFound,
    PartyKind,
    Record,
    Relation,
    Role,
    RuleViolation,
    Stream,
    Team,
    check_transition,
    enum_value,
    validate_confidence,
    validate_progress,
    validate_title,
)
from storage.store import Store

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
COMPACT_MIN_BYTES = 64 * 1024
Listener = Callable[[Event], None]
Clock = Callable[[], dt.datetime]


F = TypeVar("F", bound=Callable[..., Any])


def use_case(method: F) -> F:
    """Run a public method as one session: on the latest board, validated and written in
    one SQLite transaction, listeners told after the commit."""

    @wraps(method)
    def run(self: BoardService, *args: Any, **kwargs: Any) -> Any:
        with self._session():
            return method(self, *args, **kwargs)

    return cast(F, run)


def reader(method: F) -> F:
    """Catch up with other writers before a lookup on the document."""

    @wraps(method)
    def run(self: BoardService, *args: Any, **kwargs: Any) -> Any:
        if self._depth == 0:
            self.fresh()
        return method(self, *args, **kwargs)

    return cast(F, run)


def new_id() -> str:
    """A short random record id (8 characters, 40 bits)."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(8))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def change_signing_payload(change_hash: bytes) -> bytes:
    """What an author signs for one change (the change hash covers its bytes)."""
    return b"teamboard-change-v1:" + change_hash


# Which fields `set ID FIELD VALUE` accepts per record type, and how to read the value.
LIST_FIELDS = {"owners", "members", "holders", "counterparts", "accountabilities", "values"}
FIELD_ALIASES = {
    "owner": "owners",
    "holder": "holders",
    "member": "members",
    "counterpart": "counterparts",
    "review-on": "review_on",
    "next-step": "next_step",
    "expect": "expectations",
    "accountability": "accountabilities",
}
SETTABLE = {
    "goal": {"title", "kind", "stream", "owners", "due", "status", "confidence", "metric",
             "start", "target", "current", "unit", "hypothesis", "next_step"},
    "commitment": {"title", "by", "to", "goal", "due", "status", "terms"},
    "agreement": {"title", "accountable", "counterparts", "expectations", "cadence",
                  "review_on", "status"},
    "stream": {"title", "kind", "purpose", "members"},
    "role": {"title", "purpose", "stream", "holders", "accountabilities"},
}


class BoardService:
    """Use cases on one team's board, for one member (``me``) of one home."""

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
        self._pending: list[Event] = []
        self._stamps: dict[tuple[str, str], int] | None = None  # see _apply_tracked
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
    ) -> BoardService:
        """Load the board from the latest snapshot plus the changes after it."""
        snapshot = store.latest_snapshot()
        upto = snapshot.upto_seq if snapshot else 0
        changes = store.changes_after(upto)
        data = (snapshot.data if snapshot else b"") + b"".join(c.data for c in changes)
        doc = BoardDocument.load(data, actor) if data else BoardDocument.empty(actor)
        service = cls(store, doc, me, sign, clock)
        service._seen_seq = changes[-1].seq if changes else upto
        if store.get_meta("readmodel_heads") != ",".join(heads_hex(doc.heads())):
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
        before = self.doc.heads()
        if not before:
            self._stamps = None
            return mutate(), None
        if self._stamps is None:
            self._stamps = self.doc.record_stamps()
        result = mutate()
        if self.doc.heads() == before:
            return result, set()
        stamps = self.doc.record_stamps()
        touched = {key for key, stamp in stamps.items() if self._stamps.get(key) != stamp}
        self._stamps = stamps
        return result, touched

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
        moment = self._clock().astimezone(dt.timezone.utc)
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
                BoardChanged(frozenset(touched or ()), origin="external", everything=touched is None)
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
                if write:
                    with self.store.write():
                        self._note_external(self._catch_up())
                        yield
                else:
                    self._note_external(self._catch_up())
                    yield
            except BaseException:
                if outer:
                    self._pending = [e for e in self._pending if getattr(e, "origin", "") == "external"]
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

    def _write(self, action: Callable[[], set[tuple[str, str]]]) -> set[tuple[str, str]]:
        """Write one use case: ``action`` makes one automerge transaction; the change is
        stored, the read model updated, all committed durably before listeners hear."""
        with self._session():
            before = self.doc.heads()
            touched = action()
            if self._stamps is not None:
                self._stamps.update(self.doc.record_stamps(touched))
            self._store_local_changes(before)
            readmodel.update(self.store, self.doc, touched)
            self.store.set_meta("readmodel_heads", ",".join(heads_hex(self.doc.heads())))
            self._maybe_compact()
            self._pending.append(BoardChanged(frozenset(touched), origin="local"))
        return touched

    def _store_local_changes(self, before: Heads) -> None:
        new = self.doc.changes_since(before)
        now = self.now()
        rows = [
            (c.hash.hex(), c.actor_id.hex(), self.me, c.bytes, self._sign(change_signing_payload(c.hash)))
            for c in new
        ]
        self.store.append_changes(rows, now)
        self._seen_seq = self.store.max_seq()

    def apply_remote(self, changes: Iterable[tuple[bytes, str, bytes]]) -> set[tuple[str, str]]:
        """Apply (change bytes, author member id, signature) received from a peer; the ones
        that took effect are stored durably, the read model updated, listeners told."""
        items = list(changes)
        return self.receive_changes_with(
            lambda doc: doc.apply_changes([c for c, _, _ in items]),
            {_hash_of(c): (a, s) for c, a, s in items},
        )[1]

    def receive_changes_with(
        self,
        mutate: Callable[[BoardDocument], Any],
        signatures: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[Any, set[tuple[str, str]]]:
        """Let the sync layer mutate the document (receive a sync message, merge a snapshot);
        whatever entered it is stored durably and announced. Returns (mutate's result,
        touched records)."""
        with self._session():
            before = self.doc.heads()
            result, touched = self._apply_tracked(lambda: mutate(self.doc))
            applied = self.doc.changes_since(before)
            if not applied:
                return result, set()
            now = self.now()
            sigs = signatures or {}
            rows = []
            for c in applied:
                author, sig = sigs.get(c.hash.hex(), ("", b""))
                rows.append((c.hash.hex(), c.actor_id.hex(), author, c.bytes, sig))
            self.store.append_changes(rows, now)
            self._seen_seq = self.store.max_seq()
            self._sync_read_model(touched)
            self._maybe_compact()
            self._pending.append(
                BoardChanged(frozenset(touched or ()), origin="remote", everything=touched is None)
            )
        return result, touched or set()

    def _maybe_compact(self, force: bool = False) -> bool:
        upto, size = self.store.snapshot_info()
        pending = self.store.bytes_after(upto)
        threshold = max(size, COMPACT_MIN_BYTES)
        if not force and pending <= threshold:
            return False
        if pending == 0:
            return False
        self.store.put_snapshot(self._seen_seq, heads_hex(self.doc.heads()), self.doc.save(), self.now())
        return True

    def compact(self) -> bool:
        """Write a new snapshot now; True if one was written."""
        with self._session():
            return self._maybe_compact(force=True)

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
                tx.log(collection, record.id, HistoryEntry(record.id, collection, stamp["created_at"],
                                                           self.me, "created", changes))
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
        payload = {**{k: v for k, v in fields.items() if k in changes}, "updated_by": self.me, "updated_at": now}

        def action() -> set[tuple[str, str]]:
            touched = {(collection, record_id)}
            with self.doc.transaction() as tx:
                tx.update(collection, record_id, payload)
                tx.log(collection, record_id, HistoryEntry(record_id, collection, now, self.me,
                                                           action_name, changes))
                if extra is not None:
                    touched |= extra(tx)
            return touched

        self._write(action)

    # ------------------------------------------------------------------ lookups
    @reader
    def team(self) -> Team:
        data = self.doc.team()
        if not data:
            raise BoardError("this home has no board yet (run `teamboard init` or `teamboard join`)")
        return Team(**{k: v for k, v in data.items() if k in Team.__dataclass_fields__})

    @reader
    def member(self, ref: str = "me") -> Member:
        return self._get_member(self.resolve_member(ref))

    def _get_member(self, member_id: str) -> Member:
        data = self.doc.read("members", member_id)
        if data is None:
            raise NotFound(f"no member {member_id}")
        return readmodel.to_record("members", data)  # type: ignore[return-value]

    @reader
    def members(self, include_removed: bool = False) -> list[Member]:
        out = [readmodel.to_record("members", d) for d in self.doc.read_all("members")]
        members = [m for m in out if isinstance(m, Member) and (include_removed or m.active)]
        return sorted(members, key=lambda m: (m.name.lower(), m.id))

    @reader
    def member_name(self, member_id: str) -> str:
        data = self.doc.read("members", member_id)
        return str(data.get("name")) if data else member_id

    @reader
    def resolve_member(self, ref: str) -> str:
        """A member id from ``me``, a unique name, or an id prefix."""
        ref = (ref or "").strip()
        if not ref:
            raise InvalidInput("no member given")
        if ref.lower() == "me":
            return self.me
        members = list(self.doc.read_all("members"))
        by_name = [m["id"] for m in members if str(m.get("name", "")).lower() == ref.lower()]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            raise Ambiguous(f"several members are called {ref!r}; use their id")
        by_id = [m["id"] for m in members if m["id"].startswith(ref.lower())]
        if len(by_id) == 1:
            return by_id[0]
        if len(by_id) > 1:
            raise Ambiguous(f"member prefix {ref!r} is ambiguous: {', '.join(sorted(by_id))}")
        raise NotFound(f"no member called {ref!r}")

    @reader
    def resolve(self, ref: str, collections: Iterable[str] = ITEM_COLLECTIONS) -> tuple[str, str]:
        """(collection, id) of the item whose id starts with ``ref``."""
        ref = (ref or "").strip().lower()
        if not ref:
            raise InvalidInput("no id given")
        hits = [(c, rid) for c in collections for rid in self.doc.ids(c) if rid.startswith(ref)]
        exact = [h for h in hits if h[1] == ref]
        if exact:
            return exact[0]
        if not hits:
            raise NotFound(f"no item with id {ref!r}")
        if len(hits) > 1:
            shown = ", ".join(sorted(rid for _, rid in hits)[:6])
            raise Ambiguous(f"id prefix {ref!r} is ambiguous: {shown}{' …' if len(hits) > 6 else ''}")
        return hits[0]

    @reader
    def get(self, ref: str, collections: Iterable[str] = ITEM_COLLECTIONS) -> Record:
        collection, record_id = self.resolve(ref, collections)
        data = self.doc.read(collection, record_id)
        if data is None:  # pragma: no cover - resolve found it
            raise NotFound(f"no item with id {ref!r}")
        return readmodel.to_record(collection, data)

    def _resolve_stream(self, ref: str) -> str:
        if not ref:
            return ""
        titles = [s for s in self.doc.read_all("streams") if str(s.get("title", "")).lower() == ref.lower()]
        if len(titles) == 1:
            return str(titles[0]["id"])
        return self.resolve(ref, ["streams"])[1]

    def _resolve_goal(self, ref: str) -> str:
        return self.resolve(ref, ["goals"])[1] if ref else ""

    @reader
    def resolve_party(self, ref: str) -> tuple[str, str]:
        """(kind, value) for a commitment's ``to``: a member, a stream, or an external name."""
        ref = (ref or "").strip()
        if not ref:
            raise InvalidInput("say who the commitment is to (a member, a stream or an external party)")
        member = stream = None
        try:
            member = self.resolve_member(ref)
        except NotFound:
            pass
        streams = [s for s in self.doc.read_all("streams")
                   if str(s.get("title", "")).lower() == ref.lower()
                   or (len(ref) >= 4 and str(s["id"]).startswith(ref.lower()))]
        if len(streams) == 1:
            stream = str(streams[0]["id"])
        elif len(streams) > 1:
            raise Ambiguous(f"{ref!r} names several streams; use the stream's id")
        if member and stream:
            raise Ambiguous(f"{ref!r} is both a member and a stream; use an id")
        if member:
            return PartyKind.MEMBER.value, member
        if stream:
            return PartyKind.STREAM.value, stream
        return PartyKind.EXTERNAL.value, ref

    @reader
    def party_name(self, kind: str, value: str) -> str:
        if kind == PartyKind.MEMBER.value:
            return self.member_name(value)
        if kind == PartyKind.STREAM.value:
            data = self.doc.read("streams", value)
            return str(data.get("title")) if data else value
        return value

    # ------------------------------------------------------------------ listings
    def list(
        self,
        collection: str,
        *,
        mine: bool = False,
        status: str | None = None,
        include_archived: bool = False,
    ) -> list[Record]:
        """Records of one collection from the read model, oldest first."""
        if collection not in COLLECTIONS or collection == "team":
            raise InvalidInput(f"unknown list {collection!r}")
        where, params = [], []
        if not include_archived and collection not in ("members", "focus"):
            where.append("archived = 0")
        if status:
            where.append("status = ?")
            params.append(status)
        sql = f"SELECT * FROM [{collection}]"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, id"
        records = [readmodel.from_row(collection, r) for r in self.store.rows(sql, params)]  # type: ignore[arg-type]
        if collection == "members" and not include_archived:
            records = [r for r in records if isinstance(r, Member) and r.active]
        if mine:
            records = [r for r in records if self.involves(r, self.me)]
        return records

    def involves(self, record: Record, member_id: str) -> bool:
        """Whether ``member_id`` takes part in ``record``."""
        if isinstance(record, Goal):
            return member_id in record.owners
        if isinstance(record, Commitment):
            return record.by == member_id or (record.to_kind == "member" and record.to == member_id)
        if isinstance(record, Agreement):
            return member_id in record.parties
        if isinstance(record, Stream):
            return member_id in record.members
        if isinstance(record, Role):
            return member_id in record.holders
        if isinstance(record, CheckIn):
            return record.by == member_id
        if isinstance(record, Member):
            return record.id == member_id
        return record.created_by == member_id

    def checkins_for(self, item_id: str) -> list[CheckIn]:
        rows = self.store.rows("SELECT * FROM checkins WHERE item = ? ORDER BY at, id", [item_id])
        return [readmodel.from_row("checkins", r) for r in rows]  # type: ignore[misc, arg-type]

    def history(self, ref: str | None = None, limit: int | None = None) -> list[HistoryEntry]:
        """Attributed changes of one item (oldest first), or of the whole board (newest first)."""
        if ref:
            collection, record_id = self.resolve(ref)
            rows = self.store.rows("SELECT * FROM history WHERE item = ? ORDER BY seq", [record_id])
        else:
            sql = "SELECT * FROM history ORDER BY at DESC, item, seq DESC"
            rows = self.store.rows(sql + (f" LIMIT {int(limit)}" if limit else ""))
        return [readmodel.history_from_row(r) for r in rows]  # type: ignore[arg-type]

    @reader
    def focus(self, ref: str = "me") -> Focus:
        member_id = self.resolve_member(ref)
        data = self.doc.read("focus", member_id)
        if data is None:
            return Focus(id=member_id, member=member_id)
        return readmodel.to_record("focus", data)  # type: ignore[return-value]

    # ------------------------------------------------------------------ use cases: setup
    def create_board(self, team_name: str, my_name: str, cert_pem: str = "") -> None:
        """Fill an empty document with a new team and its first member (me)."""
        if self.doc.initialized:
            raise RuleViolation("this home already holds a board")
        team_name = validate_title(team_name, "team name")
        my_name = validate_title(my_name, "name")
        now = self.now()
        stamp = self._stamp_new()
        team = {"id": new_id(), "name": team_name, "values": [], **stamp, "archived": False}
        with self._session():
            self.doc = BoardDocument.create(self.doc.doc.get_actor(), team)
            self._stamps = None
            before: Heads = []
            member = Member(id=self.me, name=my_name, cert=cert_pem, joined_at=now, **stamp)
            with self.doc.transaction() as tx:
                tx.create("members", self.me, member.to_dict())
                tx.log("members", self.me, HistoryEntry(self.me, "members", now, self.me, "joined",
                                                        {"name": [None, my_name]}))
            self._store_local_changes(before)
            self._sync_read_model(None)
            self._pending.append(BoardChanged(frozenset(), "local", everything=True))

    @use_case
    def add_member(self, member_id: str, name: str, cert_pem: str, invited_by: str) -> None:
        """Record a new member (after an invite); names must stay unique."""
        name = validate_title(name, "name")
        if any(m.name.lower() == name.lower() for m in self.members() if m.id != member_id):
            raise RuleViolation(f"a member called {name!r} already exists; choose another name")
        if self.doc.read("members", member_id) is not None:
            return
        now = self.now()
        member = Member(id=member_id, name=name, cert=cert_pem, joined_at=now, invited_by=invited_by)
        self._create(member)

    @use_case
    def remove_member(self, ref: str) -> None:
        member_id = self.resolve_member(ref)
        member = self._get_member(member_id)
        if not member.active:
            raise RuleViolation(f"{member.name} was already removed")
        heads = heads_hex(self.doc.heads())
        self._update("members", member_id, {"removed_at": self.now(), "removed_by": self.me,
                                            "removed_heads": heads}, "removed")

    @use_case
    def set_team_values(self, values: list[str]) -> None:
        self._update("team", "team", {"values": [validate_title(v, "value") for v in values]})

    # ------------------------------------------------------------------ use cases: items
    @use_case
    def add_stream(
        self,
        title: str,
        kind: str = "routine",
        purpose: str = "",
        members: Iterable[str] = (),
        customers: Iterable[str] = (),
        suppliers: Iterable[str] = (),
        partners: Iterable[str] = (),
    ) -> str:
        externals = [
            {"name": validate_title(n, "party name"), "relation": rel.value}
            for rel, names in ((Relation.CUSTOMER, customers), (Relation.SUPPLIER, suppliers),
                               (Relation.PARTNER, partners))
            for n in names
        ]
        return self._create(Stream(
            title=validate_title(title),
            kind=enum_value(Kind, kind, "kind"),
            purpose=purpose.strip(),
            members=_unique(self.resolve_member(m) for m in members),
            externals=externals,
        ))

    @use_case
    def add_role(
        self,
        title: str,
        stream: str = "",
        holders: Iterable[str] = (),
        accountabilities: Iterable[str] = (),
        purpose: str = "",
    ) -> str:
        return self._create(Role(
            title=validate_title(title),
            stream=self._resolve_stream(stream),
            holders=_unique(self.resolve_member(m) for m in holders),
            accountabilities=[a.strip() for a in accountabilities if a.strip()],
            purpose=purpose.strip(),
        ))

    @use_case
    def add_goal(
        self,
        title: str,
        kind: str = "routine",
        stream: str = "",
        owners: Iterable[str] = (),
        due: str = "",
        confidence: int | None = None,
        metric: str = "",
        target: float | None = None,
        start: float | None = None,
        unit: str = "",
        current: float | None = None,
        hypothesis: str = "",
        next_step: str = "",
    ) -> str:
        if metric and target is None:
            raise InvalidInput("a measure needs a target (--target N)")
        if target is not None and not metric:
            raise InvalidInput("a target needs a metric (--metric NAME)")
        owner_ids = _unique(self.resolve_member(m) for m in owners) or [self.me]
        return self._create(Goal(
            title=validate_title(title),
            kind=enum_value(Kind, kind, "kind"),
            stream=self._resolve_stream(stream),
            owners=owner_ids,
            due=self.parse_date(due),
            confidence=validate_confidence(confidence),
            metric=metric.strip(),
            target=_number(target),
            start=_number(start),
            current=_number(current if current is not None else start),
            unit=unit.strip(),
            hypothesis=hypothesis.strip(),
            next_step=next_step.strip(),
        ))

    @use_case
    def add_commitment(
        self, title: str, to: str, by: str = "me", goal: str = "", due: str = "", terms: str = ""
    ) -> str:
        to_kind, to_value = self.resolve_party(to)
        by_id = self.resolve_member(by)
        if to_kind == "member" and to_value == by_id:
            raise InvalidInput("a commitment is a promise to someone else; --to names yourself")
        return self._create(Commitment(
            title=validate_title(title),
            by=by_id,
            to=to_value,
            to_kind=to_kind,
            goal=self._resolve_goal(goal),
            due=self.parse_date(due),
            terms=terms.strip(),
        ))

    @use_case
    def add_agreement(
        self,
        title: str,
        counterparts: Iterable[str],
        accountable: str = "me",
        expectations: str = "",
        cadence: str = "monthly",
        review_on: str = "",
    ) -> str:
        accountable_id = self.resolve_member(accountable)
        others = _unique(self.resolve_member(m) for m in counterparts)
        others = [m for m in others if m != accountable_id]
        if not others:
            raise InvalidInput("an agreement needs at least one counterpart other than the accountable member")
        cadence_value = enum_value(Cadence, cadence, "cadence")
        review = self.parse_date(review_on) if review_on else (
            self.today() + dt.timedelta(days=Cadence(cadence_value).days)).isoformat()
        return self._create(Agreement(
            title=validate_title(title),
            accountable=accountable_id,
            counterparts=others,
            expectations=expectations.strip(),
            cadence=cadence_value,
            review_on=review,
        ))

    # ------------------------------------------------------------------ use cases: changes
    @use_case
    def set_field(self, ref: str, field: str, value: str) -> None:
        """`teamboard set ID FIELD VALUE`: parse ``value`` for the field and apply it."""
        collection, record_id = self.resolve(ref)
        record = self.get(record_id, [collection])
        name = FIELD_ALIASES.get(field.lower(), field.lower().replace("-", "_"))
        allowed = SETTABLE.get(record.TYPE, set())
        if name not in allowed:
            options = ", ".join(sorted(allowed)) or "none"
            raise InvalidInput(f"a {record.TYPE} has no settable field {field!r} (fields: {options})")
        if name == "status":
            self.set_status(record_id, value)
            return
        self.edit(record_id, **{name: self._parse_field(record, name, value)})

    def _parse_field(self, record: Record, name: str, value: str) -> Any:
        if name in ("due", "review_on"):
            return self.parse_date(value)
        if name == "confidence":
            try:
                return int(value)
            except ValueError:
                raise InvalidInput(f"confidence must be a whole number from 1 to 10, not {value!r}") from None
        if name in ("start", "target", "current"):
            try:
                return float(value) if value.strip() else None
            except ValueError:
                raise InvalidInput(f"{name} must be a number, not {value!r}") from None
        if name in LIST_FIELDS:
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @use_case
    def edit(self, ref: str, **fields: Any) -> None:
        """Change several fields of an item at once (validated; ids resolved)."""
        collection, record_id = self.resolve(ref)
        record = self.get(record_id, [collection])
        if record.archived:
            raise RuleViolation(f"{record.TYPE} {record_id} is archived; restore it first")
        clean: dict[str, Any] = {}
        allowed = SETTABLE.get(record.TYPE, set()) - {"status"}
        for name, value in fields.items():
            if name not in allowed:
                raise InvalidInput(f"a {record.TYPE} has no editable field {name!r}")
            clean[name] = self._validate_field(record, name, value)
        if isinstance(record, Commitment) and "to" in clean:
            clean["to_kind"], clean["to"] = clean["to"]
        self._update(collection, record_id, clean)

    def _validate_field(self, record: Record, name: str, value: Any) -> Any:
        if name == "title":
            return validate_title(str(value))
        if name == "kind":
            return enum_value(Kind, str(value), "kind")
        if name == "cadence":
            return enum_value(Cadence, str(value), "cadence")
        if name == "confidence":
            return validate_confidence(None if value in ("", None) else value)
        if name in ("due", "review_on"):
            return self.parse_date(str(value)) if value else ""
        if name in ("start", "target", "current"):
            return _number(value)
        if name in ("owners", "members", "holders", "counterparts"):
            ids = _unique(self.resolve_member(m) for m in value)
            if name == "owners" and not ids:
                raise InvalidInput("a goal needs at least one owner")
            if name == "counterparts" and not ids:
                raise InvalidInput("an agreement needs at least one counterpart")
            return ids
        if name in ("by", "accountable"):
            return self.resolve_member(str(value))
        if name == "to":
            return self.resolve_party(str(value))
        if name == "stream":
            return self._resolve_stream(str(value))
        if name == "goal":
            return self._resolve_goal(str(value))
        if name == "accountabilities":
            return [str(v).strip() for v in value if str(v).strip()]
        return str(value).strip()

    @use_case
    def set_status(self, ref: str, status: str) -> None:
        """Move an item to ``status``; invalid transitions raise RuleViolation with a reason."""
        collection, record_id = self.resolve(ref, ["goals", "commitments", "agreements"])
        record = self.get(record_id, [collection])
        if record.archived:
            raise RuleViolation(f"{record.TYPE} {record_id} is archived; restore it first")
        current = str(getattr(record, "status"))
        check_transition(record.TYPE, current, status.strip().lower())
        self._update(collection, record_id, {"status": status.strip().lower()}, "status")

    @use_case
    def advance(self, ref: str) -> str:
        """Move an item one step along its happy path; returns the new status."""
        record = self.get(ref, ["goals", "commitments", "agreements"])
        status = str(getattr(record, "status"))
        if isinstance(record, Commitment):
            nxt = COMMITMENT_NEXT.get(record.status)  # type: ignore[call-overload]
        elif isinstance(record, Goal):
            nxt = GOAL_NEXT.get(record.status)  # type: ignore[call-overload]
        else:
            nxt = {"active": "under_review", "under_review": "active"}.get(status)
            if status == "draft":
                raise RuleViolation("a draft agreement becomes active when every party has consented")
        if nxt is None:
            raise RuleViolation(f"a {status} {record.TYPE} has no next status")
        self.set_status(record.id, str(nxt))
        return str(nxt)

    @use_case
    def consent(self, ref: str) -> bool:
        """I consent to an agreement; returns True when that made it active."""
        collection, record_id = self.resolve(ref, ["agreements"])
        agreement = self.get(record_id, [collection])
        assert isinstance(agreement, Agreement)
        if agreement.archived or agreement.status == AgreementStatus.RETIRED.value:
            raise RuleViolation("this agreement is retired or archived; consent is closed")
        if self.me not in agreement.parties:
            names = ", ".join(self.member_name(p) for p in agreement.parties)
            raise RuleViolation(f"only the parties to this agreement can consent ({names})")
        if self.me in agreement.consents:
            raise RuleViolation("you have already consented to this agreement")
        consents = {**agreement.consents, self.me: self.now()}
        activates = all(p in consents for p in agreement.parties)
        fields: dict[str, Any] = {"consents": {self.me: consents[self.me]}}
        if activates and agreement.status == AgreementStatus.DRAFT.value:
            fields["status"] = AgreementStatus.ACTIVE.value
        self._update(collection, record_id, fields, "consented")
        return activates

    @use_case
    def checkin(
        self,
        ref: str,
        progress: int | None = None,
        confidence: int | None = None,
        note: str = "",
        learned: str = "",
    ) -> str:
        """Record a check-in on a goal, commitment or agreement; returns its id."""
        collection, item_id = self.resolve(ref, ["goals", "commitments", "agreements"])
        validate_progress(progress)
        validate_confidence(confidence)
        if progress is None and confidence is None and not note.strip() and not learned.strip():
            raise InvalidInput("a check-in needs at least one of progress, confidence, note or learned")
        now = self.now()
        checkin = CheckIn(id=new_id(), item=item_id, by=self.me, at=now, progress=progress,
                          confidence=confidence, note=note.strip(), learned=learned.strip(),
                          **self._stamp_new())
        summary: dict[str, list[Any]] = {"check-in": [None, checkin.id]}
        if progress is not None:
            summary["progress"] = [None, progress]
        if confidence is not None:
            summary["confidence"] = [None, confidence]
        item_fields: dict[str, Any] = {"updated_by": self.me, "updated_at": now}
        if collection == "goals" and confidence is not None:
            item_fields["confidence"] = confidence

        def action() -> set[tuple[str, str]]:
            with self.doc.transaction() as tx:
                tx.create("checkins", checkin.id, checkin.to_dict())
                tx.log("checkins", checkin.id, HistoryEntry(checkin.id, "checkins", now, self.me,
                                                            "created", {"item": [None, item_id]}))
                tx.update(collection, item_id, item_fields)
                tx.log(collection, item_id, HistoryEntry(item_id, collection, now, self.me,
                                                         "checked in", summary))
            return {("checkins", checkin.id), (collection, item_id)}

        self._write(action)
        return checkin.id

    @use_case
    def archive(self, ref: str) -> None:
        collection, record_id = self.resolve(ref)
        record = self.get(record_id, [collection])
        if record.archived:
            raise RuleViolation(f"{record.TYPE} {record_id} is already archived")
        self._update(collection, record_id, {"archived": True}, "archived")

    @use_case
    def restore(self, ref: str) -> None:
        collection, record_id = self.resolve(ref)
        record = self.get(record_id, [collection])
        if not record.archived:
            raise RuleViolation(f"{record.TYPE} {record_id} is not archived")
        self._update(collection, record_id, {"archived": False}, "restored")

    # ------------------------------------------------------------------ focus
    @use_case
    def set_focus(self, lists: dict[str, list[dict[str, str]]], member: str = "me") -> None:
        """Replace some of my focus / challenge / avoid lists (entries: text + tradeoff)."""
        member_id = self.resolve_member(member)
        if member_id != self.me:
            raise RuleViolation(
                f"focus lists are personal: only {self.member_name(member_id)} can edit theirs"
            )
        clean: dict[str, Any] = {}
        for name, entries in lists.items():
            if name not in FOCUS_LISTS:
                raise InvalidInput(f"unknown focus list {name!r} (one of: {', '.join(FOCUS_LISTS)})")
            clean[name] = [
                {"text": validate_title(e.get("text", ""), f"{name} entry"),
                 "tradeoff": str(e.get("tradeoff", "")).strip()}
                for e in entries
            ]
        if self.doc.read("focus", self.me) is None:
            self._create(Focus(id=self.me, member=self.me, **clean))
        else:
            self._update("focus", self.me, clean, "focus")

    @use_case
    def add_focus(self, list_name: str, text: str, tradeoff: str = "", member: str = "me") -> None:
        current = self.focus(member)
        if list_name not in FOCUS_LISTS:
            raise InvalidInput(f"unknown focus list {list_name!r} (one of: {', '.join(FOCUS_LISTS)})")
        entries = list(getattr(current, list_name)) + [{"text": text, "tradeoff": tradeoff}]
        self.set_focus({list_name: entries}, member)

    @use_case
    def remove_focus(self, list_name: str, text: str, member: str = "me") -> None:
        current = self.focus(member)
        if list_name not in FOCUS_LISTS:
            raise InvalidInput(f"unknown focus list {list_name!r} (one of: {', '.join(FOCUS_LISTS)})")
        entries = [e for e in getattr(current, list_name) if e.get("text") != text]
        if len(entries) == len(getattr(current, list_name)):
            raise NotFound(f"no {list_name} entry {text!r}")
        self.set_focus({list_name: entries}, member)


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"not a number: {value!r}") from None


def _hash_of(change: bytes) -> str:
    """The automerge hash of a raw change chunk: SHA-256 of everything after the 4-byte
    magic and the 4-byte checksum (chunk type, length, body)."""
    return hashlib.sha256(change[8:]).hexdigest() if len(change) > 8 else ""
