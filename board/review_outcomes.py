"""Outcomes of board-review agenda items, and the board change each one performs.

=====================  ==============================================================
kept                   nothing changes
done                   commitment → done, goal → achieved (a round or topic: nothing)
renegotiated           commitment: new due date and/or terms, status → renegotiated
dropped                commitment → dropped, goal → dropped, agreement → retired
new-commitment         a new commitment (title, by, to, due), linked to the item's goal
agreement-reviewed     the three answers as a check-in; the next review date set
decision               a free-text decision (the note), nothing else changes
=====================  ==============================================================
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from board.model import (
    Agreement,
    Cadence,
    Commitment,
    Goal,
    InvalidInput,
    RuleViolation,
    check_transition,
)
from board.review_agenda import AgendaItem
from board.service import BoardService

OUTCOMES = (
    "kept",
    "done",
    "renegotiated",
    "dropped",
    "new-commitment",
    "agreement-reviewed",
    "decision",
)
# What `done` and `dropped` mean for each kind of board item.
STATUS_FOR = {
    ("done", "commitment"): "done",
    ("done", "goal"): "achieved",
    ("dropped", "commitment"): "dropped",
    ("dropped", "goal"): "dropped",
    ("dropped", "agreement"): "retired",
}


def outcome_name(text: str) -> str:
    """The canonical outcome name for ``text`` (``new_commitment`` → ``new-commitment``)."""
    kind = text.strip().lower().replace("_", "-").replace(" ", "-")
    if kind not in OUTCOMES:
        raise InvalidInput(f"unknown outcome {text!r} (one of: {', '.join(OUTCOMES)})")
    return kind


def apply_outcome(
    s: BoardService, item: AgendaItem, kind: str, note: str, **args: str
) -> dict[str, Any]:
    """Perform the board change of outcome ``kind`` for ``item`` through the service's use
    cases; returns the agenda item's outcome fields. Raises InvalidInput when the outcome
    does not fit the item or lacks an argument, RuleViolation when a board rule refuses it.
    The caller runs this inside one transaction, so a failure leaves nothing behind."""
    record = s.get(item.ref) if item.ref else None
    if record is not None and record.archived and kind not in ("kept", "decision"):
        raise RuleViolation(f"{record.TYPE} {record.id} is archived; restore it first")
    if kind == "kept":
        return {}
    if kind == "decision":
        if not note:
            raise InvalidInput("a decision needs its text: --note")
        return {}
    if kind in ("done", "dropped"):
        if record is None:
            return {}
        status = STATUS_FOR.get((kind, record.TYPE))
        if status is None or not isinstance(record, (Goal, Commitment, Agreement)):
            hint = (
                " (record agreement-reviewed, kept, or dropped to retire it)"
                if isinstance(record, Agreement)
                else ""
            )
            raise InvalidInput(f"outcome {kind} does not apply to a {record.TYPE}{hint}")
        current = str(record.status)
        check_transition(record.TYPE, current, status)
        s.set_status(record.id, status)
        return {"outcome_detail": f"status {current} → {status}"}
    if kind == "renegotiated":
        if not isinstance(record, Commitment):
            raise InvalidInput("renegotiated applies to a commitment on the agenda")
        if not args["due"] and not args["terms"].strip():
            raise InvalidInput("renegotiated needs the new terms: --due DATE and/or --terms T")
        if record.status != "renegotiated":
            check_transition("commitment", record.status, "renegotiated")
        changes = {"due": s.parse_date(args["due"])} if args["due"] else {}
        if args["terms"].strip():
            changes["terms"] = args["terms"].strip()
        s.edit(record.id, **changes)
        if record.status != "renegotiated":
            s.set_status(record.id, "renegotiated")
        detail = "; ".join(f"new {k} {v}" for k, v in changes.items())
        return {"outcome_detail": detail}
    if kind == "new-commitment":
        if not args["title"].strip() or not args["to"].strip():
            raise InvalidInput(
                "a new commitment needs --title T and --to PARTY "
                "(optionally --by M, --due DATE, --terms T)"
            )
        goal = (
            record.id
            if isinstance(record, Goal)
            else (record.goal if isinstance(record, Commitment) else "")
        )
        new = s.add_commitment(
            args["title"], args["to"], args["by"] or "me", goal, args["due"], args["terms"]
        )
        made = s.get(new, ["commitments"])
        assert isinstance(made, Commitment)
        due = f", due {made.due}" if made.due else ""
        return {
            "result": new,
            "outcome_detail": f"{made.title} — {s.member_name(made.by)} → "
            f"{s.party_name(made.to_kind, made.to)}{due}",
        }
    # agreement-reviewed
    if not isinstance(record, Agreement):
        raise InvalidInput("agreement-reviewed applies to an agreement on the agenda")
    answers = {k: args[k].strip() for k in ("helped", "improve", "concerns")}
    if not all(answers.values()):
        raise InvalidInput(
            "agreement-reviewed needs the three answers: --helped, --improve "
            "and --concerns (say 'none' if there are none)"
        )
    today = s.today()
    nxt = (
        s.parse_date(args["review_on"])
        if args["review_on"]
        else (today + dt.timedelta(days=Cadence(record.cadence).days)).isoformat()
    )
    if nxt <= today.isoformat():
        raise InvalidInput(f"the agreement's next review ({nxt}) must be after today")
    s.edit(record.id, review_on=nxt)
    s.checkin(
        record.id,
        note=(
            f"Reviewed: helped: {answers['helped']}; could improve: "
            f"{answers['improve']}; reasons not to continue: "
            f"{answers['concerns']}"
        ),
        learned=note,
    )
    return {**answers, "outcome_detail": f"next review {nxt}"}
