"""Removal that holds: once a removal reaches a peer, by any route, the removed member's
certificate stops being a trust anchor there: new connections are refused and an open one
is closed. Anything they write after seeing their removal is refused everywhere (see
tests/test_signatures.py); what they wrote before hearing of it is kept everywhere (the
documented rule in sync/authorship.py). Real homes, real TLS on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.node import SyncNode
from sync.transport import PeerRejected, Trust, connect

from .conftest import Cli
from .test_signatures import team_of_four
from .test_sync_team import LOOPBACK, assert_identical, eventually, round_with, serve


async def test_a_change_made_concurrently_with_a_removal_is_kept_everywhere(tmp_path: Path) -> None:
    """The documented rule: a removed member's change that did not know of the removal is
    accepted, so boards that merged it before the removal reached them still converge."""
    ana, ben, cara, _ = await team_of_four(tmp_path)
    cara.service.add_goal("Written before Cara heard of her removal")
    ana.service.remove_member("Cara")
    ben_node = await serve(ben)
    await round_with(cara, ben_node)  # Ben has not heard of the removal yet
    await ben_node.stop()
    ana_node = await serve(ana)
    await round_with(ben, ana_node)
    await ana_node.stop()
    assert_identical(ana.service, ben.service)
    assert "Written before Cara heard of her removal" in {
        g.title for g in ana.service.list("goals")
    }
    assert not [m for m in ana.service.members() if m.name == "Cara"]


async def test_a_removed_member_cannot_connect_to_anyone_who_has_the_removal(
    tmp_path: Path,
) -> None:
    ana, ben, cara, _ = await team_of_four(tmp_path)
    ana.service.remove_member("Cara")
    ana_node = await serve(ana)
    await round_with(ben, ana_node)  # Ben learns of the removal only through sync
    await ana_node.stop()
    ben_node = await serve(ben)
    try:
        with pytest.raises(PeerRejected):
            await connect("127.0.0.1", ben_node.port, Trust(cara.identity, [ben.identity.cert_pem]))
    finally:
        await ben_node.stop()


async def test_an_open_connection_of_a_removed_member_is_closed_when_the_removal_syncs(
    tmp_path: Path,
) -> None:
    ana, ben, cara, _ = await team_of_four(tmp_path)
    ben_node = await serve(ben)
    cara_node = SyncNode(
        cara.service,
        cara.identity,
        interfaces=LOOPBACK,
        listen=False,
        discovery=False,
        peers=[("127.0.0.1", ben_node.port)],
    )
    await cara_node.start()
    try:
        assert await eventually(lambda: any(k.synced.is_set() for k in ben_node.links.values()))
        ana.service.remove_member("Cara")
        await round_with(ana, ben_node)  # the removal reaches Ben by sync, not by hand
        assert await eventually(lambda: not ben_node.links and not cara_node.links)
        # Cara's node keeps trying to reconnect; it is turned away, with a hint why.
        with pytest.raises(PeerRejected, match="are we still a member there"):
            await connect("127.0.0.1", ben_node.port, Trust(cara.identity, [ben.identity.cert_pem]))
        assert not [m for m in ben.service.members() if m.name == "Cara"]
    finally:
        await cara_node.stop()
        await ben_node.stop()


async def test_a_removed_member_who_knows_it_is_told_so_when_editing(tmp_path: Path) -> None:
    ana, _, cara, _ = await team_of_four(tmp_path)
    ana.service.remove_member("Cara")
    node = await serve(ana)
    try:
        with pytest.raises(PeerRejected):  # Cara can no longer sync with Ana...
            await connect("127.0.0.1", node.port, Trust(cara.identity, [ana.identity.cert_pem]))
    finally:
        await node.stop()
    # ...but say a teammate who had not heard yet passed the removal on to her.
    cara.service.apply_remote([(c.bytes, "", b"") for c in ana.service.doc.changes_since([])])
    before = cara.store.change_count()
    result = Cli(cara.home)("add", "goal", "Cara keeps typing", code=1)
    when = ana.service.now()[:10]
    assert result.stderr.strip().splitlines() == [
        f"teamboard: error: you were removed from the team by Ana on {when}; "
        + "edits made now would be refused by every teammate"
    ]
    assert cara.store.change_count() == before


async def test_a_record_holding_a_removed_members_certificate_does_not_let_them_back_in(
    tmp_path: Path,
) -> None:
    ana, _, cara, dan = await team_of_four(tmp_path)
    ana.service.remove_member("Cara")
    # Dan slips Cara's certificate back in under another id, and it reaches Ana.
    dan.service.apply_remote([(c.bytes, "", b"") for c in ana.service.doc.changes_since([])])
    dan.service.add_member("ffffffffffffffff", "Not Cara", cara.identity.cert_pem, dan.service.me)
    node = await serve(dan)
    await round_with(ana, node)
    await node.stop()
    assert "Not Cara" in {m.name for m in ana.service.members()}
    node = await serve(ana)
    try:
        with pytest.raises(PeerRejected):
            await connect("127.0.0.1", node.port, Trust(cara.identity, [ana.identity.cert_pem]))
    finally:
        await node.stop()
