"""The views on the demo board: switching, filtering, the Me view's focus lists, the
command palette, help, themes and NO_COLOR."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select, TabbedContent

from board.ui import settings
from board.ui.app import make_app
from board.ui.screens.dialogs import HelpScreen
from board.ui.screens.main import VIEWS, MainScreen
from board.ui.widgets.board_view import BoardView
from board.ui.widgets.me_view import MeView
from board.ui.widgets.view import ItemTable
from board.workspace import Workspace
from tests.ui_helpers import (
    TickingClock,
    demo_home,
    screen_text,
    settle,
    wait_for_board,
    wait_until,
)

EXPECTED = {
    "board": "Keep the booking",
    "agreements": "On-call handover",
    "me": "Facilitate reviews",
    "streams": "Support & operations",
    "activity": "created",
    "members": "Farah",
    "peers": "Sync is not running",
    "reviews": "No review running",
    "network": "Value network of Harbor Clinic Software",
}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_home(tmp_path)


def shown_titles(board: BoardView) -> list[str]:
    return sorted(c.title for cl in board.visible_lists() for c in cl.cards)


async def test_every_view_by_number_key_and_by_clicking_its_tab(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        for number, (key, _) in enumerate(VIEWS, start=1):
            await pilot.press(str(number))
            await settle(pilot)
            assert app.screen.query_one(TabbedContent).active == key
            assert EXPECTED[key] in screen_text(pilot), key
        for key, _ in reversed(VIEWS):
            await pilot.click(f"#--content-tab-{key}")
            await settle(pilot)
            assert app.screen.query_one(TabbedContent).active == key
            assert EXPECTED[key] in screen_text(pilot), key


async def test_filter_by_text_stream_member_and_kind(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        everything = shown_titles(board)
        assert len(everything) == 12
        await pilot.press("/")
        await settle(pilot)
        assert app.screen.focused is board.query_one("#f-text", Input)
        await pilot.press(*"invoice")
        await settle(pilot)
        assert shown_titles(board) == [
            "Export last year's invoices for Dara",
            "First invoices paid through PayBridge",
        ]
        await pilot.press("enter")  # back to the cards, filter kept
        await settle(pilot)
        assert shown_titles(board)[0] == "Export last year's invoices for Dara"
        board.clear_filter()
        await settle(pilot)
        assert shown_titles(board) == everything

        streams = {s.title: s.id for s in app.directory.streams}
        board.query_one("#f-stream", Select).value = streams["Billing integration"]
        await settle(pilot)
        assert shown_titles(board) == [
            "First invoices paid through PayBridge",
            "Sign the PayBridge sandbox contract",
        ]
        board.clear_filter()
        people = {m.name: m.id for m in app.directory.members}
        board.query_one("#f-member", Select).value = people["Farah"]
        await settle(pilot)
        assert shown_titles(board) == [
            "Registration in under 5 minutes",
            "Run five patient interviews",
        ]
        board.clear_filter()
        board.query_one("#f-kind", Select).value = "change"
        await settle(pilot)
        assert not board.query_one("#lane-routine").display
        assert all(cl.kind == "change" for cl in board.visible_lists())
        assert "Keep the booking" not in screen_text(pilot)


async def test_closed_column_shows_declined_and_dropped(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_board(pilot)
        board = app.screen.query_one(BoardView)
        assert "Review the incident notes with Ben" not in shown_titles(board)
        await pilot.press("h")
        await settle(pilot)
        assert "Review the incident notes with Ben" in shown_titles(board)


async def test_me_view_focus_lists_are_edited_in_place(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("3")
        await settle(pilot)
        me = app.screen.query_one(MeView)
        focus_table = me.query_one("#me-focus", ItemTable)
        focus_table.focus()
        await pilot.press("n")
        await settle(pilot)
        assert me.has_class("-editing")
        await pilot.press(*"Pair with Chen on billing")
        me.query_one("#fe-tradeoff", Input).focus()
        await pilot.press(*"Less time for reviews", "enter")
        await wait_until(pilot, lambda: not me.has_class("-editing"), what="the entry saved")
        await wait_until(
            pilot,
            lambda: (
                me.picture is not None
                and any(e["text"] == "Pair with Chen on billing" for e in me.picture.focus.focus)
            ),
            what="the new entry",
        )
        # edit the first entry in place: an empty text is refused next to the field
        focus_table.focus()
        focus_table.move_cursor(row=0)
        await pilot.press("e")
        await settle(pilot)
        me.query_one("#fe-text", Input).value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert "must not be empty" in str(me.query_one("#fe-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert not me.has_class("-editing")
    with Workspace.open(demo) as ws:
        entries = ws.service.focus().focus
        assert {"text": "Pair with Chen on billing", "tradeoff": "Less time for reviews"} in entries


async def test_members_view_opens_someone_elses_picture(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("6")
        await settle(pilot)
        table = app.screen.query_one("#members-table", ItemTable)
        names = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
        table.move_cursor(row=names.index("Dara"))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "me"
        assert "Dara: " in screen_text(pilot)
        assert "Registration experiment" in screen_text(pilot)


async def test_every_action_is_in_the_command_palette(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in [
            "Show Board",
            "Show Agreements",
            "Show Me",
            "Show Streams",
            "Show Activity",
            "Show Members",
            "New goal",
            "New commitment",
            "New agreement",
            "Open item",
            "Edit item",
            "Advance status",
            "Change status…",
            "Check in",
            "Consent to agreement",
            "Archive / restore item",
            "Filter the board",
            "Clear filters",
            "Show / hide closed items",
            "Help",
            "Quit",
            "Theme",
        ]:
            assert title in titles
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"show agreements")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, MainScreen)
                and app.screen.query_one(TabbedContent).active == "agreements"
            ),
            what="the palette command to run",
        )


async def test_help_opens_and_closes(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "advance the status" in screen_text(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0


async def test_theme_choice_is_remembered(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEAMBOARD_THEME", raising=False)
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        app.theme = "nord"
        await settle(pilot)
    assert settings.load(demo)["theme"] == "nord"
    again = make_app(demo, clock=TickingClock())
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        assert again.theme == "nord"
    monkeypatch.setenv("TEAMBOARD_THEME", "gruvbox")
    assert settings.chosen_theme(demo, {"nord", "gruvbox"}) == "gruvbox"


async def test_no_color_is_respected(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        assert app.no_color
        assert "↻ Routine" in screen_text(pilot)  # kinds stay distinct without colour
        assert "△ Change" in screen_text(pilot)
