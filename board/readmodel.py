"""The read model: SQLite tables that mirror the document, one row per record.

They exist so that people can query the board with ``sqlite-utils`` or Datasette, and so
that listings do not walk the automerge document. They are derived: :func:`rebuild`
recreates them from the document, :func:`update` refreshes only the touched records.
Lists and maps are stored as JSON text with sorted keys, so two copies of a board that
hold the same document hold byte-identical tables.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from board.document import BoardDocument
from board.model import COLLECTIONS, Agreement, HistoryEntry, Record, record_from_dict
from storage.store import Store

HISTORY_TABLE = "history"
# Bumped when the rows a document yields change meaning (2: history shows verified
# authors), so that a board opened by a newer teamboard rebuilds its tables once.
READMODEL_VERSION = "2"
# json.dumps(value, sort_keys=True[, default=str]) without building an encoder per call
_JSON = json.JSONEncoder(sort_keys=True)
_CHANGES_JSON = json.JSONEncoder(sort_keys=True, default=str)


def _column_type(f: dataclasses.Field[Any]) -> type:
    annotation = str(f.type)
    if annotation.startswith(("list", "dict")):
        return str
    if annotation.startswith("bool"):
        return int
    if annotation.startswith("int"):
        return int
    if annotation.startswith("float"):
        return float
    return str


def _json_fields(cls: type[Record]) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if str(f.type).startswith(("list", "dict"))}


JSON_FIELDS = {name: _json_fields(cls) for name, cls in COLLECTIONS.items()}


def tables() -> dict[str, dict[str, type]]:
    """Read-model table declarations, for :class:`storage.store.Store`."""
    out: dict[str, dict[str, type]] = {}
    for name, cls in COLLECTIONS.items():
        columns: dict[str, type] = {"id": str, "type": str}
        columns.update({f.name: _column_type(f) for f in dataclasses.fields(cls) if f.name != "id"})
        out[name] = columns
    out[HISTORY_TABLE] = {
        "item": str,
        "seq": int,
        "type": str,
        "title": str,
        "at": str,
        "by": str,
        "action": str,
        "changes": str,
        "claimed_by": str,
    }
    return out


def to_record(collection: str, data: dict[str, Any]) -> Record:
    """A record object from document data, with derived fields settled."""
    cls = COLLECTIONS[collection]
    record = record_from_dict(cls, data)
    if isinstance(record, Agreement):
        record.status = record.effective_status
    return record


def to_row(record: Record) -> dict[str, Any]:
    row = record.to_dict()
    for name in JSON_FIELDS[record.COLLECTION]:
        row[name] = json.dumps(row[name], sort_keys=True)
    row["archived"] = int(bool(row.get("archived")))
    return row


def from_row(collection: str, row: dict[str, Any]) -> Record:
    data = dict(row)
    for name in JSON_FIELDS[collection]:
        raw = data.get(name)
        data[name] = json.loads(raw) if raw else ([] if name != "consents" else {})
    data["archived"] = bool(data.get("archived"))
    names = FIELD_NAMES[collection]  # unknown columns (a newer schema's) are left out
    return COLLECTIONS[collection](**{k: v for k, v in data.items() if k in names})


FIELD_NAMES = {
    name: frozenset(f.name for f in dataclasses.fields(cls)) for name, cls in COLLECTIONS.items()
}


def history_rows(doc: BoardDocument, collection: str, record_id: str, title: str) -> list[dict[str, Any]]:
    return _history_rows(doc.history(collection, record_id), collection, record_id, title)


def _history_rows(
    entries: list[HistoryEntry], collection: str, record_id: str, title: str
) -> list[dict[str, Any]]:
    rows = []
    for seq, entry in enumerate(entries):
        rows.append(
            {
                "item": record_id,
                "seq": seq,
                "type": COLLECTIONS[collection].TYPE,
                "title": title,
                "at": entry.at,
                "by": entry.by,
                "claimed_by": entry.claimed_by,
                "action": entry.action,
                "changes": _CHANGES_JSON.encode(entry.changes),
            }
        )
    return rows


def history_from_row(row: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        item=row["item"],
        type=row["type"],
        at=row["at"],
        by=row["by"],
        claimed_by=row.get("claimed_by") or "",
        action=row["action"],
        changes=json.loads(row["changes"] or "{}"),
        title=row.get("title") or "",
    )


def fast_row(collection: str, data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``to_row(to_record(collection, data))`` and the record's label, without building
    the record (the read model refreshes every record a sync batch touched). Agreements,
    whose status is derived, take the long way."""
    cls = COLLECTIONS[collection]
    if cls is Agreement:
        record = to_record(collection, data)
        return to_row(record), record.label
    row: dict[str, Any] = {"id": data.get("id", ""), "type": cls.TYPE}
    for name, default, as_json in _DEFAULTS[collection]:
        value = data[name] if name in data else default()
        if as_json:  # most lists and maps of a record are empty: no encoder call for those
            row[name] = (
                _EMPTY_JSON[type(value)]
                if not value and type(value) in _EMPTY_JSON
                else _JSON.encode(value)
            )
        else:
            row[name] = value
    row["archived"] = int(bool(row.get("archived")))
    return row, str(row.get("title") or row.get("name") or row["id"])


_EMPTY_JSON: dict[type, str] = {list: "[]", dict: "{}"}


def _defaults(cls: type[Record]) -> list[tuple[str, Any, bool]]:
    """(field, its default, whether it is stored as JSON) of each field but the id."""
    out: list[tuple[str, Any, bool]] = []
    json_fields = _json_fields(cls)
    for f in dataclasses.fields(cls):
        if f.name == "id":
            continue
        if f.default_factory is not dataclasses.MISSING:
            out.append((f.name, f.default_factory, f.name in json_fields))
        else:
            out.append((f.name, lambda value=f.default: value, f.name in json_fields))
    return out


_DEFAULTS = {name: _defaults(cls) for name, cls in COLLECTIONS.items()}


def update(store: Store, doc: BoardDocument, touched: set[tuple[str, str]]) -> None:
    """Refresh the rows of the touched records (inside a write transaction)."""
    by_collection: dict[str, set[str]] = {}
    for collection, record_id in touched:
        if collection in COLLECTIONS:
            by_collection.setdefault(collection, set()).add(record_id)
    for collection, ids in by_collection.items():
        rows, hist = [], []
        for record_id, data, entries in doc.read_many_with_history(collection, sorted(ids)):
            if data is None:
                continue
            if collection == "team":
                data.setdefault("id", data.get("id", "team"))
            row, label = fast_row(collection, data)
            rows.append(row)
            hist.extend(_history_rows(entries, collection, record_id, label))
        if collection == "team":
            store.clear_table("team")
            if rows:
                store.replace_rows("team", [], rows)
            continue
        store.replace_rows(collection, ids, rows)
        store.replace_rows(HISTORY_TABLE, ids, hist, of_type=COLLECTIONS[collection].TYPE)


def rebuild(store: Store, doc: BoardDocument) -> None:
    """Recreate every read-model table from the document (inside a write transaction)."""
    store.clear_table(HISTORY_TABLE)
    touched: set[tuple[str, str]] = set()
    for collection in COLLECTIONS:
        store.clear_table(collection)
        if collection == "team":
            touched.add(("team", "team"))
        else:
            touched.update((collection, rid) for rid in doc.ids(collection))
    update(store, doc, touched)
    store.set_meta("readmodel_version", READMODEL_VERSION)
