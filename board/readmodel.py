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
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from board.document import BoardDocument
from board.document_values import parse_changes
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


def history_rows(
    doc: BoardDocument, collection: str, record_id: str, title: str
) -> list[dict[str, Any]]:
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
    if COLLECTIONS[collection] is Agreement:
        record = to_record(collection, data)
        return to_row(record), record.label
    row, label = _ROW_BUILDERS[collection](data)
    return dict(zip(_COLUMNS[collection], row)), label


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


def _json_encoder(default: Callable[[Any], Any]) -> Callable[[Any], str]:
    """``json.JSONEncoder(sort_keys=True, default=default).encode`` without its per-call
    setup: the same C encoder, built once (no circular-reference check: values read from
    the document or parsed from JSON cannot refer to themselves)."""
    make = getattr(json.encoder, "c_make_encoder", None)  # CPython's, not public
    try:
        encode = make(  # type: ignore[misc]
            None, default, json.encoder.encode_basestring_ascii, None, ": ", ", ", True, False, True
        )
    except TypeError:  # not there, or another signature: the public way
        return json.JSONEncoder(sort_keys=True, default=default).encode
    return lambda value: "".join(encode(value, 0))


_encode_field = _json_encoder(_JSON.default)
_encode_changes = _json_encoder(str)
_scan_json: Callable[[str, int], tuple[Any, int]]
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # not in the stubs


def changes_text(stored: Any) -> str:
    """The ``changes`` column of a history entry stored with ``stored`` as its changes:
    ``json.dumps(parse_changes(stored), sort_keys=True, default=str)``, with the usual
    case (a JSON object and nothing around it) parsed without ``json.loads``' checks."""
    if type(stored) is str and stored[:1] == "{":
        try:
            changes, end = _scan_json(stored, 0)
        except Exception:  # noqa: BLE001 - parse_changes below says what it is
            end = -1
        if end == len(stored) and type(changes) is dict:
            return _encode_changes(changes) if changes else "{}"
    return _encode_changes(parse_changes(stored))


_ABSENT = object()  # a field the document does not hold
RowBuilder = Callable[[dict[str, Any]], tuple[tuple[Any, ...], str]]


def _row_builder(collection: str) -> RowBuilder:
    """A function from document data to the record's row (values in ``_COLUMNS`` order)
    and label: what :func:`fast_row` describes."""
    cls = COLLECTIONS[collection]
    columns = _COLUMNS[collection]

    if cls is Agreement:

        def long_way(data: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
            record = to_record(collection, data)
            row = to_row(record)
            return tuple(map(row.get, columns)), record.label

        return long_way

    type_name = cls.TYPE
    # Fields whose default is a plain value are read with it; the others (lists and maps,
    # made by a factory) are settled afterwards, as are the fields stored as JSON.
    reads: list[tuple[str, Any]] = []
    settle: list[tuple[int, Callable[[], Any], bool]] = []
    fields = [f for f in dataclasses.fields(cls) if f.name != "id"]
    for index, (f, (_, default, as_json)) in enumerate(zip(fields, _DEFAULTS[collection]), 2):
        if f.default_factory is dataclasses.MISSING and not as_json:
            reads.append((f.name, f.default))
        else:
            reads.append((f.name, _ABSENT))
            settle.append((index, default, as_json))
    archived = columns.index("archived")
    title = columns.index("title") if "title" in columns else None
    name = columns.index("name") if "name" in columns else None

    # all of them at once, when the document holds every field (a tuple: records have the
    # several fields of Record)
    every = itemgetter(*(f.name for f in fields))

    def record_row(data: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
        get = data.get
        try:
            row = [get("id", ""), type_name, *every(data)]
        except KeyError:
            row = [get("id", ""), type_name, *[get(field, default) for field, default in reads]]
        for index, default, as_json in settle:
            value = row[index]
            if value is _ABSENT:
                value = default()
            if as_json:  # most lists and maps of a record are empty: no encoder call for those
                kind = type(value)
                value = (
                    _EMPTY_JSON[kind] if not value and kind in _EMPTY_JSON else _encode_field(value)
                )
            row[index] = value
        row[archived] = int(bool(row[archived]))
        label = (
            (None if title is None else row[title])
            or (None if name is None else row[name])
            or row[0]
        )
        return tuple(row), str(label)

    return record_row


_COLUMNS = {name: tuple(columns) for name, columns in tables().items()}
_HISTORY_COLUMNS = (
    "item", "seq", "type", "title", "at", "by", "claimed_by", "action", "changes"
)  # fmt: skip
_ROW_BUILDERS = {name: _row_builder(name) for name in COLLECTIONS}


def update(store: Store, doc: BoardDocument, touched: set[tuple[str, str]]) -> None:
    """Refresh the rows of the touched records (inside a write transaction)."""
    by_collection: dict[str, set[str]] = {}
    for collection, record_id in touched:
        if collection in COLLECTIONS:
            by_collection.setdefault(collection, set()).add(record_id)
    for collection, ids in by_collection.items():
        type_name = COLLECTIONS[collection].TYPE
        record_row = _ROW_BUILDERS[collection]
        rows: list[tuple[Any, ...]] = []
        hist: list[tuple[Any, ...]] = []
        for record_id, data, entries in doc.read_many_raw(collection, sorted(ids)):
            if data is None:
                continue
            if collection == "team":
                data.setdefault("id", data.get("id", "team"))
            row, label = record_row(data)
            rows.append(row)
            for seq, (at, by, claimed, action, stored) in enumerate(entries):
                text = changes_text(stored)
                hist.append((record_id, seq, type_name, label, at, by, claimed, action, text))
        columns = _COLUMNS[collection]
        if collection == "team":
            store.clear_table("team")
            if rows:
                store.replace_rows("team", [], rows, columns=columns)
            continue
        store.replace_rows(collection, ids, rows, columns=columns)
        store.replace_rows(HISTORY_TABLE, ids, hist, of_type=type_name, columns=_HISTORY_COLUMNS)


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
