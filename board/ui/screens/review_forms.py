"""The forms of a board review: start one, record an outcome (one form per kind of
outcome), add an agenda item, add a check-in or closing line.

Fields are checked on the UI thread with the service's own parsers and lookups; the step
itself runs in a worker through :class:`board.reviews.ReviewService`, and whatever the
service still refuses is shown in the form, next to the field it is about."""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from board.model import InvalidInput, RuleViolation, validate_title
from board.review_agenda import ROUNDS, SECTIONS, AgendaItem
from board.reviews import DEFAULT_TIMEBOX, ReviewService, parse_timebox
from board.service import BoardService
from board.ui.screens.dialogs import ChoiceScreen
from board.ui.screens.form import FieldSpec, FormScreen, split_names
from board.ui.screens.forms import DATE_HINT

# Each outcome: the key that picks it, and what it does to each kind of agenda item.
OUTCOME_KEYS = {
    "kept": "k",
    "done": "d",
    "renegotiated": "r",
    "dropped": "x",
    "new-commitment": "n",
    "agreement-reviewed": "v",
    "decision": "t",
}
EFFECTS = {
    ("kept", ""): "nothing on the board changes",
    ("done", "commitment"): "the commitment becomes done",
    ("done", "goal"): "the goal becomes achieved",
    ("done", ""): "the round or topic is done",
    ("renegotiated", "commitment"): "a new due date or terms; it becomes renegotiated",
    ("dropped", "commitment"): "the commitment becomes dropped",
    ("dropped", "goal"): "the goal becomes dropped",
    ("dropped", "agreement"): "the agreement is retired",
    ("dropped", ""): "the topic is dropped",
    ("new-commitment", ""): "a new commitment: who to whom, by when",
    ("agreement-reviewed", "agreement"): "the three questions, and the next review date",
    ("decision", ""): "a decision in words; nothing else changes",
}
ANY_ITEM = ("kept", "new-commitment", "decision")  # fit every agenda item


def outcomes_for(item: AgendaItem) -> list[tuple[str, str]]:
    """(outcome, what it does) for the outcomes that fit ``item``, in the usual order."""
    kind = item.ref_type if item.ref_type in ("commitment", "goal", "agreement") else ""
    if item.ref and not kind:  # a stream or a role: nothing with a status
        kind = "other"
    found = []
    for outcome in OUTCOME_KEYS:
        effect = EFFECTS.get((outcome, kind))
        if effect is None and outcome in ANY_ITEM:
            effect = EFFECTS[(outcome, "")]
        if effect:
            found.append((outcome, effect))
    return found


class StartReviewForm(FormScreen):
    """Start a board review: who attends, the timebox per item, the next review's date."""

    heading = "Start a board review (you facilitate)"

    def specs(self) -> list[FieldSpec]:
        d = self.tb.directory
        others = [m.name for m in d.members if m.id != d.me]
        return [
            FieldSpec(
                "attendees",
                "Attendees",
                ", ".join(others),
                "names, comma-separated (you are in)",
                suggestions=others,
                keywords=("member", "attendee"),
            ),
            FieldSpec(
                "timebox",
                "Timebox",
                f"{DEFAULT_TIMEBOX // 60}m",
                "per agenda item: 3m, 90s, 5",
                keywords=("timebox",),
            ),
            FieldSpec(
                "next_review",
                "Next review",
                "",
                "default: in 14 days (due before it: on the agenda)",
                keywords=("next review", "date"),
            ),
        ]

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        s = self.service
        attendees: list[str] = []
        for name in split_names(values["attendees"]):
            found = self.guard(errors, "attendees", partial(s.resolve_member, name))
            if found:
                attendees.append(found)
        timebox = self.guard(errors, "timebox", lambda: parse_timebox(values["timebox"]))
        if timebox is not None and not 10 <= timebox <= 3600:
            errors["timebox"] = "the timebox must be between 10 seconds and 60 minutes"
        nxt = self.guard(errors, "next_review", lambda: s.parse_date(values["next_review"]))
        if nxt and nxt <= s.today().isoformat():
            errors["next_review"] = f"the next review ({nxt}) must be after today"
        return {"attendees": attendees, "timebox": timebox, "next_review": nxt or ""}

    def save(self, service: BoardService, p: dict[str, Any]) -> str:
        return start_review(service, p["attendees"], p["timebox"], p["next_review"])


def start_review(
    service: BoardService, attendees: list[str], timebox: int, next_review: str
) -> str:
    """Start a review with me facilitating and open its first item; returns its id.

    Raises RuleViolation naming the facilitator when a review is already running."""
    rs = ReviewService(service)
    running = rs.running()
    if running is not None:
        raise RuleViolation(already_running(service, running.facilitator, running.started_at))
    review = rs.start(attendees, next_review, timebox)
    rs.next()
    return review.id


def already_running(service: BoardService, facilitator: str, started_at: str) -> str:
    who = "you are" if facilitator == service.me else f"{service.member_name(facilitator)} is"
    return (
        f"a review is already running: {who} facilitating it since {started_at[11:16]} UTC; "
        "join it instead (j in Reviews)"
    )


class OutcomeChooser(ChoiceScreen):
    """Pick the outcome of an agenda item (only those that fit it are offered)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss_none", "Cancel"),
        *[Binding(key, f"pick('{kind}')", kind, show=False) for kind, key in OUTCOME_KEYS.items()],
    ]

    def __init__(self, item: AgendaItem) -> None:
        super().__init__()
        self.item = item
        self.kinds = outcomes_for(item)

    def compose(self) -> ComposeResult:
        options = [
            Option(
                Text.assemble(
                    (f"{OUTCOME_KEYS[kind]}  {kind.replace('-', ' ')}".ljust(23), "bold"),
                    (effect, "italic"),
                ),
                id=kind,
            )
            for kind, effect in self.kinds
        ]
        with Vertical(id="outcome-kinds", classes="dialog") as box:
            box.border_title = f"Outcome of: {self.item.title}"
            yield OptionList(*options, id="outcomes")

    def offers(self, choice: str) -> bool:
        return any(k == choice for k, _ in self.kinds)


class OutcomeForm(FormScreen):
    """Record one kind of outcome for the item; the board changes in the same step."""

    def __init__(self, kind: str, item: AgendaItem) -> None:
        self.kind = kind
        self.item = item
        super().__init__()
        self.heading = f"{kind.replace('-', ' ').capitalize()}: {item.title}"

    def specs(self) -> list[FieldSpec]:
        d = self.tb.directory
        people = [m.name for m in d.members]
        note = FieldSpec("note", "Note", "", "optional", keywords=("note",))
        if self.kind == "renegotiated":
            return [
                FieldSpec("due", "New due", "", DATE_HINT, keywords=("due", "date")),
                FieldSpec(
                    "terms", "New terms", "", "what changes in the promise", keywords=("terms",)
                ),
                note,
            ]
        if self.kind == "new-commitment":
            parties = people + [s.title for s in d.streams]
            return [
                FieldSpec("title", "Title", "", "what is promised", keywords=("title",)),
                FieldSpec(
                    "by",
                    "By",
                    d.name(d.me),
                    "who commits",
                    suggestions=people,
                    keywords=("--by", "member"),
                ),
                FieldSpec(
                    "to",
                    "To",
                    "",
                    "to whom: a member, a stream or an outside party",
                    suggestions=parties,
                    keywords=("--to", "yourself", "party", "stream"),
                ),
                FieldSpec("due", "Due", "", DATE_HINT, keywords=("due", "date")),
                FieldSpec("terms", "Terms", "", "conditions (optional)", keywords=("terms",)),
                note,
            ]
        if self.kind == "agreement-reviewed":
            return [
                FieldSpec("helped", "Helped?", "", "how has it helped?", keywords=("helped",)),
                FieldSpec(
                    "improve", "Improve?", "", "how could it improve?", keywords=("improve",)
                ),
                FieldSpec(
                    "concerns",
                    "Continue?",
                    "",
                    "any reason not to continue? ('none')",
                    keywords=("concerns", "continue"),
                ),
                FieldSpec(
                    "review_on",
                    "Next review",
                    "",
                    "default: one cadence ahead",
                    keywords=("next review", "date"),
                ),
                FieldSpec("note", "Learned", "", "what the team learned (optional)"),
            ]
        if self.kind == "decision":
            return [FieldSpec("note", "Decision", "", "what the team decided", keywords=("note",))]
        return [note]

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        s = self.service
        parsed: dict[str, Any] = {k: v.strip() for k, v in values.items()}
        if "due" in values:
            parsed["due"] = self.guard(errors, "due", lambda: s.parse_date(values["due"])) or ""
        if self.kind == "renegotiated" and not parsed["due"] and not parsed["terms"]:
            errors.setdefault("due", "give a new due date or new terms (or both)")
        if self.kind == "new-commitment":
            self.guard(errors, "title", lambda: validate_title(values["title"], "commitment"))
            by = self.guard(errors, "by", lambda: s.resolve_member(values["by"] or "me"))
            to = self.guard(errors, "to", lambda: s.resolve_party(values["to"]))
            if to is not None and to == ("member", by):
                errors["to"] = "a commitment is a promise to someone else, not to yourself"
            parsed["by"] = by or "me"
        if self.kind == "agreement-reviewed":
            for name in ("helped", "improve", "concerns"):
                if not parsed[name]:
                    errors[name] = "answer this question (say 'none' if there is nothing)"
            nxt = self.guard(errors, "review_on", lambda: s.parse_date(values["review_on"]))
            if nxt and nxt <= s.today().isoformat():
                errors["review_on"] = f"the next review ({nxt}) must be after today"
            parsed["review_on"] = nxt or ""
        if self.kind == "decision" and not parsed["note"]:
            errors["note"] = "write the decision down"
        return parsed

    def save(self, service: BoardService, p: dict[str, Any]) -> str:
        args = {k: v for k, v in p.items() if k != "note"}
        done = ReviewService(service).record(self.item.id, self.kind, p.get("note", ""), **args)
        return done.id


class AddItemForm(FormScreen):
    """Add an agenda item: a topic, or a board item to discuss (anyone present)."""

    heading = "Add an agenda item"

    def specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("title", "Topic", "", "what to discuss", keywords=("title", "topic")),
            FieldSpec(
                "ref",
                "Board item",
                "",
                "optional: a goal, commitment or agreement (title or id)",
                keywords=("item", "id", "already on the agenda"),
            ),
            FieldSpec(
                "section",
                "Section",
                "other",
                options=[(label, key) for key, label in SECTIONS.items() if key not in ROUNDS],
            ),
        ]

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        title, ref = values["title"].strip(), values["ref"].strip()
        if not title and not ref:
            errors["title"] = "say what to discuss: a topic, or a board item below"
        found = self.guard(errors, "ref", lambda: self.resolve_item(ref)) if ref else ""
        return {"title": title, "ref": found or "", "section": values["section"] or "other"}

    def resolve_item(self, ref: str) -> str:
        """A board item's id from its title (exact, any case) or an id prefix."""
        s = self.service
        kinds = ("goals", "commitments", "agreements")
        titled = [r.id for k in kinds for r in s.list(k) if r.label.lower() == ref.lower()]
        if len(titled) == 1:
            return titled[0]
        if len(titled) > 1:
            raise InvalidInput(f"several items are called {ref!r}; use the item's id")
        return s.resolve(ref, [*kinds, "streams", "roles"])[1]

    def save(self, service: BoardService, p: dict[str, Any]) -> str:
        return ReviewService(service).add_item(p["title"], p["ref"], p["section"]).id


class RoundLineForm(FormScreen):
    """My line in the check-in or closing round (the facilitator may write an attendee's)."""

    def __init__(self, round_: str, facilitating: bool, attendees: list[str]) -> None:
        self.round = round_
        self.facilitating = facilitating
        self.attendees = attendees
        super().__init__()
        self.heading = "A check-in or closing line"

    def specs(self) -> list[FieldSpec]:
        specs = [
            FieldSpec("round", "Round", self.round, options=[(SECTIONS[r], r) for r in ROUNDS]),
            FieldSpec(
                "text", "Line", "", "one line: how you are, what you take away", keywords=("line",)
            ),
            FieldSpec(
                "learned",
                "Learned",
                "",
                "what you learned (optional)",
                keywords=("learned", "learning"),
            ),
        ]
        if self.facilitating:
            me = self.tb.directory.name(self.tb.directory.me)
            specs.append(
                FieldSpec(
                    "member",
                    "Whose line",
                    me,
                    "an attendee's name",
                    suggestions=self.attendees,
                    keywords=("member",),
                )
            )
        return specs

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        label = f"{values['round'] or 'round'} line"
        text = self.guard(errors, "text", lambda: validate_title(values["text"], label))
        member = "me"
        if values.get("member", "").strip():
            member = (
                self.guard(errors, "member", lambda: self.service.resolve_member(values["member"]))
                or "me"
            )
        return {
            "round": values["round"] or "checkin",
            "text": text,
            "member": member,
            "learned": values["learned"].strip(),
        }

    def save(self, service: BoardService, p: dict[str, Any]) -> str:
        ReviewService(service).add_round_line(p["round"], p["text"], p["learned"], p["member"])
        return str(p["round"])
