"""The board paints only what changed (columns keep their last lines while nothing touches
them), and what it shows after a change, a resize or a new theme is exactly what a board
opened afresh on the same data shows: no column keeps stale lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.style import Style
from textual.pilot import Pilot

from board.ui.app import make_app
from board.ui.text import KIND_GLYPH, KIND_LABEL
from board.ui.widgets.board_view import BoardView
from tests.ui_helpers import TickingClock, demo_home, settle, wait_for_board, wait_until

Cells = list[list[tuple[str, Style | None]]]


def screen_cells(pilot: Pilot[Any]) -> Cells:
    """Every cell of the screen as it is drawn: its character and its style."""
    strips = pilot.app.screen._compositor.render_strips()
    return [[(ch, seg.style) for seg in strip for ch in seg.text] for strip in strips]


def text(cells: Cells) -> str:
    return "\n".join("".join(ch for ch, _ in line) for line in cells)


async def fresh_screen(home: Path, size: tuple[int, int], selected: str | None) -> Cells:
    """The screen of a board opened anew on ``home``, with ``selected`` selected."""
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=size) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        if selected is not None:
            board.select_card(selected)
            await settle(pilot)
        return screen_cells(pilot)


async def test_a_status_change_shows_what_a_fresh_board_shows(tmp_path: Path) -> None:
    home = demo_home(tmp_path)
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        card = board.selected_id()
        assert card is not None
        column = board.cards[card].column
        before = screen_cells(pilot)
        await pilot.press("s")
        await wait_until(pilot, lambda: board.cards[card].column != column, what="the move")
        app.clear_notifications()  # the "Now ..." toast is not part of the board
        await settle(pilot)
        after = screen_cells(pilot)
        moved_to = board.active
        assert moved_to is not None and moved_to.has(card)
        region = moved_to.region
    assert after != before
    title = board.cards[card].title
    column_text = "\n".join(
        line[region.x : region.right] for line in text(after).splitlines()[region.y : region.bottom]
    )
    assert title[:10] in column_text  # on screen, in the column it moved to
    assert after == await fresh_screen(home, (80, 24), card)


async def test_a_resized_board_shows_what_a_fresh_board_of_that_size_shows(
    tmp_path: Path,
) -> None:
    home = demo_home(tmp_path)
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        await pilot.press("down")
        await settle(pilot)
        selected = board.selected_id()
        narrow = screen_cells(pilot)
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        wide = screen_cells(pilot)
    assert len(wide) == 48 and len(wide[0]) == 160 and wide != narrow
    # the two lanes side by side now (one above the other at 80 columns)
    routine, change = (f"{KIND_GLYPH[k]} {KIND_LABEL[k]}" for k in ("routine", "change"))
    assert any(routine in line and change in line for line in text(wide).splitlines())
    assert wide == await fresh_screen(home, (160, 48), selected)


async def test_a_new_theme_repaints_every_column(tmp_path: Path) -> None:
    home = demo_home(tmp_path)
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        selected = board.selected_id()
        dark = screen_cells(pilot)
        light_theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        app.theme = light_theme  # kept in the home: the fresh board below starts with it
        await settle(pilot)
        light = screen_cells(pilot)
    changed_rows = [y for y, (a, b) in enumerate(zip(dark, light)) if a != b]
    assert len(changed_rows) == len(dark)  # every row took the new colours
    assert light == await fresh_screen(home, (80, 24), selected)
