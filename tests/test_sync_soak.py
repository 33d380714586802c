"""Partition soak: five homes on loopback edit at random for a minute while the links
between them are cut and restored at random, then all converge to the same board with
every edit present.

Every pair of homes talks through its own :class:`CutProxy` (real TCP on 127.0.0.1), so
cuts are real: connections reset or stall mid-stream, handshakes die half way, and whole
homes are isolated, split off in groups or stopped and started again. ``SOAK_SECONDS``
(env ``TEAMBOARD_SOAK_SECONDS``) bounds the chaos; ``TEAMBOARD_SOAK_SEED`` replays a run.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from board.service import BoardService
from board.workspace import Workspace
from sync.limits import Limits
from sync.node import SyncNode
from tests.loopback_proxy import CutProxy
from tests.test_sync_team import LOOPBACK, assert_identical, eventually, invite_and_join

SOAK_SECONDS = float(os.environ.get("TEAMBOARD_SOAK_SECONDS", "60"))
SEED = int(os.environ.get("TEAMBOARD_SOAK_SEED", "7"))
PEERS = 5
CONVERGE = 180.0  # seconds allowed to converge once every link is back: bounds a hang only
# Short timeouts so that stalls longer than a few seconds end connections (as the idle
# timeout must), and a high failed-handshake cap: every home here is 127.0.0.1, and
# handshakes that a cut kills half way are failures that would otherwise block them all.
LIMITS = Limits(
    handshake_timeout=3.0, idle_timeout=4.0, ping_interval=1.0, max_failed_handshakes=1_000_000
)


@dataclass
class Edit:
    """One edit a home reported as saved, and how to find it on the converged board."""

    what: str  # "goal", "commitment", "title", "checkin"
    item: str  # the record it created or changed
    token: str  # the unique text it wrote


@dataclass
class Home:
    index: int
    ws: Workspace
    node: SyncNode | None = None
    port: int = 0
    dials: list[tuple[str, int]] = field(default_factory=list)  # proxies of the homes after it
    edits: list[Edit] = field(default_factory=list)

    @property
    def service(self) -> BoardService:
        return self.ws.service

    async def start(self) -> None:
        self.node = SyncNode(
            self.service,
            self.ws.identity,
            interfaces=LOOPBACK,
            port=self.port,
            discovery=False,
            peers=self.dials,
            limits=LIMITS,
        )
        await self.node.start()
        self.port = self.node.port

    async def stop(self) -> None:
        if self.node is not None:
            node, self.node = self.node, None
            await node.stop()


def edit_at_random(home: Home, rnd: random.Random, names: list[str], n: int) -> None:
    """One random edit on ``home``, recorded once the service returned (i.e. saved)."""
    svc = home.service
    token = f"h{home.index}-{n}"
    goals = [g.id for g in svc.list("goals")]
    roll = rnd.random()
    if roll < 0.3 or not goals:
        home.edits.append(Edit("goal", svc.add_goal(f"goal {token}"), token))
    elif roll < 0.45:
        other = rnd.choice([m for m in names if m != svc.member("me").name])
        home.edits.append(
            Edit("commitment", svc.add_commitment(f"promise {token}", to=other), token)
        )
    elif roll < 0.75:
        goal = rnd.choice(goals)
        svc.edit(goal, title=f"title {token}")
        home.edits.append(Edit("title", goal, f"title {token}"))
    else:
        goal = rnd.choice(goals)
        home.edits.append(
            Edit(
                "checkin",
                svc.checkin(goal, note=f"note {token}", progress=rnd.randrange(101)),
                token,
            )
        )


def missing_edits(svc: BoardService, edits: list[Edit]) -> list[Edit]:
    """The edits the converged board ``svc`` does not show."""
    goals = {g.id for g in svc.list("goals")}
    commitments = {c.id for c in svc.list("commitments")}
    missing = []
    for e in edits:
        if e.what == "goal":
            present = e.item in goals
        elif e.what == "commitment":
            present = e.item in commitments
        elif e.what == "title":
            present = any(
                h.changes.get("title", [None, None])[1] == e.token for h in svc.history(e.item)
            )
        else:
            present = getattr(svc.get(e.item), "note", None) == f"note {e.token}"
        if not present:
            missing.append(e)
    return missing


def describe(homes: list[Home], proxies: dict[tuple[int, int], CutProxy]) -> str:
    """Where each home stands, for a failure message."""
    lines = []
    for h in homes:
        links = (
            []
            if h.node is None
            else [
                f"{link.address} synced={link.synced.is_set()} in={link.stats.frames_in}"
                for link in h.node.links.values()
            ]
        )
        lines.append(
            f"H{h.index}: {h.service.store.change_count()} changes, "
            f"heads {sorted(x.hex()[:8] for x in h.service.doc.heads())}, links {links}"
        )
    lines += [
        f"proxy {k}: cut={p.is_cut} pipes={len(p._pipes)} carried={p.carried}"
        for k, p in proxies.items()
    ]
    return "\n".join(lines)


@dataclass
class Chaos:
    """Cuts and restores links at random until told to stop; counts what it did."""

    homes: list[Home]
    proxies: dict[tuple[int, int], CutProxy]
    rnd: random.Random
    partitions: int = 0
    restarts: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    def links_of(self, group: set[int]) -> list[CutProxy]:
        """The links between ``group`` and everyone else."""
        return [p for (a, b), p in self.proxies.items() if (a in group) != (b in group)]

    async def run(self, until: float) -> None:
        loop = asyncio.get_running_loop()
        while loop.time() < until:
            await asyncio.sleep(self.rnd.uniform(0.2, 1.5))
            roll = self.rnd.random()
            if roll < 0.1:
                home = self.rnd.choice(self.homes)
                if home.node is not None:
                    self._later(self._restart(home), "sync restarted")
                continue
            how = self.rnd.choice(["reset", "stall"])
            if roll < 0.5:
                links, kind = [self.rnd.choice(list(self.proxies.values()))], "one link"
            elif roll < 0.75:
                links, kind = self.links_of({self.rnd.randrange(PEERS)}), "one home isolated"
            else:
                group = set(self.rnd.sample(range(PEERS), 2))
                links, kind = self.links_of(group), "split in two"
            for proxy in links:
                proxy.cut(how)
            self._later(self._restore(links, how, self.rnd.uniform(0.3, 6.0)), f"{kind} ({how})")

    def _later(self, coro: object, kind: str) -> None:
        self.partitions += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _restore(self, links: list[CutProxy], how: str, after: float) -> None:
        await asyncio.sleep(after)
        for proxy in links:
            proxy.restore(how)

    async def _restart(self, home: Home) -> None:
        """The home's sync stops (its owner keeps editing offline), then starts again."""
        self.restarts += 1
        await home.stop()
        await asyncio.sleep(self.rnd.uniform(0.5, 4.0))
        await home.start()

    async def settle(self) -> None:
        """Wait for pending restores and restarts: afterwards every link is open."""
        while self._pending:
            await asyncio.gather(*self._pending)
        assert not any(p.is_cut for p in self.proxies.values())


@pytest.mark.slow
async def test_five_homes_converge_with_every_edit_after_a_minute_of_partitions(
    tmp_path: Path,
) -> None:
    rnd = random.Random(SEED)
    first = Workspace.init(tmp_path / "h0", "Orbit", "H0")
    workspaces = [first] + [
        await invite_and_join(first, tmp_path / f"h{i}", f"H{i}") for i in range(1, PEERS)
    ]
    names = [f"H{i}" for i in range(PEERS)]
    homes = [Home(i, ws) for i, ws in enumerate(workspaces)]
    for home in homes:  # a port for each home, then one proxy per pair of homes
        await home.start()
        await home.stop()
    proxies: dict[tuple[int, int], CutProxy] = {}
    for a, b in itertools.combinations(range(PEERS), 2):
        proxies[(a, b)] = proxy = CutProxy(homes[b].port)
        homes[a].dials.append(("127.0.0.1", await proxy.start()))
    for home in homes:  # each home dials the later ones, through their proxies
        await home.start()
    # Everyone learns the whole member list (an invite only told H0 and the newcomer).
    assert await eventually(
        lambda: (
            len({len(h.service.members()) for h in homes}) == 1
            and len(homes[-1].service.members()) == PEERS
        ),
        CONVERGE,
    )

    chaos = Chaos(homes, proxies, rnd)
    loop = asyncio.get_running_loop()
    until = loop.time() + SOAK_SECONDS

    async def keep_editing(home: Home) -> None:
        edit_rnd = random.Random(rnd.random())
        for n in itertools.count():
            if loop.time() >= until:
                return
            await asyncio.sleep(edit_rnd.uniform(0.1, 0.6))
            edit_at_random(home, edit_rnd, names, n)

    try:
        await asyncio.gather(chaos.run(until), *(keep_editing(h) for h in homes))
        await chaos.settle()
        services = [h.service for h in homes]
        assert await eventually(
            lambda: len({tuple(sorted(s.doc.heads())) for s in services}) == 1, CONVERGE
        ), "the homes did not converge after the links came back:\n" + describe(homes, proxies)
        assert_identical(*services)
        edits = [e for h in homes for e in h.edits]
        lost = {i: missing_edits(h.service, edits) for i, h in enumerate(homes)}
        assert all(not m for m in lost.values()), {i: m[:3] for i, m in lost.items() if m}
    finally:
        for home in homes:
            await home.stop()
        for proxy in proxies.values():
            await proxy.close()
    severed = sum(p.severed for p in proxies.values())
    refused = sum(p.refused for p in proxies.values())
    carried = sum(p.carried for p in proxies.values())
    print(
        f"\nsoak seed {SEED}, {SOAK_SECONDS:g} s: {len(edits)} edits saved, 0 lost; "
        f"{chaos.partitions} partitions survived {chaos.kinds} "
        f"({chaos.restarts} sync restarts, {severed} live connections severed, "
        f"{refused} refused while cut, {carried} connections made)"
    )
