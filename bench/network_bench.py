"""How long the value network of a big board takes to build, draw and show.

Usage: python bench/network_bench.py [ITEMS] [MEMBERS] [--keep DIR]   (default: 10000 200)

Builds a board with bench.common.build_board (one to three minutes for 10,000 items;
``--keep DIR`` keeps it there and reuses it next time), spreads the members over 20
streams with customers, suppliers and roles, then prints the median and best of 5 runs
for: build_network(service) (reading the board included), the pure graph build from
records, health hints, one person's network at depth 1 and 2, the shared text layout as
the Network tab draws it, and the ASCII, DOT and Mermaid renderings (SVG of one person's
network when Graphviz's `dot` is installed). Then it runs the app headless (Textual's test
driver: full layout and rendering, no terminal) and times, from the key press to the first
frame written with the picture in it: the Network tab's first screen (a fresh app each
time), My network, one more degree, and moving the cursor. Targets: the graph in under
0.5 s, the first screen in under 1 s.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import build_board, timeit
from bench.ui_bench import Frames, key_to_frame
from board.network import build_network, build_network_from
from board.network_layout import draw_network
from board.network_render import to_ascii, to_dot, to_mermaid, to_svg
from board.service import BoardService
from board.ui.app import make_app
from board.workspace import Workspace, has_board

STREAMS = 20
GRAPH_TARGET_SECONDS = 0.5
FIRST_SCREEN_TARGET_SECONDS = 1.0


def spread(service: BoardService, streams: int = STREAMS) -> None:
    """Give the board a value network worth drawing: every member in one or two streams,
    half routine and half change, each with a customer and a supplier, and a role."""
    names = [m.name for m in service.members()]
    size = max(1, len(names) // streams)
    for i in range(streams):
        people = names[i * size : (i + 1) * size] + names[(i * size + size // 2) % len(names) :][:2]
        stream = service.add_stream(
            f"Stream {i:02d}",
            kind="change" if i % 2 else "routine",
            members=people,
            customers=[f"Customer {i % 7}"],
            suppliers=[f"Supplier {i % 5}"],
        )
        service.add_role(f"Steward {i:02d}", stream=stream, holders=people[:1])


def main(argv: list[str]) -> None:
    keep = None
    if "--keep" in argv:
        at = argv.index("--keep")
        keep = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    items = int(argv[0]) if argv else 10_000
    members = int(argv[1]) if len(argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        home = (keep or Path(tmp)) / f"network-{items}-{members}"
        started = time.perf_counter()
        if has_board(home):
            ws = Workspace.open(home)
        else:
            ws = build_board(home, items, members)
            spread(ws.service)
        s = ws.service
        took = time.perf_counter() - started
        print(f"board: {items} items, {members} members, ready in {took:.0f} s", flush=True)
        records = (
            s.members(),
            s.list("streams"),
            s.list("roles"),
            s.list("commitments"),
            s.list("agreements"),
        )
        net = build_network(s)
        me = s.me
        print(
            f"network: {len(net.nodes)} nodes, {len(net.edges)} edges, "
            f"{len(net.health())} health hints"
        )
        rows: list[tuple[str, tuple[float, float], float | None]] = [
            ("build_network(service)", timeit(lambda: build_network(s)), GRAPH_TARGET_SECONDS),
            (
                "  of which reading the board",
                timeit(
                    lambda: (
                        s.members(),
                        s.list("streams"),
                        s.list("roles"),
                        s.list("commitments"),
                        s.list("agreements"),
                    )
                ),
                None,
            ),
            ("  of which the graph (pure)", timeit(lambda: build_network_from(*records)), None),  # type: ignore[arg-type]
            ("health()", timeit(net.health), None),
            ("around(me, 1)", timeit(lambda: net.around(me, 1)), None),
            ("around(me, 2)", timeit(lambda: net.around(me, 2)), None),
            (
                "layout as the Network tab draws it (156 cols)",
                timeit(lambda: draw_network(net, 156, hints=False, per_maker=3)),
                None,
            ),
            ("to_ascii(width=100)", timeit(lambda: to_ascii(net, 100)), None),
            ("to_dot", timeit(lambda: to_dot(net)), None),
            ("to_mermaid", timeit(lambda: to_mermaid(net)), None),
        ]
        if shutil.which("dot"):
            mine = net.around(me, 1)
            rows.append(
                (
                    f"to_svg(around(me, 1)) [{len(mine.nodes)} nodes]",
                    timeit(lambda: to_svg(mine), repeat=3),
                    None,
                )
            )
        else:
            print("(Graphviz's dot is not installed: SVG not timed)")
        print(
            f"ascii: {len(to_ascii(net, 100).splitlines())} lines; "
            f"dot: {len(to_dot(net)) // 1024} KiB"
        )
        print(f"{'step':<48} {'median':>9} {'best':>9}")
        for name, (median, best), target in rows:
            verdict = (
                ""
                if target is None
                else ("  ok" if median < target else f"  SLOW (target {target} s)")
            )
            print(f"{name:<48} {median * 1000:>7.1f}ms {best * 1000:>7.1f}ms{verdict}")
        ws.close()
        for size in ((160, 48), (80, 24)):
            report_ui(asyncio.run(bench_ui(home, size)), size)


async def wait_for(condition: Any, timeout: float = 120.0) -> None:
    start = time.perf_counter()
    while not condition():
        await asyncio.sleep(0.002)
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the app did not get there")


async def bench_ui(home: Path, size: tuple[int, int], runs: int = 3) -> dict[str, list[float]]:
    """Key-press-to-frame times of the Network tab in the headless app (a fresh app for
    each first screen; the other steps once, in the first app)."""
    times: dict[str, list[float]] = {"first": [], "mine": [], "wider": [], "move": []}
    for run in range(runs):
        await one_app(home, size, times, everything=run == 0)
    return times


async def one_app(
    home: Path, size: tuple[int, int], times: dict[str, list[float]], everything: bool
) -> None:
    from board.ui.screens.main import VIEWS
    from board.ui.widgets.board_view import BoardView
    from board.ui.widgets.network_canvas import NetworkCanvas
    from board.ui.widgets.network_view import NetworkView

    key = str([k for k, _ in VIEWS].index("network") + 1)
    app = make_app(home)
    async with app.run_test(size=size) as pilot:
        await wait_for(lambda: any(b.loaded for b in app.screen.query(BoardView)))
        await pilot.pause()
        await app.workers.wait_for_complete()
        frames = Frames(app)
        network = app.screen.query_one(NetworkView)  # there, unbuilt, until first shown
        times["first"].append(
            await key_to_frame(app, frames, key, lambda: network.picture is not None)
        )
        if not everything:
            return
        for step, press in (("mine", "m"), ("wider", "plus")):
            picture = network.picture
            times[step].append(
                await key_to_frame(app, frames, press, lambda p=picture: network.picture is not p)
            )
            await pilot.pause()
        canvas = network.query_one(NetworkCanvas)
        for i in range(20):
            before = canvas.cursor
            times["move"].append(
                await key_to_frame(
                    app, frames, "down" if i % 4 < 2 else "tab", lambda b=before: canvas.cursor != b
                )
            )
            await pilot.pause()


def report_ui(times: dict[str, list[float]], size: tuple[int, int]) -> None:
    print(f"Network tab in the app at {size[0]}x{size[1]} (key press to first frame):")
    labels = {
        "first": "first screen of the Network view (fresh app)",
        "mine": "My network (m)",
        "wider": "one more degree (+)",
        "move": "moving the cursor (arrows, tab)",
    }
    for name, label in labels.items():
        samples = times[name]
        median, best = statistics.median(samples), min(samples)
        verdict = ""
        if name == "first":
            verdict = (
                "  ok"
                if median < FIRST_SCREEN_TARGET_SECONDS
                else (f"  SLOW (target {FIRST_SCREEN_TARGET_SECONDS} s)")
            )
        print(f"  {label:<46} {median * 1000:>7.1f}ms {best * 1000:>7.1f}ms{verdict}")


if __name__ == "__main__":
    main(sys.argv[1:])
