"""Invite a newcomer from the app: a one-time code, shown big, until someone joins.

The invite runs its own sync node and invite server (``sync.team.run_invite``) on a loop
of its own in a thread worker; Escape cancels it, which closes both cleanly."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from board.model import BoardError
from board.ui.app_part import AppPart
from board.ui.runner import LoopJob

if TYPE_CHECKING:
    from sync.team import InviteOutcome

log = logging.getLogger("teamboard.ui")

EXPIRES = dt.timedelta(minutes=15)


class InviteScreen(AppPart, ModalScreen[None]):
    """Shows the invite code and how to join; says who joined when it is done."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Cancel the invite")]

    def __init__(self) -> None:
        super().__init__()
        self.code = ""
        self.peer = ""  # HOST:PORT for joining without multicast
        self.joined = ""  # the newcomer's name, once they joined
        self.finished = False
        self._job: LoopJob | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="invite") as box:
            box.border_title = "Invite a teammate"
            yield Label("Starting the invite…", id="invite-status")
            yield Static("", id="invite-code", markup=False)
            yield Static("", id="invite-how", markup=False)
            yield Static("Esc: cancel the invite", id="invite-keys", classes="dim")

    def on_mount(self) -> None:
        from sync.node import interfaces_from_env
        from sync.team import run_invite

        app = self.tb
        workspace = app.workspace
        if workspace is None:
            self._show_status("No board is open.")
            return
        interfaces = interfaces_from_env()
        discovery = not os.environ.get("TEAMBOARD_NO_DISCOVERY")

        def ready(code: str, host: str, port: int) -> None:
            app.call_quietly(self._ready, code, f"{host}:{port}")

        job = LoopJob(
            lambda: run_invite(
                workspace,
                expires=EXPIRES,
                interfaces=interfaces,
                discovery=discovery,
                on_ready=ready,
            )
        )
        self._job = job
        app.stoppers.add(job.cancel)

        def work() -> None:
            try:
                outcome = job.run()
            except asyncio.CancelledError:
                return
            except BoardError as exc:
                app.call_quietly(self._failed, str(exc))
                return
            except Exception as exc:  # never a traceback: say what went wrong
                log.exception("the invite failed")
                app.call_quietly(self._failed, f"the invite failed: {exc}")
                return
            finally:
                app.stoppers.discard(job.cancel)
            app.call_quietly(self._done, outcome)

        app.run_worker(work, thread=True, group="invite", exit_on_error=False)

    def _show_status(self, text: str) -> None:
        self.query_one("#invite-status", Label).update(text)

    def _ready(self, code: str, peer: str) -> None:
        if not self.is_attached:  # closed meanwhile
            return
        self.code, self.peer = code, peer
        minutes = int(EXPIRES.total_seconds() // 60)
        self._show_status(f"Read this code to the newcomer (valid {minutes} min, one use):")
        self.query_one("#invite-code", Static).update(code)
        self.query_one("#invite-code").add_class("-shown")
        self.query_one("#invite-how", Static).update(
            "In their app: Join a team, with this code and their name.\n"
            f"From a terminal: teamboard join {code} --name THEIR-NAME\n"
            f"Without multicast, give the address too: --peer {peer}"
        )

    def _done(self, outcome: InviteOutcome) -> None:
        if not self.is_attached:  # closed meanwhile
            return
        self.finished = True
        if outcome.joined is None:
            self._show_status("The invite expired or was closed after wrong codes.")
        else:
            self.joined = outcome.joined.name
            state = "and has the board" if outcome.synced else "but has not fetched the board yet"
            self._show_status(f"{outcome.joined.name} joined the team {state}.")
        self.query_one("#invite-code").remove_class("-shown")
        self.query_one("#invite-how", Static).update("")
        self.query_one("#invite-keys", Static).update("Esc: close")

    def _failed(self, message: str) -> None:
        if not self.is_attached:  # closed meanwhile
            return
        self.finished = True
        self._show_status(message)

    def action_close(self) -> None:
        job = self._job
        self.dismiss(None)
        if job is not None and not self.finished:
            # Cancelling waits for the invite's cleanup (sockets, its node): off the UI loop.
            self.tb.run_worker(job.cancel, thread=True, group="invite-cancel", exit_on_error=False)
