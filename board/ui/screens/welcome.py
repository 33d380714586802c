"""First run (create or join a team), opening, and a board that cannot be opened."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from board.model import BoardError
from board.workspace import Workspace

if TYPE_CHECKING:
    from board.ui.app import TeamboardApp

log = logging.getLogger("teamboard.ui")

JOIN_LATER = (
    "Ask a teammate to run `teamboard invite`, then join from a terminal: "
    "`teamboard join CODE --name YOU`. Joining from this screen comes next; "
    "or create your own board here."
)


class LoadingScreen(Screen[None]):
    """Shown while the board loads (a large board takes a moment). Deliberately bare: it
    may be replaced before its widgets finish mounting."""

    def compose(self) -> ComposeResult:
        yield Static("Opening the board…", id="loading")


class ProblemScreen(Screen[None]):
    """The home cannot be opened: say why, in one clear message, and offer to quit."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.quit", "Quit")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="problem"):
            yield Label("The board cannot be opened", classes="title")
            yield Static(self.message, id="problem-message", markup=False)
        yield Footer()


class WelcomeScreen(Screen[None]):
    """No board in this home yet: create a team board, or (later) join one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.quit", "Quit", show=False)]

    @property
    def tb(self) -> TeamboardApp:
        return cast("TeamboardApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="welcome"):
            yield Static(
                "Welcome to [b]teamboard[/b]: goals, commitments and agreements for a team "
                "that manages itself. Everything is saved on this machine first.",
                id="welcome-intro",
            )
            with Horizontal(id="welcome-choices"):
                with Vertical(id="create", classes="choice") as create:
                    create.border_title = "Create a team board"
                    yield Label("Team name")
                    yield Input(placeholder="e.g. Harbor Clinic Software", id="team")
                    yield Static("", id="team-error", classes="field-error")
                    yield Label("Your name")
                    yield Input(placeholder="how your teammates call you", id="name")
                    yield Static("", id="name-error", classes="field-error")
                    yield Button("Create board", id="create-board", variant="primary")
                with Vertical(id="join", classes="choice") as join:
                    join.border_title = "Join a team"
                    yield Label("Invite code")
                    yield Input(
                        placeholder="the code a teammate read to you", id="code", disabled=True
                    )
                    yield Static(JOIN_LATER, id="join-note", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#team", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "team":
            self.query_one("#name", Input).focus()
        else:
            self.create()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create-board":
            self.create()

    def _error(self, field: str, message: str) -> None:
        error = self.query_one(f"#{field}-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")
        self.query_one(f"#{field}", Input).set_class(bool(message), "-invalid")

    def create(self) -> None:
        team = self.query_one("#team", Input).value.strip()
        name = self.query_one("#name", Input).value.strip()
        self._error("team", "" if team else "the team name must not be empty")
        self._error("name", "" if name else "your name must not be empty")
        if not team or not name:
            self.query_one("#team" if not team else "#name", Input).focus()
            return
        self.query_one("#create-board", Button).disabled = True
        app = self.tb

        def job() -> None:
            try:
                workspace = Workspace.init(app.home, team, name, clock=app.clock)
            except BoardError as exc:
                app.call_from_thread(self._failed, exc)
                return
            except Exception as exc:  # never a traceback: say what went wrong
                log.exception("creating a board in %s failed", app.home)
                app.call_from_thread(self._failed, BoardError(f"cannot create the board: {exc}"))
                return
            try:
                app.call_from_thread(app.board_opened, workspace)
            except RuntimeError:  # the app quit meanwhile
                workspace.close()

        app.run_worker(job, thread=True, group="open", exit_on_error=False)

    def _failed(self, exc: BoardError) -> None:
        self.query_one("#create-board", Button).disabled = False
        message = str(exc)
        field = "team" if "team" in message else "name" if "name" in message else "team"
        self._error(field, message)
