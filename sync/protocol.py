"""Wire frames of the teamboard sync protocol.

A frame on the wire is a 4-byte big-endian body length, a 1-byte frame type and the body.
The length is checked against the caller's cap *before* the body is read, and the first
frame of a connection (a :class:`Hello`) has its own small cap (:data:`MAX_HELLO`).

Bodies use a small explicit binary format (big-endian integers, byte strings and UTF-8
strings prefixed by a 4-byte length, lists prefixed by a 4-byte count). Decoding anything
malformed raises :class:`ProtocolError` (or a subclass), never another exception.

Conversation: both sides send :class:`Hello`; an empty peer gets a :class:`Snapshot`;
:class:`SyncMessage` frames carry automerge sync messages until both sides are quiet;
then local edits are pushed live as :class:`Changes`. :class:`Ping` keeps an idle
connection alive, :class:`Bye` says why a side is leaving.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Self

PROTOCOL_VERSION = 1
MAX_FRAME = 16 * 1024 * 1024  # body bytes of any frame
MAX_HELLO = 64 * 1024  # body bytes of the first frame
HEADER = struct.Struct(">IB")  # body length, frame type

# (change hash, author member id, signature over the change hash)
Signature = tuple[bytes, str, bytes]
# (raw change bytes, author member id, signature)
SignedChange = tuple[bytes, str, bytes]


class ProtocolError(Exception):
    """A frame is malformed, unexpected, or of an unknown type."""


class VersionMismatch(ProtocolError):
    """The peer speaks another protocol version."""

    def __init__(self, theirs: int) -> None:
        super().__init__(f"peer speaks protocol version {theirs}, we speak {PROTOCOL_VERSION}")
        self.theirs = theirs


class FrameTooLarge(ProtocolError):
    """A length prefix announces more bytes than allowed."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"frame of {size} bytes exceeds the limit of {limit}")
        self.size = size
        self.limit = limit


# --------------------------------------------------------------------------- body codec
class _Writer:
    def __init__(self) -> None:
        self.buf = bytearray()

    def u32(self, n: int) -> _Writer:
        self.buf += struct.pack(">I", n)
        return self

    def blob(self, data: bytes) -> _Writer:
        self.u32(len(data))
        self.buf += data
        return self

    def text(self, value: str) -> _Writer:
        return self.blob(value.encode("utf-8"))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise ProtocolError("frame body is truncated")
        out = bytes(self.data[self.pos : self.pos + n])
        self.pos += n
        return out

    def u32(self) -> int:
        value: int = struct.unpack(">I", self._take(4))[0]
        return value

    def blob(self) -> bytes:
        return self._take(self.u32())

    def text(self) -> str:
        try:
            return self.blob().decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("invalid UTF-8 in frame body") from None

    def count(self, min_item_size: int) -> int:
        """A list length, refused when the remaining bytes cannot possibly hold it."""
        n = self.u32()
        if n * min_item_size > len(self.data) - self.pos:
            raise ProtocolError("list length exceeds the frame body")
        return n

    def end(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError("trailing bytes after frame body")


def _write_signatures(w: _Writer, items: Iterable[tuple[bytes, str, bytes]]) -> None:
    items = list(items)
    w.u32(len(items))
    for first, author, sig in items:
        w.blob(first).text(author).blob(sig)


def _read_signatures(r: _Reader) -> tuple[tuple[bytes, str, bytes], ...]:
    return tuple((r.blob(), r.text(), r.blob()) for _ in range(r.count(12)))


def _tuple_field(obj: object, name: str) -> None:
    """Let callers pass lists; store tuples so frames stay immutable and comparable."""
    value = getattr(obj, name)
    if not isinstance(value, tuple):
        object.__setattr__(obj, name, tuple(value))


# --------------------------------------------------------------------------- frames
@dataclass(frozen=True)
class Hello:
    """First frame in each direction: who we are and what we have."""

    TYPE: ClassVar[int] = 1
    version: int
    team_id: str
    member_id: str
    heads: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        _tuple_field(self, "heads")

    def body(self) -> bytes:
        w = _Writer().u32(self.version).text(self.team_id).text(self.member_id)
        w.u32(len(self.heads))
        for head in self.heads:
            w.blob(head)
        return bytes(w.buf)

    @classmethod
    def parse(cls, r: _Reader) -> Hello:
        version = r.u32()
        if version != PROTOCOL_VERSION:  # the rest may be laid out differently
            raise VersionMismatch(version)
        team_id, member_id = r.text(), r.text()
        heads = tuple(r.blob() for _ in range(r.count(4)))
        return cls(version, team_id, member_id, heads)


@dataclass(frozen=True)
class _SignedData:
    """The layout Snapshot and SyncMessage share: automerge bytes, then the signatures of
    the changes they carry."""

    data: bytes
    signatures: tuple[Signature, ...] = ()

    def __post_init__(self) -> None:
        _tuple_field(self, "signatures")

    def body(self) -> bytes:
        w = _Writer().blob(self.data)
        _write_signatures(w, self.signatures)
        return bytes(w.buf)

    @classmethod
    def parse(cls, r: _Reader) -> Self:
        return cls(r.blob(), _read_signatures(r))


@dataclass(frozen=True)
class Snapshot(_SignedData):
    """A compacted document for a peer that has nothing yet, with change signatures."""

    TYPE: ClassVar[int] = 2


@dataclass(frozen=True)
class SyncMessage(_SignedData):
    """One automerge sync message, with the signatures of the changes it carries."""

    TYPE: ClassVar[int] = 3


@dataclass(frozen=True)
class Changes:
    """Live push of local changes: (change bytes, author member id, signature)."""

    TYPE: ClassVar[int] = 4
    items: tuple[SignedChange, ...] = field(default=())

    def __post_init__(self) -> None:
        _tuple_field(self, "items")

    def body(self) -> bytes:
        w = _Writer()
        _write_signatures(w, self.items)
        return bytes(w.buf)

    @classmethod
    def parse(cls, r: _Reader) -> Changes:
        return cls(_read_signatures(r))


@dataclass(frozen=True)
class Ping:
    """Heartbeat: proves the peer is alive on an otherwise quiet connection."""

    TYPE: ClassVar[int] = 5

    def body(self) -> bytes:
        return b""

    @classmethod
    def parse(cls, r: _Reader) -> Ping:
        return cls()


@dataclass(frozen=True)
class Bye:
    """The sender is closing the connection, and why."""

    TYPE: ClassVar[int] = 6
    reason: str = ""

    def body(self) -> bytes:
        return bytes(_Writer().text(self.reason).buf)

    @classmethod
    def parse(cls, r: _Reader) -> Bye:
        return cls(r.text())


Frame = Hello | Snapshot | SyncMessage | Changes | Ping | Bye
FRAME_TYPES: dict[int, type[Frame]] = {
    cls.TYPE: cls for cls in (Hello, Snapshot, SyncMessage, Changes, Ping, Bye)
}


def encode(frame: Frame) -> bytes:
    """The frame as bytes on the wire (header + body)."""
    body = frame.body()
    return HEADER.pack(len(body), frame.TYPE) + body


def decode_body(frame_type: int, body: bytes) -> Frame:
    """Decode one frame body; raises ProtocolError (or a subclass) on anything malformed."""
    cls = FRAME_TYPES.get(frame_type)
    if cls is None:
        raise ProtocolError(f"unknown frame type {frame_type}")
    r = _Reader(body)
    frame = cls.parse(r)
    r.end()
    return frame


def decode(data: bytes, max_size: int = MAX_FRAME) -> Frame:
    """Decode exactly one whole frame (header + body) from ``data``."""
    if len(data) < HEADER.size:
        raise ProtocolError("frame header is truncated")
    length, frame_type = HEADER.unpack_from(data)
    if length > max_size:
        raise FrameTooLarge(length, max_size)
    if len(data) != HEADER.size + length:
        raise ProtocolError("frame length does not match its header")
    return decode_body(frame_type, data[HEADER.size :])


async def read_frame(reader: asyncio.StreamReader, max_size: int = MAX_FRAME) -> Frame:
    """Read one frame. Raises FrameTooLarge before reading an oversize body,
    ProtocolError on malformed input or EOF inside a frame, and
    asyncio.IncompleteReadError on EOF between frames."""
    return (await read_sized_frame(reader, max_size))[0]


async def read_sized_frame(
    reader: asyncio.StreamReader, max_size: int = MAX_FRAME
) -> tuple[Frame, int]:
    """:func:`read_frame`, and the frame's size on the wire (header included)."""
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise ProtocolError("connection closed inside a frame header") from None
        raise
    length, frame_type = HEADER.unpack(header)
    if length > max_size:
        raise FrameTooLarge(length, max_size)
    if frame_type not in FRAME_TYPES:  # no point reading a body we cannot decode
        raise ProtocolError(f"unknown frame type {frame_type}")
    try:
        body = await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError(f"truncated frame: {len(exc.partial)} of {length} bytes") from None
    return decode_body(frame_type, body), HEADER.size + length


async def write_frame(writer: asyncio.StreamWriter, frame: Frame) -> None:
    """Write one frame and wait until the transport has taken it."""
    writer.write(encode(frame))
    await writer.drain()
