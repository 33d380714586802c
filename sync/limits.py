"""What a peer tolerates from the network: frame sizes, timeouts and connection caps.

Every limit is a named constant; :class:`Limits` bundles them so that a node (or a test,
where every peer shares 127.0.0.1) can change them together. :class:`FailedHandshakes`
counts the handshakes that failed per address in a sliding window, so a machine that keeps
failing (garbage, wrong certificates, connecting and sending nothing) is refused at once,
before any TLS work, until the window has passed.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from sync.protocol import MAX_FRAME, MAX_HELLO

HANDSHAKE_TIMEOUT = 10.0  # seconds for the TLS handshake, and then for the peer's hello
IDLE_TIMEOUT = 90.0  # seconds without a frame before an authenticated connection is closed
PING_INTERVAL = 30.0  # seconds between keepalive pings; well under IDLE_TIMEOUT
MAX_CONNECTIONS = 32  # incoming connections at once (handshakes included)
MAX_FAILED_HANDSHAKES = 20  # per address in FAILED_HANDSHAKE_WINDOW, then refused at once
FAILED_HANDSHAKE_WINDOW = 60.0  # seconds
MAX_TRACKED_ADDRESSES = 4096  # addresses remembered for the failed-handshake cap


@dataclass(frozen=True)
class Limits:
    """The limits one peer applies to its connections (defaults: the constants above)."""

    max_frame: int = MAX_FRAME
    max_hello: int = MAX_HELLO
    handshake_timeout: float = HANDSHAKE_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    ping_interval: float = PING_INTERVAL
    max_connections: int = MAX_CONNECTIONS
    max_failed_handshakes: int = MAX_FAILED_HANDSHAKES
    failed_handshake_window: float = FAILED_HANDSHAKE_WINDOW

    def __post_init__(self) -> None:
        if min(self.handshake_timeout, self.idle_timeout, self.ping_interval) <= 0:
            raise ValueError("timeouts and the ping interval must be positive")
        if min(self.max_frame, self.max_hello, self.max_connections) < 1:
            raise ValueError("frame sizes and max_connections must be positive")
        if self.max_failed_handshakes < 1 or self.failed_handshake_window <= 0:
            raise ValueError("the failed-handshake cap needs a positive count and window")


class FailedHandshakes:
    """Failed handshakes per address within a sliding window (memory bounded)."""

    def __init__(
        self, limit: int, window: float, max_addresses: int = MAX_TRACKED_ADDRESSES
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_addresses = max_addresses
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def record(self, address: str, now: float) -> int:
        """Note one failure from ``address``; returns its failures within the window."""
        times = self._seen.pop(address, None)
        if times is None or times.maxlen != self.limit:
            times = deque(times or (), maxlen=self.limit)
        times.append(now)
        self._seen[address] = times  # most recent last
        while len(self._seen) > self.max_addresses:
            self._seen.popitem(last=False)
        return sum(1 for t in times if now - t < self.window)

    def blocked(self, address: str, now: float) -> bool:
        """True while ``address`` has ``limit`` failures within the last ``window``."""
        times = self._seen.get(address)
        if times is None:
            return False
        if now - times[-1] >= self.window:
            del self._seen[address]  # all of its failures are old: forget it
            return False
        recent = sum(1 for t in times if now - t < self.window)
        return recent >= self.limit
