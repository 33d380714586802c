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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class ChangeInfo(Protocol):
    """What the automerge binding tells about one change."""

    hash: bytes
    actor_id: bytes
    seq: int
    start_op: int
    max_op: int
    deps: list[bytes]


class ChangeLedger:
    """Per actor its last change, per change its operation numbers and dependencies."""

    def __init__(self) -> None:
        self._heads: list[bytes] = []
        self._last: dict[bytes, tuple[int, bytes]] = {}  # actor -> (seq, change hash)
        self._changes: dict[bytes, tuple[int, int, tuple[bytes, ...]]] = {}  # start, max, deps

    def catch_up(self, doc: Any) -> None:
        """Note the changes ``doc`` (an ``automerge.core.Document``) gained since the last
        call (its own edits, changes checked before). Call it before the batch goes in."""
        heads = list(doc.get_heads())
        if sorted(heads) == sorted(self._heads):
            return
        for change in doc.get_changes(self._heads):
            self._note(change, self._last, self._changes)
        self._heads = heads

    def refusal(self, added: Sequence[ChangeInfo]) -> str | None:
        """Why the changes a batch ``added`` (in the order the document lists them, which
        respects their dependencies) must be refused, or None when they are consistent:
        each actor's changes are numbered 1, 2, 3... and each follows its predecessor
        (depends on it, directly or not), and each numbers its operations above those of
        its dependencies."""
        last = dict(self._last)
        changes = dict(self._changes)
        for change in added:
            if change.hash in changes:
                continue
            name = change.hash.hex()[:12]
            seq, previous = last.get(change.actor_id, (0, b""))
            if change.seq != seq + 1:
                return f"change {name} has sequence number {change.seq} where {seq + 1} was due"
            if any(dep not in changes for dep in change.deps):
                return f"change {name} depends on an unknown change"
            reached = max((changes[dep][1] for dep in change.deps), default=0)
            if change.start_op <= reached or change.max_op < change.start_op - 1:
                return f"change {name} numbers its operations inside its dependencies'"
            if previous and not _descends(change.deps, previous, changes):
                return f"change {name} does not follow its author's previous change"
            self._note(change, last, changes)
        return None

    @staticmethod
    def _note(
        change: ChangeInfo,
        last: dict[bytes, tuple[int, bytes]],
        changes: dict[bytes, tuple[int, int, tuple[bytes, ...]]],
    ) -> None:
        if change.seq > last.get(change.actor_id, (0, b""))[0]:
            last[change.actor_id] = (change.seq, change.hash)
        changes[change.hash] = (change.start_op, change.max_op, tuple(change.deps))


def _descends(
    deps: Sequence[bytes], ancestor: bytes, changes: dict[bytes, tuple[int, int, tuple[bytes, ...]]]
) -> bool:
    """Whether ``ancestor`` is among ``deps`` or their ancestors. Only changes numbered
    above the ancestor's last operation can descend from it, so the search stays among
    the changes made after it (usually a handful)."""
    floor = changes[ancestor][1]
    stack, seen = list(deps), set()
    while stack:
        current = stack.pop()
        if current == ancestor:
            return True
        if current in seen:
            continue
        seen.add(current)
        start, _, parents = changes[current]
        if start > floor:
            stack.extend(parents)
    return False
