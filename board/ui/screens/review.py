"""The review screen (meeting mode): one agenda item at a time, its timebox, its outcome.

The facilitator moves through the agenda, records outcomes, skips and reorders, and ends
the review. Everyone else sees the same screen in follow mode: it shows the item the
facilitator opened, live, because the review (with its ``current`` item) is part of the
board document and every change to it reaches this screen as a board update (from sync,
from another process on the same home, or from this app). Anyone present can add agenda
items and their check-in or closing line. Every action has a key and a palette command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from board.model import BoardError, NotFound
from board.review_agenda import SECTIONS
from board.reviews import ReviewService
from board.ui.app_part import MeetingPart
from board.ui.meeting import (
    Meeting,
    item_body,
    load_meeting,
    remaining,
    timebox_text,
    where_text,
)
from board.ui.messages import BoardDelta

FACILITATOR_ACTIONS = {"next", "previous", "outcome", "skip", "end"}
WATCHED = ("reviews", "goals", "commitments", "agreements", "checkins", "members")


class ReviewScreen(MeetingPart, Screen[None]):
    """Meeting mode for the facilitator, follow mode for everyone else."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,n", "next", "Next", key_display="→", priority=True),
        Binding("left,p", "previous", "Prev", key_display="←", priority=True),
        Binding("o", "outcome", "Outcome"),
        Binding("s", "skip", "Skip", show=False),  # told on the hint line
        Binding("g", "agenda", "Agenda"),
        Binding("a", "add_item", "Add"),
        Binding("l", "line", "Line"),
        Binding("E", "end", "End", key_display="E"),
        Binding("escape", "leave", "Leave"),
    ]

    def __init__(self, review_id: str) -> None:
        super().__init__()
        self.review_id = review_id
        self.meeting: Meeting | None = None
        self._ended_shown = False
        self._ended_by: str | None = None  # the review ended while another screen was on top

    # ------------------------------------------------------------------ layout and data
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="rv-top"):
            yield Static("Loading the review…", id="rv-who")
            yield Static("", id="rv-timebox")
        yield Static("", id="rv-where")
        with VerticalScroll(id="rv-body"):
            yield Static("", id="rv-item")
        yield Static("", id="rv-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.tb.board_changed.subscribe(self, self._board_changed)
        self.set_interval(1.0, self._tick, name="timebox")
        self.query_one("#rv-body").focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self._ended_by is not None:
            self._show_minutes(self._ended_by)

    def _board_changed(self, delta: BoardDelta) -> None:
        if delta.touches(*WATCHED):
            self.load()

    def load(self) -> None:
        review_id = self.review_id
        self.tb.runner.load(
            f"meeting-{review_id}", lambda s: load_meeting(s, review_id), self.show, self._gone
        )

    def _gone(self, exc: BoardError) -> None:
        self.tb.show_error(exc)
        if isinstance(exc, NotFound) and self.app.screen is self:  # archived, or never synced
            self.dismiss()

    def show(self, meeting: Meeting) -> None:
        self.meeting = meeting
        review, d = meeting.review, self.tb.directory
        if review.ended_at:
            self._show_minutes(review.ended_by)
            return
        who = d.name(review.facilitator)
        role = "you facilitate" if self.facilitating else f"following {who}"
        present = len(review.attendees)
        self.query_one("#rv-who", Static).update(f"{review.title} · {role} · {present} present")
        self.query_one("#rv-where", Static).update(where_text(meeting))
        self.query_one("#rv-item", Static).update(item_body(meeting, d.labels(), self.tb.today()))
        self.query_one("#rv-hint", Static).update(self._hint(meeting))
        self._tick()
        self.refresh_bindings()

    def _hint(self, meeting: Meeting) -> str:
        item = meeting.item
        if not self.facilitating:
            return "Follow mode: moves with the facilitator · a adds an item · l your line"
        if item is None:
            if not meeting.begun:
                return "→ opens the first item"
            return "g goes back to an item · E ends the review and stores the minutes"
        if item.is_round:
            return "l adds a line (yours or an attendee's) · o records an outcome · → next"
        return "o records the outcome (the board changes with it) · → next · s skips"

    def _tick(self) -> None:
        meeting = self.meeting
        box = self.query_one("#rv-timebox", Static)
        if meeting is None or meeting.review.ended_at:
            box.update("")
            return
        clock = self.tb.clock
        now = clock() if clock is not None else dt.datetime.now(dt.UTC)
        timebox = meeting.review.timebox_seconds
        left = remaining(meeting.item, timebox, now)
        box.update(timebox_text(left, timebox))
        box.set_class(left is not None and left < 0, "-over")

    def _show_minutes(self, ended_by: str) -> None:
        """The review ended: say so (once), and show the minutes in place of this screen
        as soon as it is on top (a form or the agenda may be open over it)."""
        from board.ui.screens.review_dialogs import MinutesScreen

        if self._ended_shown:
            return
        if self._ended_by is None and ended_by and ended_by != self.tb.directory.me:
            who = self.tb.directory.name(ended_by)
            self.tb.notify(f"{who} ended the review; the minutes are stored", timeout=5)
        self._ended_by = ended_by
        if self.app.screen is not self:
            return
        self._ended_shown = True
        self.app.switch_screen(MinutesScreen(self.review_id))

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in FACILITATOR_ACTIONS:
            if self.meeting is None:
                return None
            if not self.facilitating:
                return False
            if action in ("outcome", "skip") and self.meeting.item is None:
                return None
        return True

    def _write(self, call: Callable[[ReviewService], Any], done: Callable[[Any], Any]) -> None:
        self.tb.runner.write(lambda s: call(ReviewService(s)), done=done)

    def action_next(self) -> None:
        self._write(lambda rs: rs.next(), self._moved)

    def _moved(self, item: object) -> None:
        if item is None:
            self.tb.notify("End of the agenda: E ends the review and stores the minutes")

    def action_previous(self) -> None:
        meeting = self.meeting
        before = meeting.previous() if meeting is not None else None
        if before is None:
            self.tb.notify("This is the first item", severity="warning", timeout=2)
            return
        self._write(lambda rs: rs.next(before.id), self._moved)

    def action_outcome(self) -> None:
        from board.ui.screens.review_forms import OutcomeChooser, OutcomeForm

        item = self.meeting.item if self.meeting else None
        if item is None:
            return
        if item.outcome:
            self.tb.notify(
                f"This item already has an outcome ({item.outcome}); add an agenda item for "
                "another one",
                severity="warning",
            )
            return

        def chosen(kind: str | None) -> None:
            if kind:
                self.tb.push_screen(OutcomeForm(kind, item), self._recorded)

        self.tb.push_screen(OutcomeChooser(item), chosen)

    def _recorded(self, item_id: str | None) -> None:
        if item_id:
            self.tb.notify("Outcome recorded; the board changed with it", timeout=3)

    def action_skip(self) -> None:
        item = self.meeting.item if self.meeting else None
        if item is not None:
            self._write(lambda rs: (rs.skip(item.id), rs.next())[1], self._moved)

    def skip_section(self) -> None:
        item = self.meeting.item if self.meeting else None
        if item is not None:
            self._write(lambda rs: (rs.skip(item.section), rs.next())[1], self._moved)

    def move_section(self, step: int) -> None:
        meeting = self.meeting
        if meeting is None or meeting.item is None:
            return
        section = meeting.item.section
        order = meeting.review.sections or list(SECTIONS)
        position = order.index(section) + 1 + step if section in order else 1
        position = max(1, min(len(order), position))
        self._write(
            lambda rs: rs.move_section(section, position),
            lambda order: self.tb.notify("Sections: " + " → ".join(order), timeout=4),
        )

    def action_agenda(self) -> None:
        from board.ui.screens.review_dialogs import AgendaScreen

        self.tb.push_screen(AgendaScreen(self.review_id))

    def action_add_item(self) -> None:
        from board.ui.screens.review_forms import AddItemForm

        self.tb.push_screen(AddItemForm(), self._added)

    def _added(self, item_id: str | None) -> None:
        if item_id:
            self.tb.notify("Added to the agenda", timeout=2)

    def action_line(self) -> None:
        from board.ui.screens.review_forms import RoundLineForm

        meeting = self.meeting
        if meeting is None:
            return
        item = meeting.item
        late = item is not None and item.section == "closing"
        names = [self.tb.directory.name(m) for m in meeting.review.attendees]
        form = RoundLineForm("closing" if late else "checkin", self.facilitating, names)
        self.tb.push_screen(form, self._added_line)

    def _added_line(self, done: str | None) -> None:
        if done:
            self.tb.notify("Line added", timeout=2)

    def action_end(self, force: bool = False) -> None:
        from board.ui.screens.review_dialogs import ConfirmScreen

        meeting = self.meeting
        if meeting is None:
            return
        left = len(meeting.open_items())
        question = (
            "End the review and store its minutes in the board for everyone?"
            + (f"\n{left} agenda items have no outcome yet." if left else "")
            + ("\nThe facilitator is not ending it: only do this if they left." if force else "")
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._write(lambda rs: rs.end(self.review_id, force=force), self._ended)

        self.tb.push_screen(ConfirmScreen(question, "End review"), confirmed)

    def _ended(self, _: object) -> None:
        self._show_minutes(self.tb.directory.me)

    def action_minutes(self) -> None:
        from board.ui.screens.review_dialogs import MinutesScreen

        self.tb.push_screen(MinutesScreen(self.review_id))

    def action_leave(self) -> None:
        if self.meeting is not None and not self.meeting.review.ended_at:
            self.tb.notify("The review goes on: Reviews (8) → Enter to come back", timeout=3)
        self.dismiss()

    def commands(self) -> Iterator[SystemCommand]:
        """Every action of the review screen, by name (facilitator actions only for them)."""
        if self.facilitating:
            yield SystemCommand("Next agenda item", "Open the next open item (→)", self.action_next)
            yield SystemCommand(
                "Previous agenda item", "Go back one item (←)", self.action_previous
            )
            yield SystemCommand(
                "Record outcome…",
                "kept, done, renegotiated, dropped, new commitment, agreement reviewed, "
                "decision (o)",
                self.action_outcome,
            )
            yield SystemCommand("Skip this item", "Skip it and move on (s)", self.action_skip)
            yield SystemCommand(
                "Skip this section", "Skip the current item's whole section", self.skip_section
            )
            yield SystemCommand(
                "Move this section earlier", "Reorder the agenda", lambda: self.move_section(-1)
            )
            yield SystemCommand(
                "Move this section later", "Reorder the agenda", lambda: self.move_section(1)
            )
            yield SystemCommand(
                "End the review", "Store the minutes in the board (E)", self.action_end
            )
        else:
            yield SystemCommand(
                "End the review for the facilitator",
                "Only if the facilitator left: store the minutes",
                lambda: self.action_end(force=True),
            )
        yield SystemCommand(
            "Agenda", "The whole agenda: jump, skip and reorder sections (g)", self.action_agenda
        )
        yield SystemCommand(
            "Add an agenda item", "A topic or a board item (a)", self.action_add_item
        )
        yield SystemCommand(
            "Add my check-in or closing line", "One line per attendee (l)", self.action_line
        )
        yield SystemCommand("Minutes so far", "The minutes as they stand", self.action_minutes)
        yield SystemCommand(
            "Leave the review screen", "The review goes on (esc)", self.action_leave
        )
