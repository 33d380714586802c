"""Team sync end to end: invites, offline edits, reconnects, discovery, refusals, live push.
Real TLS sockets and real zeroconf, bound to 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from board import readmodel
from board.export import board_data
from board.service import BoardService
from board.workspace import Workspace
from sync.identity import Identity
from sync.invite import WORDS
from sync.node import Link, SyncNode
from sync.team import TeamError, run_invite, run_join
from sync.transport import PeerRejected, Trust, connect

LOOPBACK = ["127.0.0.1"]
PATIENCE = 90.0  # seconds: generous, the machines running the suite are shared and noisy


async def eventually(condition, timeout: float = PATIENCE) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it holds or ``timeout`` passes; returns its last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return bool(condition())
        await asyncio.sleep(0.02)
    return True


async def invite_and_join(
    inviter: Workspace, home: Path, name: str, discovery: bool = False
) -> Workspace:
    """Run `invite` on one side and `join` on the other, in this process."""
    ready: asyncio.Future[tuple[str, str, int]] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run_invite(
            inviter,
            expires=dt.timedelta(minutes=1),
            interfaces=LOOPBACK,
            discovery=discovery,
            on_ready=lambda code, host, port: ready.set_result((code, host, port)),
        )
    )
    code, host, port = await asyncio.wait_for(ready, 30)
    joined = await run_join(
        home,
        code,
        name,
        peer=None if discovery else (host, port),
        interfaces=LOOPBACK,
        timeout=PATIENCE,
    )
    outcome = await asyncio.wait_for(task, 90)
    assert outcome.joined is not None and outcome.joined.name == name and outcome.synced
    return joined


def tables(svc: BoardService) -> dict[str, list[dict[str, object]]]:
    return {
        name: svc.store.rows(
            f"SELECT * FROM [{name}] ORDER BY " + ("item, type, seq" if name == "history" else "id")
        )
        for name in readmodel.tables()
    }  # type: ignore[misc]


def assert_identical(*services: BoardService) -> None:
    heads = {tuple(sorted(s.doc.heads())) for s in services}
    assert len(heads) == 1, "heads differ"
    first = board_data(services[0])
    first_tables = tables(services[0])
    for other in services[1:]:
        assert board_data(other) == first
        assert tables(other) == first_tables


async def serve(ws: Workspace, **kw: object) -> SyncNode:
    node = SyncNode(ws.service, ws.identity, interfaces=LOOPBACK, discovery=False, **kw)  # type: ignore[arg-type]
    await node.start()
    return node


async def client_round(
    ws: Workspace, port: int, newcomer_of: Workspace | None = None, timeout: float = PATIENCE
) -> list[Link]:
    """One sync round from ``ws`` to the node listening on ``port``, by a client node that
    stops afterwards; ``newcomer_of``: the member whose board an empty home is joining
    (trusted before the board, with its member list, is there)."""
    extra = (
        {}
        if newcomer_of is None
        else {
            "extra_trust": [newcomer_of.identity.cert_pem],
            "team_id": newcomer_of.service.team().id,
        }
    )
    client = SyncNode(
        ws.service, ws.identity, interfaces=LOOPBACK, listen=False, discovery=False, **extra
    )  # type: ignore[arg-type]
    await client.start()
    try:
        return await client.sync_round([("127.0.0.1", port)], timeout=timeout)
    finally:
        await client.stop()


async def round_with(ws: Workspace, node: SyncNode) -> None:
    links = await client_round(ws, node.port, timeout=30)
    assert links and all(link.synced.is_set() for link in links)


async def test_two_homes_invite_join_offline_edits_and_reconnect(tmp_path: Path) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("Before Ben")
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
    assert ben.service.team().name == "Orbit"
    assert {m.name for m in ben.service.members()} == {"Ana", "Ben"}
    assert [g.title for g in ben.service.list("goals")] == ["Before Ben"]
    # both edit while disconnected
    ana_goal = ana.service.add_goal("Ana offline")
    ben_commitment = ben.service.add_commitment("Ben offline", to="Ana")
    ana.service.edit(ana_goal, title="Ana offline, edited")
    ben.service.checkin(ben_commitment, progress=10, note="started")
    node = await serve(ana)
    await round_with(ben, node)
    await node.stop()
    assert_identical(ana.service, ben.service)
    assert {g.title for g in ben.service.list("goals")} == {"Before Ben", "Ana offline, edited"}
    assert [c.title for c in ana.service.list("commitments")] == ["Ben offline"]


async def test_five_homes_converge_after_offline_edits(tmp_path: Path) -> None:
    homes = [Workspace.init(tmp_path / "m0", "Orbit", "M0")]
    for i in range(1, 5):
        homes.append(await invite_and_join(homes[0], tmp_path / f"m{i}", f"M{i}"))
    for i, ws in enumerate(homes):  # everyone edits offline
        for j in range(3):
            ws.service.add_goal(f"goal {i}.{j}")
    hub = await serve(homes[0])
    for ws in homes[1:]:
        await round_with(ws, hub)
    for ws in homes[1:]:  # second pass brings everyone what the others sent the hub
        await round_with(ws, hub)
    await hub.stop()
    assert_identical(*(ws.service for ws in homes))
    assert len(homes[3].service.list("goals")) == 15
    assert len(homes[0].service.members()) == 5


async def test_discovery_alone_finds_the_invite_and_a_peer(tmp_path: Path) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben", discovery=True)
    ana.service.add_goal("found by zeroconf")
    a = SyncNode(ana.service, ana.identity, interfaces=LOOPBACK, discovery=True)
    b = SyncNode(ben.service, ben.identity, interfaces=LOOPBACK, discovery=True)
    await a.start()
    await b.start()
    try:
        assert await eventually(
            lambda: "found by zeroconf" in {g.title for g in ben.service.list("goals")}
        )
    finally:
        await b.stop()
        await a.stop()


async def test_live_push_reaches_a_connected_peer(tmp_path: Path) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
    node = await serve(ana)
    client = SyncNode(
        ben.service,
        ben.identity,
        interfaces=LOOPBACK,
        listen=False,
        discovery=False,
        peers=[("127.0.0.1", node.port)],
    )
    await client.start()
    seen = []
    ben.service.subscribe(lambda e: seen.append(e))
    try:
        assert await eventually(
            lambda: (
                bool(client.links) and all(link.synced.is_set() for link in client.links.values())
            )
        )
        goal = ana.service.add_goal("pushed live")
        assert await eventually(lambda: any(g.id == goal for g in ben.service.list("goals")))
        assert ben.service.get(goal).title == "pushed live"
        assert any(getattr(e, "origin", "") == "remote" for e in seen)
    finally:
        await client.stop()
        await node.stop()


async def test_a_non_member_is_refused_and_learns_nothing(tmp_path: Path) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("secret plan")
    node = await serve(ana)
    stranger = Identity.generate()
    try:
        with pytest.raises(PeerRejected):
            conn = await connect("127.0.0.1", node.port, Trust(stranger, [ana.identity.cert_pem]))
            await conn.read_frame()
    finally:
        await node.stop()


async def test_a_removed_member_is_refused(tmp_path: Path) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
    ana.service.remove_member("Ben")
    node = await serve(ana)
    try:
        with pytest.raises(PeerRejected):
            await connect("127.0.0.1", node.port, Trust(ben.identity, [ana.identity.cert_pem]))
        assert [m.name for m in ana.service.members()] == ["Ana"]
        removed = ana.service.members(include_removed=True)
        assert {m.name: m.removed_by for m in removed}["Ben"] == ana.service.me
    finally:
        await node.stop()


async def test_wrong_code_fails_and_creates_no_board(tmp_path: Path) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ready: asyncio.Future[tuple[str, str, int]] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run_invite(
            ana,
            expires=dt.timedelta(seconds=20),
            interfaces=LOOPBACK,
            discovery=False,
            on_ready=lambda code, host, port: ready.set_result((code, host, port)),
        )
    )
    code, host, port = await asyncio.wait_for(ready, 30)
    number, *words = code.split("-")
    wrong = "-".join([number] + [w for w in WORDS if w not in words][:3])
    with pytest.raises(TeamError, match="wrong code"):
        await run_join(tmp_path / "eve", wrong, "Eve", peer=(host, port), interfaces=LOOPBACK)
    assert not (tmp_path / "eve" / "board.db").exists()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"\x00\x00\x00\x02\xee\x00\x00", "unknown frame type"),
        (b"\x7f\xff\xff\xff\x03", "exceeds the limit"),
        (b"\x00\x00\x01\x00\x03only a few bytes", "truncated"),
        (None, "version"),
    ],
)
async def test_garbage_from_a_member_closes_the_connection_and_leaves_the_board_unchanged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, raw: bytes | None, reason: str
) -> None:
    from sync.protocol import Hello, encode

    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("keep me")
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
    before = (ana.store.change_count(), sorted(ana.service.doc.heads()))
    node = await serve(ana)
    try:
        conn = await connect("127.0.0.1", node.port, Trust(ben.identity, [ana.identity.cert_pem]))
        if raw is None:  # a hello from a future protocol version
            raw = encode(Hello(99, ana.service.team().id, ben.service.me, ()))
        conn._writer.write(raw)
        await conn._writer.drain()
        if reason == "truncated":
            conn._writer.transport.abort()
        assert await eventually(lambda: reason in caplog.text.lower())
        assert (ana.store.change_count(), sorted(ana.service.doc.heads())) == before
        ben.service.add_goal("honest edit")  # the node keeps serving honest members
        await round_with(ben, node)
        assert "honest edit" in {g.title for g in ana.service.list("goals")}
    finally:
        await node.stop()
