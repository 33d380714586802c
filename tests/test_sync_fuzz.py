"""Fuzzing a listening peer: over ten thousand malformed, truncated and oversize frames,
garbage in and instead of the TLS handshake, and garbage automerge payloads from a real
member. Nothing may crash or hang, the board must not change, and the peer must go on
serving an honest member. A second test sends changes that are garbage inside but carry a
valid checksum, which reach automerge's change parser (see :mod:`sync.change_check`).

Where the inputs go (seeded, see ``SEED``):

- ``HANDSHAKES`` raw TCP connections to the node's port, each with garbage instead of or
  inside a TLS handshake (mutated and truncated real ClientHellos, bogus TLS records,
  cleartext frames) — before authentication;
- ``STRANGERS`` TLS connections with a certificate that is not a member's;
- ``MEMBER_FRAMES`` authenticated TLS connections as a real member, each carrying one
  hostile frame as the first frame (a garbage hello) or after a valid hello;
- ``IN_MEMORY`` hostile frames through the same decoding and session code in memory
  (``protocol.read_frame`` on a stream, then ``SyncSession`` over the live board).

Each member connection is followed by a zero filler longer than the node's largest frame,
so a frame left half-read is always completed: the node must then close the connection on
its own, and a connection still open after ``DEADLINE`` is a hang.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from board.workspace import Workspace
from sync import protocol
from sync.identity import Identity
from sync.limits import Limits
from sync.node import SyncNode
from sync.port import ServicePort
from sync.protocol import HEADER, PROTOCOL_VERSION, Bye, Hello, ProtocolError
from sync.session import SyncSession
from sync.transport import Trust, connect
from tests.fuzz_frames import BadFrame, FrameFuzzer, Seeds
from tests.test_sync_team import (
    LOOPBACK,
    eventually,
    invite_and_join,
    round_with,
    tables,
)

SEED = int(os.environ.get("TEAMBOARD_FUZZ_SEED", "20260307"))
SCALE = float(os.environ.get("TEAMBOARD_FUZZ_SCALE", "1"))  # >1 for a longer hunt by hand
IN_MEMORY = int(10_000 * SCALE)
HANDSHAKES = int(1_000 * SCALE)
STRANGERS = int(50 * SCALE)
MEMBER_FRAMES = int(1_200 * SCALE)
AT_ONCE = 12  # connections in flight together
DEADLINE = 60.0  # seconds one connection may stay open after its hostile input: a hang
# Small frame caps make a half-read frame cheap to complete with the filler; the idle
# timeout is longer than DEADLINE, so a node waiting for bytes that never come would show
# up as a hang instead of being rescued by its idle timeout.
LIMITS = Limits(
    max_frame=32 * 1024,
    max_hello=4 * 1024,
    handshake_timeout=DEADLINE,
    idle_timeout=120.0,
    ping_interval=30.0,
    max_failed_handshakes=1_000_000,  # every fuzz peer is 127.0.0.1
)
FILLER = bytes(LIMITS.max_frame + HEADER.size)


class Fuzzing(NamedTuple):
    """Ana's board, Ben who joined it by invite, and hostile input made from its frames."""

    ana: Workspace
    ben: Workspace
    ben_trust: Trust  # Ben's side of a connection to Ana
    seeds: Seeds
    fuzzer: FrameFuzzer


async def two_members_fuzzing(tmp_path: Path, goals: int) -> Fuzzing:
    """Ana's board with ``goals`` goals, Ben joined, and a fuzzer seeded with ``SEED`` on
    real frames of that board (Ben's hello, its changes, a snapshot)."""
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    for i in range(goals):
        ana.service.add_goal(f"goal {i}", confidence=i + 1)
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
    ben_trust = Trust(ben.identity, [ana.identity.cert_pem])
    hello = Hello(
        PROTOCOL_VERSION, ana.service.team().id, ben.service.me, tuple(ana.service.doc.heads())
    )
    seeds = Seeds.from_board(ana.service.doc.doc, hello, ben_trust.client_context())
    fuzzer = FrameFuzzer(random.Random(SEED), seeds, LIMITS.max_frame, LIMITS.max_hello)
    return Fuzzing(ana, ben, ben_trust, seeds, fuzzer)


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What teamboard logged as an error: a crash that a handler caught."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith("teamboard")
    ]


async def fuzz_frames_in_memory(
    fuzzer: FrameFuzzer, ana: Workspace, seeds: Seeds, count: int
) -> Counter[str]:
    """Feed ``count`` hostile inputs through read_frame and a SyncSession on Ana's board;
    returns how each ended. Anything but a ProtocolError (or a clean end) fails the test."""
    outcomes: Counter[str] = Counter()
    port = ServicePort(ana.service)
    team_id = ana.service.team().id

    async def one(bad: BadFrame) -> str:
        reader = asyncio.StreamReader()
        reader.feed_data(bad.data)
        reader.feed_eof()
        session = SyncSession(port, team_id, ana.service.me)
        session.start()
        if bad.after_hello:
            session.receive(seeds.hello)
        limit = LIMITS.max_frame if bad.after_hello else LIMITS.max_hello
        try:
            while True:
                frames = [await protocol.read_frame(reader, limit)]
                limit = LIMITS.max_frame
                if fuzzer.rnd.random() < 0.3:  # sometimes what follows too, as one batch
                    try:
                        while True:
                            frames.append(await protocol.read_frame(reader, limit))
                    except (ProtocolError, asyncio.IncompleteReadError):
                        pass
                session.receive_batch(frames)
        except ProtocolError as exc:
            return f"refused ({type(exc).__name__})"
        except asyncio.IncompleteReadError:
            return "accepted"

    for _ in range(count):
        bad = fuzzer.frame()
        try:
            outcomes[await one(bad)] += 1
        except BaseException as exc:  # a crash (a Rust panic is a BaseException): report it
            if isinstance(exc, (KeyboardInterrupt, SystemExit, asyncio.CancelledError)):
                raise
            raise AssertionError(
                f"a {bad.kind} input crashed the session code: {exc!r}; data={bad.data[:200]!r}"
            ) from exc
    return outcomes


async def read_to_the_end(reader: asyncio.StreamReader) -> str:
    """Read frames until the peer closes; returns its goodbye reason (or how it ended)."""
    reason = "closed without a goodbye"
    while True:
        try:
            frame = await protocol.read_frame(reader)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return reason
        except ProtocolError:
            return "garbled end"
        if isinstance(frame, Bye):
            reason = frame.reason


async def hostile_member(port: int, trust: Trust, seeds: Seeds, bad: BadFrame) -> str:
    conn = await connect("127.0.0.1", port, trust, limits=LIMITS)
    writer = conn._writer
    try:
        if bad.after_hello:
            writer.write(protocol.encode(seeds.hello))
        writer.write(bad.data + FILLER)
        try:
            return await asyncio.wait_for(read_to_the_end(conn._reader), DEADLINE)
        except TimeoutError:
            raise AssertionError(
                f"the node hung on a {bad.kind} frame: {bad.data[:200]!r}"
            ) from None
    finally:
        writer.transport.abort()


async def hostile_handshake(port: int, data: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        writer.write_eof()
        try:
            await asyncio.wait_for(reader.read(), DEADLINE)
        except ConnectionError:
            pass
        except TimeoutError:
            raise AssertionError(f"the node hung on handshake bytes {data[:100]!r}") from None
    finally:
        writer.transport.abort()


async def stranger(port: int, trust: Trust, seeds: Seeds) -> None:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=trust.client_context(), server_hostname=""
    )
    try:
        writer.write(protocol.encode(seeds.hello))
        try:
            got = await asyncio.wait_for(reader.read(), DEADLINE)
        except (ConnectionError, OSError):
            got = b""
        assert got == b"", "a stranger was told something"
    finally:
        writer.transport.abort()


async def in_batches(jobs: list[Any], at_once: int = AT_ONCE) -> list[Any]:
    results: list[Any] = []
    for start in range(0, len(jobs), at_once):
        results += await asyncio.gather(*jobs[start : start + at_once])
    return results


async def test_fuzzed_frames_neither_crash_nor_hang_nor_change_the_board(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard")
    loop = asyncio.get_running_loop()
    unhandled: list[str] = []  # exceptions that escaped every handler: crashes
    loop.set_exception_handler(
        lambda _loop, ctx: unhandled.append(f"{ctx.get('message')} {ctx.get('exception')!r}")
    )
    ana, ben, ben_trust, seeds, fuzzer = await two_members_fuzzing(tmp_path, goals=5)
    before = (ana.store.change_count(), sorted(ana.service.doc.heads()), tables(ana.service))

    # 1. In memory: the decoding and session code, on the live board.
    in_memory = await fuzz_frames_in_memory(fuzzer, ana, seeds, IN_MEMORY)

    # 2. Over sockets, against a listening node.
    node = SyncNode(ana.service, ana.identity, interfaces=LOOPBACK, discovery=False, limits=LIMITS)
    await node.start()
    try:
        await in_batches(
            [hostile_handshake(node.port, fuzzer.handshake()) for _ in range(HANDSHAKES)]
        )
        outsider = Trust(Identity.generate(), [ana.identity.cert_pem])
        await in_batches([stranger(node.port, outsider, seeds) for _ in range(STRANGERS)])
        await round_with(ben, node)  # still serving (Ben has nothing new: no change)
        bad_frames = [fuzzer.frame() for _ in range(MEMBER_FRAMES)]
        reasons = await in_batches(
            [hostile_member(node.port, ben_trust, seeds, bad) for bad in bad_frames]
        )
        assert node.server is not None
        server = node.server
        assert await eventually(lambda: not server.connections and not node.links, DEADLINE)

        crashed = unhandled + logged_errors(caplog)
        assert not crashed, crashed[:5]
        after = (ana.store.change_count(), sorted(ana.service.doc.heads()), tables(ana.service))
        assert after == before, "the board changed"

        # The node still serves an honest member: a real sync round, both ways.
        ben.service.add_goal("after the storm")
        await round_with(ben, node)
        assert "after the storm" in {g.title for g in ana.service.list("goals")}
    finally:
        await node.stop()
        loop.set_exception_handler(None)
    why = Counter(re.sub(r"\d+", "N", r)[:60] for r in reasons)
    print(
        f"\nfuzz seed {SEED}: {sum(in_memory.values())} frames in memory {dict(in_memory)}; "
        f"over sockets {HANDSHAKES} bad handshakes, {STRANGERS} strangers, "
        f"{MEMBER_FRAMES} member frames {dict(Counter(b.kind for b in bad_frames))}; "
        f"the node's reasons for closing: {why.most_common(8)}"
    )


GARBAGE_IN_MEMORY = 1_500
GARBAGE_OVER_SOCKETS = 150


async def test_garbage_changes_with_valid_checksums_are_refused_whole_or_taken_never_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Changes that are garbage inside but pass automerge's checksum reach its change
    parser. automerge ignores most, rejects some, takes a few as they are (a valid change
    is any member's edit, see the signed-authorship work), and some used to make it panic
    or leave a document that cannot save a loadable copy. Each batch must end as a
    refusal that leaves the board exactly as it was, or be taken; never a crash."""
    caplog.set_level(logging.INFO, "teamboard")
    ana, ben, ben_trust, seeds, fuzzer = await two_members_fuzzing(tmp_path, goals=4)
    team_id = ana.service.team().id

    def state() -> tuple[int, list[bytes]]:
        return ana.store.change_count(), sorted(ana.service.doc.heads())

    outcomes: Counter[str] = Counter()
    port = ServicePort(ana.service)
    for _ in range(GARBAGE_IN_MEMORY):
        session = SyncSession(port, team_id, ana.service.me)
        session.start()
        session.receive(Hello(PROTOCOL_VERSION, team_id, ben.service.me, ()))
        before = state()
        try:
            session.receive(fuzzer.checksummed_changes())
        except ProtocolError as exc:
            why = str(exc).split(":")[0]
            if why in (
                "peer sent inconsistent changes",
                "peer sent changes that break the document",
            ):
                assert state() == before, f"a refused batch left something behind: {exc}"
            else:  # automerge's own refusal: what went in before it (checked) is kept
                assert state()[0] == len(ana.service.doc.changes_since([]))
            outcomes["refused: " + why] += 1
        else:
            outcomes["taken" if state() != before else "ignored"] += 1
    assert outcomes["refused: peer sent inconsistent changes"] > 0  # the check was reached

    # Over sockets: the node stays up. Garbage it takes may rewrite the member list (it
    # is a member's edit), so the node trusts Ben's certificate regardless.
    node = SyncNode(
        ana.service,
        ana.identity,
        interfaces=LOOPBACK,
        discovery=False,
        limits=LIMITS,
        extra_trust=[ben.identity.cert_pem],
        team_id=team_id,
    )
    await node.start()
    try:
        bad = [
            BadFrame("checksummed garbage", protocol.encode(fuzzer.checksummed_changes()), True)
            for _ in range(GARBAGE_OVER_SOCKETS)
        ]
        await in_batches([hostile_member(node.port, ben_trust, seeds, b) for b in bad])
        crashed = logged_errors(caplog)
        assert not crashed, crashed[:5]
        conn = await connect("127.0.0.1", node.port, ben_trust, limits=LIMITS)
        assert isinstance(await conn.read_frame(), Hello)  # still answering members
        await conn.close()
        assert len(ana.service.doc.changes_since([])) == ana.store.change_count()
    finally:
        await node.stop()
    panics = outcomes["refused: peer sent changes that break the document"] + sum(
        "break the document" in r.getMessage() for r in caplog.records
    )
    print(
        f"\nchecksummed garbage changes: {GARBAGE_IN_MEMORY} in memory {dict(outcomes)}; "
        f"{GARBAGE_OVER_SOCKETS} over sockets; automerge panics refused: {panics}"
    )
