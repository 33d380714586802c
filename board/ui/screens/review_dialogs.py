"""The review's other screens: the whole agenda (jump, skip and reorder sections), the
minutes (readable, scrollable) and a yes/no question."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rich.markdown import Markdown
from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from board.review_agenda import SECTIONS
from board.reviews import ReviewService
from board.ui.app_part import AppPart, MeetingPart
from board.ui.meeting import Meeting, agenda_line, load_meeting
from board.ui.messages import BoardDelta


class ConfirmScreen(ModalScreen[bool]):
    """A question with a yes button (y / enter) and a cancel button (n / esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="dialog") as box:
            box.border_title = self.yes
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="primary", compact=True)
                yield Button("Cancel (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class AgendaScreen(MeetingPart, ModalScreen[None]):
    """The whole agenda by section (▶ current, ✓ outcome, – skipped). The facilitator
    jumps to an item (enter), skips or restores an item or a section (s), and moves a
    section up or down (u / d); anyone present adds an item (a)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,g", "close", "Close"),
        Binding("s", "skip", "Skip/restore"),
        Binding("u", "move(-1)", "Section up"),
        Binding("d", "move(1)", "Section down"),
        Binding("a", "add_item", "Add item"),
    ]

    def __init__(self, review_id: str) -> None:
        super().__init__()
        self.review_id = review_id
        self.meeting: Meeting | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="agenda", classes="dialog") as box:
            box.border_title = "Agenda"
            yield OptionList(id="agenda-items")
            yield Label("", id="agenda-keys", classes="dim")

    def on_mount(self) -> None:
        self.tb.board_changed.subscribe(self, self._board_changed)
        self.load()

    def _board_changed(self, delta: BoardDelta) -> None:
        if delta.touches("reviews"):
            self.load()

    def load(self) -> None:
        review_id = self.review_id
        self.tb.runner.load(f"agenda-{review_id}", lambda s: load_meeting(s, review_id), self.show)

    def show(self, meeting: Meeting) -> None:
        self.meeting = meeting
        options = self.query_one(OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else None
        rows: list[Option] = []
        section = None
        for number, item in enumerate(meeting.items, 1):
            if item.section != section:
                section = item.section
                head = Text(SECTIONS.get(section, section), "bold underline")
                if section in meeting.review.skipped:
                    head.append("  (skipped)", "dim")
                rows.append(Option(head, id=f"section:{section}"))
            rows.append(Option(agenda_line(meeting, number, item), id=f"item:{item.id}"))
        options.clear_options()
        options.add_options(rows)
        ids = [o.id for o in rows]
        current = f"item:{meeting.item.id}" if meeting.item else None
        target = keep if keep in ids else current if current in ids else None
        if target is not None:
            options.highlighted = ids.index(target)
        self.query_one("#agenda-keys", Label).update(
            "enter go to · s skip/restore · u/d move section · a add · esc close"
            if self.facilitating
            else "a adds an item · esc closes (the facilitator steers the agenda)"
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("skip", "move"):
            return self.facilitating
        return True

    def _chosen(self) -> tuple[str, str] | None:
        option = self.query_one(OptionList).highlighted_option
        if option is None or option.id is None:
            return None
        kind, _, key = option.id.partition(":")
        return kind, key

    @on(OptionList.OptionSelected)
    def _go(self, event: OptionList.OptionSelected) -> None:
        meeting, chosen = self.meeting, self._chosen()
        if meeting is None or chosen is None or not self.facilitating:
            return
        kind, key = chosen
        target = key
        if kind == "section":
            in_section = [i for i in meeting.items if i.section == key]
            todo = [i for i in in_section if not i.outcome and not meeting.is_skipped(i)]
            target = (todo or in_section)[0].id
        self.tb.runner.write(lambda s: ReviewService(s).next(target), done=lambda _: self.dismiss())

    def action_skip(self) -> None:
        meeting, chosen = self.meeting, self._chosen()
        if meeting is None or chosen is None:
            return
        kind, key = chosen
        if kind == "section":
            undo = key in meeting.review.skipped
        else:
            undo = any(i.id == key and i.skipped for i in meeting.items)
        self.tb.runner.write(lambda s: ReviewService(s).skip(key, undo))

    def action_move(self, step: int) -> None:
        meeting, chosen = self.meeting, self._chosen()
        if meeting is None or chosen is None:
            return
        kind, key = chosen
        section = (
            key if kind == "section" else next(i.section for i in meeting.items if i.id == key)
        )
        order = meeting.review.sections or list(SECTIONS)
        position = max(1, min(len(order), order.index(section) + 1 + step))
        self.tb.runner.write(lambda s: ReviewService(s).move_section(section, position))

    def action_add_item(self) -> None:
        from board.ui.screens.review_forms import AddItemForm

        self.tb.push_screen(AddItemForm())

    def action_close(self) -> None:
        self.dismiss()


class MinutesScreen(AppPart, Screen[None]):
    """A review's minutes (the Markdown export, rendered), scrollable."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "back", "Back")]

    def __init__(self, review_id: str) -> None:
        super().__init__()
        self.review_id = review_id
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="minutes"):
            yield Static("Loading the minutes…", id="minutes-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#minutes").focus()
        self.tb.board_changed.subscribe(self, self._board_changed)
        self.load()

    def _board_changed(self, delta: BoardDelta) -> None:
        if delta.touches("reviews", "members"):
            self.load()

    def load(self) -> None:
        review_id = self.review_id
        self.tb.runner.load(
            f"minutes-{review_id}",
            lambda s: ReviewService(s).export_markdown(review_id),
            self.show,
        )

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            # Rich's Markdown paints as one widget: the Markdown widget mounts one per
            # block, which takes seconds for a long review.
            self.query_one("#minutes-text", Static).update(Markdown(text))

    def action_back(self) -> None:
        self.dismiss()

    def commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand("Back", "Close the minutes (esc)", self.action_back)
