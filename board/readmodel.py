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
    return record_from_dict(COLLECTIONS[collection], data)


def history_rows(doc: BoardDocument, collection: str, record_id: str, title: str) -> list[dict[str, Any]]:
    rows = []
    for seq, entry in enumerate(doc.history(collection, record_id)):
        rows.append(
            {
                "item": record_id,
                "seq": seq,
                "type": COLLECTIONS[collection].TYPE,
                "title": title,
                "at": entry.at,
                "by": entry.by,
                "action": entry.action,
                "changes": json.dumps(entry.changes, sort_keys=True, default=str),
            }
        )
    return rows


def history_from_row(row: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        item=row["item"],
        type=row["type"],
        at=row["at"],
        by=row["by"],
        action=row["action"],
        changes=json.loads(row["changes"] or "{}"),
        title=row.get("title") or "",
    )


def update(store: Store, doc: BoardDocument, touched: set[tuple[str, str]]) -> None:
    """Refresh the rows of the touched records (inside a write transaction)."""
    by_collection: dict[str, set[str]] = {}
    for collection, record_id in touched:
        if collection in COLLECTIONS:
            by_collection.setdefault(collection, set()).add(record_id)
    for collection, ids in by_collection.items():
        rows, hist = [], []
        for record_id in sorted(ids):
            data = doc.read(collection, record_id)
            if data is None:
                continue
            if collection == "team":
                data.setdefault("id", data.get("id", "team"))
            record = to_record(collection, data)
            rows.append(to_row(record))
            hist.extend(history_rows(doc, collection, record_id, record.label))
        if collection == "team":
            store.clear_table("team")
            if rows:
                store.replace_rows("team", [], rows)
            continue
        store.replace_rows(collection, ids, rows)
        store.replace_rows(HISTORY_TABLE, ids, hist)


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
