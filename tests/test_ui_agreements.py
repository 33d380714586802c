"""Agreements in the UI: every party consents in their own app; the last consent makes the
agreement active. Each party runs the app on a home holding their own identity."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from board.model import Agreement
from board.ui.app import make_app
from board.ui.widgets.agreements_view import AgreementsView
from board.ui.widgets.view import ItemTable
from board.workspace import Workspace
from tests.ui_helpers import TickingClock, add_member, become, settle, wait_for_board, wait_until


def agreement(home: Path) -> Agreement:
    with Workspace.open(home) as ws:
        [a] = ws.service.list("agreements")
        assert isinstance(a, Agreement)
        return a


def waiting_cell(view: AgreementsView, agreement_id: str) -> str:
    table = view.query_one(ItemTable)
    value = table.get_cell(agreement_id, "Waiting for")
    return value.plain if isinstance(value, Text) else str(value)


async def consent_in_the_ui(home: Path) -> str:
    """Open the app, go to Agreements, consent with `a`; returns the Waiting-for cell."""
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("2")
        await settle(pilot)
        view = app.screen.query_one(AgreementsView)
        agreement_id = next(iter(view.agreements))
        before = len(view.agreements[agreement_id].consents)
        assert view.selected_id() == agreement_id
        await pilot.press("a")
        await wait_until(
            pilot,
            lambda: len(view.agreements[agreement_id].consents) == before + 1,
            what="the consent to show",
        )
        return waiting_cell(view, agreement_id)


async def test_each_party_consents_and_the_agreement_becomes_active(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()):
        pass
    ben = add_member(home, tmp_path / "ben", "Ben")
    eli = add_member(home, tmp_path / "eli", "Eli")
    with Workspace.open(home) as ws:
        ws.service.add_agreement(
            "Handover every Monday", counterparts=["Ben", "Eli"], expectations="A note by 10:00"
        )

    assert await consent_in_the_ui(home) == "Ben, Eli"  # Ana, the accountable one
    assert agreement(home).status == "draft"

    become(home, ben, stash=tmp_path / "ana")
    assert await consent_in_the_ui(home) == "Eli"
    assert agreement(home).status == "draft"

    become(home, eli, stash=tmp_path / "ana")
    assert await consent_in_the_ui(home) == "✓ everyone"
    final = agreement(home)
    assert final.status == "active"
    assert len(final.consents) == 3


async def test_consent_is_refused_for_someone_not_a_party(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()):
        pass
    add_member(home, tmp_path / "ben", "Ben")
    add_member(home, tmp_path / "eli", "Eli")
    with Workspace.open(home) as ws:
        ws.service.add_agreement("Ben and Eli pair", counterparts=["Eli"], accountable="Ben")
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("only the parties to this agreement can consent" in m for m in messages)
    assert agreement(home).consents == {}


async def test_overdue_reviews_stand_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()) as ws:
        pass
    add_member(home, tmp_path / "ben", "Ben")
    with Workspace.open(home, clock=TickingClock()) as ws:
        late = ws.service.add_agreement("Late one", counterparts=["Ben"], review_on="-3d")
        ws.service.add_agreement("Fine one", counterparts=["Ben"], review_on="+9d")
        ws.service.consent(late)
    become(home, tmp_path / "ben", stash=tmp_path / "ana")
    with Workspace.open(home, clock=TickingClock()) as ws:
        ws.service.consent(late)
    app = make_app(home, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_board(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(AgreementsView).query_one(ItemTable)
        first = table.get_row_at(0)
        assert first[0].plain == "⚠ Late one" and "bold red" in str(first[0].style)
        assert first[1].plain == "⚠ 3d overdue"
        assert table.get_row_at(1)[1].plain.startswith("in 9d")
