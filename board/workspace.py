"""The composition root: opens a home directory and wires identity, store, document and
service (and, when asked, the sync node). The CLI and the UI both start here."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Self

import platformdirs

from board import readmodel
from board.model import BoardError
from board.service import BoardService, Clock
from board.tables import BoardTables
from storage.store import Store, StoreError
from sync.identity import Identity, IdentityError

DB_FILE = "board.db"
DOCTOR = "`teamboard doctor` says how to recover"
# KiB of page cache while opening (SQLite's default is 2,000): opening reads the tables and
# the change log once, from end to end, and those pages need not stay in memory for as long
# as the board is open; afterwards the cache grows again, with the pages actually reused.
OPENING_PAGE_CACHE = 256


class HomeError(BoardError):
    """The home cannot be opened (no board yet, damaged files, unsafe key)."""


def default_home() -> Path:
    """``$TEAMBOARD_HOME`` or the platform's user data directory."""
    env = os.environ.get("TEAMBOARD_HOME")
    return Path(env) if env else Path(platformdirs.user_data_dir("teamboard", appauthor=False))


def has_board(home: Path) -> bool:
    return (home / DB_FILE).exists()


class Workspace:
    """One opened home: ``identity``, ``store`` and ``service``."""

    def __init__(self, home: Path, identity: Identity, store: Store, service: BoardService) -> None:
        self.home = home
        self.identity = identity
        self.store = store
        self.service = service

    @classmethod
    def open(
        cls,
        home: Path,
        clock: Clock | None = None,
        on_tables: Callable[[BoardTables], None] | None = None,
        pause: Callable[[], None] | None = None,
    ) -> Workspace:
        """Open an existing home; raises HomeError with a one-line reason.

        ``on_tables`` is called with the board's read-model tables before the document
        loads (a screen can show the board from them meanwhile); with ``pause``, the
        document loads in small steps with a call to ``pause`` between them, so that other
        threads (the screen) keep running meanwhile."""
        home = Path(home).expanduser()
        if not has_board(home):
            raise HomeError(
                f"no board in {home}; create one with `teamboard init --team NAME --name ME` "
                "or join a team with `teamboard join CODE --name ME`"
            )
        if (home / DB_FILE).stat().st_size == 0:  # a new store would be written into it
            raise HomeError(f"{home / DB_FILE} is empty (0 bytes): it was truncated; {DOCTOR}")
        try:
            identity = Identity.load(home)
        except IdentityError as exc:
            raise HomeError(str(exc)) from None
        try:
            store = Store(home / DB_FILE, readmodel.tables())
        except StoreError as exc:
            hint = "" if "newer teamboard" in str(exc) else f"; {DOCTOR}"
            raise HomeError(f"{exc}{hint}") from None
        try:
            with store.page_cache(OPENING_PAGE_CACHE):
                if on_tables is not None:
                    on_tables(BoardTables(store, identity.member_id, clock))
                service = BoardService.open(
                    store, identity.actor, identity.member_id, identity.sign, clock, pause
                )
        except BoardError:
            store.close()
            raise
        except Exception as exc:  # noqa: BLE001 (automerge refuses a corrupt change log with a bare Exception)
            store.close()
            raise HomeError(
                f"{home / DB_FILE}: the board cannot be loaded ({exc}); {DOCTOR}"
            ) from None
        return cls(home, identity, store, service)

    @classmethod
    def create(cls, home: Path, clock: Clock | None = None) -> Workspace:
        """A home with a fresh identity and an empty board (for init or join)."""
        home = Path(home).expanduser()
        if has_board(home):
            raise HomeError(f"{home} already holds a board")
        home.mkdir(parents=True, exist_ok=True)
        try:
            identity = (
                Identity.load(home) if (home / "identity.key").exists() else Identity.create(home)
            )
            store = Store(home / DB_FILE, readmodel.tables())
        except (IdentityError, StoreError) as exc:
            raise HomeError(str(exc)) from None
        service = BoardService.open(store, identity.actor, identity.member_id, identity.sign, clock)
        return cls(home, identity, store, service)

    @classmethod
    def init(cls, home: Path, team: str, name: str, clock: Clock | None = None) -> Workspace:
        """Create a new team board in ``home`` with me as its first member."""
        ws = cls.create(home, clock)
        try:
            ws.service.create_board(team, name, ws.identity.cert_pem)
        except BaseException:
            ws.close()
            (Path(home) / DB_FILE).unlink(missing_ok=True)
            raise
        return ws

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
