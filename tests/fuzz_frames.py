"""A seeded generator of hostile input for the sync protocol (used by test_sync_fuzz).

:class:`FrameFuzzer` starts from real frames of a real board (a member's hello, automerge
sync messages that carry every change, the changes themselves, a snapshot) and a real TLS
ClientHello, and breaks them in the ways a buggy or hostile peer would: unknown frame
types, lengths that lie, truncated and oversize frames, garbage or mutated automerge
payloads, frames out of order, malformed hellos, and garbage instead of or inside the TLS
handshake. Everything is drawn from one ``random.Random``, so a seed replays a run.
"""

from __future__ import annotations

import hashlib
import random
import ssl
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from automerge import core as am

from board.change_ops import encode_uleb, read_uleb
from sync.protocol import (
    FRAME_TYPES,
    HEADER,
    PROTOCOL_VERSION,
    Bye,
    Changes,
    Hello,
    Ping,
    Snapshot,
    SyncMessage,
    encode,
)


@dataclass(frozen=True)
class BadFrame:
    """Hostile bytes for an authenticated connection: ``data`` goes on the wire after a
    valid hello when ``after_hello``, else in place of the hello."""

    kind: str
    data: bytes
    after_hello: bool


@dataclass(frozen=True)
class Seeds:
    """Real material from the board under test, to be broken."""

    hello: Hello  # the member's honest hello
    messages: tuple[bytes, ...]  # automerge sync messages (one carries every change)
    changes: tuple[bytes, ...]  # raw changes the board already has
    snapshot: bytes  # the saved board
    client_hello: bytes  # the first flight of a real TLS 1.3 client

    @classmethod
    def from_board(cls, doc: am.Document, hello: Hello, client: ssl.SSLContext) -> Seeds:
        """Seeds from a copy of the board: nothing in them is new to its owner."""
        copy = am.Document.load(bytes(doc.save()))
        empty, ours, theirs = am.Document(), am.SyncState(), am.SyncState()
        messages = []
        for _ in range(8):  # what the copy would send a peer that has nothing
            message = copy.generate_sync_message(ours)
            if message is None:
                break
            messages.append(bytes(message.encode()))
            empty.receive_sync_message(theirs, message)
            reply = empty.generate_sync_message(theirs)
            if reply is not None:
                messages.append(bytes(reply.encode()))
                copy.receive_sync_message(ours, reply)
        changes = tuple(bytes(c.bytes) for c in copy.get_changes([]))
        return cls(hello, tuple(messages), changes, bytes(copy.save()), client_hello(client))


def client_hello(context: ssl.SSLContext) -> bytes:
    """The bytes a TLS client sends first (its ClientHello), captured in memory."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_side=False, server_hostname=None)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class FrameFuzzer:
    """Draws hostile frames and handshakes; ``max_frame``/``max_hello`` are the caps of
    the peer under test (oversize lengths are drawn above them)."""

    def __init__(self, rnd: random.Random, seeds: Seeds, max_frame: int, max_hello: int) -> None:
        self.rnd = rnd
        self.seeds = seeds
        self.max_frame = max_frame
        self.max_hello = max_hello
        self._frame_kinds: list[tuple[str, Callable[[], tuple[bytes, bool]]]] = [
            ("unknown type", self._unknown_type),
            ("length too short", self._length_too_short),
            ("length too long", self._length_too_long),
            ("truncated", self._truncated),
            ("oversize length", self._oversize),
            ("garbage sync message", self._garbage_sync_message),
            ("garbage changes", self._garbage_changes),
            ("garbage snapshot", self._garbage_snapshot),
            ("out of order", self._out_of_order),
            ("malformed hello", self._malformed_hello),
            ("malformed body", self._malformed_body),
            ("mutated frame", self._mutated_frame),
            ("random bytes", self._random_bytes),
            ("several in a row", self._several),
        ]
        self._handshake_kinds: list[Callable[[], bytes]] = [
            self._random_bytes_only,
            self._tls_record_garbage,
            self._mutated_client_hello,
            self._truncated_client_hello,
            self._client_hello_then_garbage,
            self._cleartext_frame,
        ]

    # ------------------------------------------------------------------ entry points
    def frame(self) -> BadFrame:
        """One hostile frame (sometimes with more bytes behind it)."""
        kind, make = self.rnd.choice(self._frame_kinds)
        data, after_hello = make()
        return BadFrame(kind, data, after_hello)

    def handshake(self) -> bytes:
        """Bytes sent instead of, or inside, a TLS handshake."""
        return self.rnd.choice(self._handshake_kinds)()

    def checksummed_changes(self) -> Changes:
        """A live push of one to three changes that are garbage inside but whose
        checksums are right: they reach automerge's change parser."""
        items = tuple(
            (
                checksummed(self.rnd.choice(self.seeds.changes), self.mutate),
                self.seeds.hello.member_id,
                self._bytes(64),
            )
            for _ in range(self.rnd.randint(1, 3))
        )
        return Changes(items)

    # ------------------------------------------------------------------ helpers
    def _bytes(self, n: int) -> bytes:
        return self.rnd.randbytes(n)

    def _flag(self) -> bool:
        return self.rnd.random() < 0.5

    def mutate(self, data: bytes, edits: int = 4) -> bytes:
        """Flip, overwrite, insert, delete, duplicate or truncate a few bytes."""
        out = bytearray(data)
        for _ in range(self.rnd.randint(1, edits)):
            op = self.rnd.randrange(6)
            pos = self.rnd.randrange(len(out) + 1)
            if op == 0 and out and pos < len(out):
                out[pos] ^= 1 << self.rnd.randrange(8)
            elif op == 1 and out and pos < len(out):
                out[pos] = self.rnd.randrange(256)
            elif op == 2:
                out[pos:pos] = self._bytes(self.rnd.randint(1, 8))
            elif op == 3 and out:
                del out[pos : pos + self.rnd.randint(1, 16)]
            elif op == 4 and out:
                out[pos:pos] = out[pos : pos + self.rnd.randint(1, 32)]
            elif out:
                del out[self.rnd.randrange(len(out)) :]
        return bytes(out)

    def _signatures(self) -> tuple[tuple[bytes, str, bytes], ...]:
        return tuple(
            (self._bytes(self.rnd.choice((0, 31, 32, 33))), self._bytes(6).hex(), self._bytes(64))
            for _ in range(self.rnd.randrange(4))
        )

    def _valid_frame(self) -> bytes:
        s = self.seeds
        choices: list[Callable[[], object]] = [
            lambda: s.hello,
            lambda: SyncMessage(self.rnd.choice(s.messages), self._signatures()),
            lambda: Changes(
                tuple(
                    (c, s.hello.member_id, self._bytes(64))
                    for c in self.rnd.sample(s.changes, min(3, len(s.changes)))
                )
            ),
            lambda: Snapshot(s.snapshot),
            lambda: Ping(),
            lambda: Bye("fuzz"),
        ]
        return encode(self.rnd.choice(choices)())  # type: ignore[arg-type]

    # ------------------------------------------------------------------ frame kinds
    def _unknown_type(self) -> tuple[bytes, bool]:
        frame_type = self.rnd.choice([0, *range(len(FRAME_TYPES) + 1, 256)])
        body = self._bytes(self.rnd.randrange(64))
        return HEADER.pack(len(body), frame_type) + body, self._flag()

    def _length_too_short(self) -> tuple[bytes, bool]:
        frame = self._valid_frame()
        length, frame_type = HEADER.unpack_from(frame)
        if length == 0:
            return HEADER.pack(0, frame_type) + b"\x00", self._flag()
        return HEADER.pack(self.rnd.randrange(length), frame_type) + frame[HEADER.size :], True

    def _length_too_long(self) -> tuple[bytes, bool]:
        frame = self._valid_frame()
        length, frame_type = HEADER.unpack_from(frame)
        longer = length + self.rnd.randint(1, 256)
        return HEADER.pack(longer, frame_type) + frame[HEADER.size :], True

    def _truncated(self) -> tuple[bytes, bool]:
        frame = self._valid_frame()
        return frame[: self.rnd.randrange(1, len(frame))], self._flag()

    def _oversize(self) -> tuple[bytes, bool]:
        after_hello = self._flag()
        cap = self.max_frame if after_hello else self.max_hello
        length = self.rnd.choice([cap + 1, self.rnd.randint(cap + 1, 0xFFFFFFFF), 0xFFFFFFFF])
        frame_type = self.rnd.choice(list(FRAME_TYPES))
        return HEADER.pack(length, frame_type) + self._bytes(self.rnd.randrange(32)), after_hello

    def _garbage_sync_message(self) -> tuple[bytes, bool]:
        seed = self.rnd.choice(self.seeds.messages)
        data = (
            self.mutate(seed)
            if self._flag()
            else bytes([0x42]) + self._bytes(self.rnd.randrange(200))
        )
        return encode(SyncMessage(data, self._signatures())), True

    def _garbage_changes(self) -> tuple[bytes, bool]:
        items = []
        for _ in range(self.rnd.randint(1, 3)):
            change = self.rnd.choice(self.seeds.changes)
            data = self.mutate(change) if self._flag() else self._bytes(self.rnd.randrange(300))
            items.append((data, self.seeds.hello.member_id, self._bytes(64)))
        return encode(Changes(tuple(items))), True

    def _garbage_snapshot(self) -> tuple[bytes, bool]:
        data = self.mutate(self.seeds.snapshot) if self._flag() else self._bytes(200)
        return encode(Snapshot(data, self._signatures())), self._flag()

    def _out_of_order(self) -> tuple[bytes, bool]:
        s = self.seeds
        if self._flag():  # anything but a hello first
            frame = self.rnd.choice(
                [
                    SyncMessage(self.rnd.choice(s.messages)),
                    Changes(((self.rnd.choice(s.changes), s.hello.member_id, b""),)),
                    Snapshot(s.snapshot),
                    Ping(),
                ]
            )
            return encode(frame), False
        # after the hello: a second hello, or a snapshot nobody asked for
        return encode(self.rnd.choice([s.hello, Snapshot(s.snapshot)])), True

    def _malformed_hello(self) -> tuple[bytes, bool]:
        s = self.seeds.hello
        variants: list[Callable[[], bytes]] = [
            lambda: encode(Hello(self.rnd.choice([0, 2, 99, 0xFFFFFFFF]), s.team_id, s.member_id)),
            lambda: encode(Hello(PROTOCOL_VERSION, "another team", s.member_id, s.heads)),
            lambda: encode(
                Hello(
                    PROTOCOL_VERSION,
                    s.team_id,
                    s.member_id,
                    tuple(self._bytes(32) for _ in range(self.rnd.randrange(8))),
                )
            ),
            lambda: _frame(
                Hello.TYPE,
                struct.pack(">I", PROTOCOL_VERSION)
                + struct.pack(">I", 3)
                + b"\xff\xfe\xfd"
                + self._bytes(8),
            ),
            lambda: _frame(Hello.TYPE, struct.pack(">II", PROTOCOL_VERSION, 0xFFFFFFFF)),
            lambda: _frame(Hello.TYPE, encode(s)[HEADER.size :] + self._bytes(3)),
            lambda: _frame(Hello.TYPE, encode(s)[HEADER.size :][:-4] + b"\xff\xff\xff\xff"),
            lambda: _frame(Hello.TYPE, self.mutate(encode(s)[HEADER.size :])),
        ]
        return self.rnd.choice(variants)(), False

    def _malformed_body(self) -> tuple[bytes, bool]:
        frame_type = self.rnd.choice([SyncMessage.TYPE, Snapshot.TYPE, Changes.TYPE, Bye.TYPE])
        huge = struct.pack(">I", self.rnd.choice([0xFFFFFFFF, 0x7FFFFFFF, 1 << 20, 65]))
        bodies = [
            huge + self._bytes(self.rnd.randrange(16)),  # a blob or list longer than the body
            struct.pack(">I", 0) + huge,  # an empty blob then an impossible list count
            struct.pack(">I", 1) + b"\x42" + struct.pack(">I", 1) + huge,
            b"",  # no body at all
            self._bytes(self.rnd.randrange(1, 12)),
        ]
        body = self.rnd.choice(bodies)
        if frame_type == Ping.TYPE or self.rnd.random() < 0.1:
            frame_type, body = Ping.TYPE, self._bytes(self.rnd.randint(1, 8))  # Ping has no body
        return _frame(frame_type, body), True

    def _mutated_frame(self) -> tuple[bytes, bool]:
        return self.mutate(self._valid_frame(), edits=3), self._flag()

    def _random_bytes(self) -> tuple[bytes, bool]:
        return self._bytes(self.rnd.randint(1, 300)), self._flag()

    def _several(self) -> tuple[bytes, bool]:
        """Valid and garbage payloads back to back: they may be taken as one batch."""
        makers = [
            self._garbage_sync_message,
            self._garbage_changes,
            self._mutated_frame,
            lambda: (self._valid_frame(), True),
        ]
        return b"".join(self.rnd.choice(makers)()[0] for _ in range(self.rnd.randint(2, 5))), True

    # ------------------------------------------------------------------ handshake kinds
    def _random_bytes_only(self) -> bytes:
        return self._bytes(self.rnd.randint(1, 600))

    def _tls_record_garbage(self) -> bytes:
        content_type = self.rnd.choice([0x14, 0x15, 0x16, 0x17, 0x18, 0x00, 0xFF])
        length = self.rnd.choice([0, 1, 5, 512, 0x4000, 0x4001, 0xFFFF])
        body = self._bytes(min(length, self.rnd.randrange(700)))
        return (
            bytes([content_type, 3, self.rnd.choice([0, 1, 3, 4])])
            + struct.pack(">H", length)
            + body
        )

    def _mutated_client_hello(self) -> bytes:
        return self.mutate(self.seeds.client_hello, edits=6)

    def _truncated_client_hello(self) -> bytes:
        return self.seeds.client_hello[: self.rnd.randrange(1, len(self.seeds.client_hello))]

    def _client_hello_then_garbage(self) -> bytes:
        return self.seeds.client_hello + self._bytes(self.rnd.randint(1, 400))

    def _cleartext_frame(self) -> bytes:
        return encode(self.seeds.hello) + self._valid_frame()


def _frame(frame_type: int, body: bytes) -> bytes:
    return HEADER.pack(len(body), frame_type) + body


CHUNK_MAGIC = b"\x85\x6f\x4a\x83"


def checksummed(change: bytes, mutate: Callable[[bytes], bytes], raw: bytes = b"") -> bytes:
    """``change`` (a raw automerge change chunk) with its body mutated and its checksum
    made right again, so that it gets past automerge's integrity check into its parser
    (``raw``: start from an empty body instead)."""
    if raw:
        body = b""
    else:
        length, pos = read_uleb(change, 9)
        body = change[pos : pos + length]
        if change[8] == 2:  # deflated: mutate the change it stands for
            body = zlib.decompress(body, -15)
    body = mutate(body)
    data = b"\x01" + encode_uleb(len(body)) + body
    return CHUNK_MAGIC + hashlib.sha256(data).digest()[:4] + data


def rewrite_change(
    change: bytes,
    *,
    deps: tuple[bytes, ...] | None = None,
    seq: int | None = None,
    start_op: int | None = None,
) -> bytes:
    """``change`` with header fields replaced (and a valid checksum), as a forger or a
    broken client would write it. Header: dependencies, actor, sequence number, first
    operation number, time, message, other actors, then the operation columns."""
    length, pos = read_uleb(change, 9)
    body = change[pos : pos + length]
    if change[8] == 2:
        body = zlib.decompress(body, -15)
    count, at = read_uleb(body, 0)
    old_deps = tuple(body[at + 32 * i : at + 32 * (i + 1)] for i in range(count))
    at += 32 * count
    actor_length, at = read_uleb(body, at)
    actor_end = at + actor_length
    old_seq, at = read_uleb(body, actor_end)
    old_start, at = read_uleb(body, at)
    new_deps = old_deps if deps is None else deps
    head = (
        encode_uleb(len(new_deps))
        + b"".join(new_deps)
        + body[count * 32 + len(encode_uleb(count)) : actor_end]
    )
    head += encode_uleb(old_seq if seq is None else seq) + encode_uleb(
        old_start if start_op is None else start_op
    )
    return checksummed(b"", lambda _: head + body[at:], raw=b"\x01")
