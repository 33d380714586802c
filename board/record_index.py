"""Which board record each automerge object belongs to, so that the records a batch of
merged changes touched are found in time proportional to the changes, not the board.

Every operation of a change writes to one object (a collection map, a record's map, or a
list or map nested in a record). The index maps object keys (see
:mod:`board.change_ops`) to ``(collection, record id)``. It is built lazily from the
document, cheaply: the collection maps and each record's own map. Objects nested deeper
are learnt as changes create them, or by walking a record when an operation names an
object the index has not met yet (the first edit of an old record's history list, say).
A change that names an object no record reaches (written over by a concurrent change)
changes nothing the board shows, so it touches no record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from automerge import core as am

from board.change_ops import MOST_OPS, ChangeOps, ObjKey, decode_ops, obj_key
from board.model import COLLECTIONS

RecordKey = tuple[str, str]
TEAM: RecordKey = ("team", "team")
REBUILD_AFTER = 2000  # changes behind: rebuilding the index beats decoding them
NEVER = MOST_OPS  # past the last operation of any change


class RecordIndex:
    """Object -> record map of one automerge document (see the module docstring)."""

    def __init__(self, doc: am.Document) -> None:
        self.doc = doc
        self._owner: dict[ObjKey, RecordKey] = {}
        self._collections: dict[ObjKey, str] = {}
        self._walked: set[RecordKey] = set()
        self._heads: list[bytes] | None = None  # the heads the index describes; None: not built

    # ------------------------------------------------------------------ keeping up
    def follow(self, before: list[bytes]) -> None:
        """Learn the objects created by the changes after ``before``, if the index was
        up to date at ``before`` (cheap: one decode per change; used after local edits)."""
        if self._heads is not None and self._heads == before:
            self._learn(self.doc.get_changes(before))

    def ready(self) -> None:
        """Build the index, or bring it up to the document's heads."""
        if self._heads is None:
            self._build()
            return
        if self.doc.get_heads() == self._heads:
            return
        changes = self.doc.get_changes(self._heads)
        if len(changes) > REBUILD_AFTER:
            self._build()  # cheaper than decoding a whole history (a merged snapshot)
        else:
            self._learn(changes)

    def touched_since(self, before: list[bytes]) -> set[RecordKey]:
        """The records written by the changes after ``before`` (cheapest when the index
        was made :meth:`ready` at ``before``).

        Raises :class:`board.change_ops.ChangeFormatError` for a change it cannot read."""
        if self._heads != before:
            self.ready()  # it moved on (local edits follow it): catch up, then look back
        return self._learn(self.doc.get_changes(before))

    # ------------------------------------------------------------------ decoding
    def _learn(self, changes: Iterable[am.Change]) -> set[RecordKey]:
        touched: set[RecordKey] = set()
        unknown: set[ObjKey] = set()
        near: set[RecordKey] = set()  # records written by changes that name unknown objects
        owner, collections = self._owner, self._collections
        for change in changes:
            ops = decode_ops(change.raw_bytes)  # .bytes would compress it first
            made = ops.made  # in operation order, as the segments are
            due = made[0][0] if made else NEVER  # the next operation that makes an object
            step = 0
            strays = len(unknown)
            for target, first, end in ops.segments:
                record = owner.get(target)  # type: ignore[arg-type]
                if record is not None:
                    touched.add(record)
                    while due < end:  # objects made here belong to the same record
                        owner[made[step][1]] = record
                        step += 1
                        due = made[step][0] if step < len(made) else NEVER
                    continue
                name = collections.get(target)  # type: ignore[arg-type]
                if name is not None:  # operations on records: the key is the record
                    for index in range(first, end):
                        key = ops.key(index)
                        if key is not None:
                            touched.add((name, key))
                    while due < end:
                        key = ops.key(due)
                        if key is not None:
                            owner[made[step][1]] = (name, key)
                        step += 1
                        due = made[step][0] if step < len(made) else NEVER
                    continue
                if target is None:
                    self._root_ops(ops, first, end, touched)  # registers what they make
                else:
                    unknown.add(target)
                while due < end:
                    if target is not None:  # made in an object not met yet: not met either
                        unknown.add(made[step][1])
                    step += 1
                    due = made[step][0] if step < len(made) else NEVER
            if len(unknown) > strays:
                near |= {owner[t] for t, _, _ in ops.segments if t in owner}
        if unknown:
            touched |= self._resolve(unknown, near)
        self._heads = self.doc.get_heads()
        return touched

    def _root_ops(self, ops: ChangeOps, first: int, end: int, touched: set[RecordKey]) -> None:
        made = dict(ops.made)
        for index in range(first, end):
            key, obj = ops.key(index), made.get(index)
            if key == "team":
                touched.add(TEAM)
                if obj is not None:
                    self._owner[obj] = TEAM
            elif key in COLLECTIONS and obj is not None:
                self._collections[obj] = key
            # anything else at the root (the schema version) belongs to no record

    def _resolve(self, unknown: set[ObjKey], near: set[RecordKey]) -> set[RecordKey]:
        """Owners of objects the index had not met: walk the records the same changes
        wrote to (usually enough), else every record. What no walk reaches is written
        over by a concurrent change (hidden): it changes nothing the board shows."""
        for record in near:
            self._walked.discard(record)
            self._walk_record(record)
        if any(o not in self._owner for o in unknown):
            self._walked.clear()
            self._walk_all()
        return {self._owner[o] for o in unknown if o in self._owner}

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self._owner.clear()
        self._collections.clear()
        self._walked.clear()
        for _ in self._register_records():
            pass
        self._heads = self.doc.get_heads()

    def _register_records(self) -> Iterator[RecordKey]:
        """Register every collection object and record object of the document (the team
        record is its collection); yields each record registered."""
        doc = self.doc
        for name in COLLECTIONS:
            got = doc.get(am.ROOT, name)
            if got is None or not isinstance(got[0], am.ObjType):
                continue
            key = obj_key(got[1])
            if key is None:
                continue
            if name == "team":
                self._owner[key] = TEAM
                continue
            self._collections[key] = name
            for record_id, (value, child) in zip(doc.keys(got[1]), doc.values(got[1])):
                if isinstance(value, am.ObjType):
                    child_key = obj_key(child)
                    if child_key is not None:
                        self._owner[child_key] = (name, record_id)
                    yield name, record_id

    def _record_obj(self, record: RecordKey) -> bytes | None:
        doc = self.doc
        collection, record_id = record
        got = doc.get(am.ROOT, collection)
        if got is not None and record != TEAM:
            got = doc.get(got[1], record_id)
        if got is None or not isinstance(got[0], am.ObjType):
            return None
        return bytes(got[1])

    def _walk_record(self, record: RecordKey) -> None:
        """Register every object nested in ``record`` (once per record: objects created
        later arrive through decoded changes)."""
        if record in self._walked:
            return
        self._walked.add(record)
        top = self._record_obj(record)
        if top is None:
            return
        doc, owner = self.doc, self._owner
        stack = [top]
        while stack:
            obj = stack.pop()
            for value, child in doc.values(obj):
                if value in (am.ObjType.Map, am.ObjType.List):
                    key = obj_key(child)
                    if key is not None:
                        owner[key] = record
                        stack.append(child)

    def _walk_all(self) -> None:
        self._walk_record(TEAM)
        for record in self._register_records():
            self._walk_record(record)
