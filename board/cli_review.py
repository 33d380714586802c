"""`teamboard review …`: run a facilitated board review from the command line.

Every step of a review has a command, so a review can be scripted and tested::

    teamboard review start --attendee Ben --attendee Chen
    teamboard review agenda
    teamboard review next
    teamboard review record 2 --outcome renegotiated --due +1w --note "after the holidays"
    teamboard review end
    teamboard review export REVIEW --format markdown -o minutes.md

Agenda items are named by their number in ``review agenda``, their id (or a unique prefix)
or the id of the board item they are about.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from board.export import write_atomically
from board.model import InvalidInput, Review
from board.review_agenda import ROUNDS, SECTIONS, AgendaItem, ordered
from board.review_outcomes import OUTCOMES
from board.reviews import Position, ReviewService, parse_timebox

if TYPE_CHECKING:
    from board.cli import Ctx


def _reviews(obj: Ctx) -> ReviewService:
    return ReviewService(obj.service)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _clock(seconds: int) -> str:
    minutes, rest = divmod(abs(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _timebox(pos: Position) -> str:
    box = pos.review.timebox_seconds
    if pos.remaining is None:
        return f"timebox {_clock(box)}"
    if pos.remaining >= 0:
        return f"{_clock(pos.remaining)} left of {_clock(box)}"
    return f"over time by {_clock(pos.remaining)} (timebox {_clock(box)})"


def _status(review: Review) -> str:
    if review.ended_at:
        minutes = round((review.duration_seconds or 0) / 60)
        return f"ended {review.ended_at[:16].replace('T', ' ')} UTC ({minutes} min)"
    return "running" if review.running else "archived"


def _mark(review: Review, item: AgendaItem) -> str:
    if item.id == review.current and not review.ended_at:
        return "▶"
    if item.outcome:
        return "✓"
    if item.skipped or item.section in review.skipped:
        return "–"
    return " "


@click.group("review")
def review() -> None:
    """Facilitated board reviews: agenda from the board, outcomes, minutes."""


@review.command("start")
@click.option(
    "--attendee", "attendees", multiple=True, help="An attendee besides you (repeatable)."
)
@click.option(
    "--next-review",
    default="",
    help="Date of the next review (default: in 14 days); "
    "commitments due by then are on the agenda.",
)
@click.option(
    "--timebox", default="3m", show_default=True, help="Time per agenda item: 3m, 90s, 5 (minutes)."
)
@click.option("--join", is_flag=True, help="If a review is already running, join it instead.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def start(
    obj: Ctx, attendees: tuple[str, ...], next_review: str, timebox: str, join: bool, as_json: bool
) -> None:
    """Start a review: you facilitate; the agenda is built from the board now."""
    r = _reviews(obj).start(attendees, next_review, parse_timebox(timebox), join=join)
    if as_json:
        _json(r.to_dict())
        return
    joined = r.facilitator != obj.service.me
    click.echo(
        f"{r.id}  {'joined' if joined else 'started'} {r.title} "
        f"(facilitator {obj.service.member_name(r.facilitator)}, "
        f"{len(r.agenda)} agenda items, next review {r.next_review})"
    )


@review.command("join")
@click.pass_obj
def join_(obj: Ctx) -> None:
    """Join the running review as an attendee."""
    r = _reviews(obj).join()
    click.echo(f"{r.id}  joined; {obj.service.member_name(r.facilitator)} is facilitating")


@review.command("agenda")
@click.argument("review_id", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def agenda(obj: Ctx, review_id: str | None, as_json: bool) -> None:
    """The agenda, section by section (▶ current, ✓ outcome recorded, – skipped)."""
    rs = _reviews(obj)
    r = rs.get(review_id)
    items = ordered(r.agenda, r.sections)
    if as_json:
        _json(
            {
                "review": r.id,
                "current": r.current,
                "sections": r.sections,
                "skipped": r.skipped,
                "items": [{"number": n, **i.to_dict()} for n, i in enumerate(items, 1)],
            }
        )
        return
    name = obj.service.member_name
    click.echo(f"{r.title} — {r.id} — facilitator {name(r.facilitator)} — {_status(r)}")
    section = None
    for number, item in enumerate(items, 1):
        if item.section != section:
            section = item.section
            skipped = " (skipped)" if section in r.skipped else ""
            click.echo(f"{SECTIONS.get(section, section)}{skipped}")
        reason = f" — {item.reason}" if item.reason else ""
        outcome = f"  [{item.outcome}]" if item.outcome else ""
        click.echo(f" {_mark(r, item)}{number:>3}  {item.id}  {item.title}{reason}{outcome}")
        if item.is_round:
            for line in (x for x in r.rounds if x.get("round") == item.section):
                learned = f" (learned: {line['learned']})" if line.get("learned") else ""
                who = name(str(line["member"]))
                click.echo(f"            {who}: {line.get('text', '')}{learned}")


def _print_position(obj: Ctx, pos: Position) -> None:
    """The current item with its details, check-ins and history."""
    s, r, item = obj.service, pos.review, pos.item
    if item is None:
        state = "has ended" if r.ended_at else "has no current item (use `teamboard review next`)"
        click.echo(f"{r.title} {state}")
        return
    section = SECTIONS.get(item.section, item.section)
    click.echo(f"▶ {pos.index}/{pos.total}  {section}  ({_timebox(pos)})")
    click.echo(f"  {item.title}" + (f" — {item.reason}" if item.reason else ""))
    if item.detail:
        click.echo(f"  {item.detail}")
    if item.is_round:
        said = {str(x.get("member")): x for x in r.rounds if x.get("round") == item.section}
        for member in r.attendees:
            line = said.get(member)
            text = str(line.get("text", "")) if line else "—"
            if line and line.get("learned"):
                text += f" (learned: {line['learned']})"
            click.echo(f"    {s.member_name(member)}: {text}")
    if item.ref:
        from board.cli import _summary

        for c in s.checkins_for(item.ref)[-3:]:
            bits = (
                f"confidence {c.confidence}" if c.confidence else "",
                c.note,
                f"learned: {c.learned}" if c.learned else "",
            )
            click.echo(
                f"  check-in {c.at[:10]} {s.member_name(c.by)}: " + "; ".join(b for b in bits if b)
            )
        for h in s.history(item.ref)[-5:]:
            when = h.at[:16].replace("T", " ")
            click.echo(f"  {when}  {h.author(s.member_name)} {h.action}: {_summary(s, h)}")
    if item.outcome:
        detail = f" — {item.outcome_detail}" if item.outcome_detail else ""
        click.echo(f"  outcome: {item.outcome}{detail}")


def _position_json(pos: Position) -> dict[str, Any]:
    return {
        "review": pos.review.id,
        "ended": bool(pos.review.ended_at),
        "index": pos.index,
        "total": pos.total,
        "remaining_seconds": pos.remaining,
        "timebox_seconds": pos.review.timebox_seconds,
        "item": pos.item.to_dict() if pos.item else None,
    }


@review.command("next")
@click.argument("item", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def next_(obj: Ctx, item: str | None, as_json: bool) -> None:
    """Move everyone to the next open agenda item (or to ITEM); shows it."""
    rs = _reviews(obj)
    rs.next(item)
    pos = rs.current()
    if as_json:
        _json(_position_json(pos))
    elif pos.item is None:
        click.echo(
            "End of the agenda: every item is done or skipped; `teamboard review end` "
            "stores the minutes"
        )
    else:
        _print_position(obj, pos)


@review.command("current")
@click.argument("review_id", required=False)
@click.option(
    "--follow",
    is_flag=True,
    help="Keep showing the current item as it changes, until the review ends.",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.01, 60),
    default=1.0,
    show_default=True,
    help="Seconds between looks at the board when following.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def current(obj: Ctx, review_id: str | None, follow: bool, interval: float, as_json: bool) -> None:
    """The item under discussion and its timebox (follow mode with --follow)."""
    rs = _reviews(obj)
    shown: tuple[Any, ...] | None = None
    while True:
        pos = rs.current(review_id)
        review_id = pos.review.id
        key = (
            pos.item.id if pos.item else "",
            pos.item.outcome if pos.item else "",
            bool(pos.review.ended_at),
            len(pos.review.rounds),
        )
        if key != shown:
            shown = key
            if as_json:
                click.echo(json.dumps(_position_json(pos), ensure_ascii=False))
            else:
                _print_position(obj, pos)
        if not follow or pos.review.ended_at:
            return
        time.sleep(interval)
        obj.service.refresh()


@review.command("record")
@click.argument("item")
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES), help="What was decided.")
@click.option("--note", default="", help="A note; for `decision` the decision itself.")
@click.option("--due", default="", help="renegotiated / new-commitment: the (new) due date.")
@click.option("--terms", default="", help="renegotiated: the new terms.")
@click.option("--title", default="", help="new-commitment: what is promised.")
@click.option("--by", default="me", show_default=True, help="new-commitment: who commits.")
@click.option("--to", "to", default="", help="new-commitment: to whom (member, stream, party).")
@click.option("--helped", default="", help="agreement-reviewed: how has it helped?")
@click.option("--improve", default="", help="agreement-reviewed: how could it improve?")
@click.option("--concerns", default="", help="agreement-reviewed: any reason not to continue?")
@click.option(
    "--review-on",
    default="",
    help="agreement-reviewed: its next review date (default: one cadence ahead).",
)
@click.pass_obj
def record(
    obj: Ctx,
    item: str,
    outcome: str,
    note: str,
    due: str,
    terms: str,
    title: str,
    by: str,
    to: str,
    helped: str,
    improve: str,
    concerns: str,
    review_on: str,
) -> None:
    """Record the outcome of an agenda item; the board changes in the same step."""
    done = _reviews(obj).record(
        item,
        outcome,
        note,
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
    detail = f" — {done.outcome_detail}" if done.outcome_detail else ""
    click.echo(f"{done.id}  {done.title}: {done.outcome}{detail}")
    if done.result:
        click.echo(done.result)


@review.command("add")
@click.argument("title", required=False, default="")
@click.option("--ref", default="", help="A board item (goal, commitment, agreement…) to discuss.")
@click.option("--section", type=click.Choice(list(SECTIONS)), default="other", show_default=True)
@click.pass_obj
def add(obj: Ctx, title: str, ref: str, section: str) -> None:
    """Add an agenda item: a topic TITLE, or a board item with --ref (anyone present)."""
    if not title and not ref:
        raise InvalidInput("say what to add: a TITLE, or --ref ID for a board item")
    item = _reviews(obj).add_item(title, ref, section)
    click.echo(f"{item.id}  {item.title}")


@review.command("skip")
@click.argument("what")
@click.option("--undo", is_flag=True, help="Bring the section or item back.")
@click.pass_obj
def skip(obj: Ctx, what: str, undo: bool) -> None:
    """Skip a section (by name: checkin, due, proposed, agreements, goals, changes, other,
    closing) or one agenda item."""
    done = _reviews(obj).skip(what, undo)
    click.echo(f"{'restored' if undo else 'skipped'} {done}")


@review.command("move")
@click.argument("section", type=click.Choice(list(SECTIONS)))
@click.argument("position", type=click.IntRange(1))
@click.pass_obj
def move(obj: Ctx, section: str, position: int) -> None:
    """Move a section to POSITION (1 = first) in the agenda."""
    click.echo(" → ".join(_reviews(obj).move_section(section, position)))


def _round_command(round_: str) -> click.Command:
    @click.command(
        round_,
        help=f"Add your line to the {SECTIONS[round_].lower()} "
        "(the facilitator may add one for an attendee with --member).",
    )
    @click.argument("text")
    @click.option("--learned", default="", help="What you learned.")
    @click.option("--member", default="me", show_default=True, help="Whose line it is.")
    @click.option("--item", default="", help="Also record the learning as a check-in on this item.")
    @click.pass_obj
    def command(obj: Ctx, text: str, learned: str, member: str, item: str) -> None:
        _reviews(obj).add_round_line(round_, text, learned, member, item)
        who = obj.service.member_name(obj.service.resolve_member(member))
        click.echo(f"{SECTIONS[round_]}: {who} — {text}")

    return command


for _round in ROUNDS:
    review.add_command(_round_command(_round))


@review.command("end")
@click.argument("review_id", required=False)
@click.option("--force", is_flag=True, help="End a review someone else facilitates (if they left).")
@click.pass_obj
def end(obj: Ctx, review_id: str | None, force: bool) -> None:
    """End the running review and store its minutes in the board."""
    r = _reviews(obj).end(review_id, force)
    recorded = sum(1 for i in r.agenda if i.get("outcome"))
    click.echo(
        f"{r.id}  ended after {round((r.duration_seconds or 0) / 60)} min; {recorded} of "
        f"{len(r.agenda)} items have an outcome; minutes stored "
        f"(`teamboard review export {r.id}`)"
    )


@review.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_(obj: Ctx, as_json: bool) -> None:
    """Past and running reviews, oldest first."""
    reviews = _reviews(obj).list()
    if as_json:
        _json([r.to_dict() for r in reviews])
        return
    if not reviews:
        click.echo("No reviews yet.")
    for r in reviews:
        done = sum(1 for i in r.agenda if i.get("outcome"))
        click.echo(
            f"{r.id}  {r.started_at[:16].replace('T', ' ')}  "
            f"{obj.service.member_name(r.facilitator):<10} {_status(r)}; "
            f"{done}/{len(r.agenda)} outcomes"
        )


@review.command("export")
@click.argument("review_id", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to FILE instead of standard output.",
)
@click.pass_obj
def export(obj: Ctx, review_id: str | None, fmt: str, output: Path | None) -> None:
    """A review's minutes as Markdown (or its whole record as JSON)."""
    rs = _reviews(obj)
    if fmt == "json":
        text = json.dumps(rs.get(review_id).to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = rs.export_markdown(review_id)
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(output, text.encode("utf-8"))
    click.echo(f"wrote {output}", err=True)
