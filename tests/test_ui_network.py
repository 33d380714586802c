"""The Network view: the whole value network, one person's network with its degree, the
home base, moving from node to node and opening what is under the cursor, the health
hints, and a 200-member board that stays readable. Pilot tests drive the keys; snapshots
show the Network and My network pictures at 80×24 and 160×48."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, TabbedContent

from board.ui.app import TeamboardApp, make_app
from board.ui.screens.detail import DetailScreen
from board.ui.screens.main import VIEWS, MainScreen
from board.ui.widgets.me_view import MeView
from board.ui.widgets.network_canvas import NetworkCanvas
from board.ui.widgets.network_view import NetworkView
from board.workspace import Workspace
from sync.identity import Identity
from tests.ui_helpers import (
    TickingClock,
    demo_home,
    screen_text,
    seed_ids,
    settle,
    wait_for_board,
    wait_until,
)

NETWORK_KEY = str([key for key, _ in VIEWS].index("network") + 1)
SIZES = {"80x24": (80, 24), "160x48": (160, 48)}
FIRST = ("Ana", "Ben", "Chen", "Dara", "Eli", "Farah", "Gus", "Hana", "Ivo", "Jun")
LAST = (
    "Abara",
    "Bauer",
    "Costa",
    "Dubois",
    "Ekwueme",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalczyk",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Santos",
    "Tanaka",
)
BIG_NAMES = [f"{first} {last}" for first in FIRST for last in LAST]  # 200 people


def build_big_board(home: Path) -> None:
    """200 members in 20 streams (routine and change, long titles, customers, suppliers,
    stewards), five people in no stream, and commitments to people and parties — made
    through the service, in a few seconds."""
    ws = Workspace.init(home, "Harbor Network", BIG_NAMES[0], clock=TickingClock())
    s = ws.service
    ids = [s.me]
    for name in BIG_NAMES[1:]:
        identity = Identity.generate()
        s.add_member(identity.member_id, name, identity.cert_pem, invited_by=s.me)
        ids.append(identity.member_id)
    for k in range(20):
        people = ids[k * 10 : (k + 1) * 10] if k < 19 else ids[190:195]
        stream = s.add_stream(
            f"Stream {k:02d}: {'keep the lights on' if k % 2 == 0 else 'try something new'}",
            kind="change" if k % 2 else "routine",
            members=[*people, ids[(k * 10 + 15) % 190]],
            customers=[f"Clinic {k % 6}"],
            suppliers=[f"Supplier {k % 4}", "CloudHost"] if k % 3 == 0 else [f"Supplier {k % 4}"],
            partners=["Design Guild"] if k % 5 == 0 else [],
        )
        s.add_role(f"Steward {k:02d}", stream=stream, holders=[people[0]])
    for i in range(0, 190, 3):
        s.add_commitment(f"Promise {i}", to=ids[(i * 7 + 1) % 200], by=ids[i])
    for i in range(12):
        s.add_commitment(f"Report {i}", to="Acme Labs", by=ids[0])
    ws.close()


@pytest.fixture(scope="module")
def big_board(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("big") / "home"
    build_big_board(home)
    return home


@pytest.fixture
def big(big_board: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the 200-member board of its own (the app writes its settings there)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEAMBOARD_THEME", raising=False)
    home = tmp_path / "big"
    shutil.copytree(big_board, home)
    return home


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEAMBOARD_THEME", raising=False)
    seed_ids(monkeypatch)
    return demo_home(tmp_path)


# ----------------------------------------------------------------------------- helpers


def network_view(app: TeamboardApp) -> NetworkView:
    return app.screen.query_one(NetworkView)


def canvas(app: TeamboardApp) -> NetworkCanvas:
    return network_view(app).query_one(NetworkCanvas)


def drawn(app: TeamboardApp) -> str:
    """The whole picture the canvas holds (not only the lines on screen)."""
    return canvas(app).drawing.text


async def open_network(pilot: Pilot[Any]) -> None:
    await wait_for_board(pilot)
    await pilot.press(NETWORK_KEY)
    await wait_until(
        pilot, lambda: network_view(pilot.app).picture is not None, what="the network to be drawn"
    )


async def press_and_wait(pilot: Pilot[Any], key: str, drawn_when: Callable[[str], bool]) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: drawn_when(drawn(pilot.app)), what=f"the picture after {key}")


def node_id(app: TeamboardApp, label: str) -> str:
    data = network_view(app).data
    assert data is not None
    return next(n.id for n in data.network.nodes if n.label == label)


async def tab_to(pilot: Pilot[Any], target: str) -> None:
    """Press tab until the cursor is on ``target`` (as a person would), or shift+tab when
    it is behind the cursor."""
    board = canvas(pilot.app)
    spots = [spot.target for spot in board.drawing.spots]
    assert target in spots, f"{target} is not drawn"
    steps = spots.index(target) - board.cursor
    await pilot.press(*(["tab"] * steps if steps >= 0 else ["shift+tab"] * -steps))
    assert board.target == target


async def cursor_to(pilot: Pilot[Any], target: str) -> None:
    """Put the cursor on ``target`` directly (moving by key is tested on its own; a
    key press per node would make these tests slow)."""
    assert canvas(pilot.app).locate(target), f"{target} is not drawn"
    await settle(pilot, 1)


# ----------------------------------------------------------------------------- modes


async def test_the_three_modes_by_key_and_by_palette(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        assert "Value network of Harbor Clinic Software" in screen_text(pilot)
        assert "[R] Support & operations" in drawn(app) and "[C] Billing integration" in drawn(app)
        await press_and_wait(pilot, "m", lambda text: "Ana's network (depth 1)" in text)
        assert "Ana's network (depth 1)" in screen_text(pilot)
        await press_and_wait(pilot, "b", lambda text: text.startswith("Home base"))
        assert "Home base: who holds which role" in screen_text(pilot)
        await press_and_wait(pilot, "w", lambda text: text.startswith("Value network"))
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"network: my network")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, MainScreen) and "Ana's network" in drawn(app),
            what="the palette command to switch modes",
        )
        assert network_view(app).mode == "mine"


async def test_streams_are_hubs_routine_and_change_look_different(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(160, 48)) as pilot:
        await open_network(pilot)
        lines = drawn(app).splitlines()
        support = next(i for i, line in enumerate(lines) if "[R] Support & operations" in line)
        billing = next(i for i, line in enumerate(lines) if "[C] Billing integration" in line)
        assert "╔═ [R] Support & operations" in lines[support]  # routine: double lines
        assert "┌─ [C] Billing integration" in lines[billing]  # change: single lines
        # the supplier feeds the stream from the left, the stream serves its customer
        assert lines[support + 1].startswith("CloudHost ")
        assert "║────▶ Riverside Clinic" in lines[support + 1]


# ----------------------------------------------------------------------------- moving and opening


async def test_arrows_and_tab_move_between_nodes_and_say_what_is_there(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        board = canvas(app)
        assert app.screen.focused is board
        spots = board.drawing.spots
        first = board.target
        assert first == spots[0].target
        await pilot.press("tab")
        assert board.target == spots[1].target
        await pilot.press("shift+tab")
        assert board.target == first
        line = board.spot.line if board.spot else -1
        await pilot.press("down")
        assert board.spot is not None and board.spot.line > line
        await pilot.press("up")
        assert board.spot is not None and board.spot.line == line
        await tab_to(pilot, node_id(app, "PayBridge"))
        await settle(pilot)
        assert "PayBridge · external party · supplier of Billing integration" in screen_text(pilot)
        await pilot.press("end")
        assert board.target == board.drawing.spots[-1].target
        await pilot.press("home")
        assert board.target == first


async def test_enter_opens_a_stream_a_commitment_and_a_persons_me_view(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        stream = node_id(app, "Support & operations")
        await cursor_to(pilot, stream)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail")
        assert isinstance(app.screen, DetailScreen) and app.screen.item_id == stream[2:]
        assert "Keep the clinic's systems running" in screen_text(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="the map")

        data = network_view(app).data
        assert data is not None
        promise = next(e for e in data.network.edges if e.title.startswith("Set up uptime alerts"))
        await cursor_to(pilot, f"c:{promise.ref}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail")
        assert isinstance(app.screen, DetailScreen) and app.screen.item_id == promise.ref
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="the map")

        ben = node_id(app, "Ben")
        await cursor_to(pilot, ben)
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: app.screen.query_one(TabbedContent).active == "me", what="the Me view"
        )
        assert app.screen.query_one(MeView).person == ben[2:]
        await wait_until(
            pilot, lambda: "Set up uptime alerts" in screen_text(pilot), what="Ben's commitments"
        )


async def test_the_item_keys_work_on_the_commitment_under_the_cursor(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        data = network_view(app).data
        assert data is not None
        promise = next(e for e in data.network.edges if e.title.startswith("Migrate ticket"))
        assert promise.status == "proposed"
        await cursor_to(pilot, f"c:{promise.ref}")
        await pilot.press("s")  # advance: proposed -> accepted
        await wait_until(
            pilot,
            lambda: f"{promise.title} (accepted)" in drawn(app),
            what="the new status in the picture",
        )
        assert canvas(app).target == f"c:{promise.ref}"  # the cursor stayed on it


# ----------------------------------------------------------------------------- my network


async def test_plus_and_minus_widen_and_narrow_my_network(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        await press_and_wait(pilot, "m", lambda text: "Ana's network (depth 1)" in text)
        mine = drawn(app)
        assert canvas(app).target == node_id(app, "Ana")  # centred on me
        assert "Support & operations" in mine and "Patient onboarding redesign" in mine
        assert "Releases & quality" not in mine and "Billing integration" not in mine
        assert "Chen" not in mine
        await press_and_wait(pilot, "plus", lambda text: "(depth 2)" in text)
        wider = drawn(app)  # Ben's and Eli's release stream, Dara's billing stream
        assert "Releases & quality" in wider and "Billing integration" in wider
        assert "Chen" in wider
        assert "degree 2" in screen_text(pilot)
        await press_and_wait(pilot, "minus", lambda text: "(depth 1)" in text)
        assert "Releases & quality" not in drawn(app) and "Chen" not in drawn(app)
        await pilot.press("minus")  # one is the least
        await settle(pilot)
        assert network_view(app).depth == 1 and "(depth 1)" in drawn(app)


async def test_pick_any_member_or_follow_the_one_under_the_cursor(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        await pilot.press("p")
        await settle(pilot)
        select = network_view(app).query_one("#net-person", Select)
        assert app.screen.focused is not None and select in app.screen.focused.ancestors_with_self
        await pilot.press(*"Chen", "enter")
        await wait_until(
            pilot, lambda: "Chen's network (depth 1)" in drawn(app), what="Chen's network"
        )
        assert "Billing integration" in drawn(app) and "Support & operations" not in drawn(app)
        assert app.screen.focused is canvas(app)
        dara = node_id(app, "Dara")
        await cursor_to(pilot, dara)
        await press_and_wait(pilot, "f", lambda text: "Dara's network (depth 1)" in text)
        assert "Patient onboarding redesign" in drawn(app)
        assert select.value == dara[2:]


# ----------------------------------------------------------------------------- home base, hints


async def test_home_base_lists_who_holds_which_role_in_which_stream(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        await press_and_wait(pilot, "b", lambda text: text.startswith("Home base"))
        text = drawn(app)
        releases = text.index("[R] Releases & quality")
        assert releases < text.index("Release steward — Eli") < text.index("[R] Support")
        assert "· Cut the release branch" in text
        assert "On-call lead — Ben" in text and "· Answer pages within 15 minutes" in text
        assert "Roles in no stream" in text and "Facilitator — Ana" in text
        assert "Holding no role: Chen, Dara" in text
        await cursor_to(pilot, node_id(app, "On-call lead"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the role")


def add_gaps(home: Path) -> None:
    """Someone in no stream, and a stream that serves nobody."""
    identity = Identity.generate()
    with Workspace.open(home) as ws:
        ws.service.add_member(identity.member_id, "Gus", identity.cert_pem, ws.service.me)
        ws.service.add_stream("Internal tooling", kind="change", members=["Ana"])


@pytest.mark.parametrize("size", SIZES)
async def test_health_hints_are_shown_next_to_the_map(demo: Path, size: str) -> None:
    add_gaps(demo)
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=SIZES[size]) as pilot:
        await open_network(pilot)
        shown = screen_text(pilot)
        assert "Health hints (2)" in shown
        assert "Gus takes part in no stream" in shown
        assert "Internal tooling" in shown
        hints = network_view(app).query_one("#net-hints")
        board = canvas(app)
        if size == "160x48":  # a side panel to the right of the map
            assert hints.region.x >= board.region.right and hints.region.y == board.region.y
        else:  # below the map, and i hides it
            assert hints.region.y >= board.region.bottom
            await pilot.press("i")
            await settle(pilot)
            assert "Gus takes part in no stream" not in screen_text(pilot)
            await pilot.press("i")
            await settle(pilot)
            assert "Gus takes part in no stream" in screen_text(pilot)


async def test_the_map_is_laid_out_again_for_a_new_terminal_size(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        stream = node_id(app, "Patient onboarding redesign")
        await cursor_to(pilot, stream)
        assert canvas(app).drawing.width < 80
        await pilot.resize_terminal(160, 48)
        await wait_until(pilot, lambda: canvas(app).drawing.width > 100, what="a wider map")
        board = canvas(app)
        assert max(len(line) for line in board.drawing.lines) <= board.drawing.width
        assert "│ purpose  Halve the time a new patient needs to register │" in drawn(app)
        assert board.target == stream  # the cursor stays where it was
        hints = network_view(app).query_one("#net-hints")
        assert hints.region.x >= board.region.right  # the hints moved beside the map


async def test_the_map_follows_changes_to_the_board(demo: Path) -> None:
    app = make_app(demo, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        assert "Internal tooling" not in drawn(app)
        app.runner.write(
            lambda s: s.add_stream(
                "Internal tooling", members=["Ben"], customers=["Front desk staff"]
            )
        )
        await wait_until(
            pilot, lambda: "[R] Internal tooling" in drawn(app), what="the new stream on the map"
        )


# ----------------------------------------------------------------------------- a big team


async def test_a_200_member_board_stays_readable(big: Path) -> None:
    app = make_app(big, clock=TickingClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_network(pilot)
        board = canvas(app)
        lines = board.drawing.lines
        width = board.scrollable_content_region.width
        assert board.drawing.width == width
        assert max(len(line) for line in lines) <= width  # nothing runs off or overlaps
        text = drawn(app)
        for name in BIG_NAMES:
            assert name in text, name
        # commitments are clustered: a few per person, then how many more
        assert "… and 10 more by Ana Abara" in text
        assert "Health hints" in screen_text(pilot)
        # paging through the picture moves the cursor a screen at a time
        top = board.spot.line if board.spot else 0
        await pilot.press("pagedown")
        assert board.spot is not None and board.spot.line > top + 5
        assert board.scroll_y > 0
        await press_and_wait(pilot, "m", lambda t: "Ana Abara's network (depth 1)" in t)
        mine = drawn(app)
        assert "Stream 00" in mine and "Stream 05" not in mine
        await press_and_wait(pilot, "plus", lambda t: "(depth 2)" in t)
        assert len(drawn(app)) > len(mine)


# ----------------------------------------------------------------------------- snapshots


# The demo board's whole network is in test_ui_snapshots (test_view[network-…]).
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("board", "mode"), [("demo", "mine"), ("big", "network"), ("big", "mine")])
def test_network_snapshot(
    board: str, mode: str, size: str, request: pytest.FixtureRequest, snap_compare: Any
) -> None:
    home: Path = request.getfixturevalue(board)

    async def show(pilot: Pilot[Any]) -> None:
        await open_network(pilot)
        if mode == "mine":
            await press_and_wait(pilot, "m", lambda text: "'s network (depth 1)" in text)
        await settle(pilot)

    app = make_app(home, clock=TickingClock())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=show)
