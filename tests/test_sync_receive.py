"""Receiving from a peer: frames that arrive together are checked, applied and stored as
one batch, durably, before anything is answered (each sync message in turn); what an acknowledged batch carried
survives `kill -9`; a batch that fails part way keeps what it had applied."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from automerge import core as am

from board.workspace import DB_FILE, Workspace
from sync import protocol as p
from sync.background import BackgroundSync
from sync.port import ServicePort
from sync.session import SessionError, SyncSession
from sync.transport import Trust, connect

from .signing import sign_with, signed, sync_messages
from .test_sync_team import LOOPBACK, PATIENCE, eventually


def two_members(root: Path) -> tuple[Workspace, Workspace]:
    """Ana's board, and Ben's home holding a copy of it (as after joining)."""
    ana = Workspace.init(root / "ana", "Orbit", "Ana")
    ben = Workspace.create(root / "ben")
    ana.service.add_member(ben.identity.member_id, "Ben", ben.identity.cert_pem, ana.service.me)
    ben.service.apply_remote([(c.bytes, "", b"") for c in ana.service.doc.changes_since([])])
    return ana, ben


def new_goals(ana: Workspace, count: int) -> list[bytes]:
    """Ana adds ``count`` goals; their raw changes."""
    before = ana.service.doc.heads()
    for i in range(count):
        ana.service.add_goal(f"offline goal {i}")
    return [c.bytes for c in ana.service.doc.changes_since(before)]


def stored_hashes(home: Path) -> set[str]:
    """The change hashes another connection (or the next process) finds in the file."""
    with sqlite3.connect(home / DB_FILE) as conn:
        return {row[0] for row in conn.execute("SELECT hash FROM changes")}


def ben_session(ana: Workspace, ben: Workspace) -> SyncSession:
    """Ben's session with Ana, past the hellos."""
    session = SyncSession(ServicePort(ben.service), ana.service.team().id, ben.service.me)
    session.start()
    session.receive(p.Hello(p.PROTOCOL_VERSION, ana.service.team().id, ana.service.me, ()))
    return session


def test_frames_that_arrive_together_are_stored_before_each_answer(
    tmp_path: Path,
) -> None:
    ana, ben = two_members(tmp_path)
    changes = new_goals(ana, 30)
    hashes = {c.hash.hex() for c in ana.service.doc.changes_since([])}
    session = ben_session(ana, ben)
    port = session.port
    assert isinstance(port, ServicePort)
    batches: list[int] = []
    seen_at_answer: list[set[str]] = []
    receive, generate = ben.service.receive_changes, port.generate_sync_message

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        batches.append(len(args[0]))
        return receive(*args, **kwargs)

    def answering(state: am.SyncState) -> bytes | None:
        seen_at_answer.append(stored_hashes(ben.home))  # what a crash now would keep
        return generate(state)

    ben.service.receive_changes = counting  # type: ignore[method-assign]
    port.generate_sync_message = answering  # type: ignore[method-assign]
    pushed = p.Changes(signed(ana, changes[20:]))
    replies = session.receive_batch([pushed, *sync_messages(ana, changes[:20], per_frame=5)])

    # The push rides with the first sync message in one commit; each sync message is
    # then stored and answered in turn, so the peer always learns our new heads.
    assert batches == [15, 5, 5, 5]
    assert replies and all(isinstance(r, p.SyncMessage) for r in replies)
    assert len(seen_at_answer) == 4 and hashes <= seen_at_answer[-1]  # stored, then answered
    titles = {row["title"] for row in ben.store.rows("SELECT title FROM goals")}
    assert {f"offline goal {i}" for i in range(30)} <= titles


def test_a_batch_that_fails_part_way_keeps_what_it_applied_and_is_refused(tmp_path: Path) -> None:
    ana, ben = two_members(tmp_path)
    changes = new_goals(ana, 5)
    newer = ana.service.doc.doc.fork()
    newer.set_actor(ana.identity.actor)
    with newer.transaction() as tx:  # written by a teamboard from the future
        tx.put(am.ROOT, "schema", am.ScalarType.Int, 99)
    bump = newer.get_changes(ana.service.doc.heads())[0].bytes
    session = ben_session(ana, ben)
    with pytest.raises(SessionError):
        session.receive_batch(
            [*sync_messages(ana, changes, per_frame=5), p.Changes((sign_with(ana.identity, bump),))]
        )
    # Everything that entered the document before the refusal is stored too: the board
    # in memory and the one the next process opens never disagree.
    in_memory = {c.hash.hex() for c in ben.service.doc.changes_since([])}
    assert {c.hash.hex() for c in ana.service.doc.changes_since([])} < in_memory
    assert stored_hashes(ben.home) == in_memory


RECEIVER = """
import sys
from pathlib import Path
from board.workspace import Workspace
from sync import protocol as p
from sync.port import ServicePort
from sync.session import SyncSession

home, team, peer, frames = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]).read_bytes()
ws = Workspace.open(home)
session = SyncSession(ServicePort(ws.service), team, ws.service.me)
session.start()
session.receive(p.Hello(p.PROTOCOL_VERSION, team, peer, ()))
batch, pos = [], 0
while pos < len(frames):
    size = int.from_bytes(frames[pos : pos + 4], "big")
    batch.append(p.decode(frames[pos : pos + 4 + 1 + size]))
    pos += 4 + 1 + size
replies = session.receive_batch(batch)
print("acknowledged", len(replies), flush=True)  # as the node sends the answer now
sys.stdin.read()  # wait to be killed
"""


def test_an_acknowledged_batch_survives_kill_9(tmp_path: Path) -> None:
    ana, ben = two_members(tmp_path)
    changes = new_goals(ana, 200)
    frames = tmp_path / "frames.bin"
    frames.write_bytes(b"".join(p.encode(f) for f in sync_messages(ana, changes, per_frame=40)))
    ben.close()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            RECEIVER,
            str(ben.home),
            ana.service.team().id,
            ana.service.me,
            str(frames),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.startswith("acknowledged"), child.stderr.read() if child.stderr else line
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=PATIENCE)
    assert child.returncode == -signal.SIGKILL
    again = Workspace.open(ben.home)
    wanted = {c.hash.hex() for c in ana.service.doc.changes_since([])}
    assert wanted <= stored_hashes(ben.home)
    assert sorted(again.service.doc.heads()) == sorted(ana.service.doc.heads())
    titles = {row["title"] for row in again.store.rows("SELECT title FROM goals")}
    assert {f"offline goal {i}" for i in range(200)} <= titles
    again.close()


async def test_frames_that_queue_up_while_a_node_is_busy_are_stored_together(
    tmp_path: Path,
) -> None:
    ana, ben = two_members(tmp_path)
    changes = new_goals(ana, 12)
    node = BackgroundSync(ben, interfaces=LOOPBACK, discovery=False)
    node.start()
    busy, release = threading.Event(), threading.Event()
    batches: list[int] = []
    receive = ben.service.receive_changes

    def slow_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        batches.append(len(args[0]))
        if len(batches) == 1:
            busy.set()
            release.wait(PATIENCE)  # the node's loop is stuck here, as on a slow disk
        return receive(*args, **kwargs)

    ben.service.receive_changes = slow_first  # type: ignore[method-assign]
    trust = Trust(ana.identity, [ben.identity.cert_pem, ana.identity.cert_pem])
    conn = await connect("127.0.0.1", node.port, trust)
    try:
        await conn.send(p.Hello(p.PROTOCOL_VERSION, ana.service.team().id, ana.service.me, ()))
        await conn.send(p.Changes(signed(ana, changes[:1])))
        assert await asyncio.to_thread(busy.wait, PATIENCE)
        for change in changes[1:]:  # eleven frames pile up behind the first
            await conn.send(p.Changes(signed(ana, [change])))
        await conn.send(p.Ping())
        release.set()
        goals = {f"offline goal {i}" for i in range(12)}
        assert await eventually(lambda: goals <= {g.title for g in ben.service.list("goals")})
        assert batches[0] == 1 and sum(batches) == 12
        assert len(batches) < 12  # the queued frames were stored in fewer commits
    finally:
        release.set()
        await conn.close()
        node.stop()
