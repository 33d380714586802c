"""The team commands as people type them: invite, join, serve, sync, peers, member remove.
Each side is a real `teamboard` process with its own home, on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

EXE = str(Path(sys.executable).with_name("teamboard"))
ENV = {**os.environ, "TEAMBOARD_INTERFACES": "127.0.0.1"}


def tb(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [EXE, "--home", str(home), *args],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def read_until(stream, proc: subprocess.Popen[str], pattern: str, timeout: float = 60) -> str:  # type: ignore[no-untyped-def]
    """The first group of ``pattern`` in the next matching line of ``stream``."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        line = stream.readline()
        seen += line
        match = re.search(pattern, line)
        if match:
            return match.group(1)
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"{pattern!r} never appeared; got {seen!r}")


def test_invite_join_serve_sync_and_remove(tmp_path: Path) -> None:
    ana, ben = tmp_path / "ana", tmp_path / "ben"
    tb(ana, "init", "--team", "Orbit", "--name", "Ana")
    tb(ana, "add", "goal", "Before Ben")
    inviter = subprocess.Popen(
        [EXE, "--home", str(ana), "invite", "--no-discovery", "--expires", "2m"],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        code = read_until(inviter.stdout, inviter, r"Invite code: (\S+)")
        assert re.fullmatch(r"\d+(-[a-z]+){3}", code)
        peer = read_until(inviter.stdout, inviter, r"--peer ([\d.]+:\d+)")
        joined = tb(ben, "join", code, "--name", "Ben", "--peer", peer)
        assert "Joined team 'Orbit' as Ben" in joined.stdout
        out, _ = inviter.communicate(timeout=90)
        assert "Ben joined the team and has the board" in out
        assert inviter.returncode == 0
    finally:
        inviter.kill()
    assert [g["title"] for g in json.loads(tb(ben, "list", "goals", "--json").stdout)] == [
        "Before Ben"
    ]

    # Ben works offline, Ana serves, Ben syncs.
    tb(ben, "add", "commitment", "Ben's promise", "--to", "Ana")
    server = subprocess.Popen(
        [EXE, "--home", str(ana), "serve", "--port", "0", "--no-discovery"],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = read_until(server.stderr, server, r"on port (\d+)")
        synced = tb(ben, "sync", "--peer", f"127.0.0.1:{port}", "--no-discovery")
        assert "in sync" in synced.stdout
        titles = [c["title"] for c in json.loads(tb(ana, "list", "commitments", "--json").stdout)]
        assert titles == ["Ben's promise"]
        peers = json.loads(tb(ben, "peers", "--json").stdout)
        assert any(p["address"] == f"127.0.0.1:{port}" for p in peers)

        # Ana removes Ben: from then on Ben's connections are refused.
        tb(ana, "member", "remove", "Ben")
        time.sleep(1.5)  # the server polls the home for edits made by other processes
        refused = tb(
            ben,
            "sync",
            "--peer",
            f"127.0.0.1:{port}",
            "--no-discovery",
            "--timeout",
            "5",
            check=False,
        )
        assert refused.returncode == 1 and "no peer reachable" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_join_with_a_malformed_code_is_a_usage_error(tmp_path: Path) -> None:
    result = tb(tmp_path / "x", "join", "not-a-code", "--name", "Eve", check=False)
    assert result.returncode == 2 and result.stderr.startswith("teamboard: error: ")
    assert not (tmp_path / "x" / "board.db").exists()
