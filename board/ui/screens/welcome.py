"""First run (create or join a team), opening, and a board that cannot be opened."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from board.model import BoardError
from board.ui.app_part import AppPart
from board.workspace import Workspace

log = logging.getLogger("teamboard.ui")

JOIN_NOTE = (
    "Ask a teammate for a code (Members view, i; or `teamboard invite`). The invite is "
    "found on the local network; without multicast, add the address the invite shows."
)
JOIN_TIMEOUT = 30.0


def labelled_input(label: str, name: str, placeholder: str) -> ComposeResult:
    """A field of the welcome screen: its label, its input ``#NAME`` and the line below
    it where its error shows (``#NAME-error``)."""
    yield Label(label)
    yield Input(placeholder=placeholder, id=name)
    yield Static("", id=f"{name}-error", classes="field-error")


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


class WelcomeScreen(AppPart, Screen[None]):
    """No board in this home yet: create a team board, or join one with an invite code."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.quit", "Quit", show=False)]

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
                    yield from labelled_input("Team name", "team", "e.g. Harbor Clinic Software")
                    yield from labelled_input("Your name", "name", "how your teammates call you")
                    yield Button("Create board", id="create-board", variant="primary")
                with Vertical(id="join", classes="choice") as join:
                    join.border_title = "Join a team"
                    yield from labelled_input(
                        "Invite code", "code", "the code a teammate read to you"
                    )
                    yield from labelled_input(
                        "Your name", "join-name", "how your teammates call you"
                    )
                    yield from labelled_input(
                        "Inviter's address (optional)", "join-peer", "HOST:PORT"
                    )
                    yield Button("Join team", id="join-team", variant="primary")
                    yield Static("", id="join-status", markup=False)
                    yield Static(JOIN_NOTE, id="join-note", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#team", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        following = {"team": "#name", "code": "#join-name", "join-name": "#join-peer"}
        if event.input.id in following:
            self.query_one(following[event.input.id], Input).focus()
        elif event.input.id == "join-peer":
            self.join()
        else:
            self.create()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create-board":
            self.create()
        elif event.button.id == "join-team":
            self.join()

    def _open_in_worker(
        self,
        make: Callable[[], Workspace],
        failed: Callable[[str], None],
        doing: str,
        unexpected: str,
        refusals: tuple[type[Exception], ...] = (BoardError,),
    ) -> None:
        """Make the board with ``make`` in a worker, then open it as any board opens. A
        refusal (one of ``refusals``) reaches ``failed`` in its own words; anything else is
        logged with its traceback (``doing``) and reaches ``failed`` as "``unexpected``:
        the reason"."""
        app = self.tb

        def job() -> None:
            try:
                workspace = make()
            except refusals as exc:
                app.call_quietly(failed, str(exc))
                return
            except Exception as exc:  # never a traceback: say what went wrong
                log.exception("%s in %s failed", doing, app.home)
                app.call_quietly(failed, f"{unexpected}: {exc}")
                return
            try:
                app.call_from_thread(app.board_opened, workspace)
            except RuntimeError:  # the app quit meanwhile
                workspace.close()

        app.run_worker(job, thread=True, group="open", exit_on_error=False)

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
        self._open_in_worker(
            lambda: Workspace.init(app.home, team, name, clock=app.clock),
            self._failed,
            doing="creating a board",
            unexpected="cannot create the board",
        )

    def _failed(self, message: str) -> None:
        self.query_one("#create-board", Button).disabled = False
        field = "team" if "team" in message else "name" if "name" in message else "team"
        self._error(field, message)

    # ------------------------------------------------------------------ join a team
    def _join_status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#join-status", Static)
        status.update(message)
        status.set_class(error, "-error")

    def join(self) -> None:
        """Check the form, then join in a worker: find the invite, prove the code, fetch
        the board; on success the board opens, as after Create."""
        from sync.invite import InvalidCode, parse_code
        from sync.node import interfaces_from_env, parse_address
        from sync.team import run_join

        code = self.query_one("#code", Input).value.strip()
        name = self.query_one("#join-name", Input).value.strip()
        address = self.query_one("#join-peer", Input).value.strip()
        problems = {"code": "", "join-name": "", "join-peer": ""}
        try:
            parse_code(code)
        except InvalidCode as exc:
            problems["code"] = str(exc) if code else "the invite code must not be empty"
        if not name:
            problems["join-name"] = "your name must not be empty"
        peer: tuple[str, int] | None = None
        if address:
            try:
                peer = parse_address(address)
            except ValueError as exc:
                problems["join-peer"] = str(exc)
        for field, message in problems.items():
            self._error(field, message)
        wrong = [field for field, message in problems.items() if message]
        if wrong:
            self.query_one(f"#{wrong[0]}", Input).focus()
            return
        self.query_one("#join-team", Button).disabled = True
        self._join_status(
            f"Joining through {address}…" if peer else "Looking for the invite on the network…"
        )
        app = self.tb
        interfaces = interfaces_from_env()
        self._open_in_worker(
            lambda: asyncio.run(
                run_join(
                    app.home, code, name, peer=peer, interfaces=interfaces, timeout=JOIN_TIMEOUT
                )
            ),
            self._join_failed,
            doing="joining a team",
            unexpected="joining failed",
            refusals=(BoardError, InvalidCode),
        )

    def _join_failed(self, message: str) -> None:
        if not self.is_attached:
            return
        self.query_one("#join-team", Button).disabled = False
        self._join_status(message, error=True)
