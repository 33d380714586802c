"""Adding and changing items through the UI: forms, inline validation, status, check-ins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from board.model import Agreement, Commitment, Goal
from board.ui.app import make_app
from board.ui.screens.detail import DetailScreen
from board.ui.screens.dialogs import NewItemScreen, StatusScreen
from board.ui.screens.forms import AgreementForm, CheckInForm, CommitmentForm, GoalForm
from board.ui.widgets.board_view import BoardView
from board.workspace import Workspace
from tests.ui_helpers import TickingClock, add_member, settle, wait_for_board, wait_until


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A board with Ana (me), Ben and Eli, and one routine stream."""
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()) as ws:
        ws.service.add_stream("Support", kind="routine", members=["Ana"])
    add_member(home, tmp_path / "ben", "Ben")
    add_member(home, tmp_path / "eli", "Eli")
    return home


def board_of(home: Path) -> Workspace:
    return Workspace.open(home)


async def fill(pilot: Pilot[Any], **fields: str) -> None:
    """Type into the open form's fields, as a person would."""
    for name, text in fields.items():
        field = pilot.app.screen.query_one(f"#field-{name}", Input)
        field.focus()
        field.value = ""
        await pilot.pause()
        await pilot.press(*text)


def error_of(pilot: Pilot[Any], name: str) -> str:
    label = pilot.app.screen.query_one(f"#error-{name}", Static)
    return str(label.render()) if label.has_class("-shown") else ""


async def test_add_a_goal_through_the_form(home: Path) -> None:
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewItemScreen)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, GoalForm)
        await fill(pilot, title="Answer tickets the same day", due="2026-04-01", confidence="7")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, GoalForm), what="form closed")
        board = app.screen.query_one(BoardView)
        await wait_until(
            pilot,
            lambda: any(c.title == "Answer tickets the same day" for c in board.cards.values()),
            what="the new card",
        )
        await wait_until(
            pilot,
            lambda: (
                getattr(board.records.get(board.selected_id() or ""), "title", "")
                == "Answer tickets the same day"
            ),
            what="the new card to be selected",
        )
    with board_of(home) as ws:
        goal = next(g for g in ws.service.list("goals") if isinstance(g, Goal))
        assert (goal.title, goal.due, goal.confidence) == (
            "Answer tickets the same day",
            "2026-04-01",
            7,
        )
        assert goal.owners == [ws.service.me]


async def test_add_a_commitment_through_the_form(home: Path) -> None:
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("n", "c")
        await settle(pilot)
        assert isinstance(app.screen, CommitmentForm)
        await fill(pilot, title="Send the weekly report", to="Ben", due="+3d")
        await pilot.press("enter")  # enter in a field saves the form
        await wait_until(pilot, lambda: not isinstance(app.screen, CommitmentForm), what="saved")
    with board_of(home) as ws:
        [c] = [c for c in ws.service.list("commitments") if isinstance(c, Commitment)]
        assert c.title == "Send the weekly report"
        assert ws.service.member_name(c.to) == "Ben"
        assert c.due == "2026-03-05"


async def test_what_to_create_is_picked_with_the_arrows_and_enter_or_not_at_all(home: Path) -> None:
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("n", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, NewItemScreen | CommitmentForm)
        await pilot.press("n", "down", "enter")  # goal, then commitment
        await settle(pilot)
        assert isinstance(app.screen, CommitmentForm)


async def test_add_an_agreement_through_the_form(home: Path) -> None:
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")  # the Agreements view only makes agreements
        await settle(pilot)
        assert isinstance(app.screen, AgreementForm)
        await fill(
            pilot,
            title="Handover every Monday",
            counterparts="Ben, Eli",
            expectations="A note by 10:00",
        )
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, AgreementForm), what="saved")
    with board_of(home) as ws:
        [a] = [a for a in ws.service.list("agreements") if isinstance(a, Agreement)]
        assert a.title == "Handover every Monday"
        assert sorted(ws.service.member_name(m) for m in a.counterparts) == ["Ben", "Eli"]
        assert a.status == "draft"


async def test_validation_errors_show_next_to_their_fields(home: Path) -> None:
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("n", "g")
        await settle(pilot)
        await fill(pilot, title="  ", confidence="11", due="someday", owners="Nobody")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GoalForm), "an invalid form stays open"
        assert error_of(pilot, "title") == "the title must not be empty"
        assert "confidence must be a whole number from 1 to 10" in error_of(pilot, "confidence")
        assert error_of(pilot, "due").startswith("bad date 'someday'")
        assert error_of(pilot, "owners") == "no member called 'Nobody'"
        assert error_of(pilot, "metric") == ""
        assert app.screen.focused is app.screen.query_one("#field-title")
        # fixing the fields clears the errors and saves
        await fill(pilot, title="Fixed", confidence="5", due="", owners="Ana")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, GoalForm), what="saved")
    with board_of(home) as ws:
        assert [g.title for g in ws.service.list("goals")] == ["Fixed"]


async def test_commitment_to_yourself_is_refused_inline(home: Path) -> None:
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("n", "c")
        await settle(pilot)
        await fill(pilot, title="Talk to myself", to="Ana")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not to yourself" in error_of(pilot, "to")


async def test_status_change_advances_and_refuses_with_a_reason(home: Path) -> None:
    with board_of(home) as ws:
        ws.service.add_commitment("Fix the printer", to="Ben")
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        assert board.selected_id() is not None
        await pilot.press("s")  # proposed -> accepted, the card moves and stays selected
        await wait_until(
            pilot,
            lambda: board.active is not None and board.active.column == "accepted",
            what="the card to move to Accepted",
        )
        assert board.records[board.selected_id() or ""].label == "Fix the printer"
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, StatusScreen)
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("proposed")
        await pilot.press("enter")
        await settle(pilot)
        error = app.screen.query_one("#status-error", Static)
        assert "an accepted commitment cannot become proposed" in str(error.render())
        options.highlighted = options.get_option_index("in_progress")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, StatusScreen), what="closed")
    with board_of(home) as ws:
        assert ws.service.list("commitments")[0].status == "in_progress"  # type: ignore[attr-defined]


async def test_check_in_records_progress_and_shows_it_in_the_detail(home: Path) -> None:
    with board_of(home) as ws:
        ws.service.add_goal("Ship the beta", kind="change", confidence=5)
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CheckInForm)
        await fill(
            pilot,
            progress="40",
            confidence="8",
            note="Beta build is out",
            learned="Testers want release notes",
        )
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CheckInForm), what="saved")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None,
            what="the detail",
        )
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.detail is not None
        assert [c.progress for c in detail.detail.checkins] == [40]
        assert "8" in str(detail.query_one("#d-spark-values", Static).render())
        assert any(h.action == "checked in" for h in detail.detail.history)
    with board_of(home) as ws:
        goal = ws.service.list("goals")[0]
        assert goal.confidence == 8  # type: ignore[attr-defined]


async def test_edit_an_item_through_its_form(home: Path) -> None:
    with board_of(home) as ws:
        ws.service.add_goal("Ship the beta", kind="change", confidence=5)
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, GoalForm), what="the edit form")
        field = app.screen.query_one("#field-title", Input)
        assert field.value == "Ship the beta"
        await fill(pilot, title="Ship the public beta")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, GoalForm), what="saved")
        board = app.screen.query_one(BoardView)
        await wait_until(
            pilot,
            lambda: any(c.title == "Ship the public beta" for c in board.cards.values()),
            what="the new title",
        )
    with board_of(home) as ws:
        [goal] = ws.service.list("goals")
        assert goal.label == "Ship the public beta"
        assert "edited" in [h.action for h in ws.service.history(goal.id)]


async def test_archive_and_restore_from_the_detail(home: Path) -> None:
    with board_of(home) as ws:
        goal = ws.service.add_goal("Old idea", kind="change")
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None,
            what="the detail",
        )
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await pilot.press("x")
        await wait_until(
            pilot,
            lambda: detail.detail is not None and detail.detail.record.archived,
            what="archived",
        )
        assert str(detail.query_one("#do-archive").label) == "Restore"
        await wait_until(pilot, lambda: goal not in board.cards, what="gone from the board")
        await pilot.press("x")
        await wait_until(pilot, lambda: goal in board.cards, what="back on the board")


async def test_cards_answer_the_mouse(home: Path) -> None:
    with board_of(home) as ws:
        ws.service.add_commitment("First", to="Ben")
        second = ws.service.add_commitment("Second", to="Ben")
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        proposed = board.list_for("routine", "proposed")
        await pilot.click(proposed, offset=(3, 2))  # the second card (under the column head)
        await settle(pilot)
        assert board.selected_id() == second
        await pilot.click(proposed, offset=(3, 2), times=2)
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail")
