"""Small modal screens: a list to choose from, what to create, which status, and the help."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from board.model import (
    AGREEMENT_TRANSITIONS,
    COMMITMENT_TRANSITIONS,
    GOAL_TRANSITIONS,
    AgreementStatus,
    BoardError,
    CommitmentStatus,
    GoalStatus,
    Record,
)
from board.ui.text import status_label

if TYPE_CHECKING:
    from board.ui.app import TeamboardApp

NEW_HINTS = {
    "goal": "an outcome someone owns (routine or change)",
    "commitment": "a promise from one party to another",
    "agreement": "an accountability agreement every party consents to",
}
TRANSITIONS: dict[str, tuple[type[StrEnum], Mapping[Any, frozenset[Any]]]] = {
    "goal": (GoalStatus, GOAL_TRANSITIONS),
    "commitment": (CommitmentStatus, COMMITMENT_TRANSITIONS),
    "agreement": (AgreementStatus, AGREEMENT_TRANSITIONS),
}


class ChoiceScreen(ModalScreen[str | None]):
    """A list of choices: Enter on one, or its key (bound to ``pick('ID')``), closes the
    screen with its id; esc closes it with None."""

    def offers(self, choice: str) -> bool:
        """Whether the key of ``choice`` picks it here."""
        return True

    def action_pick(self, choice: str) -> None:
        if self.offers(choice):
            self.dismiss(choice)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class NewItemScreen(ChoiceScreen):
    """Choose what to create: g goal, c commitment, a agreement."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss_none", "Cancel"),
        Binding("g", "pick('goal')", "Goal", show=False),
        Binding("c", "pick('commitment')", "Commitment", show=False),
        Binding("a", "pick('agreement')", "Agreement", show=False),
    ]

    def __init__(self, kinds: tuple[str, ...]) -> None:
        super().__init__()
        self.kinds = kinds

    def compose(self) -> ComposeResult:
        with Vertical(id="new-item", classes="dialog") as box:
            box.border_title = "New…"
            yield OptionList(
                *[
                    Option(
                        Text.assemble((f"{k[0]}  {k.capitalize()}", "bold"), f"  {NEW_HINTS[k]}"),
                        id=k,
                    )
                    for k in self.kinds
                ],
                id="new-kinds",
            )


class StatusScreen(ModalScreen[str | None]):
    """Pick a status; the board's rules decide, and a refusal is shown with its reason."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss_none", "Cancel")]

    def __init__(self, record: Record) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        enum, table = TRANSITIONS[self.record.TYPE]
        current = str(getattr(self.record, "status", ""))
        allowed = {s.value for s in table.get(enum(current), frozenset())}
        options = []
        for status in enum:
            note = (
                "current"
                if status.value == current
                else "allowed"
                if status.value in allowed
                else "not allowed from here"
            )
            style = "bold" if status.value in allowed else "dim"
            options.append(
                Option(
                    Text.assemble(
                        (status_label(status.value).ljust(14), style), (note, "italic dim")
                    ),
                    id=status.value,
                )
            )
        with Vertical(id="status-dialog", classes="dialog") as box:
            box.border_title = f"Status of: {self.record.label}"
            yield OptionList(*options, id="statuses")
            yield Static("", id="status-error", classes="field-error", markup=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        current = str(getattr(self.record, "status", ""))
        options.highlighted = options.get_option_index(current)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        status = str(event.option.id)
        app = cast("TeamboardApp", self.app)
        app.runner.write(
            lambda s: s.set_status(self.record.id, status),
            done=lambda _: self._done(status),
            failed=self._refused,
        )

    def _done(self, status: str) -> None:
        cast("TeamboardApp", self.app).notify(f"Now {status_label(status)}", timeout=2)
        self.dismiss(status)

    def _refused(self, exc: BoardError) -> None:
        error = self.query_one("#status-error", Static)
        error.update(str(exc))
        error.add_class("-shown")


HELP = [
    (
        "Views",
        [
            ("1–6 or click a tab", "Board, Agreements, Me, Streams, Activity, Members"),
            ("ctrl+p", "command palette: every action, by name"),
            ("? / q", "this help / quit"),
        ],
    ),
    (
        "Board",
        [
            ("← → ↑ ↓, tab", "move between columns and cards"),
            ("/", "filter by text; the selects filter by stream, kind and member"),
            ("h", "show or hide the Closed column (declined, dropped)"),
            ("↻ routine  △ change", "the two lanes: everyday work and experiments"),
        ],
    ),
    (
        "Items",
        [
            ("enter", "open: all fields, check-ins, confidence over time, history"),
            ("n", "new goal, commitment or agreement"),
            ("e", "edit"),
            ("s / space", "advance the status one step"),
            ("t", "choose a status (refusals say why)"),
            ("c", "check in"),
            ("a", "consent to an agreement"),
            ("x", "archive / restore"),
        ],
    ),
    ("Me", [("n / e / x", "in the focus table: add, edit, remove an entry in place")]),
    (
        "Network",
        [
            ("w / m / b", "whole value network / my network / home base (roles)"),
            ("← → ↑ ↓, tab", "move between people, streams, roles, parties, items"),
            ("enter", "open a stream, role or item; a person's Me view"),
            ("+ / −", "my network: one degree wider / narrower"),
            ("p / f", "my network of anyone / of the person under the cursor"),
            ("i", "show or hide the health hints"),
        ],
    ),
    (
        "Reviews",
        [
            ("r / j / enter", "in Reviews: start a review, join it, follow it or read minutes"),
            ("→ ← / s / g", "review screen: next, previous, skip an item, the agenda"),
            ("o", "record the outcome of the item (the board changes with it)"),
            ("a / l / E", "add an agenda item, your check-in or closing line; end"),
        ],
    ),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_none", "Close")
    ]

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for section, keys in HELP:
            grid.add_row(Text(section, style="bold underline"), "")
            for key, what in keys:
                grid.add_row(f" {key}", what)
        with Vertical(id="help", classes="dialog") as box:
            box.border_title = "teamboard — keys"
            with VerticalScroll():
                yield Static(grid)
            yield Label("Everything is saved at once, on this machine. esc closes.", classes="dim")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
