"""SyncSession: two sessions talking in memory converge, with no I/O."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from automerge import core as am

from sync import protocol as p
from sync.session import (
    AutomergePort,
    Received,
    SessionError,
    SyncSession,
    change_hash,
    parse_sync_message,
)

TEAM = "team-1"


def put(doc: am.Document, key: str, value: str) -> None:
    with doc.transaction() as tx:
        tx.put(am.ROOT, key, am.ScalarType.Str, value)


def board(n: int) -> am.Document:
    doc = am.Document()
    for i in range(n):
        with doc.transaction() as tx:
            goal = tx.put_object(am.ROOT, f"goal{i}", am.ObjType.Map)
            tx.put(goal, "title", am.ScalarType.Str, f"ship release {i} to the customer")
            tx.put(goal, "confidence", am.ScalarType.Int, i % 10)
    return doc


def contents(doc: am.Document) -> dict[str, object]:
    out: dict[str, object] = {}
    for key in doc.keys(am.ROOT):
        value = doc.get(am.ROOT, key)
        assert value is not None
        if isinstance(value[0], am.ObjType):
            obj = value[1]
            out[key] = {k: doc.get(obj, k)[0][1] for k in doc.keys(obj)}  # type: ignore[index]
        else:
            out[key] = value[0][1]
    return out


def run(a: SyncSession, b: SyncSession, max_rounds: int = 50) -> int:
    """Drive both sessions until neither has anything to send; returns bytes exchanged."""
    wire = 0
    to_b, to_a = a.start(), b.start()
    for _ in range(max_rounds):
        if not to_a and not to_b:
            return wire
        wire += sum(len(p.encode(f)) for f in to_a + to_b)
        # Every frame crosses the wire encoded, as it would over TLS.
        next_b = [f for x in to_a for f in a.receive(p.decode(p.encode(x)))]
        next_a = [f for x in to_b for f in b.receive(p.decode(p.encode(x)))]
        to_a, to_b = next_a, next_b
    raise AssertionError("sessions never went quiet")


def test_forked_boards_with_edits_on_both_sides_converge() -> None:
    base = board(5)
    left, right = base.fork(), base.fork()
    put(left, "left", "written on the train")
    put(right, "right", "written at the client site")
    put(left, "shared", "left wins?")
    put(right, "shared", "right wins?")
    a = SyncSession(AutomergePort(left), TEAM, "alice")
    b = SyncSession(AutomergePort(right), TEAM, "bob")
    run(a, b)
    assert sorted(left.get_heads()) == sorted(right.get_heads())
    assert contents(left) == contents(right)
    assert contents(left)["left"] == "written on the train"
    assert contents(left)["right"] == "written at the client site"
    assert a.synced and b.synced


def test_identical_boards_are_synced_after_a_short_exchange() -> None:
    base = board(3)
    a = SyncSession(AutomergePort(base.fork()), TEAM, "alice")
    b = SyncSession(AutomergePort(base.fork()), TEAM, "bob")
    run(a, b)
    assert a.synced and b.synced


def exchange(
    a: SyncSession, b: SyncSession, to_b: list[p.Frame], to_a: list[p.Frame]
) -> list[p.Frame]:
    """Deliver frames both ways until both sides are quiet; returns every frame sent."""
    sent: list[p.Frame] = []
    while to_a or to_b:
        sent += to_a + to_b
        next_b = [f for x in to_a for f in a.receive(p.decode(p.encode(x)))]
        next_a = [f for x in to_b for f in b.receive(p.decode(p.encode(x)))]
        to_a, to_b = next_a, next_b
    return sent


def test_reconnecting_boards_already_in_sync_exchange_only_their_hellos() -> None:
    base = board(200)
    a = SyncSession(AutomergePort(base.fork()), TEAM, "alice")
    b = SyncSession(AutomergePort(base.fork()), TEAM, "bob")
    sent = exchange(a, b, a.start(), b.start())
    assert [type(f) for f in sent] == [p.Hello, p.Hello]
    assert a.synced and b.synced
    assert a.poll() == [] and b.poll() == []  # nothing changed: nothing to say later either


def test_after_an_in_sync_reconnect_the_next_edit_goes_in_one_message() -> None:
    # The hellos stand in for the first round of sync messages: the sync states must
    # come out of them as a full exchange would leave them, or the next edit would cost
    # a bloom filter of the whole history and extra round trips.
    base = board(200)
    left, right = base.fork(), base.fork()
    a = SyncSession(AutomergePort(left), TEAM, "alice")
    b = SyncSession(AutomergePort(right), TEAM, "bob")
    exchange(a, b, a.start(), b.start())
    assert b.poll() == []
    put(left, "news", "written after the reconnect")
    sent = exchange(a, b, a.poll(), [])
    messages = [f for f in sent if isinstance(f, p.SyncMessage)]
    carried = [len(parse_sync_message(m.data)[1]) for m in messages]
    assert carried == [1, 0]  # the edit, then the peer's acknowledgement
    assert sum(len(m.data) for m in messages) < 1024
    assert contents(right)["news"] == "written after the reconnect"
    assert a.synced and b.synced


def test_an_edit_made_between_the_two_hellos_still_reaches_the_peer() -> None:
    base = board(20)
    left, right = base.fork(), base.fork()
    a = SyncSession(AutomergePort(left), TEAM, "alice")
    b = SyncSession(AutomergePort(right), TEAM, "bob")
    to_b = a.start()
    put(left, "late", "typed while the peer was saying hello")
    exchange(a, b, to_b, b.start())
    assert contents(right)["late"] == "typed while the peer was saying hello"
    assert sorted(right.get_heads()) == sorted(left.get_heads())
    assert a.synced and b.synced


def test_empty_peer_gets_the_board_as_a_snapshot_at_about_its_size() -> None:
    full = board(300)
    snapshot_size = len(full.save())
    empty = am.Document()
    sent: list[p.Frame] = []

    class Recording(AutomergePort):
        def save(self) -> bytes:
            data = super().save()
            sent.append(p.Snapshot(data))
            return data

    a = SyncSession(Recording(full), TEAM, "alice")
    b = SyncSession(AutomergePort(empty), TEAM, "newcomer")
    wire = run(a, b)
    assert len(sent) == 1
    assert sorted(empty.get_heads()) == sorted(full.get_heads())
    assert contents(empty) == contents(full)
    # Hellos, the snapshot, one bloom filter and confirmations: far below the ~15x that
    # automerge's sync protocol alone sends to an empty peer.
    assert wire < snapshot_size * 1.5 + 2048


def test_plain_automerge_sync_to_an_empty_peer_costs_much_more_than_a_snapshot() -> None:
    # Why the snapshot exists; if automerge improves, this test says so.
    full = board(300)
    empty = am.Document()
    sa, sb, wire = am.SyncState(), am.SyncState(), 0
    for _ in range(20):
        m1 = full.generate_sync_message(sa)
        if m1:
            wire += len(m1.encode())
            empty.receive_sync_message(sb, m1)
        m2 = empty.generate_sync_message(sb)
        if m2:
            wire += len(m2.encode())
            full.receive_sync_message(sa, m2)
        if not m1 and not m2:
            break
    assert wire > 3 * len(full.save())


def test_both_empty_sessions_go_quiet_without_a_snapshot() -> None:
    a = SyncSession(AutomergePort(am.Document()), TEAM, "alice")
    b = SyncSession(AutomergePort(am.Document()), TEAM, "bob")
    run(a, b)
    assert a.synced and b.synced


def test_live_push_applies_changes_with_author_and_signature() -> None:
    base = board(2)
    left, right = base.fork(), base.fork()
    applied: list[p.SignedChange] = []

    class Recording(AutomergePort):
        def receive(self, state: am.SyncState, batch: Received) -> None:
            applied.extend(batch.pushed)
            super().receive(state, batch)

    a = SyncSession(AutomergePort(left), TEAM, "alice")
    b = SyncSession(Recording(right), TEAM, "bob")
    run(a, b)
    before = left.get_heads()
    put(left, "news", "pushed live")
    items = [(c.bytes, "alice", b"sig") for c in left.get_changes(before)]
    frames = a.push(items)
    assert frames == [p.Changes(items)]
    for frame in frames:
        assert b.receive(p.decode(p.encode(frame))) == []
    assert applied == items
    assert contents(right)["news"] == "pushed live"
    assert sorted(right.get_heads()) == sorted(left.get_heads())


def test_push_before_the_hello_sends_nothing() -> None:
    a = SyncSession(AutomergePort(board(1)), TEAM, "alice")
    assert a.push([(b"x", "alice", b"s")]) == []


def test_peer_of_another_team_is_refused() -> None:
    a = SyncSession(AutomergePort(board(1)), TEAM, "alice")
    a.start()
    with pytest.raises(SessionError):
        a.receive(p.Hello(p.PROTOCOL_VERSION, "other-team", "mallory", ()))


def test_frames_before_the_hello_and_a_second_hello_are_refused() -> None:
    a = SyncSession(AutomergePort(board(1)), TEAM, "alice")
    a.start()
    with pytest.raises(SessionError):
        a.receive(p.SyncMessage(b"\x42\x00\x00\x00\x00"))
    a.receive(p.Hello(p.PROTOCOL_VERSION, TEAM, "bob", ()))
    with pytest.raises(SessionError):
        a.receive(p.Hello(p.PROTOCOL_VERSION, TEAM, "bob", ()))


def test_unasked_snapshot_and_garbage_sync_message_are_refused() -> None:
    a = SyncSession(AutomergePort(board(1)), TEAM, "alice")
    a.start()
    a.receive(p.Hello(p.PROTOCOL_VERSION, TEAM, "bob", (b"\x01" * 32,)))
    with pytest.raises(SessionError):
        a.receive(p.Snapshot(b"whatever"))
    with pytest.raises(SessionError):
        a.receive(p.SyncMessage(b"garbage"))


def test_signatures_travel_with_the_changes_of_a_sync_message() -> None:
    full = board(3)
    second = full.fork()  # a second author with two changes of their own
    second.set_actor(bytes(range(16)))
    put(second, "y", "by a second author")
    put(second, "z", "and again")
    full.merge(second)
    newest: dict[bytes, tuple[int, bytes]] = {}
    for c in full.get_changes([]):
        newest[c.actor_id] = max(newest.get(c.actor_id, (0, b"")), (c.seq, c.hash))
    # one signature per author, on their newest change: it vouches for the earlier ones
    hashes = {h for _, h in newest.values()}
    assert len(hashes) == 2
    asked: list[bytes] = []

    class Signing(AutomergePort):
        def signatures(self, wanted: Sequence[bytes] | None) -> list[p.Signature]:
            assert wanted is not None
            asked.extend(wanted)
            return [(h, "alice", b"sig-" + h[:4]) for h in wanted]

    received: list[p.Signature] = []

    class Receiving(AutomergePort):
        def receive(self, state: am.SyncState, batch: Received) -> None:
            received.extend(batch.signatures)
            super().receive(state, batch)

    other = am.Document()
    put(other, "x", "so that the peer is not empty")
    run(SyncSession(Signing(full), TEAM, "alice"), SyncSession(Receiving(other), TEAM, "bob"))
    assert set(asked) == hashes
    assert {h for h, _, _ in received} == hashes


def test_change_hash_matches_automerge() -> None:
    doc = board(4)
    for change in doc.get_changes([]):
        assert change_hash(change.bytes) == change.hash
    assert change_hash(b"not a change") is None


def test_change_hash_of_a_compressed_change_matches_automerge() -> None:
    doc = am.Document()
    with doc.transaction() as tx:
        for i in range(100):
            tx.put(am.ROOT, f"k{i}", am.ScalarType.Str, "a long enough value " * 3)
    (change,) = am.Document.load(doc.save()).get_changes([])
    assert change.bytes[8] == 2  # stored deflated
    assert change_hash(change.bytes) == change.hash


def test_parse_sync_message_reads_heads_and_refuses_garbage() -> None:
    doc = board(2)
    message = doc.generate_sync_message(am.SyncState())
    assert message is not None
    heads, changes = parse_sync_message(message.encode())
    assert heads == doc.get_heads()
    assert changes == []
    for garbage in (b"", b"\x00", b"\x42\xff", b"\x42\x05" + b"\x00" * 10):
        with pytest.raises(SessionError):
            parse_sync_message(garbage)
