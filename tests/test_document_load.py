"""Loading a board's document in small steps from its change log (what the app does, so
that the screen keeps answering keys meanwhile) gives the same board as loading its
snapshot and the changes after it in one go; a log that lost changes its snapshot holds
still opens the whole board."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from board.change_ops import change_hash
from board.document import BoardDocument
from board.document_load import FIRST_BATCH, inflated, load_at_once, load_in_steps
from board.workspace import Workspace
from tests.ui_helpers import TickingClock


def make_board(home: Path, goals: int, compact_after: int | None) -> None:
    """A board with ``goals`` goals (one change each) and a status change on every third;
    compacted once ``compact_after`` goals were added (None: never)."""
    with Workspace.init(home, "Orbit", "Ana", clock=TickingClock()) as ws:
        s = ws.service
        for i in range(goals):
            goal = s.add_goal(f"Goal {i}", kind="routine" if i % 2 else "change")
            if i % 3 == 0:
                s.set_field(goal, "title", f"Goal {i}, renamed")
            if compact_after is not None and i + 1 == compact_after:
                s.compact()


def board_of(doc: BoardDocument) -> dict[str, list[dict[str, object]]]:
    return {c: sorted(doc.read_all(c), key=lambda r: str(r["id"])) for c in ("goals", "team")}


def test_a_board_loaded_in_steps_is_the_board_loaded_at_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_board(home, 40, compact_after=25)
    with Workspace.open(home) as ws:
        at_once, seen_at_once = load_at_once(ws.store, b"\x01" * 16)
        pauses: list[int] = []
        # A step far shorter than applying one change: one change per step after the first.
        in_steps, seen = load_in_steps(
            ws.store, b"\x01" * 16, lambda: pauses.append(1), step_seconds=1e-9
        )
        assert len(pauses) >= ws.store.max_seq() - FIRST_BATCH  # the screen's turns
        assert in_steps.heads() == at_once.heads()
        assert seen == seen_at_once == ws.store.max_seq()
        assert board_of(in_steps) == board_of(at_once)
        assert len(list(in_steps.read_all("goals"))) == 40


def test_a_board_never_compacted_loads_in_steps(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_board(home, 12, compact_after=None)
    with Workspace.open(home) as ws:
        in_steps, _ = load_in_steps(ws.store, b"\x01" * 16, lambda: None)
        assert board_of(in_steps) == board_of(ws.service.doc)


def test_a_log_missing_changes_its_snapshot_holds_opens_the_whole_board(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    make_board(home, 20, compact_after=15)
    with Workspace.open(home) as ws:
        whole = board_of(ws.service.doc)
        upto = int(ws.store.rows("SELECT max(upto_seq) AS upto FROM snapshots")[0]["upto"])
    conn = sqlite3.connect(home / "board.db")
    with conn:  # changes the snapshot holds, gone from the log
        conn.execute("DELETE FROM changes WHERE seq > 3 AND seq < ?", (upto - 2,))
    conn.close()
    with Workspace.open(home, pause=lambda: None) as ws:
        assert board_of(ws.service.doc) == whole
        assert ws.service.list("goals")  # and it works as usual


def test_the_app_opening_path_loads_in_steps_and_edits_as_usual(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_board(home, 8, compact_after=5)
    pauses: list[int] = []
    with Workspace.open(home, pause=lambda: pauses.append(1)) as ws:
        assert pauses
        goal = ws.service.add_goal("Written after a stepwise open", kind="change")
    with Workspace.open(home) as ws:
        assert ws.service.get(goal).title == "Written after a stepwise open"  # type: ignore[attr-defined]
        assert len(ws.service.list("goals")) == 9


def test_an_inflated_change_is_the_same_change(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_board(home, 3, compact_after=None)
    with Workspace.open(home) as ws:
        stored = [row["bytes"] for row in ws.store.rows("SELECT bytes FROM changes ORDER BY seq")]
    deflated = [c for c in stored if c[8] == 2]
    assert deflated, "the log holds deflated changes (automerge's own form)"
    for chunk in stored:
        assert change_hash(inflated(chunk)) == change_hash(chunk)
    assert inflated(b"not a change at all") == b"not a change at all"
