"""Which records a merged change touched is found from the change itself (its operations'
objects), in time proportional to the change: after random edits and merges it gives the
same answer as comparing every record's history before and after (the slow way), and the
read model kept up with it equals one rebuilt from scratch."""

from __future__ import annotations

import random
from typing import Any

from automerge import core as am
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from board import readmodel
from board.change_ops import ChangeFormatError, change_hash, decode_ops, obj_key
from board.document import BoardDocument, append_map, replace_list, update_map_in_list
from board.model import HistoryEntry

from .test_convergence import exchange, make_copies, random_op, tables

COLLECTIONS = ("goals", "commitments", "reviews")


class Replica:
    """One copy of a board document, edited like the service edits it."""

    def __init__(self, doc: BoardDocument, name: str, rng: random.Random) -> None:
        self.doc, self.name, self.rng = doc, name, rng
        self.serial = 0

    def records(self) -> list[tuple[str, str]]:
        return [(c, r) for c in COLLECTIONS for r in self.doc.ids(c)] + [("team", "team")]

    def edit(self, logged: bool = True) -> set[tuple[str, str]]:
        """One transaction, as one use case makes it; returns the records it wrote to."""
        rng, records = self.rng, self.records()
        self.serial += 1
        stamp = f"{self.name}-{self.serial}"
        choice = rng.randrange(7)
        with self.doc.transaction() as tx:
            if choice == 0 or len(records) < 3:
                collection = rng.choice(COLLECTIONS)
                record = (collection, f"{self.name}{self.serial:04d}")
                tx.create(
                    collection,
                    record[1],
                    {
                        "title": f"made by {stamp}",
                        "owners": [self.name],
                        "agenda": [],
                        "measure": {"target": rng.randint(1, 9)},
                        "consents": {},
                    },
                )
            else:
                record = rng.choice(records)
                collection, record_id = record
                if choice == 1:
                    tx.update(collection, record_id, {"title": f"renamed {stamp}"})
                elif choice == 2:
                    owners = [o for o in ["ana", "ben", "cy", self.name] if rng.random() < 0.5]
                    tx.update(collection, record_id, {"owners": owners})
                elif choice == 3:
                    tx.update(collection, record_id, {"consents": {self.name: stamp}})
                elif choice == 4:
                    tx.update(collection, record_id, {"measure": {"target": rng.randint(1, 9)}})
                elif choice == 5 and collection != "team":
                    if rng.random() < 0.5 or not update_map_in_list(
                        tx, collection, record_id, "agenda", "item-1", {"note": stamp}
                    ):
                        append_map(
                            tx, collection, record_id, "agenda", {"id": "item-1", "note": stamp}
                        )
                elif collection != "team":
                    replace_list(tx, collection, record_id, "order", [stamp, self.name])
                else:
                    tx.update("team", "team", {"values": [stamp]})
            if logged:
                tx.log(
                    record[0],
                    record[1],
                    HistoryEntry(
                        record[1], record[0], stamp, self.name, "edited", {"n": [None, self.serial]}
                    ),
                )
        return {record}


def visible(doc: BoardDocument) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for collection in (*COLLECTIONS, "team"):
        ids = ["team"] if collection == "team" else doc.ids(collection)
        for record_id in ids:
            out[(collection, record_id)] = doc.read_with_history(collection, record_id)
    return out


def changed(
    before: dict[tuple[str, str], Any], after: dict[tuple[str, str], Any]
) -> set[tuple[str, str]]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def merge(
    src: Replica, dst: Replica, rng: random.Random, fresh_index: bool
) -> tuple[set[Any], set[Any], set[Any] | None]:
    """Send some of src's changes to dst; (slow answer, visible changes, fast answer)."""
    if fresh_index:  # as after a restart: the index is rebuilt from the document
        dst.doc = BoardDocument(dst.doc.doc)
    changes = [c.bytes for c in src.doc.changes_since([])]
    changes = rng.sample(changes, k=rng.randint(0, len(changes)))
    seen, stamps = visible(dst.doc), dst.doc.record_stamps()
    before = dst.doc.track()
    dst.doc.apply_changes(changes)
    fast = dst.doc.touched_since(before)
    after = dst.doc.record_stamps()
    slow = {k for k in after if stamps.get(k) != after[k]}
    return slow, changed(seen, visible(dst.doc)), fast


def replicas(rng: random.Random, count: int) -> list[Replica]:
    first = BoardDocument.create(b"\x01" * 16, {"id": "t1", "name": "Orbit", "values": []})
    with first.transaction() as tx:
        tx.log("team", "team", HistoryEntry("team", "team", "0", "ana", "created", {}))
    return [Replica(first.fork(bytes([i + 1]) * 16), f"r{i}", rng) for i in range(count)]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    copies=st.integers(2, 3),
    steps=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.booleans()), min_size=1, max_size=30
    ),
)
def test_touched_records_match_the_slow_way_after_random_edits_and_merges(
    seed: int, copies: int, steps: list[tuple[int, int, bool]]
) -> None:
    rng = random.Random(seed)
    reps = replicas(rng, copies)
    for who, peer, fresh in steps:
        me, other = reps[who % copies], reps[peer % copies]
        before = me.doc.track()
        wrote = me.edit()
        assert me.doc.touched_since(before) == wrote  # a local edit, through the same index
        if other is not me:
            slow, seen, fast = merge(me, other, rng, fresh)
            assert fast == slow == seen


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    steps=st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=30),
)
def test_edits_that_leave_no_history_are_still_found(
    seed: int, steps: list[tuple[bool, bool, bool]]
) -> None:
    """An edit of a nested list or map that skips the history (another client, an older
    version) is invisible to the slow way, not to the index."""
    rng = random.Random(seed)
    left, right = replicas(rng, 2)
    for from_left, logged, fresh in steps:
        src, dst = (left, right) if from_left else (right, left)
        src.edit(logged=logged)
        _, seen, fast = merge(src, dst, rng, fresh)
        assert fast is not None and seen <= fast


def test_edits_at_the_root_touch_no_record() -> None:
    doc = BoardDocument.create(b"\x01" * 16, {"id": "t1", "name": "Orbit", "values": []})
    before = doc.track()
    with doc.doc.transaction() as tx:  # behind the index's back, at the root
        tx.put(am.ROOT, "schema", am.ScalarType.Int, 1)
    assert doc.touched_since(before) == set()


def test_decoding_reads_the_objects_and_keys_a_change_wrote() -> None:
    doc = am.Document(actor_id=b"\x07" * 16)
    with doc.transaction() as tx:
        goals = tx.put_object(am.ROOT, "goals", am.ObjType.Map)
        goal = tx.put_object(goals, "g1", am.ObjType.Map)
        tx.put(goal, "title", am.ScalarType.Str, "Ship")
        hist = tx.put_object(goal, "_history", am.ObjType.List)
        tx.insert_object(hist, 0, am.ObjType.Map)
    change = doc.get_changes([])[0]
    for chunk in (change.bytes, change.raw_bytes):  # deflated and plain
        ops = decode_ops(chunk)
        assert [(t, end - first) for t, first, end in ops.segments] == [
            (None, 1),
            (obj_key(goals), 1),
            (obj_key(goal), 2),
            (obj_key(hist), 1),
        ]
        assert [ops.key(i) for i in range(5)] == ["goals", "g1", "title", "_history", None]
        assert sorted(obj for _, obj in ops.made) == sorted(
            obj_key(o) for o in (goals, goal, hist, doc.get(hist, 0)[1])
        )  # type: ignore[index]
        assert change_hash(chunk) == change.hash


@given(st.binary(max_size=200), st.integers(0, 400))
def test_garbage_and_truncated_changes_are_refused_cleanly(junk: bytes, cut: int) -> None:
    doc = am.Document()
    with doc.transaction() as tx:
        tx.put(am.ROOT, "x", am.ScalarType.Str, "some text to compress " * 20)
    real = doc.get_changes([])[0].bytes
    for chunk in (junk, real[:cut], real[:10] + junk):
        try:
            ops = decode_ops(chunk)
            for index in range(len(ops.made) + 3):
                ops.key(index)
        except ChangeFormatError:
            pass


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    steps=st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=20),
)
def test_read_model_kept_up_batch_by_batch_equals_a_rebuild(  # type: ignore[no-untyped-def]
    tmp_path_factory, seed: int, steps: list[tuple[int, bool]]
) -> None:
    rng = random.Random(seed)
    services = make_copies(tmp_path_factory.mktemp("rm"), 3)
    for who, sync_now in steps:
        svc = services[who]
        random_op(svc, rng)
        if sync_now:
            exchange(svc, rng.choice(services), rng, partial=True)
    for svc in services:
        kept = tables(svc)
        with svc.store.write():
            readmodel.rebuild(svc.store, svc.doc)
        assert tables(svc) == kept
        svc.store.close()


def test_fast_rows_equal_rows_built_from_records(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    services = make_copies(tmp_path_factory.mktemp("rows"), 2)
    for _ in range(60):
        random_op(rng.choice(services), rng)
    svc = services[0]
    exchange(services[1], svc, rng, partial=False)
    for collection in readmodel.COLLECTIONS:
        ids = ["team"] if collection == "team" else svc.doc.ids(collection)
        for record_id in ids:
            data = svc.doc.read(collection, record_id)
            assert data is not None
            if collection == "team":
                data.setdefault("id", "team")
            record = readmodel.to_record(collection, data)
            assert readmodel.fast_row(collection, data) == (readmodel.to_row(record), record.label)
    for s in services:
        s.store.close()
