"""Many peers on loopback: each makes offline edits, then all reconnect; how long until every
peer holds every edit.

    python -m bench.peers_bench [PEERS] [EDITS]   (default: 10 100)

One home per peer (real SQLite files, real TLS 1.3 nodes on 127.0.0.1, no discovery). The
first peer makes the team and adds the others as members; each newcomer gets the board in a
first sync. Then every peer makes EDITS offline edits (goals). The clock starts when the
peers reconnect: every newcomer starts a sync node that keeps a link to the first peer (as
the app does; changes reach the others by live push), and stops when every peer has the same
heads and every read model lists every offline goal.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from board.workspace import Workspace
from sync.node import SyncNode

LOOP = ["127.0.0.1"]


def offline_goals(ws: Workspace) -> int:
    """Offline goals in the read model (what the UI lists)."""
    rows = ws.service.store.rows("SELECT count(*) AS n FROM goals WHERE title LIKE 'offline %'")
    return int(rows[0]["n"])


def converged(everyone: list[Workspace], total: int) -> bool:
    """Every peer has the same heads and lists all ``total`` offline goals."""
    heads = {tuple(sorted(ws.service.doc.heads())) for ws in everyone}
    return len(heads) == 1 and all(offline_goals(ws) == total for ws in everyone)


async def _round(ws: Workspace, port: int, trust: list[str], team_id: str | None) -> None:
    node = SyncNode(
        ws.service,
        ws.identity,
        interfaces=LOOP,
        listen=False,
        discovery=False,
        extra_trust=trust,
        team_id=team_id,
    )
    await node.start()
    try:
        await node.sync_round([("127.0.0.1", port)], timeout=300)
    finally:
        await node.stop()


async def convergence(root: Path, peers: int, edits: int, deadline: float = 300.0) -> float:
    """Seconds from reconnecting until all ``peers`` (homes made under ``root``) hold all
    ``peers * edits`` offline edits. Raises TimeoutError past ``deadline``."""
    hub = Workspace.init(root / "peer-0", "Bench team", "P0")
    others = [Workspace.create(root / f"peer-{i}") for i in range(1, peers)]
    for i, ws in enumerate(others, 1):
        hub.service.add_member(ws.identity.member_id, f"P{i}", ws.identity.cert_pem, hub.service.me)
    server = SyncNode(hub.service, hub.identity, interfaces=LOOP, discovery=False)
    await server.start()
    everyone = [hub, *others]
    try:
        team_id = hub.service.team().id
        for ws in others:  # joining: the first sync, one newcomer after another
            await _round(ws, server.port, [hub.identity.cert_pem], team_id)
        for i, ws in enumerate(everyone):
            for k in range(edits):
                ws.service.add_goal(f"offline {i}.{k}")
        total = peers * edits
        # Reconnecting as the app does: a node per peer that keeps its link to the first
        # peer open; what one peer sends reaches the others by live push through it.
        nodes = [
            SyncNode(
                ws.service,
                ws.identity,
                interfaces=LOOP,
                listen=False,
                discovery=False,
                peers=[("127.0.0.1", server.port)],
            )
            for ws in others
        ]
        start = time.perf_counter()
        try:
            for node in nodes:
                await node.start()
            while not converged(everyone, total):
                if time.perf_counter() - start > deadline:
                    raise TimeoutError(f"{peers} peers did not converge in {deadline:.0f} s")
                await asyncio.sleep(0.01)
            return time.perf_counter() - start
        finally:
            for node in nodes:
                await node.stop()
    finally:
        await server.stop()
        for ws in everyone:
            ws.close()


def main(argv: list[str]) -> None:
    peers = int(argv[0]) if argv else 10
    edits = int(argv[1]) if len(argv) > 1 else 100
    with tempfile.TemporaryDirectory(prefix="teamboard-bench-peers-") as tmp:
        took = asyncio.run(convergence(Path(tmp), peers, edits))
    print(f"{peers} peers x {edits} offline edits: converged in {took:.2f} s (target <= 5 s)")


if __name__ == "__main__":
    main(sys.argv[1:])
