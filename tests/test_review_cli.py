"""`teamboard review …` end to end: a scripted review, bad input, follow mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from board.reviews import ReviewService
from board.service import BoardService
from board.workspace import Workspace
from sync.identity import Identity

from .conftest import Cli


def add_member(home: Path, name: str) -> tuple[Workspace, BoardService]:
    """Another member writing to the same home (as if their changes had synced in)."""
    ws = Workspace.open(home)
    ident = Identity.generate()
    ws.service.add_member(ident.member_id, name, ident.cert_pem, invited_by=ws.service.me)
    return ws, BoardService.open(ws.store, ident.actor, ident.member_id, ident.sign)


def test_a_whole_review_scripted_from_the_command_line(run: Cli, tmp_path: Path) -> None:
    ws, _ = add_member(run.home, "Ben")
    ws.close()
    alerts = run("add", "commitment", "Fix alerts", "--to", "Acme", "--due", "-1d").stdout.strip()
    run("set", alerts, "status", "accepted")
    proposal = run("add", "commitment", "Draft proposal", "--to", "Ben").stdout.strip()
    run("add", "agreement", "Weekly sync", "--to", "Ben", "--review-on", "today")

    started = json.loads(
        run("review", "start", "--attendee", "Ben", "--timebox", "2m", "--json").stdout
    )
    me = json.loads(run("whoami", "--json").stdout)["id"]
    assert started["facilitator"] == me and len(started["attendees"]) == 2
    assert started["timebox_seconds"] == 120 and started["heads"] and not started["ended_at"]
    agenda = json.loads(run("review", "agenda", "--json").stdout)
    assert [(i["section"], i["title"]) for i in agenda["items"]] == [
        ("checkin", "Check-in round"),
        ("due", "Fix alerts"),
        ("proposed", "Draft proposal"),
        ("agreements", "Weekly sync"),
        ("closing", "Closing round"),
    ]
    text = run("review", "agenda").stdout
    assert "Commitments awaiting an answer" in text and "waiting for consent from Ana, Ben" in text

    shown = run("review", "next").stdout
    assert "Check-in round" in shown and "2:00 left of 2:00" in shown and "Ben: —" in shown
    run("review", "checkin", "Ready")
    run("review", "checkin", "Tired", "--member", "Ben")
    assert "Ben: Tired" in run("review", "current").stdout
    shown = run("review", "next").stdout
    assert "Fix alerts" in shown and "created" in shown and "accepted" in shown
    out = run(
        "review",
        "record",
        alerts[:5],
        "--outcome",
        "renegotiated",
        "--due",
        "+7d",
        "--note",
        "waiting on the vendor",
    ).stdout
    assert "Fix alerts: renegotiated — new due" in out
    assert json.loads(run("show", alerts, "--json").stdout)["status"] == "renegotiated"

    run("review", "next")
    out = run(
        "review",
        "record",
        "3",
        "--outcome",
        "new-commitment",
        "--title",
        "Write the outline",
        "--to",
        "Ben",
        "--due",
        "+3d",
    ).stdout.splitlines()
    new = json.loads(run("show", out[-1], "--json").stdout)
    assert new["title"] == "Write the outline" and new["status"] == "proposed"
    assert json.loads(run("show", proposal, "--json").stdout)["status"] == "proposed"

    topic = run("review", "add", "Budget for May").stdout.split()[0]
    run("review", "record", topic, "--outcome", "decision", "--note", "Spend at most 200")
    assert run("review", "skip", "agreements").stdout.startswith("skipped section agreements")
    assert run("review", "move", "other", "2").stdout.startswith("checkin → other → due")
    run("review", "closing", "Good meeting", "--learned", "Scripts work")
    current = json.loads(run("review", "next", "--json").stdout)
    assert current["item"]["title"] == "Closing round" and current["total"] == 6
    assert "End of the agenda" in run("review", "next").stdout

    assert "3 of 6 items have an outcome" in run("review", "end").stdout
    listed = run("review", "list").stdout
    assert started["id"] in listed and "ended" in listed
    minutes = tmp_path / "minutes.md"
    run("review", "export", started["id"], "--format", "markdown", "-o", str(minutes))
    text = minutes.read_text()
    assert text.startswith("# Board review") and "- Spend at most 200 *(Budget for May)*" in text
    assert "- Write the outline — Ana → Ben, due" in text and "- **Ana:** Scripts work" in text
    assert "## Agreements to review or missing consents\n\n*Skipped.*" in text
    assert json.loads(run("review", "export", "--format", "json").stdout)["minutes"] == text
    assert json.loads(run("list", "reviews", "--json").stdout)[0]["minutes"] == text


def test_bad_review_input_is_one_clear_line(run: Cli) -> None:
    result = run("review", "next", code=1)
    assert (
        result.stderr
        == "teamboard: error: no review is running; start one with `teamboard review start`\n"
    )
    review = run("review", "start").stdout.split()[0]
    result = run("review", "record", "zzzz", "--outcome", "kept", code=2)
    assert result.stderr.startswith("teamboard: error: 'zzzz' is not on the agenda of review")
    assert result.stderr.count("\n") == 1
    run("review", "record", "1", "--outcome", "finished", code=2)
    assert "bad timebox" in run("review", "start", "--timebox", "soon", code=2).stderr
    assert "already running: Ana is facilitating" in run("review", "start", code=1).stderr
    run("review", "move", "nowhere", "1", code=2)
    run("review", "record", "1", "--outcome", "kept")
    run("review", "end")
    assert f"review {review} already ended at" in run("review", "end", review, code=1).stderr
    assert "no review is running: the last one" in run("review", "end", code=1).stderr
    assert len(json.loads(run("review", "list", "--json").stdout)) == 1


def test_a_second_review_is_refused_with_the_facilitator_or_joined(run: Cli) -> None:
    ws, ben = add_member(run.home, "Ben")
    try:
        ReviewService(ben).start()
        err = run("review", "start", code=1).stderr
        assert "a review is already running: Ben is facilitating" in err and "review join" in err
        assert "joined" in run("review", "start", "--join").stdout
        assert "Ben is facilitating" in run("review", "join").stdout
        assert (
            "only the facilitator (Ben) can record outcomes"
            in run("review", "record", "1", "--outcome", "kept", code=1).stderr
        )
        run("review", "add", "Ana's topic")
        titles = [i["title"] for i in json.loads(run("review", "agenda", "--json").stdout)["items"]]
        assert "Ana's topic" in titles
        assert "ended after" in run("review", "end", "--force").stdout
    finally:
        ws.close()


def test_follow_mode_shows_each_item_until_the_review_ends(run: Cli) -> None:
    run("review", "start")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    follower = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from board.cli import main; main()",
            "--home",
            str(run.home),
            "review",
            "current",
            "--follow",
            "--interval",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen: list[str] = []

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = follower.stdout.readline() if follower.stdout else ""
            seen.append(line)
            if text in line:
                return
        raise AssertionError(f"follow mode never showed {text!r}: {seen}")

    try:
        wait_for("has no current item")
        run("review", "next")
        wait_for("▶ 1/2  Check-in round")
        run("review", "checkin", "Here from the train")
        wait_for("Ana: Here from the train")
        run("review", "next")
        wait_for("▶ 2/2  Closing round")
        run("review", "end")
        wait_for("has ended")
        assert follower.wait(timeout=30) == 0
    finally:
        follower.kill()
        follower.wait()
