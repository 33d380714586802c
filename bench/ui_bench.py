"""UI benchmarks: time to first paint of a 1,000- and a 10,000-item board, and keypress-to-
screen time for moving the cursor and for changing a status, each next to the floor that
the parts underneath set in the same run.

    python bench/ui_bench.py [--sizes 1000,10000] [--keep DIR] [--size 80x24]

Runs the app headless (Textual's own test driver: full layout and rendering) and turns every
frame into the bytes a terminal would get, so a frame costs what it would cost on screen.
A key press is timed from posting the key event until the first frame written after the
change is visible in the widget state; after the timing, the screen is checked to show it
(the card's title in its new column). First paint is timed from the start of the app until
the first frame that shows cards. From then on keys are pressed one after another, at the
pace of a key held down, until the board's document has loaded: "interactive" is when the
first of them (pressed at the first paint) was answered on screen; "keys while loading" is
the slowest of the others (to stay interactive while the document loads, none may take
longer than 50 ms, the long-task threshold of a web page's "time to interactive");
"document loaded" is when a change no longer waits for the document (one asked for before
waits, and is not lost).

Floors, measured in the same run on the same board: a bare Textual app reaching idle and
answering a key; automerge ``load()`` of the same document; reading the same rows with
plain ``sqlite3``. Targets (issue 3): first paint within 2x (automerge load + rows + bare
start); key to screen within one frame (17 ms) of the bare app's, flat from 1k to 10k.
Everything runs ``--rounds`` times, interleaved, and the samples are pooled (medians), so a
busy spell on a shared machine falls on the floors and on the app alike. Building a
10,000-item board takes a while the first time; ``--keep DIR`` reuses boards (each run works
on a copy, so every run starts from the same board).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automerge import core as am
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Static

from bench.common import stored_document
from board.ui.app import make_app
from board.ui.widgets.board_view import BoardView
from board.workspace import Workspace, has_board

FRAME = 0.017  # one frame at 60 Hz
# A key answered later than this is a "long task" (the threshold of the web's
# time-to-interactive): while the document loads, no key should take longer.
LONG_KEY = 0.050
KEYS_AFTER_LOADING = 3
KEY_REPEAT = 1 / 30  # seconds from key to key while the document loads: a key held down


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


# ----------------------------------------------------------------------------- floors
def automerge_load(home: Path) -> float:
    """Seconds for a bare automerge load of the board's snapshot + later changes."""
    data = stored_document(home)
    start = time.perf_counter()
    am.Document.load(data)
    return time.perf_counter() - start


def read_rows(home: Path) -> float:
    """Seconds to read the rows the board shows (items, members, streams, team) with plain
    sqlite3."""
    start = time.perf_counter()
    conn = sqlite3.connect(home / "board.db")
    for table in ("goals", "commitments", "members", "streams", "team"):
        conn.execute(f"SELECT * FROM [{table}]").fetchall()
    conn.close()
    return time.perf_counter() - start


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


# ----------------------------------------------------------------------------- frames
class Frames:
    """Watches the frames the app writes (wraps ``App._display``), turning each into the
    bytes a terminal would receive, and notes the first frame written while a condition
    holds (``expect``). Waiting for it sleeps: a loop polling the condition would hold the
    interpreter lock and slow down the app's worker threads."""

    def __init__(self, app: App[Any]) -> None:
        self.count = 0
        self.watch: Any = None
        self.seen_at: float | None = None
        self.seen = asyncio.Event()
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(app.console)
            self.count += 1
            if self.seen_at is None and self.watch is not None and self.watch():
                self.seen_at = time.perf_counter()
                self.seen.set()

        app._display = display  # type: ignore[method-assign]

    def expect(self, condition: Any) -> None:
        self.watch, self.seen_at = condition, None
        self.seen.clear()

    async def wait(self, timeout: float = 30.0) -> float:
        """When the first frame written while the expected condition held was written."""
        await asyncio.wait_for(self.seen.wait(), timeout)
        assert self.seen_at is not None
        self.watch = None
        return self.seen_at


def screen_text(app: App[Any], widget: Widget) -> str:
    """The text the screen shows in ``widget``'s region (as last written)."""
    region = widget.region
    strips = app.screen._compositor.render_strips()
    lines = [s.text for s in strips[region.y : region.y + region.height]]
    return "\n".join(line[region.x : region.x + region.width] for line in lines)


async def key_to_frame(app: App[Any], frames: Frames, key: str, changed: Any) -> float:
    """Seconds from posting ``key`` until a frame is written while ``changed()`` holds."""
    frames.expect(changed)
    start = time.perf_counter()
    app.post_message(events.Key(key, None))
    return await frames.wait() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else float("nan")


# ----------------------------------------------------------------------------- runs
async def interactive_after_paint(
    app: App[Any], frames: Frames, lists: Any, start: float
) -> dict[str, Any]:
    """From the first paint, press keys (cursor down, up, ...) one after another, as fast
    as a key held down repeats, until the board's document has loaded, and a few more.
    Returns seconds since ``start``: ``ready``, when the screen became interactive (the
    first key, pressed at the first paint, was answered on screen); ``loaded``, when the
    document had loaded (a change asked for before waits for it); and ``loading_keys``,
    the seconds each later key took that was pressed before the document had loaded (the
    screen stays interactive meanwhile when all are within ``LONG_KEY``)."""
    loaded: list[float] = []

    async def watch_loading() -> None:
        while getattr(app, "workspace", None) is None:
            await asyncio.sleep(0.002)
        loaded.append(time.perf_counter() - start)

    watcher = asyncio.create_task(watch_loading())
    keys: list[tuple[float, float]] = []  # (pressed, answered), since start
    after = 0
    while after < KEYS_AFTER_LOADING:
        before = lists.cursor
        pressed = time.perf_counter() - start
        key = "down" if len(keys) % 2 == 0 else "up"
        took = await key_to_frame(app, frames, key, lambda before=before: lists.cursor != before)
        keys.append((pressed, pressed + took))
        if loaded:
            after += 1
        await asyncio.sleep(max(0.0, KEY_REPEAT - took))  # a key held down
    await watcher
    return {
        "ready": keys[0][1],
        "loaded": loaded[0],
        "loading_keys": [b - a for a, b in keys[1:] if a < loaded[0]],
    }


async def bench_bare(size: tuple[int, int], presses: int) -> dict[str, Any]:
    app = BareApp()
    start = time.perf_counter()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        idle = time.perf_counter() - start
        frames = Frames(app)
        moves = []
        for _ in range(presses):
            before = app.count
            moves.append(
                await key_to_frame(app, frames, "down", lambda before=before: app.count != before)
            )
            await pilot.pause()
    return {"idle": idle, "move": moves}


async def bench_board(
    home: Path, size: tuple[int, int], presses: int, changes: int
) -> dict[str, Any]:
    app = make_app(home)
    frames = Frames(app)

    def cards_shown() -> bool:
        return any(b.loaded and b.active is not None for b in app.screen.query(BoardView))

    frames.expect(cards_shown)
    start = time.perf_counter()
    async with app.run_test(size=size) as pilot:
        painted = await frames.wait(120) - start
        board = app.screen.query_one(BoardView)
        shown = screen_text(app, board)
        first = board.active.cards[0] if board.active and board.active.cards else None
        assert first is not None and first.title[:8] in shown, "first paint shows no cards"
        assert board.active is not None
        opened = await interactive_after_paint(app, frames, board.active, start)
        await app.workers.wait_for_complete()
        await pilot.pause()

        lists = board.list_for("routine", "proposed")
        board.activate(lists)
        await pilot.pause()
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
            shown = screen_text(app, accepted)
            assert card.title[:12] in shown, f"{card.title!r} not on screen in Accepted"
            await app.workers.wait_for_complete()
            await pilot.pause()
    return {"painted": painted, **opened, "move": moves, "status": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="board sizes, comma-separated")
    parser.add_argument("--keep", type=Path, default=None, help="directory to keep boards in")
    parser.add_argument("--size", default="80x24", help="terminal size, WIDTHxHEIGHT")
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of everything, interleaved (noise spreads)"
    )
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    size = (width, height)
    root = args.keep or Path(tempfile.mkdtemp(prefix="teamboard-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    sizes = [int(n) for n in args.sizes.split(",")]
    homes = {}
    for items in sizes:
        t = time.perf_counter()
        homes[items] = build_board(root / f"board-{items}", items)
        print(f"board with {items:,} items ready in {time.perf_counter() - t:.1f} s", flush=True)

    load_at_start = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    # Every round runs the bare app, the floors and each board once: a busy spell on this
    # shared machine then falls on all of them alike. Samples are pooled over the rounds.
    bare: dict[str, list[float]] = {"idle": [], "move": []}
    runs: dict[int, dict[str, list[float]]] = {
        n: {
            "painted": [],
            "ready": [],
            "loaded": [],
            "loading_keys": [],
            "move": [],
            "status": [],
            "load": [],
            "read": [],
        }
        for n in sizes
    }
    for _ in range(args.rounds):
        b = asyncio.run(bench_bare(size, args.presses))
        bare["idle"].append(b["idle"])
        bare["move"] += b["move"]
        for items in sizes:
            home = homes[items]
            runs[items]["load"].append(automerge_load(home))
            runs[items]["read"].append(read_rows(home))
            with tempfile.TemporaryDirectory(prefix="teamboard-bench-run-") as scratch:
                # A run changes statuses: it works on a copy, so each starts from one board.
                copy = Path(scratch) / "home"
                shutil.copytree(home, copy)
                r = asyncio.run(bench_board(copy, size, args.presses, args.changes))
            for key in ("painted", "ready", "loaded"):
                runs[items][key].append(r[key])
            runs[items]["loading_keys"] += r["loading_keys"]
            runs[items]["move"] += r["move"]
            runs[items]["status"] += r["status"]

    bare_idle, bare_key = median(bare["idle"]), median(bare["move"])
    rows: list[tuple[str, str, str, str, str]] = [
        ("bare Textual app: start to idle", ms(bare_idle), "", "", ""),
        ("bare Textual app: key to screen (median)", ms(bare_key), "", "", ""),
    ]
    move_by_size: dict[int, float] = {}
    status_by_size: dict[int, float] = {}
    for items, r in runs.items():
        load, read = median(r["load"]), median(r["read"])
        floor = load + read + bare_idle
        painted, ready, loaded = median(r["painted"]), median(r["ready"]), median(r["loaded"])
        move, status = median(r["move"]), median(r["status"])
        move_by_size[items], status_by_size[items] = move, status
        n = f"{items:,} items"
        rows += [
            (f"{n}: floor: automerge load", ms(load), "", "", ""),
            (f"{n}: floor: read the rows (sqlite3)", ms(read), "", "", ""),
            (f"{n}: floor: load + rows + bare start", ms(floor), "", "", ""),
            (f"{n}: first paint", ms(painted), ms(floor), ratio(painted, floor), "2x"),
            (f"{n}: interactive (first key answered)", ms(ready), ms(floor), ratio(ready, floor),
             "2x"),
            (f"{n}: keys while loading, worst", ms(max(r["loading_keys"], default=0.0)), "",
             "", f"{LONG_KEY * 1000:.0f} ms"),
            (f"{n}: document loaded", ms(loaded), ms(floor), ratio(loaded, floor), ""),
            (f"{n}: cursor move, median", ms(move), ms(bare_key), above(move, bare_key), "+17 ms"),
            (f"{n}: cursor move, p95", ms(p95(r["move"])), "", "", ""),
            (f"{n}: status change (s), median", ms(status), ms(bare_key), above(status, bare_key),
             "+17 ms"),
            (f"{n}: status change (s), p95", ms(p95(r["status"])), "", "", ""),
        ]  # fmt: skip
    load_now = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"\nterminal {width}x{height}, headless; key: from the key press to the frame showing "
        f"it; medians over {args.rounds} interleaved rounds\nload average at start "
        f"{load_at_start}, at the end {load_now} (on a busy machine every figure grows, the "
        "floors too)\n"
    )
    print(f"{'figure':<44} {'ours':>10} {'floor':>10} {'vs floor':>9}  target")
    for figure, ours, floor_, versus, target in rows:
        print(f"{figure:<44} {ours:>10} {floor_:>10} {versus:>9}  {target}")
    if len(status_by_size) > 1:
        small, big = min(status_by_size), max(status_by_size)
        print(
            f"\nflat in board size ({small:,} -> {big:,} items): cursor move "
            f"{(move_by_size[big] - move_by_size[small]) * 1000:+.1f} ms, status change "
            f"{(status_by_size[big] - status_by_size[small]) * 1000:+.1f} ms"
        )


def ratio(ours: float, floor: float) -> str:
    return f"{ours / floor:.2f}x"


def above(ours: float, floor: float) -> str:
    return f"{(ours - floor) * 1000:+.1f} ms"


if __name__ == "__main__":
    main()
