"""Plain Python values in and out of the automerge document: scalars, lists and maps
written by a transaction, records and history entries read back (the value coding of
:mod:`board.document`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from automerge import core as am

from board.change_ops import obj_key
from board.model import HistoryEntry

Heads = list[bytes]
# The number of an ObjType (its int()): comparing those is cheaper than ObjType's ==. (The
# binding's stubs do not declare ObjType.__int__, hence the alias typed for any value.)
kind_of: Callable[[Any], int] = int
MAP_KIND, LIST_KIND = kind_of(am.ObjType.Map), kind_of(am.ObjType.List)


def scalar_of(value: Any) -> tuple[Any, Any]:
    if value is None:
        return am.ScalarType.Null, None
    if isinstance(value, bool):
        return am.ScalarType.Boolean, value
    if isinstance(value, int):
        return am.ScalarType.Int, value
    if isinstance(value, float):
        return am.ScalarType.F64, value
    if isinstance(value, str):
        return am.ScalarType.Str, value
    raise TypeError(f"cannot store {type(value).__name__} in the board")


def put_value(tx: Any, obj: bytes, key: str | int, value: Any, insert: bool = False) -> None:
    if isinstance(value, dict):
        child = (tx.insert_object if insert else tx.put_object)(obj, key, am.ObjType.Map)
        write_fields(tx, child, value)
    elif isinstance(value, list):
        child = (tx.insert_object if insert else tx.put_object)(obj, key, am.ObjType.List)
        for index, element in enumerate(value):
            put_value(tx, child, index, element, insert=True)
    else:
        kind, scalar = scalar_of(value)
        (tx.insert if insert else tx.put)(obj, key, kind, scalar)


def write_fields(tx: Any, obj: bytes, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        put_value(tx, obj, key, value)


def merge_list(tx: Any, obj: bytes, key: str, new: list[Any]) -> None:
    """Make the list at ``key`` equal ``new`` by removing and appending elements, so that
    concurrent additions on another copy survive the merge."""
    got = tx.get(obj, key)
    if got is None or not isinstance(got[0], am.ObjType) or got[0] != am.ObjType.List:
        put_value(tx, obj, key, new)
        return
    lst = got[1]
    current = [v[1] if not isinstance(v, am.ObjType) else None for v, _ in tx.values(lst)]
    wanted = list(new)
    for index in range(len(current) - 1, -1, -1):
        if current[index] not in wanted:
            tx.delete(lst, index)
            del current[index]
    for value in wanted:
        if value not in current:
            kind, scalar = scalar_of(value)
            tx.insert(lst, len(current), kind, scalar)
            current.append(value)


def merge_map(tx: Any, obj: bytes, key: str, new: dict[str, Any]) -> None:
    got = tx.get(obj, key)
    if got is None or got[0] != am.ObjType.Map:
        put_value(tx, obj, key, new)
        return
    child = got[1]
    for k, v in new.items():
        put_value(tx, child, k, v)


def read_value(doc: Any, value: Any, obj_id: bytes, heads: Heads | None) -> Any:
    if isinstance(value, am.ObjType):
        kind = kind_of(value)
        if kind == MAP_KIND:
            return read_map(doc, obj_id, heads)
        if kind == LIST_KIND:
            items = doc.values(obj_id, heads) if heads else doc.values(obj_id)
            return [
                read_value(doc, v, i, heads) if isinstance(v, am.ObjType) else v[1]
                for v, i in items
            ]
        return doc.text(obj_id, heads) if heads else doc.text(obj_id)
    return value[1]


def read_map(
    doc: Any, obj_id: bytes, heads: Heads | None, skip: str | None = None
) -> dict[str, Any]:
    # keys() and values() walk a map in the same (key) order, values() giving each key's
    # winning value: two calls per map instead of one per key.
    if heads:
        keys, values = doc.keys(obj_id, heads), doc.values(obj_id, heads)
    else:
        keys, values = doc.keys(obj_id), doc.values(obj_id)
    out: dict[str, Any] = {}
    for key, (value, child) in zip(keys, values):
        if key == skip:
            continue
        out[key] = (
            read_value(doc, value, child, heads) if isinstance(value, am.ObjType) else value[1]
        )
    return out


# A history entry as stored: (at, by, claimed_by, action, stored changes value), with
# ``by``/``claimed_by`` settled as :func:`history_entries` describes.
RawEntry = tuple[str, str, str, str, Any]
_ENTRY_KEYS = ["action", "at", "by", "changes"]  # as keys() lists them (sorted)


def raw_history(
    doc: Any,
    hist: bytes,
    heads: Heads | None,
    author_of: Callable[[bytes], str] | None = None,
) -> list[RawEntry]:
    """The entries of a history list, in list order, as :data:`RawEntry` tuples: what
    :func:`history_entries` and the read model build on (two calls into automerge per
    entry, no objects built)."""
    out: list[RawEntry] = []
    items = doc.values(hist, heads) if heads else doc.values(hist)
    for value, entry_id in items:
        if type(value) is tuple or kind_of(value) != MAP_KIND:  # a scalar, a list or a text
            continue
        if heads:
            keys, values = doc.keys(entry_id, heads), doc.values(entry_id, heads)
        else:
            keys, values = doc.keys(entry_id), doc.values(entry_id)
        if keys == _ENTRY_KEYS:  # every entry this program writes: four scalars
            (action, _), (at, _), (stamped, _), (stored, _) = values
            if type(action) is tuple and type(at) is tuple and type(stamped) is tuple:
                action, at, stamped = str(action[1]), str(at[1]), str(stamped[1])
                stored = stored[1] if type(stored) is tuple else _entry_field(doc, values[3], heads)
            else:
                at, stamped, action, stored = _entry_fields(doc, keys, values, heads)
        else:
            at, stamped, action, stored = _entry_fields(doc, keys, values, heads)
        by, claimed = stamped, ""
        if author_of is not None:
            size = entry_id[1] if len(entry_id) > 2 else 0x80
            actor = entry_id[2 : 2 + size] if size < 0x80 else _actor_of(entry_id)
            by = author_of(actor) if actor is not None else ""
            claimed = stamped if stamped != by else ""
        out.append((at, by, claimed, action, stored))
    return out


def _entry_fields(
    doc: Any, keys: list[str], values: list[Any], heads: Heads | None
) -> tuple[str, str, str, Any]:
    """(at, stamped author, action, stored changes) of a history entry of any shape."""
    raw = {
        key: _entry_field(doc, item, heads)
        for key, item in zip(keys, values)
        if key in ("at", "by", "action", "changes")
    }
    return (
        str(raw.get("at", "")),
        str(raw.get("by", "")),
        str(raw.get("action", "")),
        raw.get("changes"),
    )


def _entry_field(doc: Any, item: tuple[Any, bytes], heads: Heads | None) -> Any:
    value, child = item
    return value[1] if type(value) is tuple else read_value(doc, value, child, heads)


def _actor_of(obj_id: bytes) -> bytes | None:
    """The actor that created an object (see :func:`board.change_ops.obj_key`), None for
    the root. (:func:`raw_history` slices it out itself when its length takes one byte, as
    every actor id's does in practice.)"""
    key = obj_key(bytes(obj_id))
    return None if key is None else key[1]


def parse_changes(stored: Any) -> dict[str, Any]:
    """The ``changes`` of a history entry from its stored text ({} when it is not JSON of
    a map)."""
    try:
        changes = json.loads(stored or "{}")
    except (ValueError, TypeError, RecursionError):  # any text a member's copy may hold
        return {}
    return changes if isinstance(changes, dict) else {}


def history_entries(
    doc: Any,
    hist: bytes,
    collection: str,
    record_id: str,
    heads: Heads | None,
    author_of: Callable[[bytes], str] | None = None,
) -> list[HistoryEntry]:
    """The entries of a record's history list, in list order.

    With ``author_of`` (actor -> member id, "" for none), an entry's ``by`` is the member
    whose actor wrote the entry (automerge object ids name the actor that created the
    object), and the name stamped inside it is kept in ``claimed_by`` when it differs: a
    stamp is only a claim, the actor is proven by its author's signature."""
    return entries_of(raw_history(doc, hist, heads, author_of), collection, record_id)


def entries_of(raw: list[RawEntry], collection: str, record_id: str) -> list[HistoryEntry]:
    """:class:`HistoryEntry` objects of a record's :data:`RawEntry` tuples."""
    return [
        HistoryEntry(
            item=record_id,
            type=collection,
            at=at,
            by=by,
            action=action,
            changes=parse_changes(stored),
            claimed_by=claimed,
        )
        for at, by, claimed, action, stored in raw
    ]


def in_time_order(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    # List order is causal for one writer; merged entries from several writers are
    # interleaved by time, the list position breaking ties (the sort is stable).
    if len(entries) > 1:
        entries.sort(key=_at)
    return entries


def raw_in_time_order(entries: list[RawEntry]) -> list[RawEntry]:
    """:func:`in_time_order` of :data:`RawEntry` tuples."""
    if len(entries) > 1:
        entries.sort(key=itemgetter(0))
    return entries


def _at(entry: HistoryEntry) -> str:
    return entry.at
