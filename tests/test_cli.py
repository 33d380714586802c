"""The `teamboard` command end to end, as scripts and people use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from board.cli import cli
from board.workspace import Workspace
from sync.identity import Identity

from .conftest import Cli


def test_init_whoami_and_json_contract(run: Cli) -> None:
    me = json.loads(run("whoami", "--json").stdout)
    assert me["name"] == "Ana" and me["type"] == "member" and me["team"] == "Orbit"
    assert len(me["id"]) == 16


def test_add_list_show_set_history(run: Cli) -> None:
    stream = run(
        "add", "stream", "Platform", "--kind", "change", "--customer", "Acme"
    ).stdout.strip()
    goal = run(
        "add",
        "goal",
        "Uptime",
        "--stream",
        "Platform",
        "--metric",
        "uptime",
        "--target",
        "99.9",
        "--unit",
        "%",
        "--confidence",
        "7",
    ).stdout.strip()
    commitment = json.loads(
        run(
            "add",
            "commitment",
            "Fix alerts",
            "--to",
            "Acme",
            "--goal",
            goal[:4],
            "--due",
            "2030-01-31",
            "--json",
        ).stdout
    )
    assert commitment["type"] == "commitment" and commitment["status"] == "proposed"
    assert commitment["to"] == "Acme" and commitment["to_kind"] == "external"
    assert commitment["goal"] == goal and commitment["due"] == "2030-01-31"

    listed = json.loads(run("list", "--json").stdout)
    assert {(r["type"], r["id"]) for r in listed} == {
        ("goal", goal),
        ("commitment", commitment["id"]),
    }
    streams = json.loads(run("list", "streams", "--json").stdout)
    assert streams[0]["id"] == stream and streams[0]["externals"] == [
        {"name": "Acme", "relation": "customer"}
    ]

    run("set", commitment["id"][:5], "status", "accepted")
    run("set", commitment["id"], "title", "Fix the alerts")
    shown = json.loads(run("show", commitment["id"], "--json").stdout)
    assert shown["status"] == "accepted" and shown["title"] == "Fix the alerts"
    assert [h["action"] for h in shown["history"]] == ["created", "status", "edited"]
    text = run("show", commitment["id"]).stdout
    assert "status: proposed → accepted" in text and "Fix the alerts" in text

    history = json.loads(run("history", commitment["id"], "--json").stdout)
    assert history[-1]["changes"] == {"title": ["Fix alerts", "Fix the alerts"]}
    assert "Fix the alerts" in run("history").stdout
    assert (
        json.loads(run("list", "commitments", "--status", "accepted", "--json").stdout)[0]["id"]
        == commitment["id"]
    )
    assert json.loads(run("list", "commitments", "--status", "done", "--json").stdout) == []


def test_agreement_consent_and_checkin(run: Cli) -> None:
    goal = run("add", "goal", "Uptime").stdout.strip()
    out = run(
        "checkin",
        goal,
        "--progress",
        "40",
        "--confidence",
        "6",
        "--note",
        "halfway",
        "--learned",
        "alerts are noisy",
    ).stdout.strip()
    shown = json.loads(run("show", goal, "--json").stdout)
    assert (
        shown["checkins"][0]["id"] == out and shown["checkins"][0]["learned"] == "alerts are noisy"
    )
    assert shown["confidence"] == 6


def test_focus_archive_restore_export(run: Cli, tmp_path: Path) -> None:
    run(
        "focus",
        "--focus",
        "Ship sync",
        "--tradeoff",
        "fewer meetings",
        "--avoid",
        "Weekend deploys",
    )
    focus = json.loads(run("focus", "--json").stdout)
    assert focus["focus"] == [{"text": "Ship sync", "tradeoff": "fewer meetings"}]
    assert focus["avoid"] == [{"text": "Weekend deploys", "tradeoff": "fewer meetings"}]
    run("focus", "--remove", "avoid:Weekend deploys")
    assert json.loads(run("focus", "--json").stdout)["avoid"] == []

    goal = run("add", "goal", "Old").stdout.strip()
    run("archive", goal)
    assert json.loads(run("list", "goals", "--json").stdout) == []
    assert json.loads(run("list", "goals", "--archived", "--json").stdout)[0]["archived"] is True
    run("restore", goal)
    assert json.loads(run("list", "goals", "--json").stdout)[0]["id"] == goal

    data = json.loads(run("export").stdout)
    assert data["team"]["name"] == "Orbit" and data["goals"][0]["id"] == goal
    md = tmp_path / "board.md"
    run("export", "--format", "markdown", "-o", str(md))
    assert md.read_text().startswith("# Orbit") and "Old" in md.read_text()
    csv_text = run("export", "--format", "csv").stdout
    assert csv_text.splitlines()[0].startswith("id,type,title,status") and goal in csv_text


def test_member_list(run: Cli) -> None:
    members = json.loads(run("member", "list", "--json").stdout)
    assert [m["name"] for m in members] == ["Ana"]


def test_every_command_has_help() -> None:
    """Every command and subcommand explains itself (copied from sqlite-utils' habit)."""

    def walk(group, path):  # type: ignore[no-untyped-def]
        for name, command in group.commands.items():
            assert command.help or command.short_help, f"{path} {name} has no help text"
            if hasattr(command, "commands"):
                walk(command, f"{path} {name}")

    walk(cli, "teamboard")
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name in cli.commands:
        assert f"`{name}" in readme, f"README does not document `{name}`"


def test_the_installed_console_script_runs(tmp_path: Path) -> None:
    """The real entry point in a subprocess: init, add, and a fresh process sees the edit."""
    exe = Path(sys.executable).with_name("teamboard")
    env = {**os.environ, "TEAMBOARD_HOME": str(tmp_path / "h")}
    subprocess.run(
        [exe, "init", "--team", "T", "--name", "Ana"], env=env, check=True, capture_output=True
    )
    new_id = subprocess.run(
        [exe, "add", "goal", "From a subprocess"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    shown = subprocess.run(
        [exe, "show", new_id, "--json"], env=env, check=True, capture_output=True, text=True
    )
    assert json.loads(shown.stdout)["title"] == "From a subprocess"
    bad = subprocess.run(
        [exe, "show", "zzzzzz"], env=env, capture_output=True, text=True, check=False
    )
    assert (
        bad.returncode == 2 and bad.stderr.strip() == "teamboard: error: no item with id 'zzzzzz'"
    )
    assert "Traceback" not in bad.stderr


def test_demo_builds_a_realistic_board(tmp_path: Path) -> None:
    runner = Cli(tmp_path / "unused")
    result = runner("demo", "--no-ui", "--home", str(tmp_path / "demo"))
    assert "# Harbor Clinic Software" in result.stdout
    demo = Cli(tmp_path / "demo")
    assert len(json.loads(demo("member", "list", "--json").stdout)) == 6
    statuses = {c["status"] for c in json.loads(demo("list", "commitments", "--json").stdout)}
    assert {"proposed", "accepted", "in_progress", "done", "declined", "renegotiated"} <= statuses
    agreements = json.loads(demo("list", "agreements", "--json").stdout)
    assert {"draft", "active"} <= {a["status"] for a in agreements}
    kinds = {s["kind"] for s in json.loads(demo("list", "streams", "--json").stdout)}
    assert kinds == {"routine", "change"}
    assert len(json.loads(demo("list", "checkins", "--json").stdout)) >= 5


def test_history_names_the_member_a_commitment_is_made_to(run: Cli) -> None:
    ben = Identity.generate()
    with Workspace.open(run.home) as ws:
        ws.service.add_member(ben.member_id, "Ben", ben.cert_pem, ws.service.me)
    to_ben = run("add", "commitment", "Review on-call", "--to", "Ben").stdout.strip()
    to_acme = run("add", "commitment", "Ship the export", "--to", "Acme").stdout.strip()
    assert "to=Ben," in run("history", to_ben).stdout
    assert ben.member_id not in run("history", to_ben).stdout
    assert "to=Acme," in run("history", to_acme).stdout  # an outside party, as it is
