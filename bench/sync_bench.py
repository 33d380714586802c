"""Bytes on the wire and time for sync, against automerge's own floor in the same run.

Usage: python bench/sync_bench.py [ITEMS] [EDITS]   (default: 10000 1000)

(a) first sync of an ITEMS board to an empty peer (new member) vs the snapshot size;
(b) EDITS + EDITS concurrent offline edits reconciled vs the bare automerge sync protocol
    between two in-process documents holding the same edits;
(c) one live edit pushed to a connected peer: bytes and time until the peer's read model has it.
Frame bytes are counted (TLS adds about 22 bytes per record on top).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automerge import core as am  # noqa: E402

from bench.common import build_board  # noqa: E402
from board.workspace import Workspace  # noqa: E402
from sync.node import SyncNode  # noqa: E402

LOOP = ["127.0.0.1"]


def bare_sync(a: am.Document, b: am.Document) -> tuple[int, float]:
    """Bytes and seconds for automerge's sync protocol between two in-memory documents."""
    sa, sb = am.SyncState(), am.SyncState()
    total = 0
    start = time.perf_counter()
    while True:
        quiet = True
        for src, dst, ss, ds in ((a, b, sa, sb), (b, a, sb, sa)):
            msg = src.generate_sync_message(ss)
            if msg is not None:
                quiet = False
                data = msg.encode()
                total += len(data)
                dst.receive_sync_message(ds, am.Message.decode(data))
        if quiet:
            return total, time.perf_counter() - start


async def round_trip(client: Workspace, server_node: SyncNode) -> tuple[int, float]:
    node = SyncNode(client.service, client.identity, interfaces=LOOP, listen=False, discovery=False)
    await node.start()
    start = time.perf_counter()
    links = await node.sync_round([("127.0.0.1", server_node.port)], timeout=300)
    elapsed = time.perf_counter() - start
    await node.stop()
    link = links[0]
    return link.stats.bytes_in + link.stats.bytes_out, elapsed


async def main(items: int, edits: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ana = build_board(root / "ana", items)
        ana.service.compact()
        snapshot = len(ana.service.doc.save())
        ben = Workspace.create(root / "ben")
        ana.service.add_member(ben.identity.member_id, "Ben", ben.identity.cert_pem, ana.service.me)
        server = SyncNode(ana.service, ana.identity, interfaces=LOOP, discovery=False)
        await server.start()
        ben_node = SyncNode(ben.service, ben.identity, interfaces=LOOP, listen=False, discovery=False,
                            extra_trust=[ana.identity.cert_pem], team_id=ana.service.team().id)
        await ben_node.start()
        start = time.perf_counter()
        links = await ben_node.sync_round([("127.0.0.1", server.port)], timeout=600)
        first_time = time.perf_counter() - start
        await ben_node.stop()
        first_bytes = links[0].stats.bytes_in + links[0].stats.bytes_out
        print(f"(a) first sync of {items} items: {first_bytes / 1024:.0f} KiB on the wire, "
              f"snapshot {snapshot / 1024:.0f} KiB, ratio {first_bytes / snapshot:.2f} "
              f"(target <= 1.2), {first_time:.2f} s")

        a_before, b_before = ana.service.doc.doc.fork(), ben.service.doc.doc.fork()
        for i in range(edits):
            ana.service.add_goal(f"ana offline {i}")
            ben.service.add_goal(f"ben offline {i}")
        # The floor: the same two documents, synced in memory by automerge alone.
        a_doc, b_doc = a_before, b_before
        a_doc.merge(ana.service.doc.doc)
        b_doc.merge(ben.service.doc.doc)
        bare_bytes, bare_time = bare_sync(a_doc, b_doc)
        ours_bytes, ours_time = await round_trip(ben, server)
        print(f"(b) {edits}+{edits} concurrent edits: ours {ours_bytes / 1024:.0f} KiB in {ours_time:.2f} s; "
              f"bare automerge {bare_bytes / 1024:.0f} KiB in {bare_time:.2f} s; ratio bytes "
              f"{ours_bytes / bare_bytes:.2f}, time {ours_time / bare_time:.2f} (target <= 2)")

        live = SyncNode(ben.service, ben.identity, interfaces=LOOP, listen=False, discovery=False,
                        peers=[("127.0.0.1", server.port)])
        await live.start()
        while not (live.links and all(k.synced.is_set() for k in live.links.values())):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        link = next(iter(live.links.values()))
        times, sizes = [], []
        for i in range(20):
            before = link.stats.bytes_in + link.stats.bytes_out
            start = time.perf_counter()
            goal = await asyncio.to_thread(ana.service.add_goal, f"live {i}")
            while not ben.service.store.rows("SELECT id FROM goals WHERE id = ?", [goal]):
                await asyncio.sleep(0.0005)
            times.append(time.perf_counter() - start)
            await asyncio.sleep(0.1)  # let acknowledgements finish
            sizes.append(link.stats.bytes_in + link.stats.bytes_out - before)
        times.sort()
        print(f"(c) one live edit: median {times[len(times) // 2] * 1000:.1f} ms end to end "
              f"(target < 50), {sorted(sizes)[len(sizes) // 2]} bytes both ways at the receiver (target < 1024)")
        await live.stop()
        await server.stop()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(args[0] if args else 10000, args[1] if len(args) > 1 else 1000))
