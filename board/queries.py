"""Derived views of the board: what is mine, what is due or overdue, what needs review.

Pure functions over records (no I/O): the service lists records, these shape them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from board.model import OPEN_COMMITMENT, Agreement, Commitment, Goal, Record


@dataclass
class Mine:
    """One member's own picture of the board."""

    made: list[Commitment] = field(default_factory=list)  # commitments I made
    received: list[Commitment] = field(default_factory=list)  # commitments made to me
    accountable: list[Agreement] = field(default_factory=list)  # agreements I am accountable for
    holding: list[Agreement] = field(default_factory=list)  # agreements I hold others to
    goals: list[Goal] = field(default_factory=list)  # goals I own


def mine(member_id: str, goals: Iterable[Goal], commitments: Iterable[Commitment],
         agreements: Iterable[Agreement]) -> Mine:
    out = Mine()
    for c in commitments:
        if c.by == member_id:
            out.made.append(c)
        elif c.to_kind == "member" and c.to == member_id:
            out.received.append(c)
    for a in agreements:
        if a.accountable == member_id:
            out.accountable.append(a)
        elif member_id in a.counterparts:
            out.holding.append(a)
    out.goals = [g for g in goals if member_id in g.owners]
    return out


def is_overdue(commitment: Commitment, today: str) -> bool:
    return commitment.status in OPEN_COMMITMENT and bool(commitment.due) and commitment.due < today


def overdue_commitments(commitments: Iterable[Commitment], today: str) -> list[Commitment]:
    return [c for c in commitments if is_overdue(c, today)]


def due_before(commitments: Iterable[Commitment], day: str) -> list[Commitment]:
    """Open commitments due on or before ``day`` (overdue ones included)."""
    return [c for c in commitments if c.status in OPEN_COMMITMENT and c.due and c.due <= day]


def agreements_due_for_review(agreements: Iterable[Agreement], today: str) -> list[Agreement]:
    return [a for a in agreements if a.due_for_review(today)]


def agreements_missing_consent(agreements: Iterable[Agreement]) -> list[Agreement]:
    return [a for a in agreements if a.status == "draft" and a.missing_consents]


def columns(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Records grouped by status, in the order statuses first appear."""
    out: dict[str, list[Record]] = {}
    for r in records:
        out.setdefault(str(getattr(r, "status", "")), []).append(r)
    return out
