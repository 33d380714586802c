"""The Reviews view: the review in progress (if any) and the past ones (date, facilitator,
attendees, length). Enter follows the running review or shows a past review's minutes;
r starts a review, j joins the running one.

It also watches for a review that starts elsewhere (another member's machine, through
sync): when you are among its attendees the review screen opens by itself in follow mode,
so the meeting appears on your screen without any step of yours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from board.model import Review
from board.reviews import ReviewService
from board.service import BoardService
from board.ui.messages import BoardDelta
from board.ui.widgets.view import ItemTable, Row, View, cell


@dataclass
class ReviewList:
    reviews: list[Review]  # newest first
    running: Review | None


class ReviewsView(View):
    TITLE = "Reviews"
    COLLECTIONS = ("reviews",)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "start_review", "Start review"),
        Binding("j", "join_review", "Join review"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.listing: ReviewList | None = None
        self.watched: set[str] = set()  # running reviews already opened or announced
        self.running: Review | None = None  # as last seen (kept up to date even when hidden)

    def build(self) -> ComposeResult:
        yield Static("", id="reviews-current")
        yield ItemTable(
            [
                ("Started", 16),
                ("Facilitator", 11),
                ("Attendees", 24),
                ("Length", 8),
                ("Outcomes", 8),
            ],
            id="reviews-table",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.watch_reviews()

    def _board_changed(self, delta: BoardDelta) -> None:
        super()._board_changed(delta)
        if delta.touches("reviews"):
            self.watch_reviews()

    def reload(self, delta: BoardDelta | None) -> None:
        def fetch(service: BoardService) -> ReviewList:
            rs = ReviewService(service)
            return ReviewList(list(reversed(rs.list())), rs.running())

        self.tb.runner.load("reviews", fetch, self._loaded)

    def _loaded(self, listing: ReviewList) -> None:
        self.listing = listing
        self.running = listing.running
        d = self.directory
        running = listing.running
        if running is None:
            state = (
                "No review running. r starts one: you facilitate, the agenda is built from "
                "the board, and everyone synced with you can follow along."
            )
        else:
            mine = running.facilitator == d.me
            role = "you facilitate" if mine else f"{d.name(running.facilitator)} facilitates"
            enter = "Enter goes back to it" if mine else "Enter follows it"
            join = "" if d.me in running.attendees else ", j joins it"
            state = (
                f"▶ {running.title} is running since {running.started_at[11:16]} UTC: {role}, "
                f"{len(running.attendees)} present. {enter}{join}."
            )
        self.query_one("#reviews-current", Static).update(state)
        rows: list[Row] = []
        for r in listing.reviews:
            outcomes = sum(1 for i in r.agenda if i.get("outcome"))
            length = (
                "running"
                if r.running
                else (f"{round((r.duration_seconds or 0) / 60)} min" if r.ended_at else "—")
            )
            rows.append(
                (
                    r.id,
                    [
                        cell(r.started_at[:16].replace("T", " "), "bold" if r.running else ""),
                        cell(d.name(r.facilitator)),
                        cell(", ".join(d.name(m) for m in r.attendees)),
                        cell(length),
                        cell(f"{outcomes}/{len(r.agenda)}"),
                    ],
                )
            )
        self.query_one(ItemTable).show_rows(rows)
        self.screen.refresh_bindings()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        review_id = str(event.row_key.value)
        review = next(
            (r for r in (self.listing.reviews if self.listing else []) if r.id == review_id), None
        )
        if review is None:
            return
        if review.running:
            self.open_review(review.id)
        else:
            from board.ui.screens.review_dialogs import MinutesScreen

            self.app.push_screen(MinutesScreen(review.id))

    def focus_main(self) -> None:
        self.query_one(ItemTable).focus()

    # ------------------------------------------------------------------ actions
    def open_review(self, review_id: str) -> None:
        from board.ui.screens.review import ReviewScreen

        self.watched.add(review_id)
        if not any(
            isinstance(s, ReviewScreen) and s.review_id == review_id for s in self.app.screen_stack
        ):
            self.app.push_screen(ReviewScreen(review_id))

    def action_start_review(self) -> None:
        """Start a review (a form), or, when one is running, offer to join it."""
        self.tb.runner.load("review-start", lambda s: ReviewService(s).running(), self._start)

    def _start(self, running: Review | None) -> None:
        from board.ui.screens.review_dialogs import ConfirmScreen
        from board.ui.screens.review_forms import StartReviewForm

        d = self.directory
        if running is None:
            self.app.push_screen(StartReviewForm(), self._started)
        elif running.facilitator == d.me:
            self.tb.notify("You are facilitating the running review", timeout=3)
            self.open_review(running.id)
        else:
            who = d.name(running.facilitator)
            question = (
                f"A review is already running: {who} is facilitating it since "
                f"{running.started_at[11:16]} UTC ({len(running.attendees)} present). "
                "Only one review runs at a time.\n\nJoin it as an attendee?"
            )

            def answered(join: bool | None) -> None:
                if join:
                    self.action_join_review()

            self.app.push_screen(ConfirmScreen(question, "Join"), answered)

    def _started(self, review_id: str | None) -> None:
        if review_id:
            self.open_review(review_id)

    def action_join_review(self) -> None:
        def joined(review: Review) -> None:
            self.tb.notify(
                f"Joined; {self.directory.name(review.facilitator)} is facilitating", timeout=3
            )
            self.open_review(review.id)

        self.tb.runner.write(lambda s: ReviewService(s).join(), done=joined)

    def action_follow_review(self) -> None:
        def follow(running: Review | None) -> None:
            if running is None:
                self.tb.notify("No review is running; r starts one", severity="warning")
            else:
                self.open_review(running.id)

        self.tb.runner.load("review-follow", lambda s: ReviewService(s).running(), follow)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "join_review":
            running = self.running
            return running is not None and self.directory.me not in running.attendees
        return True

    def commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand(
            "Start a board review",
            "You facilitate; choose who attends (r in Reviews)",
            self.action_start_review,
        )
        if self.running is None:
            return
        yield SystemCommand(
            "Follow the running review",
            "Show the item under discussion, live",
            self.action_follow_review,
        )
        yield SystemCommand(
            "Join the running review",
            "Become an attendee (j in Reviews)",
            self.action_join_review,
        )

    # ------------------------------------------------------------------ follow along
    def watch_reviews(self) -> None:
        self.tb.runner.load("review-watch", lambda s: ReviewService(s).running(), self._watched)

    def _watched(self, running: Review | None) -> None:
        """A running review this app has not shown yet: open it when I take part and
        nothing else is in the way, else say that it runs."""
        from board.ui.screens.main import MainScreen

        self.running = running
        if running is None or running.id in self.watched:
            return
        self.watched.add(running.id)
        d = self.directory
        who = "You are" if running.facilitator == d.me else f"{d.name(running.facilitator)} is"
        taking_part = running.facilitator == d.me or d.me in running.attendees
        if taking_part and isinstance(self.app.screen, MainScreen):
            self.tb.notify(
                f"{who} facilitating a board review: following along (esc leaves)", timeout=4
            )
            self.open_review(running.id)
        else:
            self.tb.notify(
                f"{who} facilitating a board review: Reviews ({self._number()}) → Enter follows it",
                timeout=6,
            )

    def _number(self) -> str:
        from board.ui.screens.main import VIEWS

        keys = [key for key, _ in VIEWS]
        return str(keys.index("reviews") + 1) if "reviews" in keys else "?"
