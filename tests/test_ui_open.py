"""Opening a board in the app: it is shown from its read-model tables while its document
still loads; what the user does meanwhile waits for the document instead of being lost,
and what another process wrote meanwhile appears once the document is open."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

import board.workspace as workspace_module
from board import document_load
from board.service import BoardService
from board.ui import opening
from board.ui.app import TeamboardApp, make_app
from board.ui.screens.main import MainScreen
from board.ui.widgets.board_view import BoardView
from board.workspace import Workspace
from tests.test_ui_live import other_process
from tests.ui_helpers import TickingClock, screen_text, wait_until


def board_shown(app: TeamboardApp) -> bool:
    screen = app.screen
    return isinstance(screen, MainScreen) and any(
        b.loaded and b.active is not None for b in screen.query(BoardView)
    )


async def wait_without_workers(pilot: Pilot[Any], condition: Any, what: str) -> None:
    """Like ``wait_until``, without waiting for workers (one of them is held on purpose)."""
    for _ in range(600):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_the_board_shows_before_its_document_loads_and_nothing_typed_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()) as ws:
        printer = ws.service.add_commitment("Fix the printer", to="Facilities")
    # Hold the document's load until the test says so (the real load, only later).
    release = threading.Event()
    real_open = BoardService.open.__func__  # type: ignore[attr-defined]

    def held_open(cls: type[BoardService], *args: Any, **kwargs: Any) -> BoardService:
        assert release.wait(120), "the test never let the document load"
        return real_open(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(workspace_module.BoardService, "open", classmethod(held_open))
    app = make_app(home, clock=TickingClock(), poll_interval=0.2)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_without_workers(pilot, lambda: board_shown(app), "the board")
            assert app.workspace is None  # shown from the tables: the document still loads
            assert "Fix the printer" in screen_text(pilot)
            board = app.screen.query_one(BoardView)
            assert board.selected_id() == printer
            await pilot.press("s")  # proposed -> accepted, asked before the document is open
            await other_process(home, "s.add_goal('Printer paper for the year')")
            await pilot.pause(0.2)
            assert board.cards[printer].column == "proposed"  # not done before it is saved
            release.set()
            await wait_until(
                pilot,
                lambda: board.cards[printer].column == "accepted",
                what="the status change asked for while the board opened",
            )
            await wait_until(
                pilot,
                lambda: any(c.title == "Printer paper for the year" for c in board.cards.values()),
                what="the goal another process added while the board opened",
            )
            assert board.selected_id() == printer
    finally:
        release.set()
    with Workspace.open(home) as ws:
        assert ws.service.get(printer).status == "accepted"  # type: ignore[attr-defined]


async def test_keys_are_answered_while_the_document_loads_in_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()) as ws:
        first = ws.service.add_commitment("Book the venue", to="Facilities")
        second = ws.service.add_commitment("Send the invitations", to="Facilities")
        ws.service.add_commitment("Order the coffee", to="Facilities")
    # The document loads in steps, the first of one change; after it, it waits until the
    # test says so.
    monkeypatch.setattr(document_load, "FIRST_BATCH", 1)
    halfway, release = threading.Event(), threading.Event()

    def held_pause() -> None:
        halfway.set()
        assert release.wait(120), "the test never let the document load"

    monkeypatch.setattr(opening, "_let_the_screen_run", held_pause)
    app = make_app(home, clock=TickingClock(), poll_interval=0.2)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_without_workers(pilot, lambda: board_shown(app), "the board")
            await wait_without_workers(pilot, halfway.is_set, "the document half loaded")
            board = app.screen.query_one(BoardView)
            assert app.workspace is None and board.selected_id() == first
            await pilot.press("down")  # answered from the board shown, mid-load
            assert board.selected_id() == second
            await pilot.press("up", "down")
            assert board.selected_id() == second
            await pilot.press("s")  # a change: waits for the document, is not lost
            await pilot.pause(0.2)
            assert board.cards[second].column == "proposed"
            release.set()
            await wait_until(
                pilot,
                lambda: board.cards[second].column == "accepted",
                what="the status change asked for while the document loaded",
            )
            assert board.cards[first].column == "proposed"
    finally:
        release.set()
    with Workspace.open(home) as ws:
        assert ws.service.get(second).status == "accepted"  # type: ignore[attr-defined]
