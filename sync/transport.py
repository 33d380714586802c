"""Mutually authenticated TLS 1.3 connections between members, on asyncio. Moves frames only.

Who is accepted is :class:`sync.trust.Trust` (members' certificates, pinned by
fingerprint); :meth:`Server.refresh` closes live connections of peers that are no longer
members after :meth:`Trust.update`.

In TLS 1.3 the client finishes its handshake before the server has checked the client's
certificate, so a refused client sees only EOF: the server's handler must send its hello
first, and :func:`connect` waits for that first frame and treats silence as rejection.

The server accepts plain TCP, pauses reading at once, and upgrades each connection with
``loop.start_tls(server_side=True)`` using the trust of that moment (server-side
``StreamWriter.start_tls()`` can hang on 3.11). Limits (:mod:`sync.limits`): a handshake
timeout (also for the peer's hello), an idle timeout per read, a cap on concurrent
connections, a cap on failed handshakes per address per window, and frame size caps.
Every refusal, and every malformed or oversize frame, closes that connection with a reason
logged on ``teamboard.sync`` (addresses and reasons only, never keys or board content).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import NoReturn

from sync import protocol
from sync.limits import FailedHandshakes, Limits
from sync.protocol import Bye, Frame, Hello, ProtocolError
from sync.trust import Trust, peer_fingerprint

__all__ = [
    "Connection",
    "ConnectionClosed",
    "PeerRejected",
    "Server",
    "TransportError",
    "Trust",
    "connect",
]

log = logging.getLogger("teamboard.sync")

CLOSE_TIMEOUT = 5.0  # seconds to say goodbye before the socket is dropped

Handler = Callable[["Connection"], Awaitable[None]]


class TransportError(Exception):
    """A connection could not be made or was lost."""


class PeerRejected(TransportError):
    """The peer is not a current member, is ourselves, or refused us."""


class ConnectionClosed(TransportError):
    """The connection is closed; ``reason`` says why (``bye``: the peer said so)."""

    def __init__(self, reason: str, bye: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.bye = bye


class Connection:
    """One authenticated connection to a member: read and send frames, close with a reason."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer_fingerprint: str,
        limits: Limits | None = None,
    ) -> None:
        """``limits``: frame caps, the time allowed for the peer's hello (the handshake
        timeout) and, after it, between frames (the idle timeout)."""
        self._reader = reader
        self._writer = writer
        self.peer_fingerprint = peer_fingerprint
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer_address: tuple[str, int] = (str(peer[0]), int(peer[1]))
        self.limits = limits or Limits()
        self.idle_timeout = self.limits.idle_timeout
        self.close_reason: str | None = None
        self._got_hello = False
        self._pending: Frame | None = None
        self._send_lock = asyncio.Lock()
        self.bytes_in = 0  # frame bytes read and sent (TLS adds its records on top)
        self.bytes_out = 0

    @property
    def closed(self) -> bool:
        return self.close_reason is not None

    def __repr__(self) -> str:
        host, port = self.peer_address
        return f"<Connection {self.peer_fingerprint[:12]} {host}:{port}>"

    async def read_frame(self) -> Frame:
        """The next frame from the peer (the first is always a Hello).

        Raises ConnectionClosed when the peer left, stayed silent past the idle timeout
        (before its hello: the handshake timeout), or sent something malformed or too
        large (the connection is then closed with a logged reason)."""
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        if self.closed:
            raise ConnectionClosed(self.close_reason or "closed")
        if self._got_hello:
            limit, timeout = self.limits.max_frame, self.idle_timeout
        else:
            limit, timeout = self.limits.max_hello, self.limits.handshake_timeout
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that arrives as a frame completes, and a stopping node would read on forever.
            async with asyncio.timeout(timeout):
                frame, size = await protocol.read_sized_frame(self._reader, limit)
                self.bytes_in += size
        except TimeoutError:
            what = "frame" if self._got_hello else "hello"
            await self._fail(f"no {what} for {timeout:g} s")
        except ProtocolError as exc:
            await self._fail(str(exc))
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, OSError) as exc:
            self._lost(f"peer closed the connection ({type(exc).__name__})")
        if not self._got_hello and not isinstance(frame, Hello):
            if isinstance(frame, Bye):
                self._lost(f"peer said bye: {frame.reason}", bye=True)
            await self._fail(f"expected a hello, got {type(frame).__name__}")
        self._got_hello = True
        return frame

    async def send(self, frame: Frame) -> None:
        """Send one frame; raises ConnectionClosed if the connection is gone."""
        if self.closed:
            raise ConnectionClosed(self.close_reason or "closed")
        async with self._send_lock:
            try:
                data = protocol.encode(frame)
                self.bytes_out += len(data)
                self._writer.write(data)
                async with asyncio.timeout(self.idle_timeout):
                    await self._writer.drain()
            except (TimeoutError, ConnectionError, ssl.SSLError, OSError) as exc:
                self._lost(f"sending failed ({type(exc).__name__})")

    async def close(self, reason: str = "closed") -> None:
        """Say Bye(reason) if we can, then close. Idempotent."""
        if self.closed:
            return
        self.close_reason = reason
        with contextlib.suppress(Exception):  # the transport may be gone: nothing to tell
            self._writer.write(protocol.encode(Bye(reason)))
        await self._shutdown()

    async def _fail(self, reason: str) -> NoReturn:
        log.warning("closing connection with %s: %s", self, reason)
        await self.close(reason)
        raise ConnectionClosed(reason)

    def _lost(self, reason: str, bye: bool = False) -> NoReturn:
        if not self.closed:
            log.info("connection with %s lost: %s", self, reason)
            self.close_reason = reason
            self._writer.transport.abort()
        raise ConnectionClosed(reason, bye)

    async def _shutdown(self) -> None:
        self._writer.close()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._writer.wait_closed()
        except (TimeoutError, ConnectionError, ssl.SSLError, OSError):
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

    The handler must send our Hello first; when it returns, the connection is closed.
    ``limits`` may be replaced while the server runs; ``clock`` (monotonic seconds) times
    the failed-handshake window."""

    def __init__(
        self,
        trust: Trust,
        handler: Handler,
        *,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.trust = trust
        self.handler = handler
        self.limits = limits or Limits()
        self.clock = clock
        self.port = 0
        self.connections: set[Connection] = set()
        self._failures = FailedHandshakes(
            self.limits.max_failed_handshakes, self.limits.failed_handshake_window
        )
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
        for conn in list(self.connections):
            await conn.close("peer is shutting down")
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            # Last: from Python 3.12 on this waits for every accepted connection to end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await self._server.wait_closed()

    def _accepted(self, transport: asyncio.Transport) -> None:
        """A TCP connection arrived: refuse it at once (before any TLS work) when its
        address failed too many handshakes lately or too many connections are open."""
        host = _host(transport.get_extra_info("peername"))
        self._failures.limit = self.limits.max_failed_handshakes
        self._failures.window = self.limits.failed_handshake_window
        reason = None
        if self._failures.blocked(host, self.clock()):
            reason = (
                f"{self.limits.max_failed_handshakes} failed handshakes in the last "
                f"{self.limits.failed_handshake_window:g} s"
            )
        elif len(self._tasks) >= self.limits.max_connections:
            reason = f"too many connections (limit {self.limits.max_connections})"
        if reason is not None:
            log.warning("refusing connection from %s: %s", host, reason)
            transport.abort()
            return
        task = asyncio.get_running_loop().create_task(self._serve(transport, host))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _handshake_failed(self, host: str, why: str) -> None:
        count = self._failures.record(host, self.clock())
        log.warning(
            "TLS handshake with %s failed: %s (%d of %d allowed in %g s)",
            host,
            why,
            count,
            self.limits.max_failed_handshakes,
            self.limits.failed_handshake_window,
        )

    async def _serve(self, transport: asyncio.Transport, host: str) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        stream_protocol = asyncio.StreamReaderProtocol(reader)
        timeout = self.limits.handshake_timeout
        try:
            tls = await loop.start_tls(
                transport,
                stream_protocol,
                self.trust.server_context(),
                server_side=True,
                ssl_handshake_timeout=timeout,
            )
        except (TimeoutError, ssl.SSLError, OSError, ConnectionError) as exc:
            transport.abort()
            why = str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError) or "taking longer than" in why:  # asyncio's words
                why = f"no TLS handshake within {timeout:g} s"
            self._handshake_failed(host, why)
            return
        if tls is None:  # the peer left during the handshake
            transport.abort()
            self._handshake_failed(host, "the peer left during the handshake")
            return
        stream_protocol.connection_made(tls)  # start_tls leaves that to us
        writer = asyncio.StreamWriter(tls, stream_protocol, reader, loop)
        peer_fp = peer_fingerprint(writer)
        reason = "no client certificate" if peer_fp is None else self.trust.refusal(peer_fp)
        if reason is not None or peer_fp is None:
            tls.abort()  # a refused peer gets nothing, not even a goodbye
            self._handshake_failed(host, f"refused: {reason}")
            return
        conn = Connection(reader, writer, peer_fp, self.limits)
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


def _host(peername: object) -> str:
    """The address part of a socket's peer name ("?" when the socket is already gone)."""
    if isinstance(peername, (tuple, list)) and peername:
        return str(peername[0])
    return "?"


async def connect(
    host: str,
    port: int,
    trust: Trust,
    *,
    expected_fingerprint: str | None = None,
    limits: Limits | None = None,
    handshake_timeout: float | None = None,
    idle_timeout: float | None = None,
) -> Connection:
    """Connect to a member at ``host``:``port`` and wait for its hello.

    ``handshake_timeout`` and ``idle_timeout``, when given, override those of ``limits``.
    Raises PeerRejected when the peer is not a current member (or not the expected one,
    or ourselves) or it does not accept us, and TransportError when it cannot be reached."""
    limits = limits or Limits()
    if handshake_timeout is not None:
        limits = replace(limits, handshake_timeout=handshake_timeout)
    if idle_timeout is not None:
        limits = replace(limits, idle_timeout=idle_timeout)
    timeout = limits.handshake_timeout
    try:
        async with asyncio.timeout(timeout * 2):  # TCP connect plus the TLS handshake
            reader, writer = await asyncio.open_connection(
                host,
                port,
                ssl=trust.client_context(),
                server_hostname="",
                ssl_handshake_timeout=timeout,
            )
    except ssl.SSLCertVerificationError as exc:
        raise PeerRejected(f"{host}:{port} is not a member: {exc.verify_message}") from None
    except (TimeoutError, ssl.SSLError, OSError) as exc:
        why = str(exc) or type(exc).__name__
        raise TransportError(f"cannot connect to {host}:{port}: {why}") from None
    peer_fp = peer_fingerprint(writer)
    reason = "no server certificate" if peer_fp is None else trust.refusal(peer_fp)
    if reason is None and expected_fingerprint is not None and peer_fp != expected_fingerprint:
        reason = "not the member we expected"
    if reason is not None or peer_fp is None:
        writer.transport.abort()
        raise PeerRejected(f"{host}:{port}: {reason}")
    conn = Connection(reader, writer, peer_fp, limits)
    try:
        # The server speaks first (within the handshake timeout); a server that refused
        # our certificate just closes.
        conn._pending = await conn.read_frame()
    except ConnectionClosed as exc:
        # A peer that does not take our certificate (we are not, or no longer, a member
        # there) hangs up without a word; one that is busy says why.
        hint = "" if exc.bye else " (are we still a member there?)"
        raise PeerRejected(f"{host}:{port} refused us{hint}: {exc.reason}") from None
    return conn
