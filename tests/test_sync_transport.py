"""TLS transport on 127.0.0.1: members get in, everyone else and every bad frame is shut out."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

import pytest

from sync.identity import Identity
from sync.limits import Limits
from sync.protocol import PROTOCOL_VERSION, Bye, Frame, Hello, Ping, Snapshot
from sync.transport import (
    Connection,
    ConnectionClosed,
    PeerRejected,
    Server,
    TransportError,
    Trust,
    connect,
)

HOST = "127.0.0.1"
TEAM = "team-orbit"
SECRET = b"the whole board, for members only"
WAIT = 30.0  # generous: these only bound a hang, they assert no speed


@dataclass
class People:
    alice: Identity = field(default_factory=Identity.generate)
    bob: Identity = field(default_factory=Identity.generate)
    carol: Identity = field(default_factory=Identity.generate)
    mallory: Identity = field(default_factory=Identity.generate)  # never a member

    def members(self) -> list[str]:
        return [self.alice.cert_pem, self.bob.cert_pem, self.carol.cert_pem]


def hello(who: Identity) -> Hello:
    return Hello(PROTOCOL_VERSION, TEAM, who.member_id, ())


@dataclass
class Board:
    """Alice's server: says hello, hands the board to whoever says hello back, echoes pings."""

    server: Server
    trust: Trust
    received: list[Frame] = field(default_factory=list)
    port: int = 0


@pytest.fixture
def people() -> People:
    return People()


@pytest.fixture
async def board(people: People) -> AsyncIterator[Board]:
    trust = Trust(people.alice, people.members())
    received: list[Frame] = []

    async def handler(conn: Connection) -> None:
        await conn.send(hello(people.alice))
        first = await conn.read_frame()
        received.append(first)
        await conn.send(Snapshot(SECRET))
        while True:
            frame = await conn.read_frame()
            received.append(frame)
            if isinstance(frame, Ping):
                await conn.send(Ping())

    limits = Limits(handshake_timeout=WAIT, idle_timeout=WAIT, max_connections=4)
    server = Server(trust, handler, limits=limits)
    port = await server.start(HOST, 0)
    yield Board(server, trust, received, port)
    await server.close()


async def connect_as(who: Identity, port: int, people: People) -> Connection:
    return await connect(HOST, port, Trust(who, people.members()), handshake_timeout=WAIT)


async def member_session(port: int, who: Identity, people: People) -> Connection:
    conn = await connect_as(who, port, people)
    assert isinstance(await conn.read_frame(), Hello)
    await conn.send(hello(who))
    assert await conn.read_frame() == Snapshot(SECRET)
    return conn


async def assert_server_still_serves(board: Board, people: People) -> None:
    conn = await member_session(board.port, people.carol, people)
    await conn.send(Ping())
    assert await asyncio.wait_for(conn.read_frame(), WAIT) == Ping()
    await conn.close()


async def read_until_closed(conn: Connection) -> list[Frame]:
    frames: list[Frame] = []
    with pytest.raises(ConnectionClosed):
        while True:
            frames.append(await asyncio.wait_for(conn.read_frame(), WAIT))
    return frames


async def eventually(check: Callable[[], bool]) -> None:
    for _ in range(int(WAIT / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition never became true")


def logged(caplog: pytest.LogCaptureFixture, text: str) -> Callable[[], bool]:
    return lambda: any(text in r.getMessage() for r in caplog.records if r.name == "teamboard.sync")


# --------------------------------------------------------------------------- members
async def test_member_connects_and_both_sides_know_who_the_other_is(
    board: Board, people: People
) -> None:
    conn = await member_session(board.port, people.bob, people)
    assert conn.peer_fingerprint == people.alice.fingerprint
    assert [c.peer_fingerprint for c in board.server.connections] == [people.bob.fingerprint]
    assert board.received == [hello(people.bob)]
    await conn.close("bye for now")
    await eventually(lambda: Bye("bye for now") in board.received)


async def test_large_frames_pass(board: Board, people: People) -> None:
    conn = await member_session(board.port, people.bob, people)
    big = Snapshot(b"x" * 3_000_000)
    await conn.send(big)
    await eventually(lambda: big in board.received)
    await conn.close()


# --------------------------------------------------------------------------- strangers
async def test_non_member_is_refused_and_receives_nothing_of_the_board(
    board: Board, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    # Mallory trusts Alice's certificate, so her side of the handshake completes.
    mallory = Trust(people.mallory, [people.alice.cert_pem])
    with pytest.raises(PeerRejected):
        await connect(HOST, board.port, mallory, handshake_timeout=WAIT)
    # The same with a bare TLS socket: nothing but the end of the stream comes back.
    got = b""
    try:
        reader, writer = await asyncio.open_connection(
            HOST, board.port, ssl=mallory.client_context(), server_hostname=""
        )
        writer.write(b"\x00\x00\x00\x00\x05")
        got = await asyncio.wait_for(reader.read(), WAIT)
        writer.close()
    except (ssl.SSLError, ConnectionError):
        pass
    assert SECRET not in got and got == b""
    await eventually(logged(caplog, "TLS handshake"))
    assert board.received == []
    await assert_server_still_serves(board, people)


async def test_member_refuses_a_server_that_is_not_a_member(people: People) -> None:
    async def handler(conn: Connection) -> None:
        await conn.send(hello(people.mallory))

    impostor = Server(Trust(people.mallory, people.members() + [people.mallory.cert_pem]), handler)
    port = await impostor.start(HOST, 0)
    try:
        with pytest.raises(PeerRejected):
            await connect_as(people.bob, port, people)
    finally:
        await impostor.close()


async def test_certificate_signed_by_a_member_key_is_not_enough(people: People) -> None:
    # The trust store alone would accept it if a member's certificate vouched for it; the
    # fingerprint pin is what refuses.
    trust = Trust(people.alice, people.members(), is_member=lambda fp: fp == people.bob.fingerprint)
    assert trust.refusal(people.carol.fingerprint) == "not a current member"
    assert trust.refusal(people.bob.fingerprint) is None


async def test_connecting_to_ourselves_is_refused(board: Board, people: People) -> None:
    with pytest.raises(PeerRejected):
        await connect_as(people.alice, board.port, people)


async def test_a_server_other_than_the_expected_member_is_refused(
    board: Board, people: People
) -> None:
    with pytest.raises(PeerRejected):
        await connect(
            HOST,
            board.port,
            Trust(people.bob, people.members()),
            expected_fingerprint=people.carol.fingerprint,
            handshake_timeout=WAIT,
        )


async def test_plain_tcp_garbage_fails_the_handshake_and_is_logged(
    board: Board, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    reader, writer = await asyncio.open_connection(HOST, board.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: teamboard\r\n\r\n")
    try:
        await asyncio.wait_for(reader.read(), WAIT)  # a TLS alert at most, then EOF
    except ConnectionError:
        pass
    writer.close()
    await eventually(logged(caplog, "TLS handshake"))
    await assert_server_still_serves(board, people)


# --------------------------------------------------------------------------- bad frames
BAD_FRAMES = {
    "garbage": b"\x00\x00\x00\x03\x63abc",  # unknown frame type 99
    "oversize length prefix": b"\xff\xff\xff\xf0\x01",
    "garbage body": b"\x00\x00\x00\x03\x01abc",  # a hello that ends after 3 bytes
    "wrong protocol version": b"",  # built below
}
REASONS = {
    "garbage": "unknown frame type",
    "oversize length prefix": "exceeds the limit",
    "garbage body": "truncated",
    "wrong protocol version": "protocol version 2",
}


@pytest.mark.parametrize("kind", list(BAD_FRAMES))
async def test_bad_first_frame_closes_that_connection_with_a_logged_reason(
    kind: str, board: Board, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    from sync import protocol

    conn = await connect_as(people.bob, board.port, people)
    assert isinstance(await conn.read_frame(), Hello)
    raw = BAD_FRAMES[kind] or protocol.encode(Hello(2, TEAM, people.bob.member_id, ()))
    conn._writer.write(raw)
    frames = await read_until_closed(conn)
    assert len(frames) == 1 and isinstance(frames[0], Bye) and REASONS[kind] in frames[0].reason
    await eventually(logged(caplog, REASONS[kind]))
    assert board.received == []
    await assert_server_still_serves(board, people)


async def test_bad_frame_after_the_hello_closes_the_connection(
    board: Board, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    conn = await member_session(board.port, people.bob, people)
    conn._writer.write(b"\x00\x00\x00\x08\x04\x00\x00\x00\x07oops")  # Changes claiming 7 items
    frames = await read_until_closed(conn)
    assert isinstance(frames[-1], Bye)
    await eventually(logged(caplog, "list length exceeds"))
    await assert_server_still_serves(board, people)


async def test_truncated_frame_closes_the_connection_with_a_logged_reason(
    board: Board, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    conn = await member_session(board.port, people.bob, people)
    conn._writer.write(b"\x00\x00\x01\x00\x03only a few bytes of 256")
    await conn._writer.drain()
    conn._writer.transport.abort()
    await eventually(logged(caplog, "truncated frame"))
    await eventually(lambda: not board.server.connections)
    await assert_server_still_serves(board, people)


# --------------------------------------------------------------------------- limits
async def test_silent_peer_is_closed_after_the_idle_timeout(
    people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")

    async def handler(conn: Connection) -> None:
        await conn.send(hello(people.alice))
        await conn.read_frame()
        await conn.read_frame()

    limits = Limits(idle_timeout=0.2)
    server = Server(Trust(people.alice, people.members()), handler, limits=limits)
    port = await server.start(HOST, 0)
    try:
        conn = await connect_as(people.bob, port, people)
        await conn.send(hello(people.bob))  # then silence
        frames = await read_until_closed(conn)
        assert isinstance(frames[-1], Bye) and "no frame" in frames[-1].reason
        await eventually(logged(caplog, "no frame"))
    finally:
        await server.close()


async def test_connections_beyond_the_cap_are_refused(board: Board, people: People) -> None:
    board.server.limits = replace(board.server.limits, max_connections=1)
    first = await member_session(board.port, people.bob, people)
    with pytest.raises(TransportError):
        await connect_as(people.carol, board.port, people)
    await first.close()
    await eventually(lambda: not board.server._tasks)
    await assert_server_still_serves(board, people)


# --------------------------------------------------------------------------- removal
async def test_removed_member_is_disconnected_and_refused_afterwards(
    board: Board, people: People
) -> None:
    conn = await member_session(board.port, people.bob, people)
    await board.server.update_members([people.alice.cert_pem, people.carol.cert_pem])
    frames = await read_until_closed(conn)
    assert frames == [Bye("you are not a current member")]
    with pytest.raises(PeerRejected):
        await connect_as(people.bob, board.port, people)
    await assert_server_still_serves(board, people)
