"""Textual messages the UI passes around (domain events become these in ``app.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from textual.message import Message

from board.model import Record


@dataclass(frozen=True)
class BoardDelta:
    """What changed on the board since the last repaint (a burst of events merged).

    ``records`` holds fresh copies of some touched records (None: gone or archived), read
    right after the change in the thread that made it, so that a view need not read them
    again before it paints (see ``TeamboardApp.READ_AHEAD``)."""

    touched: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    everything: bool = False
    origins: frozenset[str] = field(default_factory=frozenset)
    records: Mapping[tuple[str, str], Record | None] = field(default_factory=dict)

    def collections(self) -> set[str]:
        return {collection for collection, _ in self.touched}

    def ids(self, *collections: str) -> set[str]:
        return {rid for c, rid in self.touched if not collections or c in collections}

    def touches(self, *collections: str) -> bool:
        return self.everything or any(c in collections for c, _ in self.touched)


class BoardUpdated(Message):
    """The board changed; the app drains its pending changes when it handles this. A burst
    of these collapses into one (``can_replace``), so a burst of changes is one repaint."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BoardUpdated)


@dataclass
class SyncStatus(Message):
    """A sync node reported peers (``PeersChanged``) or a problem (``SyncProblem``)."""

    event: object


@dataclass
class OpenItem(Message):
    """Show the detail screen of a goal, commitment, agreement, stream or role."""

    item_id: str


@dataclass
class ShowPerson(Message):
    """Show one member's own picture (the Me view, for someone else)."""

    member_id: str
