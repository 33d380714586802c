"""The sync node on a background thread (as the app runs it) keeps the board in sync while
the main thread edits, and reports its peers."""

from __future__ import annotations

from pathlib import Path

from board.events import PeersChanged
from board.workspace import Workspace
from sync.background import BackgroundSync

from .test_sync_team import LOOPBACK, eventually, invite_and_join


async def test_background_node_syncs_edits_both_ways_and_reports_peers(tmp_path: Path) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ben = await invite_and_join(ana, tmp_path / "ben", "Ben")
    events: list[object] = []
    ana_bg = BackgroundSync(ana, interfaces=LOOPBACK, discovery=False, on_event=events.append)
    ana_bg.start()
    assert ana_bg.error == "" and ana_bg.port > 0
    ben_bg = BackgroundSync(
        ben, interfaces=LOOPBACK, discovery=False, peers=[("127.0.0.1", ana_bg.port)]
    )
    ben_bg.start()
    try:
        assert await eventually(lambda: any(p.synced for p in ben_bg.peers()))
        assert [p.name for p in ben_bg.peers()] == ["Ana"]
        goal = ana.service.add_goal("from the main thread")  # written while the node runs
        assert await eventually(lambda: any(g.id == goal for g in ben.service.list("goals")))
        back = ben.service.add_goal("and back")
        assert await eventually(lambda: any(g.id == back for g in ana.service.list("goals")))
        assert any(isinstance(e, PeersChanged) and e.connected == 1 for e in events)
    finally:
        ben_bg.stop()
        ana_bg.stop()
    assert not ana_bg._thread.is_alive() and not ben_bg._thread.is_alive()


def test_a_port_in_use_turns_sync_off_with_a_reason(tmp_path: Path) -> None:
    import socket

    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bg = BackgroundSync(ana, interfaces=LOOPBACK, discovery=False, port=taken.getsockname()[1])
        bg.start()
        assert bg.error.startswith("sync is off: cannot listen")
        bg.stop()
