"""A scripted run in a real terminal: tmux starts `teamboard demo` at 80×24, keys are sent,
and `capture-pane` shows the expected screens."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed on this machine")


class Terminal:
    """One tmux server of our own (its own socket), one 80×24 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        out = subprocess.run(
            [str(TMUX), "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "ui")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "ui", key)
            time.sleep(0.15)  # pacing only: a lone Escape followed by a key reads as Alt

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def dead(self) -> bool:
        return self.tmux("list-panes", "-t", "ui", "-F", "#{pane_dead}").strip() == "1"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(f"teamboard-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    teamboard = Path(sys.executable).with_name("teamboard")
    command = (
        f"{shlex.quote(str(teamboard))} demo --home {shlex.quote(str(tmp_path / 'demo'))}"
        if teamboard.exists()
        else f"{shlex.quote(sys.executable)} -m board.cli demo --home "
        f"{shlex.quote(str(tmp_path / 'demo'))}"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TEAMBOARD_THEME")}
    subprocess.run(
        [
            str(TMUX),
            "-L",
            term.socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "ui",
            "-x",
            "80",
            "-y",
            "24",
            command,
        ],
        check=True,
        env=env,
        timeout=30,
    )
    term.tmux("set-option", "-t", "ui", "remain-on-exit", "on")
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_demo_in_a_real_terminal(terminal: Terminal) -> None:
    terminal.wait_for("Harbor Clinic Software")
    terminal.wait_for("Keep the booking")
    board = terminal.wait_for("n New")  # the footer's key hints
    assert "↻ Routine" in board and "△ Change" in board
    assert "In progress" in board

    terminal.keys("2")
    agreements = terminal.wait_for("On-call handover")
    assert "overdue" in agreements

    terminal.keys("3")
    terminal.wait_for("Facilitate reviews")

    terminal.keys("4")
    terminal.wait_for("Network")

    terminal.keys("1", "s")  # advance the first card: proposed -> accepted
    terminal.wait_for("Now accepted")

    terminal.keys("/")
    terminal.keys(*"invoice")
    filtered = terminal.wait_for("First invoices")
    assert "Keep the booking" not in filtered

    terminal.keys("Escape")
    terminal.keys("?")
    terminal.wait_for("teamboard — keys")
    terminal.keys("Escape")
    time.sleep(0.3)
    terminal.keys("q")
    deadline = time.monotonic() + 20
    while not terminal.dead() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert terminal.dead(), "q should quit the app"
    assert "Traceback" not in terminal.screen()
