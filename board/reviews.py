"""Facilitated board reviews: start, step through the agenda, record outcomes, end.

A review is a record in the ``reviews`` collection of the board document, so it syncs like
everything else: attendees on other machines see the agenda, the item being discussed
(``current``) and the minutes once they sync. Every step is one use case on the board
service; recording an outcome applies the matching board change (a status, a new due
date, a new commitment, an agreement's next review date) in the same SQLite transaction,
and if any part of it fails, nothing of it stays (:meth:`ReviewService._atomic`).

The facilitator (who started the review) steps through the agenda, records outcomes,
skips and reorders sections and ends the review; anyone present adds agenda items and
check-in or closing lines (adding one makes you an attendee).
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from board import review_agenda as ra
from board.document import (
    append_map,
    heads_from_hex,
    heads_hex,
    replace_list,
    update_map_in_list,
)
from board.model import HistoryEntry, InvalidInput, NotFound, Review, RuleViolation, validate_title
from board.readmodel import to_record
from board.review_agenda import SECTIONS, AgendaItem
from board.review_minutes import render_minutes
from board.review_outcomes import apply_outcome, outcome_name
from board.service import BoardService, new_id

DEFAULT_TIMEBOX = 180
DEFAULT_NEXT_REVIEW_DAYS = 14


@dataclass
class Position:
    """Where a review stands: the item everyone follows and its timebox."""

    review: Review
    item: AgendaItem | None
    index: int  # 1-based position of ``item`` among the agenda's items (0: none)
    total: int
    remaining: int | None  # seconds left in the item's timebox (negative: over time)


class ReviewService:
    """The review use cases on one member's board service."""

    def __init__(self, service: BoardService) -> None:
        self.s = service

    # ------------------------------------------------------------------ reading
    def _review(self, review_id: str) -> Review:
        data = self.s.doc.read("reviews", review_id)
        if data is None:
            raise NotFound(f"no review {review_id}")
        record = to_record("reviews", data)
        assert isinstance(record, Review)
        return record

    def _all(self) -> list[Review]:
        reviews = [to_record("reviews", d) for d in self.s.doc.read_all("reviews")]
        found = [r for r in reviews if isinstance(r, Review)]
        return sorted(found, key=lambda r: (r.started_at, r.id))

    def _running(self) -> Review | None:
        running = [r for r in self._all() if r.running]
        # Two reviews may have started on machines that were offline from each other: each
        # member keeps working in the one they facilitate or attend, others see the earliest.
        mine = [r for r in running if r.facilitator == self.s.me] or [
            r for r in running if self.s.me in r.attendees
        ]
        pick = mine or running
        return pick[0] if pick else None

    def running(self) -> Review | None:
        """The review in progress, or None (see :meth:`_running` for two at once)."""
        self.s.fresh()
        return self._running()

    def list(self) -> list[Review]:
        """Every review, oldest first (past ones stay browsable)."""
        self.s.fresh()
        return [r for r in self._all() if not r.archived]

    def get(self, ref: str | None = None) -> Review:
        """A review by id prefix; without one, the running review, else the latest."""
        self.s.fresh()
        if ref:
            return self._review(self.s.resolve(ref, ["reviews"])[1])
        reviews = self._all()
        review = self._running() or (reviews[-1] if reviews else None)
        if review is None:
            raise NotFound("there are no reviews yet; start one with `teamboard review start`")
        return review

    def agenda(self, ref: str | None = None) -> builtins.list[AgendaItem]:
        """The agenda in the facilitator's order."""
        review = self.get(ref)
        return ra.ordered(review.agenda, review.sections)

    def current(self, ref: str | None = None) -> Position:
        """The item being discussed and its timebox (what follow mode shows)."""
        review = self.get(ref)
        items = ra.ordered(review.agenda, review.sections)
        for index, item in enumerate(items, 1):
            if item.id == review.current and not review.ended_at:
                remaining = None
                if item.started_at:
                    spent = _seconds_between(item.started_at, self.s.now())
                    remaining = review.timebox_seconds - spent
                return Position(review, item, index, len(items), remaining)
        return Position(review, None, 0, len(items), None)

    def find_item(self, review: Review, ref: str) -> AgendaItem:
        """An agenda item by its id (or prefix), the board item it is about, or its number."""
        wanted = (ref or "").strip().lower()
        items = ra.ordered(review.agenda, review.sections)
        if wanted.isdigit() and len(wanted) <= 3:  # a number from `review agenda`
            if 1 <= int(wanted) <= len(items):
                return items[int(wanted) - 1]
            raise InvalidInput(
                f"item {wanted} is not on the agenda of review {review.id} "
                f"(it has {len(items)} items; see `teamboard review agenda`)"
            )
        for key in ("id", "ref"):
            hits = [i for i in items if wanted and str(getattr(i, key)).lower().startswith(wanted)]
            if len(hits) == 1 or (hits and all(h.id == hits[0].id for h in hits)):
                return hits[0]
            if len(hits) > 1:
                raise InvalidInput(f"{ref!r} matches several agenda items; use more of the id")
        raise InvalidInput(
            f"{ref!r} is not on the agenda of review {review.id} "
            "(see `teamboard review agenda`; add it with `teamboard review add`)"
        )

    # ------------------------------------------------------------------ writing
    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """One SQLite transaction for a whole step; on failure the in-memory document is
        put back too, so a half-applied step leaves no trace anywhere."""
        s = self.s
        with s._session():
            saved_doc, saved_seq = s.doc.fork(s.doc.doc.get_actor()), s._seen_seq
            try:
                yield
            except BaseException:
                s.doc, s._seen_seq = saved_doc, saved_seq
                raise

    def _write(
        self,
        review: Review,
        action: str,
        fields: dict[str, Any],
        changes: dict[str, builtins.list[Any]],
        *,
        item: tuple[str, str, dict[str, Any]] | None = None,
        append: tuple[str, dict[str, Any]] | None = None,
        replace: dict[str, builtins.list[str]] | None = None,
    ) -> None:
        """Change a review in one automerge change, logged in its history: ``fields``
        (scalars; lists of scalars merge, so concurrent joins all survive), one map of a
        list (``item``: (list key, map id, fields)), a map appended to a list (``append``:
        (list key, map)), or lists put whole (``replace``: an order; the last writer wins)."""
        now, me = self.s.now(), self.s.me

        def run() -> set[tuple[str, str]]:
            with self.s.doc.transaction() as tx:
                for key, values in (replace or {}).items():
                    replace_list(tx, "reviews", review.id, key, values)
                if item is not None and not update_map_in_list(tx, "reviews", review.id, *item):
                    raise NotFound(f"review {review.id} has no {item[0]} entry {item[1]}")
                if append is not None:
                    append_map(tx, "reviews", review.id, *append)
                tx.update("reviews", review.id, {**fields, "updated_by": me, "updated_at": now})
                tx.log(
                    "reviews",
                    review.id,
                    HistoryEntry(review.id, "reviews", now, me, action, changes),
                )
            return {("reviews", review.id)}

        self.s._write(run)

    def _require_running(self, ref: str | None = None) -> Review:
        review = self._review(self.s.resolve(ref, ["reviews"])[1]) if ref else None
        if review is None:
            review = self._running()
        if review is None:
            ended = [r for r in self._all() if r.ended_at]
            if ended:
                last = ended[-1]
                raise RuleViolation(
                    f"no review is running: the last one ({last.id}) ended at "
                    f"{_hm(last.ended_at)}; start one with `teamboard review start`"
                )
            raise RuleViolation("no review is running; start one with `teamboard review start`")
        if review.ended_at:
            by = self.s.member_name(review.ended_by or review.facilitator)
            raise RuleViolation(
                f"review {review.id} already ended at {_hm(review.ended_at)} "
                f"(by {by}); its minutes are stored and nothing was changed"
            )
        return review

    def _facilitator_only(self, review: Review, what: str) -> None:
        if review.facilitator != self.s.me:
            raise RuleViolation(
                f"only the facilitator ({self.s.member_name(review.facilitator)}) can {what}"
            )

    def _present(self, review: Review, member: str = "") -> Review:
        """Whoever adds to a review is present: make them an attendee; returns the review."""
        who = member or self.s.me
        if who not in review.attendees:
            self._write(
                review,
                "joined",
                {"attendees": [*review.attendees, who]},
                {"attendees": [None, self.s.member_name(who)]},
            )
        return self._review(review.id)

    # ------------------------------------------------------------------ steps
    def start(
        self,
        attendees: Iterable[str] = (),
        next_review: str = "",
        timebox_seconds: int = DEFAULT_TIMEBOX,
        join: bool = False,
    ) -> Review:
        """Start a review with me as facilitator; its agenda is built from the board now.

        If a review is already running, raise RuleViolation naming its facilitator (or,
        with ``join``, join it as an attendee and return it)."""
        with self._atomic():
            running = self._running()
            if running is not None:
                if join:
                    return self._present(running)
                who = self.s.member_name(running.facilitator)
                raise RuleViolation(
                    f"a review is already running: {who} is facilitating {running.id} since "
                    f"{_hm(running.started_at)}; join it with `teamboard review join`"
                )
            if isinstance(timebox_seconds, bool) or not 10 <= timebox_seconds <= 3600:
                raise InvalidInput("the timebox must be between 10 seconds and 60 minutes")
            today = self.s.today()
            nxt = (
                self.s.parse_date(next_review)
                if next_review
                else (today + dt.timedelta(days=DEFAULT_NEXT_REVIEW_DAYS)).isoformat()
            )
            if nxt <= today.isoformat():
                raise InvalidInput(f"the next review ({nxt}) must be after today")
            people = [self.s.me] + [
                m for m in (self.s.resolve_member(a) for a in attendees) if m != self.s.me
            ]
            ended = sorted((r for r in self._all() if r.ended_at), key=lambda r: (r.ended_at, r.id))
            previous = ended[-1] if ended else None
            since = (previous.end_heads or previous.heads) if previous else []
            now = self.s.now()
            agenda = ra.build_agenda(
                self.s, nxt, heads_from_hex(since) if previous else None, self.s.me, now
            )
            review = Review(
                id=new_id(),
                title=f"Board review {today.isoformat()}",
                facilitator=self.s.me,
                attendees=list(dict.fromkeys(people)),
                started_at=now,
                heads=heads_hex(self.s.doc.heads()),
                previous=previous.id if previous else "",
                since_heads=list(since),
                next_review=nxt,
                timebox_seconds=timebox_seconds,
                sections=list(ra.DEFAULT_ORDER),
                agenda=agenda,
            )
            return self._review(self.s._create(review))

    def join(self) -> Review:
        """Join the running review as an attendee."""
        with self._atomic():
            return self._present(self._require_running())

    def next(self, target: str | None = None) -> AgendaItem | None:
        """Move everyone to the next open item (or to ``target``); None past the last one."""
        with self._atomic():
            review = self._require_running()
            self._facilitator_only(review, "move through the agenda")
            items = ra.ordered(review.agenda, review.sections)
            if target:
                chosen: AgendaItem | None = self.find_item(review, target)
            else:  # the next open item after the current one, else one never opened
                ids = [i.id for i in items]
                here = ids.index(review.current) if review.current in ids else -1
                open_ = [
                    (n, i)
                    for n, i in enumerate(items)
                    if not i.outcome
                    and not i.skipped
                    and i.section not in review.skipped
                    and n != here
                ]
                later = [i for n, i in open_ if n > here]
                unopened = [i for n, i in open_ if n < here and not i.started_at]
                chosen = (later + unopened)[0] if later or unopened else None
            if chosen is None:
                self._write(
                    review, "agenda done", {"current": ""}, {"current": [review.current, ""]}
                )
                return None
            item_fields = {} if chosen.started_at else {"started_at": self.s.now()}
            self._write(
                review,
                "opened",
                {"current": chosen.id},
                {"current": [review.current, chosen.title]},
                item=("agenda", chosen.id, item_fields),
            )
            return self.find_item(self._review(review.id), chosen.id)

    def add_item(self, title: str = "", ref: str = "", section: str = "other") -> AgendaItem:
        """Add a topic or a board item to the agenda (anyone present may)."""
        with self._atomic():
            review = self._require_running()
            if section not in SECTIONS:
                raise InvalidInput(f"unknown section {section!r} (one of: {', '.join(SECTIONS)})")
            review = self._present(review)
            now = self.s.now()
            if ref:
                record = self.s.get(ref, ["goals", "commitments", "agreements", "streams", "roles"])
                on = [i for i in ra.ordered(review.agenda, review.sections) if i.ref == record.id]
                if on:
                    raise RuleViolation(f"{record.label!r} is already on the agenda ({on[0].id})")
                reason = title.strip() or "added during the review"
                item = ra.item_for(self.s, section, record, reason, self.s.me, now)
            else:
                item = AgendaItem(
                    new_id(),
                    section,
                    validate_title(title, "agenda item"),
                    added_by=self.s.me,
                    added_at=now,
                )
            self._write(
                review,
                "item added",
                {},
                {"agenda": [None, item.title]},
                append=("agenda", item.to_dict()),
            )
            return item

    def skip(self, what: str, undo: bool = False) -> str:
        """Skip (or with ``undo`` restore) a section by name or one agenda item; returns
        what was skipped, for people."""
        with self._atomic():
            review = self._require_running()
            self._facilitator_only(review, "skip agenda items")
            if what in SECTIONS:
                skipped = [s for s in review.skipped if s != what] + ([] if undo else [what])
                self._write(
                    review,
                    "unskipped" if undo else "skipped",
                    {"skipped": skipped},
                    {"section": [None, what]},
                )
                return f"section {what} ({SECTIONS[what]})"
            item = self.find_item(review, what)
            self._write(
                review,
                "unskipped" if undo else "skipped",
                {},
                {"item": [None, item.title]},
                item=("agenda", item.id, {"skipped": not undo}),
            )
            return f"item {item.title!r}"

    def move_section(self, section: str, position: int) -> builtins.list[str]:
        """Put ``section`` at 1-based ``position`` of the order; returns the new order."""
        with self._atomic():
            review = self._require_running()
            self._facilitator_only(review, "reorder the agenda")
            if section not in SECTIONS:
                raise InvalidInput(f"unknown section {section!r} (one of: {', '.join(SECTIONS)})")
            order = [s for s in (review.sections or ra.DEFAULT_ORDER) if s != section]
            if not 1 <= position <= len(order) + 1:
                raise InvalidInput(f"position must be from 1 to {len(order) + 1}")
            order.insert(position - 1, section)
            self._write(
                review,
                "reordered",
                {},
                {"sections": [review.sections, order]},
                replace={"sections": order},
            )
            return order

    def add_round_line(
        self, round_: str, text: str, learned: str = "", member: str = "me", item: str = ""
    ) -> None:
        """My (or, for the facilitator, an attendee's) check-in or closing line. A second
        line from the same person in the same round replaces the first. With ``item``,
        what was learned is also recorded as a check-in on that board item."""
        with self._atomic():
            review = self._require_running()
            if round_ not in ra.ROUNDS:
                raise InvalidInput(f"a round is one of {', '.join(ra.ROUNDS)}, not {round_!r}")
            who = self.s.resolve_member(member)
            if who != self.s.me:
                self._facilitator_only(review, "write someone else's line")
            text = validate_title(text, f"{round_} line")
            if item:
                if not learned.strip():
                    raise InvalidInput("--item needs --learned: the learning to record on it")
                if who != self.s.me:
                    raise RuleViolation(
                        "a learning is recorded on an item by its author; ask them to add it"
                    )
                self.s.checkin(item, note=f"{SECTIONS[round_]}: {text}", learned=learned.strip())
            review = self._present(review, who)
            line = {
                "round": round_,
                "member": who,
                "text": text,
                "learned": learned.strip(),
                "item": self.s.get(item).id if item else "",
                "at": self.s.now(),
            }
            old = next(
                (r for r in review.rounds if r.get("round") == round_ and r.get("member") == who),
                None,
            )
            changes = {f"{round_} line": [None, self.s.member_name(who)]}
            if old is not None and old.get("id"):
                self._write(review, "line", {}, changes, item=("rounds", str(old["id"]), line))
            else:
                self._write(
                    review, "line", {}, changes, append=("rounds", {"id": new_id(), **line})
                )

    def record(
        self,
        item_ref: str,
        outcome: str,
        note: str = "",
        *,
        due: str = "",
        terms: str = "",
        title: str = "",
        by: str = "me",
        to: str = "",
        helped: str = "",
        improve: str = "",
        concerns: str = "",
        review_on: str = "",
    ) -> AgendaItem:
        """Record the outcome of an agenda item and apply it to the board, all or nothing.

        Raises InvalidInput for an item not on the agenda or arguments the outcome lacks,
        RuleViolation when the board's rules refuse the change or the item already has
        an outcome."""
        with self._atomic():
            review = self._require_running()
            self._facilitator_only(review, "record outcomes")
            item = self.find_item(review, item_ref)
            kind = outcome_name(outcome)
            if item.outcome:
                raise RuleViolation(
                    f"{item.title!r} already has an outcome ({item.outcome}, recorded by "
                    f"{self.s.member_name(item.recorded_by)}); add a new agenda item for another"
                )
            fields = apply_outcome(
                self.s,
                item,
                kind,
                note.strip(),
                due=due,
                terms=terms,
                title=title,
                by=by,
                to=to,
                helped=helped,
                improve=improve,
                concerns=concerns,
                review_on=review_on,
            )
            fields.update(
                outcome=kind, note=note.strip(), recorded_by=self.s.me, recorded_at=self.s.now()
            )
            self._write(
                self._review(review.id),
                "outcome",
                {},
                {"item": [None, item.title], "outcome": [None, kind]},
                item=("agenda", item.id, fields),
            )
            return self.find_item(self._review(review.id), item.id)

    def end(self, ref: str | None = None, force: bool = False) -> Review:
        """End the review: store its minutes in the board. Only the facilitator may, unless
        ``force`` (an attendee closing a review its facilitator left open)."""
        with self._atomic():
            review = self._require_running(ref)
            if not force:
                self._facilitator_only(review, "end the review (an attendee may use --force)")
            now = self.s.now()
            ended = Review(
                **{
                    **review.__dict__,
                    "ended_at": now,
                    "ended_by": self.s.me,
                    "current": "",
                    "duration_seconds": _seconds_between(review.started_at, now),
                }
            )
            ended.end_heads = heads_hex(self.s.doc.heads())
            minutes = render_minutes(self.s, ended)
            self._write(
                review,
                "ended",
                {
                    "ended_at": now,
                    "ended_by": self.s.me,
                    "current": "",
                    "end_heads": ended.end_heads,
                    "duration_seconds": ended.duration_seconds,
                    "minutes": minutes,
                },
                {"ended_at": [None, now]},
            )
            return self._review(review.id)

    def export_markdown(self, ref: str | None = None) -> str:
        """The minutes of a review as a Markdown document (rendered from the record, so
        lines merged in after it ended are included)."""
        return render_minutes(self.s, self.get(ref))


def parse_timebox(text: str) -> int:
    """Seconds from ``3m``, ``90s``, ``2m30s`` or a plain number of minutes; raises
    InvalidInput for anything else."""
    value = (text or "").strip().lower()
    if re.fullmatch(r"\d+", value):
        return int(value) * 60
    match = re.fullmatch(r"(?:(\d+)m)?\s*(?:(\d+)s)?", value)
    if not value or not match or not any(match.groups()):
        raise InvalidInput(f"bad timebox {text!r}: use minutes (3), 3m, 90s or 2m30s")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _seconds_between(start: str, end: str) -> int:
    elapsed = dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)
    return int(elapsed.total_seconds())


def _hm(stamp: str) -> str:
    """``YYYY-MM-DD HH:MM`` of a stored time."""
    return stamp[:16].replace("T", " ") + " UTC" if stamp else "?"
