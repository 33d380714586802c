"""Mutually authenticated TLS 1.3 connections between members, on asyncio. Moves frames only.

Trust: the TLS trust anchors are the current members' self-signed certificates, and after
the handshake the SHA-256 fingerprint of the peer's certificate must belong to a current
member (pinning: a member's certificate is a CA and could otherwise vouch for others).
Connections to ourselves are refused. A context's trust store only grows, so
:meth:`Trust.update` builds new contexts and :meth:`Server.refresh` closes live
connections of peers that are no longer members.

In TLS 1.3 the client finishes its handshake before the server has checked the client's
certificate, so a refused client sees only EOF: the server's handler must send its hello
first, and :func:`connect` waits for that first frame and treats silence as rejection.

The server accepts plain TCP, pauses reading at once, and upgrades each connection with
``loop.start_tls(server_side=True)`` using the trust of that moment (server-side
``StreamWriter.start_tls()`` can hang on 3.11). Limits: a handshake timeout, an idle
timeout per read, a cap on concurrent connections, and frame size caps. Malformed or
oversize frames close that connection with a reason logged on ``teamboard.sync``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import NoReturn

from sync import protocol
from sync.identity import Identity, fingerprint
from sync.protocol import MAX_FRAME, MAX_HELLO, Bye, Frame, Hello, ProtocolError

log = logging.getLogger("teamboard.sync")

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 90.0  # the node pings more often than this
CLOSE_TIMEOUT = 5.0
MAX_CONNECTIONS = 32

Handler = Callable[["Connection"], Awaitable[None]]


class TransportError(Exception):
    """A connection could not be made or was lost."""


class PeerRejected(TransportError):
    """The peer is not a current member, is ourselves, or refused us."""


class ConnectionClosed(TransportError):
    """The connection is closed; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Trust:
    """Our identity and the members we accept; builds the TLS contexts."""

    def __init__(
        self,
        identity: Identity,
        member_certs: Iterable[str],
        is_member: Callable[[str], bool] | None = None,
    ) -> None:
        self.identity = identity
        self._is_member = is_member
        self.update(member_certs)

    def update(self, member_certs: Iterable[str]) -> None:
        """Trust exactly ``member_certs`` (PEM) from now on, in new contexts."""
        self.member_certs = [pem for pem in member_certs if pem.strip()]
        self._fingerprints = {_pem_fingerprint(pem) for pem in self.member_certs}
        self._server = self._context(ssl.PROTOCOL_TLS_SERVER)
        self._client = self._context(ssl.PROTOCOL_TLS_CLIENT)

    def is_member(self, peer_fingerprint: str) -> bool:
        if self._is_member is not None:
            return self._is_member(peer_fingerprint)
        return peer_fingerprint in self._fingerprints

    def refusal(self, peer_fingerprint: str) -> str | None:
        """Why a peer with this certificate fingerprint is refused, or None if it is welcome."""
        if peer_fingerprint == self.identity.fingerprint:
            return "that is ourselves"
        if not self.is_member(peer_fingerprint):
            return "not a current member"
        return None

    def server_context(self) -> ssl.SSLContext:
        return self._server

    def client_context(self) -> ssl.SSLContext:
        return self._client

    def _context(self, purpose: ssl._SSLMethod) -> ssl.SSLContext:
        ctx = ssl.SSLContext(purpose)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        if purpose == ssl.PROTOCOL_TLS_SERVER:
            ctx.num_tickets = 0  # no resumption: every connection shows its certificate
        with self.identity.tls_files() as (cert_path, key_path):
            ctx.load_cert_chain(cert_path, key_path)
        if self.member_certs:
            ctx.load_verify_locations(cadata="\n".join(self.member_certs))
        return ctx


def _pem_fingerprint(pem: str) -> str:
    return fingerprint(ssl.PEM_cert_to_DER_cert(pem.strip() + "\n"))


def _peer_fingerprint(writer: asyncio.StreamWriter) -> str | None:
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return fingerprint(der) if der else None


class Connection:
    """One authenticated connection to a member: read and send frames, close with a reason."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer_fingerprint: str,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.peer_fingerprint = peer_fingerprint
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer_address: tuple[str, int] = (str(peer[0]), int(peer[1]))
        self.idle_timeout = idle_timeout
        self.close_reason: str | None = None
        self._got_hello = False
        self._pending: Frame | None = None
        self._send_lock = asyncio.Lock()

    @property
    def closed(self) -> bool:
        return self.close_reason is not None

    def __repr__(self) -> str:
        host, port = self.peer_address
        return f"<Connection {self.peer_fingerprint[:12]} {host}:{port}>"

    async def read_frame(self) -> Frame:
        """The next frame from the peer (the first is always a Hello).

        Raises ConnectionClosed when the peer left, stayed silent past the idle timeout,
        or sent something malformed (the connection is then closed with a logged reason)."""
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        if self.closed:
            raise ConnectionClosed(self.close_reason or "closed")
        limit = MAX_FRAME if self._got_hello else MAX_HELLO
        try:
            frame = await asyncio.wait_for(
                protocol.read_frame(self._reader, limit), self.idle_timeout
            )
        except asyncio.TimeoutError:
            await self._fail(f"no frame for {self.idle_timeout:g} s")
        except ProtocolError as exc:
            await self._fail(str(exc))
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, OSError) as exc:
            self._lost(f"peer closed the connection ({type(exc).__name__})")
        if not self._got_hello and not isinstance(frame, Hello):
            if isinstance(frame, Bye):
                self._lost(f"peer said bye: {frame.reason}")
            await self._fail(f"expected a hello, got {type(frame).__name__}")
        self._got_hello = True
        return frame

    async def send(self, frame: Frame) -> None:
        """Send one frame; raises ConnectionClosed if the connection is gone."""
        if self.closed:
            raise ConnectionClosed(self.close_reason or "closed")
        async with self._send_lock:
            try:
                self._writer.write(protocol.encode(frame))
                await asyncio.wait_for(self._writer.drain(), self.idle_timeout)
            except (asyncio.TimeoutError, ConnectionError, ssl.SSLError, OSError) as exc:
                self._lost(f"sending failed ({type(exc).__name__})")

    async def close(self, reason: str = "closed") -> None:
        """Say Bye(reason) if we can, then close. Idempotent."""
        if self.closed:
            return
        self.close_reason = reason
        try:
            self._writer.write(protocol.encode(Bye(reason)))
        except Exception:  # the transport may already be gone; nothing to tell then
            pass
        await self._shutdown()

    async def _fail(self, reason: str) -> NoReturn:
        log.warning("closing connection with %s: %s", self, reason)
        await self.close(reason)
        raise ConnectionClosed(reason)

    def _lost(self, reason: str) -> NoReturn:
        if not self.closed:
            log.info("connection with %s lost: %s", self, reason)
            self.close_reason = reason
            self._writer.transport.abort()
        raise ConnectionClosed(reason)

    async def _shutdown(self) -> None:
        self._writer.close()
        try:
            await asyncio.wait_for(self._writer.wait_closed(), CLOSE_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError, ssl.SSLError, OSError):
            self._writer.transport.abort()


class _Accepted(asyncio.Protocol):
    """Holds a fresh TCP connection, reading nothing, until TLS takes it over."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # the ClientHello must reach TLS, not us
        self.server._accepted(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        pass


class Server:
    """Accepts TLS connections from members and runs ``handler`` on each.

    The handler must send our Hello first; when it returns, the connection is closed."""

    def __init__(
        self,
        trust: Trust,
        handler: Handler,
        *,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.trust = trust
        self.handler = handler
        self.handshake_timeout = handshake_timeout
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.port = 0
        self.connections: set[Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.AbstractServer | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host``:``port`` (0: any free port); returns the bound port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Accepted(self), host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def update_members(self, member_certs: Iterable[str]) -> None:
        """Trust exactly ``member_certs`` from now on and drop anyone no longer in it."""
        self.trust.update(member_certs)
        await self.refresh()

    async def refresh(self) -> None:
        """Close live connections of peers that are no longer welcome (after Trust.update)."""
        for conn in list(self.connections):
            reason = self.trust.refusal(conn.peer_fingerprint)
            if reason is not None:
                log.info("closing connection with %s: %s", conn, reason)
                await conn.close("you are not a current member")

    async def close(self) -> None:
        """Stop listening, close every connection and wait for their handlers."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for conn in list(self.connections):
            await conn.close("peer is shutting down")
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accepted(self, transport: asyncio.Transport) -> None:
        if len(self._tasks) >= self.max_connections:
            log.warning("refusing connection from %s: too many connections",
                        transport.get_extra_info("peername"))
            transport.abort()
            return
        task = asyncio.get_running_loop().create_task(self._serve(transport))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, transport: asyncio.Transport) -> None:
        peer = transport.get_extra_info("peername")
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        stream_protocol = asyncio.StreamReaderProtocol(reader)
        try:
            tls = await loop.start_tls(
                transport, stream_protocol, self.trust.server_context(), server_side=True,
                ssl_handshake_timeout=self.handshake_timeout,
            )
        except (ssl.SSLError, OSError, asyncio.TimeoutError, ConnectionError) as exc:
            log.info("TLS handshake with %s failed: %s", peer, exc or type(exc).__name__)
            transport.abort()
            return
        if tls is None:  # the peer left during the handshake
            transport.abort()
            return
        stream_protocol.connection_made(tls)  # start_tls leaves that to us
        writer = asyncio.StreamWriter(tls, stream_protocol, reader, loop)
        peer_fp = _peer_fingerprint(writer)
        reason = "no client certificate" if peer_fp is None else self.trust.refusal(peer_fp)
        if reason is not None or peer_fp is None:
            log.warning("refusing connection from %s: %s", peer, reason)
            tls.abort()  # a refused peer gets nothing, not even a goodbye
            return
        conn = Connection(reader, writer, peer_fp, self.idle_timeout)
        self.connections.add(conn)
        try:
            await self.handler(conn)
        except ConnectionClosed as exc:
            log.info("connection with %s ended: %s", conn, exc.reason)
        except Exception:
            log.exception("connection handler for %s failed", conn)
        finally:
            self.connections.discard(conn)
            await conn.close("done")


async def connect(
    host: str,
    port: int,
    trust: Trust,
    *,
    expected_fingerprint: str | None = None,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    idle_timeout: float = IDLE_TIMEOUT,
) -> Connection:
    """Connect to a member at ``host``:``port`` and wait for its hello.

    Raises PeerRejected when the peer is not a current member (or not the expected one,
    or ourselves) or it does not accept us, and TransportError when it cannot be reached."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                host, port, ssl=trust.client_context(), server_hostname="",
                ssl_handshake_timeout=handshake_timeout,
            ),
            handshake_timeout * 2,
        )
    except ssl.SSLCertVerificationError as exc:
        raise PeerRejected(f"{host}:{port} is not a member: {exc.verify_message}") from None
    except (ssl.SSLError, OSError, asyncio.TimeoutError) as exc:
        why = str(exc) or type(exc).__name__
        raise TransportError(f"cannot connect to {host}:{port}: {why}") from None
    peer_fp = _peer_fingerprint(writer)
    reason = "no server certificate" if peer_fp is None else trust.refusal(peer_fp)
    if reason is None and expected_fingerprint is not None and peer_fp != expected_fingerprint:
        reason = "not the member we expected"
    if reason is not None or peer_fp is None:
        writer.transport.abort()
        raise PeerRejected(f"{host}:{port}: {reason}")
    conn = Connection(reader, writer, peer_fp, idle_timeout=handshake_timeout)
    try:
        # The server speaks first; a server that refused our certificate just closes.
        conn._pending = await conn.read_frame()
    except ConnectionClosed as exc:
        raise PeerRejected(f"{host}:{port} refused us: {exc.reason}") from None
    conn.idle_timeout = idle_timeout
    return conn
