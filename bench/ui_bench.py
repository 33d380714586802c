"""UI benchmarks: time to first paint with 1,000 and 10,000 items, and keypress-to-screen
time for moving the cursor and for changing a status, next to a bare Textual app.

    python bench/ui_bench.py [--sizes 1000,10000] [--keep DIR] [--size 80x24]

Runs the app headless (Textual's own test driver: full layout and rendering, output to no
terminal). A key press is timed from posting the key event until the first frame the
compositor writes after the change is visible in the widget state, so the figures are
the app's own latency, without Pilot's settling waits. Building a 10,000-item board
takes a while the first time; ``--keep DIR`` reuses boards built earlier in DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from board.ui.app import make_app
from board.ui.widgets.board_view import BoardView
from board.workspace import Workspace, has_board


def build_board(home: Path, items: int) -> Path:
    """A board with ``items`` goals and commitments (one goal per four commitments), split
    over a routine and a change stream."""
    if has_board(home):
        return home
    with Workspace.init(home, "Bench team", "Me") as ws:
        s = ws.service
        streams = [
            s.add_stream("Operations", kind="routine"),
            s.add_stream("Experiments", kind="change"),
        ]
        goal = ""
        with ws.store.write():  # one durable commit for the whole batch
            for i in range(items):
                if i % 5 == 0:
                    goal = s.add_goal(
                        f"Goal {i}: keep the lights on",
                        kind=("routine", "change")[i % 2],
                        stream=streams[i % 2],
                    )
                else:
                    s.add_commitment(f"Commitment {i}: do the next thing", to="Customer", goal=goal)
    return home


class BareApp(App[None]):
    """The baseline: one Static, one binding that changes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("down", "bump", "Bump")]

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def compose(self) -> ComposeResult:
        yield Static("0", id="count")

    def action_bump(self) -> None:
        self.count += 1
        self.query_one(Static).update(str(self.count))


class Frames:
    """Counts the frames the app writes (wraps ``App._display``)."""

    def __init__(self, app: App[Any]) -> None:
        self.count = 0
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None:
                self.count += 1

        app._display = display  # type: ignore[method-assign]


async def key_to_frame(
    app: App[Any], frames: Frames, key: str, changed: Any, timeout: float = 30.0
) -> float:
    """Seconds from posting ``key`` until a frame is written after ``changed()`` holds."""
    start = time.perf_counter()
    app.post_message(events.Key(key, None))
    while not changed():
        await asyncio.sleep(0)
        if time.perf_counter() - start > timeout:
            raise TimeoutError(key)
    seen = frames.count
    while frames.count == seen:
        await asyncio.sleep(0)
        if time.perf_counter() - start > timeout:
            raise TimeoutError(key)
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def spread(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"median {ms(statistics.median(samples))}, p95 {ms(p95)}"


async def bench_bare(size: tuple[int, int], presses: int) -> dict[str, Any]:
    app = BareApp()
    start = time.perf_counter()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        first = time.perf_counter() - start
        frames = Frames(app)
        moves = []
        for _ in range(presses):
            before = app.count
            moves.append(
                await key_to_frame(app, frames, "down", lambda before=before: app.count != before)
            )
            await pilot.pause()
    return {"first": first, "painted": first, "move": moves, "status": []}


async def bench_board(
    home: Path, size: tuple[int, int], presses: int, changes: int
) -> dict[str, Any]:
    app = make_app(home)
    start = time.perf_counter()
    async with app.run_test(size=size) as pilot:
        first = time.perf_counter() - start  # the first screen is up ("Opening the board…")
        while not any(b.loaded for b in app.screen.query(BoardView)):
            await asyncio.sleep(0.002)
        await pilot.pause()
        painted = time.perf_counter() - start
        board = app.screen.query_one(BoardView)
        lists = board.list_for("routine", "proposed")
        board.activate(lists)
        await pilot.pause()
        frames = Frames(app)
        moves = []
        for i in range(presses):
            before = lists.cursor
            moves.append(
                await key_to_frame(
                    app,
                    frames,
                    "down" if i % 2 == 0 else "up",
                    lambda before=before: lists.cursor != before,
                )
            )
            await pilot.pause()
        statuses = []
        accepted = board.list_for("routine", "accepted")
        for _ in range(changes):
            board.activate(lists)
            await pilot.pause()
            card = lists.current
            assert card is not None
            statuses.append(
                await key_to_frame(app, frames, "s", lambda card=card: accepted.has(card.id))
            )
            await app.workers.wait_for_complete()
            await pilot.pause()
    return {"first": first, "painted": painted, "move": moves, "status": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="board sizes, comma-separated")
    parser.add_argument("--keep", type=Path, default=None, help="directory to keep boards in")
    parser.add_argument("--size", default="80x24", help="terminal size, WIDTHxHEIGHT")
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    size = (width, height)
    root = args.keep or Path(tempfile.mkdtemp(prefix="teamboard-bench-"))
    root.mkdir(parents=True, exist_ok=True)

    results: list[tuple[str, dict[str, Any]]] = [
        ("bare Textual app", asyncio.run(bench_bare(size, args.presses)))
    ]
    for items in (int(n) for n in args.sizes.split(",")):
        t = time.perf_counter()
        home = build_board(root / f"board-{items}", items)
        print(f"board with {items:,} items ready in {time.perf_counter() - t:.1f} s", flush=True)
        results.append(
            (f"{items:,} items", asyncio.run(bench_board(home, size, args.presses, args.changes)))
        )

    print(
        f"\nterminal {width}x{height}, headless; times from key press until the screen is "
        "repainted\n"
    )
    for name, r in results:
        print(f"{name}")
        print(f"  first frame          {ms(r['first'])}")
        print(f"  board painted        {ms(r['painted'])}")
        print(f"  cursor move          {spread(r['move'])}")
        if r["status"]:
            print(f"  status change (s)    {spread(r['status'])}")


if __name__ == "__main__":
    main()
