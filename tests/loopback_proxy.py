"""A TCP proxy on 127.0.0.1 that can cut the link it carries, for partition tests.

One :class:`CutProxy` stands between two peers: the dialling node connects to the proxy,
which connects on to the listening node and copies bytes both ways. :meth:`CutProxy.cut`
breaks the link in one of two ways real networks do:

- ``"reset"``: live connections are torn down (both ends see a reset) and new ones are
  refused, like a peer that went away or a NAT that forgot the flow;
- ``"stall"``: nothing is lost but nothing passes, for live and new connections alike,
  like a cable pulled or a Wi-Fi that went quiet; the peers only notice through their
  own timeouts, and what they sent arrives once the link is restored, as TCP would.

Cuts may overlap; the link is open again once every cut on it has been restored.
"""

from __future__ import annotations

import asyncio
import contextlib

CHUNK = 64 * 1024


class CutProxy:
    """Forwards connections to ``127.0.0.1:target`` until cut."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = 0
        self.resets = 0  # cuts of kind "reset" in force
        self.stalls = 0  # cuts of kind "stall" in force
        self.severed = 0  # live connections torn down by cuts
        self.refused = 0  # connections refused while cut
        self.carried = 0  # connections forwarded
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._pipes: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        """Stop accepting and tear down every connection (they end on their own)."""
        if self._server is not None:
            self._server.close()
        self.resets += 1  # refuse whatever is still being accepted
        self._flowing.set()  # release stalled pumps, which then see the abort
        for pipe in list(self._pipes):
            _abort(*pipe)
        while self._tasks:
            await asyncio.sleep(0.01)

    @property
    def is_cut(self) -> bool:
        return bool(self.resets or self.stalls)

    def cut(self, how: str) -> None:
        """Break the link (``"reset"`` or ``"stall"``) until a matching :meth:`restore`."""
        if how == "reset":
            self.resets += 1
            for pipe in list(self._pipes):
                _abort(*pipe)
                self.severed += 1
        elif how == "stall":
            self.stalls += 1
        else:
            raise ValueError(how)
        self._flowing.clear()

    def restore(self, how: str) -> None:
        if how == "reset":
            self.resets -= 1
        else:
            self.stalls -= 1
        if not self.is_cut:
            self._flowing.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if self.resets:
                self.refused += 1
                writer.transport.abort()
                return
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
            except OSError:  # the node behind is down: like a refused connection
                writer.transport.abort()
                return
            if self.resets:  # cut while we were connecting
                self.refused += 1
                _abort(writer, up_writer)
                return
            self.carried += 1
            pipe = (writer, up_writer)
            self._pipes.add(pipe)
            try:
                await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
            finally:
                self._pipes.discard(pipe)
                _abort(*pipe)
        finally:
            self._tasks.discard(task)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Copy one direction; when either end goes, tear the whole connection down."""
        try:
            while data := await source.read(CHUNK):
                await self._flowing.wait()  # a stalled link holds the bytes
                if sink.transport.is_closing():
                    break
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        sink.transport.abort()


def _abort(*writers: asyncio.StreamWriter) -> None:
    for writer in writers:
        with contextlib.suppress(Exception):
            writer.transport.abort()
