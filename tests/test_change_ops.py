"""Reading a change's operations straight from its bytes (the receive path's decoder) gives
the same objects, keys and created objects as a plain column-by-column reading, for the
changes the real service makes (new and edited records, history appends, lists, removals,
concurrent edits by several members), whatever the decoder has seen before; and bytes that
are no change are refused with ChangeFormatError, never anything else."""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board import change_columns
from board.change_ops import ChangeFormatError, decode_ops, encode_uleb
from board.model import BoardError

from .test_convergence import exchange, make_copies, random_op
from .test_record_index import replicas

# ---------------------------------------------------------------------- plain reading
# Deliberately simple: every column expanded to one value per operation, no shortcuts.


def _uleb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _sleb(data: bytes, pos: int) -> tuple[int, int]:
    start = pos
    value, pos = _uleb(data, pos)
    bits = 7 * (pos - start)
    return (value - (1 << bits) if value >> (bits - 1) & 1 else value), pos


def _expand(data: bytes, read: Any) -> list[Any]:
    out: list[Any] = []
    pos = 0
    while pos < len(data):
        count, pos = _sleb(data, pos)
        if count > 0:
            value, pos = read(data, pos)
            out += [value] * count
        elif count < 0:
            for _ in range(-count):
                value, pos = read(data, pos)
                out.append(value)
        else:
            nulls, pos = _uleb(data, pos)
            out += [None] * nulls
    return out


def _text(data: bytes, pos: int) -> tuple[str, int]:
    size, pos = _uleb(data, pos)
    return data[pos : pos + size].decode(), pos + size


def split_chunk(chunk: bytes) -> tuple[bytes, list[tuple[int, bytes]], bytes]:
    """(header, [(column spec, data)], bytes after the columns) of a change chunk."""
    length, pos = _uleb(chunk, 9)
    body = chunk[pos : pos + length]
    if chunk[8] == 2:
        body = zlib.decompress(body, -15)
    count, pos = _uleb(body, 0)
    pos += 32 * count
    size, pos = _uleb(body, pos)
    pos += size
    for _ in range(3):  # seq, start op, time
        _, pos = _uleb(body, pos)
    size, pos = _uleb(body, pos)
    count, pos = _uleb(body, pos + size)
    for _ in range(count):
        size, pos = _uleb(body, pos)
        pos += size
    header = body[:pos]
    count, pos = _uleb(body, pos)
    specs = []
    for _ in range(count):
        spec, pos = _uleb(body, pos)
        size, pos = _uleb(body, pos)
        specs.append((spec, size))
    columns = []
    for spec, size in specs:
        columns.append((spec, body[pos : pos + size]))
        pos += size
    return header, columns, body[pos:]


def join_chunk(header: bytes, columns: list[tuple[int, bytes]], rest: bytes = b"") -> bytes:
    body = header + encode_uleb(len(columns))
    body += b"".join(encode_uleb(spec) + encode_uleb(len(data)) for spec, data in columns)
    body += b"".join(data for _, data in columns) + rest
    return b"\x85\x6f\x4a\x83" + b"\0\0\0\0" + b"\x01" + encode_uleb(len(body)) + body


def plain_actions(chunk: bytes) -> list[int | None]:
    _, columns, _ = split_chunk(chunk)
    data = {spec & ~8: zlib.decompress(raw, -15) if spec & 8 else raw for spec, raw in columns}
    return _expand(data.get(0x42, b""), _uleb)


def plain_reading(chunk: bytes) -> tuple[list[Any], list[Any], list[str | None]]:
    """(segments, made, key of every operation), read the simple way."""
    header, columns, _ = split_chunk(chunk)
    count, pos = _uleb(header, 0)
    pos += 32 * count
    size, pos = _uleb(header, pos)
    actors = [header[pos : pos + size]]
    _, pos = _uleb(header, pos + size)
    start_op, pos = _uleb(header, pos)
    _, pos = _uleb(header, pos)
    size, pos = _uleb(header, pos)
    count, pos = _uleb(header, pos + size)
    for _ in range(count):
        size, pos = _uleb(header, pos)
        actors.append(header[pos : pos + size])
        pos += size
    data = {}
    for spec, raw in columns:
        data[spec & ~8] = zlib.decompress(raw, -15) if spec & 8 else raw
    actions = _expand(data.get(0x42, b""), _uleb)
    objects = _expand(data.get(0x01, b""), _uleb)
    counters = _expand(data.get(0x02, b""), _uleb)
    keys = _expand(data.get(0x15, b""), _text)
    targets = []
    for i in range(len(actions)):
        actor = objects[i] if i < len(objects) else None
        counter = counters[i] if i < len(counters) else None
        targets.append(None if actor is None or counter is None else (counter, actors[actor]))
    segments: list[Any] = []
    for i, target in enumerate(targets):
        if segments and segments[-1][0] == target:
            segments[-1] = (target, segments[-1][1], i + 1)
        else:
            segments.append((target, i, i + 1))
    made = [(i, (start_op + i, actors[0])) for i, a in enumerate(actions) if a in (0, 2, 4, 6)]
    keys += [None] * (len(actions) - len(keys))
    return segments, made, keys[: len(actions)]


def fast_reading(chunk: bytes) -> tuple[list[Any], list[Any], list[str | None]]:
    ops = decode_ops(chunk)
    total = ops.segments[-1][2] if ops.segments else 0
    return ops.segments, ops.made, [ops.key(i) for i in range(total)]


# ---------------------------------------------------------------------- changes
def service_changes(tmp_path_factory: Any) -> Iterator[Any]:
    """Every change of three members' boards after random use, with partial exchanges
    (concurrent edits), removals, and edits of records other members made."""
    rng = random.Random(11)
    services = make_copies(tmp_path_factory.mktemp("ops"), 3)
    try:
        for step in range(70):
            svc = services[step % 3]
            random_op(svc, rng)
            if step % 7 == 3:
                exchange(svc, rng.choice(services), rng, partial=True)
        for svc in services:
            svc.add_focus("focus", "to remove")
            svc.remove_focus("focus", "to remove")
        try:
            services[0].remove_member("M2")
        except BoardError:
            pass
        for src in services:
            exchange(src, services[0], rng, partial=False)
        seen = set()
        for svc in services:
            for change in svc.doc.changes_since([]):
                if change.hash not in seen:
                    seen.add(change.hash)
                    yield change
    finally:
        for svc in services:
            svc.store.close()


def document_changes() -> Iterator[Any]:
    """Changes of plain board documents: nested lists replaced, maps in lists edited."""
    rng = random.Random(5)
    reps = replicas(rng, 3)
    for step in range(60):
        reps[step % 3].edit(logged=step % 4 != 0)
    seen = set()
    for rep in reps:
        for change in rep.doc.changes_since([]):
            if change.hash not in seen:
                seen.add(change.hash)
                yield change


@pytest.fixture(scope="module")
def chunks(tmp_path_factory: Any) -> list[bytes]:
    out = []
    for change in [*service_changes(tmp_path_factory), *document_changes()]:
        out += [change.raw_bytes, change.bytes]  # plain, and deflated when long enough
    return out


def forget() -> None:
    for memory in (change_columns._LAYOUTS, change_columns._MAKES, change_columns._ACTOR_RUNS):
        memory.clear()


def test_the_changes_cover_what_the_fast_reading_has_shortcuts_for(chunks: list[bytes]) -> None:
    readings = [plain_reading(c) for c in chunks]
    assert any(c[8] == 2 for c in chunks)  # deflated chunks
    assert any(len({t[1] for t, _, _ in segs if t}) > 1 for segs, _, _ in readings)  # actors
    assert any(len(made) > 3 for _, made, _ in readings)
    assert any(any(t is None for t, _, _ in segs) for segs, _, _ in readings)  # the root
    assert any(e - f > 1 and t for segs, _, _ in readings for t, f, e in segs)
    assert any(None in keys and any(keys) for _, _, keys in readings)  # list positions
    assert any(3 in plain_actions(c) for c in chunks)  # deletions


def test_fast_reading_equals_plain_reading_whatever_was_read_before(chunks: list[bytes]) -> None:
    forget()
    for chunk in chunks:  # first sight of each layout, actions, object actors
        assert fast_reading(chunk) == plain_reading(chunk)
    for chunk in reversed(chunks):  # remembered
        assert fast_reading(chunk) == plain_reading(chunk)
    forget()
    for chunk in chunks[1::2]:
        assert fast_reading(chunk) == plain_reading(chunk)


def test_deflated_and_reordered_columns_read_alike(chunks: list[bytes]) -> None:
    rng = random.Random(3)
    for chunk in chunks[::7]:
        header, columns, rest = split_chunk(chunk)
        deflated = [
            (spec | 8, zlib.compress(data)[2:-4]) if rng.random() < 0.5 else (spec, data)
            for spec, data in columns
        ]
        assert fast_reading(join_chunk(header, deflated, rest)) == plain_reading(chunk)
        # an extra column this reader does not know, in the middle
        extra = [*columns[:2], (0x36, b"\x01\x02"), *columns[2:]]
        assert fast_reading(join_chunk(header, extra, rest)) == plain_reading(chunk)


def _encode_sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40):
            return bytes(out + bytes([byte]))
        out.append(byte | 0x80)


def _encode_runs(values: list[int | None]) -> bytes:
    """An unsigned column: repeats, literal runs and null runs, as automerge writes them."""
    out, i = b"", 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        if values[i] is None:
            out += b"\x00" + encode_uleb(j - i)
        elif j - i > 1:
            out += _encode_sleb(j - i) + encode_uleb(values[i])  # type: ignore[arg-type]
        else:
            while j < len(values) and values[j] is not None and values[j] != values[j - 1]:
                if j + 1 < len(values) and values[j + 1] == values[j]:
                    break
                j += 1
            out += _encode_sleb(i - j) + b"".join(encode_uleb(v) for v in values[i:j])  # type: ignore[arg-type]
        i = j
    return out


def shifted(chunk: bytes, by: int) -> bytes:
    """The change as if the document had ``by`` more operations before it: its start op
    and every object counter of its own actor moved up (objects of other actors stay)."""
    header, columns, rest = split_chunk(chunk)
    count, pos = _uleb(header, 0)
    pos += 32 * count
    size, pos = _uleb(header, pos)
    _, pos = _uleb(header, pos + size)
    start = pos
    start_op, pos = _uleb(header, pos)
    header = header[:start] + encode_uleb(start_op + by) + header[pos:]
    data = dict(columns)
    actors = _expand(data.get(0x01, b""), _uleb)
    counters = _expand(data.get(0x02, b""), _uleb)
    moved = [c + by if c is not None and a == 0 else c for a, c in zip(actors, counters)]
    return join_chunk(
        header, [(s, _encode_runs(moved) if s == 0x02 else d) for s, d in columns], rest
    )


def test_changes_of_long_histories_read_alike(chunks: list[bytes]) -> None:
    """Object counters of two, three, four and more bytes (boards of many operations)."""
    plain_chunks = [c for c in chunks if c[8] == 1]
    for by in (200, 20_000, 3_000_000, 1 << 40):
        for chunk in plain_chunks[::3]:
            moved = shifted(chunk, by)
            segments, made, keys = plain_reading(moved)
            assert fast_reading(moved) == (segments, made, keys)
            assert made == [(i, (c + by, a)) for i, (c, a) in plain_reading(chunk)[1]]


def test_a_change_claiming_more_operations_than_any_peer_makes_is_refused(
    chunks: list[bytes],
) -> None:
    header, columns, rest = split_chunk(chunks[0])
    huge = encode_uleb(1 << 40)  # a repeated action, or a run of null keys, this long
    for spec, data in ((0x42, huge + b"\x00"), (0x15, b"\x00" + huge)):
        swapped = [(s, data if s == spec else d) for s, d in columns]
        with pytest.raises(ChangeFormatError):
            ops = decode_ops(join_chunk(header, swapped, rest))
            ops.key(0)


@settings(max_examples=300, deadline=None)
@given(
    pick=st.integers(0, 10_000),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 10_000),
)
def test_damaged_changes_are_refused_cleanly_or_read_alike(
    chunks: list[bytes], pick: int, edits: list[tuple[int, int]], cut: int
) -> None:
    chunk = bytearray(chunks[pick % len(chunks)])
    for at, value in edits:
        chunk[at % len(chunk)] = value
    damaged = bytes(chunk[: max(10, len(chunk) - cut % 40)])
    try:
        ops = decode_ops(damaged)
        total = ops.segments[-1][2] if ops.segments else 0
        for index in range(min(total, 200)):
            ops.key(index)
    except ChangeFormatError:
        return
    try:
        plain = plain_reading(damaged)
    except Exception:  # noqa: BLE001 (the plain reading is no judge of damaged bytes)
        return
    if total <= 200:
        assert fast_reading(damaged) == plain
