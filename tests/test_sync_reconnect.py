"""Reconnecting homes that are already in sync: the two hellos say everything, and the next
edit still travels in one message. Real homes, real TLS sockets on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from board.workspace import Workspace
from sync.limits import Limits
from sync.node import Link, SyncNode

from .test_sync_team import LOOPBACK, client_round, eventually

QUIET = Limits(ping_interval=600.0, idle_timeout=1200.0)  # no keepalive frames in the counts


def goal_listed(ws: Workspace, title: str) -> bool:
    return bool(ws.service.store.rows("SELECT id FROM goals WHERE title = ?", [title]))


def only_link(node: SyncNode) -> Link | None:
    links = list(node.links.values())
    return links[0] if len(links) == 1 and links[0].synced.is_set() else None


async def test_homes_in_sync_reconnect_with_hellos_only_and_the_next_edit_takes_one_message_each_way(
    tmp_path: Path,
) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ben = Workspace.create(tmp_path / "ben")
    ana.service.add_member(ben.identity.member_id, "Ben", ben.identity.cert_pem, ana.service.me)
    for i in range(30):
        ana.service.add_goal(f"goal {i}")
    server = SyncNode(ana.service, ana.identity, interfaces=LOOPBACK, discovery=False, limits=QUIET)
    await server.start()
    (first,) = await client_round(ben, server.port, newcomer_of=ana)
    assert first.synced.is_set()
    assert sorted(ben.service.doc.heads()) == sorted(ana.service.doc.heads())

    # Reconnect, as the app does, with nothing new on either side.
    ben_node = SyncNode(
        ben.service,
        ben.identity,
        interfaces=LOOPBACK,
        listen=False,
        discovery=False,
        peers=[("127.0.0.1", server.port)],
        limits=QUIET,
    )
    await ben_node.start()
    try:
        assert await eventually(
            lambda: only_link(ben_node) is not None and only_link(server) is not None
        )
        ben_link, ana_link = only_link(ben_node), only_link(server)
        assert ben_link is not None and ana_link is not None
        # Each side sent its hello and nothing else: no bloom filter of the history.
        assert (ben_link.stats.frames_out, ana_link.stats.frames_out) == (1, 1)
        assert (ben_link.stats.frames_in, ana_link.stats.frames_in) == (1, 1)

        ana.service.add_goal("written after the reconnect")
        assert await eventually(
            lambda: (
                goal_listed(ben, "written after the reconnect")
                and ben_link.session.synced
                and ana_link.session.synced
            )
        )
        # The edit in one sync message, one acknowledgement back: no extra round trips.
        assert (ana_link.stats.frames_out, ben_link.stats.frames_out) == (2, 2)
        assert ben_link.stats.changes_in == 1
        assert sorted(ben.service.doc.heads()) == sorted(ana.service.doc.heads())
    finally:
        await ben_node.stop()
        await server.stop()
        ana.close()
        ben.close()
