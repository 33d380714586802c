"""Plain Python values in and out of the automerge document: scalars, lists and maps
written by a transaction, records and history entries read back (the value coding of
:mod:`board.document`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from automerge import core as am

from board.change_ops import obj_key
from board.model import HistoryEntry

Heads = list[bytes]


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
        if value == am.ObjType.Map:
            return read_map(doc, obj_id, heads)
        if value == am.ObjType.List:
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
    entries = []
    items = doc.values(hist, heads) if heads else doc.values(hist)
    for value, entry_id in items:
        if value != am.ObjType.Map:
            continue
        raw = read_map(doc, entry_id, heads)
        try:
            changes = json.loads(raw.get("changes") or "{}")
        except (ValueError, TypeError):
            changes = {}
        stamped = str(raw.get("by", ""))
        by, claimed = stamped, ""
        if author_of is not None:
            key = obj_key(bytes(entry_id))
            by = author_of(key[1]) if key is not None else ""
            claimed = stamped if stamped != by else ""
        entries.append(
            HistoryEntry(
                item=record_id,
                type=collection,
                at=str(raw.get("at", "")),
                by=by,
                action=str(raw.get("action", "")),
                changes=changes if isinstance(changes, dict) else {},
                claimed_by=claimed,
            )
        )
    return entries


def in_time_order(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    # List order is causal for one writer; merged entries from several writers are
    # interleaved by time, the list position breaking ties.
    if len(entries) > 1:
        order = {id(e): i for i, e in enumerate(entries)}
        entries.sort(key=lambda e: (e.at, order[id(e)]))
    return entries
