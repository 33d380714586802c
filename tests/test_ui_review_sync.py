"""Follow mode over sync: the facilitator runs the review on their machine, the attendee's
app shows each item as the facilitator opens it, with no step of the attendee's; the
attendee's own line travels back. Two homes, real TLS on 127.0.0.1 only."""

from __future__ import annotations

from pathlib import Path

import pytest

from board.reviews import ReviewService
from board.ui.app import make_app
from board.ui.screens.review import ReviewScreen
from board.ui.screens.review_dialogs import MinutesScreen
from board.ui.screens.review_forms import RoundLineForm
from sync.background import BackgroundSync
from tests.review_helpers import current_title
from tests.ui_helpers import screen_text, wait_for_board, wait_until

from .test_sync_team import LOOPBACK, PATIENCE
from .test_ui_forms import fill
from .test_ui_sync import no_sync_threads_left, poll, two_members


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMBOARD_INTERFACES", "127.0.0.1")
    monkeypatch.setenv("TEAMBOARD_NO_DISCOVERY", "1")


async def test_the_attendee_follows_the_facilitator_without_any_step(tmp_path: Path) -> None:
    ana_home, ben = await two_members(tmp_path)
    printer = ben.service.add_commitment("Fix the printer", to="Facilities", due="+2d")
    ben.service.set_status(printer, "accepted")
    app = make_app(ana_home, poll_interval=60, sync=True)  # no polling: only sync can tell
    ben_sync: BackgroundSync | None = None
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_board(pilot)
            await wait_until(
                pilot,
                lambda: app.sync is not None and app.sync.port > 0,
                timeout=PATIENCE,
                what="sync to listen",
            )
            assert app.sync is not None
            ben_sync = BackgroundSync(
                ben, interfaces=LOOPBACK, discovery=False, peers=[("127.0.0.1", app.sync.port)]
            )
            ben_sync.start()
            await wait_until(
                pilot, lambda: "1 peer" in app.sub_title, timeout=PATIENCE, what="Ben to connect"
            )

            # Ben starts a review with Ana and opens its first item: Ana's app follows
            facilitator = ReviewService(ben.service)
            facilitator.start(["Ana"])
            facilitator.next()
            await wait_until(
                pilot,
                lambda: current_title(app) == "Check-in round",
                timeout=PATIENCE,
                what="the review on Ana's screen",
            )
            assert "following Ben · 2 present" in screen_text(pilot)

            facilitator.next()  # Ben moves on
            await wait_until(
                pilot,
                lambda: current_title(app) == "Fix the printer",
                timeout=PATIENCE,
                what="the next item on Ana's screen",
            )
            assert "Item 2 of 3" in screen_text(pilot)
            assert "Fix the printer" in screen_text(pilot)

            # Ana adds her check-in line from follow mode; it reaches Ben
            await pilot.press("l")
            await wait_until(pilot, lambda: isinstance(app.screen, RoundLineForm), what="form")
            await fill(pilot, text="Printer jam again")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="saved")
            await poll(
                pilot,
                lambda: any(r.get("text") == "Printer jam again" for r in facilitator.get().rounds),
                what="Ana's line on Ben's machine",
            )

            facilitator.end()  # and the minutes appear on Ana's screen
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, MinutesScreen) and "Printer jam again" in app.screen.text
                ),
                timeout=PATIENCE,
                what="the minutes on Ana's screen",
            )
    finally:
        if ben_sync is not None:
            ben_sync.stop()
        ben.close()
    assert no_sync_threads_left()
