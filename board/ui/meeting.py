"""What the review screens show: one review's state read in a worker (``load_meeting``), and
how its parts read on screen (the current item, its timebox, the agenda) as Rich text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from board.model import Agreement, CheckIn, Commitment, Goal, HistoryEntry, Record, Review
from board.review_agenda import ROUNDS, SECTIONS, AgendaItem, ordered
from board.reviews import ReviewService
from board.service import BoardService
from board.ui.text import (
    TYPE_LABEL,
    change_summary,
    due_text,
    names,
    number,
    status_label,
    when,
)

CHECKINS_SHOWN = 3
HISTORY_SHOWN = 5
MARKS = {"current": "▶", "outcome": "✓", "skipped": "–", "open": " "}


@dataclass
class Meeting:
    """One review as the screens need it: the agenda in order, the item everyone follows
    and, when it is about a board item, that item now with its check-ins and history."""

    review: Review
    items: list[AgendaItem]
    item: AgendaItem | None = None
    index: int = 0  # 1-based position of ``item`` in ``items`` (0: none open)
    record: Record | None = None
    checkins: list[CheckIn] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.items)

    def open_items(self) -> list[AgendaItem]:
        """Items still to be discussed (no outcome, not skipped)."""
        return [i for i in self.items if not self.is_skipped(i) and not i.outcome]

    @property
    def begun(self) -> bool:
        """Whether any item was opened yet."""
        return any(i.started_at for i in self.items)

    def is_skipped(self, item: AgendaItem) -> bool:
        return item.skipped or item.section in self.review.skipped

    def mark(self, item: AgendaItem) -> str:
        if self.item is not None and item.id == self.item.id:
            return MARKS["current"]
        if item.outcome:
            return MARKS["outcome"]
        return MARKS["skipped"] if self.is_skipped(item) else MARKS["open"]

    def previous(self) -> AgendaItem | None:
        """The item before the current one that is not skipped (the last one when the
        agenda is done)."""
        ids = [i.id for i in self.items]
        here = ids.index(self.item.id) if self.item is not None else len(ids)
        earlier = [i for i in self.items[:here] if not self.is_skipped(i)]
        return earlier[-1] if earlier else None

    def in_section(self) -> tuple[int, int]:
        """Where the current item stands in its section: (position, count)."""
        if self.item is None:
            return 0, 0
        same = [i.id for i in self.items if i.section == self.item.section]
        return same.index(self.item.id) + 1, len(same)


def load_meeting(service: BoardService, review_id: str) -> Meeting:
    """Read review ``review_id`` and its current item (runs in a worker)."""
    review = ReviewService(service).get(review_id)
    items = ordered(review.agenda, review.sections)
    meeting = Meeting(review, items)
    if review.ended_at:
        return meeting
    for index, item in enumerate(items, 1):
        if item.id == review.current:
            meeting.item, meeting.index = item, index
    ref = meeting.item.ref if meeting.item is not None else ""
    if ref:
        meeting.record = service.get(ref)
        meeting.checkins = service.checkins_for(ref)[-CHECKINS_SHOWN:]
        meeting.history = service.history(ref)[-HISTORY_SHOWN:]
    return meeting


# ----------------------------------------------------------------------------- timebox


def clock_text(seconds: int) -> str:
    minutes, rest = divmod(abs(int(seconds)), 60)
    return f"{minutes}:{rest:02d}"


def remaining(item: AgendaItem | None, timebox: int, now: dt.datetime) -> int | None:
    """Seconds left in ``item``'s timebox at ``now`` (negative: over; None: not opened)."""
    if item is None or not item.started_at:
        return None
    started = dt.datetime.fromisoformat(item.started_at)
    return timebox - int((now - started).total_seconds())


def timebox_text(left: int | None, timebox: int) -> str:
    if left is None:
        return f"⏱ timebox {clock_text(timebox)}"
    if left >= 0:
        return f"⏱ {clock_text(left)} left"
    return f"⏱ {clock_text(left)} over time"


# ----------------------------------------------------------------------------- the item


def where_text(meeting: Meeting) -> Text:
    """``Item 3 of 15 · Commitments overdue… (2 of 4)``."""
    item = meeting.item
    if meeting.review.ended_at:
        return Text("The review has ended; its minutes are stored in the board.", "bold")
    if item is None:
        left = len(meeting.open_items())
        if not meeting.begun:
            return Text(f"No item open yet · {meeting.total} items on the agenda")
        if left:
            return Text(f"End of the agenda · {left} of {meeting.total} items without an outcome")
        return Text(f"Agenda done · all {meeting.total} items discussed or skipped", "bold")
    position, count = meeting.in_section()
    text = Text()
    text.append(f"Item {meeting.index} of {meeting.total}", "bold")
    text.append(f" · {SECTIONS.get(item.section, item.section)}")
    text.append(f" ({position} of {count})", "dim")
    return text


def item_body(meeting: Meeting, people: dict[str, str], today: str) -> RenderableType:
    """The current item: what it is, why it is on the agenda, its outcome, and for a board
    item its state now, latest check-ins and history; for a round, everyone's line."""
    item = meeting.item
    if item is None:
        return Text("")
    parts: list[RenderableType] = []
    title = Text()
    if item.ref_type:
        title.append(f" {TYPE_LABEL.get(item.ref_type, item.ref_type)} ", "bold reverse")
        title.append(" ")
    title.append(item.title, "bold")
    parts.append(title)
    if item.reason:
        parts.append(Text(item.reason, "italic"))
    if item.section == "other" and item.added_by:
        parts.append(Text(f"added by {people.get(item.added_by, item.added_by[:8])}", "dim"))
    parts += [Text(""), outcome_text(item, people), Text("")]
    if item.is_round:
        parts.append(round_lines(meeting, item, people))
    if meeting.record is not None:
        parts.append(record_grid(meeting.record, people, today))
    elif item.detail:
        parts.append(Text(item.detail, "dim"))
    if meeting.checkins:
        parts += [Text(""), Text("Check-ins", "bold underline")]
        for c in reversed(meeting.checkins):
            bits = [
                f"{c.progress}%" if c.progress is not None else "",
                f"confidence {c.confidence}" if c.confidence else "",
                c.note,
                f"learned: {c.learned}" if c.learned else "",
            ]
            line = Text(f"{when(c.at)} {people.get(c.by, c.by[:8])}: ", "dim")
            line.append("; ".join(b for b in bits if b))
            parts.append(line)
    if meeting.history:
        parts += [Text(""), Text("History", "bold underline")]
        for h in reversed(meeting.history):
            line = Text(f"{when(h.at)} {h.author(lambda m: people.get(m, m[:8]))}: ", "dim")
            summary = change_summary(h.changes, people)
            line.append(summary if summary and h.action != "created" else h.action)
            parts.append(line)
    return Group(*parts)


def outcome_text(item: AgendaItem, people: dict[str, str]) -> Text:
    if not item.outcome:
        return Text("Outcome: — not recorded yet", "dim")
    text = Text("Outcome: ", "bold")
    text.append(item.outcome, "bold green")
    if item.outcome_detail:
        text.append(f" — {item.outcome_detail}")
    if item.note:
        text.append(f" — {item.note}", "italic")
    if item.recorded_by:
        text.append(f" ({people.get(item.recorded_by, '?')})", "dim")
    return text


def round_lines(meeting: Meeting, item: AgendaItem, people: dict[str, str]) -> Table:
    """One line per attendee in a check-in or closing round (— for not yet)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    said = {
        str(r.get("member")): r for r in meeting.review.rounds if r.get("round") == item.section
    }
    for member in meeting.review.attendees:
        line = said.get(member)
        text = Text(str(line.get("text", "")) if line else "—", "" if line else "dim")
        if line and line.get("learned"):
            text.append(f"  learned: {line['learned']}", "italic")
        grid.add_row(people.get(member, member[:8]), text)
    return grid


def record_grid(record: Record, people: dict[str, str], today: str) -> Table:
    """A board item's state now, in a few lines."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    status = str(getattr(record, "status", ""))
    rows: list[tuple[str, Text | str]] = []
    if status:
        rows.append(("Status", status_label(status) + ("  [archived]" if record.archived else "")))
    if isinstance(record, Commitment):
        to = people.get(record.to, record.to) if record.to_kind == "member" else record.to
        rows.append(("Promise", f"{people.get(record.by, '?')} → {to}"))
        open_ = status not in ("done", "declined", "dropped")
        rows.append(("Due", due_text(record.due, today, open_) or "—"))
        if record.terms:
            rows.append(("Terms", record.terms))
    elif isinstance(record, Goal):
        rows.append(("Owners", names(record.owners, people)))
        if record.metric:
            measure = (
                f"{record.metric}: {number(record.current)}{record.unit} now, "
                f"target {number(record.target)}{record.unit}"
            )
            rows.append(("Measure", measure))
        if record.confidence:
            rows.append(("Confidence", f"{record.confidence}/10"))
        if record.due:
            rows.append(("Due", due_text(record.due, today, status in ("active", "at_risk"))))
    elif isinstance(record, Agreement):
        rows.append(
            (
                "Accountable",
                f"{people.get(record.accountable, '?')} to {names(record.counterparts, people)}",
            )
        )
        missing = [p for p in record.parties if p not in record.consents]
        if missing:
            rows.append(("Consent", f"waiting for {names(missing, people)}"))
        rows.append(("Expects", record.expectations or "—"))
        rows.append(("Checked", f"{record.cadence}, next review {record.review_on or '—'}"))
    for label, value in rows:
        grid.add_row(label, value if isinstance(value, Text) else Text(str(value)))
    return grid


def agenda_line(meeting: Meeting, number: int, item: AgendaItem) -> Text:
    """One agenda item in the agenda list: mark, number, title, outcome."""
    mark = meeting.mark(item)
    style = "bold" if mark == MARKS["current"] else "dim" if mark == MARKS["skipped"] else ""
    text = Text(f" {mark} {number:>2}  ", style)
    text.append(item.title, style)
    if item.outcome:
        text.append(f"  [{item.outcome}]", "green")
    elif item.skipped:
        text.append("  (skipped)", "dim")
    if item.section in ROUNDS and item.is_round:
        said = sum(1 for r in meeting.review.rounds if r.get("round") == item.section)
        text.append(f"  {said}/{len(meeting.review.attendees)} lines", "dim")
    return text
