"""How long the value network of a big board takes to build and draw.

Usage: python bench/network_bench.py [ITEMS] [MEMBERS]   (default: 10000 200)

Builds a board with bench.common.build_board (about 50 s for 10,000 items; nothing is
cached), spreads the members over 20 streams with customers, suppliers and roles, then
prints the median and best of 5 runs for: build_network(service) (reading the board
included), the pure graph build from records, health hints, one person's network at
depth 1 and 2, and the ASCII, DOT and Mermaid renderings (SVG of one person's network
when Graphviz's `dot` is installed). Target: the graph in under 0.5 s.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import build_board, timeit  # noqa: E402
from board.network import build_network, build_network_from  # noqa: E402
from board.network_render import to_ascii, to_dot, to_mermaid, to_svg  # noqa: E402
from board.service import BoardService  # noqa: E402

STREAMS = 20
GRAPH_TARGET_SECONDS = 0.5


def spread(service: BoardService, streams: int = STREAMS) -> None:
    """Give the board a value network worth drawing: every member in one or two streams,
    half routine and half change, each with a customer and a supplier, and a role."""
    names = [m.name for m in service.members()]
    size = max(1, len(names) // streams)
    for i in range(streams):
        people = names[i * size:(i + 1) * size] + names[(i * size + size // 2) % len(names):][:2]
        stream = service.add_stream(f"Stream {i:02d}", kind="change" if i % 2 else "routine",
                                    members=people, customers=[f"Customer {i % 7}"],
                                    suppliers=[f"Supplier {i % 5}"])
        service.add_role(f"Steward {i:02d}", stream=stream, holders=people[:1])


def main(argv: list[str]) -> None:
    items = int(argv[0]) if argv else 10_000
    members = int(argv[1]) if len(argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        ws = build_board(Path(tmp) / "home", items, members)
        spread(ws.service)
        s = ws.service
        took = time.perf_counter() - started
        print(f"board: {items} items, {members} members, built in {took:.0f} s", flush=True)
        records = (s.members(), s.list("streams"), s.list("roles"), s.list("commitments"),
                   s.list("agreements"))
        net = build_network(s)
        me = s.me
        print(f"network: {len(net.nodes)} nodes, {len(net.edges)} edges, "
              f"{len(net.health())} health hints")
        rows: list[tuple[str, tuple[float, float], float | None]] = [
            ("build_network(service)", timeit(lambda: build_network(s)), GRAPH_TARGET_SECONDS),
            ("  of which reading the board", timeit(lambda: (
                s.members(), s.list("streams"), s.list("roles"), s.list("commitments"),
                s.list("agreements"))), None),
            ("  of which the graph (pure)",
             timeit(lambda: build_network_from(*records)), None),  # type: ignore[arg-type]
            ("health()", timeit(net.health), None),
            ("around(me, 1)", timeit(lambda: net.around(me, 1)), None),
            ("around(me, 2)", timeit(lambda: net.around(me, 2)), None),
            ("to_ascii(width=100)", timeit(lambda: to_ascii(net, 100)), None),
            ("to_dot", timeit(lambda: to_dot(net)), None),
            ("to_mermaid", timeit(lambda: to_mermaid(net)), None),
        ]
        if shutil.which("dot"):
            mine = net.around(me, 1)
            rows.append((f"to_svg(around(me, 1)) [{len(mine.nodes)} nodes]",
                         timeit(lambda: to_svg(mine), repeat=3), None))
        else:
            print("(Graphviz's dot is not installed: SVG not timed)")
        print(f"ascii: {len(to_ascii(net, 100).splitlines())} lines; "
              f"dot: {len(to_dot(net)) // 1024} KiB")
        print(f"{'step':<44} {'median':>9} {'best':>9}")
        for name, (median, best), target in rows:
            verdict = "" if target is None else (
                "  ok" if median < target else f"  SLOW (target {target} s)")
            print(f"{name:<44} {median * 1000:>7.1f}ms {best * 1000:>7.1f}ms{verdict}")
        ws.close()


if __name__ == "__main__":
    main(sys.argv[1:])
