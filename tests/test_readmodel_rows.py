"""The read model's rows do not depend on the way they are built: the rows the sync receive
path writes for the records a merge touched (``readmodel.update``, which reads history
entries as stored and re-encodes their changes itself) equal rows built the
straightforward way (each record made a Record, each history entry read field by field,
its changes parsed with ``json.loads`` and dumped again), and a rebuild, for every kind of
history entry a member's copy may hold: odd or non-canonical changes text, entries that
are not maps, entries made concurrently on two copies, entries naming someone else.
What the tables hold is what ``teamboard history`` and the listings show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from automerge import core as am

from board import readmodel
from board.change_ops import obj_key
from board.document import HISTORY_KEY, BoardDocument
from board.document_values import read_map, write_fields
from board.model import COLLECTIONS, HistoryEntry
from board.workspace import Workspace
from storage.store import Store
from sync.identity import Identity

from .conftest import Clock

INF = float("inf")
PEER_ACTOR = bytes(range(16))  # a copy no member writes with: its entries are unverified

# (stored "changes", what history shows as the entry's changes)
ODD_CHANGES: list[tuple[Any, dict[str, Any]]] = [
    ('{"title":["a","b"]}', {"title": ["a", "b"]}),  # compact separators
    ('{"z": [1, 2], "a": [null, "\u00e9t\u00e9"]}', {"a": [None, "été"], "z": [1, 2]}),
    ('{"a": ["\\u00e9\\/", 1.0e2], "b": [-0, 10, 0.10]}', {"a": ["é/", 100.0], "b": [0, 10, 0.1]}),
    ('{"a": 1, "a": 2}', {"a": 2}),  # a key twice
    (' {"a": [1, 2]}\n', {"a": [1, 2]}),  # space around
    ('{"n": {"b": 1, "a": [2.5, Infinity, -Infinity]}}', {"n": {"a": [2.5, INF, -INF], "b": 1}}),
    ('{"big": 123456789012345678901234567890}', {"big": 123456789012345678901234567890}),
    ('{"s": "\\ud83d\\ude00 \\"q\\" \\t"}', {"s": '\U0001f600 "q" \t'}),
    ('{"ok": [true, false, null]}', {"ok": [True, False, None]}),  # canonical already
    ("[1, 2]", {}),  # JSON, but not of a map
    ("not json", {}),
    ("{", {}),
    ("", {}),
    (5, {}),  # not text at all
    ({"x": 1}, {}),  # an automerge map, not text
]


def fresh(tmp_path: Path, clock: Clock) -> tuple[Workspace, str, str]:
    ws = Workspace.init(tmp_path / "home", "Orbit", "Ana", clock=clock)
    ben = Identity.generate()
    ws.service.add_member(ben.member_id, "Ben", ben.cert_pem, ws.service.me)
    goal = ws.service.add_goal("Ship the beta", owners=["me"])
    clock.advance(minutes=1)
    agreement = ws.service.add_agreement("Weekly demo", [ben.member_id])
    ws.service.set_focus({"focus": [{"text": "Beta", "tradeoff": "no new features"}]})
    return ws, goal, agreement


def append_entries(doc: BoardDocument, collection: str, record_id: str, entries: list[Any]) -> None:
    """Append raw history entries (maps of fields, or anything else) to a record."""
    with doc.transaction() as tx:
        record = tx._record_obj(collection, record_id)
        assert record is not None
        got = tx.tx.get(record, HISTORY_KEY)
        hist = got[1] if got is not None else tx.tx.put_object(record, HISTORY_KEY, am.ObjType.List)
        for entry in entries:
            at = tx.tx.length(hist)
            if isinstance(entry, dict):
                write_fields(tx.tx, tx.tx.insert_object(hist, at, am.ObjType.Map), entry)
            elif isinstance(entry, list):
                lst = tx.tx.insert_object(hist, at, am.ObjType.List)
                tx.tx.insert(lst, 0, am.ScalarType.Str, "odd")
            else:
                tx.tx.insert(hist, at, am.ScalarType.Str, str(entry))


def reference_history(
    doc: BoardDocument, collection: str, record_id: str, title: str
) -> list[dict[str, Any]]:
    """A record's history rows the straightforward way (the read model's original code)."""
    d = doc.doc
    if collection == "team":
        record = d.get(am.ROOT, "team")
    else:
        parent = d.get(am.ROOT, collection)
        record = None if parent is None else d.get(parent[1], record_id)
    got = None if record is None else d.get(record[1], HISTORY_KEY)
    if got is None or got[0] != am.ObjType.List:
        return []
    entries = []
    for value, entry_id in d.values(got[1]):
        if value != am.ObjType.Map:
            continue
        raw = read_map(d, entry_id, None)
        try:
            changes = json.loads(raw.get("changes") or "{}")
        except (ValueError, TypeError):
            changes = {}
        stamped = str(raw.get("by", ""))
        key = obj_key(bytes(entry_id))
        by = doc.authors.member_of(key[1]) if key is not None else ""
        entries.append(
            HistoryEntry(
                item=record_id,
                type=collection,
                at=str(raw.get("at", "")),
                by=by,
                action=str(raw.get("action", "")),
                changes=changes if isinstance(changes, dict) else {},
                claimed_by=stamped if stamped != by else "",
            )
        )
    order = {id(e): i for i, e in enumerate(entries)}
    entries.sort(key=lambda e: (e.at, order[id(e)]))
    return [
        {
            "item": record_id,
            "seq": seq,
            "type": COLLECTIONS[collection].TYPE,
            "title": title,
            "at": e.at,
            "by": e.by,
            "claimed_by": e.claimed_by,
            "action": e.action,
            "changes": json.dumps(e.changes, sort_keys=True, default=str),
        }
        for seq, e in enumerate(entries)
    ]


def reference_store(doc: BoardDocument, path: Path) -> Store:
    """A read model filled the straightforward way, in its own database."""
    store = Store(path, readmodel.tables())
    with store.write():
        for collection in COLLECTIONS:
            ids = ["team"] if collection == "team" else doc.ids(collection)
            rows, hist = [], []
            for record_id in ids:
                data = doc.read(collection, record_id)
                if data is None:
                    continue
                data.setdefault("id", "team")
                record = readmodel.to_record(collection, data)
                rows.append(readmodel.to_row(record))
                hist += reference_history(doc, collection, record_id, record.label)
            store.replace_rows(collection, [], rows)
            store.replace_rows(readmodel.HISTORY_TABLE, [], hist)
    return store


def contents(store: Store) -> dict[str, list[str]]:
    """Every table's rows, each value with its type (1, 1.0 and True told apart)."""
    return {
        table: sorted(repr(sorted(row.items())) for row in store.rows(f"SELECT * FROM [{table}]"))
        for table in readmodel.tables()
    }


def merge_from(ws: Workspace, peer: BoardDocument, since: list[bytes]) -> set[tuple[str, str]]:
    """Merge the peer copy's changes after ``since`` the way a sync receive does: the
    touched records found from the changes, their rows refreshed."""
    svc = ws.service
    before = svc.doc.track()
    svc.doc.apply_changes([c.bytes for c in peer.changes_since(since)])
    touched = svc.doc.touched_since(before)
    assert touched is not None
    with svc.store.write():
        readmodel.update(svc.store, svc.doc, touched)
    return touched


def test_rows_written_on_receive_equal_rows_built_the_straightforward_way(
    tmp_path: Path, clock: Clock
) -> None:
    ws, goal, agreement = fresh(tmp_path, clock)
    svc = ws.service
    since = svc.doc.heads()
    peer = svc.doc.fork(PEER_ACTOR)
    entries: list[Any] = [
        {"at": f"2026-03-02T10:{i:02d}:00Z", "by": svc.me, "action": "odd", "changes": stored}
        for i, (stored, _) in enumerate(ODD_CHANGES)
    ]
    entries += [
        {"at": "2026-03-02T09:59:00Z", "by": "someone-else", "action": "renamed"},  # no changes
        {"by": svc.me, "changes": '{"b": [1, 2]}', "note": "an extra field"},  # no time
        {"at": 20260302, "action": "edited", "changes": "{}"},  # a number for a time
        {"at": "2026-03-02T09:58:00Z", "by": svc.me, "changes": '{"c": [1]}', "zz": "4 fields"},
        {"action": "mapped", "at": {"day": 2}, "by": ["x"], "changes": "{}"},  # not scalars
        "a text, not a map",
        ["a list"],
    ]
    append_entries(peer, "goals", goal, entries)
    append_entries(peer, "agreements", agreement, entries[:3])
    with peer.transaction() as tx:  # records with fields missing, or a list left empty
        tx.create("goals", "g-bare", {"title": "Bare"})
        tx.create("goals", "g-null", {"title": "No list", "owners": None})
        tx.log(
            "goals",
            "g-bare",
            HistoryEntry("g-bare", "goals", "2026-03-02T10:00:00Z", "x", "created"),
        )
    # concurrently, here: edits of the same goal, one at the same time as a peer entry
    clock.advance(minutes=30)
    svc.edit(goal, title="Ship the beta soon")
    append_entries(
        svc.doc, "goals", goal, [{"at": "2026-03-02T10:03:00Z", "by": svc.me, "action": "noted"}]
    )
    with svc.store.write():
        readmodel.update(svc.store, svc.doc, {("goals", goal)})

    touched = merge_from(ws, peer, since)

    assert {("goals", goal), ("agreements", agreement), ("goals", "g-bare")} <= touched
    kept = contents(svc.store)
    reference = reference_store(svc.doc, tmp_path / "reference.db")
    assert kept == contents(reference)
    with svc.store.write():
        readmodel.rebuild(svc.store, svc.doc)
    assert contents(svc.store) == kept
    reference.close()

    # what people see: the goal's history, oldest first, changes as stored, authors verified
    shown = svc.history(goal)
    odd = [e for e in shown if e.action == "odd"]
    assert [e.changes for e in odd] == [expected for _, expected in ODD_CHANGES]
    assert all(e.by == "" and e.claimed_by == svc.me for e in odd)  # written by no member
    assert [e.at for e in shown] == sorted(e.at for e in shown)
    ties = [e.action for e in shown if e.at == "2026-03-02T10:03:00Z"]
    assert sorted(ties) == ["noted", "odd"]
    claimed = next(e for e in shown if e.action == "renamed")
    assert (claimed.by, claimed.claimed_by, claimed.changes) == ("", "someone-else", {})
    assert next(e for e in shown if e.action == "noted").by == svc.me
    assert [e.changes for e in svc.history(agreement)[-3:]] == [c for _, c in ODD_CHANGES[:3]]
    listed = svc.store.rows("SELECT id, owners, kind FROM goals WHERE id LIKE 'g-%' ORDER BY id")
    assert listed == [
        {"id": "g-bare", "owners": "[]", "kind": "routine"},
        {"id": "g-null", "owners": "null", "kind": "routine"},
    ]
    ws.close()


def test_history_read_with_the_record_equals_history_read_alone(
    tmp_path: Path, clock: Clock
) -> None:
    ws, goal, _ = fresh(tmp_path, clock)
    doc = ws.service.doc
    append_entries(doc, "goals", goal, [{"at": "", "changes": s} for s, _ in ODD_CHANGES] + ["x"])
    data, entries = doc.read_with_history("goals", goal)
    assert data == doc.read("goals", goal)
    assert entries == doc.history("goals", goal)
    assert [
        readmodel.history_from_row(r).changes for r in reference_history(doc, "goals", goal, "")
    ] == [e.changes for e in entries]
    ws.close()


def test_an_entry_whose_changes_nest_too_deep_is_shown_without_them(
    tmp_path: Path, clock: Clock
) -> None:
    """A member's copy can hold any text; text nested deeper than the JSON parser goes
    must not stop the batch that carries it from being stored and shown."""
    ws, goal, _ = fresh(tmp_path, clock)
    svc = ws.service
    since = svc.doc.heads()
    peer = svc.doc.fork(PEER_ACTOR)
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000
    entry = {"at": "2026-03-02T10:00:00Z", "by": svc.me, "action": "nested", "changes": deep}
    append_entries(peer, "goals", goal, [entry])
    merge_from(ws, peer, since)
    shown = svc.history(goal)
    assert [(e.action, e.changes) for e in shown][-1] == ("nested", {})
    rebuilt = Store(tmp_path / "rebuilt.db", readmodel.tables())
    with rebuilt.write():
        readmodel.rebuild(rebuilt, svc.doc)
    assert contents(rebuilt) == contents(svc.store)
