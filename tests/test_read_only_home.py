"""A command that only reads the board leaves the home as it found it: no ``board.db-wal``
or ``board.db-shm`` left behind, while a running app or ``serve`` on the same home keeps
its files and everything it saves."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.readonly import read_only
from storage.store import STORE_SCHEMA

from .conftest import Cli
from .test_doctor import digest, settle, sql

# Another process with the board open, as the app or `serve` has it: it opens the home,
# then saves a goal for each "add" on its input and closes on "close".
WRITER = """
import sys
from board.workspace import Workspace
ws = Workspace.open(sys.argv[1])
print("open", flush=True)
for line in sys.stdin:
    if line.strip() == "close":
        break
    print(ws.service.add_goal(line.strip()), flush=True)  # printed once saved
ws.close()
print("closed", flush=True)
"""


class Writer:
    def __init__(self, home: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(home)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.said() == "open"

    def said(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def tell(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.said()

    def add_goal(self, title: str) -> str:
        return self.tell(title)

    def close(self) -> None:
        assert self.tell("close") == "closed"
        assert self.process.wait(timeout=60) == 0


@pytest.fixture
def writer(run: Cli) -> Iterator[Writer]:
    started = Writer(run.home)
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait()


def listing(home: Path) -> list[str]:
    return sorted(p.name for p in home.iterdir())


def goal_titles(run: Cli) -> set[str]:
    return {g["title"] for g in json.loads(run("list", "goals", "--json").stdout)}


@pytest.fixture
def goal(run: Cli) -> str:
    """Ana's board with a goal, closed: the home holds only its own files."""
    goal_id = run("add", "goal", "Ship the clinic app").stdout.strip()
    settle(run.home)
    return str(goal_id)


@pytest.mark.parametrize(
    "command",
    [
        ["doctor"],
        ["backup", "{tmp}/copy.db"],
        ["list"],
        ["show", "{goal}"],
        ["export", "--format", "json"],
        ["history"],
        ["peers"],
        ["whoami"],
    ],
    ids=lambda c: c[0],
)
def test_a_reading_command_leaves_the_home_as_it_found_it(
    run: Cli, goal: str, tmp_path: Path, command: list[str]
) -> None:
    home = run.home
    before, board = listing(home), digest(home / "board.db")
    assert before == ["board.db", "identity.crt", "identity.key"]
    run(*[part.format(tmp=tmp_path, goal=goal) for part in command])
    assert listing(home) == before
    assert digest(home / "board.db") == board


def test_a_board_refused_as_too_new_is_left_as_it_was_found(run: Cli, goal: str) -> None:
    home = run.home
    sql(home, "UPDATE meta SET value = ? WHERE key = 'schema_version'", str(STORE_SCHEMA + 1))
    settle(home)
    before, board = listing(home), digest(home / "board.db")
    assert "written by a newer teamboard" in run("list", code=1).stderr
    assert listing(home) == before
    assert digest(home / "board.db") == board


def test_reading_while_the_app_writes_keeps_its_files_and_everything_it_saves(
    run: Cli, goal: str, writer: Writer, tmp_path: Path
) -> None:
    home = run.home
    writer.add_goal("Saved before the reads")
    for command in (["doctor"], ["backup", str(tmp_path / "copy.db")], ["list"]):
        run(*command)
        assert {"board.db-wal", "board.db-shm"} <= set(listing(home)), command
        writer.add_goal(f"Saved after {command[0]}")  # the writer goes on saving
    writer.close()
    assert listing(home) == ["board.db", "identity.crt", "identity.key"]
    assert goal_titles(run) == {
        "Ship the clinic app",
        "Saved before the reads",
        "Saved after doctor",
        "Saved after backup",
        "Saved after list",
    }


@pytest.mark.parametrize("writes_meanwhile", [False, True], ids=["idle", "saving"])
def test_a_writer_that_opens_the_board_during_a_read_keeps_its_files(
    run: Cli, goal: str, writes_meanwhile: bool
) -> None:
    home, db = run.home, run.home / "board.db"
    with read_only(db) as conn:  # the files are new: this reader made them
        assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] > 0
        writer = Writer(home)
        try:
            if writes_meanwhile:
                writer.add_goal("Saved during the read")
        except BaseException:
            writer.process.kill()
            raise
    try:
        # The reader is closed; the writer still has the board open: its files stay.
        assert {"board.db-wal", "board.db-shm"} <= set(listing(home))
        writer.add_goal("Saved after the read")
        writer.close()
    finally:
        if writer.process.poll() is None:
            writer.process.kill()
            writer.process.wait()
    assert listing(home) == ["board.db", "identity.crt", "identity.key"]
    expected = {"Ship the clinic app", "Saved after the read"}
    if writes_meanwhile:
        expected.add("Saved during the read")
    assert goal_titles(run) == expected
