"""Signed authorship: a change enters a board only signed by the member whose actor made it.

Four members on real homes (Ana receives, Ben forges, Cara is impersonated or removed,
Dan relays); a forged change is put into a home that then serves it over real TLS on
127.0.0.1, as the forger's own node would ("direct") or as a buggy relay that skipped the
checks would ("relayed": a member passes on what a forger gave it). Ana's node must refuse the batch, close the connection with a logged
reason and keep her board exactly as it was, and still sync with honest members.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from automerge import core as am

from board.events import SyncProblem
from board.service import BoardService
from board.workspace import Workspace

from .conftest import Cli
from .signing import sign_with
from .test_sync_team import assert_identical, client_round, invite_and_join, round_with, serve

Team = tuple[Workspace, Workspace, Workspace, Workspace]


async def team_of_four(root: Path) -> Team:
    ana = Workspace.init(root / "ana", "Orbit", "Ana")
    ana.service.add_goal("Ship the pilot")
    ben = await invite_and_join(ana, root / "ben", "Ben")
    cara = await invite_and_join(ana, root / "cara", "Cara")
    dan = await invite_and_join(ana, root / "dan", "Dan")
    node = await serve(ana)
    for ws in (ben, cara):  # everyone learns who joined after them
        await round_with(ws, node)
    await node.stop()
    return ana, ben, cara, dan


def change_as(ws: Workspace, actor: bytes, title: str) -> bytes:
    """A real change on top of ``ws``'s board, written as ``actor``: it renames the goal."""
    doc = am.Document.load(bytes(ws.service.doc.save()))
    doc.set_actor(actor)
    goals = doc.get(am.ROOT, "goals")
    assert goals is not None
    goal = doc.get(goals[1], doc.keys(goals[1])[0])
    assert goal is not None
    before = doc.get_heads()
    with doc.transaction() as tx:
        tx.put(goal[1], "title", am.ScalarType.Str, title)
    (change,) = doc.get_changes(before)
    return bytes(change.bytes)


def claims_cara(team: Team) -> tuple[bytes, str, bytes]:
    """Ben writes as Cara's actor and signs with his own key."""
    _, ben, cara, _ = team
    data, _, sig = sign_with(
        ben.identity, change_as(ben, cara.identity.actor, "Cara says: cancel it")
    )
    return data, cara.service.me, sig


def bad_signature(team: Team) -> tuple[bytes, str, bytes]:
    """Ben's own change with one byte of his signature flipped."""
    _, ben, _, _ = team
    data, author, sig = sign_with(ben.identity, change_as(ben, ben.identity.actor, "tampered"))
    return data, author, bytes([sig[0] ^ 1]) + sig[1:]


def unsigned(team: Team) -> tuple[bytes, str, bytes]:
    """Ben's own change with no signature at all."""
    _, ben, _, _ = team
    return change_as(ben, ben.identity.actor, "unsigned"), ben.service.me, b""


def after_removal(team: Team) -> tuple[bytes, str, bytes]:
    """Ana removes Cara; Cara gets the removal, then edits anyway (validly signed; her app
    would refuse, so the edit is written into her document directly)."""
    ana, _, cara, _ = team
    ana.service.remove_member("Cara")
    cara.service.apply_remote([(c.bytes, "", b"") for c in ana.service.doc.changes_since([])])
    assert cara.service.doc.read("members", cara.service.me)["removed_at"]
    return sign_with(cara.identity, change_as(cara, cara.identity.actor, "Cara writes anyway"))


FORGERIES: dict[str, Callable[[Team], tuple[bytes, str, bytes]]] = {
    "claims another member's actor": claims_cara,
    "bad signature": bad_signature,
    "no signature": unsigned,
    "made after its author's removal": after_removal,
}
REASONS = {
    "claims another member's actor": "not its author's",
    "bad signature": "not its author's",
    "no signature": "carries no signature",
    "made after its author's removal": "after their removal",
}


def state(ws: Workspace) -> tuple[int, list[bytes], list[str]]:
    return (
        ws.store.change_count(),
        sorted(ws.service.doc.heads()),
        sorted(g.title for g in ws.service.list("goals")),
    )


@pytest.mark.parametrize("route", ["direct", "relayed"])
@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_change_is_refused_and_the_board_is_unchanged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, forgery: str, route: str
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    team = await team_of_four(tmp_path)
    ana, ben, cara, dan = team
    forged = FORGERIES[forgery](team)
    removal = forgery == "made after its author's removal"
    if route == "relayed":
        carrier = dan
    else:  # the forger's own node; the removed member's is refused at the handshake
        carrier = cara if removal else ben
    # A buggy or hostile node takes the change (and the board it was made on) unchecked.
    made_on = [(c.bytes, "", b"") for c in ana.service.doc.changes_since([])]
    carrier.service.apply_remote([*made_on, forged])
    before = state(ana)
    node = await serve(carrier)
    try:
        links = await client_round(ana, node.port)
    finally:
        await node.stop()

    assert not any(link.synced.is_set() for link in links)
    assert state(ana) == before
    if carrier is cara:
        assert links == []  # Cara's certificate is no longer trusted
        assert "not a current member" in caplog.text or "certificate" in caplog.text.lower()
    else:
        assert REASONS[forgery] in caplog.text
    # Nothing of the forgery stayed in memory either: the next process agrees.
    again = Workspace.open(ana.home)
    assert state(again) == before
    again.close()


async def test_a_third_peer_refuses_what_a_relay_accepted_and_honest_sync_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    team = await team_of_four(tmp_path)
    ana, ben, _, dan = team
    dan.service.apply_remote([claims_cara(team)])  # Dan, a buggy relay, took it
    ben.service.add_goal("Ben's honest goal")
    ana_node = await serve(ana)
    events: list[object] = []
    ana_node.on_event = events.append  # what the app shows as a sync warning
    try:
        links = await client_round(dan, ana_node.port)
        assert links and not links[0].synced.is_set()
        assert "refused the peer's changes" in caplog.text
        problems = [e.message for e in events if isinstance(e, SyncProblem)]
        assert any(
            "closed the connection with Dan" in m and "not its author's" in m for m in problems
        )
        assert "Cara says: cancel it" not in {g.title for g in ana.service.list("goals")}
        await round_with(ben, ana_node)  # the node keeps serving honest members
        assert "Ben's honest goal" in {g.title for g in ana.service.list("goals")}
        assert_identical(ana.service, ben.service)
    finally:
        await ana_node.stop()


def test_history_shows_the_verified_author_and_marks_a_false_claim(ws: Workspace) -> None:
    """An entry stamped with another member's name shows who really wrote it."""
    from sync.identity import Identity

    ben = Identity.generate()
    ws.service.add_member(ben.member_id, "Ben", ben.cert_pem, ws.service.me)
    goal = ws.service.add_goal("Ship it")
    # Ben's process stamps its edits with Ana's member id: the actor still tells.
    impostor = BoardService.open(ws.store, ben.actor, ws.service.me, ben.sign)
    impostor.edit(goal, title="Ship it later")
    ws.service.fresh()
    entries = ws.service.history(goal)
    assert [(e.by, e.claimed_by) for e in entries] == [
        (ws.service.me, ""),
        (ben.member_id, ws.service.me),
    ]
    assert entries[-1].author(ws.service.member_name) == "Ben (claimed: Ana)"
    shown = Cli(ws.home)("history", goal).stdout.splitlines()
    assert "Ben (claimed: Ana)" in shown[-1] and "Ana" in shown[0] and "claimed" not in shown[0]


async def test_a_newcomer_refuses_a_snapshot_that_holds_a_forgery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    team = await team_of_four(tmp_path)
    _, _, _, dan = team
    dan.service.apply_remote([claims_cara(team)])  # Dan, a buggy relay, took it
    eve = Workspace.create(tmp_path / "eve")
    dan.service.add_member(eve.identity.member_id, "Eve", eve.identity.cert_pem, dan.service.me)
    node = await serve(dan)
    try:
        links = await client_round(eve, node.port, newcomer_of=dan)
    finally:
        await node.stop()
    assert links and not links[0].synced.is_set()
    assert "not its author's" in caplog.text
    assert eve.service.doc.heads() == [] and eve.store.change_count() == 0


def test_a_member_record_holding_someone_elses_certificate_takes_no_authorship(
    ws: Workspace,
) -> None:
    """A member may add members, but cannot make Ana's edits show under another name."""
    goal = ws.service.add_goal("Ship it")
    ws.service.add_member("ffffffffffffffff", "Not Ana", ws.identity.cert_pem, ws.service.me)
    ws.service.edit(goal, title="Ship it now")
    fresh = BoardService.open(ws.store, ws.identity.actor, ws.service.me, ws.identity.sign)
    assert {e.by for e in fresh.history(goal)} == {ws.service.me}
    # what a read-model rebuild (a new teamboard, doctor --repair) would list
    assert {(e.by, e.claimed_by) for e in fresh.doc.history("goals", goal)} == {(ws.service.me, "")}
