"""The sync node on a background thread, for programs with their own main loop (the UI).

The node gets its own asyncio loop on a daemon thread; the board service is thread-safe,
so the UI keeps calling it while the node merges peers' changes. Status reaches the caller
through ``on_event`` (called on the node's thread: hop threads before touching widgets).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from board.events import Event, PeersChanged
from board.workspace import Workspace
from sync.node import SyncNode

log = logging.getLogger("teamboard.sync")


@dataclass(frozen=True)
class PeerState:
    """One connected peer as the UI shows it."""

    name: str
    address: str
    synced: bool
    changes_in: int


class BackgroundSync:
    """Runs a :class:`SyncNode` for ``ws`` until :meth:`stop`."""

    def __init__(
        self,
        ws: Workspace,
        *,
        interfaces: Sequence[str],
        port: int = 0,
        discovery: bool = True,
        peers: Sequence[tuple[str, int]] = (),
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.ws = ws
        self.on_event = on_event
        self.node = SyncNode(
            ws.service,
            ws.identity,
            interfaces=interfaces,
            port=port,
            discovery=discovery,
            peers=peers,
        )
        self.node.on_event = self._relay
        self.error = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._stop_requested = False
        self._thread = threading.Thread(target=self._run, name="teamboard-sync", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start the node; returns once it listens (or failed: see :attr:`error`). Does
        nothing after :meth:`stop` (a program may quit while sync is still starting)."""
        with self._lock:
            if self._stop_requested:
                return
            self._thread.start()
        self._ready.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the node and wait for its thread; safe from any thread, before or while
        :meth:`start` runs, and more than once. The workspace may be closed after this."""
        with self._lock:
            self._stop_requested = True
            if self._thread.ident is None:  # never started
                return
        self._ready.wait(timeout)  # the loop and its stop signal exist once the node started
        if self._loop is not None and self._stopped is not None:
            try:
                self._loop.call_soon_threadsafe(self._stopped.set)
            except RuntimeError:  # the loop already ended
                pass
        self._thread.join(timeout)

    def connect(self, host: str, port: int) -> None:
        """Connect to a peer by address, and keep reconnecting to it while the node runs
        (from any thread; an unreachable peer is retried with backoff)."""
        loop = self._loop
        if loop is None or self.error or self._stop_requested:
            raise RuntimeError(self.error or "sync is not running")

        def spawn() -> None:
            if not self.node._stopping:
                self.node._spawn(self.node._keep_connected(host, port))

        loop.call_soon_threadsafe(spawn)

    @property
    def port(self) -> int:
        return self.node.port

    def peers(self) -> list[PeerState]:
        """The peers connected right now (a snapshot, safe from any thread)."""
        return [
            PeerState(
                self.node.member_name_for(link.fingerprint),
                link.address,
                link.synced.is_set(),
                link.stats.changes_in,
            )
            for link in list(self.node.links.values())
        ]

    def status(self) -> PeersChanged:
        return PeersChanged(connected=len(self.node.links), last_sync=self.node.last_sync)

    def _relay(self, event: Event) -> None:
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("sync status listener failed")

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as exc:  # report, never kill the program that hosts us
            self.error = f"sync stopped: {exc}"
            log.exception("background sync failed")
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        try:
            await self.node.start()
        except OSError as exc:
            self.error = f"sync is off: cannot listen ({exc.strerror or exc})"
            self._ready.set()
            return
        self._ready.set()
        self._relay(self.status())
        await self._stopped.wait()
        await self.node.stop()
