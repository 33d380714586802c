"""Snapshots of each main view of the demo board at 80×24 and 160×48 (plus the welcome
screen, an item's detail and a form). Dates come from a frozen clock and ids are seeded,
so the pictures are the same on every run; update them with ``--snapshot-update`` and look
at the SVGs under ``__snapshots__`` before committing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from board.ui.app import make_app
from board.ui.screens.main import VIEWS
from tests.ui_helpers import TickingClock, demo_home, seed_ids, settle, wait_for_board, wait_until

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEAMBOARD_THEME", raising=False)
    seed_ids(monkeypatch)
    return demo_home(tmp_path)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", [key for key, _ in VIEWS])
def test_view(view: str, size: str, demo: Path, snap_compare: Any) -> None:
    number = str([key for key, _ in VIEWS].index(view) + 1)

    async def show(pilot: Pilot[Any]) -> None:
        await wait_for_board(pilot)
        await pilot.press(number)
        await settle(pilot)

    app = make_app(demo, clock=TickingClock())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=show)


@pytest.mark.parametrize("size", SIZES)
def test_item_detail(size: str, demo: Path, snap_compare: Any) -> None:
    async def open_goal(pilot: Pilot[Any]) -> None:
        from board.ui.screens.detail import DetailScreen
        from board.ui.widgets.board_view import BoardView

        await wait_for_board(pilot)
        board = pilot.app.screen.query_one(BoardView)
        doing = board.list_for("change", "doing")
        board.activate(doing)
        doing.cursor = next(
            i for i, c in enumerate(doing.cards) if c.title.startswith("First invoices")
        )
        await settle(pilot)
        await pilot.press("enter")  # a change goal with two check-ins
        await wait_until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, DetailScreen) and pilot.app.screen.detail is not None
            ),
            what="the detail",
        )
        await settle(pilot)

    app = make_app(demo, clock=TickingClock())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=open_goal)


def test_new_goal_form(demo: Path, snap_compare: Any) -> None:
    async def open_form(pilot: Pilot[Any]) -> None:
        from board.ui.screens.form import FormScreen

        await wait_for_board(pilot)
        await pilot.press("n", "g")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, FormScreen), what="the form")
        await pilot.press("ctrl+s")  # empty title: the error shows under the field
        await wait_until(
            pilot,
            lambda: bool(pilot.app.screen.query(".field-error.-shown")),
            what="the error under the field",
        )
        focused = pilot.app.screen.focused
        if focused is not None and hasattr(focused, "cursor_blink"):
            focused.cursor_blink = False  # the picture must not depend on the blink phase
        await settle(pilot)

    app = make_app(demo, clock=TickingClock())
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_form)


def test_welcome(tmp_path: Path, snap_compare: Any) -> None:
    async def wait(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.set_focus(None)  # no blinking cursor in the picture

    app = make_app(tmp_path / "empty", clock=TickingClock())
    assert snap_compare(app, terminal_size=(80, 24), run_before=wait)
