"""The minutes of a board review as a Markdown document, rendered from the review record.

Names, titles, dates and times only (no ids), so that the minutes read well on paper and
the same review renders the same text on every member's machine.
"""

from __future__ import annotations

from typing import Any

from board.model import Review
from board.review_agenda import ROUNDS, SECTIONS, AgendaItem, ordered
from board.service import BoardService


def render_minutes(service: BoardService, review: Review) -> str:
    """Markdown minutes: attendees, each item's outcome, decisions, new commitments,
    learnings and duration."""
    name = service.member_name
    team = service.team().name
    items = ordered(review.agenda, review.sections)
    out = [f"# {review.title or 'Board review'} — {team}", ""]
    out.append(f"- **Facilitator:** {name(review.facilitator)}")
    out.append(f"- **Attendees:** {', '.join(name(m) for m in review.attendees)}")
    out.append(f"- **Started:** {_when(review.started_at)}")
    if review.ended_at:
        minutes = round((review.duration_seconds or 0) / 60)
        out.append(f"- **Ended:** {_when(review.ended_at)} ({minutes} min)")
    else:
        out.append("- **Ended:** not yet (in progress)")
    out.append(f"- **Timebox per item:** {_duration(review.timebox_seconds)}")
    out.append(f"- **Next review:** {review.next_review or '—'}")
    previous = service.doc.read("reviews", review.previous) if review.previous else None
    since = (
        f"the review of {str(previous.get('started_at', ''))[:10]}"
        if previous
        else "nothing (the first review)"
    )
    out += [f"- **Changes since:** {since}", ""]

    order = [s for s in review.sections if s in SECTIONS] + [
        s for s in dict.fromkeys(i.section for i in items) if s not in review.sections
    ]
    for section in order:
        in_section = [i for i in items if i.section == section]
        if not in_section:
            continue
        out += [f"## {SECTIONS.get(section, section.capitalize())}", ""]
        if section in review.skipped:
            out += ["*Skipped.*", ""]
            continue
        for item in in_section:
            if item.is_round:
                out += _round(service, review, item)
            else:
                out += _item(service, item)
        out.append("")

    decisions = [i for i in items if i.outcome == "decision"]
    if decisions:
        out += ["## Decisions", ""] + [f"- {i.note} *({i.title})*" for i in decisions] + [""]
    made = [i for i in items if i.outcome == "new-commitment"]
    if made:
        out += ["## New commitments", ""] + [f"- {i.outcome_detail}" for i in made] + [""]
    learned = [r for r in _lines(review) if r.get("learned")]
    if learned:
        out += ["## Learnings", ""]
        out += [f"- **{name(str(r['member']))}:** {r['learned']}" for r in learned] + [""]
    return "\n".join(out).rstrip() + "\n"


def _lines(review: Review) -> list[dict[str, Any]]:
    """Round lines, check-in round first, each round in the order they were said."""
    rank = {r: i for i, r in enumerate(ROUNDS)}
    return sorted(
        review.rounds, key=lambda r: (rank.get(str(r.get("round")), 9), str(r.get("at", "")))
    )


def _round(service: BoardService, review: Review, item: AgendaItem) -> list[str]:
    """A check-in or closing round: one line per attendee, noting who gave none."""
    lines = [r for r in _lines(review) if r.get("round") == item.section]
    said = {str(r.get("member")) for r in lines}
    out = []
    for r in lines:
        learned = f" — *learned:* {r['learned']}" if r.get("learned") else ""
        out.append(f"- **{service.member_name(str(r['member']))}:** {r.get('text', '')}{learned}")
    out += [f"- **{service.member_name(m)}:** —" for m in review.attendees if m not in said]
    if item.outcome or item.skipped:
        out.append(f"- {_outcome(service, item)}")
    return out


def _item(service: BoardService, item: AgendaItem) -> list[str]:
    """One agenda item: what it is, why it was there, its outcome."""
    why = f" — {item.reason}" if item.reason else ""
    added = f" *(added by {service.member_name(item.added_by)})*" if item.section == "other" else ""
    out = [f"- **{item.title}**{why}{added}"]
    if item.detail:
        out.append(f"  - {item.detail}")
    out.append(f"  - {_outcome(service, item)}")
    if item.outcome == "agreement-reviewed":
        out.append(f"  - How it has helped: {item.helped}")
        out.append(f"  - How it could improve: {item.improve}")
        out.append(f"  - Reasons not to continue: {item.concerns}")
    return out


def _outcome(service: BoardService, item: AgendaItem) -> str:
    if item.skipped and not item.outcome:
        return "Outcome: *skipped*"
    if not item.outcome:
        return "Outcome: *none recorded*"
    text = f"Outcome: **{item.outcome}**"
    if item.outcome_detail and item.outcome != "new-commitment":
        text += f" — {item.outcome_detail}"
    elif item.outcome == "new-commitment":
        text += f": {item.outcome_detail}"
    if item.note and item.outcome != "decision":
        text += f" — note: {item.note}"
    elif item.outcome == "decision":
        text += f": {item.note}"
    return text + f" *({service.member_name(item.recorded_by)}, {item.recorded_at[11:16]})*"


def _when(stamp: str) -> str:
    return stamp[:16].replace("T", " ") + " UTC" if stamp else "—"


def _duration(seconds: int) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")
