"""The board's automerge document: typed reads and writes of records.

Layout (one document per team)::

    ROOT
      schema: int                      document schema version
      team:   {id, name, values[], created_by, ...}
      members | streams | roles | goals | commitments | agreements | checkins | reviews | focus:
              {record id: {field: scalar | [scalars] | {..} , _history: [{at, by, action, changes}]}}

Fields are plain scalars (no automerge Text: it is slow to load); lists of ids are lists,
so concurrent additions merge. Every record keeps its own ``_history`` list, which is
how "who changed what and when" is readable from the board itself: automerge
transactions here carry neither author nor time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from automerge import core as am

from board.authors import Authors
from board.change_ops import ChangeFormatError, encode_uleb
from board.document_values import (
    LIST_KIND,
    RawEntry,
    entries_of,
    history_entries,
    in_time_order,
    kind_of,
    merge_list,
    merge_map,
    put_value,
    raw_history,
    raw_in_time_order,
    read_map,
    read_value,
    write_fields,
)
from board.model import COLLECTIONS, BoardError, HistoryEntry
from board.record_index import RecordIndex

SCHEMA_VERSION = 1
HISTORY_KEY = "_history"
Heads = list[bytes]


class NewerSchema(BoardError):
    """The document was written by a newer teamboard."""


def encode_apply_message(changes: Sequence[bytes]) -> am.Message:
    """A sync message that carries only ``changes``.

    automerge's Python binding has no ``apply_changes``; receiving a sync message that
    holds the changes applies them, in any order, ignoring duplicates and queueing those
    whose dependencies have not arrived yet. Wire format: automerge sync message v1
    (0x42, heads, need, have, changes), each list prefixed by its LEB128 length.
    """
    buf = bytearray([0x42])
    buf += encode_uleb(0) + encode_uleb(0) + encode_uleb(0)
    buf += encode_uleb(len(changes))
    for change in changes:
        buf += encode_uleb(len(change))
        buf += change
    return am.Message.decode(bytes(buf))


def heads_hex(heads: Heads) -> list[str]:
    return sorted(h.hex() for h in heads)


def heads_from_hex(values: list[str]) -> Heads:
    return [bytes.fromhex(v) for v in values]


class BoardDocument:
    """Typed access to one team's automerge document."""

    def __init__(self, doc: am.Document) -> None:
        self.doc = doc
        self._history_ids: dict[tuple[str, str], bytes] = {}  # a record's history list never moves
        self._index = RecordIndex(doc)
        self.authors = Authors(lambda: self.read_all("members"), self.doc.get_heads)
        version = self._root_scalar("schema")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise NewerSchema(
                f"this board was written by a newer teamboard (document schema {version}, "
                f"this program knows {SCHEMA_VERSION}); upgrade teamboard"
            )

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def create(cls, actor: bytes, team: dict[str, Any]) -> BoardDocument:
        """A new board holding ``team`` and the empty collections."""
        doc = am.Document(actor_id=actor)
        with doc.transaction() as tx:
            tx.put(am.ROOT, "schema", am.ScalarType.Int, SCHEMA_VERSION)
            team_obj = tx.put_object(am.ROOT, "team", am.ObjType.Map)
            write_fields(tx, team_obj, team)
            for name in COLLECTIONS:
                if name != "team":
                    tx.put_object(am.ROOT, name, am.ObjType.Map)
        return cls(doc)

    @classmethod
    def empty(cls, actor: bytes) -> BoardDocument:
        """A document with nothing in it yet (a joining member, before the first sync)."""
        return cls(am.Document(actor_id=actor))

    @classmethod
    def load(cls, data: bytes, actor: bytes) -> BoardDocument:
        """Load a snapshot, optionally followed by raw change bytes."""
        doc = am.Document.load(data)
        doc.set_actor(actor)
        return cls(doc)

    def save(self) -> bytes:
        return self.doc.save()

    def fork(self, actor: bytes) -> BoardDocument:
        doc = self.doc.fork()
        doc.set_actor(actor)
        return BoardDocument(doc)

    # ------------------------------------------------------------------ changes
    def heads(self) -> Heads:
        return self.doc.get_heads()

    def changes_since(self, heads: Heads) -> list[Any]:
        return self.doc.get_changes(heads)

    def apply_changes(self, changes: list[bytes]) -> None:
        """Apply raw automerge changes (any order; duplicates are ignored)."""
        if changes:
            self.doc.receive_sync_message(am.SyncState(), encode_apply_message(changes))
            self._check_schema()

    def _check_schema(self) -> None:
        version = self._root_scalar("schema")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise NewerSchema(
                f"a peer wrote this board with a newer teamboard (schema {version}); upgrade"
            )

    def track(self) -> Heads:
        """The heads now, with the record index ready to tell what changes after them
        (see :meth:`touched_since`)."""
        self._index.ready()
        return self.heads()

    def touched_since(self, before: Heads) -> set[tuple[str, str]] | None:
        """The records that the changes after ``before`` (heads from :meth:`track`) wrote
        to, in time proportional to those changes; None when a change cannot be read
        (treat it as "everything")."""
        try:
            return self._index.touched_since(before)
        except ChangeFormatError:
            self._index = RecordIndex(self.doc)
            return None
        except Exception:  # noqa: BLE001 (the binding's bare errors): could not tell
            return None

    def record_stamps(self, keys: set[tuple[str, str]] | None = None) -> dict[tuple[str, str], int]:
        """For each record (or those in ``keys``), the length of its history list. Every
        edit appends to it, concurrent ones too, so comparing two calls tells which records
        changed in between. It costs one lookup per record: :meth:`touched_since` is the
        fast way; this one checks it in the tests."""
        out: dict[tuple[str, str], int] = {}
        doc = self.doc
        for name in COLLECTIONS:
            if name == "team":
                if keys is None or ("team", "team") in keys:
                    out[("team", "team")] = self._history_length("team", "team", am.ROOT, "team")
                continue
            parent = doc.get(am.ROOT, name)
            if parent is None:
                continue
            ids = doc.keys(parent[1]) if keys is None else [r for c, r in keys if c == name]
            for record_id in ids:
                out[(name, record_id)] = self._history_length(name, record_id, parent[1], record_id)
        return out

    def _history_length(self, collection: str, record_id: str, parent: bytes, key: str) -> int:
        hist = self._history_ids.get((collection, record_id))
        if hist is None:
            got = self.doc.get(parent, key)
            found = None if got is None else self.doc.get(got[1], HISTORY_KEY)
            if found is None:
                return -1
            hist = self._history_ids[(collection, record_id)] = bytes(found[1])
        return int(self.doc.length(hist))

    # ------------------------------------------------------------------ reads
    def _root_scalar(self, key: str) -> Any:
        got = self.doc.get(am.ROOT, key)
        if got is None or isinstance(got[0], am.ObjType):
            return None
        return got[0][1]

    @property
    def initialized(self) -> bool:
        return self.doc.get(am.ROOT, "team") is not None

    def _collection(self, name: str, heads: Heads | None = None) -> bytes | None:
        got = self.doc.get(am.ROOT, name, heads) if heads else self.doc.get(am.ROOT, name)
        return None if got is None else got[1]

    def team(self, heads: Heads | None = None) -> dict[str, Any]:
        obj = self._collection("team", heads)
        if obj is None:
            return {}
        data = read_map(self.doc, obj, heads)
        data.pop(HISTORY_KEY, None)
        return data

    def ids(self, collection: str, heads: Heads | None = None) -> list[str]:
        obj = self._collection(collection, heads)
        if obj is None:
            return []
        return self.doc.keys(obj, heads) if heads else self.doc.keys(obj)

    def has(self, collection: str, record_id: str) -> bool:
        """Whether the collection holds a record with exactly this id."""
        obj = self._collection(collection)
        return obj is not None and self.doc.get(obj, record_id) is not None

    def read(
        self, collection: str, record_id: str, heads: Heads | None = None
    ) -> dict[str, Any] | None:
        """The record's fields as plain Python values (without its history), or None."""
        if collection == "team":
            return self.team(heads) or None
        obj = self._collection(collection, heads)
        if obj is None:
            return None
        got = self.doc.get(obj, record_id, heads) if heads else self.doc.get(obj, record_id)
        if got is None:
            return None
        data = read_map(self.doc, got[1], heads, skip=HISTORY_KEY)
        data["id"] = record_id
        return data

    def read_all(self, collection: str, heads: Heads | None = None) -> Iterator[dict[str, Any]]:
        for record_id in self.ids(collection, heads):
            data = self.read(collection, record_id, heads)
            if data is not None:
                yield data

    def _record_obj(self, collection: str, record_id: str) -> bytes | None:
        if collection == "team":
            return self._collection("team")
        parent = self._collection(collection)
        got = None if parent is None else self.doc.get(parent, record_id)
        return None if got is None or not isinstance(got[0], am.ObjType) else bytes(got[1])

    def history(self, collection: str, record_id: str) -> list[HistoryEntry]:
        """Attributed changes of one record, oldest first."""
        obj = self._record_obj(collection, record_id)
        got = None if obj is None else self.doc.get(obj, HISTORY_KEY)
        if got is None or not isinstance(got[0], am.ObjType):
            return []
        return in_time_order(
            history_entries(self.doc, got[1], collection, record_id, None, self.authors.member_of)
        )

    def read_with_history(
        self, collection: str, record_id: str
    ) -> tuple[dict[str, Any] | None, list[HistoryEntry]]:
        """:meth:`read` and :meth:`history` of one record in one pass over it."""
        for _, data, entries in self.read_many_with_history(collection, [record_id]):
            return data, entries
        return None, []

    def read_many_with_history(
        self, collection: str, record_ids: Iterable[str]
    ) -> Iterator[tuple[str, dict[str, Any] | None, list[HistoryEntry]]]:
        """``(record id, fields or None, history)`` of each of ``record_ids``, each read
        in one pass over the record."""
        for record_id, data, raw in self.read_many_raw(collection, record_ids):
            yield record_id, data, entries_of(raw, collection, record_id)

    def read_many_raw(
        self, collection: str, record_ids: Iterable[str]
    ) -> Iterator[tuple[str, dict[str, Any] | None, list[RawEntry]]]:
        """:meth:`read_many_with_history` with each history entry as stored (a
        :data:`RawEntry`), oldest first: for the read model, which wants both for every
        record a batch touched (per record, a few calls into automerge)."""
        doc = self.doc
        get, keys, values = doc.get, doc.keys, doc.values
        obj_type = am.ObjType
        author_of = self.authors.member_of
        parent = self._collection(collection)
        for record_id in record_ids:
            if collection == "team" or parent is None:
                obj = parent
            else:
                got = get(parent, record_id)
                obj = None if got is None or not isinstance(got[0], obj_type) else got[1]
            if obj is None:
                yield record_id, None, []
                continue
            data: dict[str, Any] = {}
            entries: list[RawEntry] = []
            for key, (value, child) in zip(keys(obj), values(obj)):
                if type(value) is tuple:  # a scalar: (type, value)
                    data[key] = value[1]
                elif key == HISTORY_KEY:
                    if kind_of(value) == LIST_KIND:
                        entries = raw_history(doc, child, None, author_of)
                elif kind_of(value) == LIST_KIND:  # most are lists of scalars (ids)
                    data[key] = [
                        v[1] if type(v) is tuple else read_value(doc, v, i, None)
                        for v, i in values(child)
                    ]
                else:
                    data[key] = read_value(doc, value, child, None)
            if collection != "team":
                data["id"] = record_id
            yield record_id, data, raw_in_time_order(entries)

    # ------------------------------------------------------------------ writes
    @contextmanager
    def transaction(self) -> Iterator[BoardTransaction]:
        """One automerge transaction (one change) for one use case."""
        before = self.doc.get_heads()
        with self.doc.transaction() as tx:
            yield BoardTransaction(self, tx)
        self._index.follow(before)  # learn the records this edit created, while it is cheap


class BoardTransaction:
    """Writes of one use case, inside one automerge transaction."""

    def __init__(self, board: BoardDocument, tx: Any) -> None:
        self.board = board
        self.tx = tx

    def _collection(self, name: str) -> bytes:
        got = self.tx.get(am.ROOT, name)
        if got is None:
            got_obj = self.tx.put_object(am.ROOT, name, am.ObjType.Map)
            return bytes(got_obj)
        return bytes(got[1])

    def _record_obj(self, collection: str, record_id: str) -> bytes | None:
        if collection == "team":
            got = self.tx.get(am.ROOT, "team")
            return None if got is None else bytes(got[1])
        got = self.tx.get(self._collection(collection), record_id)
        return None if got is None else bytes(got[1])

    def create(self, collection: str, record_id: str, fields: dict[str, Any]) -> None:
        parent = self._collection(collection)
        obj = self.tx.put_object(parent, record_id, am.ObjType.Map)
        write_fields(self.tx, obj, {k: v for k, v in fields.items() if k not in ("id", "type")})
        self.tx.put_object(obj, HISTORY_KEY, am.ObjType.List)

    def update(self, collection: str, record_id: str, fields: dict[str, Any]) -> None:
        obj = self._record_obj(collection, record_id)
        if obj is None:
            raise BoardError(f"no {collection} record {record_id}")
        for key, value in fields.items():
            if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
                merge_list(self.tx, obj, key, value)
            elif isinstance(value, dict) and key == "consents":
                merge_map(self.tx, obj, key, value)
            else:
                put_value(self.tx, obj, key, value)

    def log(self, collection: str, record_id: str, entry: HistoryEntry) -> None:
        obj = self._record_obj(collection, record_id)
        if obj is None:
            raise BoardError(f"no {collection} record {record_id}")
        got = self.tx.get(obj, HISTORY_KEY)
        hist = (
            bytes(got[1])
            if got is not None
            else self.tx.put_object(obj, HISTORY_KEY, am.ObjType.List)
        )
        item = self.tx.insert_object(hist, self.tx.length(hist), am.ObjType.Map)
        write_fields(
            self.tx,
            item,
            {
                "at": entry.at,
                "by": entry.by,
                "action": entry.action,
                "changes": json.dumps(entry.changes, sort_keys=True, default=str),
            },
        )


# ---------------------------------------------------------------------- lists of maps
# Records whose lists of maps several members add to and edit at once (a review's agenda
# items and round lines). ``BoardTransaction.update`` puts such a list whole, which would
# lose a concurrent addition; these edit it element by element instead.


def _record_of(tx: BoardTransaction, collection: str, record_id: str) -> bytes:
    obj = tx._record_obj(collection, record_id)
    if obj is None:
        raise BoardError(f"no {collection} record {record_id}")
    return obj


def append_map(
    tx: BoardTransaction, collection: str, record_id: str, key: str, value: dict[str, Any]
) -> None:
    """Append ``value`` (a map of scalars) to the list at ``key`` of a record, creating the
    list if needed; appends made concurrently on other copies all survive the merge."""
    obj = _record_of(tx, collection, record_id)
    got = tx.tx.get(obj, key)
    if got is None or got[0] != am.ObjType.List:
        lst = tx.tx.put_object(obj, key, am.ObjType.List)
    else:
        lst = got[1]
    put_value(tx.tx, lst, tx.tx.length(lst), value, insert=True)


def update_map_in_list(
    tx: BoardTransaction,
    collection: str,
    record_id: str,
    key: str,
    map_id: str,
    fields: dict[str, Any],
) -> bool:
    """Put ``fields`` into the map whose ``id`` is ``map_id`` in the list at ``key``, leaving
    its other fields and the other maps alone (so edits of different items merge); False
    when the list holds no such map."""
    obj = _record_of(tx, collection, record_id)
    got = tx.tx.get(obj, key)
    if got is None or got[0] != am.ObjType.List:
        return False
    for value, child in tx.tx.values(got[1]):
        if value != am.ObjType.Map:
            continue
        ident = tx.tx.get(child, "id")
        if ident is not None and not isinstance(ident[0], am.ObjType) and ident[0][1] == map_id:
            write_fields(tx.tx, child, fields)
            return True
    return False


def replace_list(
    tx: BoardTransaction, collection: str, record_id: str, key: str, values: list[Any]
) -> None:
    """Put a new list at ``key`` as a whole: for an order, where the last writer should win
    rather than two orders being merged into one longer list."""
    put_value(tx.tx, _record_of(tx, collection, record_id), key, list(values))


def history_at(
    board: BoardDocument, collection: str, record_id: str, heads: Heads | None
) -> list[HistoryEntry]:
    """A record's history entries as the board was at ``heads`` (None: now), in list order."""
    doc = board.doc

    def get(obj: Any, key: str) -> Any:
        return doc.get(obj, key, heads) if heads else doc.get(obj, key)

    coll = get(am.ROOT, collection)
    rec = None if coll is None else get(coll[1], record_id)
    hist = None if rec is None else get(rec[1], HISTORY_KEY)
    if hist is None or hist[0] != am.ObjType.List:
        return []
    return history_entries(doc, hist[1], collection, record_id, heads, board.authors.member_of)
