"""First run: an empty home shows the welcome screen; creating a board opens it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from board.ui.app import make_app
from board.ui.screens.main import MainScreen
from board.ui.screens.welcome import ProblemScreen, WelcomeScreen
from board.workspace import DB_FILE, Workspace, has_board
from tests.ui_helpers import TickingClock, screen_text, settle, wait_for_board, wait_until


async def test_first_run_offers_create_and_join(tmp_path: Path) -> None:
    app = make_app(tmp_path / "home", clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        text = screen_text(pilot)
        assert "Create a team board" in text
        assert "Join a team" in text
        assert "Invite code" in text
        assert not app.screen.query_one("#code", Input).disabled  # joining works here now


async def test_first_run_create_board_opens_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#team")
        await pilot.press(*"Night Owls")
        await pilot.press("enter")  # on to "your name"
        await pilot.press(*"Robin", "enter")
        await wait_for_board(pilot)
        assert isinstance(app.screen, MainScreen)
        assert "Night Owls" in app.sub_title
        assert "Robin" in app.sub_title
        assert "Nothing on the board yet" in screen_text(pilot)
    assert has_board(home)
    with Workspace.open(home) as ws:
        assert ws.service.team().name == "Night Owls"
        assert ws.service.member().name == "Robin"


async def test_first_run_missing_names_are_shown_next_to_the_fields(tmp_path: Path) -> None:
    home = tmp_path / "home"
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#create-board")
        await settle(pilot)
        assert "the team name must not be empty" in str(
            app.screen.query_one("#team-error").render()
        )
        assert "your name must not be empty" in str(app.screen.query_one("#name-error").render())
        assert app.screen.query_one("#team-error").has_class("-shown")
        assert isinstance(app.screen, WelcomeScreen)
    assert not has_board(home)


async def test_a_damaged_board_is_explained_not_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Workspace.init(home, "T", "Me").close()
    (home / DB_FILE).write_bytes(b"this is not a database" * 100)
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ProblemScreen), what="problem")
        assert "cannot be opened" in screen_text(pilot)
        await pilot.press("escape")
    assert app.return_code in (0, None)
