"""Board reviews in the terminal UI: the Reviews view, the review screen (meeting mode),
outcomes recorded through their forms with the board changing in the same step, the
timebox, and a snapshot of the review screen at 80×24. Refusals and bad input are in
test_ui_review_refusals.py, follow mode over sync in test_ui_review_sync.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from board.model import Agreement, CheckIn, Commitment, Review
from board.reviews import ReviewService
from board.ui.app import make_app
from board.ui.screens.main import MainScreen
from board.ui.screens.review_dialogs import AgendaScreen, ConfirmScreen, MinutesScreen
from board.ui.screens.review_forms import (
    RoundLineForm,
    StartReviewForm,
)
from board.ui.widgets.reviews_view import ReviewsView
from board.ui.widgets.view import ItemTable
from tests.review_helpers import (
    Homes,
    board_opener,  # noqa: F401 (the fixture board_of)
    current_title,
    demo_board,  # noqa: F401 (the fixture demo)
    go_next,
    jump_to,
    meeting_screen,
    put,
    record,
    record_titled,
    shown_outcome,
    start_review,
    ticking_clock,  # noqa: F401 (the fixture clock)
)
from tests.test_ui_forms import error_of, fill
from tests.ui_helpers import (
    TickingClock,
    demo_home,
    screen_text,
    seed_ids,
    settle,
    wait_for_board,
    wait_until,
)


async def test_a_whole_review_on_the_demo_board(
    demo: Path, clock: TickingClock, board_of: Homes
) -> None:
    app = make_app(demo, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await start_review(pilot)
        meeting_screen(app)
        assert "you facilitate · 3 present" in screen_text(pilot)
        assert "Item 1 of 15 · Check-in round" in screen_text(pilot)
        assert "⏱ 3:00 left" in screen_text(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in [
            "Next agenda item",
            "Previous agenda item",
            "Record outcome…",
            "Skip this item",
            "Skip this section",
            "Move this section earlier",
            "Move this section later",
            "End the review",
            "Agenda",
            "Add an agenda item",
            "Add my check-in or closing line",
            "Leave the review screen",
        ]:
            assert title in titles, title

        # the check-in round: my line, and one the facilitator writes for Ben
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, RoundLineForm), what="line form")
        await put(pilot, text="Rested, one worry about billing")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Rested, one worry" in screen_text(pilot), what="my line")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, RoundLineForm), what="line form")
        await fill(pilot, text="Busy week", member="Ben")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Busy week" in screen_text(pilot), what="Ben's line")

        # done: the commitment is done on the board at once
        await go_next(pilot, "Set up uptime alerts for the booking API")
        assert "Item 2 of 15 · Commitments overdue or due before the next review (1 of 4)" in (
            screen_text(pilot)
        )
        assert "overdue since 2026-02-28" in screen_text(pilot)
        assert "Ben → Ana" in screen_text(pilot)
        await record(pilot, "d")
        await wait_until(pilot, lambda: shown_outcome(app) == "done", what="done shown")
        assert "Outcome: done — status accepted → done" in screen_text(pilot)

        # renegotiated with a new due date
        await go_next(pilot, "Sign the PayBridge sandbox contract")
        await record(pilot, "r", due="2026-03-20", note="PayBridge legal is slow")
        await wait_until(pilot, lambda: shown_outcome(app) == "renegotiated", what="renegotiated")

        # a new commitment, who commits to whom
        await go_next(pilot, "Export last year's invoices for Dara")
        await record(
            pilot, "n", title="Send the export by e-mail", by="Chen", to="Dara", due="2026-03-06"
        )
        await wait_until(pilot, lambda: shown_outcome(app) == "new-commitment", what="new one")

        # back one item: previous works, and the recorded outcome is still there
        await pilot.press("left")
        await wait_until(
            pilot,
            lambda: current_title(app) == "Sign the PayBridge sandbox contract",
            what="the previous item",
        )
        assert shown_outcome(app) == "renegotiated"

        # an agreement reviewed: the three questions and its next review date
        await jump_to(pilot, "On-call handover every Monday")
        await record(
            pilot,
            "v",
            helped="No missed pages",
            improve="Write it before 10:00",
            concerns="none",
            review_on="2026-04-06",
        )
        await wait_until(pilot, lambda: shown_outcome(app) == "agreement-reviewed", what="review")

        # a free-text decision on a goal, then skip the rest of its section
        await jump_to(pilot, "Answer support tickets within a day")
        await record(pilot, "t", note="Ben pairs with Eli on tickets until the backlog is gone")
        await wait_until(pilot, lambda: shown_outcome(app) == "decision", what="the decision")
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"skip this section", "enter")
        await wait_until(
            pilot,
            lambda: current_title(app) == "Closing round",
            what="the closing round after skipping the goals",
        )

        # end: confirm, and the minutes are on screen
        await pilot.press("E")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        assert "agenda items have no outcome yet" in screen_text(pilot)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, MinutesScreen) and "Decisions" in app.screen.text,
            what="the minutes",
        )
        minutes = app.screen
        assert isinstance(minutes, MinutesScreen)
        assert "Ben pairs with Eli on tickets" in minutes.text
        assert "**Ben:** Busy week" in minutes.text
        await settle(pilot)
        assert "Board review 2026-03-02" in screen_text(pilot)

        # the Reviews view lists it, and Enter shows its minutes again
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="main screen")
        view = app.screen.query_one(ReviewsView)
        table = view.query_one(ItemTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the past review listed")
        row = [c.plain for c in table.get_row_at(0)]
        assert row[0] == "2026-03-02 09:00" and row[1] == "Ana"
        assert row[2] == "Ana, Ben, Chen" and row[3].endswith("min") and row[4] == "5/15"
        assert "No review running" in screen_text(pilot)
        table.focus()
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, MinutesScreen) and "Decisions" in app.screen.text,
            what="the minutes from the list",
        )
        await settle(pilot)
        assert "Board review 2026-03-02" in screen_text(pilot)
        assert "Ben pairs with Eli" not in screen_text(pilot)  # the decisions come last…
        await pilot.press("end")
        await settle(pilot)
        assert "Ben pairs with Eli" in screen_text(pilot)  # …and the minutes scroll

    s = board_of()
    assert record_titled(s, "Set up uptime alerts for the booking API").status == "done"
    paybridge = record_titled(s, "Sign the PayBridge sandbox contract")
    assert (paybridge.status, paybridge.due) == ("renegotiated", "2026-03-20")
    made = record_titled(s, "Send the export by e-mail")
    assert isinstance(made, Commitment)
    assert (s.member_name(made.by), s.member_name(made.to), made.due) == (
        "Chen",
        "Dara",
        "2026-03-06",
    )
    handover = record_titled(s, "On-call handover every Monday")
    assert isinstance(handover, Agreement) and handover.review_on == "2026-04-06"
    notes = [c.note for c in s.checkins_for(handover.id) if isinstance(c, CheckIn)]
    assert any("helped: No missed pages" in n for n in notes)
    [review] = [r for r in s.list("reviews") if isinstance(r, Review)]
    assert review.ended_at and "Send the export by e-mail" in review.minutes
    assert "*Skipped.*" in review.minutes  # the goals section


async def test_the_agenda_skips_and_reorders_sections(demo: Path, board_of: Homes) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await start_review(pilot)
        await pilot.press("g")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, AgendaScreen) and app.screen.meeting is not None,
            what="the agenda",
        )
        agenda = app.screen
        assert isinstance(agenda, AgendaScreen)
        options = agenda.query_one(OptionList)
        options.highlighted = options.get_option_index("section:proposed")
        await pilot.press("u")  # awaiting an answer before the overdue ones
        await wait_until(
            pilot,
            lambda: (
                agenda.meeting is not None
                and agenda.meeting.review.sections[1:3] == ["proposed", "due"]
            ),
            what="the section moved up",
        )
        assert options.highlighted == options.get_option_index("section:proposed")
        options.highlighted = options.get_option_index("section:goals")
        await pilot.press("s")
        await wait_until(
            pilot,
            lambda: "Goals off track  (skipped)" in screen_text(pilot),
            what="the section skipped",
        )
        await pilot.press("escape")
        await go_next(pilot, "Mock up the one-page registration form")  # proposed comes first
    review = ReviewService(board_of()).get()
    assert review.sections[:3] == ["checkin", "proposed", "due"]
    assert review.skipped == ["goals"]


async def test_the_timebox_turns_red_when_the_item_runs_over(
    demo: Path, clock: TickingClock
) -> None:
    app = make_app(demo, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await start_review(pilot)
        box = meeting_screen(app).query_one("#rv-timebox", Static)
        assert not box.has_class("-over")
        clock.moment += dt.timedelta(minutes=2)
        await wait_until(pilot, lambda: "⏱ 1:00 left" in screen_text(pilot), what="a minute left")
        assert not box.has_class("-over")
        clock.moment += dt.timedelta(minutes=1, seconds=30)
        await wait_until(pilot, lambda: box.has_class("-over"), what="the timebox over")
        assert "⏱ 0:30 over time" in screen_text(pilot)
        await go_next(pilot, "Set up uptime alerts for the booking API")  # a fresh timebox
        assert not box.has_class("-over") and "⏱ 3:00 left" in screen_text(pilot)


async def test_a_review_starts_from_the_palette_with_its_own_timebox(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Start a board review", "Show Reviews"} <= titles
        assert "Join the running review" not in titles  # none is running
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"start a board review", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, StartReviewForm), what="form")
        await put(pilot, attendees="Ben, Nobody", timebox="soon", next_review="yesterday")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StartReviewForm)
        assert error_of(pilot, "attendees") == "no member called 'Nobody'"
        assert error_of(pilot, "timebox").startswith("bad timebox 'soon'")
        assert "must be after today" in error_of(pilot, "next_review")
        await fill(pilot, attendees="Ben", timebox="5m", next_review="")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: current_title(app) == "Check-in round", what="started")
        assert "⏱ 5:00 left" in screen_text(pilot)


# ------------------------------------------------------------------------------ snapshot


def test_review_screen_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_compare: Any
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEAMBOARD_THEME", raising=False)
    seed_ids(monkeypatch)
    clock = TickingClock()
    demo = demo_home(tmp_path, clock)

    async def in_review(pilot: Pilot[Any]) -> None:
        await wait_for_board(pilot)
        await start_review(pilot)
        await go_next(pilot, "Set up uptime alerts for the booking API")
        await settle(pilot)

    app = make_app(demo, clock=clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=in_review)
