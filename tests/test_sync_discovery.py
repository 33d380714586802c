"""Zeroconf discovery on 127.0.0.1: teammates find each other; adverts reveal no names."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

import pytest
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from sync.discovery import SERVICE_TYPE, Discovery, PeerInfo, peer_tag, team_tag

LOOPBACK = ["127.0.0.1"]
WAIT = 60.0  # multicast on a busy machine can be slow; this only bounds a hang


async def eventually(check: Callable[[], bool]) -> None:
    for _ in range(int(WAIT / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition never became true")


class Seen:
    def __init__(self) -> None:
        self.found: list[PeerInfo] = []
        self.lost: list[PeerInfo] = []

    def tags(self) -> set[str]:
        return {p.peer_tag for p in self.found}


def node(team_id: str, fingerprint: str, port: int, seen: Seen) -> Discovery:
    return Discovery(
        team_id,
        fingerprint,
        port,
        interfaces=LOOPBACK,
        on_found=seen.found.append,
        on_lost=seen.lost.append,
    )


async def test_two_teammates_find_each_other_and_notice_a_goodbye() -> None:
    team = "team-" + secrets.token_hex(8)  # unique, so parallel test runs do not mix
    fp_a, fp_b = secrets.token_hex(32), secrets.token_hex(32)
    seen_a, seen_b = Seen(), Seen()
    a = node(team, fp_a, 40001, seen_a)
    b = node(team, fp_b, 40002, seen_b)
    await asyncio.gather(a.start(), b.start())
    try:
        await eventually(
            lambda: peer_tag(fp_b) in seen_a.tags() and peer_tag(fp_a) in seen_b.tags()
        )
        found_b = next(p for p in seen_a.found if p.peer_tag == peer_tag(fp_b))
        assert (found_b.address, found_b.port) == ("127.0.0.1", 40002)
        assert found_b.is_fingerprint(fp_b) and not found_b.is_fingerprint(fp_a)
        assert peer_tag(fp_a) not in seen_a.tags()  # never ourselves
    finally:
        await b.close()
    try:
        await eventually(lambda: any(p.peer_tag == peer_tag(fp_b) for p in seen_a.lost))
    finally:
        await a.close()


async def test_nodes_of_another_team_are_ignored() -> None:
    mine, theirs = "team-" + secrets.token_hex(8), "team-" + secrets.token_hex(8)
    fp_a, fp_b, fp_c = (secrets.token_hex(32) for _ in range(3))
    seen_a, seen_b, seen_c = Seen(), Seen(), Seen()
    nodes = [
        node(mine, fp_a, 40011, seen_a),
        node(mine, fp_b, 40012, seen_b),
        node(theirs, fp_c, 40013, seen_c),
    ]
    await asyncio.gather(*(n.start() for n in nodes))
    try:
        await eventually(lambda: peer_tag(fp_b) in seen_a.tags())
        await eventually(lambda: peer_tag(fp_a) in seen_b.tags())
        # Whatever the timing, the stranger is never reported, and it reports no one.
        assert seen_a.tags() == {peer_tag(fp_b)}
        assert seen_c.found == []
    finally:
        for n in nodes:
            await n.close()


async def test_advertisement_reveals_no_team_or_member_names() -> None:
    team_id = "Orbit-team-of-Ana-" + secrets.token_hex(4)
    fingerprint = secrets.token_hex(32)
    disco = Discovery(team_id, fingerprint, 40021, interfaces=LOOPBACK)
    await disco.start()
    observer = AsyncZeroconf(interfaces=LOOPBACK)
    try:
        info = AsyncServiceInfo(SERVICE_TYPE, disco.instance_name)
        assert await info.async_request(observer.zeroconf, int(WAIT * 1000))
        everything = " ".join(
            [info.name, info.server or ""]
            + [k.decode() + "=" + (v or b"").decode() for k, v in info.properties.items()]
        )
        for secret in ("Orbit", "Ana", team_id, fingerprint):
            assert secret not in everything
        assert info.properties == {
            b"v": b"1",
            b"t": team_tag(team_id).encode(),
            b"p": peer_tag(fingerprint).encode(),
        }
        assert info.port == 40021 and info.parsed_addresses() == ["127.0.0.1"]
    finally:
        await observer.async_close()
        await disco.close()


async def test_a_second_process_of_the_same_home_browses_instead_of_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The app is open and `teamboard serve` (or `invite`) starts on the same home: both
    carry the same identity, so the second cannot advertise it again; it still finds peers."""
    team = "team-" + secrets.token_hex(8)
    fp_home, fp_other = secrets.token_hex(32), secrets.token_hex(32)
    seen_app, seen_serve, seen_other = Seen(), Seen(), Seen()
    app = node(team, fp_home, 40021, seen_app)
    await app.start()
    serve = node(team, fp_home, 40022, seen_serve)
    other = node(team, fp_other, 40023, seen_other)
    try:
        await serve.start()  # must not raise
        assert "already advertises" in caplog.text
        await other.start()
        await eventually(lambda: peer_tag(fp_other) in seen_serve.tags())
        await eventually(lambda: peer_tag(fp_home) in seen_other.tags())
        home = [p for p in seen_other.found if p.peer_tag == peer_tag(fp_home)]
        assert {p.port for p in home} == {40021}  # the one advertisement is the app's
    finally:
        for n in (other, serve, app):
            await n.close()
