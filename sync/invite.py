"""Invites: a short code read aloud turns into an authenticated exchange of certificates.

The inviter (an existing member) runs an :class:`InviteHost` for a code such as
``"4-purple-sausage-tiger"`` (a number and three words from a 256-word list: 24 bits that
an attacker can only guess online, three tries per invite). The newcomer calls
:func:`join` with the code. SPAKE2 turns the code into a strong shared key, so a listener
learns nothing and cannot guess offline; the connection itself is plain TCP.

Messages (4-byte length, 1-byte type, body); T is SHA-256 of M1 and M2, so it binds both
nonces and both SPAKE2 messages; every key is HKDF-SHA256(SPAKE2 key, salt=T, label)::

    M1 joiner -> host   HELLO    magic, number, joiner nonce, SPAKE2 message (B side)
    M2 host -> joiner   REPLY    host nonce, SPAKE2 message (A side)
    M3 joiner -> host   CONFIRM  HMAC(confirm-joiner, T), sealed(joiner cert, name)
    M4 host -> joiner   HOST     HMAC(confirm-host, T, both fingerprints),
                                 sealed(host cert, team id, payload)
    M5 joiner -> host   FINISH   HMAC(finish-joiner, T, both fingerprints)
    M6 host -> joiner   OK       HMAC(finish-host, T, both fingerprints)
    any time, host ->   REFUSED  reason

A wrong code shows up as a mismatching M3 MAC: the host answers only "wrong code" and
counts a failure; after ``max_failures`` the invite is dead. Expired, used and dead
invites are refused before any key exchange. Certificates travel sealed with
ChaCha20-Poly1305 under their own keys (each key seals one message, so a fixed nonce is
safe), so fingerprints never cross the network in the clear. :class:`HostHandshake` and
:class:`JoinerHandshake` are pure state machines; :class:`InviteHost` and :func:`join`
move their messages over asyncio streams on the given address.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import inspect
import logging
import re
import secrets
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_A, SPAKE2_B, SPAKEError

from sync.identity import IdentityError, fingerprint, public_key_from_cert_pem

log = logging.getLogger("teamboard.sync")

WORDS = (
    "acorn",
    "actor",
    "adult",
    "agent",
    "alarm",
    "album",
    "alien",
    "amber",
    "anchor",
    "angel",
    "ankle",
    "apple",
    "april",
    "apron",
    "arena",
    "arrow",
    "atlas",
    "attic",
    "autumn",
    "bacon",
    "badge",
    "bagel",
    "baker",
    "bamboo",
    "banjo",
    "barrel",
    "basil",
    "basket",
    "beach",
    "beaver",
    "berry",
    "bicycle",
    "blanket",
    "blossom",
    "bonus",
    "border",
    "bottle",
    "bread",
    "breeze",
    "brick",
    "bridge",
    "broom",
    "bubble",
    "bucket",
    "buffalo",
    "butter",
    "button",
    "cabin",
    "cactus",
    "camel",
    "candle",
    "canoe",
    "canyon",
    "carpet",
    "carrot",
    "castle",
    "cattle",
    "cave",
    "cedar",
    "cello",
    "chalk",
    "cherry",
    "chess",
    "chicken",
    "circus",
    "cliff",
    "clock",
    "cloud",
    "clover",
    "coconut",
    "comet",
    "copper",
    "coral",
    "cotton",
    "cousin",
    "crayon",
    "cricket",
    "crystal",
    "cupboard",
    "curtain",
    "daisy",
    "dancer",
    "delta",
    "desert",
    "diamond",
    "dinner",
    "doctor",
    "dolphin",
    "donkey",
    "dragon",
    "drum",
    "eagle",
    "echo",
    "elbow",
    "ember",
    "engine",
    "falcon",
    "feather",
    "fiddle",
    "finger",
    "flag",
    "flute",
    "forest",
    "fossil",
    "fountain",
    "fox",
    "garden",
    "garlic",
    "ginger",
    "giraffe",
    "glacier",
    "globe",
    "goat",
    "grape",
    "gravel",
    "guitar",
    "hammer",
    "harbor",
    "harvest",
    "hazel",
    "helmet",
    "honey",
    "horse",
    "island",
    "ivory",
    "jacket",
    "jaguar",
    "jelly",
    "jungle",
    "kayak",
    "kettle",
    "kitten",
    "koala",
    "ladder",
    "lagoon",
    "lemon",
    "lentil",
    "lily",
    "lion",
    "lizard",
    "lobster",
    "magnet",
    "mango",
    "maple",
    "marble",
    "meadow",
    "melon",
    "mirror",
    "monkey",
    "moose",
    "mosaic",
    "motor",
    "muffin",
    "mustard",
    "napkin",
    "nectar",
    "needle",
    "nest",
    "noodle",
    "oasis",
    "ocean",
    "olive",
    "onion",
    "orange",
    "orbit",
    "otter",
    "owl",
    "oyster",
    "paddle",
    "panda",
    "panther",
    "paper",
    "parrot",
    "peach",
    "pebble",
    "pencil",
    "pepper",
    "piano",
    "pickle",
    "pigeon",
    "pillow",
    "pilot",
    "pirate",
    "planet",
    "plum",
    "pocket",
    "pony",
    "poppy",
    "potato",
    "pumpkin",
    "puzzle",
    "quartz",
    "quilt",
    "rabbit",
    "radish",
    "raven",
    "ribbon",
    "river",
    "robin",
    "rocket",
    "rose",
    "ruby",
    "saddle",
    "salmon",
    "sandal",
    "sausage",
    "scarf",
    "school",
    "shadow",
    "shark",
    "shell",
    "silver",
    "sketch",
    "sloth",
    "snail",
    "spider",
    "spoon",
    "squash",
    "squirrel",
    "stable",
    "statue",
    "stone",
    "sugar",
    "summer",
    "sunset",
    "swan",
    "table",
    "tango",
    "teapot",
    "tiger",
    "timber",
    "toast",
    "tomato",
    "torch",
    "tractor",
    "tulip",
    "tunnel",
    "turtle",
    "umbrella",
    "valley",
    "velvet",
    "violin",
    "volcano",
    "wagon",
    "walnut",
    "walrus",
    "whale",
    "whistle",
    "willow",
    "window",
    "winter",
    "wizard",
    "yogurt",
    "zebra",
    "zipper",
    "purple",
)
CODE_WORDS = 3
MAX_NUMBER = 99
MAGIC = b"teamboard-invite-1"
ID_HOST, ID_JOINER = b"teamboard-invite-host", b"teamboard-invite-joiner"
HELLO, REPLY, CONFIRM, HOST, FINISH, OK, REFUSED = range(1, 8)
MAX_FIRST_MESSAGE = 1024
MAX_MESSAGE = 4 * 1024 * 1024  # the payload may carry team info
MAX_NAME = 200
ATTEMPT_TIMEOUT = 30.0
WRONG_CODE = "wrong code"
_NONCE = b"\0" * 12


class InviteError(Exception):
    """The invite exchange failed."""


class InvalidCode(InviteError):
    """The text is not an invite code."""


class InviteRefused(InviteError):
    """The inviter refused: wrong code, expired, already used, or no longer valid."""


class WrongCode(InviteRefused):
    """The two sides do not share the same code."""


def generate_code(words: int = CODE_WORDS) -> str:
    """A fresh one-time code such as ``"4-purple-sausage-tiger"``."""
    number = secrets.randbelow(MAX_NUMBER) + 1
    return "-".join([str(number)] + [secrets.choice(WORDS) for _ in range(words)])


def parse_code(code: str) -> tuple[int, bytes]:
    """(invite number, SPAKE2 password) of a code typed by a person (any case, hyphens
    or spaces). Raises InvalidCode."""
    parts = [p for p in re.split(r"[\s\-]+", code.strip().lower()) if p]
    if len(parts) < 3 or not parts[0].isdigit() or not 1 <= int(parts[0]) <= MAX_NUMBER:
        raise InvalidCode("an invite code looks like 4-purple-sausage-tiger")
    unknown = [w for w in parts[1:] if w not in WORDS]
    if unknown:
        raise InvalidCode(f"not a word of invite codes: {', '.join(unknown)}")
    number = int(parts[0])
    return number, "-".join([str(number)] + parts[1:]).encode()


@dataclass(frozen=True)
class Joiner:
    """A newcomer as the inviter learns it."""

    cert_pem: str
    fingerprint: str
    name: str


@dataclass(frozen=True)
class JoinResult:
    """What the newcomer learns from the inviter."""

    cert_pem: str
    fingerprint: str
    team_id: str
    payload: bytes


# --------------------------------------------------------------------------- pure logic
def _pack(*fields: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(f)) + f for f in fields)


def _unpack(data: bytes, count: int) -> list[bytes]:
    fields, pos = [], 0
    for _ in range(count):
        if len(data) - pos < 4:
            raise InviteError("malformed invite message")
        (size,) = struct.unpack_from(">I", data, pos)
        pos += 4
        if size > len(data) - pos:
            raise InviteError("malformed invite message")
        fields.append(data[pos : pos + size])
        pos += size
    if pos != len(data):
        raise InviteError("malformed invite message")
    return fields


def _cert_fingerprint(pem: bytes) -> tuple[str, str]:
    """(PEM text, fingerprint) of a certificate received from the other side."""
    try:
        text = pem.decode()
        public_key_from_cert_pem(text)  # an Ed25519 certificate, like every member's
        der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    except (ValueError, UnicodeDecodeError, IdentityError):
        raise InviteError("the other side sent an unusable certificate") from None
    return text, fingerprint(der)


class _Keys:
    """Keys and MACs derived from the SPAKE2 key and the transcript."""

    def __init__(self, spake_key: bytes, transcript: bytes) -> None:
        self.key, self.transcript = spake_key, transcript

    def derive(self, label: str) -> bytes:
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=self.transcript,
            info=b"teamboard-invite " + label.encode(),
        )
        return hkdf.derive(self.key)

    def mac(self, label: str, *parts: str) -> bytes:
        data = self.transcript + "".join("|" + p for p in parts).encode()
        return hmac.new(self.derive(label), data, hashlib.sha256).digest()

    def check(self, label: str, mac: bytes, *parts: str) -> None:
        if not hmac.compare_digest(self.mac(label, *parts), mac):
            raise WrongCode(WRONG_CODE)

    def seal(self, label: str, plaintext: bytes) -> bytes:
        return ChaCha20Poly1305(self.derive(label)).encrypt(_NONCE, plaintext, self.transcript)

    def open(self, label: str, sealed: bytes) -> bytes:
        try:
            return ChaCha20Poly1305(self.derive(label)).decrypt(_NONCE, sealed, self.transcript)
        except InvalidTag:
            raise WrongCode(WRONG_CODE) from None


def _finish(spake: SPAKE2_A | SPAKE2_B, message: bytes) -> bytes:
    try:
        return bytes(spake.finish(message))
    except (SPAKEError, ValueError):
        raise InviteError("malformed key exchange message") from None


class JoinerHandshake:
    """The newcomer's side: start(), then each host message in turn."""

    def __init__(self, code: str, cert_pem: str, name: str) -> None:
        self.number, password = parse_code(code)
        self.cert_pem, self.name = cert_pem, name[:MAX_NAME]
        _, self.fingerprint = _cert_fingerprint(cert_pem.encode())
        self._spake = SPAKE2_B(password, idA=ID_HOST, idB=ID_JOINER)
        self._m1 = b""
        self._keys: _Keys | None = None
        self.result: JoinResult | None = None

    def start(self) -> bytes:
        self._m1 = _pack(
            MAGIC, struct.pack(">H", self.number), secrets.token_bytes(16), self._spake.start()
        )
        return self._m1

    def receive_reply(self, m2: bytes) -> bytes:
        _, spake_msg = _unpack(m2, 2)
        transcript = hashlib.sha256(self._m1 + m2).digest()
        self._keys = keys = _Keys(_finish(self._spake, spake_msg), transcript)
        sealed = keys.seal("seal-joiner", _pack(self.cert_pem.encode(), self.name.encode()))
        return _pack(keys.mac("confirm-joiner"), sealed)

    def receive_host(self, m4: bytes) -> bytes:
        assert self._keys is not None, "receive_reply first"
        mac, sealed = _unpack(m4, 2)
        cert, team_id, payload = _unpack(self._keys.open("seal-host", sealed), 3)
        cert_pem, host_fp = _cert_fingerprint(cert)
        self._keys.check("confirm-host", mac, self.fingerprint, host_fp)
        try:
            self.result = JoinResult(cert_pem, host_fp, team_id.decode(), payload)
        except UnicodeDecodeError:
            raise InviteError("malformed invite message") from None
        return self._keys.mac("finish-joiner", self.fingerprint, host_fp)

    def receive_ok(self, m6: bytes) -> JoinResult:
        assert self._keys is not None and self.result is not None, "receive_host first"
        self._keys.check("finish-host", m6, self.fingerprint, self.result.fingerprint)
        return self.result


class HostHandshake:
    """The inviter's side of one attempt: each joiner message in turn."""

    def __init__(self, code: str, cert_pem: str, team_id: str, payload: bytes = b"") -> None:
        self.number, password = parse_code(code)
        self.cert_pem, self.team_id, self.payload = cert_pem, team_id, payload
        _, self.fingerprint = _cert_fingerprint(cert_pem.encode())
        self._spake = SPAKE2_A(password, idA=ID_HOST, idB=ID_JOINER)
        self._keys: _Keys | None = None
        self.joiner: Joiner | None = None

    def receive_hello(self, m1: bytes) -> bytes:
        """M2 for M1; raises InviteError for another invite's number or a malformed M1."""
        magic, number, _nonce, spake_msg = _unpack(m1, 4)
        if magic != MAGIC or len(number) != 2:
            raise InviteError("not a teamboard invite")
        if struct.unpack(">H", number)[0] != self.number:
            raise InviteError("no such invite")
        m2 = _pack(secrets.token_bytes(16), self._spake.start())
        self._keys = _Keys(_finish(self._spake, spake_msg), hashlib.sha256(m1 + m2).digest())
        return m2

    def receive_confirm(self, m3: bytes) -> bytes:
        """M4 for M3; raises WrongCode when the joiner does not know the code."""
        assert self._keys is not None, "receive_hello first"
        mac, sealed = _unpack(m3, 2)
        self._keys.check("confirm-joiner", mac)
        cert, name = _unpack(self._keys.open("seal-joiner", sealed), 2)
        cert_pem, joiner_fp = _cert_fingerprint(cert)
        try:
            self.joiner = Joiner(cert_pem, joiner_fp, name.decode()[:MAX_NAME])
        except UnicodeDecodeError:
            raise InviteError("malformed invite message") from None
        sealed_host = self._keys.seal(
            "seal-host", _pack(self.cert_pem.encode(), self.team_id.encode(), self.payload)
        )
        return _pack(self._keys.mac("confirm-host", joiner_fp, self.fingerprint), sealed_host)

    def receive_finish(self, m5: bytes) -> Joiner:
        """The confirmed joiner; raises WrongCode if M5 does not check out."""
        assert self._keys is not None and self.joiner is not None, "receive_confirm first"
        self._keys.check("finish-joiner", m5, self.joiner.fingerprint, self.fingerprint)
        return self.joiner

    def ok(self) -> bytes:
        assert self._keys is not None and self.joiner is not None
        return self._keys.mac("finish-host", self.joiner.fingerprint, self.fingerprint)


class InvitePolicy:
    """Whether an invite may still be tried: expiry, single use, failure budget."""

    def __init__(self, expires_at: dt.datetime, max_failures: int = 3) -> None:
        self.expires_at, self.max_failures = expires_at, max_failures
        self.failures = 0
        self.used = False

    def refusal(self, now: dt.datetime) -> str | None:
        """Why the invite cannot be tried now, or None."""
        if self.used:
            return "this invite has already been used"
        if self.failures >= self.max_failures:
            return "this invite is no longer valid (too many wrong codes)"
        if now >= self.expires_at:
            return "this invite has expired"
        return None


# --------------------------------------------------------------------------- I/O
async def _read(reader: asyncio.StreamReader, limit: int) -> tuple[int, bytes]:
    try:
        length, kind = struct.unpack(">IB", await reader.readexactly(5))
        if length > limit:
            raise InviteError("invite message too large")
        return kind, await reader.readexactly(length)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise InviteError("the other side closed the connection") from exc


async def _expect(reader: asyncio.StreamReader, kind: int, limit: int = MAX_MESSAGE) -> bytes:
    got, body = await _read(reader, limit)
    if got == REFUSED:
        reason = body.decode(errors="replace")[:200]
        raise WrongCode(reason) if reason == WRONG_CODE else InviteRefused(reason)
    if got != kind:
        raise InviteError("unexpected invite message")
    return body


async def _send(writer: asyncio.StreamWriter, kind: int, body: bytes) -> None:
    writer.write(struct.pack(">IB", len(body), kind) + body)
    await writer.drain()


OnJoined = Callable[[Joiner], Awaitable[None] | None]


class InviteHost:
    """Serves one invite code until it is used, dies, expires or is closed."""

    def __init__(
        self,
        code: str,
        expires_at: dt.datetime,
        *,
        cert_pem: str,
        team_id: str,
        payload: bytes = b"",
        max_failures: int = 3,
        on_joined: OnJoined | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        attempt_timeout: float = ATTEMPT_TIMEOUT,
    ) -> None:
        parse_code(code)  # refuse a bad code now, not at the first attempt
        self.code, self.cert_pem, self.team_id, self.payload = code, cert_pem, team_id, payload
        self.policy = InvitePolicy(expires_at, max_failures)
        self.on_joined = on_joined
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.attempt_timeout = attempt_timeout
        self.joined: Joiner | None = None
        self.finished = asyncio.Event()  # set once the invite is used or dead
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._lock = asyncio.Lock()  # one attempt at a time: failures count in order

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host``:``port`` (0: any free port); returns the bound port."""
        self._server = await asyncio.start_server(self._handle, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            async with self._lock:
                await asyncio.wait_for(self._attempt(reader, writer), self.attempt_timeout)
        except WrongCode:
            log.warning(
                "invite attempt from %s: wrong code (%d of %d failures)",
                peer,
                self.policy.failures,
                self.policy.max_failures,
            )
        except (TimeoutError, InviteError, OSError) as exc:
            log.info("invite attempt from %s failed: %s", peer, exc or type(exc).__name__)
        finally:
            writer.close()

    async def _attempt(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        m1 = await _expect(reader, HELLO, MAX_FIRST_MESSAGE)
        refusal = self.policy.refusal(self.clock())
        if refusal is not None:
            await _send(writer, REFUSED, refusal.encode())
            raise InviteRefused(refusal)
        handshake = HostHandshake(self.code, self.cert_pem, self.team_id, self.payload)
        try:
            await _send(writer, REPLY, handshake.receive_hello(m1))
            m3 = await _expect(reader, CONFIRM)
            try:
                m4 = handshake.receive_confirm(m3)
            except WrongCode:
                self.policy.failures += 1
                if self.policy.failures >= self.policy.max_failures:
                    self.finished.set()
                raise
            await _send(writer, HOST, m4)
            joiner = handshake.receive_finish(await _expect(reader, FINISH))
            refusal = self.policy.refusal(self.clock())
            if refusal is not None:
                raise InviteRefused(refusal)
            self.policy.used = True
            try:
                outcome = self.on_joined(joiner) if self.on_joined is not None else None
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                self.policy.used = False
                log.exception("adding the invited member failed")
                raise InviteRefused("the inviter could not add you") from None
        except InviteError as exc:
            await _send(writer, REFUSED, str(exc).encode())
            raise
        self.joined = joiner
        self.finished.set()
        await _send(writer, OK, handshake.ok())
        log.info("invite used by %s", joiner.fingerprint[:12])


async def join(
    host: str, port: int, code: str, cert_pem: str, name: str, *, timeout: float = ATTEMPT_TIMEOUT
) -> JoinResult:
    """Join through the inviter at ``host``:``port``; returns what the inviter sent.

    Raises InvalidCode, WrongCode, InviteRefused (expired, used, no longer valid) or
    InviteError (unreachable, broken exchange)."""
    handshake = JoinerHandshake(code, cert_pem, name)
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (TimeoutError, OSError) as exc:
        raise InviteError(f"cannot reach the inviter at {host}:{port}: {exc}") from None
    try:

        async def exchange() -> JoinResult:
            await _send(writer, HELLO, handshake.start())
            await _send(writer, CONFIRM, handshake.receive_reply(await _expect(reader, REPLY)))
            await _send(writer, FINISH, handshake.receive_host(await _expect(reader, HOST)))
            return handshake.receive_ok(await _expect(reader, OK))

        return await asyncio.wait_for(exchange(), timeout)
    except TimeoutError:
        raise InviteError("the inviter did not answer in time") from None
    except OSError as exc:
        raise InviteError(f"the connection to the inviter failed: {exc}") from None
    finally:
        writer.close()
