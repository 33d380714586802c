"""The forms for goals, commitments, agreements and check-ins (new and edit)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from board.model import (
    Agreement,
    Cadence,
    Commitment,
    Goal,
    InvalidInput,
    Kind,
    Record,
    validate_confidence,
    validate_progress,
    validate_title,
)
from board.service import BoardService
from board.ui.screens.form import FieldSpec, FormScreen, parse_int, parse_number, split_names
from board.ui.text import number

KIND_OPTIONS = [("↻ routine", Kind.ROUTINE.value), ("△ change", Kind.CHANGE.value)]
CADENCE_OPTIONS = [(c.value, c.value) for c in Cadence]
DATE_HINT = "YYYY-MM-DD, +3d, friday…"
R = TypeVar("R", bound=Record)


def whole_number(
    values: dict[str, str],
    errors: dict[str, str],
    name: str,
    validate: Callable[[int | None], int | None],
) -> int | None:
    """The field ``name`` as a whole number that ``validate`` accepts (None when empty);
    what is wrong with it goes into ``errors``."""
    return FormScreen.guard(errors, name, lambda: validate(parse_int(values[name], name)))


class ItemForm(FormScreen):
    """Shared by the item forms: ``record`` is None for a new item."""

    KIND = ""

    def __init__(self, record: Record | None = None) -> None:
        self.record = record
        super().__init__()
        self.heading = f"{'Edit' if record else 'New'} {self.KIND}"

    def shown(self, kind: type[R], **blank: Any) -> R:
        """The record the form edits, or a new ``kind`` made of ``blank`` (the defaults a
        new item starts from)."""
        return self.record if isinstance(self.record, kind) else kind(**blank)

    def add_or_edit(
        self, service: BoardService, add: Callable[..., str], fields: dict[str, Any]
    ) -> str:
        """Add the new item with ``add(**fields)``, or edit the one the form opened with;
        returns its id."""
        if self.record is None:
            return add(**fields)
        service.edit(self.record.id, **fields)
        return self.record.id

    def names(self, ids: list[str]) -> str:
        return ", ".join(self.tb.directory.name(i) for i in ids)

    def member_names(self) -> list[str]:
        return [m.name for m in self.tb.directory.members]

    def check_date(self, values: dict[str, str], errors: dict[str, str], name: str) -> str:
        return self.guard(errors, name, lambda: self.service.parse_date(values[name])) or ""

    def check_members(self, values: dict[str, str], errors: dict[str, str], name: str) -> list[str]:
        ids = []
        for member in split_names(values[name]):
            found = self.guard(errors, name, partial(self.service.resolve_member, member))
            if found:
                ids.append(found)
        return ids


class GoalForm(ItemForm):
    KIND = "goal"

    def specs(self) -> list[FieldSpec]:
        g = self.shown(Goal, owners=[self.tb.directory.me])
        streams = [(s.title, s.id) for s in self.tb.directory.streams]
        return [
            FieldSpec("title", "Title", g.title, "the outcome, in a few words"),
            FieldSpec("kind", "Kind", g.kind, options=KIND_OPTIONS),
            FieldSpec("stream", "Stream", g.stream, "no stream", options=streams),
            FieldSpec(
                "owners",
                "Owners",
                self.names(g.owners),
                "names, comma-separated",
                suggestions=self.member_names(),
                keywords=("owner", "member"),
            ),
            FieldSpec("due", "Due", g.due, DATE_HINT, keywords=("date",)),
            FieldSpec("confidence", "Confidence", str(g.confidence or ""), "1–10"),
            FieldSpec("metric", "Metric", g.metric, "what you measure (optional)"),
            FieldSpec("start", "Start", number(g.start) if g.start is not None else ""),
            FieldSpec("target", "Target", number(g.target) if g.target is not None else ""),
            FieldSpec("unit", "Unit", g.unit, "%, min, …"),
            FieldSpec("hypothesis", "Hypothesis", g.hypothesis, "change work: what you believe"),
            FieldSpec("next_step", "Next step", g.next_step, "change work: the next experiment"),
        ]

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        parsed: dict[str, Any] = dict(values)
        parsed["title"] = self.guard(errors, "title", lambda: validate_title(values["title"]))
        parsed["owners"] = self.check_members(values, errors, "owners")
        if not parsed["owners"] and "owners" not in errors:
            errors["owners"] = "a goal needs at least one owner"
        parsed["due"] = self.check_date(values, errors, "due")
        parsed["confidence"] = whole_number(values, errors, "confidence", validate_confidence)
        for name in ("start", "target"):
            parsed[name] = self.guard(errors, name, partial(parse_number, values[name], name))
        metric = values["metric"].strip()
        if metric and parsed["target"] is None and "target" not in errors:
            errors["target"] = "a measure needs a target"
        if parsed["target"] is not None and not metric:
            errors["metric"] = "a target needs a metric"
        return parsed

    def save(self, service: BoardService, p: dict[str, Any]) -> str:
        fields = {
            k: p[k]
            for k in (
                "title",
                "kind",
                "stream",
                "owners",
                "due",
                "confidence",
                "metric",
                "start",
                "target",
                "unit",
                "hypothesis",
                "next_step",
            )
        }
        return self.add_or_edit(service, service.add_goal, fields)


class CommitmentForm(ItemForm):
    KIND = "commitment"

    def specs(self) -> list[FieldSpec]:
        c = self.shown(Commitment, by=self.tb.directory.me)
        d = self.tb.directory
        to = d.party(c)
        parties = self.member_names() + [s.title for s in d.streams]
        return [
            FieldSpec("title", "Title", c.title, "what you promise"),
            FieldSpec(
                "to",
                "To",
                to,
                "a member, a stream or an outside party",
                suggestions=parties,
                keywords=("to ", "yourself", "stream", "party"),
            ),
            FieldSpec(
                "by",
                "By",
                d.name(c.by),
                "who promises",
                suggestions=self.member_names(),
                keywords=("member",),
            ),
            FieldSpec("goal", "Goal", self.goal_title(c.goal), "goal title or id (optional)"),
            FieldSpec("due", "Due", c.due, DATE_HINT, keywords=("date",)),
            FieldSpec("terms", "Terms", c.terms, "conditions (optional)"),
        ]

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        parsed: dict[str, Any] = dict(values)
        s = self.service
        parsed["title"] = self.guard(errors, "title", lambda: validate_title(values["title"]))
        by = self.guard(errors, "by", lambda: s.resolve_member(values["by"] or "me"))
        to = self.guard(errors, "to", lambda: s.resolve_party(values["to"]))
        if to is not None and to == ("member", by):
            errors["to"] = "a commitment is a promise to someone else, not to yourself"
        parsed["goal"] = self.guard(errors, "goal", lambda: self.resolve_goal(values["goal"]))
        parsed["due"] = self.check_date(values, errors, "due")
        parsed["by"] = by
        return parsed

    def goal_title(self, goal_id: str) -> str:
        if not goal_id:
            return ""
        try:
            return self.service.get(goal_id, ["goals"]).label
        except InvalidInput:
            return goal_id

    def resolve_goal(self, ref: str) -> str:
        ref = ref.strip()
        if not ref:
            return ""
        titled = [g.id for g in self.service.list("goals") if g.label.lower() == ref.lower()]
        if len(titled) == 1:
            return titled[0]
        if len(titled) > 1:
            raise InvalidInput(f"several goals are called {ref!r}; use the goal's id")
        return self.service.resolve(ref, ["goals"])[1]

    def save(self, service: BoardService, p: dict[str, Any]) -> str:
        fields = {k: p[k] for k in ("title", "to", "by", "goal", "due", "terms")}
        return self.add_or_edit(service, service.add_commitment, fields)


class AgreementForm(ItemForm):
    KIND = "agreement"

    def specs(self) -> list[FieldSpec]:
        a = self.shown(Agreement, accountable=self.tb.directory.me)
        return [
            FieldSpec("title", "Title", a.title, "what the agreement is about"),
            FieldSpec(
                "accountable",
                "Accountable",
                self.tb.directory.name(a.accountable),
                suggestions=self.member_names(),
                keywords=("accountable",),
            ),
            FieldSpec(
                "counterparts",
                "Held by",
                self.names(a.counterparts),
                "members who hold them to it, comma-separated",
                suggestions=self.member_names(),
                keywords=("counterpart", "member"),
            ),
            FieldSpec("expectations", "Expects", a.expectations, "what is expected, concretely"),
            FieldSpec("cadence", "Checked", a.cadence, options=CADENCE_OPTIONS),
            FieldSpec(
                "review_on",
                "Review on",
                a.review_on,
                "default: one cadence from today",
                keywords=("date",),
            ),
        ]

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        parsed: dict[str, Any] = dict(values)
        s = self.service
        parsed["title"] = self.guard(errors, "title", lambda: validate_title(values["title"]))
        accountable = self.guard(
            errors, "accountable", lambda: s.resolve_member(values["accountable"] or "me")
        )
        others = [m for m in self.check_members(values, errors, "counterparts") if m != accountable]
        if not others and "counterparts" not in errors:
            errors["counterparts"] = (
                "an agreement needs at least one counterpart other than the accountable member"
            )
        parsed.update(accountable=accountable, counterparts=others)
        parsed["review_on"] = self.check_date(values, errors, "review_on")
        return parsed

    def save(self, service: BoardService, p: dict[str, Any]) -> str:
        fields = {
            k: p[k]
            for k in (
                "title",
                "accountable",
                "counterparts",
                "expectations",
                "cadence",
                "review_on",
            )
        }
        if self.record is not None and not fields["review_on"]:
            del fields["review_on"]  # an edit with no date keeps the review date
        return self.add_or_edit(service, service.add_agreement, fields)


class CheckInForm(FormScreen):
    """A check-in on a goal, commitment or agreement."""

    def __init__(self, record: Record) -> None:
        self.record = record
        super().__init__()
        self.heading = f"Check in: {record.label}"

    def specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("progress", "Progress %", "", "0–100"),
            FieldSpec("confidence", "Confidence", "", "1–10: will it happen?"),
            FieldSpec("note", "Note", "", "what happened"),
            FieldSpec("learned", "Learned", "", "what you learned"),
        ]

    def check(self, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
        parsed: dict[str, Any] = dict(values)
        parsed["progress"] = whole_number(values, errors, "progress", validate_progress)
        parsed["confidence"] = whole_number(values, errors, "confidence", validate_confidence)
        if not errors and not any(values[k].strip() for k in values):
            errors["progress"] = (
                "a check-in needs at least one of progress, confidence, note or learned"
            )
        return parsed

    def save(self, service: BoardService, p: dict[str, Any]) -> str:
        return service.checkin(
            self.record.id,
            progress=p["progress"],
            confidence=p["confidence"],
            note=p["note"],
            learned=p["learned"],
        )


FORMS: dict[str, type[ItemForm]] = {
    "goal": GoalForm,
    "commitment": CommitmentForm,
    "agreement": AgreementForm,
}


def form_for(kind: str, record: Record | None = None) -> ItemForm:
    """The form that adds (or, given ``record``, edits) an item of ``kind``."""
    return FORMS[kind](record)
