"""Facilitated board reviews through the review service: the specification of issue 5.

The agenda rules are tested with items just inside and just outside each rule; a whole
review runs on the demo board; the minutes are stored, synced and exported (golden file).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from board import readmodel
from board.demo import build_demo
from board.model import Agreement, Commitment, InvalidInput, Review, RuleViolation
from board.reviews import ReviewService
from board.service import BoardService
from board.workspace import Workspace
from storage.store import Store
from sync.identity import Identity

from .conftest import Clock

GOLDEN = Path(__file__).parent / "golden" / "review_minutes.md"


def add_member(ws: Workspace, name: str) -> BoardService:
    """A second member writing to the same home through their own service."""
    ident = Identity.generate()
    ws.service.add_member(ident.member_id, name, ident.cert_pem, invited_by=ws.service.me)
    return BoardService.open(ws.store, ident.actor, ident.member_id, ident.sign, ws.service._clock)


def copy_of(service: BoardService, path: Path) -> BoardService:
    """Another member's machine holding everything ``service`` has (as after a sync)."""
    ident = Identity.generate()
    service.add_member(ident.member_id, f"Peer {path.name}", ident.cert_pem, service.me)
    copy = BoardService.open(
        Store(path, readmodel.tables()), ident.actor, ident.member_id, ident.sign, service._clock
    )
    sync(service, copy)
    return copy


def sync(a: BoardService, b: BoardService) -> None:
    """Exchange every change both ways."""
    b.apply_remote([(c.bytes, "", b"") for c in a.doc.changes_since([])])
    a.apply_remote([(c.bytes, "", b"") for c in b.doc.changes_since([])])


def sections(rs: ReviewService) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for item in rs.agenda():
        out.setdefault(item.section, []).append((item.title, item.reason))
    return out


def titles(rs: ReviewService, section: str) -> list[str]:
    return [title for title, _ in sections(rs).get(section, [])]


# ----------------------------------------------------------------------------- the rules


def test_due_section_holds_answered_commitments_overdue_or_due_by_the_next_review(
    ws: Workspace,
) -> None:
    s = ws.service
    for title, due, status in [
        ("overdue", "2026-03-01", "accepted"),
        ("due today", "2026-03-02", "accepted"),
        ("on the next review day", "2026-03-16", "in_progress"),
        ("a day after it", "2026-03-17", "accepted"),
        ("done already", "2026-03-01", "done"),
        ("no date", "", "accepted"),
    ]:
        c = s.add_commitment(title, to="Acme", due=due)
        s.set_status(c, "accepted")
        if status != "accepted":
            s.set_status(c, status)
    s.add_commitment("proposed and due", to="Acme", due="2026-03-03")
    rs = ReviewService(s)
    rs.start()  # the next review defaults to 14 days ahead: 2026-03-16
    assert sections(rs)["due"] == [
        ("overdue", "overdue since 2026-03-01"),
        ("due today", "due 2026-03-02"),
        ("on the next review day", "due 2026-03-16"),
    ]
    assert sections(rs)["proposed"] == [("proposed and due", "awaiting an answer, due 2026-03-03")]


def test_next_review_date_moves_the_due_horizon(ws: Workspace) -> None:
    s = ws.service
    for due in ("2026-03-05", "2026-03-06"):
        s.set_status(s.add_commitment(f"due {due}", to="Acme", due=due), "accepted")
    rs = ReviewService(s)
    review = rs.start(next_review="2026-03-05")
    assert review.next_review == "2026-03-05" and titles(rs, "due") == ["due 2026-03-05"]


def test_proposed_section_holds_only_commitments_awaiting_an_answer(ws: Workspace) -> None:
    s = ws.service
    s.add_commitment("still proposed", to="Acme")
    s.set_status(s.add_commitment("accepted", to="Acme"), "accepted")
    s.set_status(s.add_commitment("declined", to="Acme"), "declined")
    rs = ReviewService(s)
    rs.start()
    assert sections(rs)["proposed"] == [("still proposed", "awaiting an answer")]


def test_agreements_section_holds_review_dates_come_and_missing_consents(ws: Workspace) -> None:
    s, ben = ws.service, add_member(ws, "Ben")
    for title, review_on in [("review today", "2026-03-02"), ("review tomorrow", "2026-03-03")]:
        a = s.add_agreement(title, ["Ben"], review_on=review_on)
        s.consent(a)
        ben.consent(a)
    s.consent(s.add_agreement("waiting for Ben", ["Ben"]))
    s.archive(s.add_agreement("archived draft", ["Ben"]))
    rs = ReviewService(s)
    rs.start()
    assert sections(rs)["agreements"] == [
        ("review today", "review date 2026-03-02 has come"),
        ("waiting for Ben", "waiting for consent from Ben"),
    ]


def test_goals_section_holds_routine_goals_off_their_measure(ws: Workspace) -> None:
    s = ws.service
    s.add_goal("uptime below target", metric="uptime", start=99, target=99.9)
    s.edit(s.add_goal("uptime on target", metric="uptime", start=99, target=99.9), current=99.9)
    s.add_goal("minutes still above target", metric="minutes", start=12, target=5)
    s.edit(s.add_goal("minutes down to target", metric="minutes", start=12, target=5), current=5)
    s.add_goal("no measure", confidence=1)
    rs = ReviewService(s)
    rs.start()
    assert sections(rs)["goals"] == [
        ("minutes still above target", "off its measure: minutes 12, target 5"),
        ("uptime below target", "off its measure: uptime 99, target 99.9"),
    ]


def test_goals_section_holds_change_goals_low_falling_or_quiet(ws: Workspace, clock: Clock) -> None:
    s = ws.service
    s.add_goal("confidence 5", kind="change", confidence=5)
    s.add_goal("confidence 6", kind="change", confidence=6)
    falling, steady = s.add_goal("falling", kind="change"), s.add_goal("steady", kind="change")
    for goal, values in ((falling, (8, 7)), (steady, (7, 7))):
        for value in values:
            s.checkin(goal, confidence=value)
    clock.advance(days=-14)
    quiet, recent = (
        s.add_goal("quiet 14 days", kind="change"),
        s.add_goal("quiet 13 days", kind="change"),
    )
    s.checkin(quiet, confidence=8)
    s.add_goal("never checked in", kind="change", confidence=9)
    clock.advance(days=1)
    s.checkin(recent, confidence=8)
    s.add_goal("new, never checked in", kind="change", confidence=9)
    clock.advance(days=13)
    rs = ReviewService(s)
    rs.start()
    assert sections(rs)["goals"] == [
        ("confidence 5", "confidence 5/10"),
        ("falling", "confidence down 8 → 7"),
        ("never checked in", "never checked in for 14 days"),
        ("quiet 14 days", "no check-in for 14 days"),
    ]
    clock.advance(days=1)
    rs.end()
    rs.start()
    assert {"new, never checked in", "quiet 13 days"} <= set(titles(rs, "goals"))


def test_changes_section_compares_the_board_at_the_last_review_with_now(
    ws: Workspace, clock: Clock
) -> None:
    s, ben = ws.service, add_member(ws, "Ben")
    untouched, finished = (
        s.add_commitment("untouched", to="Ben"),
        s.add_commitment("finished", to="Ben"),
    )
    edited, checked = s.add_goal("edited"), s.add_goal("checked in", confidence=9)
    rs = ReviewService(s)
    rs.start()
    assert "changes" not in sections(rs)  # the first review: nothing to compare with
    rs.record(rs.agenda()[1].id, "kept")
    s.set_status(finished, "accepted")  # during the first review: not a change since it
    rs.end()
    clock.advance(days=7)
    ben.set_status(finished, "dropped")
    s.edit(edited, due="2026-04-01")
    ben.checkin(checked, confidence=9, note="fine")
    ben.add_goal("brand new", owners=["Ben"], confidence=9)
    second = rs.start()
    assert second.previous and second.since_heads
    assert sections(rs)["changes"] == [
        ("brand new", "new — by Ben"),
        ("finished", "finished: dropped — by Ben"),
        ("checked in", "changed: check-in — by Ben"),
        ("edited", "changed: due — by Ana"),
    ]
    assert "untouched" in titles(rs, "proposed") and untouched


# ----------------------------------------------------------------------------- a whole review


def test_whole_review_on_the_demo_board(tmp_path: Path, clock: Clock) -> None:
    ws = build_demo(tmp_path / "demo", clock=clock)
    s = ws.service
    rs = ReviewService(s)
    review = rs.start(attendees=["Ben", "Chen", "Dara"])
    assert review.facilitator == s.me and [s.member_name(m) for m in review.attendees] == [
        "Ana",
        "Ben",
        "Chen",
        "Dara",
    ]
    assert review.heads and review.next_review == "2026-03-16" and review.timebox_seconds == 180
    assert sections(rs) == {
        "checkin": [("Check-in round", "")],
        "due": [
            ("Set up uptime alerts for the booking API", "overdue since 2026-02-28"),
            ("Sign the PayBridge sandbox contract", "due 2026-03-07"),
            ("Export last year's invoices for Dara", "due 2026-03-08"),
            ("Run five patient interviews", "due 2026-03-09"),
        ],
        "proposed": [
            ("Migrate ticket inbox to the new tool", "awaiting an answer, due 2026-03-04"),
            ("Mock up the one-page registration form", "awaiting an answer, due 2026-03-12"),
        ],
        "agreements": [
            ("On-call handover every Monday", "review date 2026-02-27 has come"),
            ("Code review within one working day", "waiting for consent from Eli, Ben, Chen, Dara"),
            ("Design decisions are written down", "waiting for consent from Ana"),
        ],
        "goals": [
            (
                "Answer support tickets within a day",
                "off its measure: tickets answered same day 70, target 95%",
            ),
            ("Keep the booking system up", "off its measure: uptime 99.1, target 99.9%"),
            ("Release every other Friday", "off its measure: releases on time 3, target 6"),
            ("First invoices paid through PayBridge", "confidence 4/10"),
        ],
        "closing": [("Closing round", "")],
    }
    by_title = {i.title: i for i in rs.agenda()}

    assert rs.next().title == "Check-in round"
    rs.add_round_line("checkin", "Rested after the weekend")
    rs.add_round_line("checkin", "Busy week ahead", member="Ben")
    clock.advance(minutes=4)
    assert rs.current().remaining == -60  # over the 3-minute timebox by a minute
    alerts = rs.next()
    assert (
        alerts.title == "Set up uptime alerts for the booking API" and rs.current().remaining == 180
    )
    rs.record(alerts.id, "renegotiated", "after the holidays", due="2026-03-09")
    clock.advance(minutes=2)
    rs.record(rs.next().id, "done")  # Sign the PayBridge sandbox contract
    rs.record(rs.next().id, "kept")  # Export last year's invoices
    interviews = rs.next()
    rs.record(
        interviews.id,
        "new-commitment",
        title="Share interview notes",
        by="Farah",
        to="Dara",
        due="2026-03-06",
    )
    rs.skip("proposed")
    handover = rs.next()
    assert handover.title == "On-call handover every Monday"
    rs.record(
        handover.id,
        "agreement-reviewed",
        "Reminders work",
        helped="Fewer dropped incidents",
        improve="Rotate who writes the note",
        concerns="none",
    )
    rs.record(rs.next().id, "dropped")  # Code review: a draft, retired
    rs.record(rs.next().id, "decision", "Ana consents after reading the notes")
    added = rs.add_item("Holiday cover for March")
    rs.move_section("other", 2)
    rs.record(added.id, "decision", "Ben covers the first week")
    rs.record(rs.next().id, "dropped")  # Answer support tickets within a day
    rs.skip(by_title["Keep the booking system up"].id)
    assert rs.next().title == "Release every other Friday"
    assert rs.next().title == "First invoices paid through PayBridge"
    rs.add_round_line("closing", "Good pace", learned="Timeboxes keep us honest", item=handover.ref)
    rs.add_round_line("closing", "Clear next steps", learned="Write agreements down", member="Chen")
    assert rs.next().title == "Closing round"
    assert rs.next() is None
    clock.advance(minutes=30)
    ended = rs.end()

    board = {r.label: r for c in ("commitments", "goals", "agreements") for r in s.list(c)}
    alerts_c = board["Set up uptime alerts for the booking API"]
    assert isinstance(alerts_c, Commitment) and (alerts_c.status, alerts_c.due) == (
        "renegotiated",
        "2026-03-09",
    )
    assert board["Sign the PayBridge sandbox contract"].status == "done"
    new = board["Share interview notes"]
    assert (
        isinstance(new, Commitment)
        and new.status == "proposed"
        and s.member_name(new.by) == "Farah"
    )
    assert new.due == "2026-03-06" and new.goal == board["Run five patient interviews"].goal
    handover_a = board["On-call handover every Monday"]
    assert (
        isinstance(handover_a, Agreement) and handover_a.review_on == "2026-04-01"
    )  # one month on
    checkins = s.checkins_for(handover_a.id)
    assert any(
        "helped: Fewer dropped incidents" in c.note and c.learned == "Reminders work"
        for c in checkins
    )
    assert any(c.learned == "Timeboxes keep us honest" for c in checkins)  # the closing line
    assert s.get(by_title["Code review within one working day"].ref).status == "retired"
    assert board["Answer support tickets within a day"].status == "dropped"
    assert board["Keep the booking system up"].status == "active"
    assert [h.action for h in s.history(alerts_c.id)][-2:] == ["edited", "status"]

    assert ended.ended_at == "2026-03-02T10:06:00.000Z" and ended.duration_seconds == 36 * 60
    assert ended.end_heads and ended.current == ""
    listed = s.list("reviews")
    assert [r.id for r in listed] == [review.id] and isinstance(listed[0], Review)
    minutes = listed[0].minutes
    assert minutes == rs.export_markdown(review.id)
    for line in [
        "- **Attendees:** Ana, Ben, Chen, Dara",
        "- **Ended:** 2026-03-02 10:06 UTC (36 min)",
        "- **Ana:** Rested after the weekend",
        "- **Ben:** Busy week ahead",
        "- **Dara:** —",
        "Outcome: **renegotiated** — new due 2026-03-09 — note: after the holidays",
        "## Commitments awaiting an answer\n\n*Skipped.*",
        "- Ana consents after reading the notes *(Design decisions are written down)*",
        "- Share interview notes — Farah → Dara, due 2026-03-06",
        "  - How it has helped: Fewer dropped incidents",
        "- **Chen:** Write agreements down",
        "Outcome: *skipped*",
        "Outcome: *none recorded*",
    ]:
        assert line in minutes
    assert minutes.index("Other items") < minutes.index("Commitments overdue")  # moved to second

    with pytest.raises(
        RuleViolation, match=f"review {review.id} already ended at 2026-03-02 10:06"
    ):
        rs.end(review.id)
    with pytest.raises(RuleViolation, match="no review is running: the last one .* ended"):
        rs.end()
    assert s.get(review.id).to_dict() == ended.to_dict()  # nothing lost or changed

    peer = copy_of(s, tmp_path / "peer.db")  # every member's Reviews view after sync
    theirs = ReviewService(peer).list()
    assert [r.id for r in theirs] == [review.id] and theirs[0].minutes == minutes
    assert peer.list("reviews")[0].minutes == minutes
    ws.close()


# ----------------------------------------------------------------------------- bad input


def test_recording_for_an_item_not_on_the_agenda_changes_nothing(ws: Workspace) -> None:
    s = ws.service
    off = s.add_commitment("not on the agenda", to="Acme")
    s.set_status(off, "accepted")
    rs = ReviewService(s)
    review = rs.start()
    before = s.doc.heads()
    for ref in ("nope", off, "42", "3"):
        with pytest.raises(InvalidInput, match=f"is not on the agenda of review {review.id}"):
            rs.record(ref, "done")
    with pytest.raises(InvalidInput, match="unknown outcome 'finished'"):
        rs.record("1", "finished")
    assert s.doc.heads() == before and s.get(off).status == "accepted"


def test_a_refused_board_change_records_no_outcome(ws: Workspace) -> None:
    s = ws.service
    c = s.add_commitment("still proposed", to="Acme", due="2026-03-03")
    rs = ReviewService(s)
    rs.start()
    before = s.doc.heads()
    with pytest.raises(RuleViolation, match="a proposed commitment cannot become done"):
        rs.record(c, "done")
    with pytest.raises(InvalidInput, match="renegotiated needs the new terms"):
        rs.record(c, "renegotiated")
    with pytest.raises(InvalidInput, match="a decision needs its text"):
        rs.record(c, "decision")
    assert s.doc.heads() == before
    rs.record(c, "kept")
    with pytest.raises(RuleViolation, match="already has an outcome \\(kept, recorded by Ana\\)"):
        rs.record(c, "dropped")


def test_an_outcome_failing_halfway_leaves_no_trace(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = ws.service
    c = s.add_commitment("alerts", to="Acme", due="2026-03-03")
    s.set_status(c, "accepted")
    rs = ReviewService(s)
    review = rs.start()
    seq = s.store.max_seq()

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(s, "set_status", broken)
    with pytest.raises(OSError):
        rs.record(c, "renegotiated", due="2026-03-20")  # the due date was already edited
    monkeypatch.undo()
    assert s.get(c).due == "2026-03-03" and s.store.max_seq() == seq
    assert not rs.find_item(s.get(review.id), c).outcome  # type: ignore[arg-type]
    rs.record(c, "renegotiated", due="2026-03-20")  # and the board still works
    with Workspace.open(ws.home) as again:
        assert again.service.get(c).status == "renegotiated"


def test_a_second_concurrent_review_is_refused_or_joined(ws: Workspace) -> None:
    s, ben = ws.service, add_member(ws, "Ben")
    rs, bens = ReviewService(s), ReviewService(ben)
    review = rs.start()
    with pytest.raises(
        RuleViolation, match=f"Ana is facilitating {review.id} since 2026-03-02 09:30"
    ):
        bens.start()
    joined = bens.start(join=True)
    assert joined.id == review.id and joined.attendees == [s.me, ben.me]
    with pytest.raises(RuleViolation, match=r"only the facilitator \(Ana\) can record outcomes"):
        bens.record("1", "kept")
    with pytest.raises(RuleViolation, match=r"only the facilitator \(Ana\) can end"):
        bens.end()
    assert len(rs.list()) == 1


def test_attendees_add_lines_and_items_that_merge(ws: Workspace, tmp_path: Path) -> None:
    s = ws.service
    rs = ReviewService(s)
    rs.start()
    peer = copy_of(s, tmp_path / "peer.db")
    s.fresh()
    rs.add_item("Ana's topic")  # both add at once, offline from each other
    ReviewService(peer).add_item("Peer's topic")
    ReviewService(peer).add_round_line("checkin", "Joining from the train")
    rs.add_round_line("checkin", "Here")
    sync(s, peer)
    for side in (s, peer):
        review = ReviewService(side).running()
        assert review is not None
        assert titles(ReviewService(side), "other") == ["Ana's topic", "Peer's topic"] or titles(
            ReviewService(side), "other"
        ) == ["Peer's topic", "Ana's topic"]
        assert sorted(r["text"] for r in review.rounds) == ["Here", "Joining from the train"]
        assert peer.me in review.attendees
    assert ReviewService(s).running() == ReviewService(peer).running()


def test_reviews_started_on_two_offline_machines_both_carry_on(
    ws: Workspace, tmp_path: Path
) -> None:
    s = ws.service
    peer = copy_of(s, tmp_path / "peer.db")
    mine, theirs = ReviewService(s).start(), ReviewService(peer).start()
    sync(s, peer)
    assert ReviewService(s).running().id == mine.id  # type: ignore[union-attr]
    assert ReviewService(peer).running().id == theirs.id  # type: ignore[union-attr]
    with pytest.raises(RuleViolation, match="a review is already running"):
        ReviewService(s).start()
    ReviewService(s).end()
    ReviewService(peer).end()
    sync(s, peer)
    assert {r.id for r in ReviewService(s).list() if r.ended_at} == {mine.id, theirs.id}


def test_the_facilitator_can_jump_to_an_item_and_back(ws: Workspace) -> None:
    s = ws.service
    for title in ("first", "second", "third"):
        s.add_commitment(title, to="Acme")
    rs = ReviewService(s)
    rs.start()
    assert rs.next("4").title == "third"  # 1 is the check-in round
    assert rs.next().title == "Closing round"
    assert rs.next().title == "Check-in round"  # never opened yet: not passed over
    assert [rs.next().title for _ in range(4)] == ["first", "second", "third", "Closing round"]
    rs.record("4", "kept")
    assert rs.next() is None and rs.current().item is None


# ----------------------------------------------------------------------------- minutes


def run_golden_review(ws: Workspace, clock: Clock) -> str:
    """A small review with every kind of outcome; returns its exported minutes."""
    s, ben = ws.service, add_member(ws, "Ben")
    alerts = ben.add_commitment("Set up alerts", to="Ana", due="2026-02-27")
    s.set_status(alerts, "accepted")
    docs = s.add_commitment("Write the runbook", to="Ben", due="2026-03-10")
    ben.set_status(docs, "accepted")
    ben.add_commitment("Try the new pager", to="Ana")
    handover = s.add_agreement(
        "Monday handover", ["Ben"], review_on="2026-03-02", cadence="fortnightly"
    )
    s.consent(handover)
    ben.consent(handover)
    s.add_goal("Uptime", metric="uptime", start=99, target=99.9, unit="%", owners=["Ben"])
    rs = ReviewService(s)
    rs.start(attendees=["Ben"], timebox_seconds=120)
    rs.next()
    rs.add_round_line("checkin", "Ready")
    ReviewService(ben).add_round_line("checkin", "A bit tired")
    clock.advance(minutes=3)
    rs.record(rs.next().id, "renegotiated", "pager first", due="2026-03-06")
    clock.advance(minutes=2)
    rs.record(rs.next().id, "done")
    clock.advance(minutes=2)
    rs.record(rs.next().id, "dropped", "the old pager stays")
    clock.advance(minutes=3)
    rs.record(
        rs.next().id,
        "agreement-reviewed",
        helped="No missed incidents",
        improve="Shorter notes",
        concerns="none",
    )
    clock.advance(minutes=4)
    rs.record(
        rs.next().id,
        "new-commitment",
        title="Tune the uptime check",
        by="Ben",
        to="Ana",
        due="2026-03-09",
    )
    ReviewService(ben).add_item("Conference budget")
    clock.advance(minutes=2)
    rs.record(rs.next().id, "decision", "Two people go in May")
    rs.next()
    rs.add_round_line("closing", "Short and useful", learned="Timeboxes help")
    ReviewService(ben).add_round_line("closing", "Good", learned="Agreements need dates")
    clock.advance(minutes=1)
    rs.end()
    return rs.export_markdown()


def test_minutes_export_matches_the_golden_file(ws: Workspace, clock: Clock) -> None:
    text = run_golden_review(ws, clock)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
