"""Which automerge objects a raw change writes to, read straight from its bytes.

Telling which board records a merged change touched must cost in proportion to the
change, not to the board: automerge's ``diff`` and a scan of every record both grow with
the document. A change chunk lists its operations in columns (automerge binary format,
"change chunk"); this module decodes just the columns that say, for each operation, the
object it writes to (``objActor``/``objCtr``), the map key (``keyStr``) and the action, so
:mod:`board.record_index` can map objects to records. Nothing here touches a document.

An object is named by :data:`ObjKey` ``(counter, actor)``, the operation id that created
it; ``None`` is the document root.
"""

from __future__ import annotations

import hashlib
import zlib

MAGIC = b"\x85\x6f\x4a\x83"
CHUNK_CHANGE = 1
CHUNK_COMPRESSED_CHANGE = 2

# Column specifications: (column id << 4) | type; bit 3 marks a deflated column.
COL_OBJ_ACTOR = 0x01
COL_OBJ_CTR = 0x02
COL_KEY_STR = 0x15
COL_ACTION = 0x42
DEFLATE_BIT = 0x08
_WANTED = frozenset({COL_OBJ_ACTOR, COL_OBJ_CTR, COL_KEY_STR, COL_ACTION})

# Actions that create an object; its id is the operation's own id.
MAKE_ACTIONS = frozenset({0, 2, 4, 6})  # makeMap, makeList, makeText, makeTable

ObjKey = tuple[int, bytes]


class ChangeFormatError(ValueError):
    """The bytes are not an automerge change this decoder understands."""


class ChangeOps:
    """The operations of one change.

    ``segments``: runs of consecutive operations on one object, ``(object, first, end)``
    (object None: the root); ``made``: operation index -> the object that operation
    creates, in operation order; :meth:`key`: the map key of an operation, decoded on
    demand (most changes never need one)."""

    __slots__ = ("_key_data", "_key_pos", "_keys", "_run", "made", "segments")

    def __init__(
        self,
        segments: list[tuple[ObjKey | None, int, int]],
        made: dict[int, ObjKey],
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
        pos, end = self._key_pos, len(data)
        while len(keys) <= index:
            if self._run:  # inside a run of literal strings: read only what is needed
                self._run -= 1
                value, pos = _string(data, pos)
                keys.append(value)
                continue
            if pos >= end:
                break
            count, pos = _sleb(data, pos)
            if count < 0:
                self._run = -count
            elif count > 0:
                value, pos = _string(data, pos)
                keys.extend([value] * count)
            else:
                nulls, pos = read_uleb(data, pos)
                keys.extend([None] * nulls)
        self._key_pos = pos
        return keys[index] if index < len(keys) else None


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


def decode_ops(chunk: bytes) -> ChangeOps:
    """The operations of one change chunk (plain or deflated).

    Raises ChangeFormatError for anything that is not a well-formed change chunk."""
    try:
        return _decode(chunk)
    except (IndexError, zlib.error) as exc:
        raise ChangeFormatError(f"malformed change: {exc}") from None


def _decode(chunk: bytes) -> ChangeOps:
    # Called for every change a peer sends: one-byte numbers are read inline.
    if len(chunk) < 10 or chunk[:4] != MAGIC:
        raise ChangeFormatError("not an automerge chunk")
    kind = chunk[8]
    length, pos = read_uleb(chunk, 9)
    body = chunk[pos : pos + length]
    if kind == CHUNK_COMPRESSED_CHANGE:
        body = zlib.decompress(body, -15)
    elif kind != CHUNK_CHANGE:
        raise ChangeFormatError(f"not a change chunk (type {kind})")
    # Header: dependencies, actor, seq, start op, time, message, other actors, columns.
    count, pos = read_uleb(body, 0)
    pos += 32 * count
    size, pos = read_uleb(body, pos)
    actors = [body[pos : pos + size]]
    pos = _skip_leb(body, pos + size)  # sequence number
    start_op, pos = read_uleb(body, pos)
    pos = _skip_leb(body, pos)  # time
    size, pos = read_uleb(body, pos)  # message
    count, pos = read_uleb(body, pos + size)
    for _ in range(count):
        size, pos = read_uleb(body, pos)
        actors.append(body[pos : pos + size])
        pos += size
    count, pos = read_uleb(body, pos)
    specs = []
    for _ in range(count):
        spec, size = body[pos], body[pos + 1]
        if spec < 0x80 and size < 0x80:  # both fit in one byte: nearly always
            pos += 2
        else:
            spec, pos = read_uleb(body, pos)
            size, pos = read_uleb(body, pos)
        specs.append((spec, size))
    columns: dict[int, bytes] = {}
    for spec, size in specs:  # the columns' data follows their specifications
        column = spec & ~DEFLATE_BIT
        if column in _WANTED:
            data = body[pos : pos + size]
            if len(data) != size:
                raise ChangeFormatError("truncated change columns")
            columns[column] = zlib.decompress(data, -15) if spec & DEFLATE_BIT else data
        pos += size
    if pos > len(body):
        raise ChangeFormatError("truncated change columns")
    # Work on runs, not operations: a change's operations come in runs on one object.
    made: dict[int, ObjKey] = {}
    own, total = actors[0], 0
    for action, n in _uint_runs(columns.get(COL_ACTION, b"")):
        if action in MAKE_ACTIONS:
            for i in range(total, total + n):
                made[i] = (start_op + i, own)
        total += n
    actor_runs = _uint_runs(columns.get(COL_OBJ_ACTOR, b""))
    counter_runs = _uint_runs(columns.get(COL_OBJ_CTR, b""))
    segments = _segments(actor_runs, counter_runs, actors, total)
    return ChangeOps(segments, made, columns.get(COL_KEY_STR, b""))


def _segments(
    actor_runs: list[tuple[int | None, int]],
    counter_runs: list[tuple[int | None, int]],
    actors: list[bytes],
    total: int,
) -> list[tuple[ObjKey | None, int, int]]:
    """Merge the runs of the two object columns into runs of operations on one object."""
    if len(actor_runs) == 1 and actor_runs[0][1] >= total:
        # Every operation names an object of one actor (a change by the board's creator,
        # say): the counter runs alone tell the objects.
        actor = actor_runs[0][0]
        if actor is not None and actor >= len(actors):
            raise ChangeFormatError("operation names an unknown actor")
        name = None if actor is None else actors[actor]
        counter_runs = [*counter_runs, (None, total)]  # past the column's end: the root
        segments: list[tuple[ObjKey | None, int, int]] = []
        pos = 0
        previous: ObjKey | None = (-1, b"")  # no object
        for counter, n in counter_runs:
            if pos >= total:
                break
            step = min(total - pos, n)
            target = None if counter is None or name is None else (counter, name)
            if target == previous:
                segments[-1] = (target, segments[-1][1], pos + step)
            else:
                segments.append((target, pos, pos + step))
                previous = target
            pos += step
        return segments
    segments = []
    a = c = 0  # next run of each column
    a_left = c_left = 0
    actor = counter = None
    pos = 0
    while pos < total:
        if not a_left:
            actor, a_left = actor_runs[a] if a < len(actor_runs) else (None, total - pos)
            a += 1
        if not c_left:
            counter, c_left = counter_runs[c] if c < len(counter_runs) else (None, total - pos)
            c += 1
        step = min(a_left, c_left, total - pos)
        if actor is None or counter is None:
            target = None
        elif actor < len(actors):
            target = (counter, actors[actor])
        else:
            raise ChangeFormatError("operation names an unknown actor")
        if segments and segments[-1][0] == target and segments[-1][2] == pos:
            segments[-1] = (target, segments[-1][1], pos + step)
        else:
            segments.append((target, pos, pos + step))
        pos += step
        a_left -= step
        c_left -= step
    return segments


# Run-length encoded columns: a signed count n, then one value repeated n times (n > 0),
# -n literal values (n < 0), or an unsigned count of nulls (n == 0). Numbers are LEB128;
# the one-byte case is read inline, as it is nearly every number in a change.


def _uint_runs(data: bytes) -> list[tuple[int | None, int]]:
    """The runs ``(value, length)`` of an unsigned-integer column (None: null)."""
    out: list[tuple[int | None, int]] = []
    append = out.append
    pos, end = 0, len(data)
    while pos < end:
        byte = data[pos]
        if byte < 0x40:  # a one-byte positive count
            count, pos = byte, pos + 1
        elif byte < 0x80:  # a one-byte negative count
            count, pos = byte - 0x80, pos + 1
        else:
            count, pos = _sleb(data, pos)
        if count > 0:
            byte = data[pos]
            if byte < 0x80:
                append((byte, count))
                pos += 1
            else:
                value, pos = read_uleb(data, pos)
                append((value, count))
        elif count < 0:
            for _ in range(-count):
                byte = data[pos]
                if byte < 0x80:
                    append((byte, 1))
                    pos += 1
                else:
                    value, pos = read_uleb(data, pos)
                    append((value, 1))
        else:
            nulls, pos = read_uleb(data, pos)
            append((None, nulls))
    return out


def _string(data: bytes, pos: int) -> tuple[str, int]:
    size, pos = read_uleb(data, pos)
    end = pos + size
    if end > len(data):
        raise ChangeFormatError("truncated string in change")
    try:
        return bytes(data[pos:end]).decode("utf-8"), end
    except UnicodeDecodeError:
        raise ChangeFormatError("a key in the change is not UTF-8") from None


def read_uleb(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the LEB128 number at ``pos``; IndexError when the
    data ends inside it, ChangeFormatError when it is longer than 64 bits."""
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ChangeFormatError("number too long in change")


def _sleb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if byte & 0x40:
                result -= 1 << shift
            return result, pos
        if shift > 63:
            raise ChangeFormatError("number too long in change")


def _skip_leb(data: bytes, pos: int) -> int:
    while data[pos] & 0x80:
        pos += 1
    return pos + 1


def encode_uleb(n: int) -> bytes:
    """``n`` as an unsigned LEB128 number (automerge's integer encoding)."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
