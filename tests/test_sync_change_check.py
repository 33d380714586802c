"""Changes whose headers do not add up are refused before they are stored.

automerge takes a change that skips a sequence number or numbers its operations inside
those of its dependencies, and afterwards cannot save a copy of the board that loads
(compaction and the snapshot a newcomer needs would break). A peer's batch that brings
such a change is refused whole: nothing is stored, the board is as before and still saves.
Real automerge documents and a real home; the forged changes are real changes with header
fields rewritten and the checksum made right, as a broken or hostile client would send.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from automerge import core as am

from board.document import BoardDocument, encode_apply_message
from board.workspace import Workspace
from sync.identity import Identity
from sync.port import ServicePort
from sync.protocol import PROTOCOL_VERSION, Changes, Hello
from sync.session import SessionError, SyncSession
from tests.fuzz_frames import rewrite_change
from tests.signing import sign_with

BEN = Identity.generate()
BEN_ACTOR = BEN.actor


def bens_changes(ana: Workspace) -> tuple[bytes, bytes]:
    """Two consecutive changes Ben (a member) makes on top of Ana's board."""
    if not ana.service.doc.read("members", BEN.member_id):
        ana.service.add_member(BEN.member_id, "Ben", BEN.cert_pem, ana.service.me)
    ben = am.Document.load(bytes(ana.service.doc.save()))
    ben.set_actor(BEN_ACTOR)
    before = ben.get_heads()
    for value in ("one", "two"):
        with ben.transaction() as tx:
            tx.put(am.ROOT, "probe", am.ScalarType.Str, value)
    first, second = ben.get_changes(before)
    return bytes(first.bytes), bytes(second.bytes)


def session_with_ben(ana: Workspace) -> SyncSession:
    session = SyncSession(ServicePort(ana.service), ana.service.team().id, ana.service.me)
    session.start()
    session.receive(Hello(PROTOCOL_VERSION, ana.service.team().id, "ben", ()))
    return session


def state(ana: Workspace) -> tuple[int, list[bytes]]:
    return ana.store.change_count(), sorted(ana.service.doc.heads())


def saves_a_loadable_copy(doc: BoardDocument) -> bool:
    try:
        return sorted(BoardDocument.load(doc.save(), BEN_ACTOR).heads()) == sorted(doc.heads())
    except Exception:  # noqa: BLE001 (the binding raises bare Exceptions)
        return False


FORGERIES = {
    "skips a sequence number": {"seq": 5},
    "numbers its operations inside its dependencies'": {"start_op": 1},
    "does not follow its author's previous change": {"deps": ()},
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_change_whose_header_does_not_add_up_is_refused_and_nothing_is_stored(
    tmp_path: Path, forgery: str
) -> None:
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("keep me")
    first, second = bens_changes(ana)
    session = session_with_ben(ana)
    session.receive(Changes((sign_with(BEN, first),)))  # Ben's first change is fine
    before = state(ana)
    bad = rewrite_change(second, **FORGERIES[forgery])  # type: ignore[arg-type]

    with pytest.raises(SessionError, match="inconsistent changes"):
        session.receive(Changes((sign_with(BEN, bad),)))

    assert state(ana) == before
    assert saves_a_loadable_copy(ana.service.doc)
    reopened = Workspace.open(ana.home)
    assert state(reopened) == before
    reopened.close()
    # Ben's real second change still goes in: the refusal left nothing behind.
    session_with_ben(ana).receive(Changes((sign_with(BEN, second),)))
    assert ana.store.change_count() == before[0] + 1
    assert saves_a_loadable_copy(ana.service.doc)


@pytest.mark.parametrize(
    "forgery", ["skips a sequence number", "numbers its operations inside its dependencies'"]
)
def test_automerge_alone_would_take_the_forgery_and_then_fail_to_save(
    tmp_path: Path, forgery: str
) -> None:
    """Why the check is there: without it the forged change breaks the document."""
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("keep me")
    first, second = bens_changes(ana)
    doc = am.Document.load(bytes(ana.service.doc.save()))
    doc.receive_sync_message(am.SyncState(), encode_apply_message([first]))
    heads = doc.get_heads()
    doc.receive_sync_message(
        am.SyncState(), encode_apply_message([rewrite_change(second, **FORGERIES[forgery])])
    )  # type: ignore[arg-type]
    assert doc.get_heads() != heads  # taken
    with pytest.raises(Exception, match="error inflating document"):
        am.Document.load(bytes(doc.save()))


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_new_connection_judges_changes_against_what_earlier_ones_brought_in(
    tmp_path: Path, forgery: str
) -> None:
    """What the check knows of the board is kept from one connection to the next (a node
    makes a new one per connection); the next still sees every change stored meanwhile,
    by peers and by local edits."""
    ana = Workspace.init(tmp_path / "ana", "Orbit", "Ana")
    ana.service.add_goal("keep me")
    first, second = bens_changes(ana)
    session_with_ben(ana).receive(Changes((sign_with(BEN, first),)))
    ana.service.add_goal("made between the two connections")
    before = state(ana)

    later = session_with_ben(ana)
    with pytest.raises(SessionError, match="inconsistent changes"):
        bad = rewrite_change(second, **FORGERIES[forgery])  # type: ignore[arg-type]
        later.receive(Changes((sign_with(BEN, bad),)))
    assert state(ana) == before
    session_with_ben(ana).receive(Changes((sign_with(BEN, second),)))
    assert ana.store.change_count() == before[0] + 1
    assert saves_a_loadable_copy(ana.service.doc)
