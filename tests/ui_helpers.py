"""Shared helpers for the UI tests: a frozen clock, seeded ids, demo homes, and waiting for
the app's workers without timing assertions."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from board.demo import build_demo
from board.workspace import Workspace
from sync.identity import Identity

FROZEN = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class TickingClock:
    """Starts at FROZEN and moves one millisecond per reading, so records keep a stable
    order while dates stay fixed (the UI shows minutes at most)."""

    def __init__(self, start: dt.datetime = FROZEN) -> None:
        self.moment = start

    def __call__(self) -> dt.datetime:
        self.moment += dt.timedelta(milliseconds=1)
        return self.moment


def seed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make record ids deterministic (``t0000001``, ``t0000002``…), wherever the board's
    modules imported ``new_id`` from."""
    import board.service as service_module

    original = service_module.new_id
    counter = itertools.count(1)

    def seeded() -> str:
        return f"t{next(counter):07d}"

    for name, module in list(sys.modules.items()):
        if (name == "board" or name.startswith("board.")) and getattr(
            module, "new_id", None
        ) is original:
            monkeypatch.setattr(module, "new_id", seeded)


def demo_home(tmp_path: Path, clock: Callable[[], dt.datetime] | None = None) -> Path:
    home = tmp_path / "demo"
    build_demo(home, clock=clock or TickingClock()).close()
    return home


def add_member(home: Path, keys: Path, name: str) -> Path:
    """Add a member called ``name`` to the board in ``home``; returns the directory that
    holds their identity (see :func:`become`)."""
    identity = Identity.create(keys)
    with Workspace.open(home) as ws:
        ws.service.add_member(identity.member_id, name, identity.cert_pem, invited_by=ws.service.me)
    return keys


def become(home: Path, keys: Path, stash: Path) -> None:
    """Put the identity in ``keys`` into ``home`` (the previous one goes to ``stash``):
    the next app on ``home`` runs as that member, as on their own machine after sync."""
    stash.mkdir(parents=True, exist_ok=True)
    for name in ("identity.key", "identity.crt"):
        if not (stash / name).exists():
            shutil.copy2(home / name, stash / name)
        shutil.copy2(keys / name, home / name)


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let workers finish and their results paint (a few rounds: results start new work)."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 15.0, what: str = "condition"
) -> None:
    """Poll ``condition`` while the app runs; fail after a generous ``timeout``."""
    loop_time = 0.0
    while not condition():
        if loop_time > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
        loop_time += 0.05
    await settle(pilot, 1)


async def wait_for_board(pilot: Pilot[Any]) -> None:
    from board.ui.screens.main import MainScreen
    from board.ui.widgets.board_view import BoardView

    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, MainScreen) and any(b.loaded for b in screen.query(BoardView))

    await wait_until(pilot, ready, what="the board to load")
    await settle(pilot)


def screen_text(pilot: Pilot[Any]) -> str:
    """The top screen as plain text lines (what a person would read)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
