"""Joining a team: the inviter's and the newcomer's side of an invite, end to end.

Inviter (`teamboard invite`): runs its sync node, serves a one-time code over SPAKE2 and
advertises the invite (an opaque tag of the code's number, nothing else) on zeroconf.
When the newcomer proves the code, the inviter records them as a member, which makes
their certificate a trust anchor, and the newcomer fetches the board over mutual TLS.

Newcomer (`teamboard join CODE --name ME`): finds the invite (zeroconf or ``--peer``),
runs the PAKE, trusts the inviter's certificate it learned there, and syncs the board.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from board.model import BoardError, RuleViolation
from board.workspace import DB_FILE, Workspace
from sync.discovery import Discovery, PeerInfo
from sync.identity import member_id_for, public_key_from_cert_pem
from sync.invite import InviteError, InviteHost, Joiner, generate_code, join, parse_code
from sync.node import SyncNode

log = logging.getLogger("teamboard.sync")

JOIN_SYNC_TIMEOUT = 60.0


class TeamError(BoardError):
    """An invite or a join did not work out; the message says why and what to do."""


def invite_tag(number: int) -> str:
    """The opaque 'team id' an invite is advertised under (only its number, hashed)."""
    return f"invite:{number}"


@dataclass
class InviteOutcome:
    code: str
    joined: Joiner | None
    synced: bool


async def run_invite(
    ws: Workspace,
    *,
    expires: dt.timedelta,
    interfaces: Sequence[str],
    port: int = 0,
    invite_port: int = 0,
    discovery: bool = True,
    on_ready: Callable[[str, str, int], None] | None = None,
    code: str | None = None,
) -> InviteOutcome:
    """Serve one invite until it is used (and the newcomer has the board), dies or expires.

    ``on_ready(code, host, invite_port)`` is called once people can join."""
    service = ws.service
    team = service.team()
    node = SyncNode(service, ws.identity, interfaces=interfaces, port=port, discovery=discovery)
    await node.start()
    code = code or generate_code()
    number, _ = parse_code(code)
    joined_fp: list[str] = []

    async def on_joined(joiner: Joiner) -> None:
        member_id = member_id_for(public_key_from_cert_pem(joiner.cert_pem))
        await asyncio.to_thread(
            service.add_member, member_id, joiner.name, joiner.cert_pem, service.me
        )
        await node.refresh_trust()
        joined_fp.append(joiner.fingerprint)
        log.info("%s joined the team", joiner.name)

    payload = json.dumps({"team": team.id, "sync_port": node.port}).encode()
    expires_at = dt.datetime.now(dt.UTC) + expires
    host = InviteHost(
        code,
        expires_at,
        cert_pem=ws.identity.cert_pem,
        team_id=team.id,
        payload=payload,
        on_joined=on_joined,
    )
    bind = interfaces[0] if len(interfaces) == 1 else ""
    bound = await host.start(bind, invite_port)
    beacon = None
    if discovery:
        # Its own random tag: the node already advertises under our fingerprint's tag.
        beacon = Discovery(invite_tag(number), secrets.token_hex(16), bound, interfaces=interfaces)
        await beacon.start()
    try:
        if on_ready:
            on_ready(code, bind or interfaces[0], bound)
        remaining = max(0.0, (expires_at - dt.datetime.now(dt.UTC)).total_seconds())
        try:
            await asyncio.wait_for(host.finished.wait(), remaining + 1)
        except TimeoutError:
            pass
        synced = False
        if host.joined is not None:
            synced = await _wait_synced(node, host.joined.fingerprint, JOIN_SYNC_TIMEOUT)
        return InviteOutcome(code, host.joined, synced)
    finally:
        if beacon is not None:
            await beacon.close()
        await host.close()
        await node.stop()


async def _wait_synced(node: SyncNode, peer_fingerprint: str, timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if peer_fingerprint in node.caught_up:
            return True
        await asyncio.sleep(0.05)
    return False


async def find_invite(number: int, interfaces: Sequence[str], timeout: float) -> tuple[str, int]:
    """The address of the invite with this number on the local network."""
    found: asyncio.Future[PeerInfo] = asyncio.get_running_loop().create_future()

    def on_found(peer: PeerInfo) -> None:
        if not found.done():
            found.set_result(peer)

    browser = Discovery(
        invite_tag(number), "joiner", 0, interfaces=interfaces, on_found=on_found, advertise=False
    )
    await browser.start()
    try:
        peer = await asyncio.wait_for(found, timeout)
    except TimeoutError:
        raise TeamError(
            f"no invite {number} found on the local network in {timeout:.0f} s; check the code, "
            "or give the inviter's address with --peer HOST:PORT (printed by `teamboard invite`)"
        ) from None
    finally:
        await browser.close()
    return peer.address, peer.port


async def run_join(
    home: Path,
    code: str,
    name: str,
    *,
    peer: tuple[str, int] | None,
    interfaces: Sequence[str],
    timeout: float = 30.0,
) -> Workspace:
    """Join the team behind ``code`` into the new home ``home``; returns the opened home."""
    number, _ = parse_code(code)
    host, port = peer if peer else await find_invite(number, interfaces, timeout)
    ws = Workspace.create(home)
    try:
        try:
            result = await join(host, port, code, ws.identity.cert_pem, name, timeout=timeout)
        except InviteError as exc:
            raise TeamError(f"joining failed: {exc}") from None
        try:
            info = json.loads(result.payload)
            team_id, sync_port = str(info["team"]), int(info["sync_port"])
        except (ValueError, KeyError, TypeError):
            raise TeamError("the inviter sent unusable team details; ask for a new code") from None
        node = SyncNode(
            ws.service,
            ws.identity,
            listen=False,
            discovery=False,
            extra_trust=[result.cert_pem],
            team_id=team_id,
        )
        await node.start()
        try:
            links = await node.sync_round([(host, sync_port)], JOIN_SYNC_TIMEOUT)
        finally:
            await node.stop()
        if not links or not ws.service.doc.initialized:
            raise TeamError(
                "the invite worked but the board could not be fetched; try `teamboard sync`"
            )
        if ws.service.member("me").name != name:
            raise RuleViolation("the board does not list you as a member yet; try `teamboard sync`")
        ws.store.upsert_peer(result.fingerprint, address=f"{host}:{sync_port}")
        return ws
    except BaseException:
        if not ws.service.doc.initialized:
            ws.close()
            for suffix in ("", "-wal", "-shm"):
                (home / (DB_FILE + suffix)).unlink(missing_ok=True)
        raise
