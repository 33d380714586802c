"""The board's use cases that change it: adding items, editing, status changes, consent,
check-ins, archive/restore, focus, membership."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from board.document import BoardDocument, Heads, heads_hex
from board.events import BoardChanged
from board.lookups import Lookups
from board.model import (
    COMMITMENT_NEXT,
    FOCUS_LISTS,
    GOAL_NEXT,
    Agreement,
    AgreementStatus,
    Cadence,
    CheckIn,
    Commitment,
    Focus,
    Goal,
    HistoryEntry,
    InvalidInput,
    Kind,
    Member,
    NotFound,
    Record,
    Relation,
    Role,
    RuleViolation,
    Stream,
    check_transition,
    enum_value,
    validate_confidence,
    validate_progress,
    validate_title,
)
from board.service_core import new_id, use_case

LIST_FIELDS = {"owners", "members", "holders", "counterparts", "accountabilities", "values"}
FIELD_ALIASES = {
    "owner": "owners",
    "holder": "holders",
    "member": "members",
    "counterpart": "counterparts",
    "review-on": "review_on",
    "next-step": "next_step",
    "expect": "expectations",
    "accountability": "accountabilities",
}
SETTABLE = {
    "goal": {
        "title",
        "kind",
        "stream",
        "owners",
        "due",
        "status",
        "confidence",
        "metric",
        "start",
        "target",
        "current",
        "unit",
        "hypothesis",
        "next_step",
    },
    "commitment": {"title", "by", "to", "goal", "due", "status", "terms"},
    "agreement": {
        "title",
        "accountable",
        "counterparts",
        "expectations",
        "cadence",
        "review_on",
        "status",
    },
    "stream": {"title", "kind", "purpose", "members"},
    "role": {"title", "purpose", "stream", "holders", "accountabilities"},
}


class UseCases(Lookups):
    """Use cases that write to the board."""

    # ------------------------------------------------------------------ use cases: setup
    def create_board(self, team_name: str, my_name: str, cert_pem: str = "") -> None:
        """Fill an empty document with a new team and its first member (me)."""
        if self.doc.initialized:
            raise RuleViolation("this home already holds a board")
        team_name = validate_title(team_name, "team name")
        my_name = validate_title(my_name, "name")
        now = self.now()
        stamp = self._stamp_new()
        team = {"id": new_id(), "name": team_name, "values": [], **stamp, "archived": False}
        with self._session():
            self.doc = BoardDocument.create(self.doc.doc.get_actor(), team)
            before: Heads = []
            member = Member(id=self.me, name=my_name, cert=cert_pem, joined_at=now, **stamp)
            with self.doc.transaction() as tx:
                tx.create("members", self.me, member.to_dict())
                tx.log(
                    "members",
                    self.me,
                    HistoryEntry(
                        self.me, "members", now, self.me, "joined", {"name": [None, my_name]}
                    ),
                )
            self._store_local_changes(before)
            self._sync_read_model(None)
            self._pending.append(BoardChanged(frozenset(), "local", everything=True))

    @use_case
    def add_member(self, member_id: str, name: str, cert_pem: str, invited_by: str) -> None:
        """Record a new member (after an invite); names must stay unique."""
        name = validate_title(name, "name")
        if any(m.name.lower() == name.lower() for m in self.members() if m.id != member_id):
            raise RuleViolation(f"a member called {name!r} already exists; choose another name")
        if self.doc.read("members", member_id) is not None:
            return
        now = self.now()
        member = Member(
            id=member_id, name=name, cert=cert_pem, joined_at=now, invited_by=invited_by
        )
        self._create(member)

    @use_case
    def remove_member(self, ref: str) -> None:
        member_id = self.resolve_member(ref)
        member = self._get_member(member_id)
        if not member.active:
            raise RuleViolation(f"{member.name} was already removed")
        heads = heads_hex(self.doc.heads())
        self._update(
            "members",
            member_id,
            {"removed_at": self.now(), "removed_by": self.me, "removed_heads": heads},
            "removed",
        )

    @use_case
    def set_team_values(self, values: list[str]) -> None:
        self._update("team", "team", {"values": [validate_title(v, "value") for v in values]})

    # ------------------------------------------------------------------ use cases: items
    @use_case
    def add_stream(
        self,
        title: str,
        kind: str = "routine",
        purpose: str = "",
        members: Iterable[str] = (),
        customers: Iterable[str] = (),
        suppliers: Iterable[str] = (),
        partners: Iterable[str] = (),
    ) -> str:
        externals = [
            {"name": validate_title(n, "party name"), "relation": rel.value}
            for rel, names in (
                (Relation.CUSTOMER, customers),
                (Relation.SUPPLIER, suppliers),
                (Relation.PARTNER, partners),
            )
            for n in names
        ]
        return self._create(
            Stream(
                title=validate_title(title),
                kind=enum_value(Kind, kind, "kind"),
                purpose=purpose.strip(),
                members=_unique(self.resolve_member(m) for m in members),
                externals=externals,
            )
        )

    @use_case
    def add_role(
        self,
        title: str,
        stream: str = "",
        holders: Iterable[str] = (),
        accountabilities: Iterable[str] = (),
        purpose: str = "",
    ) -> str:
        return self._create(
            Role(
                title=validate_title(title),
                stream=self._resolve_stream(stream),
                holders=_unique(self.resolve_member(m) for m in holders),
                accountabilities=[a.strip() for a in accountabilities if a.strip()],
                purpose=purpose.strip(),
            )
        )

    @use_case
    def add_goal(
        self,
        title: str,
        kind: str = "routine",
        stream: str = "",
        owners: Iterable[str] = (),
        due: str = "",
        confidence: int | None = None,
        metric: str = "",
        target: float | None = None,
        start: float | None = None,
        unit: str = "",
        current: float | None = None,
        hypothesis: str = "",
        next_step: str = "",
    ) -> str:
        if metric and target is None:
            raise InvalidInput("a measure needs a target (--target N)")
        if target is not None and not metric:
            raise InvalidInput("a target needs a metric (--metric NAME)")
        owner_ids = _unique(self.resolve_member(m) for m in owners) or [self.me]
        return self._create(
            Goal(
                title=validate_title(title),
                kind=enum_value(Kind, kind, "kind"),
                stream=self._resolve_stream(stream),
                owners=owner_ids,
                due=self.parse_date(due),
                confidence=validate_confidence(confidence),
                metric=metric.strip(),
                target=_number(target),
                start=_number(start),
                current=_number(current if current is not None else start),
                unit=unit.strip(),
                hypothesis=hypothesis.strip(),
                next_step=next_step.strip(),
            )
        )

    @use_case
    def add_commitment(
        self, title: str, to: str, by: str = "me", goal: str = "", due: str = "", terms: str = ""
    ) -> str:
        to_kind, to_value = self.resolve_party(to)
        by_id = self.resolve_member(by)
        if to_kind == "member" and to_value == by_id:
            raise InvalidInput("a commitment is a promise to someone else; --to names yourself")
        return self._create(
            Commitment(
                title=validate_title(title),
                by=by_id,
                to=to_value,
                to_kind=to_kind,
                goal=self._resolve_goal(goal),
                due=self.parse_date(due),
                terms=terms.strip(),
            )
        )

    @use_case
    def add_agreement(
        self,
        title: str,
        counterparts: Iterable[str],
        accountable: str = "me",
        expectations: str = "",
        cadence: str = "monthly",
        review_on: str = "",
    ) -> str:
        accountable_id = self.resolve_member(accountable)
        others = _unique(self.resolve_member(m) for m in counterparts)
        others = [m for m in others if m != accountable_id]
        if not others:
            raise InvalidInput(
                "an agreement needs at least one counterpart other than the accountable member"
            )
        cadence_value = enum_value(Cadence, cadence, "cadence")
        review = (
            self.parse_date(review_on)
            if review_on
            else (self.today() + dt.timedelta(days=Cadence(cadence_value).days)).isoformat()
        )
        return self._create(
            Agreement(
                title=validate_title(title),
                accountable=accountable_id,
                counterparts=others,
                expectations=expectations.strip(),
                cadence=cadence_value,
                review_on=review,
            )
        )

    # ------------------------------------------------------------------ use cases: changes
    @use_case
    def set_field(self, ref: str, field: str, value: str) -> None:
        """`teamboard set ID FIELD VALUE`: parse ``value`` for the field and apply it."""
        collection, record_id = self.resolve(ref)
        record = self.get(record_id, [collection])
        name = FIELD_ALIASES.get(field.lower(), field.lower().replace("-", "_"))
        allowed = SETTABLE.get(record.TYPE, set())
        if name not in allowed:
            options = ", ".join(sorted(allowed)) or "none"
            raise InvalidInput(
                f"a {record.TYPE} has no settable field {field!r} (fields: {options})"
            )
        if name == "status":
            self.set_status(record_id, value)
            return
        self.edit(record_id, **{name: self._parse_field(record, name, value)})

    def _parse_field(self, record: Record, name: str, value: str) -> Any:
        if name in ("due", "review_on"):
            return self.parse_date(value)
        if name == "confidence":
            try:
                return int(value)
            except ValueError:
                raise InvalidInput(
                    f"confidence must be a whole number from 1 to 10, not {value!r}"
                ) from None
        if name in ("start", "target", "current"):
            try:
                return float(value) if value.strip() else None
            except ValueError:
                raise InvalidInput(f"{name} must be a number, not {value!r}") from None
        if name in LIST_FIELDS:
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @use_case
    def edit(self, ref: str, **fields: Any) -> None:
        """Change several fields of an item at once (validated; ids resolved)."""
        collection, record_id = self.resolve(ref)
        record = self.get(record_id, [collection])
        if record.archived:
            raise RuleViolation(f"{record.TYPE} {record_id} is archived; restore it first")
        clean: dict[str, Any] = {}
        allowed = SETTABLE.get(record.TYPE, set()) - {"status"}
        for name, value in fields.items():
            if name not in allowed:
                raise InvalidInput(f"a {record.TYPE} has no editable field {name!r}")
            clean[name] = self._validate_field(record, name, value)
        if isinstance(record, Commitment) and "to" in clean:
            clean["to_kind"], clean["to"] = clean["to"]
        self._update(collection, record_id, clean)

    def _validate_field(self, record: Record, name: str, value: Any) -> Any:
        if name == "title":
            return validate_title(str(value))
        if name == "kind":
            return enum_value(Kind, str(value), "kind")
        if name == "cadence":
            return enum_value(Cadence, str(value), "cadence")
        if name == "confidence":
            return validate_confidence(None if value in ("", None) else value)
        if name in ("due", "review_on"):
            return self.parse_date(str(value)) if value else ""
        if name in ("start", "target", "current"):
            return _number(value)
        if name in ("owners", "members", "holders", "counterparts"):
            ids = _unique(self.resolve_member(m) for m in value)
            if name == "owners" and not ids:
                raise InvalidInput("a goal needs at least one owner")
            if name == "counterparts" and not ids:
                raise InvalidInput("an agreement needs at least one counterpart")
            return ids
        if name in ("by", "accountable"):
            return self.resolve_member(str(value))
        if name == "to":
            return self.resolve_party(str(value))
        if name == "stream":
            return self._resolve_stream(str(value))
        if name == "goal":
            return self._resolve_goal(str(value))
        if name == "accountabilities":
            return [str(v).strip() for v in value if str(v).strip()]
        return str(value).strip()

    @use_case
    def set_status(self, ref: str, status: str) -> None:
        """Move an item to ``status``; invalid transitions raise RuleViolation with a reason."""
        collection, record_id = self.resolve(ref, ["goals", "commitments", "agreements"])
        record = _with_status(self.get(record_id, [collection]))
        if record.archived:
            raise RuleViolation(f"{record.TYPE} {record_id} is archived; restore it first")
        current = str(record.status)
        check_transition(record.TYPE, current, status.strip().lower())
        self._update(collection, record_id, {"status": status.strip().lower()}, "status")

    @use_case
    def advance(self, ref: str) -> str:
        """Move an item one step along its happy path; returns the new status."""
        record = _with_status(self.get(ref, ["goals", "commitments", "agreements"]))
        status = str(record.status)
        if isinstance(record, Commitment):
            nxt = COMMITMENT_NEXT.get(record.status)  # type: ignore[call-overload]
        elif isinstance(record, Goal):
            nxt = GOAL_NEXT.get(record.status)  # type: ignore[call-overload]
        else:
            nxt = {"active": "under_review", "under_review": "active"}.get(status)
            if status == "draft":
                raise RuleViolation(
                    "a draft agreement becomes active when every party has consented"
                )
        if nxt is None:
            raise RuleViolation(f"a {status} {record.TYPE} has no next status")
        self.set_status(record.id, str(nxt))
        return str(nxt)

    @use_case
    def consent(self, ref: str) -> bool:
        """I consent to an agreement; returns True when that made it active."""
        collection, record_id = self.resolve(ref, ["agreements"])
        agreement = self.get(record_id, [collection])
        assert isinstance(agreement, Agreement)
        if agreement.archived or agreement.status == AgreementStatus.RETIRED.value:
            raise RuleViolation("this agreement is retired or archived; consent is closed")
        if self.me not in agreement.parties:
            names = ", ".join(self.member_name(p) for p in agreement.parties)
            raise RuleViolation(f"only the parties to this agreement can consent ({names})")
        if self.me in agreement.consents:
            raise RuleViolation("you have already consented to this agreement")
        consents = {**agreement.consents, self.me: self.now()}
        activates = all(p in consents for p in agreement.parties)
        fields: dict[str, Any] = {"consents": {self.me: consents[self.me]}}
        if activates and agreement.status == AgreementStatus.DRAFT.value:
            fields["status"] = AgreementStatus.ACTIVE.value
        self._update(collection, record_id, fields, "consented")
        return activates

    @use_case
    def checkin(
        self,
        ref: str,
        progress: int | None = None,
        confidence: int | None = None,
        note: str = "",
        learned: str = "",
    ) -> str:
        """Record a check-in on a goal, commitment or agreement; returns its id."""
        collection, item_id = self.resolve(ref, ["goals", "commitments", "agreements"])
        validate_progress(progress)
        validate_confidence(confidence)
        if progress is None and confidence is None and not note.strip() and not learned.strip():
            raise InvalidInput(
                "a check-in needs at least one of progress, confidence, note or learned"
            )
        now = self.now()
        checkin = CheckIn(
            id=new_id(),
            item=item_id,
            by=self.me,
            at=now,
            progress=progress,
            confidence=confidence,
            note=note.strip(),
            learned=learned.strip(),
            **self._stamp_new(),
        )
        summary: dict[str, list[Any]] = {"check-in": [None, checkin.id]}
        if progress is not None:
            summary["progress"] = [None, progress]
        if confidence is not None:
            summary["confidence"] = [None, confidence]
        item_fields: dict[str, Any] = {"updated_by": self.me, "updated_at": now}
        if collection == "goals" and confidence is not None:
            item_fields["confidence"] = confidence

        def action() -> set[tuple[str, str]]:
            with self.doc.transaction() as tx:
                tx.create("checkins", checkin.id, checkin.to_dict())
                tx.log(
                    "checkins",
                    checkin.id,
                    HistoryEntry(
                        checkin.id, "checkins", now, self.me, "created", {"item": [None, item_id]}
                    ),
                )
                tx.update(collection, item_id, item_fields)
                tx.log(
                    collection,
                    item_id,
                    HistoryEntry(item_id, collection, now, self.me, "checked in", summary),
                )
            return {("checkins", checkin.id), (collection, item_id)}

        self._write(action)
        return checkin.id

    @use_case
    def archive(self, ref: str) -> None:
        collection, record_id = self.resolve(ref)
        record = self.get(record_id, [collection])
        if record.archived:
            raise RuleViolation(f"{record.TYPE} {record_id} is already archived")
        self._update(collection, record_id, {"archived": True}, "archived")

    @use_case
    def restore(self, ref: str) -> None:
        collection, record_id = self.resolve(ref)
        record = self.get(record_id, [collection])
        if not record.archived:
            raise RuleViolation(f"{record.TYPE} {record_id} is not archived")
        self._update(collection, record_id, {"archived": False}, "restored")

    # ------------------------------------------------------------------ focus
    @use_case
    def set_focus(self, lists: dict[str, list[dict[str, str]]], member: str = "me") -> None:
        """Replace some of my focus / challenge / avoid lists (entries: text + tradeoff)."""
        member_id = self.resolve_member(member)
        if member_id != self.me:
            raise RuleViolation(
                f"focus lists are personal: only {self.member_name(member_id)} can edit theirs"
            )
        clean: dict[str, Any] = {}
        for name, entries in lists.items():
            if name not in FOCUS_LISTS:
                raise InvalidInput(
                    f"unknown focus list {name!r} (one of: {', '.join(FOCUS_LISTS)})"
                )
            clean[name] = [
                {
                    "text": validate_title(e.get("text", ""), f"{name} entry"),
                    "tradeoff": str(e.get("tradeoff", "")).strip(),
                }
                for e in entries
            ]
        if self.doc.read("focus", self.me) is None:
            self._create(Focus(id=self.me, member=self.me, **clean))
        else:
            self._update("focus", self.me, clean, "focus")

    @use_case
    def add_focus(self, list_name: str, text: str, tradeoff: str = "", member: str = "me") -> None:
        current = self.focus(member)
        if list_name not in FOCUS_LISTS:
            raise InvalidInput(
                f"unknown focus list {list_name!r} (one of: {', '.join(FOCUS_LISTS)})"
            )
        entries = list(getattr(current, list_name)) + [{"text": text, "tradeoff": tradeoff}]
        self.set_focus({list_name: entries}, member)

    @use_case
    def remove_focus(self, list_name: str, text: str, member: str = "me") -> None:
        current = self.focus(member)
        if list_name not in FOCUS_LISTS:
            raise InvalidInput(
                f"unknown focus list {list_name!r} (one of: {', '.join(FOCUS_LISTS)})"
            )
        entries = [e for e in getattr(current, list_name) if e.get("text") != text]
        if len(entries) == len(getattr(current, list_name)):
            raise NotFound(f"no {list_name} entry {text!r}")
        self.set_focus({list_name: entries}, member)


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"not a number: {value!r}") from None


def _with_status(record: Record) -> Goal | Commitment | Agreement:
    """``record`` as one of the items that have a status (goal, commitment, agreement)."""
    if not isinstance(record, (Goal, Commitment, Agreement)):
        raise InvalidInput(f"a {record.TYPE} has no status")
    return record
