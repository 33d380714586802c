"""The board's vocabulary as plain dataclasses and enums, with validation.

Pure: no I/O, no automerge, no Textual. Records convert to and from plain dicts
(``to_dict`` / ``record_from_dict``), which is the shape the document layer stores and
the read model and ``--json`` output expose.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar


class BoardError(Exception):
    """A use case was refused at run time (exit code 1)."""


class InvalidInput(BoardError):
    """The user's input is malformed or names nothing (exit code 2)."""


class NotFound(InvalidInput):
    """An id, prefix or name matches nothing."""


class Ambiguous(InvalidInput):
    """A prefix or name matches more than one thing."""


class RuleViolation(BoardError):
    """The input is well-formed but a board rule forbids it (exit code 1)."""


class Kind(StrEnum):
    ROUTINE = "routine"
    CHANGE = "change"


class GoalStatus(StrEnum):
    ACTIVE = "active"
    AT_RISK = "at_risk"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class CommitmentStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    RENEGOTIATED = "renegotiated"
    DECLINED = "declined"
    DROPPED = "dropped"


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    UNDER_REVIEW = "under_review"
    RETIRED = "retired"


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def days(self) -> int:
        return {"weekly": 7, "fortnightly": 14, "monthly": 30, "quarterly": 91}[self.value]


class Relation(StrEnum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    PARTNER = "partner"


class PartyKind(StrEnum):
    MEMBER = "member"
    STREAM = "stream"
    EXTERNAL = "external"


C = CommitmentStatus
COMMITMENT_TRANSITIONS: dict[CommitmentStatus, frozenset[CommitmentStatus]] = {
    C.PROPOSED: frozenset({C.ACCEPTED, C.DECLINED, C.RENEGOTIATED, C.DROPPED}),
    C.ACCEPTED: frozenset({C.IN_PROGRESS, C.DONE, C.RENEGOTIATED, C.DROPPED}),
    C.IN_PROGRESS: frozenset({C.DONE, C.RENEGOTIATED, C.DROPPED}),
    C.RENEGOTIATED: frozenset({C.ACCEPTED, C.DECLINED, C.DROPPED}),
    C.DONE: frozenset(),
    C.DECLINED: frozenset(),
    C.DROPPED: frozenset(),
}
# The "advance" action (UI `s`/space): the next step on the happy path.
COMMITMENT_NEXT: dict[CommitmentStatus, CommitmentStatus] = {
    C.PROPOSED: C.ACCEPTED,
    C.ACCEPTED: C.IN_PROGRESS,
    C.IN_PROGRESS: C.DONE,
    C.RENEGOTIATED: C.ACCEPTED,
}
OPEN_COMMITMENT = frozenset({C.PROPOSED, C.ACCEPTED, C.IN_PROGRESS, C.RENEGOTIATED})

G = GoalStatus
GOAL_TRANSITIONS: dict[GoalStatus, frozenset[GoalStatus]] = {
    G.ACTIVE: frozenset({G.AT_RISK, G.ACHIEVED, G.DROPPED}),
    G.AT_RISK: frozenset({G.ACTIVE, G.ACHIEVED, G.DROPPED}),
    G.ACHIEVED: frozenset({G.ACTIVE}),
    G.DROPPED: frozenset({G.ACTIVE}),
}
GOAL_NEXT: dict[GoalStatus, GoalStatus] = {G.ACTIVE: G.ACHIEVED, G.AT_RISK: G.ACTIVE}

A = AgreementStatus
AGREEMENT_TRANSITIONS: dict[AgreementStatus, frozenset[AgreementStatus]] = {
    A.DRAFT: frozenset({A.RETIRED}),  # draft -> active happens through consent only
    A.ACTIVE: frozenset({A.UNDER_REVIEW, A.RETIRED}),
    A.UNDER_REVIEW: frozenset({A.ACTIVE, A.RETIRED}),
    A.RETIRED: frozenset(),
}


def check_transition(kind: str, current: str, new: str) -> None:
    """Raise RuleViolation unless ``current -> new`` is allowed for a record of ``kind``."""
    table: dict[Any, frozenset[Any]]
    enum: type[StrEnum]
    if kind == "commitment":
        table, enum = COMMITMENT_TRANSITIONS, CommitmentStatus
    elif kind == "goal":
        table, enum = GOAL_TRANSITIONS, GoalStatus
    elif kind == "agreement":
        table, enum = AGREEMENT_TRANSITIONS, AgreementStatus
    else:
        raise RuleViolation(f"a {kind} has no status")
    allowed_values = ", ".join(s.value for s in enum)
    try:
        target = enum(new)
    except ValueError:
        raise InvalidInput(f"unknown {kind} status {new!r} (one of: {allowed_values})") from None
    if target.value == current:
        raise RuleViolation(f"the {kind} is already {current}")
    allowed = table[enum(current)]  # type: ignore[index]  # table and enum are paired above
    if target not in allowed:
        if kind == "agreement" and current == "draft" and target == A.ACTIVE:
            raise RuleViolation("an agreement becomes active only when every party has consented")
        options = ", ".join(sorted(s.value for s in allowed)) or "none: it is final"
        article = "an" if current[0] in "aeiou" else "a"
        raise RuleViolation(
            f"{article} {current} {kind} cannot become {target.value} (allowed next: {options})"
        )


# ----------------------------------------------------------------------------- records


def validate_confidence(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
        raise InvalidInput(f"confidence must be a whole number from 1 to 10, not {value!r}")
    return value


def validate_progress(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(f"progress must be a percentage from 0 to 100, not {value!r}")
    return value


def validate_title(value: str, what: str = "title") -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"the {what} must not be empty")
    if len(value) > 500:
        raise InvalidInput(f"the {what} is too long ({len(value)} characters, at most 500)")
    return value


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def enum_value(enum: type[StrEnum], value: str, what: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        options = ", ".join(e.value for e in enum)
        raise InvalidInput(f"{what} must be one of {options}, not {value!r}") from None


@dataclass
class Stamp:
    """Who created and last changed a record, and when (ISO-8601 UTC)."""

    created_by: str = ""
    created_at: str = ""
    updated_by: str = ""
    updated_at: str = ""


@dataclass
class Record:
    """Fields every board record carries."""

    TYPE: ClassVar[str] = ""
    COLLECTION: ClassVar[str] = ""

    id: str = ""
    created_by: str = ""
    created_at: str = ""
    updated_by: str = ""
    updated_at: str = ""
    archived: bool = False

    @property
    def type(self) -> str:
        return self.TYPE

    @property
    def label(self) -> str:
        return str(getattr(self, "title", "") or getattr(self, "name", "") or self.id)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the record, with ``type`` first after ``id`` (lists and maps copied)."""
        data = {f.name: _plain(getattr(self, f.name)) for f in _fields(type(self))}
        return {"id": data.pop("id"), "type": self.TYPE, **data}


def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    cached = _FIELDS.get(cls)
    if cached is None:
        cached = _FIELDS[cls] = dataclasses.fields(cls)
    return cached


_FIELDS: dict[type, tuple[dataclasses.Field[Any], ...]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass
class Team(Record):
    TYPE: ClassVar[str] = "team"
    COLLECTION: ClassVar[str] = "team"
    name: str = ""
    values: list[str] = field(default_factory=list)


@dataclass
class Member(Record):
    TYPE: ClassVar[str] = "member"
    COLLECTION: ClassVar[str] = "members"
    name: str = ""
    cert: str = ""
    joined_at: str = ""
    invited_by: str = ""
    removed_at: str = ""
    removed_by: str = ""
    removed_heads: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return not self.removed_at


@dataclass
class ExternalParty:
    name: str
    relation: str


@dataclass
class Stream(Record):
    TYPE: ClassVar[str] = "stream"
    COLLECTION: ClassVar[str] = "streams"
    title: str = ""
    kind: str = Kind.ROUTINE.value
    purpose: str = ""
    members: list[str] = field(default_factory=list)
    externals: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Role(Record):
    TYPE: ClassVar[str] = "role"
    COLLECTION: ClassVar[str] = "roles"
    title: str = ""
    purpose: str = ""
    accountabilities: list[str] = field(default_factory=list)
    stream: str = ""
    holders: list[str] = field(default_factory=list)


@dataclass
class Goal(Record):
    TYPE: ClassVar[str] = "goal"
    COLLECTION: ClassVar[str] = "goals"
    title: str = ""
    kind: str = Kind.ROUTINE.value
    stream: str = ""
    owners: list[str] = field(default_factory=list)
    due: str = ""
    status: str = GoalStatus.ACTIVE.value
    confidence: int | None = None
    metric: str = ""
    start: float | None = None
    target: float | None = None
    current: float | None = None
    unit: str = ""
    hypothesis: str = ""
    next_step: str = ""

    @property
    def has_measure(self) -> bool:
        return bool(self.metric) and self.target is not None


@dataclass
class Commitment(Record):
    TYPE: ClassVar[str] = "commitment"
    COLLECTION: ClassVar[str] = "commitments"
    title: str = ""
    by: str = ""
    to: str = ""
    to_kind: str = PartyKind.MEMBER.value
    goal: str = ""
    due: str = ""
    status: str = CommitmentStatus.PROPOSED.value
    terms: str = ""


@dataclass
class Agreement(Record):
    TYPE: ClassVar[str] = "agreement"
    COLLECTION: ClassVar[str] = "agreements"
    title: str = ""
    accountable: str = ""
    counterparts: list[str] = field(default_factory=list)
    expectations: str = ""
    cadence: str = Cadence.MONTHLY.value
    review_on: str = ""
    consents: dict[str, str] = field(default_factory=dict)
    status: str = AgreementStatus.DRAFT.value

    @property
    def parties(self) -> list[str]:
        return [self.accountable, *[c for c in self.counterparts if c != self.accountable]]

    @property
    def missing_consents(self) -> list[str]:
        return [p for p in self.parties if p not in self.consents]

    @property
    def effective_status(self) -> str:
        """Draft with every consent in is active, even if the consents arrived concurrently."""
        if self.status == AgreementStatus.DRAFT.value and not self.missing_consents:
            return AgreementStatus.ACTIVE.value
        return self.status

    def due_for_review(self, today: str) -> bool:
        return (
            self.effective_status
            in (AgreementStatus.ACTIVE.value, AgreementStatus.UNDER_REVIEW.value)
            and bool(self.review_on)
            and self.review_on <= today
        )


@dataclass
class CheckIn(Record):
    TYPE: ClassVar[str] = "checkin"
    COLLECTION: ClassVar[str] = "checkins"
    item: str = ""
    by: str = ""
    at: str = ""
    progress: int | None = None
    confidence: int | None = None
    note: str = ""
    learned: str = ""


@dataclass
class Review(Record):
    """One facilitated board review (a meeting), synced like every other record.

    ``agenda`` holds one map per agenda item (``id, section, ref, ref_type, title, detail,
    reason, added_by, added_at, skipped, started_at, outcome, note, outcome_detail,
    result, helped, improve, concerns, recorded_by, recorded_at``); ``rounds`` one map per
    check-in or closing line (``id, round, member, text, learned, item, at``). Both are
    lists, so lines and items that several attendees add at once all survive a merge.
    ``sections`` is the facilitator's section order, ``skipped`` the skipped sections,
    ``current`` the agenda item everyone follows. ``heads`` are the board's heads when the
    review started, ``end_heads`` when it ended; ``since_heads`` are the previous review's
    end heads, which the "changed since the last review" section compares with.
    """

    TYPE: ClassVar[str] = "review"
    COLLECTION: ClassVar[str] = "reviews"
    title: str = ""
    facilitator: str = ""
    attendees: list[str] = field(default_factory=list)
    started_at: str = ""
    ended_at: str = ""
    ended_by: str = ""
    heads: list[str] = field(default_factory=list)
    end_heads: list[str] = field(default_factory=list)
    previous: str = ""
    since_heads: list[str] = field(default_factory=list)
    next_review: str = ""
    timebox_seconds: int = 180
    current: str = ""
    sections: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    agenda: list[dict[str, Any]] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    duration_seconds: int | None = None
    minutes: str = ""

    @property
    def running(self) -> bool:
        """Started, not ended and not archived."""
        return bool(self.started_at) and not self.ended_at and not self.archived


FOCUS_LISTS = ("focus", "challenge", "avoid")


@dataclass
class Focus(Record):
    """One member's self-management lists; ``id`` is the member's id."""

    TYPE: ClassVar[str] = "focus"
    COLLECTION: ClassVar[str] = "focus"
    member: str = ""
    focus: list[dict[str, str]] = field(default_factory=list)
    challenge: list[dict[str, str]] = field(default_factory=list)
    avoid: list[dict[str, str]] = field(default_factory=list)


@dataclass
class HistoryEntry:
    """One attributed change to one record."""

    item: str
    type: str
    at: str
    by: str
    action: str
    changes: dict[str, list[Any]] = field(default_factory=dict)
    title: str = ""
    # The member named inside the entry when it is not the verified author ``by`` (the
    # member whose signed change wrote it; "" when no member did).
    claimed_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def author(self, name: Callable[[str], str]) -> str:
        """Who made the entry, for people: the verified author, and the claim when the
        entry names someone else."""
        who = name(self.by) if self.by else "unverified author"
        return f"{who} (claimed: {name(self.claimed_by)})" if self.claimed_by else who

    def summary(self) -> str:
        parts = []
        for name, (old, new) in self.changes.items():
            if old in (None, "", []):
                parts.append(f"{name}={_short(new)}")
            else:
                parts.append(f"{name}: {_short(old)} → {_short(new)}")
        return ", ".join(parts)


def _short(value: Any) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


RECORD_TYPES: dict[str, type[Record]] = {
    cls.TYPE: cls
    for cls in (Team, Member, Stream, Role, Goal, Commitment, Agreement, CheckIn, Review, Focus)
}
COLLECTIONS: dict[str, type[Record]] = {cls.COLLECTION: cls for cls in RECORD_TYPES.values()}
# Collections whose records are addressed by id on the command line.
ITEM_COLLECTIONS = ("goals", "commitments", "agreements", "streams", "roles", "checkins", "reviews")
STATUSFUL = {"goal", "commitment", "agreement"}


def record_from_dict(cls: type[Record], data: dict[str, Any]) -> Record:
    """Build a record from a stored dict, ignoring unknown keys (newer peers may add fields)."""
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    return cls(**kwargs)


def field_names(cls: type[Record]) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]
