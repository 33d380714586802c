"""Team and sync commands of `teamboard`: invite, join, serve, sync, peers, member remove."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import signal
from collections.abc import Sequence
from pathlib import Path

import click

from board.workspace import Workspace, has_board

INTERFACE = click.option(
    "--interface",
    "interfaces",
    multiple=True,
    metavar="IP",
    help="IPv4 address of an interface to use (repeatable; env TEAMBOARD_INTERFACES; "
    "default: every interface).",
)
NO_DISCOVERY = click.option(
    "--no-discovery", is_flag=True, help="Do not use zeroconf (multicast); give peers with --peer."
)
PEER = click.option(
    "--peer",
    "peers",
    multiple=True,
    metavar="HOST:PORT",
    help="A teammate's node to connect to (repeatable; remembered).",
)


def _interfaces(given: Sequence[str]) -> list[str]:
    from sync.node import interfaces_from_env

    return interfaces_from_env(given)


def _peers(values: Sequence[str]) -> list[tuple[str, int]]:
    from sync.node import parse_address

    out = []
    for value in values:
        try:
            out.append(parse_address(value))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--peer") from None
    return out


def _duration(text: str) -> dt.timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text or "")
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter(f"{text!r}: use e.g. 15m, 90s, 2h", param_hint="--expires")
    amount, unit = int(match.group(1)), match.group(2) or "m"
    return dt.timedelta(seconds=amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )


def _open(ctx: click.Context) -> Workspace:
    return ctx.obj.ws  # type: ignore[no-any-return]


@click.command()
@click.option("--expires", default="15m", show_default=True, help="How long the code is valid.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Sync port (0: any).")
@click.option(
    "--invite-port", type=click.IntRange(0, 65535), default=0, help="Invite port (0: any)."
)
@INTERFACE
@NO_DISCOVERY
@click.pass_context
def invite(
    ctx: click.Context,
    expires: str,
    port: int,
    invite_port: int,
    interfaces: tuple[str, ...],
    no_discovery: bool,
) -> None:
    """Invite a newcomer: prints a one-time code to read aloud and waits for them."""
    from sync.team import run_invite

    ttl = _duration(expires)
    ws = _open(ctx)
    _logging(False)

    def ready(code: str, host: str, bound: int) -> None:
        minutes = max(1, int(ttl.total_seconds() // 60))
        click.echo(f"Invite code: {code}   (valid {minutes} min, one use)")
        click.echo(f"On the newcomer's machine:  teamboard join {code} --name THEIR-NAME")
        click.echo(f"(without multicast add:  --peer {host}:{bound})")
        click.echo("Waiting…")

    outcome = asyncio.run(
        run_invite(
            ws,
            expires=ttl,
            interfaces=_interfaces(interfaces),
            port=port,
            invite_port=invite_port,
            discovery=not no_discovery,
            on_ready=ready,
        )
    )
    if outcome.joined is None:
        raise click.ClickException(
            "the invite expired or was closed after failed attempts; run `teamboard invite` again"
        )
    state = "and has the board" if outcome.synced else "but has not fetched the board yet"
    click.echo(f"{outcome.joined.name} joined the team {state}.")


@click.command()
@click.argument("code")
@click.option("--name", required=True, help="Your name as teammates will see it.")
@PEER
@INTERFACE
@click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=30,
    show_default=True,
    help="Seconds to look for the invite.",
)
@click.pass_context
def join(
    ctx: click.Context,
    code: str,
    name: str,
    peers: tuple[str, ...],
    interfaces: tuple[str, ...],
    timeout: float,
) -> None:
    """Join a team with the code a member read to you."""
    from board.model import InvalidInput
    from sync.invite import InvalidCode, parse_code
    from sync.team import run_join

    home: Path = ctx.obj.home
    if has_board(home):
        raise click.ClickException(f"{home} already holds a board; use another --home")
    try:
        parse_code(code)
    except InvalidCode as exc:
        raise InvalidInput(f"{exc}") from None
    peer = _peers(peers)[0] if peers else None
    ws = asyncio.run(
        run_join(home, code, name, peer=peer, interfaces=_interfaces(interfaces), timeout=timeout)
    )
    ctx.obj._ws = ws
    click.echo(f"Joined team {ws.service.team().name!r} as {name}; the board is in {home}")


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=7400, show_default=True)
@INTERFACE
@NO_DISCOVERY
@PEER
@click.pass_context
def serve(
    ctx: click.Context,
    port: int,
    interfaces: tuple[str, ...],
    no_discovery: bool,
    peers: tuple[str, ...],
) -> None:
    """Run a headless peer that stays up and syncs (Ctrl-C to stop)."""
    from sync.node import SyncNode

    ws = _open(ctx)
    _logging(True)
    known = _peers(peers) + _remembered(ws)

    async def main() -> None:
        node = SyncNode(
            ws.service,
            ws.identity,
            interfaces=_interfaces(interfaces),
            port=port,
            discovery=not no_discovery,
            peers=known,
        )
        await node.start()
        click.echo(f"serving team {ws.service.team().name!r} on port {node.port}", err=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await node.stop()

    asyncio.run(main())


def _remembered(ws: Workspace) -> list[tuple[str, int]]:
    from sync.node import parse_address

    out = []
    for peer in ws.service.known_peers():
        try:
            out.append(parse_address(peer.get("address") or ""))
        except ValueError:
            continue
    return out


@click.command("sync")
@PEER
@click.option(
    "--timeout",
    type=click.FloatRange(0.5, 3600),
    default=10,
    show_default=True,
    help="Seconds to wait for each peer.",
)
@INTERFACE
@NO_DISCOVERY
@click.pass_context
def sync_(
    ctx: click.Context,
    peers: tuple[str, ...],
    timeout: float,
    interfaces: tuple[str, ...],
    no_discovery: bool,
) -> None:
    """One round of sync with every reachable peer, then exit with a summary."""
    from sync.node import SyncNode

    ws = _open(ctx)
    targets = list(dict.fromkeys(_peers(peers) + _remembered(ws)))
    iface = _interfaces(interfaces)

    async def main() -> list[object]:
        node = SyncNode(ws.service, ws.identity, interfaces=iface, listen=False, discovery=False)
        await node.start()
        try:
            found = list(targets)
            if not no_discovery:
                found += [
                    t for t in await _discover(ws, iface, min(timeout, 3.0)) if t not in found
                ]
            return await node.sync_round(found, timeout)  # type: ignore[return-value]
        finally:
            await node.stop()

    links = asyncio.run(main())
    if not links:
        raise click.ClickException(
            "no peer reachable: is a teammate running `teamboard serve` or the "
            "app? Give one with --peer HOST:PORT"
        )
    from sync.node import Link

    for link in links:
        assert isinstance(link, Link)
        state = "in sync" if link.synced.is_set() else "incomplete"
        click.echo(
            f"{link.address}: {state}, {link.stats.changes_in} changes received, "
            f"{link.stats.frames_out} frames sent"
        )


async def _discover(ws: Workspace, interfaces: list[str], wait: float) -> list[tuple[str, int]]:
    from sync.discovery import Discovery

    browser = Discovery(
        ws.service.team().id, ws.identity.fingerprint, 0, interfaces=interfaces, advertise=False
    )
    await browser.start()
    await asyncio.sleep(wait)
    found = [(p.address, p.port) for p in browser.peers.values()]
    await browser.close()
    return found


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def peers(ctx: click.Context, as_json: bool) -> None:
    """Known peers: address, last seen, last sync."""
    ws = _open(ctx)
    rows = ws.service.known_peers()
    if as_json:
        click.echo(json.dumps([{"type": "peer", **r} for r in rows], indent=2))
        return
    if not rows:
        click.echo(
            "No peers yet: run `teamboard sync --peer HOST:PORT` or start the app near a teammate."
        )
    for r in rows:
        click.echo(
            f"{r['id'][:16]}  {r.get('address') or '(inbound)':<22} last sync {r.get('last_sync') or 'never'}"
        )


@click.command("remove")
@click.argument("member")
@click.pass_context
def member_remove(ctx: click.Context, member: str) -> None:
    """Remove a member (any member may; the removal is recorded with who did it)."""
    ws = _open(ctx)
    target = ws.service.member(member)
    if target.id == ws.service.me:
        raise click.ClickException("you cannot remove yourself; ask a teammate")
    ws.service.remove_member(target.id)
    click.echo(f"removed {target.name} ({target.id}); their connections are refused from now on")


def register(cli: click.Group) -> None:
    for command in (invite, join, serve, sync_, peers):
        cli.add_command(command)
    member_group = cli.commands["member"]
    assert isinstance(member_group, click.Group)
    member_group.add_command(member_remove)
