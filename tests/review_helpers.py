"""Driving a board review in the app, for the review UI tests: start one, move through
the agenda, record outcomes, read what the review screen shows.

The fixtures ``clock``, ``demo`` and ``board_of`` are shared by the review UI tests; a test
module takes them by importing their functions (pytest finds fixtures among a module's
names, under the name given in ``@pytest.fixture(name=...)``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from board.service import BoardService
from board.ui.app import TeamboardApp
from board.ui.screens.main import VIEWS
from board.ui.screens.review import ReviewScreen
from board.ui.screens.review_dialogs import AgendaScreen
from board.ui.screens.review_forms import (
    OutcomeChooser,
    OutcomeForm,
    StartReviewForm,
)
from board.workspace import Workspace
from sync.identity import Identity
from tests.test_ui_forms import fill
from tests.ui_helpers import (
    TickingClock,
    add_member,
    demo_home,
    settle,
    wait_until,
)

REVIEWS_KEY = str([key for key, _ in VIEWS].index("reviews") + 1)


def meeting_screen(app: TeamboardApp) -> ReviewScreen:
    assert isinstance(app.screen, ReviewScreen), type(app.screen)
    return app.screen


def current_title(app: TeamboardApp) -> str:
    screen = app.screen
    if not isinstance(screen, ReviewScreen) or screen.meeting is None:
        return ""
    return screen.meeting.item.title if screen.meeting.item else ""


async def put(pilot: Pilot[Any], **fields: str) -> None:
    """Set the open form's fields at once (typing is tested in test_ui_forms; long texts
    typed key by key would only make this file slow)."""
    for name, text in fields.items():
        pilot.app.screen.query_one(f"#field-{name}", Input).value = text
    await pilot.pause()


async def start_review(pilot: Pilot[Any], attendees: str = "Ben, Chen") -> None:
    """From the board: Reviews view, r, attendees, save; waits for the first item."""
    await pilot.press(REVIEWS_KEY)
    await settle(pilot)
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, StartReviewForm), what="form")
    await fill(pilot, attendees=attendees)
    await pilot.press("ctrl+s")
    await wait_until(
        pilot,
        lambda: current_title(pilot.app) == "Check-in round",
        what="the review screen on its first item",
    )


async def go_next(pilot: Pilot[Any], title: str) -> None:
    await pilot.press("right")
    await wait_until(pilot, lambda: current_title(pilot.app) == title, what=f"item {title!r}")


async def jump_to(pilot: Pilot[Any], title: str) -> None:
    """Open the agenda (g), highlight the item called ``title`` and go to it (enter)."""
    await pilot.press("g")
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, AgendaScreen) and pilot.app.screen.meeting is not None,
        what="the agenda",
    )
    agenda = pilot.app.screen
    assert isinstance(agenda, AgendaScreen) and agenda.meeting is not None
    item = next(i for i in agenda.meeting.items if i.title == title)
    options = agenda.query_one(OptionList)
    options.highlighted = options.get_option_index(f"item:{item.id}")
    await pilot.press("enter")
    await wait_until(pilot, lambda: current_title(pilot.app) == title, what=f"item {title!r}")


async def record(pilot: Pilot[Any], key: str, **fields: str) -> None:
    """o, the outcome's key, fill its form, save; waits for the form to close."""
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, OutcomeChooser), what="chooser")
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, OutcomeForm), what="the form")
    await put(pilot, **fields)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen), what="saved")


def shown_outcome(app: TeamboardApp) -> str:
    screen = meeting_screen(app)
    return screen.meeting.item.outcome if screen.meeting and screen.meeting.item else ""


def record_titled(service: BoardService, title: str) -> Any:
    return next(
        r
        for c in ("commitments", "agreements", "goals")
        for r in service.list(c)
        if r.label == title
    )


def second_member(
    home: Path, keys: Path, name: str, clock: TickingClock
) -> tuple[Workspace, BoardService]:
    """``name`` joins the board in ``home``; returns an open workspace and their service
    on it (as their own machine would after sync)."""
    add_member(home, keys, name)
    identity = Identity.load(keys)
    ws = Workspace.open(home, clock)
    return ws, BoardService.open(ws.store, identity.actor, identity.member_id, identity.sign, clock)


class Homes:
    """Opens workspaces on a home for checks after the app closed; closes them at the end."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.opened: list[Workspace] = []

    def __call__(self) -> BoardService:
        self.opened.append(Workspace.open(self.home))
        return self.opened[-1].service

    def close(self) -> None:
        for ws in self.opened:
            ws.close()


@pytest.fixture(name="clock")
def ticking_clock() -> TickingClock:
    """The app's clock: it ticks by itself, and a test moves it on with ``clock.moment``."""
    return TickingClock()


@pytest.fixture(name="demo")
def demo_board(tmp_path: Path, clock: TickingClock) -> Path:
    """A home holding the demo board (Ana, Ben, Chen, …), built with ``clock``."""
    return demo_home(tmp_path, clock)


@pytest.fixture(name="board_of")
def board_opener(demo: Path) -> Iterator[Homes]:
    """Opens the demo home's board service for checks after the app closed."""
    homes = Homes(demo)
    yield homes
    homes.close()
