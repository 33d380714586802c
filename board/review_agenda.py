"""The agenda of a board review, built from the board.

Sections, in their default order (the facilitator may skip and reorder them):

1. ``checkin``    check-in round (one line per attendee)
2. ``due``        accepted, in-progress or renegotiated commitments overdue or due on or
                  before the next review
3. ``proposed``   commitments still ``proposed`` (awaiting an answer; its due date is shown)
4. ``agreements`` agreements whose ``review_on`` date has come, or still missing consents
5. ``goals``      routine goals off their measure; change goals with confidence ≤ 5, down
                  since the previous check-in, or no check-in for 14 days
6. ``changes``    what changed since the last review (board at its end heads vs. now)
7. ``other``      items attendees add during the review
8. ``closing``    closing round (one line per attendee, with what each learned)

Each board item appears once: a proposed commitment is discussed under ``proposed`` even
when it is due soon (until someone answers it its date is only a wish), and a record that
meets a rule is not listed again under ``changes``. The rules are pure functions over
records; :func:`build_agenda` applies them to a service's board.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from board.document import BoardDocument, Heads, history_at
from board.export import describe
from board.model import Agreement, CheckIn, Commitment, Goal, Record
from board.queries import agreements_due_for_review, agreements_missing_consent, due_before
from board.readmodel import to_record
from board.service import BoardService, new_id

SECTIONS: dict[str, str] = {
    "checkin": "Check-in round",
    "due": "Commitments overdue or due before the next review",
    "proposed": "Commitments awaiting an answer",
    "agreements": "Agreements to review or missing consents",
    "goals": "Goals off track",
    "changes": "Changed since the last review",
    "other": "Other items",
    "closing": "Closing round",
}
DEFAULT_ORDER = list(SECTIONS)
ROUNDS = ("checkin", "closing")
STALE_DAYS = 14  # a change goal with no check-in for this many days is on the agenda
LOW_CONFIDENCE = 5  # a change goal at or below this confidence is on the agenda
CHANGE_COLLECTIONS = ("streams", "roles", "goals", "commitments", "agreements")
FINAL_STATUS = {
    "commitment": {"done", "dropped", "declined"},
    "goal": {"achieved", "dropped"},
    "agreement": {"retired"},
}
STAMP_FIELDS = {"updated_by", "updated_at", "created_by", "created_at"}
Reason = tuple[Record, str]
Names = Callable[[str], str]


@dataclass
class AgendaItem:
    """One agenda item, as stored (a flat map of scalars) in a review's ``agenda`` list."""

    id: str
    section: str
    title: str
    ref: str = ""  # the board item discussed ("" for rounds and free topics)
    ref_type: str = ""  # goal | commitment | agreement | stream | role
    detail: str = ""  # the item as it stood when it was put on the agenda
    reason: str = ""  # why it is on the agenda
    added_by: str = ""
    added_at: str = ""
    skipped: bool = False
    started_at: str = ""  # when the facilitator opened it (its timebox starts)
    outcome: str = ""
    note: str = ""
    outcome_detail: str = ""  # what the outcome changed on the board, for people
    result: str = ""  # id of a record the outcome created (a new commitment)
    helped: str = ""  # agreement reviewed: how has it helped
    improve: str = ""  # … how could it improve
    concerns: str = ""  # … any reason not to continue
    recorded_by: str = ""
    recorded_at: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgendaItem:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values.setdefault("id", "")
        values.setdefault("section", "other")
        values.setdefault("title", "")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def is_round(self) -> bool:
        return self.section in ROUNDS and not self.ref


def ordered(agenda: Iterable[Mapping[str, Any]], sections: list[str]) -> list[AgendaItem]:
    """Agenda items in the facilitator's section order, list order within a section;
    items of sections the order does not name (a newer peer's) come last."""
    items = [AgendaItem.from_dict(d) for d in agenda]
    order = {name: i for i, name in enumerate(sections)}
    position = {id(item): i for i, item in enumerate(items)}
    return sorted(items, key=lambda it: (order.get(it.section, len(order)), position[id(it)]))


# ----------------------------------------------------------------------------- the rules


def commitments_due(
    commitments: Iterable[Commitment], today: str, next_review: str
) -> list[Reason]:
    """Answered, open commitments overdue, or due on or before the next review."""
    out: list[Reason] = []
    answered = [c for c in due_before(commitments, next_review) if c.status != "proposed"]
    for c in sorted(answered, key=lambda c: (c.due, c.title)):
        out.append((c, f"overdue since {c.due}" if c.due < today else f"due {c.due}"))
    return out


def commitments_proposed(commitments: Iterable[Commitment]) -> list[Reason]:
    """Commitments still awaiting an answer."""
    found = sorted(
        (c for c in commitments if c.status == "proposed"), key=lambda c: (c.created_at, c.title)
    )
    return [(c, "awaiting an answer" + (f", due {c.due}" if c.due else "")) for c in found]


def agreements_to_review(agreements: Iterable[Agreement], today: str, name: Names) -> list[Reason]:
    """Agreements whose review date has come, then drafts still missing consents."""
    items = list(agreements)
    out: list[Reason] = []
    for a in sorted(agreements_due_for_review(items, today), key=lambda a: (a.review_on, a.title)):
        out.append((a, f"review date {a.review_on} has come"))
    for a in sorted(agreements_missing_consent(items), key=lambda a: (a.created_at, a.title)):
        waiting = ", ".join(name(m) for m in a.missing_consents)
        out.append((a, f"waiting for consent from {waiting}"))
    return out


def off_measure(goal: Goal) -> bool:
    """Whether a goal with a measure has not reached its target (either direction)."""
    if not goal.has_measure or goal.target is None:
        return False
    if goal.current is None:
        return True
    if goal.start is not None and goal.target < goal.start:  # a measure to bring down
        return goal.current > goal.target
    return goal.current < goal.target


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def goal_reasons(goal: Goal, checkins: list[CheckIn], today: dt.date) -> list[str]:
    """Why an active goal needs the team's attention (empty: it does not)."""
    if goal.status not in ("active", "at_risk") or goal.archived:
        return []
    if goal.kind == "routine":
        if off_measure(goal):
            return [
                (
                    f"off its measure: {goal.metric} {_num(goal.current)}, "
                    f"target {_num(goal.target)}{goal.unit}"
                )
            ]
        return []
    reasons = []
    ordered_checkins = sorted(checkins, key=lambda c: (c.at, c.id))
    values = [c.confidence for c in ordered_checkins if c.confidence is not None]
    if goal.confidence is not None and (not values or values[-1] != goal.confidence):
        values.append(goal.confidence)  # set directly since the last check-in
    if goal.confidence is not None and goal.confidence <= LOW_CONFIDENCE:
        reasons.append(f"confidence {goal.confidence}/10")
    elif len(values) >= 2 and values[-1] < values[-2]:
        reasons.append(f"confidence down {values[-2]} → {values[-1]}")
    last = ordered_checkins[-1].at if ordered_checkins else goal.created_at
    if last:
        days = (today - dt.date.fromisoformat(last[:10])).days
        if days >= STALE_DAYS:
            what = "no check-in" if ordered_checkins else "never checked in"
            reasons.append(f"{what} for {days} days")
    return reasons


def goals_off_track(
    goals: Iterable[Goal], checkins: Mapping[str, list[CheckIn]], today: dt.date
) -> list[Reason]:
    """Routine goals off their measure, then change goals losing confidence or gone quiet."""
    out: list[Reason] = []
    for kind in ("routine", "change"):
        for g in sorted((g for g in goals if g.kind == kind), key=lambda g: (g.title, g.id)):
            reasons = goal_reasons(g, checkins.get(g.id, []), today)
            if reasons:
                out.append((g, "; ".join(reasons)))
    return out


# ----------------------------------------------------------------------------- changes


def _entries(
    board: BoardDocument, collection: str, record_id: str, heads: Heads | None
) -> Counter[tuple[str, str, str, str]]:
    """A record's history entries at ``heads`` (None: now), comparable across versions."""
    return Counter(
        (e.at, e.by, e.action, json.dumps(e.changes, sort_keys=True, default=str))
        for e in history_at(board, collection, record_id, heads)
    )


def changes_since(board: BoardDocument, since: Heads, name: Names) -> list[Reason]:
    """Items new, finished or changed between the board at ``since`` and now, with who did it.

    New items first, then finished, then changed; by type, then title."""
    found: list[tuple[int, str, Record, str]] = []
    for collection in CHANGE_COLLECTIONS:
        try:
            before = {d["id"]: d for d in board.read_all(collection, since)}
        except Exception:  # noqa: BLE001 (automerge raises a bare Exception on bad heads)
            # the heads are unknown here: treat everything as new
            before = {}
        for data in board.read_all(collection):
            record = to_record(collection, data)
            earlier = (
                _entries(board, collection, record.id, since) if record.id in before else Counter()
            )
            new_entries = _entries(board, collection, record.id, None) - earlier
            authors = sorted({name(by) for (_, by, _, _) in new_entries.elements() if by})
            by = f" — by {', '.join(authors)}" if authors else ""
            if record.id not in before:
                found.append((0, record.TYPE, record, f"new{by}"))
                continue
            old = to_record(collection, before[record.id])
            old_status, status = str(getattr(old, "status", "")), str(getattr(record, "status", ""))
            if status != old_status and status in FINAL_STATUS.get(record.TYPE, set()):
                found.append((1, record.TYPE, record, f"finished: {status}{by}"))
                continue
            changed = [
                k
                for k, v in record.to_dict().items()
                if k not in STAMP_FIELDS and old.to_dict().get(k) != v
            ]
            actions = {action for (_, _, action, _) in new_entries.elements()}
            if "checked in" in actions:
                changed.append("check-in")
            if not changed:
                continue
            what = ", ".join(
                f"status {old_status} → {status}" if k == "status" else k for k in changed
            )
            found.append((2, record.TYPE, record, f"changed: {what}{by}"))
    found.sort(key=lambda f: (f[0], f[1], f[2].label.lower(), f[2].id))
    return [(record, reason) for _, _, record, reason in found]


# ----------------------------------------------------------------------------- building


def build_agenda(
    service: BoardService, next_review: str, since: Heads | None, added_by: str, now: str
) -> list[dict[str, Any]]:
    """The agenda (stored maps) for a review starting now on ``service``'s board.

    ``since`` is the previous review's end heads (None: no earlier review, so the
    ``changes`` section stays empty)."""
    today = service.today()
    commitments = [c for c in service.list("commitments") if isinstance(c, Commitment)]
    agreements = [a for a in service.list("agreements") if isinstance(a, Agreement)]
    goals = [g for g in service.list("goals") if isinstance(g, Goal)]
    checkins: dict[str, list[CheckIn]] = {}
    for c in service.list("checkins"):
        if isinstance(c, CheckIn):
            checkins.setdefault(c.item, []).append(c)
    name = service.member_name
    sections: list[tuple[str, list[Reason]]] = [
        ("due", commitments_due(commitments, today.isoformat(), next_review)),
        ("proposed", commitments_proposed(commitments)),
        ("agreements", agreements_to_review(agreements, today.isoformat(), name)),
        ("goals", goals_off_track(goals, checkins, today)),
        ("changes", changes_since(service.doc, since, name) if since else []),
    ]
    items = [AgendaItem(new_id(), "checkin", SECTIONS["checkin"], added_by=added_by, added_at=now)]
    seen: set[str] = set()
    for section, reasons in sections:
        for record, reason in reasons:
            if record.id in seen:
                continue
            seen.add(record.id)
            items.append(item_for(service, section, record, reason, added_by, now))
    items.append(
        AgendaItem(new_id(), "closing", SECTIONS["closing"], added_by=added_by, added_at=now)
    )
    return [i.to_dict() for i in items]


def item_for(
    service: BoardService, section: str, record: Record, reason: str, added_by: str, now: str
) -> AgendaItem:
    """An agenda item about a board record."""
    detail = describe(service, record).removeprefix(record.label).strip()
    return AgendaItem(
        new_id(),
        section,
        record.label,
        ref=record.id,
        ref_type=record.TYPE,
        detail=detail,
        reason=reason,
        added_by=added_by,
        added_at=now,
    )
