"""Finding teammates on the local network with zeroconf (mDNS / DNS-SD).

Each running node advertises ``_teamboard._tcp.local.`` and browses for the same type.
Nothing advertised names a team or a person: the instance name and TXT record hold only
opaque tags, a hash of the team id (so nodes of other teams are ignored) and a hash of
the member's certificate fingerprint (so the transport can check that the peer it
reached is the one that was advertised, see :func:`peer_tag`).

Zeroconf calls our handler synchronously on its own loop; the handler only starts tasks
(kept in a set) that resolve the service and report :class:`PeerInfo` through the
``on_found`` / ``on_lost`` callbacks. A killed peer sends no goodbye and its record lives
120 s, so callers keep their own liveness per connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zeroconf import IPVersion, NonUniqueNameException, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

log = logging.getLogger("teamboard.sync")

SERVICE_TYPE = "_teamboard._tcp.local."
TXT_VERSION = "1"
RESOLVE_TIMEOUT_MS = 3000


def team_tag(team_id: str) -> str:
    """The opaque tag of a team as advertised (16 hex characters)."""
    return hashlib.sha256(b"teamboard-team-v1:" + team_id.encode()).hexdigest()[:16]


def peer_tag(fingerprint: str) -> str:
    """The opaque tag of a member's certificate fingerprint as advertised."""
    return hashlib.sha256(b"teamboard-peer-v1:" + fingerprint.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PeerInfo:
    """A teammate's node seen on the network."""

    name: str  # the zeroconf instance name
    peer_tag: str
    team_tag: str
    address: str
    port: int

    def is_fingerprint(self, fingerprint: str) -> bool:
        """Whether this advertisement belongs to the certificate with ``fingerprint``."""
        return peer_tag(fingerprint) == self.peer_tag


PeerCallback = Callable[[PeerInfo], None]


class Discovery:
    """Advertise our node and report teammates' nodes as they come and go."""

    def __init__(
        self,
        team_id: str,
        fingerprint: str,
        port: int,
        *,
        interfaces: Sequence[str],
        addresses: Sequence[str] | None = None,
        on_found: PeerCallback | None = None,
        on_lost: PeerCallback | None = None,
        advertise: bool = True,
    ) -> None:
        """``interfaces``: IPv4 addresses of the interfaces to use (e.g. ``["127.0.0.1"]``);
        ``addresses``: where peers should connect (defaults to ``interfaces``)."""
        self.team_tag = team_tag(team_id)
        self.peer_tag = peer_tag(fingerprint)
        self.port = port
        self.interfaces = list(interfaces)
        self.addresses = list(addresses if addresses is not None else interfaces)
        self.on_found = on_found
        self.on_lost = on_lost
        self.advertise = advertise  # False: only browse (a newcomer looking for an invite)
        self.peers: dict[str, PeerInfo] = {}
        self._aiozc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def instance_name(self) -> str:
        return f"tb-{self.peer_tag}.{SERVICE_TYPE}"

    def service_info(self) -> AsyncServiceInfo:
        """What we advertise: opaque tags, addresses and port, nothing else."""
        return AsyncServiceInfo(
            SERVICE_TYPE,
            self.instance_name,
            addresses=[ipaddress.ip_address(a).packed for a in self.addresses],
            port=self.port,
            properties={"v": TXT_VERSION, "t": self.team_tag, "p": self.peer_tag},
            server=f"tb-{self.peer_tag}.local.",
        )

    async def start(self) -> None:
        """Advertise, then browse; returns once our advertisement is announced."""
        self._aiozc = AsyncZeroconf(interfaces=self.interfaces, ip_version=IPVersion.V4Only)
        if self.advertise:
            self._info = self.service_info()
            try:
                await (await self._aiozc.async_register_service(self._info))
            except NonUniqueNameException:
                # Our identity is advertised already: another teamboard process on this
                # home (the app, `serve`, `invite`) runs beside us and shares our board.
                log.warning(
                    "another teamboard process of this home already advertises it on the "
                    "network; this one only looks for peers"
                )
                self._info = None
        self._browser = AsyncServiceBrowser(
            self._aiozc.zeroconf, [SERVICE_TYPE], handlers=[self._on_service_state_change]
        )

    async def close(self) -> None:
        """Stop browsing, say goodbye, and shut zeroconf down."""
        if self._aiozc is None:
            return
        if self._browser is not None:
            await self._browser.async_cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._info is not None:
            await (await self._aiozc.async_unregister_service(self._info))
        await self._aiozc.async_close()
        self._aiozc = self._browser = self._info = None

    # ------------------------------------------------------------------ browsing
    def _on_service_state_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if name == self.instance_name:
            return
        if state_change is ServiceStateChange.Removed:
            lost = self.peers.pop(name, None)
            if lost is not None:
                self._notify(self.on_lost, lost)
            return
        task = asyncio.get_running_loop().create_task(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zeroconf, RESOLVE_TIMEOUT_MS):
            return
        peer = self._peer_from(info, name)
        if peer is None or self.peers.get(name) == peer:
            return
        self.peers[name] = peer
        self._notify(self.on_found, peer)

    def _peer_from(self, info: AsyncServiceInfo, name: str) -> PeerInfo | None:
        """A teammate from a resolved advertisement; None for other teams or junk."""
        props = {
            k.decode(errors="replace"): (v or b"").decode(errors="replace")
            for k, v in (info.properties or {}).items()
        }
        if props.get("v") != TXT_VERSION or props.get("t") != self.team_tag:
            return None
        tag = props.get("p", "")
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not tag or tag == self.peer_tag or not addresses or not info.port:
            return None
        return PeerInfo(name, tag, self.team_tag, addresses[0], info.port)

    def _notify(self, callback: PeerCallback | None, peer: PeerInfo) -> None:
        if callback is None:
            return
        try:
            callback(peer)
        except Exception:
            log.exception("discovery callback failed for %s", peer)
