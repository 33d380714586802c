"""Shared fixtures: fresh homes in tmp_path, a CLI runner, a frozen clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from board.cli import cli
from board.workspace import Workspace

FROZEN = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)  # a Monday


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime = FROZEN) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ws(tmp_path: Path, clock: Clock) -> Iterator[Workspace]:
    """An initialised board in a fresh home, member "Ana", frozen clock."""
    workspace = Workspace.init(tmp_path / "home", "Orbit", "Ana", clock=clock)
    yield workspace
    workspace.close()


class Cli:
    """Runs `teamboard --home HOME ...` in-process and keeps stdout/stderr apart."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int | None = 0) -> Result:
        result = self.runner.invoke(cli, ["--home", str(self.home), *args], catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (args, result.exit_code, result.stdout, result.stderr)
        return result


@pytest.fixture
def run(tmp_path: Path) -> Cli:
    """A CLI bound to a fresh home with a board (Ana on team Orbit)."""
    runner = Cli(tmp_path / "home")
    runner("init", "--team", "Orbit", "--name", "Ana")
    return runner
