"""Wire frames: every frame survives a round trip; every malformed input is a ProtocolError."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import protocol as p
from sync.protocol import (
    MAX_FRAME,
    MAX_HELLO,
    PROTOCOL_VERSION,
    Bye,
    Changes,
    FrameTooLarge,
    Hello,
    Ping,
    ProtocolError,
    Snapshot,
    SyncMessage,
    VersionMismatch,
)

HEAD = bytes(range(32))
SAMPLES: list[p.Frame] = [
    Hello(PROTOCOL_VERSION, "team-1", "member-1", (HEAD, HEAD[::-1])),
    Hello(PROTOCOL_VERSION, "tëam", "", ()),
    Snapshot(b"\x85\x6f\x4a\x83 document"),
    Snapshot(b"", ((HEAD, "alice", b"sig"),)),
    SyncMessage(b"\x42\x00\x00\x00\x00", ((HEAD, "bob", b"s" * 64),)),
    Changes(((b"change-1", "alice", b"sig-1"), (b"change-2", "bob", b"sig-2"))),
    Changes(()),
    Ping(),
    Bye("no longer a member"),
]


@pytest.mark.parametrize("frame", SAMPLES, ids=lambda f: type(f).__name__)
def test_frames_round_trip(frame: p.Frame) -> None:
    assert p.decode(p.encode(frame)) == frame


def test_lists_are_stored_as_tuples_so_frames_compare_and_hash() -> None:
    frame = Hello(PROTOCOL_VERSION, "t", "m", [HEAD])  # type: ignore[arg-type]
    assert frame.heads == (HEAD,)
    assert frame == p.decode(p.encode(frame))
    item = (b"c", "a", b"s")
    assert hash(Changes([item])) == hash(Changes((item,)))  # type: ignore[arg-type]


def test_frame_layout_is_length_then_type_then_body() -> None:
    data = p.encode(Bye("ok"))
    assert data == b"\x00\x00\x00\x06" + b"\x06" + b"\x00\x00\x00\x02ok"


def test_other_protocol_version_is_a_version_mismatch() -> None:
    data = p.encode(Hello(PROTOCOL_VERSION + 1, "team", "m", ()))
    with pytest.raises(VersionMismatch) as info:
        p.decode(data)
    assert info.value.theirs == PROTOCOL_VERSION + 1
    assert isinstance(info.value, ProtocolError)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00",
        b"\x00\x00\x00\x00\x63",  # unknown type
        b"\x00\x00\x00\x00\x00",  # type 0
        b"\x00\x00\x00\x01\x05x",  # Ping with a body
        b"\x00\x00\x00\x03\x06\x00\x00\x00",  # Bye cut short
        b"\x00\x00\x00\x05\x06\x00\x00\x00\x01\xff",  # invalid UTF-8
        b"\x00\x00\x00\x04\x04\xff\xff\xff\xff",  # a list of 4 billion items
        b"\x00\x00\x00\x09\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00",  # trailing byte
        b"\x00\x00\x00\x05\x06\x00\x00\x00\x00",  # length disagrees with the data
    ],
)
def test_malformed_frames_raise_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        p.decode(data)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_never_raises_anything_but_protocol_error(data: bytes) -> None:
    try:
        p.decode(data)
    except ProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=6), st.binary(max_size=120))
def test_garbage_bodies_of_every_type_raise_only_protocol_error(
    frame_type: int, body: bytes
) -> None:
    try:
        p.decode_body(frame_type, body)
    except ProtocolError:
        pass


def stream(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


async def test_read_frame_reads_frames_one_after_another() -> None:
    reader = stream(b"".join(p.encode(f) for f in SAMPLES))
    assert [await p.read_frame(reader) for _ in SAMPLES] == SAMPLES
    with pytest.raises(asyncio.IncompleteReadError):
        await p.read_frame(reader)  # a clean end between frames


async def test_read_frame_refuses_oversize_before_reading_the_body() -> None:
    # Only the header is there and the stream stays open: a reader that waited for the
    # body would hang; the size check must come first.
    reader = stream(b"\x00\x01\x00\x01\x03", eof=False)
    with pytest.raises(FrameTooLarge) as info:
        await asyncio.wait_for(p.read_frame(reader, MAX_HELLO), 30)
    assert (info.value.size, info.value.limit) == (MAX_HELLO + 1, MAX_HELLO)
    reader = stream(b"\xff\xff\xff\xff\x03", eof=False)
    with pytest.raises(FrameTooLarge):
        await asyncio.wait_for(p.read_frame(reader), 30)
    assert MAX_FRAME < 0xFFFFFFFF


async def test_read_frame_refuses_unknown_type_before_reading_the_body() -> None:
    with pytest.raises(ProtocolError, match="unknown frame type"):
        await asyncio.wait_for(p.read_frame(stream(b"\x00\x00\x10\x00\x63", eof=False)), 30)


async def test_truncated_frame_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="truncated"):
        await p.read_frame(stream(p.encode(Bye("goodbye"))[:-2]))
    with pytest.raises(ProtocolError):
        await p.read_frame(stream(b"\x00\x00"))


async def test_write_frame_writes_the_encoded_frame() -> None:
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read())
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    await p.write_frame(writer, Bye("done"))
    writer.close()
    await writer.wait_closed()
    for _ in range(1500):
        if received:
            break
        await asyncio.sleep(0.02)
    server.close()
    await server.wait_closed()
    assert received == [p.encode(Bye("done"))]
