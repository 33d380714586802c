"""Live updates: another process writing to the same home shows up without a restart, and
the selection and the text being typed survive it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from textual.widgets import Input

from board.ui.app import make_app
from board.ui.screens.detail import DetailScreen
from board.ui.widgets.activity_view import ActivityView
from board.ui.widgets.board_view import BoardView
from board.workspace import Workspace
from tests.ui_helpers import TickingClock, settle, wait_for_board, wait_until


async def other_process(home: Path, code: str) -> None:
    """Run ``code`` (with ``s``, the home's service) in a separate Python process."""
    script = (
        "import sys; from pathlib import Path; from board.workspace import Workspace\n"
        f"with Workspace.open(Path(sys.argv[1])) as ws:\n    s = ws.service\n    {code}\n"
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", script, str(home))
    assert await process.wait() == 0


async def test_another_process_adding_a_goal_appears_without_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()) as ws:
        printer = ws.service.add_commitment("Fix the printer", to="Facilities")
        ws.service.add_commitment("Order coffee", to="Facilities")
    app = make_app(home, clock=TickingClock(), poll_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        assert board.selected_id() == printer
        # start typing a filter, then the board changes underneath
        field = board.query_one("#f-text", Input)
        field.focus()
        await pilot.press(*"print")
        await settle(pilot)
        await other_process(home, "s.add_goal('Printer paper for the year', kind='routine')")
        await wait_until(
            pilot,
            lambda: any(c.title == "Printer paper for the year" for c in board.cards.values()),
            what="the other process's goal",
        )
        assert field.value == "print"
        assert app.screen.focused is field
        assert board.selected_id() == printer
        shown = [c.title for cl in board.visible_lists() for c in cl.cards]
        assert sorted(shown) == ["Fix the printer", "Printer paper for the year"]


async def test_a_card_moved_by_another_process_keeps_its_selection(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()) as ws:
        printer = ws.service.add_commitment("Fix the printer", to="Facilities")
    app = make_app(home, clock=TickingClock(), poll_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        await other_process(home, f"s.set_status('{printer}', 'accepted')")
        await wait_until(
            pilot, lambda: board.cards[printer].column == "accepted", what="the card to move"
        )
        await settle(pilot)
        assert board.selected_id() == printer
        assert board.active is not None and board.active.column == "accepted"
        assert board.cards_focused  # the keys still act on the cards: on this one
        await pilot.press("s")  # accepted -> in progress: the keys follow the card
        await wait_until(
            pilot, lambda: board.cards[printer].column == "doing", what="the card to advance"
        )


async def test_open_detail_and_activity_follow_external_changes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()) as ws:
        goal = ws.service.add_goal("Ship the beta", kind="change")
    app = make_app(home, clock=TickingClock(), poll_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None,
            what="the detail",
        )
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await other_process(home, f"s.checkin('{goal}', progress=70, confidence=9, note='Nearly')")
        await wait_until(
            pilot,
            lambda: detail.detail is not None and len(detail.detail.checkins) == 1,
            what="the check-in in the open detail",
        )
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        activity = app.screen.query_one(ActivityView)
        await other_process(home, f"s.set_status('{goal}', 'at_risk')")
        await wait_until(
            pilot,
            lambda: any(e.action == "status" for e in activity.entries.values()),
            what="the status change in the activity feed",
        )


async def test_sync_status_from_another_thread_shows_in_the_header(tmp_path: Path) -> None:
    import threading

    from board.events import PeersChanged, SyncProblem

    home = tmp_path / "home"
    Workspace.init(home, "Orbit", "Ana", clock=TickingClock()).close()
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        events = [PeersChanged(connected=2), SyncProblem("peer 10.0.0.7 sent garbage")]
        sender = threading.Thread(target=lambda: [app._on_event(e) for e in events])
        sender.start()
        sender.join()
        await wait_until(pilot, lambda: app.sub_title.endswith("· 2 peers"), what="peers")
        await wait_until(
            pilot,
            lambda: any("garbage" in n.message for n in app._notifications),
            what="the sync problem",
        )
