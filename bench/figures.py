"""The figures of the benchmark suite: each one our value next to the floor measured in the
same run, with its target. The measuring itself lives in the scripts beside this file
(``ui_bench``, ``open_board``, ``sync_bench``, ``local_bench``, ``peers_bench``); this module
only runs them at the sizes asked for and turns their results into :class:`Figure` rows."""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ui_bench
from bench.local_bench import edit_times, peak_rss
from bench.open_board import uncompacted_open
from bench.peers_bench import convergence
from bench.sync_bench import sync_figures
from board.workspace import Workspace

TERMINAL = (80, 24)
FRAME_MS = 17.0


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark runs."""

    small: int  # items: keypress figures at the small size
    big: int  # items: open, keypress, memory, uncompacted, sync
    huge: int | None  # items: open linearity against ``big`` (None: small against big)
    edits: int  # concurrent offline edits on each side (2 peers)
    peers: int
    peer_edits: int
    presses: int
    changes: int


SIZES = {
    "full": Sizes(1_000, 10_000, 50_000, 1_000, 10, 100, 40, 30),
    "quick": Sizes(200, 1_000, None, 200, 10, 20, 10, 5),
    "smoke": Sizes(100, 300, None, 20, 3, 5, 3, 2),
}


@dataclass
class Figure:
    """One row of the table. ``kind`` says how the target reads: ``ratio`` (ours / floor at
    most ``target``), ``above`` (ours - floor at most ``target``, in the unit) or ``max``
    (ours at most ``target``)."""

    name: str
    unit: str
    ours: float | None
    floor: float | None
    kind: str
    target: float
    error: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.floor:
            return None
        return self.ours / self.floor

    @property
    def met(self) -> bool | None:
        if self.ours is None:
            return None
        if self.kind == "ratio":
            return self.ratio is not None and self.ratio <= self.target
        if self.kind == "above":
            return self.floor is not None and self.ours - self.floor <= self.target
        return self.ours <= self.target

    @property
    def target_text(self) -> str:
        if self.kind == "ratio":
            return f"<= {self.target:g}x"
        if self.kind == "above":
            return f"<= +{self.target:g} {self.unit}"
        return f"<= {self.target:g} {self.unit}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.name,
            "unit": self.unit,
            "ours": self.ours,
            "floor": self.floor,
            "ratio": self.ratio,
            "target": self.target_text,
            "met": self.met,
            "error": self.error,
        }


def board(cache: Path, items: int) -> Path:
    """A board with ``items`` items in ``cache`` (built once, then reused)."""
    home = cache / f"board-{items}"
    if not (home / "board.db").exists():
        building = cache / f"building-{items}"
        shutil.rmtree(building, ignore_errors=True)
        ui_bench.build_board(building, items)
        building.rename(home)
    return home


def on_copy(home: Path, use: Callable[[Path], Any]) -> Any:
    """``use`` a fresh copy of the board at ``home``: every run starts from the same board."""
    with tempfile.TemporaryDirectory(prefix="teamboard-bench-run-") as scratch:
        copy = Path(scratch) / "home"
        shutil.copytree(home, copy)
        return use(copy)


def open_floor(home: Path, bare_idle: float) -> float:
    """Seconds: bare automerge load + plain sqlite3 read of the rows + a bare Textual start."""
    load = min(ui_bench.automerge_load(home) for _ in range(3))
    rows = min(ui_bench.read_rows(home) for _ in range(3))
    return load + rows + bare_idle


def ui_figures(cache: Path, sizes: Sizes) -> list[Figure]:
    """Open to first screen, keypress to screen, open linearity."""
    bare = asyncio.run(ui_bench.bench_bare(TERMINAL, sizes.presses))
    bare_key = statistics.median(bare["move"]) * 1000
    runs: dict[int, dict[str, Any]] = {}
    floors: dict[int, float] = {}
    order = [sizes.small, sizes.big] + ([sizes.huge] if sizes.huge else [])
    for items in order:
        home = board(cache, items)
        floors[items] = open_floor(home, bare["idle"]) * 1000
        runs[items] = on_copy(
            home,
            lambda copy: asyncio.run(
                ui_bench.bench_board(copy, TERMINAL, sizes.presses, sizes.changes)
            ),
        )
    big = sizes.big
    out = [
        Figure(f"open {big:,}: first paint", "ms", runs[big]["painted"] * 1000,
               floors[big], "ratio", 2.0),
        Figure(f"open {big:,}: first interactive screen", "ms", runs[big]["ready"] * 1000,
               floors[big], "ratio", 2.0),
        # Interactive while the document still loads: every key answered within this.
        Figure(f"open {big:,}: keys while the document loads", "ms",
               max(runs[big]["loading_keys"], default=0.0) * 1000, None, "max",
               ui_bench.LONG_KEY * 1000),
    ]  # fmt: skip
    base, grown = (big, sizes.huge) if sizes.huge else (sizes.small, big)
    out.append(
        Figure(f"open {grown:,} vs {base:,}: interactive", "ms", runs[grown]["ready"] * 1000,
               runs[base]["ready"] * 1000, "ratio", 6.0 * grown / base / 5.0)
    )  # fmt: skip
    for items in (sizes.small, big):
        for what, key in (("cursor move", "move"), ("status change", "status")):
            out.append(
                Figure(f"key to screen {items:,}: {what}", "ms",
                       statistics.median(runs[items][key]) * 1000, bare_key, "above", FRAME_MS)
            )  # fmt: skip
    for what, key in (("cursor move", "move"), ("status change", "status")):
        out.append(
            Figure(f"key to screen flat {sizes.small:,}->{big:,}: {what}", "ms",
                   statistics.median(runs[big][key]) * 1000,
                   statistics.median(runs[sizes.small][key]) * 1000, "above", FRAME_MS)
        )  # fmt: skip
    return out


def local_figures(cache: Path, sizes: Sizes) -> list[Figure]:
    """One durable local edit; peak memory with the big board open; uncompacted open."""
    home = board(cache, sizes.big)
    ours, floor = on_copy(home, edit_times)
    compacted, uncompacted = on_copy(home, uncompacted_open)
    return [
        Figure(f"local durable edit ({sizes.big:,} items)", "ms", ours * 1000, floor * 1000,
               "above", 1.0),
        Figure(f"peak RSS, {sizes.big:,} items in the UI", "MiB", peak_rss(home),
               peak_rss(None), "max", 150.0),
        Figure(f"open uncompacted vs compacted ({sizes.big:,})", "ms", uncompacted * 1000,
               compacted * 1000, "ratio", 2.0),
    ]  # fmt: skip


def sync_figures_for(cache: Path, sizes: Sizes) -> list[Figure]:
    """Two peers over TLS on loopback, and ``sizes.peers`` peers converging."""

    def run(copy: Path) -> dict[str, float]:
        async def both() -> dict[str, float]:
            with Workspace.open(copy) as ana:
                return await sync_figures(ana, copy.parent, sizes.edits)

        return asyncio.run(both())

    f = on_copy(board(cache, sizes.big), run)
    if not f["complete"]:
        raise RuntimeError("concurrent edits: a read model misses edits after the round")
    e = f"{sizes.edits:,}+{sizes.edits:,} concurrent edits"
    with tempfile.TemporaryDirectory(prefix="teamboard-bench-peers-") as scratch:
        took = asyncio.run(convergence(Path(scratch), sizes.peers, sizes.peer_edits))
    return [
        Figure(f"first sync {sizes.big:,} items: bytes vs snapshot", "B", f["first_bytes"],
               f["snapshot"], "ratio", 1.2),
        Figure("reconnect in sync: bytes", "B", f["insync_bytes"], f["insync_bare_bytes"],
               "ratio", 1.2),
        Figure(f"{e}: bytes", "B", f["ours_bytes"], f["bare_bytes"], "ratio", 2.0),
        Figure(f"{e}: time", "ms", f["ours_time"] * 1000, f["bare_time"] * 1000, "ratio", 2.0),
        Figure("one live edit to a connected peer", "ms", f["live_time"] * 1000, None,
               "max", 50.0),
        Figure(f"{sizes.peers} peers x {sizes.peer_edits} offline edits: converge", "s",
               took, None, "max", 5.0),
    ]  # fmt: skip


GROUPS: list[tuple[str, Callable[[Path, Sizes], list[Figure]], list[str]]] = [
    # (group, measure, the figures it makes, for the error rows when it fails)
    ("ui", ui_figures, ["open", "key to screen", "open linearity"]),
    ("local", local_figures, ["local durable edit", "peak RSS", "open uncompacted"]),
    ("sync", sync_figures_for, ["sync (2 peers)", "peers converge"]),
]
