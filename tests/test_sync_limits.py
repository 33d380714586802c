"""Limits of a listening peer, over real TLS sockets on 127.0.0.1 (and 127.0.0.2, also
loopback, as a second source address): frame size, handshake and idle timeouts, the cap on
concurrent connections and the cap on failed handshakes per address. Every refusal is
logged with a reason, and the peer keeps serving honest members."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from board.workspace import Workspace
from sync.identity import Identity
from sync.limits import Limits
from sync.node import SyncNode
from sync.protocol import HEADER, PROTOCOL_VERSION, Bye, Frame, Hello, Snapshot, encode
from sync.transport import Connection, ConnectionClosed, Server, TransportError, Trust, connect
from tests.test_sync_team import LOOPBACK, eventually, invite_and_join

HOST = "127.0.0.1"
OTHER_HOST = "127.0.0.2"  # loopback too: a second source address for per-address limits
WAIT = 30.0  # generous: bounds a hang, asserts no speed
RELAXED = Limits(handshake_timeout=WAIT, idle_timeout=WAIT, ping_interval=WAIT / 3)


@dataclass
class Team:
    """Ana's home with a board, and Ben: a member of it whose key we hold."""

    ana: Workspace
    ben: Identity

    def state(self) -> tuple[int, list[bytes]]:
        """What must not change when someone misbehaves."""
        return self.ana.store.change_count(), sorted(self.ana.service.doc.heads())

    def hello(self, member_id: str = "") -> Hello:
        heads = tuple(self.ana.service.doc.heads())
        return Hello(
            PROTOCOL_VERSION, self.ana.service.team().id, member_id or self.ben.member_id, heads
        )


@pytest.fixture
def team(tmp_path: Path) -> Team:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("keep me")
    ben = Identity.generate()
    ana.service.add_member(ben.member_id, "Ben", ben.cert_pem, ana.service.me)
    return Team(ana, ben)


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Callable[[str], list[str]]:
    """Messages logged on teamboard.sync that contain a text."""
    caplog.set_level(logging.INFO, "teamboard.sync")

    def matching(text: str) -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "teamboard.sync" and text in r.getMessage()
        ]

    return matching


async def start_node(team: Team, limits: Limits) -> SyncNode:
    node = SyncNode(
        team.ana.service, team.ana.identity, interfaces=LOOPBACK, discovery=False, limits=limits
    )
    await node.start()
    return node


@pytest.fixture
async def stop_later() -> AsyncIterator[list[SyncNode]]:
    nodes: list[SyncNode] = []
    yield nodes
    for node in nodes:
        await node.stop()


async def member_connect(team: Team, port: int) -> Connection:
    """Ben's TLS connection to Ana's node, Ana's hello already read."""
    return await connect(
        HOST, port, Trust(team.ben, [team.ana.identity.cert_pem]), handshake_timeout=WAIT
    )


async def member_connect_from(source: str, team: Team, port: int) -> Frame:
    """Ben connects from ``source`` with a bare TLS socket; returns Ana's first frame."""
    from sync import protocol

    trust = Trust(team.ben, [team.ana.identity.cert_pem])
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            HOST,
            port,
            ssl=trust.client_context(),
            server_hostname="",
            local_addr=(source, 0),
            ssl_handshake_timeout=WAIT,
        ),
        WAIT,
    )
    try:
        return await asyncio.wait_for(protocol.read_frame(reader), WAIT)
    finally:
        writer.transport.abort()


async def read_until_closed(conn: Connection) -> list[Frame]:
    frames: list[Frame] = []
    with pytest.raises(ConnectionClosed):
        while True:
            frames.append(await asyncio.wait_for(conn.read_frame(), WAIT))
    return frames


async def garbage_connection(source: str, port: int) -> None:
    """Plain TCP from ``source`` that sends no TLS at all; returns once the peer hung up."""
    reader, writer = await asyncio.open_connection(HOST, port, local_addr=(source, 0))
    writer.write(b"GET / HTTP/1.1\r\nHost: teamboard\r\n\r\n")
    try:
        await asyncio.wait_for(reader.read(), WAIT)
    except ConnectionError:
        pass
    writer.close()


# --------------------------------------------------------------------------- frame size
async def test_frames_up_to_the_size_limit_pass_and_a_larger_one_is_refused_from_its_header(
    team: Team, records: Callable[[str], list[str]]
) -> None:
    limit = 4096
    received: list[Frame] = []

    async def handler(conn: Connection) -> None:
        await conn.send(team.hello(team.ana.service.me))
        while True:
            received.append(await conn.read_frame())

    limits = Limits(max_frame=limit, max_hello=200, handshake_timeout=WAIT, idle_timeout=WAIT)
    server = Server(Trust(team.ana.identity, [team.ben.cert_pem]), handler, limits=limits)
    port = await server.start(HOST, 0)
    try:
        # A hello one byte over its own cap is refused...
        conn = await member_connect(team, port)
        hello = Hello(PROTOCOL_VERSION, "t" * (200 - 4 - 4 - 4 - 4 - 8 + 1), "m" * 8, ())
        assert len(hello.body()) == 201
        conn._writer.write(encode(hello))
        assert "exceeds the limit of 200" in (await read_until_closed(conn))[-1].reason
        # ...a frame of exactly the limit passes...
        conn = await member_connect(team, port)
        await conn.send(Hello(PROTOCOL_VERSION, "team", "ben", ()))
        at_limit = Snapshot(b"x" * (limit - 8))
        assert len(at_limit.body()) == limit
        await conn.send(at_limit)
        assert await eventually(lambda: at_limit in received, WAIT)
        # ...and one byte more is refused from the header alone: no body follows and the
        # connection stays open on our side, so a reader waiting for the body would hang.
        conn._writer.write(HEADER.pack(limit + 1, Snapshot.TYPE))
        bye = (await read_until_closed(conn))[-1]
        assert isinstance(bye, Bye) and f"exceeds the limit of {limit}" in bye.reason
        assert records(f"frame of {limit + 1} bytes exceeds the limit of {limit}")
    finally:
        await server.close()


async def test_a_node_refuses_an_oversize_frame_and_keeps_its_board(
    team: Team, records: Callable[[str], list[str]], stop_later: list[SyncNode]
) -> None:
    node = await start_node(team, RELAXED)
    stop_later.append(node)
    before = team.state()
    conn = await member_connect(team, node.port)
    await conn.send(team.hello())
    conn._writer.write(HEADER.pack(RELAXED.max_frame + 1, Snapshot.TYPE) + b"\x00" * 64)
    frames = await read_until_closed(conn)
    assert isinstance(frames[-1], Bye) and "exceeds the limit" in frames[-1].reason
    assert records("exceeds the limit")
    assert team.state() == before


# --------------------------------------------------------------------------- handshake timeout
async def test_a_client_that_connects_and_says_nothing_is_dropped_after_the_handshake_timeout(
    team: Team, records: Callable[[str], list[str]], stop_later: list[SyncNode]
) -> None:
    limits = Limits(handshake_timeout=0.5, idle_timeout=WAIT, ping_interval=1)
    node = await start_node(team, limits)
    stop_later.append(node)
    reader, writer = await asyncio.open_connection(HOST, node.port)
    try:  # we send nothing at all; the peer hangs up on us
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
    except ConnectionResetError:
        pass
    writer.close()
    assert await eventually(lambda: bool(records("no TLS handshake within 0.5 s")), WAIT)
    # A member that completes TLS but never says hello gets the same time for its hello.
    conn = await member_connect(team, node.port)
    frames = await read_until_closed(conn)
    assert isinstance(frames[-1], Bye) and frames[-1].reason == "no hello for 0.5 s"
    # The node still serves a member who speaks in time.
    conn = await member_connect(team, node.port)
    await conn.send(team.hello())
    await conn.close()


async def test_connecting_to_a_peer_that_never_answers_gives_up_after_the_handshake_timeout(
    team: Team,
) -> None:
    held: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda r, w: held.append(w), HOST, 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        with pytest.raises(TransportError):
            await connect(
                HOST,
                port,
                Trust(team.ben, [team.ana.identity.cert_pem]),
                limits=Limits(handshake_timeout=0.5),
            )
    finally:
        for w in held:
            w.close()
        silent.close()
        await silent.wait_closed()


# --------------------------------------------------------------------------- idle timeout
async def test_an_idle_honest_peer_stays_connected_while_a_silent_one_is_dropped(
    tmp_path: Path, records: Callable[[str], list[str]], stop_later: list[SyncNode]
) -> None:
    limits = Limits(idle_timeout=2.0, ping_interval=0.25, handshake_timeout=WAIT)
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("keep me")
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
    server = SyncNode(
        ana.service, ana.identity, interfaces=LOOPBACK, discovery=False, limits=limits
    )
    await server.start()
    stop_later.append(server)
    client = SyncNode(
        ben.service,
        ben.identity,
        interfaces=LOOPBACK,
        listen=False,
        discovery=False,
        peers=[(HOST, server.port)],
        limits=limits,
    )
    await client.start()
    stop_later.insert(0, client)
    assert await eventually(
        lambda: (
            len(client.links) == 1 and all(link.synced.is_set() for link in client.links.values())
        )
    )
    link = next(iter(client.links.values()))
    far_end = next(iter(server.links.values()))
    # Nothing to sync: only keepalive pings cross. Wait for 24 of them each way, i.e.
    # more than the idle timeout three times over.
    start_in, start_far = link.stats.frames_in, far_end.stats.frames_in
    assert await eventually(
        lambda: link.stats.frames_in - start_in >= 24 and far_end.stats.frames_in - start_far >= 24
    )
    assert list(client.links.values()) == [link] and not link.conn.closed
    assert list(server.links.values()) == [far_end] and not far_end.conn.closed
    assert not records("no frame for")
    # A member that says hello and then nothing is dropped after the idle timeout.
    silent = await connect(
        HOST,
        server.port,
        Trust(ben.identity, [ana.identity.cert_pem]),
        handshake_timeout=WAIT,
        idle_timeout=WAIT,
    )
    await silent.send(
        Hello(
            PROTOCOL_VERSION, ana.service.team().id, ben.service.me, tuple(ben.service.doc.heads())
        )
    )
    frames = await read_until_closed(silent)
    assert isinstance(frames[-1], Bye) and frames[-1].reason == "no frame for 2 s"
    assert records("no frame for 2 s")
    assert not link.conn.closed  # the honest link lives on


# --------------------------------------------------------------------------- connection cap
async def test_connections_over_the_cap_are_refused_with_a_logged_reason(
    team: Team, records: Callable[[str], list[str]], stop_later: list[SyncNode]
) -> None:
    limits = Limits(max_connections=2, handshake_timeout=WAIT, idle_timeout=WAIT, ping_interval=1)
    node = await start_node(team, limits)
    stop_later.append(node)
    assert node.server is not None
    squatters = [await asyncio.open_connection(HOST, node.port) for _ in range(2)]
    assert await eventually(lambda: len(node.server._tasks) == 2, WAIT)  # type: ignore[union-attr]
    with pytest.raises(TransportError):
        await member_connect(team, node.port)
    assert records("refusing connection from 127.0.0.1: too many connections (limit 2)")
    for _, writer in squatters:
        writer.transport.abort()
    assert await eventually(lambda: not node.server._tasks, WAIT)  # type: ignore[union-attr]
    conn = await member_connect(team, node.port)  # room again: served
    await conn.send(team.hello())
    await conn.close()


# --------------------------------------------------------------------------- failed handshakes
async def test_an_address_that_keeps_failing_handshakes_is_refused_until_the_window_passes(
    team: Team, records: Callable[[str], list[str]], stop_later: list[SyncNode]
) -> None:
    limits = Limits(
        max_failed_handshakes=3,
        failed_handshake_window=60,
        handshake_timeout=WAIT,
        idle_timeout=WAIT,
        ping_interval=1,
    )
    node = await start_node(team, limits)
    stop_later.append(node)
    assert node.server is not None
    now = [1000.0]
    node.server.clock = lambda: now[0]
    for _ in range(3):  # garbage instead of a TLS handshake, from 127.0.0.2
        await garbage_connection(OTHER_HOST, node.port)
    assert await eventually(
        lambda: len(records(f"TLS handshake with {OTHER_HOST} failed")) == 3, WAIT
    )
    # Now even a member's valid certificate from that address is refused at once, before
    # any TLS work (no fourth handshake failure is logged)...
    with pytest.raises((ConnectionError, ssl.SSLError, asyncio.IncompleteReadError)):
        await member_connect_from(OTHER_HOST, team, node.port)
    assert records(f"refusing connection from {OTHER_HOST}: 3 failed handshakes in the last 60 s")
    assert len(records(f"TLS handshake with {OTHER_HOST} failed")) == 3
    # ...while the same member from another address is served.
    assert isinstance(await member_connect_from(HOST, team, node.port), Hello)
    now[0] += 30  # still inside the window
    with pytest.raises((ConnectionError, ssl.SSLError, asyncio.IncompleteReadError)):
        await member_connect_from(OTHER_HOST, team, node.port)
    now[0] += 31  # the window has passed since the last failure
    assert isinstance(await member_connect_from(OTHER_HOST, team, node.port), Hello)


async def test_refused_certificates_count_as_failed_handshakes(
    team: Team, records: Callable[[str], list[str]], stop_later: list[SyncNode]
) -> None:
    limits = Limits(
        max_failed_handshakes=2, handshake_timeout=WAIT, idle_timeout=WAIT, ping_interval=1
    )
    node = await start_node(team, limits)
    stop_later.append(node)
    stranger = Trust(Identity.generate(), [team.ana.identity.cert_pem])
    for _ in range(2):
        with pytest.raises(TransportError):  # PeerRejected is a TransportError
            conn = await connect(HOST, node.port, stranger, handshake_timeout=WAIT)
            await conn.read_frame()
    assert await eventually(lambda: len(records("TLS handshake with 127.0.0.1 failed")) == 2, WAIT)
    with pytest.raises(TransportError):
        await member_connect(team, node.port)  # the address is blocked now, members too
    assert records("refusing connection from 127.0.0.1: 2 failed handshakes")
