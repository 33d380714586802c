"""Checks that the changes a peer's batch brought into the document are consistent.

automerge (1.0.0rc1) accepts some changes that are garbage inside but carry a valid
checksum: a sequence number that skips ahead for its actor, a change that does not follow
its actor's previous one, or operation numbers at or below what its dependencies already
used. The document takes them, but can no longer save a copy that loads ("changes out of
order"), so compaction and the snapshot a newcomer needs would break; others make the
binding panic. :class:`ChangeLedger` remembers, for the changes already in the document,
each actor's last change and each change's operation numbers and dependencies, and judges
the changes a batch added against them. It follows the document incrementally (only the
changes since the heads it last saw are read).

What a ledger learnt about a document is kept for the next ledger of the same document:
a sync node makes one per connection, and learning a document from scratch reads every
change it holds (a 10,000-item board: tens of milliseconds, on every reconnect).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol


class ChangeInfo(Protocol):
    """What the automerge binding tells about one change."""

    hash: bytes
    actor_id: bytes
    seq: int
    start_op: int
    max_op: int
    deps: list[bytes]


class _Known:
    """What is known of the changes of one document, up to ``heads``."""

    __slots__ = ("changes", "heads", "last")

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.last: dict[bytes, tuple[int, bytes]] = {}  # actor -> (seq, change hash)
        self.changes: dict[bytes, tuple[int, int, tuple[bytes, ...]]] = {}  # start, max, deps


# (document, what is known of it), most recently used last. A document is not weakly
# referable, so an entry whose document nobody else holds any more is dropped instead
# (the old document after a reload, say); at most KEPT_DOCUMENTS are kept.
_KNOWN: list[tuple[Any, _Known]] = []
_KNOWN_LOCK = threading.Lock()  # homes in one process receive on their own threads
KEPT_DOCUMENTS = 8


def _known_of(doc: Any) -> _Known:
    with _KNOWN_LOCK:
        for index, (held, known) in enumerate(_KNOWN):
            if held is doc:
                _KNOWN.append(_KNOWN.pop(index))
                return known
        # getrefcount counts its argument and the entry's tuple: 2 means only this list.
        kept = [entry for entry in _KNOWN if sys.getrefcount(entry[0]) > 2]
        known = _Known()
        _KNOWN[:] = [*kept[-(KEPT_DOCUMENTS - 1) :], (doc, known)]
        return known


class ChangeLedger:
    """Per actor its last change, per change its operation numbers and dependencies."""

    def __init__(self) -> None:
        self._known = _Known()

    def catch_up(self, doc: Any) -> None:
        """Note the changes ``doc`` (an ``automerge.core.Document``) gained since the last
        call (its own edits, changes checked before). Call it before the batch goes in."""
        known = self._known = _known_of(doc)
        heads = list(doc.get_heads())
        if sorted(heads) == sorted(known.heads):
            return
        for change in doc.get_changes(known.heads):
            self._note(change, known.last, known.changes)
        known.heads = heads

    def refusal(self, added: Sequence[ChangeInfo]) -> str | None:
        """Why the changes a batch ``added`` (in the order the document lists them, which
        respects their dependencies) must be refused, or None when they are consistent:
        each actor's changes are numbered 1, 2, 3... and each follows its predecessor
        (depends on it, directly or not), and each numbers its operations above those of
        its dependencies."""
        known_last, known_changes = self._known.last, self._known.changes
        # What the batch adds is noted apart (the batch may yet be refused).
        last: dict[bytes, tuple[int, bytes]] = {}
        new: dict[bytes, tuple[int, int, tuple[bytes, ...]]] = {}

        def info(digest: bytes) -> tuple[int, int, tuple[bytes, ...]] | None:
            found = new.get(digest)
            return found if found is not None else known_changes.get(digest)

        for change in added:
            # each attribute of a binding change is built anew on every access: read once
            digest, actor, number = change.hash, change.actor_id, change.seq
            if digest in known_changes or digest in new:
                continue
            name = digest.hex()[:12]
            seq, previous = last.get(actor) or known_last.get(actor, (0, b""))
            if number != seq + 1:
                return f"change {name} has sequence number {number} where {seq + 1} was due"
            dep_hashes = tuple(change.deps)
            reached = 0
            for dep in dep_hashes:
                found = info(dep)
                if found is None:
                    return f"change {name} depends on an unknown change"
                reached = max(reached, found[1])
            start, end = change.start_op, change.max_op
            if start <= reached or end < start - 1:
                return f"change {name} numbers its operations inside its dependencies'"
            # (the usual case: the author's previous change is a direct dependency)
            if (
                previous
                and previous not in dep_hashes
                and not _descends(dep_hashes, previous, info)
            ):
                return f"change {name} does not follow its author's previous change"
            last[actor] = (number, digest)
            new[digest] = (start, end, dep_hashes)
        return None

    @staticmethod
    def _note(
        change: ChangeInfo,
        last: dict[bytes, tuple[int, bytes]],
        changes: dict[bytes, tuple[int, int, tuple[bytes, ...]]],
    ) -> None:
        digest, actor, seq = change.hash, change.actor_id, change.seq
        if seq > last.get(actor, (0, b""))[0]:
            last[actor] = (seq, digest)
        changes[digest] = (change.start_op, change.max_op, tuple(change.deps))


def _descends(
    deps: Sequence[bytes],
    ancestor: bytes,
    info: Callable[[bytes], tuple[int, int, tuple[bytes, ...]] | None],
) -> bool:
    """Whether ``ancestor`` is among ``deps`` or their ancestors (``info``: a change's
    operation numbers and dependencies). Only changes numbered above the ancestor's last
    operation can descend from it, so the search stays among the changes made after it
    (usually a handful)."""
    found = info(ancestor)
    if found is None:
        return False
    floor = found[1]
    stack, seen = list(deps), set()
    while stack:
        current = stack.pop()
        if current == ancestor:
            return True
        if current in seen:
            continue
        seen.add(current)
        known = info(current)
        if known is None:
            continue
        start, _, parents = known
        if start > floor:
            stack.extend(parents)
    return False
