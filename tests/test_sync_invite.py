"""Invites: a short code read aloud becomes an authenticated exchange of certificates."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from sync.identity import Identity
from sync.invite import (
    WORDS,
    HostHandshake,
    InvalidCode,
    InviteError,
    InviteHost,
    InvitePolicy,
    InviteRefused,
    Joiner,
    JoinerHandshake,
    WrongCode,
    generate_code,
    join,
    parse_code,
)

HOST = "127.0.0.1"
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
TEAM = "team-orbit-id"
PAYLOAD = b'{"team": "Orbit"}'
CODE = "4-purple-sausage-tiger"
WRONG = "4-purple-sausage-lion"


@dataclass
class Inviter:
    host: InviteHost
    identity: Identity
    joined: list[Joiner] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.host.port


class Inviters:
    """Starts invite hosts on 127.0.0.1 and closes them after the test."""

    def __init__(self) -> None:
        self.hosts: list[InviteHost] = []

    async def __call__(
        self, expires_at: dt.datetime = NOW + dt.timedelta(minutes=10), **kwargs: Any
    ) -> Inviter:
        identity = Identity.generate()
        joined: list[Joiner] = []
        kwargs.setdefault("on_joined", joined.append)
        host = InviteHost(
            CODE,
            expires_at,
            cert_pem=identity.cert_pem,
            team_id=TEAM,
            payload=PAYLOAD,
            clock=lambda: NOW,
            **kwargs,
        )
        await host.start(HOST, 0)
        self.hosts.append(host)
        return Inviter(host, identity, joined)


@pytest.fixture
async def make_inviter() -> AsyncIterator[Inviters]:
    inviters = Inviters()
    yield inviters
    for host in inviters.hosts:
        await host.close()


# --------------------------------------------------------------------------- codes
def test_generated_codes_are_a_number_and_three_known_words() -> None:
    for _ in range(50):
        number, *words = generate_code().split("-")
        assert 1 <= int(number) <= 99 and len(words) == 3
        assert all(w in WORDS for w in words)
    assert len(set(WORDS)) == 256


def test_codes_are_read_forgivingly_but_garbage_is_refused() -> None:
    assert parse_code(" 4 Purple  sausage-TIGER ") == (4, b"4-purple-sausage-tiger")
    for bad in ("", "purple-sausage-tiger", "0-purple-sausage", "4-purple-xyzzy-tiger", "4"):
        with pytest.raises(InvalidCode):
            parse_code(bad)


# --------------------------------------------------------------------------- pure logic
def run_handshake(host_code: str, joiner_code: str) -> tuple[HostHandshake, JoinerHandshake]:
    inviter, newcomer = Identity.generate(), Identity.generate()
    host = HostHandshake(host_code, inviter.cert_pem, TEAM, PAYLOAD)
    joiner = JoinerHandshake(joiner_code, newcomer.cert_pem, "Ben")
    m4 = host.receive_confirm(joiner.receive_reply(host.receive_hello(joiner.start())))
    host.receive_finish(joiner.receive_host(m4))
    joiner.receive_ok(host.ok())
    return host, joiner


def test_handshake_in_memory_exchanges_both_certificates() -> None:
    host, joiner = run_handshake(CODE, CODE)
    assert host.joiner is not None and joiner.result is not None
    assert host.joiner.fingerprint == joiner.fingerprint and host.joiner.name == "Ben"
    assert joiner.result.fingerprint == host.fingerprint
    assert (joiner.result.team_id, joiner.result.payload) == (TEAM, PAYLOAD)


def test_handshake_with_a_wrong_code_fails_at_the_confirmation() -> None:
    with pytest.raises(WrongCode):
        run_handshake(CODE, WRONG)


def test_joiner_detects_an_inviter_that_does_not_know_the_code() -> None:
    newcomer, impostor = Identity.generate(), Identity.generate()
    joiner = JoinerHandshake(CODE, newcomer.cert_pem, "Ben")
    fake = HostHandshake(WRONG, impostor.cert_pem, TEAM)
    m3 = joiner.receive_reply(fake.receive_hello(joiner.start()))
    with pytest.raises(WrongCode):
        fake.receive_confirm(m3)  # the impostor cannot read the newcomer's certificate...
    honest = HostHandshake(CODE, impostor.cert_pem, TEAM)
    joiner2 = JoinerHandshake(CODE, newcomer.cert_pem, "Ben")
    m4 = honest.receive_confirm(joiner2.receive_reply(honest.receive_hello(joiner2.start())))
    tampered = m4[:-1] + bytes([m4[-1] ^ 1])
    with pytest.raises(WrongCode):
        joiner2.receive_host(tampered)  # ...nor forge the inviter's answer


def test_garbage_messages_raise_invite_errors_only() -> None:
    host = HostHandshake(CODE, Identity.generate().cert_pem, TEAM)
    for garbage in (b"", b"\x00" * 3, b"\xff\xff\xff\xff", b"\x00\x00\x00\x01x"):
        with pytest.raises(InviteError):
            host.receive_hello(garbage)


def test_policy_counts_failures_expiry_and_use() -> None:
    policy = InvitePolicy(NOW + dt.timedelta(minutes=5), max_failures=3)
    assert policy.refusal(NOW) is None
    assert "expired" in (policy.refusal(NOW + dt.timedelta(minutes=5)) or "")
    policy.failures = 3
    assert "no longer valid" in (policy.refusal(NOW) or "")
    policy.failures, policy.used = 0, True
    assert "already been used" in (policy.refusal(NOW) or "")


# --------------------------------------------------------------------------- over TCP
async def test_right_code_exchanges_certificates_both_ways(make_inviter: Inviters) -> None:
    inviter: Inviter = await make_inviter()
    newcomer = Identity.generate()
    result = await join(HOST, inviter.port, CODE, newcomer.cert_pem, "Ben")
    assert result.cert_pem == inviter.identity.cert_pem
    assert result.fingerprint == inviter.identity.fingerprint
    assert (result.team_id, result.payload) == (TEAM, PAYLOAD)
    assert inviter.joined == [Joiner(newcomer.cert_pem, newcomer.fingerprint, "Ben")]
    assert inviter.host.joined == inviter.joined[0] and inviter.host.finished.is_set()


async def test_wrong_code_fails_and_reveals_nothing(
    make_inviter: Inviters, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "teamboard.sync")
    inviter: Inviter = await make_inviter()
    with pytest.raises(WrongCode) as info:
        await join(HOST, inviter.port, WRONG, Identity.generate().cert_pem, "Eve")
    assert str(info.value) == "wrong code"  # nothing about the inviter or the real code
    assert inviter.joined == []
    assert inviter.host.policy.failures == 1 and not inviter.host.finished.is_set()
    assert any("wrong code" in r.getMessage() for r in caplog.records)


async def test_third_failure_kills_the_invite(make_inviter: Inviters) -> None:
    inviter: Inviter = await make_inviter()
    for guess in ("4-purple-sausage-lion", "4-purple-sausage-owl", "4-apple-sausage-tiger"):
        with pytest.raises(WrongCode):
            await join(HOST, inviter.port, guess, Identity.generate().cert_pem, "Eve")
    assert inviter.host.finished.is_set()
    with pytest.raises(InviteRefused, match="no longer valid"):
        await join(HOST, inviter.port, CODE, Identity.generate().cert_pem, "Ben")
    assert inviter.joined == []


async def test_expired_code_is_refused(make_inviter: Inviters) -> None:
    inviter: Inviter = await make_inviter(expires_at=NOW - dt.timedelta(seconds=1))
    with pytest.raises(InviteRefused, match="expired"):
        await join(HOST, inviter.port, CODE, Identity.generate().cert_pem, "Ben")
    assert inviter.joined == []


async def test_used_code_is_refused(make_inviter: Inviters) -> None:
    inviter: Inviter = await make_inviter()
    await join(HOST, inviter.port, CODE, Identity.generate().cert_pem, "Ben")
    with pytest.raises(InviteRefused, match="already been used"):
        await join(HOST, inviter.port, CODE, Identity.generate().cert_pem, "Ben's twin")
    assert len(inviter.joined) == 1


async def test_code_of_another_invite_is_refused_without_counting(make_inviter: Inviters) -> None:
    inviter: Inviter = await make_inviter()
    with pytest.raises(InviteRefused, match="no such invite"):
        await join(HOST, inviter.port, "5-purple-sausage-tiger", Identity.generate().cert_pem, "B")
    assert inviter.host.policy.failures == 0
    await join(HOST, inviter.port, CODE, Identity.generate().cert_pem, "Ben")


async def test_failing_on_joined_leaves_the_invite_usable(make_inviter: Inviters) -> None:
    calls: list[Joiner] = []

    async def flaky(joiner: Joiner) -> None:
        calls.append(joiner)
        if len(calls) == 1:
            raise RuntimeError("disk full")

    inviter: Inviter = await make_inviter(on_joined=flaky)
    with pytest.raises(InviteRefused, match="could not add you"):
        await join(HOST, inviter.port, CODE, Identity.generate().cert_pem, "Ben")
    await join(HOST, inviter.port, CODE, Identity.generate().cert_pem, "Ben")
    assert len(calls) == 2


async def test_garbage_over_the_socket_is_survived(make_inviter: Inviters) -> None:
    inviter: Inviter = await make_inviter()
    for garbage in (b"\xff\xff\xff\xff\x01", b"\x00\x00\x00\x04\x01abcd", b"hello?"):
        reader, writer = await asyncio.open_connection(HOST, inviter.port)
        writer.write(garbage)
        writer.write_eof()
        await asyncio.wait_for(reader.read(), 30)
        writer.close()
    assert inviter.host.policy.failures == 0
    await join(HOST, inviter.port, CODE, Identity.generate().cert_pem, "Ben")


async def test_unreachable_inviter_is_an_invite_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(InviteError):
        await join(HOST, port, CODE, Identity.generate().cert_pem, "Ben", timeout=30)
