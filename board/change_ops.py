"""Which automerge objects a raw change writes to, read straight from its bytes.

Telling which board records a merged change touched must cost in proportion to the
change, not to the board: automerge's ``diff`` and a scan of every record both grow with
the document. A change chunk lists its operations in columns (automerge binary format,
"change chunk"); :mod:`board.change_columns` decodes just the columns that say, for each
operation, the object it writes to (``objActor``/``objCtr``), the map key (``keyStr``)
and the action, and this module turns them into :class:`ChangeOps`, so
:mod:`board.record_index` can map objects to records. Nothing here touches a document.

An object is named by :data:`ObjKey` ``(counter, actor)``, the operation id that created
it; ``None`` is the document root.
"""

from __future__ import annotations

import hashlib
import zlib

from board.change_columns import (
    MOST_OPS,
    ChangeFormatError,
    ObjKey,
    actor_runs,
    encode_uleb,
    made_ops,
    read_columns,
    read_header,
    read_sleb,
    read_uleb,
    segments,
)

__all__ = [
    "CHUNK_CHANGE",
    "CHUNK_COMPRESSED_CHANGE",
    "MAGIC",
    "MOST_OPS",
    "ChangeFormatError",
    "ChangeOps",
    "ObjKey",
    "change_author",
    "change_hash",
    "decode_ops",
    "encode_uleb",
    "obj_key",
    "read_uleb",
]

MAGIC = b"\x85\x6f\x4a\x83"
CHUNK_CHANGE = 1
CHUNK_COMPRESSED_CHANGE = 2


class ChangeOps:
    """The operations of one change.

    ``segments``: runs of consecutive operations on one object, ``(object, first, end)``
    (object None: the root); ``made``: ``(operation index, object)`` for each operation
    that creates an object, in operation order; :meth:`key`: the map key of an
    operation, decoded on demand (most changes never need one)."""

    __slots__ = ("_key_data", "_key_pos", "_keys", "_run", "made", "segments")

    def __init__(
        self,
        segments: list[tuple[ObjKey | None, int, int]],
        made: list[tuple[int, ObjKey]],
        key_data: bytes,
    ) -> None:
        self.segments = segments
        self.made = made
        self._keys: list[str | None] = []
        self._key_data = key_data
        self._key_pos = 0
        self._run = 0  # literal strings left in the current run

    def key(self, index: int) -> str | None:
        """The map key operation ``index`` writes (None for a list position).

        Raises ChangeFormatError when the key column is malformed."""
        try:
            return self._key(index)
        except (IndexError, UnicodeDecodeError) as exc:
            raise ChangeFormatError(f"malformed change: {exc}") from None

    def _key(self, index: int) -> str | None:
        keys, data = self._keys, self._key_data
        pos, run, end = self._key_pos, self._run, len(data)
        while len(keys) <= index:
            if run:  # inside a run of literal strings: read only what is needed
                run -= 1
                value, pos = _string(data, pos)
                keys.append(value)
                continue
            if pos >= end:
                break
            count = data[pos]
            if count < 0x40:  # a one-byte positive count
                pos += 1
            elif count < 0x80:  # a one-byte negative count
                count -= 0x80
                pos += 1
            else:
                count, pos = read_sleb(data, pos)
            if count < 0:
                run = -count
            elif count > 0:
                value, pos = _string(data, pos)
                keys.extend([value] * _ops(count))
            else:
                nulls, pos = read_uleb(data, pos)
                keys.extend([None] * _ops(nulls))
        self._key_pos, self._run = pos, run
        return keys[index] if index < len(keys) else None


def _ops(count: int) -> int:
    if count > MOST_OPS:
        raise ChangeFormatError("too many operations in change")
    return count


def obj_key(obj_id: bytes) -> ObjKey | None:
    """The :data:`ObjKey` of an object id as the Python binding returns it
    (``0x10, len, actor, actor index, counter``; ``b"\\x00"`` is the root)."""
    if len(obj_id) < 2:
        return None
    size, pos = read_uleb(obj_id, 1)
    actor = obj_id[pos : pos + size]
    _, pos = read_uleb(obj_id, pos + size)  # the actor's index in this document: not stable
    counter, _ = read_uleb(obj_id, pos)
    return counter, bytes(actor)


def change_hash(chunk: bytes) -> bytes | None:
    """The automerge hash of a raw change chunk (SHA-256 of the uncompressed chunk after
    its magic and checksum), or None for anything but a change chunk."""
    if len(chunk) < 10 or chunk[:4] != MAGIC:
        return None
    kind = chunk[8]
    if kind == CHUNK_CHANGE:
        return hashlib.sha256(chunk[8:]).digest()
    if kind == CHUNK_COMPRESSED_CHANGE:  # hash the chunk it would be uncompressed
        try:
            length, pos = read_uleb(chunk, 9)
            body = zlib.decompress(chunk[pos : pos + length], -15)
        except (ChangeFormatError, IndexError, zlib.error):
            return None
        return hashlib.sha256(bytes([CHUNK_CHANGE]) + encode_uleb(len(body)) + body).digest()
    return None


def change_author(chunk: bytes) -> tuple[bytes, int] | None:
    """(actor, sequence number) of a plain change chunk, read from its header without
    hashing or inflating it; None for anything else (a deflated chunk, garbage)."""
    if len(chunk) < 10 or chunk[:4] != MAGIC or chunk[8] != CHUNK_CHANGE:
        return None
    try:
        _, pos = read_uleb(chunk, 9)  # the body's length
        count, pos = read_uleb(chunk, pos)  # dependencies
        size, pos = read_uleb(chunk, pos + 32 * count)
        actor, pos = chunk[pos : pos + size], pos + size
        seq, _ = read_uleb(chunk, pos)
    except (IndexError, ChangeFormatError):
        return None
    return bytes(actor), seq


def decode_ops(chunk: bytes) -> ChangeOps:
    """The operations of one change chunk (plain or deflated).

    Raises ChangeFormatError for anything that is not a well-formed change chunk."""
    try:
        return _decode(chunk)
    except (IndexError, zlib.error) as exc:
        raise ChangeFormatError(f"malformed change: {exc}") from None


def _decode(chunk: bytes) -> ChangeOps:
    # Called for every change a peer sends (see board.change_columns: written for speed).
    if len(chunk) < 10 or chunk[:4] != MAGIC:
        raise ChangeFormatError("not an automerge chunk")
    kind = chunk[8]
    length, pos = read_uleb(chunk, 9)
    body = chunk[pos : pos + length]
    if kind == CHUNK_COMPRESSED_CHANGE:
        body = zlib.decompress(body, -15)
    elif kind != CHUNK_CHANGE:
        raise ChangeFormatError(f"not a change chunk (type {kind})")
    actors, start_op, pos = read_header(body)
    object_actors, counters, keys, actions = read_columns(body, pos)
    makes, total = made_ops(actions)
    own = actors[0]
    made = [(index, (start_op + index, own)) for index in makes]
    runs = segments(actor_runs(object_actors), counters, actors, total)
    return ChangeOps(runs, made, keys)


def _string(data: bytes, pos: int) -> tuple[str, int]:
    size = data[pos]
    if size < 0x80:
        pos += 1
    else:
        size, pos = read_uleb(data, pos)
    end = pos + size
    if end > len(data):
        raise ChangeFormatError("truncated string in change")
    try:
        return data[pos:end].decode(), end
    except UnicodeDecodeError:
        raise ChangeFormatError("a key in the change is not UTF-8") from None
