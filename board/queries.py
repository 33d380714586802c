"""Derived views of the board: what is mine, what is due or overdue, what needs review.

Pure functions over records (no I/O): the service lists records, these shape them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date as _date

from board.model import OPEN_COMMITMENT, Agreement, CheckIn, Commitment, Goal, Record, Stream


@dataclass
class Mine:
    """One member's own picture of the board."""

    made: list[Commitment] = field(default_factory=list)  # commitments I made
    received: list[Commitment] = field(default_factory=list)  # commitments made to me
    accountable: list[Agreement] = field(default_factory=list)  # agreements I am accountable for
    holding: list[Agreement] = field(default_factory=list)  # agreements I hold others to
    goals: list[Goal] = field(default_factory=list)  # goals I own


def mine(
    member_id: str,
    goals: Iterable[Goal],
    commitments: Iterable[Commitment],
    agreements: Iterable[Agreement],
) -> Mine:
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


# ----------------------------------------------------------------------------- the board view
# Goals and commitments share one board: columns by status, lanes by kind (routine / change).

BOARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("proposed", "Proposed"),
    ("accepted", "Accepted"),
    ("doing", "In progress"),
    ("done", "Done"),
    ("closed", "Closed"),
)
_COLUMN_OF = {
    ("commitment", "proposed"): "proposed",
    ("commitment", "renegotiated"): "proposed",
    ("commitment", "accepted"): "accepted",
    ("commitment", "in_progress"): "doing",
    ("commitment", "done"): "done",
    ("commitment", "declined"): "closed",
    ("commitment", "dropped"): "closed",
    ("goal", "active"): "doing",
    ("goal", "at_risk"): "doing",
    ("goal", "achieved"): "done",
    ("goal", "dropped"): "closed",
}


def board_column(record: Record) -> str:
    """Which board column a goal or commitment sits in (one of ``BOARD_COLUMNS``)."""
    return _COLUMN_OF.get((record.TYPE, str(getattr(record, "status", ""))), "closed")


def item_stream(record: Record, goals: Mapping[str, Goal]) -> str:
    """The stream a goal or commitment belongs to: its own, its goal's, or the stream it is
    promised to ("" when none)."""
    if isinstance(record, Goal):
        return record.stream
    if isinstance(record, Commitment):
        goal = goals.get(record.goal)
        if goal is not None and goal.stream:
            return goal.stream
        if record.to_kind == "stream":
            return record.to
    return ""


def item_kind(record: Record, goals: Mapping[str, Goal], streams: Mapping[str, Stream]) -> str:
    """``routine`` or ``change``: a goal's own kind; a commitment takes its goal's kind, else
    its stream's, else routine (a promise with no goal is everyday work)."""
    if isinstance(record, Goal):
        return record.kind
    if isinstance(record, Commitment):
        goal = goals.get(record.goal)
        if goal is not None:
            return goal.kind
        stream = streams.get(item_stream(record, goals))
        if stream is not None:
            return stream.kind
    return "routine"


def item_people(record: Record) -> list[str]:
    """Member ids taking part in a goal, commitment or agreement."""
    if isinstance(record, Goal):
        return list(record.owners)
    if isinstance(record, Commitment):
        return [record.by] + ([record.to] if record.to_kind == "member" else [])
    if isinstance(record, Agreement):
        return record.parties
    return []


@dataclass(frozen=True)
class BoardFilter:
    """What the board shows: empty fields match everything."""

    stream: str = ""
    kind: str = ""
    member: str = ""
    text: str = ""

    @property
    def active(self) -> bool:
        return bool(self.stream or self.kind or self.member or self.text.strip())


def matches(record: Record, flt: BoardFilter, *, kind: str, stream: str, haystack: str) -> bool:
    """Whether a board item passes ``flt``; ``haystack`` is its searchable text, lower case
    (title, people, parties), so callers can compute it once per item."""
    if flt.kind and kind != flt.kind:
        return False
    if flt.stream and stream != flt.stream:
        return False
    if flt.member and flt.member not in item_people(record):
        return False
    words = flt.text.lower().split()
    return all(w in haystack for w in words)


def board_sort_key(record: Record) -> tuple[str, str, str]:
    """Due items first (soonest first), then the rest in the order they were made."""
    due = str(getattr(record, "due", "") or "")
    return (due or "9999-99-99", record.created_at, record.id)


def review_state(agreement: Agreement, today: str) -> tuple[str, int]:
    """(``overdue`` | ``past`` | ``today`` | ``ahead`` | ``none``, days from today to the
    review); ``past`` is a draft whose review date went by before it took effect."""
    if not agreement.review_on or agreement.status == "retired":
        return "none", 0
    days = (_date.fromisoformat(agreement.review_on) - _date.fromisoformat(today)).days
    if days < 0:
        return ("overdue" if agreement.due_for_review(today) else "past"), days
    return ("today" if days == 0 else "ahead"), days


def confidence_series(checkins: Iterable[CheckIn]) -> list[int]:
    """Confidence values of check-ins in time order (those that gave one)."""
    ordered = sorted(checkins, key=lambda c: (c.at, c.id))
    return [c.confidence for c in ordered if c.confidence is not None]
