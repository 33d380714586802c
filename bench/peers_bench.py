"""Many peers on loopback: each makes offline edits, then all reconnect; how long until every
peer holds every edit.

    python -m bench.peers_bench [PEERS] [EDITS] [--processes]   (default: 10 100)

One home per peer (real SQLite files, real TLS 1.3 nodes on 127.0.0.1, no discovery). The
first peer makes the team and adds the others as members; each newcomer gets the board in a
first sync. Then every peer makes EDITS offline edits (goals).

The first peer's node listens; the others are opened, not connected. The clock starts
when they reconnect: every other peer starts its sync node, which keeps a link to the
first peer (as the app does; changes reach the others by live push through it). The clock
stops when every peer has the same heads and its read model lists every offline goal.

By default every node runs on one event loop in this process, so the figure adds up the
work of all the peers on one core (the time is CPU-bound: applying, checking and storing
9,000 changes in all). ``--processes`` runs each peer as its own process instead, as on
ten teammates' machines: each reports when it lists every offline goal, and the figure is
then bounded by the cores the machine can spare.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from board.workspace import Workspace
from sync.node import SyncNode

LOOP = ["127.0.0.1"]
CHECK_EVERY = 0.01  # seconds between a peer's checks of its own board
READY_TIMEOUT = 120.0  # seconds for a peer process to open its board and report ready


def offline_goals(ws: Workspace) -> int:
    """Offline goals in the read model (what the UI lists)."""
    rows = ws.service.store.rows("SELECT count(*) AS n FROM goals WHERE title LIKE 'offline %'")
    return int(rows[0]["n"])


def heads_text(ws: Workspace) -> str:
    return ",".join(sorted(h.hex() for h in ws.service.doc.heads()))


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


def _peer_node(ws: Workspace, hub_port: int) -> SyncNode:
    """A node that keeps a link to the first peer, as the app does."""
    return SyncNode(
        ws.service,
        ws.identity,
        interfaces=LOOP,
        listen=False,
        discovery=False,
        peers=[("127.0.0.1", hub_port)],
    )


async def _prepare(root: Path, peers: int, edits: int) -> list[Workspace]:
    """The open homes of ``peers`` members who each made ``edits`` offline edits (the first
    peer's home first); every newcomer got the board in a first sync beforehand."""
    hub = Workspace.init(root / "peer-0", "Bench team", "P0")
    others = [Workspace.create(root / f"peer-{i}") for i in range(1, peers)]
    everyone = [hub, *others]
    try:
        for i, ws in enumerate(others, 1):
            hub.service.add_member(
                ws.identity.member_id, f"P{i}", ws.identity.cert_pem, hub.service.me
            )
        server = SyncNode(hub.service, hub.identity, interfaces=LOOP, discovery=False)
        await server.start()
        try:
            team_id = hub.service.team().id
            for ws in others:  # joining: the first sync, one newcomer after another
                await _round(ws, server.port, [hub.identity.cert_pem], team_id)
        finally:
            await server.stop()
        for i, ws in enumerate(everyone):
            for k in range(edits):
                ws.service.add_goal(f"offline {i}.{k}")
        return everyone
    except BaseException:
        for ws in everyone:
            ws.close()
        raise


# --------------------------------------------------------------------------- one process
async def _in_process(everyone: list[Workspace], total: int, deadline: float) -> float:
    server = SyncNode(everyone[0].service, everyone[0].identity, interfaces=LOOP, discovery=False)
    await server.start()
    nodes = [_peer_node(ws, server.port) for ws in everyone[1:]]
    try:
        start = time.perf_counter()
        for node in nodes:
            await node.start()
        while not converged(everyone, total):
            if time.perf_counter() - start > deadline:
                raise TimeoutError(f"{len(everyone)} peers did not converge in {deadline:.0f} s")
            await asyncio.sleep(CHECK_EVERY)
        return time.perf_counter() - start
    finally:
        for node in nodes:
            await node.stop()
        await server.stop()
        for ws in everyone:
            ws.close()


# --------------------------------------------------------------------------- one process each
class _Peer:
    """A peer process: says ``ready PORT`` once its board is open, starts its node on
    ``go``, reports ``have HEADS`` whenever it lists every offline goal, stops on ``stop``."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log
        self.heads: str | None = None  # as last reported with every offline goal

    @classmethod
    async def spawn(cls, home: Path, total: int, hub_port: int | None) -> _Peer:
        log = home.parent / f"{home.name}.log"
        with log.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(Path(__file__).resolve()), "--worker", str(home), str(total),
                str(hub_port or 0), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=err,
            )  # fmt: skip
        return cls(proc, log)

    async def line(self) -> str:
        assert self.proc.stdout is not None
        data = await self.proc.stdout.readline()
        if not data:
            tail = self.log.read_text(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError("a peer process ended early: " + " | ".join(tail))
        return data.decode().strip()

    async def ready(self) -> int:
        async with asyncio.timeout(READY_TIMEOUT):
            word, port = (await self.line()).split()
        assert word == "ready", word
        return int(port)

    def tell(self, word: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(word.encode() + b"\n")

    async def follow(self, reported: asyncio.Event) -> None:
        """Take in the peer's reports (setting ``reported``) until it exits."""
        while True:
            word, _, heads = (await self.line()).partition(" ")
            if word == "have":
                self.heads = heads
                reported.set()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):  # the process may be gone already
            self.tell("stop")
            assert self.proc.stdin is not None
            self.proc.stdin.write_eof()
        try:
            async with asyncio.timeout(60):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def _processes(opened: list[Workspace], total: int, deadline: float) -> float:
    homes = [ws.home for ws in opened]
    for ws in opened:  # each peer process opens its own
        ws.close()
    hub = await _Peer.spawn(homes[0], total, None)
    everyone = [hub]
    followers: list[asyncio.Task[None]] = []
    try:
        port = await hub.ready()
        everyone += [await _Peer.spawn(home, total, port) for home in homes[1:]]
        for peer in everyone[1:]:
            await peer.ready()
        reported = asyncio.Event()
        followers = [asyncio.create_task(peer.follow(reported)) for peer in everyone]
        start = time.perf_counter()
        for peer in everyone:
            peer.tell("go")
        while True:
            heads = {peer.heads for peer in everyone}
            if len(heads) == 1 and None not in heads:
                return time.perf_counter() - start
            left = deadline - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(f"{len(homes)} peers did not converge in {deadline:.0f} s")
            waiter = asyncio.ensure_future(reported.wait())
            # A follower ends only when its peer process died: raise what it raised.
            waits: set[asyncio.Future[Any]] = {waiter, *followers}
            done, _ = await asyncio.wait(waits, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            for task in done - {waiter}:
                task.result()
            reported.clear()
    finally:
        for task in followers:
            task.cancel()
        await asyncio.gather(*(peer.stop() for peer in everyone))


async def _worker(home: Path, total: int, hub_port: int) -> None:
    """The body of one peer process (see :class:`_Peer`)."""
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    with Workspace.open(home) as ws:
        node = (
            _peer_node(ws, hub_port)
            if hub_port
            else SyncNode(ws.service, ws.identity, interfaces=LOOP, discovery=False)
        )
        if not hub_port:
            await node.start()  # the first peer listens before the clock starts
        print("ready", node.port, flush=True)
        if (await commands.readline()).strip() != b"go":  # the bench gave up
            await node.stop()
            return

        async def report() -> None:
            seen = ""
            while True:
                heads = heads_text(ws)
                if heads != seen:
                    seen = heads
                    if offline_goals(ws) == total:
                        print("have", heads, flush=True)
                await asyncio.sleep(CHECK_EVERY)

        if hub_port:
            await node.start()
        reporter = loop.create_task(report())
        await commands.readline()  # stop (or the bench went away)
        reporter.cancel()
        await node.stop()


async def convergence(
    root: Path, peers: int, edits: int, deadline: float = 300.0, processes: bool = False
) -> float:
    """Seconds from reconnecting until all ``peers`` (homes made under ``root``) hold all
    ``peers * edits`` offline edits; with ``processes``, one process per peer. Raises
    TimeoutError past ``deadline``."""
    everyone = await _prepare(root, peers, edits)
    run = _processes if processes else _in_process
    return await run(everyone, peers * edits, deadline)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--worker"]:
        asyncio.run(_worker(Path(argv[1]), int(argv[2]), int(argv[3])))
        return
    processes = "--processes" in argv
    numbers = [int(a) for a in argv if a != "--processes"]
    peers = numbers[0] if numbers else 10
    edits = numbers[1] if len(numbers) > 1 else 100
    with tempfile.TemporaryDirectory(prefix="teamboard-bench-peers-") as tmp:
        took = asyncio.run(convergence(Path(tmp), peers, edits, processes=processes))
    how = "one process per peer" if processes else "all in one process"
    print(
        f"{peers} peers x {edits} offline edits ({how}): converged in {took:.2f} s (target <= 5 s)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
