"""The board's rules, through the service: the specification of the domain."""

from __future__ import annotations

import pytest

from board.model import Agreement, InvalidInput, NotFound, RuleViolation
from board.service import BoardService
from board.workspace import Workspace
from sync.identity import Identity


def add_member(ws: Workspace, name: str) -> BoardService:
    """A second member writing to the same home through their own service."""
    ident = Identity.generate()
    ws.service.add_member(ident.member_id, name, ident.cert_pem, invited_by=ws.service.me)
    return BoardService.open(ws.store, ident.actor, ident.member_id, ident.sign, ws.service._clock)


def test_every_record_is_stamped_with_author_and_time(ws: Workspace) -> None:
    s = ws.service
    goal = s.get(s.add_goal("Uptime"))
    assert goal.created_by == s.me == goal.updated_by
    assert goal.created_at == "2026-03-02T09:30:00.000Z" == goal.updated_at
    ben = add_member(ws, "Ben")
    ben.edit(goal.id, title="Uptime 99.9")
    edited = s.get(goal.id)
    assert edited.created_by == s.me and edited.updated_by == ben.me


def test_goals_and_streams_have_a_kind_and_goals_a_measure_and_confidence(ws: Workspace) -> None:
    s = ws.service
    stream = s.get(s.add_stream("Onboarding", kind="change"))
    goal = s.get(
        s.add_goal(
            "Faster sign-up",
            kind="change",
            stream="Onboarding",
            metric="minutes",
            start=12,
            target=5,
            unit="min",
            confidence=6,
        )
    )
    assert stream.kind == "change" and goal.kind == "change"
    assert (goal.metric, goal.start, goal.target, goal.current, goal.unit) == (
        "minutes",
        12,
        5,
        12,
        "min",
    )
    assert goal.confidence == 6 and goal.stream == stream.id
    with pytest.raises(InvalidInput, match="kind must be one of routine, change"):
        s.add_goal("x", kind="project")
    with pytest.raises(InvalidInput, match="confidence must be a whole number from 1 to 10"):
        s.add_goal("x", confidence=11)
    with pytest.raises(InvalidInput, match="needs a target"):
        s.add_goal("x", metric="uptime")


def test_commitment_happy_path_and_refused_transitions(ws: Workspace) -> None:
    s = ws.service
    c = s.add_commitment("Ship alerts", to="Acme")
    assert s.get(c).status == "proposed"
    for status in ("accepted", "in_progress", "done"):
        s.set_status(c, status)
        assert s.get(c).status == status
    with pytest.raises(RuleViolation, match="a done commitment cannot become proposed"):
        s.set_status(c, "proposed")
    other = s.add_commitment("Call the supplier", to="PayBridge")
    with pytest.raises(
        RuleViolation, match=r"cannot become done \(allowed next: accepted, declined"
    ):
        s.set_status(other, "done")
    with pytest.raises(InvalidInput, match="unknown commitment status 'finished'"):
        s.set_status(other, "finished")
    s.set_status(other, "renegotiated")
    assert s.advance(other) == "accepted"


def test_commitment_is_to_a_member_a_stream_or_an_external_party(ws: Workspace) -> None:
    s = ws.service
    add_member(ws, "Ben")
    stream = s.add_stream("Billing")
    to_member = s.get(s.add_commitment("a", to="Ben"))
    to_stream = s.get(s.add_commitment("b", to="Billing"))
    to_external = s.get(s.add_commitment("c", to="PayBridge Ltd"))
    assert (to_member.to_kind, s.member_name(to_member.to)) == ("member", "Ben")
    assert (to_stream.to_kind, to_stream.to) == ("stream", stream)
    assert (to_external.to_kind, to_external.to) == ("external", "PayBridge Ltd")
    with pytest.raises(InvalidInput, match="names yourself"):
        s.add_commitment("d", to="me")


def test_agreement_becomes_active_when_the_last_party_consents(ws: Workspace) -> None:
    s = ws.service
    ben, eli = add_member(ws, "Ben"), add_member(ws, "Eli")
    a = s.add_agreement("Monday handover", counterparts=["Ben", "Eli"], cadence="weekly")
    agreement = s.get(a)
    assert isinstance(agreement, Agreement)
    assert agreement.status == "draft" and agreement.review_on == "2026-03-09"
    assert s.consent(a) is False
    assert ben.consent(a) is False
    assert s.get(a).status == "draft"
    assert eli.consent(a) is True
    final = s.get(a)
    assert isinstance(final, Agreement)
    assert final.status == "active" and final.missing_consents == []
    with pytest.raises(RuleViolation, match="already consented"):
        eli.consent(a)


def test_consent_by_a_non_party_is_refused(ws: Workspace) -> None:
    s = ws.service
    add_member(ws, "Ben")
    zoe = add_member(ws, "Zoe")
    a = s.add_agreement("Reviews", counterparts=["Ben"])
    with pytest.raises(
        RuleViolation, match=r"only the parties to this agreement can consent \(Ana, Ben\)"
    ):
        zoe.consent(a)
    assert s.get(a).consents == {}


def test_due_for_review_is_derived_from_review_on(ws: Workspace, clock) -> None:  # type: ignore[no-untyped-def]
    s = ws.service
    ben = add_member(ws, "Ben")
    a = s.add_agreement("Handover", counterparts=["Ben"], review_on="+2d")
    s.consent(a)
    ben.consent(a)
    agreement = s.get(a)
    assert isinstance(agreement, Agreement)
    assert not agreement.due_for_review("2026-03-03")
    assert agreement.due_for_review("2026-03-04")


def test_checkin_records_progress_confidence_note_and_learning(ws: Workspace) -> None:
    s = ws.service
    g = s.add_goal("Uptime", confidence=7)
    c = s.checkin(g, progress=40, confidence=5, note="halfway", learned="alerts are noisy")
    [checkin] = s.checkins_for(g)
    assert (checkin.id, checkin.progress, checkin.confidence, checkin.note, checkin.learned) == (
        c,
        40,
        5,
        "halfway",
        "alerts are noisy",
    )
    assert s.get(g).confidence == 5  # a goal carries its latest confidence
    with pytest.raises(InvalidInput, match="progress must be a percentage"):
        s.checkin(g, progress=140)
    with pytest.raises(InvalidInput, match="needs at least one"):
        s.checkin(g)


def test_focus_is_personal(ws: Workspace) -> None:
    s = ws.service
    ben = add_member(ws, "Ben")
    s.set_focus({"focus": [{"text": "Reviews on time", "tradeoff": "fewer topics"}]})
    assert s.focus().focus == [{"text": "Reviews on time", "tradeoff": "fewer topics"}]
    with pytest.raises(RuleViolation, match="only Ana can edit theirs"):
        ben.set_focus({"avoid": [{"text": "meetings"}]}, member="Ana")
    assert ben.focus("Ana").avoid == []


def test_archive_and_restore_never_delete(ws: Workspace) -> None:
    s = ws.service
    g = s.add_goal("Old goal")
    s.archive(g)
    assert [r.id for r in s.list("goals")] == []
    assert [r.id for r in s.list("goals", include_archived=True)] == [g]
    with pytest.raises(RuleViolation, match="archived; restore it first"):
        s.edit(g, title="new")
    s.restore(g)
    assert [r.id for r in s.list("goals")] == [g]
    assert [h.action for h in s.history(g)] == ["created", "archived", "restored"]


def test_history_says_who_changed_what_and_when(ws: Workspace, clock) -> None:  # type: ignore[no-untyped-def]
    s = ws.service
    ben = add_member(ws, "Ben")
    c = s.add_commitment("Alerts", to="Ben")
    clock.advance(minutes=5)
    ben.set_status(c, "accepted")
    entries = s.history(c)
    assert [(h.by, h.action) for h in entries] == [(s.me, "created"), (ben.me, "status")]
    assert entries[1].changes == {"status": ["proposed", "accepted"]}
    assert entries[1].at == "2026-03-02T09:35:00.000Z"


def test_ids_resolve_by_unique_prefix(ws: Workspace) -> None:
    s = ws.service
    g = s.add_goal("A goal")
    assert s.get(g[:3]).id == g
    with pytest.raises(NotFound, match="no item with id 'zzzzzzzzz'"):
        s.get("zzzzzzzzz")
    ids = [s.add_goal(f"g{i}") for i in range(40)]
    shared = next(a[0] for a in ids if sum(b[0] == a[0] for b in ids + [g]) > 1)
    with pytest.raises(InvalidInput, match=f"id prefix '{shared}' is ambiguous"):
        s.get(shared)


def test_concurrent_consents_on_two_copies_make_the_agreement_active(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    """Two parties consent on separate copies; after the merge neither copy is left in draft."""
    a_ws = Workspace.init(tmp_path / "a", "Orbit", "Ana", clock=clock)
    ben_ident = Identity.generate()
    a_ws.service.add_member(ben_ident.member_id, "Ben", ben_ident.cert_pem, a_ws.service.me)
    agreement = a_ws.service.add_agreement("Handover", counterparts=["Ben"])
    # Ben's copy: a fork of the document at this point.
    from board import readmodel
    from storage.store import Store

    ben_store = Store(tmp_path / "ben.db", readmodel.tables())
    ben = BoardService.open(ben_store, ben_ident.actor, ben_ident.member_id, ben_ident.sign, clock)
    ben.apply_remote([(c.bytes, "", b"") for c in a_ws.service.doc.changes_since([])])
    a_ws.service.consent(agreement)
    ben.consent(agreement)
    ben.apply_remote([(c.bytes, "", b"") for c in a_ws.service.doc.changes_since([])])
    a_ws.service.apply_remote([(c.bytes, "", b"") for c in ben.doc.changes_since([])])
    for svc in (a_ws.service, ben):
        assert svc.get(agreement).status == "active"
        assert [r.status for r in svc.list("agreements")] == ["active"]


def test_a_remote_edit_is_attributed_to_the_records_it_touched(ws: Workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Remote changes refresh only the touched rows (a full rebuild would not scale)."""
    from board import readmodel
    from storage.store import Store

    s = ws.service
    for i in range(5):
        s.add_goal(f"goal {i}")
    goal = s.add_goal("Uptime", metric="uptime", target=99.9)
    ben_ident = Identity.generate()
    copy = BoardService.open(
        Store(tmp_path / "copy.db", readmodel.tables()),
        ben_ident.actor,
        ben_ident.member_id,
        ben_ident.sign,
    )
    copy.apply_remote([(c.bytes, "", b"") for c in s.doc.changes_since([])])
    events = []
    copy.subscribe(events.append)
    before = s.doc.heads()
    s.edit(goal, title="Uptime 99.9")
    c = s.add_commitment("Alerts", to="Acme", goal=goal)
    copy.apply_remote([(ch.bytes, "", b"") for ch in s.doc.changes_since(before)])
    [event] = events
    assert event.origin == "remote" and not event.everything
    assert set(event.touched) == {("goals", goal), ("commitments", c)}
    assert copy.get(goal).title == "Uptime 99.9"
