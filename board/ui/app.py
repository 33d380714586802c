"""TeamboardApp: the Textual app, and the bridge from domain events to Textual messages.

``run_ui(home)`` is what the CLI calls; ``make_app(home)`` is the factory the CLI and the
tests share. The app talks to the board only through :class:`board.service.BoardService`,
in thread workers (see :mod:`board.ui.runner`).

Opening a board (:mod:`board.ui.opening`) shows it from its read-model tables first; the
automerge document loads after. A change is announced with fresh copies of the goals and
commitments it touched (read in the writer's thread), so the board paints it without
another round trip through a worker.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal

from board.events import BoardChanged, Event, PeersChanged, SyncProblem
from board.model import BoardError, NotFound, Record
from board.service import BoardService
from board.ui import settings
from board.ui.cards import Board
from board.ui.directory import Directory
from board.ui.messages import BoardDelta, BoardUpdated, SyncStatus
from board.ui.opening import Opening
from board.ui.runner import Closed, Runner
from board.workspace import Workspace, has_board

if TYPE_CHECKING:
    from sync.background import BackgroundSync

__all__ = ["Directory", "TeamboardApp", "make_app", "run_ui"]  # Directory: screens import it here
log = logging.getLogger("teamboard.ui")
Clock = Callable[[], dt.datetime]
DIRECTORY_COLLECTIONS = ("members", "streams", "team")
TOAST_DELAY = 0.1  # seconds from a change to its toast (see notify_after_change)


class TeamboardApp(Opening):
    """The terminal UI on one home."""

    CSS_PATH = "app.tcss"
    TITLE = "teamboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]
    # Records of these collections that a change touched are read in the thread that made
    # the change, right after it was stored (up to READ_AHEAD_LIMIT of them): the board
    # shows a status change without another round trip through a worker.
    READ_AHEAD: ClassVar[tuple[str, ...]] = ("goals", "commitments")
    READ_AHEAD_LIMIT: ClassVar[int] = 50

    def __init__(
        self,
        home: Path,
        clock: Clock | None = None,
        poll_interval: float = 0.5,
        sync: bool = False,
    ) -> None:
        super().__init__()
        self.sync_enabled = sync
        self.home = Path(home).expanduser()
        self.clock = clock
        self.poll_interval = poll_interval
        self.workspace: Workspace | None = None
        self.directory = Directory()
        self.runner = Runner(self)
        self.board_changed: Signal[BoardDelta] = Signal(self, "board_changed")
        self._pending: set[tuple[str, str]] = set()
        self._pending_everything = False
        self._pending_origins: set[str] = set()
        self._pending_records: dict[tuple[str, str], Record | None] = {}
        self._pending_lock = threading.Lock()
        self._refreshing = False
        self._unsubscribe: Callable[[], None] | None = None
        self._theme_ready = False
        self.preloaded_board: Board | None = None
        self.peers = 0  # connected sync peers, when a sync node reports them
        self.last_sync = ""
        self.sync: BackgroundSync | None = None  # the background sync node, once started
        self.sync_error = ""
        self.sync_changed: Signal[object] = Signal(self, "sync_changed")
        # Called by close_workspace before the board closes: background jobs that use the
        # board outside the service lock (an invite's own sync node) stop through these.
        self.stoppers: set[Callable[[], None]] = set()
        # Held by every worker while it uses the service, and by close_workspace: closing
        # the SQLite connection under a running query would crash the process.
        self._service_lock = threading.Lock()
        self._closed = False  # close_workspace ran: a board opening now is closed at once
        self._open_done = threading.Event()  # no board is opening (workers need not wait)
        self._open_done.set()
        self._painted = threading.Event()  # the board shown from the tables was painted

    # ------------------------------------------------------------------ start and stop
    @property
    def service(self) -> BoardService:
        if self.workspace is None and self._painted.is_set():
            # Shown from the tables, the document still loading (the worker needs nothing
            # from this thread to finish): wait for it.
            self._open_done.wait(30)
        if self.workspace is None:
            raise BoardError("no board is open")
        return self.workspace.service

    @contextmanager
    def using_service(self) -> Iterator[BoardService]:
        """For worker threads: the service, held open while in use (raises Closed after
        the board was closed). While the board is still opening, waits for it."""
        self._open_done.wait()
        with self._service_lock:
            if self.workspace is None:
                raise Closed()
            yield self.workspace.service

    def on_mount(self) -> None:
        self.theme = settings.chosen_theme(self.home, set(self.available_themes))
        self._theme_ready = True
        from board.ui.screens.welcome import LoadingScreen, WelcomeScreen

        if has_board(self.home):
            self.push_screen(LoadingScreen())
            self._open_done.clear()
            self.run_worker(self._open, thread=True, group="open", exit_on_error=False)
        else:
            self.push_screen(WelcomeScreen())

    def watch_theme(self, theme: str) -> None:
        if self._theme_ready:
            settings.save(self.home, theme=theme)

    def board_opened(
        self, workspace: Workspace, directory: Directory | None = None, changed: bool = False
    ) -> None:
        """Show the board of ``workspace`` (just opened, or just created); ``changed``: the
        board changed since it was shown from its tables."""
        from board.ui.screens.main import MainScreen

        if not self._adopt(workspace):
            return
        self.directory = directory or Directory.load(workspace.service)
        self._update_sub_title()
        if not isinstance(self.screen, MainScreen):
            self.switch_screen(MainScreen())
        self.set_interval(self.poll_interval, self._poll, name="refresh")
        if changed:
            with self._pending_lock:
                self._pending_everything = True
            self.post_message(BoardUpdated())
        self.settle_memory()
        if self.sync_enabled:
            self._start_sync(workspace)

    def _start_sync(self, workspace: Workspace) -> None:
        """Run the sync node in the background; it reports through ``_on_event``."""
        import os

        from sync.background import BackgroundSync
        from sync.node import interfaces_from_env, parse_address

        remembered = []
        for peer in workspace.service.known_peers():
            try:
                remembered.append(parse_address(peer.get("address") or ""))
            except ValueError:
                continue  # a peer that connected to us: it will again
        sync = BackgroundSync(
            workspace,
            interfaces=interfaces_from_env(),
            discovery=not os.environ.get("TEAMBOARD_NO_DISCOVERY"),
            peers=remembered,
            on_event=self._on_event,
        )
        self.sync = sync

        def job() -> None:
            sync.start()
            if sync.error:
                self.post_message(SyncStatus(SyncProblem(sync.error)))

        self.run_worker(job, thread=True, group="sync", exit_on_error=False)

    def show_fatal(self, message: str) -> None:
        from board.ui.screens.welcome import ProblemScreen

        self.switch_screen(ProblemScreen(message))

    def on_unmount(self) -> None:
        self.close_workspace()
        gc.unfreeze()

    def close_workspace(self) -> None:
        """Stop sync and background jobs, then close the board (waits for a worker that
        is using it to finish): the sync node must not outlive the SQLite connection."""
        sync, self.sync = self.sync, None
        if sync is not None:
            sync.stop()
        for stop in list(self.stoppers):
            stop()
        self._painted.set()  # a board still opening: stop waiting for a paint
        with self._service_lock:
            self._closed = True
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            if self.workspace is not None:
                self.workspace.close()
                self.workspace = None

    # ------------------------------------------------------------------ events in, repaints out
    def _on_event(self, event: Event) -> None:
        """Service (and sync) listener: runs on whichever thread wrote. Merge, then wake
        the UI; peer status and sync problems become messages of their own."""
        if isinstance(event, PeersChanged | SyncProblem):
            self.post_message(SyncStatus(event))
            return
        if not isinstance(event, BoardChanged):
            return
        records = self._read_ahead(event)
        with self._pending_lock:
            self._pending |= event.touched
            self._pending_everything |= event.everything
            self._pending_origins.add(event.origin)
            self._pending_records.update(records)
        self.post_message(BoardUpdated())

    def _read_ahead(self, event: BoardChanged) -> dict[tuple[str, str], Record | None]:
        """The ``READ_AHEAD`` records a small change touched, as they are now (called in the
        thread that made the change, after it was stored)."""
        wanted = [key for key in event.touched if key[0] in self.READ_AHEAD]
        workspace = self.workspace
        if event.everything or not wanted or len(wanted) > self.READ_AHEAD_LIMIT:
            return {}
        if workspace is None:
            return {}
        out: dict[tuple[str, str], Record | None] = {}
        try:
            for collection, record_id in wanted:
                try:
                    record: Record | None = workspace.service.get(record_id, [collection])
                except NotFound:
                    record = None
                out[collection, record_id] = None if record is None or record.archived else record
        except Exception:  # the board closing, say: the views read the records themselves
            log.debug("reading the changed records failed", exc_info=True)
            return {}
        return out

    def on_sync_status(self, message: SyncStatus) -> None:
        event = message.event
        if isinstance(event, SyncProblem):
            if self.sync is not None and event.message == self.sync.error:
                self.sync_error = event.message
            self.notify(event.message, title="Sync", severity="warning")
        elif isinstance(event, PeersChanged):
            self.peers = event.connected
            self.last_sync = event.last_sync or self.last_sync
        self._update_sub_title()
        self.sync_changed.publish(event)

    def sync_state(self) -> str:
        """What the header says about sync: off, offline, or peers and the last sync."""
        if self.sync is None and not self.sync_error:
            peers = f"{self.peers} peer{'s' if self.peers != 1 else ''}"
            return peers if self.peers else ""
        if self.sync_error:
            return "sync off"
        state = f"{self.peers} peer{'s' if self.peers != 1 else ''}" if self.peers else "offline"
        return f"{state} · synced {_local_time(self.last_sync)}" if self.last_sync else state

    def _update_sub_title(self) -> None:
        d = self.directory
        state = self.sync_state()
        self.sub_title = f"{d.team} · {d.name(d.me)}" + (f" · {state}" if state else "")

    def on_board_updated(self, message: BoardUpdated) -> None:
        with self._pending_lock:
            delta = BoardDelta(
                frozenset(self._pending),
                self._pending_everything,
                frozenset(self._pending_origins),
                self._pending_records,
            )
            self._pending, self._pending_everything, self._pending_origins = set(), False, set()
            self._pending_records = {}
        if not delta.touched and not delta.everything:
            return
        if delta.touches(*DIRECTORY_COLLECTIONS):
            self.runner.load("directory", Directory.load, lambda d: self._publish(delta, d))
        else:
            self._publish(delta, None)

    def _publish(self, delta: BoardDelta, directory: Directory | None) -> None:
        if directory is not None:
            self.directory = directory
            self._update_sub_title()
        self.board_changed.publish(delta)

    def _poll(self) -> None:
        """Pick up what another process wrote to this home (a cheap PRAGMA check)."""
        if self._refreshing or self.workspace is None:
            return
        self._refreshing = True

        def job() -> None:
            try:
                with self.using_service() as service:
                    service.refresh()
            except Closed:
                pass
            except Exception:  # a busy or closing database: try again next tick
                log.debug("refresh failed", exc_info=True)
            finally:
                self._refreshing = False

        self.run_worker(job, thread=True, group="refresh", exit_on_error=False)

    def today(self) -> str:
        """Today for due dates (the service's clock, so tests can freeze it)."""
        return (
            self.workspace.service.today().isoformat() if self.workspace else self.directory.today
        )

    # ------------------------------------------------------------------ errors, help, commands
    def show_error(self, exc: BaseException) -> None:
        self.notify(str(exc), title="Not done", severity="error", timeout=6)

    def notify_after_change(self, message: str, **kwargs: Any) -> None:
        """A toast about a change the screen shows anyway (a card moving on): shown a moment
        later, so that mounting it does not hold up the frame that shows the change."""
        self.set_timer(TOAST_DELAY, lambda: self.notify(message, **kwargs))

    def action_help(self) -> None:
        from board.ui.screens.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        commands = getattr(screen, "commands", None)
        if callable(commands):
            yield from commands()
        yield SystemCommand("Help", "Keys and what each view shows", self.action_help)
        yield from super().get_system_commands(screen)


def _local_time(utc: str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC (as the sync node records it) -> local ``HH:MM``."""
    try:
        moment = dt.datetime.strptime(utc, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return utc
    return moment.astimezone().strftime("%H:%M")


def make_app(
    home: Path, clock: Clock | None = None, poll_interval: float = 0.5, sync: bool = False
) -> TeamboardApp:
    """The app on ``home``: the welcome screen when it holds no board yet, else the board.

    ``clock`` replaces the real time (tests freeze it); ``poll_interval`` is how often the
    app looks for changes another process made to the home; ``sync`` runs the sync node in
    the background once the board is open (interfaces from ``$TEAMBOARD_INTERFACES``,
    no zeroconf when ``$TEAMBOARD_NO_DISCOVERY`` is set)."""
    return TeamboardApp(home, clock=clock, poll_interval=poll_interval, sync=sync)


def run_ui(home: Path) -> None:
    """Run the terminal UI on ``home`` until the user quits (what `teamboard` calls)."""
    app = make_app(home, sync=True)
    try:
        app.run()
    finally:
        app.close_workspace()
