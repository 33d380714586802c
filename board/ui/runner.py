"""Off-the-UI-thread service calls: writes in submission order, loads latest-wins.

Every service call that touches SQLite runs in a Textual thread worker (so tests can wait
for them with ``app.workers.wait_for_complete()``); results come back to the UI thread with
``call_from_thread``. Writes queue behind each other in the order they were asked for (the
one-writer idea from Datasette); a load that a newer load of the same key overtook is
dropped instead of painting stale data.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from board.model import BoardError
from board.service import BoardService

if TYPE_CHECKING:
    from board.ui.app import TeamboardApp

T = TypeVar("T")
log = logging.getLogger("teamboard.ui")


class Closed(Exception):
    """The board was closed (the app is quitting): drop the work quietly."""


class Runner:
    """Runs service calls for the app in thread workers."""

    def __init__(self, app: TeamboardApp) -> None:
        self.app = app
        self._writes: deque[tuple[Callable[[BoardService], Any], Any, Any]] = deque()
        self._write_lock = threading.Lock()
        self._generation: dict[str, int] = {}

    def _deliver(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is not None:
            self.app.call_quietly(callback, *args)

    def write(
        self,
        call: Callable[[BoardService], T],
        done: Callable[[T], Any] | None = None,
        failed: Callable[[BoardError], Any] | None = None,
    ) -> None:
        """Run ``call(service)`` after every write asked for before it."""
        self._writes.append((call, done, failed))

        def job() -> None:
            # Each job runs the oldest queued write, so writes keep their order whichever
            # worker thread happens to start first.
            with self._write_lock:
                call, done, failed = self._writes.popleft()
                try:
                    with self.app.using_service() as service:
                        result: Any = call(service)
                    outcome: tuple[Any, Any] = (done, result)
                except Closed:
                    return
                except BoardError as exc:
                    outcome = (failed or self.app.show_error, exc)
                except Exception as exc:  # never a traceback on screen
                    log.exception("service call failed")
                    outcome = (failed or self.app.show_error, BoardError(f"could not save: {exc}"))
            self._deliver(*outcome)

        self.app.run_worker(job, thread=True, group="write", exit_on_error=False)

    def load(
        self,
        key: str | None,
        call: Callable[[BoardService], T],
        done: Callable[[T], Any],
        failed: Callable[[BoardError], Any] | None = None,
    ) -> None:
        """Run ``call(service)``; ``done`` gets the result unless a newer load of ``key``
        was started meanwhile (``key`` None: always)."""
        generation = self._generation.get(key, 0) + 1 if key is not None else 0
        if key is not None:
            self._generation[key] = generation

        def deliver(result: T) -> None:
            if key is None or self._generation.get(key) == generation:
                done(result)

        def job() -> None:
            try:
                with self.app.using_service() as service:
                    result = call(service)
            except Closed:
                return
            except BoardError as exc:
                self._deliver(failed or self.app.show_error, exc)
                return
            except Exception as exc:
                log.exception("loading %s failed", key)
                self._deliver(failed or self.app.show_error, BoardError(f"could not load: {exc}"))
                return
            self._deliver(deliver, result)

        self.app.run_worker(job, thread=True, group=f"load-{key}", exit_on_error=False)


class LoopJob:
    """One coroutine on its own asyncio loop, run by a thread worker (``run``), that any
    thread may cancel (``cancel`` waits until the coroutine's cleanup has finished).

    For the network work of invites and joins: ``asyncio.run`` in a thread keeps the UI
    loop free, and a cancel lets ``finally`` blocks close sockets and nodes cleanly."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._loop: Any = None
        self._task: Any = None
        self._cancelled = False
        self._done = threading.Event()

    def run(self) -> Any:
        """Run the coroutine to its end (in the calling thread); raises what it raised,
        ``asyncio.CancelledError`` when cancelled."""
        import asyncio

        async def main() -> Any:
            with self._lock:
                if self._cancelled:
                    raise asyncio.CancelledError()
                self._loop = asyncio.get_running_loop()
                self._task = asyncio.current_task()
            return await self._make()

        try:
            return asyncio.run(main())
        finally:
            self._done.set()

    def cancel(self, timeout: float = 15.0) -> None:
        with self._lock:
            self._cancelled = True
            loop, task = self._loop, self._task
        if loop is None:
            return  # not started: run() will not start it
        try:
            loop.call_soon_threadsafe(task.cancel)
        except RuntimeError:  # the loop already ended
            return
        self._done.wait(timeout)
