"""The `teamboard` command: click commands that call the board service.

Exit codes: 0 success, 1 refused or failed at run time, 2 bad usage or invalid input.
Errors are one line on stderr (``teamboard: error: ...``), never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from board.export import FORMATS, describe, export
from board.model import (
    FOCUS_LISTS,
    Agreement,
    BoardError,
    HistoryEntry,
    InvalidInput,
    Member,
    Record,
)
from board.service import BoardService
from board.workspace import Workspace, default_home, has_board

LISTS = ("goals", "commitments", "agreements", "streams", "roles", "members", "reviews", "checkins")


class CliError(click.ClickException):
    """A one-line error with an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code  # click's ``exit_code`` is a class variable, so not set per error


def _fail(message: str, code: int) -> NoReturn:
    one_line = " ".join(str(message).split())
    click.echo(f"teamboard: error: {one_line}", err=True)
    sys.exit(code)


class TeamboardGroup(click.Group):
    """Turns every error into one clear stderr line and the contract's exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name or "teamboard",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            sys.exit(2)
        except click.UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            _fail(exc.format_message().replace("\n", " ") + hint, 2)
        except CliError as exc:
            _fail(exc.format_message(), exc.code)
        except InvalidInput as exc:
            _fail(str(exc), 2)
        except BoardError as exc:
            _fail(str(exc), 1)
        except click.exceptions.Abort:
            _fail("aborted", 1)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except OSError as exc:
            _fail(f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}", 1)
        except KeyboardInterrupt:
            _fail("interrupted", 1)
        except Exception as exc:  # a bug: still one line, the details only when asked
            if os.environ.get("TEAMBOARD_DEBUG"):
                raise
            _fail(
                f"unexpected error ({type(exc).__name__}: {exc}); "
                "set TEAMBOARD_DEBUG=1 for details",
                1,
            )
        if isinstance(rv, int) and standalone_mode:
            sys.exit(rv)
        if standalone_mode:
            sys.exit(0)
        return rv


class Ctx:
    """Per-invocation state: the chosen home, opened lazily."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._ws: Workspace | None = None

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            self._ws = Workspace.open(self.home)
        return self._ws

    @property
    def service(self) -> BoardService:
        return self.ws.service

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()


pass_ctx = click.make_pass_decorator(Ctx)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(
    cls=TeamboardGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="TEAMBOARD_HOME",
    help="Home directory holding the board and identity (default: the platform's user "
    "data directory; env TEAMBOARD_HOME).",
)
@click.version_option(package_name="teamboard")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """teamboard: a peer-to-peer, offline-first board for self-managing teams.

    With no command, opens the terminal UI on the board in the home directory.
    """
    ctx.obj = Ctx(Path(home) if home else default_home())
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        _run_ui(ctx.obj.home)


def _run_ui(home: Path) -> None:
    from board.ui.app import run_ui  # imported late: only the UI needs Textual

    run_ui(home)


# ---------------------------------------------------------------------- setup


@cli.command()
@click.option("--team", required=True, help="Name of the new team.")
@click.option("--name", required=True, help="Your name as teammates will see it.")
@click.pass_obj
def init(obj: Ctx, team: str, name: str) -> None:
    """Create a new identity and team board in the home directory."""
    if has_board(obj.home):
        raise CliError(f"{obj.home} already holds a board; use another --home", 1)
    ws = Workspace.init(obj.home, team, name)
    obj._ws = ws
    click.echo(f"Created team {ws.service.team().name!r} in {obj.home}")
    click.echo(f"You are {name} ({ws.identity.member_id})")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def whoami(obj: Ctx, as_json: bool) -> None:
    """Who you are on this board."""
    s = obj.service
    me = s.member("me")
    data = {
        "id": me.id,
        "type": "member",
        "name": me.name,
        "team": s.team().name,
        "team_id": s.team().id,
        "home": str(obj.home),
        "fingerprint": obj.ws.identity.fingerprint,
    }
    if as_json:
        _emit_json(data)
    else:
        click.echo(f"{me.name} ({me.id}) on team {data['team']} — home {obj.home}")


# ---------------------------------------------------------------------- add


@cli.group()
def add() -> None:
    """Add a stream, role, goal, commitment or agreement (prints the new id)."""


def _print_added(obj: Ctx, new_id: str, as_json: bool) -> None:
    if as_json:
        _emit_json(obj.service.get(new_id).to_dict())
    else:
        click.echo(new_id)


KIND = click.Choice(["routine", "change"])
JSON_FLAG = click.option(
    "--json", "as_json", is_flag=True, help="Print the whole new record as JSON."
)


@add.command("stream")
@click.argument("title")
@click.option("--kind", type=KIND, default="routine", show_default=True)
@click.option("--purpose", default="", help="Why the stream exists.")
@click.option("--member", "members", multiple=True, help="A member in the stream (repeatable).")
@click.option("--customer", "customers", multiple=True, help="An external customer (repeatable).")
@click.option("--supplier", "suppliers", multiple=True, help="An external supplier (repeatable).")
@click.option("--partner", "partners", multiple=True, help="An external partner (repeatable).")
@JSON_FLAG
@pass_ctx
def add_stream(
    obj: Ctx,
    title: str,
    kind: str,
    purpose: str,
    members: tuple[str, ...],
    customers: tuple[str, ...],
    suppliers: tuple[str, ...],
    partners: tuple[str, ...],
    as_json: bool,
) -> None:
    """Add a work stream of the value network."""
    _print_added(
        obj,
        obj.service.add_stream(title, kind, purpose, members, customers, suppliers, partners),
        as_json,
    )


@add.command("role")
@click.argument("title")
@click.option("--stream", default="", help="The stream the role serves.")
@click.option("--holder", "holders", multiple=True, help="A member holding the role (repeatable).")
@click.option("--accountability", "accountabilities", multiple=True, help="Repeatable.")
@click.option("--purpose", default="")
@JSON_FLAG
@pass_ctx
def add_role(
    obj: Ctx,
    title: str,
    stream: str,
    holders: tuple[str, ...],
    accountabilities: tuple[str, ...],
    purpose: str,
    as_json: bool,
) -> None:
    """Add a role."""
    _print_added(
        obj, obj.service.add_role(title, stream, holders, accountabilities, purpose), as_json
    )


@add.command("goal")
@click.argument("title")
@click.option("--kind", type=KIND, default="routine", show_default=True)
@click.option("--stream", default="", help="Stream id or title.")
@click.option("--owner", "owners", multiple=True, help="Owner (repeatable; default: me).")
@click.option("--due", default="", help="YYYY-MM-DD, today, +3d, friday, …")
@click.option("--confidence", type=click.IntRange(1, 10), default=None, help="1–10.")
@click.option("--metric", default="", help="What the measure counts.")
@click.option("--target", type=float, default=None)
@click.option("--start", type=float, default=None)
@click.option("--unit", default="")
@click.option("--hypothesis", default="", help="For change goals: what you expect to learn.")
@JSON_FLAG
@pass_ctx
def add_goal(
    obj: Ctx,
    title: str,
    kind: str,
    stream: str,
    owners: tuple[str, ...],
    due: str,
    confidence: int | None,
    metric: str,
    target: float | None,
    start: float | None,
    unit: str,
    hypothesis: str,
    as_json: bool,
) -> None:
    """Add a goal (routine or change), optionally with a measure."""
    _print_added(
        obj,
        obj.service.add_goal(
            title,
            kind,
            stream,
            owners,
            due,
            confidence,
            metric,
            target,
            start,
            unit,
            hypothesis=hypothesis,
        ),
        as_json,
    )


@add.command("commitment")
@click.argument("title")
@click.option("--to", "to", required=True, help="A member, a stream, or an external party's name.")
@click.option("--by", default="me", show_default=True, help="The member making the promise.")
@click.option("--goal", default="", help="The goal it serves (id).")
@click.option("--due", default="")
@click.option("--terms", default="", help="What exactly is promised.")
@JSON_FLAG
@pass_ctx
def add_commitment(
    obj: Ctx, title: str, to: str, by: str, goal: str, due: str, terms: str, as_json: bool
) -> None:
    """Add a commitment from one party to another (starts as proposed)."""
    _print_added(obj, obj.service.add_commitment(title, to, by, goal, due, terms), as_json)


@add.command("agreement")
@click.argument("title")
@click.option("--to", "to", required=True, help="Counterpart member(s), comma-separated.")
@click.option("--accountable", default="me", show_default=True)
@click.option("--expect", "expect", default="", help="The expectations.")
@click.option(
    "--cadence",
    type=click.Choice(["weekly", "fortnightly", "monthly", "quarterly"]),
    default="monthly",
    show_default=True,
)
@click.option("--review-on", default="", help="First review date (default: one cadence ahead).")
@JSON_FLAG
@pass_ctx
def add_agreement(
    obj: Ctx,
    title: str,
    to: str,
    accountable: str,
    expect: str,
    cadence: str,
    review_on: str,
    as_json: bool,
) -> None:
    """Add an accountability agreement (draft until every party consents)."""
    counterparts = [p.strip() for p in to.split(",") if p.strip()]
    _print_added(
        obj,
        obj.service.add_agreement(title, counterparts, accountable, expect, cadence, review_on),
        as_json,
    )


# ---------------------------------------------------------------------- read


def _row(service: BoardService, record: Record) -> str:
    arch = " (archived)" if record.archived else ""
    if isinstance(record, Member):
        return f"{record.id}  {record.name}{' (removed)' if record.removed_at else ''}"
    return f"{record.id}  {record.TYPE:<10}  {describe(service, record)}{arch}"


@cli.command("list")
@click.argument("what", type=click.Choice(LISTS), required=False)
@click.option("--mine", is_flag=True, help="Only what I take part in.")
@click.option("--status", default=None, help="Only items with this status.")
@click.option("--archived", is_flag=True, help="Include archived items.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def list_(
    obj: Ctx, what: str | None, mine: bool, status: str | None, archived: bool, as_json: bool
) -> None:
    """List items (default: goals, commitments and agreements)."""
    s = obj.service
    kinds = [what] if what else ["goals", "commitments", "agreements"]
    records: list[Record] = []
    for collection in kinds:
        records += s.list(collection, mine=mine, status=status, include_archived=archived)
    if as_json:
        _emit_json([r.to_dict() for r in records])
        return
    if not records:
        click.echo("Nothing to list.")
    for r in records:
        click.echo(_row(s, r))


@cli.command()
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def show(obj: Ctx, item_id: str, as_json: bool) -> None:
    """Show one item with its check-ins and history (IDs may be any unique prefix)."""
    s = obj.service
    record = s.get(item_id)
    checkins = s.checkins_for(record.id)
    history = s.history(record.id)
    if as_json:
        _emit_json(
            {
                **record.to_dict(),
                "checkins": [c.to_dict() for c in checkins],
                "history": [h.to_dict() for h in history],
            }
        )
        return
    click.echo(f"{record.TYPE} {record.id}: {record.label}")
    for key, value in record.to_dict().items():
        if key in ("id", "type", "title") or value in (None, "", [], {}):
            continue
        click.echo(f"  {key:<16} {_show_value(s, key, value)}")
    if isinstance(record, Agreement):
        missing = ", ".join(s.member_name(m) for m in record.missing_consents) or "nobody"
        click.echo(f"  {'waiting for':<16} {missing}")
    if checkins:
        click.echo("check-ins:")
        for c in checkins:
            click.echo(f"  {describe(s, c)}" + (f" — learned: {c.learned}" if c.learned else ""))
    click.echo("history:")
    for h in history:
        click.echo(
            f"  {h.at[:16].replace('T', ' ')}  {h.author(s.member_name):<10} {h.action:<10} {_summary(s, h)}"
        )


PEOPLE_FIELDS = {
    "owners",
    "members",
    "holders",
    "counterparts",
    "by",
    "accountable",
    "created_by",
    "updated_by",
    "member",
    "invited_by",
    "removed_by",
}


def _show_value(s: BoardService, key: str, value: Any) -> str:
    if key in PEOPLE_FIELDS:
        ids = value if isinstance(value, list) else [value]
        return ", ".join(s.member_name(i) for i in ids)
    if key == "consents":
        return ", ".join(f"{s.member_name(m)} {t[:10]}" for m, t in value.items())
    if key == "externals":
        return ", ".join(f"{e['name']} ({e['relation']})" for e in value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _summary(s: BoardService, entry: HistoryEntry) -> str:
    """The entry's changes with member ids shown as names (a commitment's ``to`` too, when
    it is a member: a stream or an outside party stays as it is)."""
    named = {
        key: [
            _show_value(s, key, v)
            if key in PEOPLE_FIELDS and v
            else s.member_name(v)
            if key == "to" and isinstance(v, str) and v
            else v
            for v in values
        ]
        for key, values in entry.changes.items()
    }
    return HistoryEntry(entry.item, entry.type, entry.at, entry.by, entry.action, named).summary()


@cli.command()
@click.argument("item_id", required=False)
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="How many entries of the whole board's history.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def history(obj: Ctx, item_id: str | None, limit: int, as_json: bool) -> None:
    """Who changed what and when: one item's history, or the board's latest changes."""
    s = obj.service
    entries = s.history(item_id, None if item_id else limit)
    if as_json:
        _emit_json([h.to_dict() for h in entries])
        return
    for h in entries:
        what = "" if item_id else f"{h.type:<10} {h.item} {h.title[:30]!r} "
        click.echo(
            f"{h.at[:16].replace('T', ' ')}  {h.author(s.member_name):<10} {what}{h.action}: {_summary(s, h)}"
        )


# ---------------------------------------------------------------------- change


@cli.command("set")
@click.argument("item_id")
@click.argument("field")
@click.argument("value")
@pass_ctx
def set_(obj: Ctx, item_id: str, field: str, value: str) -> None:
    """Change one field of an item: status, title, due, owner, confidence, …"""
    obj.service.set_field(item_id, field, value)
    record = obj.service.get(item_id)
    click.echo(
        f"{record.id} {field} = {getattr(record, 'status', '') if field == 'status' else value}"
    )


@cli.command()
@click.argument("item_id")
@click.option("--progress", type=click.IntRange(0, 100), default=None, help="Percent done, 0–100.")
@click.option("--confidence", type=click.IntRange(1, 10), default=None, help="1–10.")
@click.option("--note", default="")
@click.option("--learned", default="", help="What you learned.")
@pass_ctx
def checkin(
    obj: Ctx, item_id: str, progress: int | None, confidence: int | None, note: str, learned: str
) -> None:
    """Record progress on a goal, commitment or agreement."""
    click.echo(obj.service.checkin(item_id, progress, confidence, note, learned))


@cli.command()
@click.argument("item_id")
@pass_ctx
def consent(obj: Ctx, item_id: str) -> None:
    """Consent to an agreement you are a party to."""
    active = obj.service.consent(item_id)
    agreement = obj.service.get(item_id)
    if active:
        click.echo(f"{agreement.id} is now active: every party has consented")
    else:
        assert isinstance(agreement, Agreement)
        waiting = ", ".join(obj.service.member_name(m) for m in agreement.missing_consents)
        click.echo(f"{agreement.id}: consent recorded; waiting for {waiting}")


@cli.command()
@click.option("--focus", "focus_", multiple=True, help="Add a focus entry (repeatable).")
@click.option("--challenge", multiple=True, help="Add something you challenge.")
@click.option("--avoid", multiple=True, help="Add something you avoid.")
@click.option("--tradeoff", default="", help="Trade-off note for the entries added now.")
@click.option(
    "--remove",
    "remove",
    multiple=True,
    metavar="LIST:TEXT",
    help="Remove an entry, e.g. focus:'Ship sync'.",
)
@click.option("--member", default="me", show_default=True, help="Whose focus to show.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def focus(
    obj: Ctx,
    focus_: tuple[str, ...],
    challenge: tuple[str, ...],
    avoid: tuple[str, ...],
    tradeoff: str,
    remove: tuple[str, ...],
    member: str,
    as_json: bool,
) -> None:
    """Show or edit your focus / challenge / avoid lists (only you edit yours)."""
    s = obj.service
    additions = {"focus": focus_, "challenge": challenge, "avoid": avoid}
    if any(additions.values()) or remove:
        current = s.focus(member)
        lists = {name: list(getattr(current, name)) for name in FOCUS_LISTS}
        for spec in remove:
            name, _, text = spec.partition(":")
            if name not in FOCUS_LISTS or not text:
                raise CliError(
                    f"--remove wants LIST:TEXT with LIST one of {', '.join(FOCUS_LISTS)}", 2
                )
            kept = [e for e in lists[name] if e.get("text") != text]
            if len(kept) == len(lists[name]):
                raise CliError(f"no {name} entry {text!r}", 2)
            lists[name] = kept
        for name, texts in additions.items():
            lists[name] += [{"text": t, "tradeoff": tradeoff} for t in texts]
        s.set_focus(lists, member)
    f = s.focus(member)
    if as_json:
        _emit_json(f.to_dict())
        return
    click.echo(f"{s.member_name(f.id)}'s focus")
    for name in FOCUS_LISTS:
        entries = getattr(f, name)
        click.echo(f"  {name}:" + ("" if entries else " —"))
        for e in entries:
            click.echo(
                f"    - {e['text']}"
                + (f"  (trade-off: {e['tradeoff']})" if e.get("tradeoff") else "")
            )


@cli.command()
@click.argument("item_id")
@pass_ctx
def archive(obj: Ctx, item_id: str) -> None:
    """Archive an item (nothing is ever deleted; `restore` brings it back)."""
    obj.service.archive(item_id)
    click.echo(f"archived {obj.service.get(item_id).id}")


@cli.command()
@click.argument("item_id", metavar="ID|FILE")
@click.option(
    "--replace",
    is_flag=True,
    help="With a backup FILE: leave out the current board's "
    "edits that the backup lacks instead of merging them (they stay in the dated copy).",
)
@pass_ctx
def restore(obj: Ctx, item_id: str, replace: bool) -> None:
    """Restore an archived item, or the whole board from a backup FILE (see `backup`).

    FILE is told from an id by a '/' or '.' in it, or by being an existing file."""
    from board.cli_admin import is_backup_path, restore_board

    if is_backup_path(item_id):
        restore_board(obj.home, Path(item_id), replace)
        return
    if replace:
        raise CliError("--replace is for restoring a backup FILE, not an item", 2)
    obj.service.restore(item_id)
    click.echo(f"restored {obj.service.get(item_id).id}")


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to FILE instead of standard output.",
)
@pass_ctx
def export_(obj: Ctx, fmt: str, output: Path | None) -> None:
    """Export the whole board as JSON, Markdown or CSV."""
    text = export(obj.service, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(output, text.encode("utf-8"))
    click.echo(f"wrote {output}", err=True)


@cli.group("member", invoke_without_command=True)
@click.pass_context
def member_(ctx: click.Context) -> None:
    """Members of the team."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(member_list)


@member_.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_removed", is_flag=True, help="Include removed members.")
@pass_ctx
def member_list(obj: Ctx, as_json: bool = False, include_removed: bool = False) -> None:
    """List the team's members."""
    members = obj.service.members(include_removed=include_removed)
    if as_json:
        _emit_json([m.to_dict() for m in members])
        return
    for m in members:
        click.echo(_row(obj.service, m) + ("  (you)" if m.id == obj.service.me else ""))


@cli.command()
@click.option(
    "--home",
    "demo_home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to build the sample board (default: a new temporary directory).",
)
@click.option("--no-ui", is_flag=True, help="Print a summary instead of opening the UI.")
def demo(demo_home: Path | None, no_ui: bool) -> None:
    """Open a realistic sample team board (in a throwaway home)."""
    from board.demo import build_demo

    home = demo_home or Path(tempfile.mkdtemp(prefix="teamboard-demo-"))
    ws = build_demo(home)
    if no_ui or not sys.stdout.isatty():
        from board.export import to_markdown

        click.echo(to_markdown(ws.service), nl=False)
        click.echo(f"\n(sample board in {home}; open it with `teamboard --home {home}`)")
        ws.close()
        return
    ws.close()
    _run_ui(home)


from board.cli_team import register as _register_team

_register_team(cli)

from board.cli_admin import register as _register_admin

_register_admin(cli)

from board.cli_review import review

cli.add_command(review)


# ---------------------------------------------------------------------- network

import shutil as _shutil

from board.export import write_atomically
from board.network import build_network, member_key
from board.network_render import FORMATS as NETWORK_FORMATS
from board.network_render import MIN_WIDTH, render


@cli.command("network")
@click.option("--me", "me_only", is_flag=True, help="Only your own network.")
@click.option("--member", default=None, metavar="M", help="Only this member's network.")
@click.option(
    "--depth",
    type=click.IntRange(1, 10),
    default=None,
    help="With --me/--member: 1 = their streams, roles, commitments and agreements; "
    "each step more widens to the people reached.  [default: 1]",
)
@click.option(
    "--format", "fmt", type=click.Choice(NETWORK_FORMATS), default="ascii", show_default=True
)
@click.option("--closed", is_flag=True, help="Also draw done, declined and dropped commitments.")
@click.option(
    "--width",
    type=click.IntRange(MIN_WIDTH),
    default=None,
    help="Width of the ascii drawing (default: the terminal's).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write to FILE instead of standard output.",
)
@pass_ctx
def network_(
    obj: Ctx,
    me_only: bool,
    member: str | None,
    depth: int | None,
    fmt: str,
    closed: bool,
    width: int | None,
    output: Path | None,
) -> None:
    """Draw the value network: streams with their people, roles and external parties,
    commitments, agreements and health hints (or one person's part of it)."""
    if me_only and member:
        raise CliError("use either --me or --member, not both", 2)
    if depth is not None and not (me_only or member):
        raise CliError("--depth needs --me or --member", 2)
    s = obj.service
    graph = build_network(s, include_closed=closed)
    if me_only or member:
        member_id = s.resolve_member(member or "me")
        if member_key(member_id) not in graph:
            raise InvalidInput(f"{s.member_name(member_id)} is no longer a member of the team")
        graph = graph.around(member_id, depth or 1)
    columns = width or max(MIN_WIDTH, _shutil.get_terminal_size((100, 24)).columns)
    data = render(graph, fmt, columns)  # complete before any file is touched
    if output is None:
        click.echo(data if fmt == "svg" else data.decode("utf-8"), nl=False)
        return
    write_atomically(output, data)
    click.echo(f"wrote {output}", err=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="teamboard")


if __name__ == "__main__":
    main()
