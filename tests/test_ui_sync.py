"""Sync in the app: edits from a peer appear live, joining from the welcome screen, inviting
from the Members view, and the Peers view. Real homes, real sockets on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from board.ui.app import make_app
from board.ui.screens.invite import InviteScreen
from board.ui.screens.main import MainScreen
from board.ui.screens.welcome import WelcomeScreen
from board.ui.widgets.board_view import BoardView
from board.ui.widgets.peers_view import PeersView
from board.ui.widgets.view import ItemTable
from board.workspace import Workspace
from sync.background import BackgroundSync
from sync.team import run_invite, run_join
from tests.ui_helpers import screen_text, settle, wait_for_board, wait_until

from .test_sync_team import LOOPBACK, PATIENCE, invite_and_join


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMBOARD_INTERFACES", "127.0.0.1")
    monkeypatch.setenv("TEAMBOARD_NO_DISCOVERY", "1")


async def poll(pilot: Pilot[object], condition: Callable[[], bool], what: str) -> None:
    """Like ``wait_until``, without waiting for workers: an open invite's worker runs
    until someone joins."""
    waited = 0.0
    while not condition():
        assert waited < PATIENCE, f"timed out waiting for {what}"
        await pilot.pause(0.05)
        waited += 0.05


def no_sync_threads_left() -> bool:
    return not any(t.name == "teamboard-sync" and t.is_alive() for t in threading.enumerate())


async def two_members(tmp_path: Path) -> tuple[Path, Workspace]:
    """Ana's home (closed, for her app) and Ben's open workspace, joined by invite."""
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
    ana.close()
    return tmp_path / "ana", ben


def ana_alone(tmp_path: Path) -> Path:
    """Ana's home with a new board of her own (closed, for her app)."""
    Workspace.init(tmp_path / "ana", "Orbit", "Ana").close()
    return tmp_path / "ana"


async def open_invite(pilot: Pilot[object]) -> InviteScreen:
    """From the board: the Members view, ``i``; returns the invite once it shows its code."""
    await wait_for_board(pilot)
    await pilot.press("6")
    await settle(pilot)
    await pilot.press("i")
    await poll(
        pilot,
        lambda: isinstance(pilot.app.screen, InviteScreen) and bool(pilot.app.screen.code),
        what="the invite code",
    )
    modal = pilot.app.screen
    assert isinstance(modal, InviteScreen)
    return modal


async def test_a_peers_goal_appears_on_the_board_without_any_step(tmp_path: Path) -> None:
    ana_home, ben = await two_members(tmp_path)
    app = make_app(ana_home, poll_interval=60, sync=True)  # no polling: only sync can tell
    ben_sync: BackgroundSync | None = None
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for_board(pilot)
            await wait_until(
                pilot,
                lambda: app.sync is not None and app.sync.port > 0,
                timeout=PATIENCE,
                what="sync to listen",
            )
            assert app.sync is not None and app.sync.error == ""
            assert "offline" in app.sub_title
            ben_sync = BackgroundSync(
                ben, interfaces=LOOPBACK, discovery=False, peers=[("127.0.0.1", app.sync.port)]
            )
            ben_sync.start()
            await wait_until(
                pilot, lambda: "1 peer" in app.sub_title, timeout=PATIENCE, what="Ben to connect"
            )
            goal = ben.service.add_goal("Pushed by Ben")
            board = app.screen.query_one(BoardView)
            await wait_until(
                pilot,
                lambda: goal in board.cards,
                timeout=PATIENCE,
                what="Ben's goal on Ana's board",
            )
            assert "Pushed by Ben" in screen_text(pilot)
            await wait_until(
                pilot,
                lambda: "synced" in app.sub_title,
                timeout=PATIENCE,
                what="the last sync time in the header",
            )
    finally:
        if ben_sync is not None:
            ben_sync.stop()
        ben.close()
    assert app.sync is None and app.workspace is None  # stopped before the board closed
    assert no_sync_threads_left()


async def test_join_from_the_welcome_screen_opens_the_team_board(tmp_path: Path) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("Ana's first goal")
    ready: asyncio.Future[tuple[str, str, int]] = asyncio.get_running_loop().create_future()
    invite = asyncio.create_task(
        run_invite(
            ana,
            expires=dt.timedelta(minutes=2),
            interfaces=LOOPBACK,
            discovery=False,
            on_ready=lambda code, host, port: ready.set_result((code, host, port)),
        )
    )
    app = make_app(tmp_path / "ben")
    try:
        code, host, port = await asyncio.wait_for(ready, 30)
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            await pilot.click("#code")
            await pilot.press(*"not a code")
            await pilot.click("#join-name")
            await pilot.press(*"Ben")
            await pilot.click("#join-team")
            await settle(pilot)
            assert app.screen.query_one("#code-error").has_class("-shown")  # checked first
            assert isinstance(app.screen, WelcomeScreen)
            app.screen.query_one("#code", Input).value = ""
            await pilot.click("#code")
            await pilot.press(*code)
            await pilot.click("#join-peer")
            await pilot.press(*f"{host}:{port}", "enter")
            await wait_until(
                pilot,
                lambda: isinstance(app.screen, MainScreen),
                timeout=PATIENCE,
                what="the joined board to open",
            )
            await wait_for_board(pilot)
            assert "Orbit" in app.sub_title and "Ben" in app.sub_title
            assert "Ana's first goal" in screen_text(pilot)
        outcome = await asyncio.wait_for(invite, PATIENCE)
        assert outcome.joined is not None and outcome.joined.name == "Ben"
    finally:
        invite.cancel()
        await asyncio.gather(invite, return_exceptions=True)
        ana.close()


async def test_invite_from_the_members_view_reports_who_joined(tmp_path: Path) -> None:
    app = make_app(ana_alone(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        modal = await open_invite(pilot)
        assert modal.code in screen_text(pilot) and f"--peer {modal.peer}" in screen_text(pilot)
        host, port = modal.peer.rsplit(":", 1)

        def join() -> Workspace:
            return asyncio.run(
                run_join(
                    tmp_path / "ben",
                    modal.code,
                    "Ben",
                    peer=(host, int(port)),
                    interfaces=LOOPBACK,
                    timeout=PATIENCE,
                )
            )

        ben = await asyncio.to_thread(join)
        try:
            await poll(pilot, lambda: modal.joined == "Ben", what="the modal to report Ben")
            assert "Ben joined the team" in screen_text(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)
            await wait_until(pilot, lambda: "Ben" in screen_text(pilot), what="Ben in Members")
        finally:
            ben.close()


async def test_escape_cancels_a_running_invite(tmp_path: Path) -> None:
    app = make_app(ana_alone(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_invite(pilot)
        await pilot.press("escape")
        await poll(pilot, lambda: not app.stoppers, what="the invite to end")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_peers_view_lists_the_connected_peer_and_connects_by_address(tmp_path: Path) -> None:
    ana_home, ben = await two_members(tmp_path)
    ben_sync = BackgroundSync(ben, interfaces=LOOPBACK, discovery=False)
    ben_sync.start()
    app = make_app(ana_home, sync=True)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for_board(pilot)
            await wait_until(
                pilot,
                lambda: app.sync is not None and app.sync.port > 0,
                timeout=PATIENCE,
                what="sync to listen",
            )
            await pilot.press("7")
            await settle(pilot)
            view = app.screen.query_one(PeersView)
            field = view.query_one("#peer-address", Input)
            field.focus()
            await pilot.press(*"nonsense", "enter")
            await settle(pilot)
            assert "bad peer address" in screen_text(pilot)
            field.value = ""
            await pilot.press(*f"127.0.0.1:{ben_sync.port}", "enter")
            await wait_until(
                pilot,
                lambda: "in sync" in screen_text(pilot),
                timeout=PATIENCE,
                what="Ben listed as in sync",
            )
            table = view.query_one(ItemTable)
            assert table.row_count >= 1
            assert "Ben" in screen_text(pilot) and f"127.0.0.1:{ben_sync.port}" in screen_text(
                pilot
            )
            assert "1 peer" in app.sub_title
    finally:
        ben_sync.stop()
        ben.close()
    assert no_sync_threads_left()
