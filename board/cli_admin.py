"""Looking after a home from the command line: `doctor`, `backup`, and the board side of
`restore FILE` (the `restore` command itself lives in board.cli: it also restores
archived items, and hands a FILE over to :func:`restore_board`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from board import backups
from board.doctor import examine
from board.doctor_repair import repair


@click.command()
@click.option(
    "--repair",
    "fix",
    is_flag=True,
    help="Fix what can be fixed from the home itself (key mode, certificate, snapshot, "
    "read model, a damaged file whose change log is intact).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable findings.")
@click.pass_context
def doctor(ctx: click.Context, fix: bool, as_json: bool) -> int:
    """Check the home and say what is wrong and how to recover (exit 1 when a problem is found).

    Changes nothing unless --repair is given; never writes to a damaged database."""
    home: Path = ctx.obj.home
    checkup = examine(home)
    repaired = []
    if fix and checkup.problems:
        repaired = repair(checkup)
        checkup = examine(home)
    findings = repaired + checkup.findings
    problems = checkup.problems
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "status": f.status,
                        "subject": f.subject,
                        "message": f.message,
                        "repair": f.repair,
                    }
                    for f in findings
                ],
                indent=2,
            )
        )
        return 1 if problems else 0
    for finding in findings:
        click.echo(finding.line())
    if not problems:
        click.echo("healthy" + (" after the repairs above" if repaired else ": nothing to do"))
        return 0
    fixable = sum(1 for p in problems if p.repair)
    hint = f"; `teamboard doctor --repair` fixes {fixable} of them" if fixable and not fix else ""
    count = len(problems)
    click.echo(f"{count} problem{'s' if count > 1 else ''} found{hint}")
    return 1


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def backup(ctx: click.Context, file: Path, force: bool) -> None:
    """Write a consistent, checked copy of the board to FILE (safe while the app or `serve`
    runs). The copy holds the board, not your key."""
    made = backups.backup(ctx.obj.home, file, force=force)
    size = f"{made.size / 1024:.0f} KiB"
    click.echo(f"backed up team {made.team!r} ({made.changes} changes, {size}) to {made.path}")


def is_backup_path(target: str) -> bool:
    """Whether `restore TARGET` names a backup file rather than an item id: ids never hold
    '/' or '.', so anything with one of those, or an existing file, is a file."""
    return "/" in target or os.sep in target or "." in target or Path(target).is_file()


def restore_board(home: Path, file: Path, replace: bool) -> None:
    """`teamboard restore FILE`: print what happened, one line each."""
    done = backups.restore(home, file, merge=not replace)
    click.echo(f"restored team {done.team!r} from {file} ({done.changes} changes)")
    if done.kept_as is not None:
        click.echo(f"the previous board is kept as {done.kept_as}")
    if done.merged:
        click.echo(f"merged {_changes(done.merged)} made since the backup, so none is lost")
    if done.left_out:
        click.echo(
            f"{_changes(done.left_out)} of the previous board are not in the restored one "
            f"(--replace); they stay in {done.kept_as}, and a teammate who has them brings "
            "them back at the next sync"
        )
    if done.note:
        click.echo(done.note)


def _changes(count: int) -> str:
    return f"{count} change{'' if count == 1 else 's'}"


def register(cli: click.Group) -> None:
    for command in (doctor, backup):
        cli.add_command(command)
