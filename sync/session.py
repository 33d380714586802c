"""Per-peer sync logic, with no I/O: frames in, frames out.

A :class:`SyncSession` holds the automerge ``SyncState`` for one peer and reaches the
board through a small :class:`DocumentPort`, so it can be driven by the TLS transport or,
in tests, by another session in memory::

    to_b, to_a = a.start(), b.start()
    while to_a or to_b:
        to_a, to_b = (
            [f for x in to_b for f in b.receive(x)],  # what b answers goes to a
            [f for x in to_a for f in a.receive(x)],
        )

Conversation: both sides send :class:`Hello`. When the peer has no heads and we do, we
send a :class:`Snapshot` first (automerge's sync protocol alone sends every change, many
times the snapshot's size) and wait for the peer's first sync message; the empty side
sends nothing until it has loaded the snapshot. When the two hellos announce the same
heads, both sides know they are in sync and the exchange ends there: each side's sync
state is seeded as if the peer had said so in a sync message (:func:`in_sync_message`),
so the next edit travels as it would after a full exchange. Otherwise both sides exchange
:class:`SyncMessage` frames until :attr:`SyncSession.synced`. Local edits are pushed with
:meth:`SyncSession.push`. Outgoing snapshots and sync messages carry the signatures of
the changes in them, looked up through the port, so the receiving port can verify them
before applying anything.

Frames that arrived together (:meth:`SyncSession.receive_batch`) are applied as one
:class:`Received` batch: one call to the port, which stores it in one durable commit,
and one answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from automerge import core as am

from board.change_ops import ChangeFormatError, change_author, change_hash, encode_uleb, read_uleb
from board.document import encode_apply_message
from sync.protocol import (
    PROTOCOL_VERSION,
    Bye,
    Changes,
    Frame,
    Hello,
    Ping,
    ProtocolError,
    Signature,
    SignedChange,
    Snapshot,
    SyncMessage,
)


class SessionError(ProtocolError):
    """The peer broke the conversation (wrong team, frame out of order, bad payload)."""


@dataclass(frozen=True)
class Received:
    """Changes that arrived from the peer together, to be checked, applied and stored as
    one unit: automerge sync messages in order of arrival, the raw changes inside them
    (``carried``) with their ``signatures``, and changes pushed live (with theirs)."""

    messages: tuple[bytes, ...] = ()
    carried: tuple[bytes, ...] = ()
    signatures: tuple[Signature, ...] = ()
    pushed: tuple[SignedChange, ...] = ()

    @property
    def changes(self) -> list[bytes]:
        """Every raw change the batch carries."""
        return [*self.carried, *(data for data, _, _ in self.pushed)]

    def signatures_by_hash(self) -> dict[str, tuple[str, bytes]]:
        """(author, signature) of each change, by change hash (hex)."""
        out = {h.hex(): (author, sig) for h, author, sig in self.signatures}
        for data, author, sig in self.pushed:
            digest = change_hash(data)
            if digest is not None:
                out[digest.hex()] = (author, sig)
        return out


class DocumentPort(Protocol):
    """What a session needs from the board document."""

    def heads(self) -> list[bytes]: ...

    def is_empty(self) -> bool: ...

    def save(self) -> bytes:
        """A compacted snapshot of the whole document."""
        ...

    def load_snapshot(self, data: bytes, signatures: Sequence[Signature]) -> None:
        """Merge a peer's snapshot into the document (which is usually empty)."""
        ...

    def generate_sync_message(self, state: am.SyncState) -> bytes | None: ...

    def receive(self, state: am.SyncState, batch: Received) -> None:
        """Apply a batch from the peer as one unit (verify its signatures first): its
        sync messages through ``state``, its pushed changes directly. Whatever took effect
        must be stored durably before this returns: the session answers after it."""
        ...

    def signatures(self, hashes: Sequence[bytes] | None) -> list[Signature]:
        """Known signatures of the given change hashes; ``None`` means every change."""
        ...


class AutomergePort:
    """A :class:`DocumentPort` over a bare ``automerge.core.Document`` (no signatures)."""

    def __init__(self, doc: am.Document) -> None:
        self.doc = doc

    def heads(self) -> list[bytes]:
        return list(self.doc.get_heads())

    def is_empty(self) -> bool:
        return not self.doc.get_heads()

    def save(self) -> bytes:
        return bytes(self.doc.save())

    def load_snapshot(self, data: bytes, signatures: Sequence[Signature]) -> None:
        try:
            other = am.Document.load(data)
        except Exception as exc:  # noqa: BLE001 (the binding raises bare Exceptions on bad input)
            raise SessionError(f"peer sent an unreadable snapshot: {exc}") from None
        self.doc.merge(other)

    def generate_sync_message(self, state: am.SyncState) -> bytes | None:
        message = self.doc.generate_sync_message(state)
        return None if message is None else bytes(message.encode())

    def receive(self, state: am.SyncState, batch: Received) -> None:
        for data in batch.messages:
            try:
                self.doc.receive_sync_message(state, am.Message.decode(data))
            except Exception as exc:  # noqa: BLE001 (the binding's bare Exceptions)
                raise SessionError(f"peer sent an unusable sync message: {exc}") from None
        if batch.pushed:
            try:
                message = encode_apply_message([c for c, _, _ in batch.pushed])
                self.doc.receive_sync_message(am.SyncState(), message)
            except Exception as exc:  # noqa: BLE001 (the binding's bare Exceptions)
                raise SessionError(f"peer pushed unusable changes: {exc}") from None

    def signatures(self, hashes: Sequence[bytes] | None) -> list[Signature]:
        return []


class SyncSession:
    """The sync conversation with one peer; see the module docstring."""

    def __init__(self, port: DocumentPort, team_id: str, member_id: str) -> None:
        self.port = port
        self.team_id = team_id
        self.member_id = member_id
        self.state = am.SyncState()
        self.peer: Hello | None = None
        self.closed_reason: str | None = None
        self._sent_heads: tuple[bytes, ...] | None = None  # the heads our hello announced
        self._awaiting_snapshot = False
        self._peer_heads: list[bytes] | None = None  # as last reported by the peer
        # Whether our last sync message carried changes: one that carried none is at most
        # an acknowledgement, which the peer need not answer (automerge stays quiet then).
        self._last_sent: bool = False
        # What the peer's hello told us, as an automerge sync message, when both hellos
        # announced the same heads: received before anything else touches the state.
        self._seed: bytes | None = None

    # ------------------------------------------------------------------ state
    @property
    def synced(self) -> bool:
        """Both sides hold the same heads and neither has anything left to send.

        Judged from the sync-message exchange: after a live :meth:`push` it turns false
        until the next exchange (see :meth:`poll`), since a push is not acknowledged. Our
        own last message may be a bare acknowledgement (no changes): when frames arrive in
        batches, the exchange can end on our turn, and the peer sends nothing back."""
        if self.peer is None or self._awaiting_snapshot or self._peer_heads is None:
            return False
        return sorted(self._peer_heads) == sorted(self.port.heads()) and not self._last_sent

    @property
    def peer_has_ours(self) -> bool:
        """The peer has told us it holds at least everything we hold."""
        if self.peer is None or self._peer_heads is None or self._awaiting_snapshot:
            return False
        return set(self.port.heads()) <= set(self._peer_heads)

    # ------------------------------------------------------------------ driving
    def start(self) -> list[Frame]:
        """Our hello; send it first."""
        self._sent_heads = tuple(self.port.heads())
        return [Hello(PROTOCOL_VERSION, self.team_id, self.member_id, self._sent_heads)]

    def receive(self, frame: Frame) -> list[Frame]:
        """Handle one frame from the peer; returns the frames to send back.

        Raises SessionError when the peer breaks the conversation, and whatever the port
        raises when a payload is refused (e.g. a bad signature)."""
        return self.receive_batch([frame])

    def receive_batch(self, frames: Sequence[Frame]) -> list[Frame]:
        """Handle frames that arrived together; returns the frames to send back.

        Consecutive sync messages and pushed changes are applied and stored as one
        :class:`Received` batch (one durable commit) and answered once, after it is
        stored. Raises like :meth:`receive` when a frame is refused (what entered the
        board before the refusal stays, stored)."""
        out: list[Frame] = []
        group: list[SyncMessage | Changes] = []
        for frame in frames:
            if isinstance(frame, (SyncMessage, Changes)) and self.peer is not None:
                group.append(frame)
                continue
            out += self._receive_group(group)
            group = []
            out += self._receive_one(frame)
        return out + self._receive_group(group)

    def _receive_group(self, frames: Sequence[SyncMessage | Changes]) -> list[Frame]:
        """Store consecutive pushes and sync messages; answer each sync message.

        Pushes ride along with the next sync message in one durable commit, but every
        sync message is received and answered on its own, in order: automerge decides
        whether to reply from the state after each message, and answering a run of
        messages once can end the exchange with the peer never told our new heads."""
        out: list[Frame] = []
        pushed: list[SignedChange] = []
        for frame in frames:
            if isinstance(frame, Changes):
                pushed += frame.items
                continue
            out += self._receive_batch(pushed, frame)
            pushed = []
        if pushed:
            self._receive_batch(pushed, None)
        return out

    def _receive_batch(
        self, pushed: list[SignedChange], message: SyncMessage | None
    ) -> list[Frame]:
        if message is not None and self._awaiting_snapshot:
            raise SessionError("expected a snapshot before sync messages")
        peer_heads, carried = self._peer_heads, list[bytes]()
        if message is not None:
            peer_heads, carried = parse_sync_message(message.data)
        batch = Received(
            messages=self._take_seed() + ((message.data,) if message is not None else ()),
            carried=tuple(carried),
            signatures=tuple(message.signatures) if message is not None else (),
            pushed=tuple(pushed),
        )
        self.port.receive(self.state, batch)
        self._peer_heads = peer_heads
        return self._next_message() if message is not None else []

    def _receive_one(self, frame: Frame) -> list[Frame]:
        if self.peer is None and not isinstance(frame, (Hello, Bye)):
            raise SessionError(f"expected a hello, got {type(frame).__name__}")
        if isinstance(frame, Hello):
            return self._on_hello(frame)
        if isinstance(frame, Snapshot):
            return self._on_snapshot(frame)
        if isinstance(frame, Bye):
            self.closed_reason = frame.reason
            return []
        if isinstance(frame, Ping):
            return []
        raise SessionError(f"unexpected frame {type(frame).__name__}")  # pragma: no cover

    def push(self, items: Sequence[SignedChange]) -> list[Frame]:
        """Frames that offer our new local changes to the peer (nothing before the hellos).

        The receiver applies them without answering: following up with sync messages
        would echo each change back, as automerge's sync state does not see pushes."""
        if self.peer is None or not items:
            return []
        return [Changes(tuple(items))]

    def poll(self) -> list[Frame]:
        """A sync message if the document changed since our last turn (e.g. after a
        change arrived from another peer); nothing while the conversation is not open."""
        if self.peer is None or self._awaiting_snapshot:
            return []
        return self._next_message()

    # ------------------------------------------------------------------ steps
    def _on_hello(self, hello: Hello) -> list[Frame]:
        if self.peer is not None:
            raise SessionError("peer sent a second hello")
        if hello.team_id != self.team_id:
            raise SessionError("peer belongs to another team")
        self.peer = hello
        self._peer_heads = list(hello.heads)
        out: list[Frame] = [] if self._sent_heads is not None else self.start()
        # Both sides decide from the two hellos, so they agree on who sends a snapshot.
        if not self._sent_heads and hello.heads:
            self._awaiting_snapshot = True  # a sync message from us would cost a full history
            return out
        if not hello.heads and self._sent_heads:
            data = self.port.save()
            out.append(Snapshot(data, tuple(self.port.signatures(None))))
            return out  # the peer speaks next, once it has loaded the snapshot
        if sorted(hello.heads) == sorted(self._sent_heads or ()):
            # In sync already: the hellos said all a first round of sync messages would
            # (two bloom filters of the whole history), so none is sent.
            self._seed = in_sync_message(hello.heads)
            if sorted(self.port.heads()) == sorted(hello.heads):
                return out
            # (an edit made since our hello still has to go)
        return out + self._next_message()

    def _on_snapshot(self, snapshot: Snapshot) -> list[Frame]:
        if not self._awaiting_snapshot:
            raise SessionError("unexpected snapshot")
        self.port.load_snapshot(snapshot.data, snapshot.signatures)
        self._awaiting_snapshot = False
        return self._next_message()

    def _take_seed(self) -> tuple[bytes, ...]:
        seed, self._seed = self._seed, None
        return () if seed is None else (seed,)

    def _next_message(self) -> list[Frame]:
        seed = self._take_seed()
        if seed:
            self.port.receive(self.state, Received(messages=seed))
            if self.synced:  # automerge would still answer the seed once: nothing to say
                return []
        data = self.port.generate_sync_message(self.state)
        if data is None:
            self._last_sent = False
            return []
        chunks = parse_sync_message(data)[1]
        self._last_sent = bool(chunks)
        needed = signed_changes(chunks)
        signatures = self.port.signatures(needed) if needed else []
        return [SyncMessage(data, tuple(signatures))]


# --------------------------------------------------------------------------- automerge wire
def parse_sync_message(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """(heads, raw change chunks) of an encoded automerge sync message (v1 or v2).

    Raises SessionError when the message is malformed."""
    pos = 1
    if not data or data[0] not in (0x42, 0x43):
        raise SessionError("not an automerge sync message")

    def uleb() -> int:
        nonlocal pos
        value, pos = _read_uleb(data, pos)
        return value

    def take(n: int) -> bytes:
        nonlocal pos
        if n > len(data) - pos:
            raise SessionError("truncated sync message")
        pos += n
        return data[pos - n : pos]

    def hashes() -> list[bytes]:
        return [take(32) for _ in range(uleb())]

    heads = hashes()
    hashes()  # need
    for _ in range(uleb()):  # have: last sync heads + bloom filter
        hashes()
        take(uleb())
    entries = [take(uleb()) for _ in range(uleb())]
    # v2 messages may concatenate several chunks in one entry, and append capabilities.
    return heads, [chunk for entry in entries for chunk in split_chunks(entry)]


def signed_changes(chunks: Sequence[bytes]) -> list[bytes]:
    """The hashes of the changes among ``chunks`` whose signatures a message carrying them
    needs: each author's newest (it vouches for their earlier ones, see
    :mod:`sync.authorship`), found from the chunks' headers; a chunk whose header does not
    say (a deflated one) is hashed and left for the store to judge."""
    newest: dict[bytes, tuple[int, bytes]] = {}
    unread: list[bytes] = []
    for chunk in chunks:
        author = change_author(chunk)
        if author is None:
            unread.append(chunk)
        elif author[1] > newest.get(author[0], (-1, b""))[0]:
            newest[author[0]] = (author[1], chunk)
    hashes = [change_hash(chunk) for _, chunk in newest.values()]
    hashes += [change_hash(chunk) for chunk in unread]
    return [h for h in hashes if h is not None]


def in_sync_message(heads: Sequence[bytes]) -> bytes:
    """The automerge sync message (v1) of a peer that holds exactly ``heads`` and knows
    we hold them too: those heads, nothing needed, everything up to them in common (an
    empty bloom filter past them), no changes. Receiving it leaves a sync state where a
    full exchange would have left it, without the exchange."""
    ordered = sorted(heads)  # automerge compares head lists as sorted vectors

    def hashes(items: Sequence[bytes]) -> bytes:
        return encode_uleb(len(items)) + b"".join(items)

    have = encode_uleb(1) + hashes(ordered) + encode_uleb(0)  # one entry, empty bloom
    return bytes([0x42]) + hashes(ordered) + hashes([]) + have + encode_uleb(0)


MAGIC = b"\x85\x6f\x4a\x83"


def split_chunks(data: bytes) -> list[bytes]:
    """The automerge chunks (magic, checksum, type, LEB128 length, body) in ``data``."""
    chunks, pos = [], 0
    while pos < len(data):
        start = pos
        if data[pos : pos + 4] != MAGIC or len(data) - pos < 10:
            raise SessionError("malformed change in sync message")
        pos += 9
        length, pos = _read_uleb(data, pos)
        pos += length
        if pos > len(data):
            raise SessionError("truncated change in sync message")
        chunks.append(data[start:pos])
    return chunks


def _read_uleb(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the LEB128 number at ``pos``."""
    try:
        return read_uleb(data, pos)
    except (IndexError, ChangeFormatError):
        raise SessionError("truncated number in sync message") from None
