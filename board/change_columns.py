"""The columns of an automerge change chunk, decoded as cheaply as Python allows.

:mod:`board.change_ops` asks, for every change a peer sends, which object each operation
writes to and which operations create objects. This module reads the change's header and
just those columns (``objActor``, ``objCtr``, ``keyStr``, ``action``; automerge binary
format, "change chunk"). It is on the receive path of every sync, so it is written for
speed: one-byte numbers (nearly every number in a change) are read inline, the counter
column is turned into runs of operations on one object as it is read, and what changes
made by one use case share (their column layout, their actions, their object actors) is
decoded once per distinct value (see :func:`_remember`).

Run-length encoded columns: a signed count n, then one value repeated n times (n > 0),
-n literal values (n < 0), or an unsigned count of nulls (n == 0). Numbers are LEB128.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from typing import TypeVar

# Column specifications: (column id << 4) | type; bit 3 marks a deflated column.
COL_OBJ_ACTOR = 0x01
COL_OBJ_CTR = 0x02
COL_KEY_STR = 0x15
COL_ACTION = 0x42
DEFLATE_BIT = 0x08
LEB128 = rb"(?:[\x80-\xff]*[\x00-\x7f])"  # one number, as a regular expression
# Operations in one change: more is no change a peer made (and would take memory
# without bound to list); such a change is refused (the caller then looks at everything).
MOST_OPS = 1 << 20

# Actions that create an object; its id is the operation's own id.
MAKE_ACTIONS = frozenset({0, 2, 4, 6})  # makeMap, makeList, makeText, makeTable

ObjKey = tuple[int, bytes]
_T = TypeVar("_T")


class ChangeFormatError(ValueError):
    """The bytes are not an automerge change this decoder understands."""


# ---------------------------------------------------------------------- remembering
# Decoding is a function of the bytes alone, so a remembered result is the result. The
# memories are small and bounded (cleared when full); long values are not kept (big
# changes seldom repeat).
_MEMORY_SIZE = 256
_LONGEST_KEPT = 64


def _remember(memory: dict[bytes, _T], key: bytes, value: _T) -> _T:
    if len(key) <= _LONGEST_KEPT:
        if len(memory) >= _MEMORY_SIZE:
            memory.clear()
        memory[key] = value
    return value


# ---------------------------------------------------------------------- header
def read_header(body: bytes) -> tuple[list[bytes], int, int]:
    """The actors (the change's own first), the start op and where the column
    specifications begin, from the body of a change chunk: dependencies, actor, seq,
    start op, time, message, other actors."""
    count = body[0]
    if count < 0x80:
        pos = 1 + 32 * count
    else:
        count, pos = read_uleb(body, 0)
        pos += 32 * count
    size = body[pos]
    if size < 0x80:
        pos += 1
    else:
        size, pos = read_uleb(body, pos)
    actors = [body[pos : pos + size]]
    pos += size
    while body[pos] & 0x80:  # sequence number
        pos += 1
    start_op, pos = read_uleb(body, pos + 1)
    while body[pos] & 0x80:  # time
        pos += 1
    size = body[pos + 1]  # message
    if size < 0x80:
        pos += 2 + size
    else:
        size, pos = read_uleb(body, pos + 1)
        pos += size
    count = body[pos]
    if count < 0x80:
        pos += 1
    else:
        count, pos = read_uleb(body, pos)
    for _ in range(count):
        size, pos = read_uleb(body, pos)
        actors.append(body[pos : pos + size])
        pos += size
    return actors, start_op, pos


# ---------------------------------------------------------------------- columns
# A column layout: where each wanted column's data is, from the start of the columns'
# data (object actor, object counter, key, action: start and end of each); which of them
# are deflated (None: none); the size of all the columns' data.
_Layout = tuple[tuple[int, ...], tuple[bool, ...] | None, int]
_LAYOUTS: dict[bytes, _Layout] = {}  # column specifications -> layout
_SPEC_PATTERNS: dict[int, re.Pattern[bytes]] = {}  # number of columns -> their specs
_SLOTS = {COL_OBJ_ACTOR: 0, COL_OBJ_CTR: 1, COL_KEY_STR: 2, COL_ACTION: 3}
_SLOTS.update({spec | DEFLATE_BIT: slot for spec, slot in _SLOTS.items()})


def read_columns(body: bytes, pos: int) -> tuple[bytes, ...]:
    """The object actor, object counter, key and action columns (inflated; empty when
    absent) of a change body whose column specifications begin at ``pos``."""
    count = body[pos]
    if count < 0x80:
        pos += 1
    else:
        count, pos = read_uleb(body, pos)
    layout = None
    if count <= 32:  # the specifications are 2 * count numbers: find where they end
        pattern = _SPEC_PATTERNS.get(count)
        if pattern is None:
            pattern = _SPEC_PATTERNS[count] = re.compile(LEB128 + b"{%d}" % (2 * count))
        found = pattern.match(body, pos)
        if found is not None:
            end = found.end()
            specs = body[pos:end]
            layout = _LAYOUTS.get(specs)
            if layout is None:
                layout = _remember(_LAYOUTS, specs, _layout(body, pos, count)[0])
            pos = end
    if layout is None:
        layout, pos = _layout(body, pos, count)
    (a, b, c, d, e, f, g, h), deflated, size = layout
    if pos + size > len(body):  # the columns' data follows their specifications
        raise ChangeFormatError("truncated change columns")
    columns = (
        body[pos + a : pos + b],
        body[pos + c : pos + d],
        body[pos + e : pos + f],
        body[pos + g : pos + h],
    )
    if deflated is None:
        return columns
    return tuple(zlib.decompress(x, -15) if z else x for x, z in zip(columns, deflated))


def _layout(body: bytes, pos: int, count: int) -> tuple[_Layout, int]:
    """The layout of the ``count`` column specifications at ``pos``, and where they end."""
    spans = [0] * 8
    deflated = [False] * 4
    seen = [False] * 4
    offset = 0
    for _ in range(count):
        spec = body[pos]
        size = body[pos + 1]
        if size < 0x80 and spec < 0x80:  # both fit in one byte: nearly always
            pos += 2
        else:
            spec, pos = read_uleb(body, pos)
            size, pos = read_uleb(body, pos)
        slot = _SLOTS.get(spec)
        if slot is not None:
            if seen[slot]:
                raise ChangeFormatError("a column twice in change")
            seen[slot] = True
            spans[2 * slot], spans[2 * slot + 1] = offset, offset + size
            deflated[slot] = bool(spec & DEFLATE_BIT)
        offset += size
    return (tuple(spans), tuple(deflated) if any(deflated) else None, offset), pos


# ---------------------------------------------------------------------- actions
_MAKES: dict[bytes, tuple[tuple[int, ...], int]] = {}


def made_ops(actions: bytes) -> tuple[tuple[int, ...], int]:
    """The indexes of the operations that create an object, and the number of
    operations, from the action column."""
    known = _MAKES.get(actions)
    if known is not None:
        return known
    made: list[int] = []
    pos = total = 0
    end = len(actions)
    while pos < end:
        count, pos = read_sleb(actions, pos)
        if count > 0:  # one action repeated
            action, pos = read_uleb(actions, pos)
            if total + count > MOST_OPS:
                raise ChangeFormatError("too many operations in change")
            if action in MAKE_ACTIONS:
                made.extend(range(total, total + count))
            total += count
        elif count < 0:  # literal actions
            for index in range(total, total - count):
                action, pos = read_uleb(actions, pos)
                if action in MAKE_ACTIONS:
                    made.append(index)
            total -= count
        else:  # null actions
            nulls, pos = read_uleb(actions, pos)
            total += nulls
        if total > MOST_OPS:
            raise ChangeFormatError("too many operations in change")
    return _remember(_MAKES, actions, (tuple(made), total))


# ---------------------------------------------------------------------- objects
_ACTOR_RUNS: dict[bytes, tuple[tuple[int | None, int], ...]] = {}


def actor_runs(column: bytes) -> tuple[tuple[int | None, int], ...]:
    """The runs ``(actor index, length)`` of the object actor column (None: null)."""
    known = _ACTOR_RUNS.get(column)
    if known is None:
        known = _remember(_ACTOR_RUNS, column, tuple(uint_runs(column)))
    return known


def segments(
    actor_runs: Iterable[tuple[int | None, int]],
    counters: bytes,
    actors: list[bytes],
    total: int,
) -> list[tuple[ObjKey | None, int, int]]:
    """Runs of operations on one object ``(object, first, end)``, from the runs of the
    object actor column and the object counter column (decoded as it goes: no list of
    its runs is built). Past the end of a column, operations are on the root (None)."""
    out: list[tuple[ObjKey | None, int, int]] = []
    append = out.append
    last: ObjKey | None = (-1, b"")  # the object of the last segment: none yet
    actor_left = iter(actor_runs)
    name: bytes | None = None  # the actor of the current run of object actors
    actor_end = 0  # where that run ends
    pos = at = literals = 0  # operation; position in the counter column; literals left
    stop = len(counters)
    counter: int | None
    while pos < total:
        if literals:  # inside a run of literal counters
            literals -= 1
            counter, at = read_uleb(counters, at)
            end = pos + 1
        elif at < stop:
            count = counters[at]
            if count < 0x40:  # a one-byte positive count
                at += 1
            elif count < 0x80:  # a one-byte negative count
                count -= 0x80
                at += 1
            else:
                count, at = read_sleb(counters, at)
            if count:
                value = counters[at]  # inline: one counter per run, most of 3 bytes
                if value < 0x80:
                    at += 1
                elif counters[at + 1] < 0x80:
                    value = (value & 0x7F) | counters[at + 1] << 7
                    at += 2
                elif counters[at + 2] < 0x80:
                    value = (value & 0x7F) | (counters[at + 1] & 0x7F) << 7 | counters[at + 2] << 14
                    at += 3
                else:
                    value, at = read_uleb(counters, at)
                counter = value
                if count > 0:
                    end = pos + count
                else:
                    literals, end = -count - 1, pos + 1
            else:
                counter = None
                count, at = read_uleb(counters, at)
                if not count:  # no operations: no segment
                    continue
                end = pos + count
        else:  # past the column's end
            counter, end = None, total
        if end > total:  # noqa: PLR1730 (min() is a call: this loop runs per run)
            end = total
        while end > actor_end:  # the run reaches past this run of object actors
            if pos < actor_end:
                target = None if name is None or counter is None else (counter, name)
                if target == last:
                    out[-1] = (target, out[-1][1], actor_end)
                else:
                    append((target, pos, actor_end))
                    last = target
                pos = actor_end
            actor, count = next(actor_left, (None, total))
            actor_end = pos + count
            if actor is None:
                name = None
            elif actor < len(actors):
                name = actors[actor]
            else:
                raise ChangeFormatError("operation names an unknown actor")
        target = None if name is None or counter is None else (counter, name)
        if target == last:
            out[-1] = (target, out[-1][1], end)
        else:
            append((target, pos, end))
            last = target
        pos = end
    if literals or at < stop:  # counters past the last operation: still a column
        for _ in range(literals):
            _, at = read_uleb(counters, at)
        uint_runs(counters[at:])
    return out


def uint_runs(data: bytes) -> list[tuple[int | None, int]]:
    """The runs ``(value, length)`` of an unsigned-integer column (None: null)."""
    out: list[tuple[int | None, int]] = []
    append = out.append
    pos, end = 0, len(data)
    while pos < end:
        count, pos = read_sleb(data, pos)
        if count > 0:
            value, pos = read_uleb(data, pos)
            append((value, count))
        elif count < 0:
            for _ in range(-count):
                value, pos = read_uleb(data, pos)
                append((value, 1))
        else:
            nulls, pos = read_uleb(data, pos)
            append((None, nulls))
    return out


# ---------------------------------------------------------------------- numbers
def read_uleb(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the LEB128 number at ``pos``; IndexError when the
    data ends inside it, ChangeFormatError when it is longer than 64 bits."""
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    result = byte & 0x7F
    byte = data[pos + 1]
    if byte < 0x80:
        return result | byte << 7, pos + 2
    result |= (byte & 0x7F) << 7
    byte = data[pos + 2]
    if byte < 0x80:  # counters of up to two million operations: most object ids
        return result | byte << 14, pos + 3
    result |= (byte & 0x7F) << 14
    pos, shift = pos + 3, 21
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ChangeFormatError("number too long in change")


def read_sleb(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the signed LEB128 number at ``pos`` (errors as
    :func:`read_uleb`)."""
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
