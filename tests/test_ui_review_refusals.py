"""Board reviews in the terminal UI, refusals and bad input: invalid outcome data is
shown in its form and changes nothing; a second concurrent review is refused naming who
facilitates (and can be joined instead), also when it started while the form was open."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from board.reviews import ReviewService
from board.ui.app import make_app
from board.ui.screens.main import MainScreen
from board.ui.screens.review import ReviewScreen
from board.ui.screens.review_dialogs import AgendaScreen, ConfirmScreen, MinutesScreen
from board.ui.screens.review_forms import (
    OutcomeForm,
    RoundLineForm,
    StartReviewForm,
)
from tests.review_helpers import (
    REVIEWS_KEY,
    Homes,
    board_opener,  # noqa: F401 (the fixture board_of)
    current_title,
    demo_board,  # noqa: F401 (the fixture demo)
    go_next,
    jump_to,
    put,
    record_titled,
    second_member,
    shown_outcome,
    start_review,
    ticking_clock,  # noqa: F401 (the fixture clock)
)
from tests.test_ui_forms import error_of, fill
from tests.ui_helpers import (
    TickingClock,
    screen_text,
    settle,
    wait_for_board,
    wait_until,
)


async def test_invalid_outcomes_are_shown_in_the_form_and_change_nothing(
    demo: Path, board_of: Homes
) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await start_review(pilot)
        await go_next(pilot, "Set up uptime alerts for the booking API")
        # renegotiated: a date that is not one, then neither date nor terms
        await pilot.press("o", "r")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeForm), what="the form")
        await fill(pilot, due="someday soon")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, OutcomeForm), "an invalid form stays open"
        assert error_of(pilot, "due").startswith("bad date 'someday soon'")
        await fill(pilot, due="")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_of(pilot, "due") == "give a new due date or new terms (or both)"
        await pilot.press("escape")
        # a new commitment to myself
        await pilot.press("o", "n")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeForm), what="the form")
        await put(pilot, title="Talk to myself", to="Ana")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_of(pilot, "to") == "a commitment is a promise to someone else, not to yourself"
        await pilot.press("escape")
        # the board's rules refuse: a proposed commitment cannot become done
        await jump_to(pilot, "Mock up the one-page registration form")
        await pilot.press("o", "d")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeForm), what="the form")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: "cannot become done" in screen_text(pilot),
            what="the refusal in the form",
        )
        assert isinstance(app.screen, OutcomeForm)
        assert "a proposed commitment cannot become done" in str(
            app.screen.query_one("#form-error", Static).render()
        )
        await pilot.press("escape")
        await settle(pilot)
        assert shown_outcome(app) == ""
        # attendees' keys only: a decision needs its text
        await pilot.press("o", "t")
        await wait_until(pilot, lambda: isinstance(app.screen, OutcomeForm), what="the form")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_of(pilot, "note") == "write the decision down"
    s = board_of()
    assert record_titled(s, "Set up uptime alerts for the booking API").status == "accepted"
    assert record_titled(s, "Mock up the one-page registration form").status == "proposed"
    assert not [c for c in s.list("commitments") if c.label == "Talk to myself"]
    review = ReviewService(s).get()
    assert not any(i.get("outcome") for i in review.agenda)


async def test_a_second_review_is_refused_naming_who_facilitates_and_can_be_joined(
    demo: Path, tmp_path: Path, clock: TickingClock, board_of: Homes
) -> None:
    ws, gus = second_member(demo, tmp_path / "gus", "Gus", clock)
    facilitator = ReviewService(gus)  # Gus, writing to the same home from "his machine"
    facilitator.start(["Ben"])
    app = make_app(demo, clock=clock, poll_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        # Ana is not among the attendees: she is told, the screen stays where it is
        await wait_until(
            pilot,
            lambda: any("Gus is facilitating" in n.message for n in app._notifications),
            what="the notice",
        )
        assert isinstance(app.screen, MainScreen)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Join the running review", "Follow the running review"} <= titles
        await pilot.press(REVIEWS_KEY)
        await settle(pilot)
        assert "Gus facilitates" in screen_text(pilot)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="refusal")
        question = app.screen.query_one("#confirm-question", Static)
        assert "A review is already running: Gus is facilitating it since 09:00 UTC" in str(
            question.render()
        ), screen_text(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the offer")
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ReviewScreen) and app.screen.meeting is not None,
            what="follow mode",
        )
        follow = app.screen
        assert "following Gus · 3 present" in screen_text(pilot)
        assert "No item open yet" in screen_text(pilot)
        await pilot.press("o")  # the facilitator's keys do nothing for an attendee
        await settle(pilot)
        assert app.screen is follow
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "Record outcome…" not in titles and "Add an agenda item" in titles
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, RoundLineForm), what="line form")
        await fill(pilot, text="Glad to be here")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is follow, what="saved")
        facilitator.next()  # Gus opens the first item: Ana's screen follows
        await wait_until(pilot, lambda: current_title(app) == "Check-in round", what="following")
        assert "Glad to be here" in screen_text(pilot)
        # Gus ends the review while Ana looks at the agenda: back from it, the minutes show
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, AgendaScreen), what="the agenda")
        facilitator.end()
        await wait_until(
            pilot,
            lambda: any("Gus ended the review" in n.message for n in app._notifications),
            what="the end noticed",
        )
        assert isinstance(app.screen, AgendaScreen)
        await pilot.press("escape")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, MinutesScreen) and "Glad to be here" in app.screen.text,
            what="the minutes",
        )
    ws.close()
    s = board_of()
    review = ReviewService(s).get()
    assert [s.member_name(m) for m in review.attendees] == ["Gus", "Ben", "Ana"]
    assert [(s.member_name(r["member"]), r["text"]) for r in review.rounds] == [
        ("Ana", "Glad to be here")
    ]
    assert len(ReviewService(s).list()) == 1, "no second review was started"


async def test_starting_while_someone_else_just_started_is_refused_in_the_form(
    demo: Path, tmp_path: Path, clock: TickingClock
) -> None:
    ws, gus = second_member(demo, tmp_path / "gus", "Gus", clock)
    with ws:
        app = make_app(demo, clock=clock, poll_interval=0.2)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_board(pilot)
            await pilot.press(REVIEWS_KEY)
            await settle(pilot)
            await pilot.press("r")
            await wait_until(pilot, lambda: isinstance(app.screen, StartReviewForm), what="form")
            ReviewService(gus).start()  # while Ana fills the form
            await pilot.press("ctrl+s")
            await wait_until(
                pilot,
                lambda: "Gus is facilitating" in screen_text(pilot),
                what="the refusal in the form",
            )
            assert isinstance(app.screen, StartReviewForm)
        assert len(ReviewService(ws.service).list()) == 1
