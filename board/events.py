"""Plain domain events that the service publishes to its listeners (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BoardChanged:
    """Records changed. ``origin`` is ``local`` (this process), ``external`` (another
    process on the same home) or ``remote`` (a peer, through sync)."""

    touched: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    origin: str = "local"
    everything: bool = False


@dataclass(frozen=True)
class PeersChanged:
    """The set of connected peers or their sync state changed."""

    connected: int = 0
    last_sync: str = ""


@dataclass(frozen=True)
class SyncProblem:
    """Something went wrong talking to a peer; ``message`` is for people."""

    message: str


Event = BoardChanged | PeersChanged | SyncProblem
