"""How the app opens a board: shown from its read-model tables first, then the automerge
document loads in the worker; service calls asked for meanwhile wait for it
(:meth:`TeamboardApp.using_service`). If the board changed between the two reads (another
process wrote, or the tables were rebuilt), the views reload.

Loading the document holds the interpreter lock for its whole length (half a second with
10,000 items): the worker waits for the board to be painted before it starts.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App

from board.events import Event
from board.model import BoardError
from board.tables import BoardTables
from board.ui.cards import Board, load_board
from board.ui.directory import Directory
from board.workspace import Workspace

log = logging.getLogger("teamboard.ui")
# How long the document waits for the board shown from the tables to be painted before it
# loads (loading takes most of the interpreter's time: the first paint would wait).
FIRST_PAINT_WAIT = 3.0
# Between two steps of loading the document, the worker sleeps this long: the screen, if
# it has something to do, runs meanwhile.
LOAD_PAUSE = 0.001
# How long a thread that wants the interpreter waits for the one holding it before taking
# it, while the document loads (Python's default is 5 ms): a key's work on screen is not cut
# up by loading steps.
SCREEN_FIRST_INTERVAL = 0.05
SWITCH_INTERVAL = sys.getswitchinterval()  # as it was: set back once the document loaded


def _let_the_screen_run() -> None:
    time.sleep(LOAD_PAUSE)


class Opening(App[None]):
    """The opening sequence of :class:`board.ui.app.TeamboardApp` (its base class)."""

    home: Path
    clock: Any
    workspace: Workspace | None
    directory: Directory
    preloaded_board: Board | None
    _service_lock: threading.Lock
    _closed: bool
    _open_done: threading.Event
    _painted: threading.Event
    _unsubscribe: Callable[[], None] | None

    def _on_event(self, event: Event) -> None:
        raise NotImplementedError

    def _update_sub_title(self) -> None:
        raise NotImplementedError

    def show_fatal(self, message: str) -> None:
        raise NotImplementedError

    def board_opened(
        self, workspace: Workspace, directory: Directory | None = None, changed: bool = False
    ) -> None:
        raise NotImplementedError

    def _open(self) -> None:
        """Worker: show the board from its tables, then load the document."""
        shown: list[BoardTables] = []

        def show_tables(tables: BoardTables) -> None:
            # The board read now lives as long as it is shown: the collector would walk the
            # records again and again while they are made (a full walk of 50,000 cards
            # takes a tenth of a second), so it pauses meanwhile.
            gc.disable()
            try:
                directory = Directory.load(tables)
                self.preloaded_board = load_board(
                    tables, {s.id: s for s in directory.streams}, directory.names, directory.today
                )
            except Exception:  # an unusual board: the document's own open will show it
                log.debug("showing %s from its tables failed", self.home, exc_info=True)
                self.preloaded_board = None
                return
            finally:
                gc.enable()
            try:
                self.call_from_thread(self._show_board, directory)
            except RuntimeError:  # the app quit meanwhile
                return
            shown.append(tables)
            self._painted.wait(FIRST_PAINT_WAIT)
            # While the document loads, the screen keeps the interpreter until it is done
            # with a key (or waits for the next one): the loading steps fit in between.
            sys.setswitchinterval(SCREEN_FIRST_INTERVAL)

        try:
            try:
                workspace = Workspace.open(
                    self.home, self.clock, on_tables=show_tables, pause=_let_the_screen_run
                )
                directory = Directory.load(workspace.service)
                changed = bool(shown) and shown[0].current_version() != shown[0].version
                if not shown:
                    # Read the board now, while the screen shows "Opening…": the UI thread is
                    # idle and the board view can paint as soon as it is mounted.
                    self.preloaded_board = load_board(
                        workspace.service,
                        {s.id: s for s in directory.streams},
                        directory.names,
                        directory.today,
                    )
            except BoardError as exc:
                self.call_quietly(self.show_fatal, str(exc))
                return
            except Exception as exc:  # never a traceback: say what went wrong
                log.exception("opening %s failed", self.home)
                self.call_quietly(self.show_fatal, f"cannot open the board in {self.home}: {exc}")
                return
            if not self._adopt(workspace):
                return
        finally:
            if sys.getswitchinterval() == SCREEN_FIRST_INTERVAL:  # (another app's may run)
                sys.setswitchinterval(SWITCH_INTERVAL)
            self._open_done.set()
        self.call_quietly(self.board_opened, workspace, directory, changed)

    def call_quietly(self, callback: Callable[..., object], *args: object) -> None:
        """From a worker thread: run ``callback(*args)`` on the UI thread; nothing when the
        app quit meanwhile."""
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:  # the app quit meanwhile
            pass

    def _adopt(self, workspace: Workspace) -> bool:
        """Make ``workspace`` the app's board (from any thread); False (and the workspace
        closed) when the app was closed meanwhile."""
        with self._service_lock:
            if self._closed:
                workspace.close()
                return False
            if self.workspace is not workspace:
                self.workspace = workspace
                self._unsubscribe = workspace.service.subscribe(self._on_event)
        return True

    def _show_board(self, directory: Directory) -> None:
        """Show the board read from the tables (its document still loading)."""
        from board.ui.screens.main import MainScreen

        self.directory = directory
        self._update_sub_title()
        self.switch_screen(MainScreen())

    def board_painted(self) -> None:
        """The board view painted its first cards."""
        # Keep the collector off the board just read while the document loads: a full
        # collection then would hold up the keys answered meanwhile.
        self.settle_memory()
        self._painted.set()

    def settle_memory(self) -> None:
        """Take what is alive now (a board just read: 10,000 records and their cards) out
        of the garbage collector's sight. A full collection walks every tracked object,
        tens of milliseconds with a large board, and would land in the middle of a key
        press; these objects are freed by reference counting when the board is read
        again, and the rest is unfrozen when the app ends."""
        gc.freeze()
