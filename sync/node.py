"""The sync node: runs the TLS server, discovery and one session per connected member,
pushes local edits as they happen, and reconnects to known peers with backoff.

It lives on one asyncio loop. The board service may be written from other threads (the
UI); its events reach the node through ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from board.authors import bound_key
from board.events import BoardChanged, Event, PeersChanged, SyncProblem
from board.service import BoardService
from sync.discovery import Discovery, PeerInfo
from sync.identity import Identity, fingerprint
from sync.limits import Limits
from sync.port import ServicePort
from sync.protocol import Bye, Frame, Ping, ProtocolError
from sync.session import SyncSession
from sync.transport import (
    Connection,
    ConnectionClosed,
    PeerRejected,
    Server,
    TransportError,
    Trust,
    connect,
)

log = logging.getLogger("teamboard.sync")

HOME_POLL = 0.5  # seconds between checks for edits made by other processes
COMPACT_WHEN_QUIET = 2.0  # seconds without frames from any peer before compacting
READ_AHEAD = 64  # frames read ahead of the one being stored, to store them as one batch
GATHER_ROUNDS = 8  # loop turns without a new frame before a batch is closed (a frame
# takes the reader a few turns: wait_for runs each read as a task)
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)


def interfaces_from_env(given: Sequence[str] = ()) -> list[str]:
    """Interfaces to use: ``--interface`` values, else ``$TEAMBOARD_INTERFACES`` (comma
    separated), else every IPv4 address of this machine."""
    if given:
        return list(given)
    env = os.environ.get("TEAMBOARD_INTERFACES", "").strip()
    if env:
        return [i.strip() for i in env.split(",") if i.strip()]
    from zeroconf import get_all_addresses  # type: ignore[attr-defined]

    found = [a for a in get_all_addresses() if not a.startswith("127.")]
    return found or ["127.0.0.1"]


def parse_address(text: str, default_port: int = 0) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port); raises ValueError with a readable message."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad peer address {text!r}: use HOST:PORT, e.g. 127.0.0.1:7400")
    return host.strip("[]"), int(port)


@dataclass
class LinkStats:
    frames_in: int = 0
    frames_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    changes_in: int = 0


@dataclass
class Link:
    """One live connection to a member, with its session."""

    conn: Connection
    session: SyncSession
    outbound: bool
    address: str
    stats: LinkStats = field(default_factory=LinkStats)
    synced: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def fingerprint(self) -> str:
        return self.conn.peer_fingerprint


class SyncNode:
    """Keeps this home's board in sync with every reachable member."""

    def __init__(
        self,
        service: BoardService,
        identity: Identity,
        *,
        interfaces: Sequence[str] = ("127.0.0.1",),
        port: int = 0,
        discovery: bool = True,
        peers: Iterable[tuple[str, int]] = (),
        extra_trust: Iterable[str] = (),
        listen: bool = True,
        team_id: str | None = None,
        limits: Limits | None = None,
    ) -> None:
        """``extra_trust``: certificates to accept besides the members' (a newcomer trusts
        its inviter before it has the board); ``team_id``: the team, when the board is
        still empty (a newcomer); ``limits``: timeouts, caps and the keepalive interval
        (see :mod:`sync.limits`)."""
        self.service = service
        self.identity = identity
        self.interfaces = list(interfaces)
        self.port = port
        self.use_discovery = discovery
        self.listen = listen
        self.static_peers = list(peers)
        self.extra_trust = list(extra_trust)
        self.limits = limits or Limits()
        if self.limits.ping_interval >= self.limits.idle_timeout:  # peers would drop us
            raise ValueError("the ping interval must be shorter than the idle timeout")
        self.port_adapter = ServicePort(service)
        self.links: dict[int, Link] = {}
        self.caught_up: set[str] = set()  # fingerprints of peers that told us they hold all we do
        self.last_sync = ""
        self.trust = Trust(identity, self._member_certs())
        self.server: Server | None = None
        self.discovery: Discovery | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._poke_scheduled = False
        self._stopping = False
        self._last_received = 0.0  # loop time of the last frame from any peer
        self.on_event: Callable[[Event], None] | None = None
        self.team_id = team_id or (service.team().id if service.doc.initialized else "")

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._unsubscribe = self.service.subscribe(self._on_board_event)
        self.port_adapter.ready()
        self._last_received = self._loop.time()
        if self.listen:
            self.server = Server(self.trust, self._serve, limits=self.limits)
            host = self.interfaces[0] if len(self.interfaces) == 1 else ""
            self.port = await self.server.start(host, self.port)
            log.info("listening on %s:%d", host or "*", self.port)
        if self.use_discovery and self.listen:
            self.discovery = Discovery(
                self.team_id,
                self.identity.fingerprint,
                self.port,
                interfaces=self.interfaces,
                on_found=self._on_found,
            )
            await self.discovery.start()
        for host, port in self.static_peers:
            self._spawn(self._keep_connected(host, port))
        self._spawn(self._watch_home())

    async def stop(self) -> None:
        self._stopping = True
        if self._unsubscribe:
            self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        # Close the links before waiting for their tasks: a task that missed its
        # cancellation then ends too, instead of reading from a live peer forever.
        for link in list(self.links.values()):
            await link.conn.close("peer is shutting down")
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.discovery is not None:
            await self.discovery.close()
        if self.server is not None:
            await self.server.close()
        try:
            self.service.compact_if_due()
        except Exception:  # a busy or failing database: the next start compacts
            log.exception("could not compact the board")

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ membership
    def _member_certs(self) -> list[str]:
        members = self.service.members() if self.service.doc.initialized else []
        # only a record whose id derives from its certificate's key speaks for that key
        certs = [m.cert for m in members if m.cert and bound_key(m.id, m.cert) is not None]
        return certs + self.extra_trust

    def _member_fingerprints(self) -> set[str]:
        import ssl

        return {
            fingerprint(ssl.PEM_cert_to_DER_cert(c.strip() + "\n")) for c in self._member_certs()
        }

    async def refresh_trust(self) -> None:
        """Rebuild the trust store from the member list; drop removed members' links."""
        certs = self._member_certs()
        if self.server is not None:
            await self.server.update_members(certs)
        else:
            self.trust.update(certs)
        allowed = self._member_fingerprints()
        for link in list(self.links.values()):
            if link.fingerprint not in allowed:
                await link.conn.close("you are not a current member")

    def member_name_for(self, peer_fingerprint: str) -> str:
        import ssl

        for m in self.service.members(include_removed=True):
            if (
                m.cert
                and fingerprint(ssl.PEM_cert_to_DER_cert(m.cert.strip() + "\n")) == peer_fingerprint
            ):
                return m.name
        return peer_fingerprint[:12]

    # ------------------------------------------------------------------ events
    def _on_board_event(self, event: Event) -> None:
        if not isinstance(event, BoardChanged) or self._loop is None or self._stopping:
            return
        try:
            self._loop.call_soon_threadsafe(self._schedule_poke, event)
        except RuntimeError:  # the loop is closed
            pass

    def _schedule_poke(self, event: BoardChanged) -> None:
        if any(c == "members" for c, _ in event.touched) or event.everything:
            self._spawn(self.refresh_trust())
        if not self._poke_scheduled:
            self._poke_scheduled = True
            self._spawn(self._poke())

    async def _watch_home(self) -> None:
        """Notice edits other processes make to this home (the CLI, the app): they are
        pushed to peers, and a removal there drops the removed member's connections."""
        while True:
            await asyncio.sleep(HOME_POLL)
            try:
                self.service.refresh()
                quiet = asyncio.get_running_loop().time() - self._last_received
                if quiet >= COMPACT_WHEN_QUIET and all(
                    k.synced.is_set() for k in self.links.values()
                ):
                    self.service.compact_if_due()  # received changes are compacted here
            except Exception:  # a busy or failing database must not stop syncing
                log.exception("could not read the home for new edits")

    async def _poke(self) -> None:
        """Offer what changed to every connected peer."""
        self._poke_scheduled = False
        for link in list(self.links.values()):
            try:
                await self._send(link, link.session.poll())
            except (ConnectionClosed, TransportError, OSError):
                pass

    def _announce(self) -> None:
        event = PeersChanged(connected=len(self.links), last_sync=self.last_sync)
        if self.on_event:
            self.on_event(event)

    # ------------------------------------------------------------------ connections
    def _on_found(self, peer: PeerInfo) -> None:
        if peer.is_fingerprint(self.identity.fingerprint):
            return
        if any(peer.is_fingerprint(link.fingerprint) for link in self.links.values()):
            return
        # Of two nodes that see each other, the one with the smaller tag dials.
        from sync.discovery import peer_tag

        if peer_tag(self.identity.fingerprint) > peer.peer_tag:
            return
        self._spawn(self._dial_once(peer.address, peer.port))

    async def _dial_once(self, host: str, port: int) -> Link | None:
        try:
            conn = await connect(host, port, self.trust, limits=self.limits)
        except PeerRejected as exc:
            log.warning("peer %s:%d refused: %s", host, port, exc)
            self._problem(f"{host}:{port} refused the connection ({exc})")
            return None
        except TransportError as exc:
            log.info("cannot reach %s:%d: %s", host, port, exc)
            return None
        link = self._link(conn, outbound=True, address=f"{host}:{port}")
        await self._drive(link)
        return link

    async def _keep_connected(self, host: str, port: int) -> None:
        """Stay connected to a peer given by address, reconnecting with backoff."""
        attempt = 0
        while not self._stopping:
            try:
                link = await self._dial_once(host, port)
            except Exception:  # a bug must not end reconnecting for good: log it, retry
                log.exception("connection to %s:%d failed unexpectedly", host, port)
                link = None
            attempt = 0 if link is not None and link.synced.is_set() else attempt + 1
            await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])

    async def _serve(self, conn: Connection) -> None:
        await self._drive(self._link(conn, outbound=False, address=str(conn.peer_address or "")))

    def _link(self, conn: Connection, outbound: bool, address: str) -> Link:
        session = SyncSession(self.port_adapter, self.team_id, self.service.me)
        link = Link(conn, session, outbound, address)
        self.links[id(link)] = link
        self._announce()
        return link

    async def _drive(self, link: Link) -> None:
        """Run one link's conversation until it ends (the connection is closed after)."""
        conn, session, address, outbound = link.conn, link.session, link.address, link.outbound
        pinger = asyncio.get_running_loop().create_task(self._ping(link))
        inbox: asyncio.Queue[Frame | Exception] = asyncio.Queue(READ_AHEAD)
        reader = asyncio.get_running_loop().create_task(self._read_ahead(conn, inbox))
        try:
            await self._send(link, session.start())
            while True:
                frames = await self._next_batch(inbox)
                self._last_received = asyncio.get_running_loop().time()
                link.stats.frames_in += len(frames)
                link.stats.bytes_in = conn.bytes_in
                seq = self.service.store.max_seq()
                replies = session.receive_batch(frames)  # stores what arrived, durably, first
                link.stats.changes_in += self.service.store.max_seq() - seq
                if session.peer_has_ours:  # known now, even if the peer is already gone
                    self.caught_up.add(link.fingerprint)
                await self._send(link, replies)
                if session.synced and not link.synced.is_set():
                    link.synced.set()
                    self.last_sync = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
                    self.service.store.upsert_peer(
                        link.fingerprint,
                        address=address if outbound else "",
                        last_seen=self.last_sync,
                        last_sync=self.last_sync,
                    )
                    log.info("in sync with %s", self.member_name_for(link.fingerprint))
                    self._announce()
                if isinstance(frames[-1], Bye):
                    break
        except ConnectionClosed as exc:
            log.info("connection with %s ended: %s", address, exc.reason)
        except ProtocolError as exc:
            log.warning("closing connection with %s: %s", address, exc)
            self._problem(
                f"closed the connection with {self.member_name_for(link.fingerprint)}: {exc}"
            )
            await conn.close(f"protocol error: {exc}")
        except (TransportError, OSError, asyncio.IncompleteReadError) as exc:
            log.info("connection with %s lost: %s", address, exc or type(exc).__name__)
        finally:
            pinger.cancel()
            reader.cancel()
            self.links.pop(id(link), None)
            await conn.close("done")
            self._announce()

    async def _read_ahead(self, conn: Connection, inbox: asyncio.Queue[Frame | Exception]) -> None:
        """Read frames as they arrive, so those that queue up while a batch is being
        stored are stored together as the next batch; a failure ends the queue."""
        try:
            while True:
                frame = await conn.read_frame()
                await inbox.put(frame)
                if isinstance(frame, Bye):
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 (the driver raises it, after the frames before it)
            await inbox.put(exc)

    async def _next_batch(self, inbox: asyncio.Queue[Frame | Exception]) -> list[Frame]:
        """The next frame and those already waiting behind it (raises what ended the
        connection, once the frames before it are handled)."""
        batch = [await inbox.get()]
        idle = 0
        while len(batch) < READ_AHEAD and idle < GATHER_ROUNDS:
            if inbox.empty():
                idle += 1
                await asyncio.sleep(0)  # let the reader take frames that are already here
                continue
            idle = 0
            batch.append(inbox.get_nowait())
        frames: list[Frame] = []
        for item in batch:
            if isinstance(item, Exception):
                if frames:
                    inbox.put_nowait(item)  # room: we just emptied the queue
                    return frames
                raise item
            frames.append(item)
            if isinstance(item, Bye):
                break
        return frames

    async def _send(self, link: Link, frames: Sequence[object]) -> None:
        for frame in frames:
            await link.conn.send(frame)  # type: ignore[arg-type]
            link.stats.frames_out += 1
            link.stats.bytes_out = link.conn.bytes_out

    async def _ping(self, link: Link) -> None:
        """Keepalive: an honest but quiet peer pings well within the other's idle timeout."""
        while True:
            await asyncio.sleep(self.limits.ping_interval)
            try:
                await link.conn.send(Ping())
            except Exception:  # noqa: BLE001 (a link that cannot be pinged is ending: its reader tells why)
                return

    def _problem(self, message: str) -> None:
        if self.on_event:
            self.on_event(SyncProblem(message))

    # ------------------------------------------------------------------ one round
    async def sync_round(self, peers: Iterable[tuple[str, int]], timeout: float) -> list[Link]:
        """Connect to each peer, exchange until both are quiet, then hang up."""

        async def one(host: str, port: int) -> Link | None:
            try:
                conn = await connect(host, port, self.trust, limits=self.limits)
            except (PeerRejected, TransportError) as exc:
                log.warning("%s:%d: %s", host, port, exc)
                return None
            link = self._link(conn, outbound=True, address=f"{host}:{port}")
            task = asyncio.get_running_loop().create_task(self._drive(link))
            waiter = asyncio.ensure_future(link.synced.wait())
            await asyncio.wait([task, waiter], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if not link.synced.is_set():
                log.warning("%s:%d: not in sync after %.0f s", host, port, timeout)
            await conn.close("round finished")
            await task
            return link

        results = await asyncio.gather(*(one(h, p) for h, p in peers))
        return [r for r in results if r is not None]
