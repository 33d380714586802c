"""How board things read on screen: glyphs, labels, short dates (Rich text only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from rich.text import Text

KIND_GLYPH = {"routine": "↻", "change": "△"}
KIND_LABEL = {"routine": "Routine", "change": "Change"}
KIND_HINT = {
    "routine": "roles and measures, reviewed on a cadence",
    "change": "experiments: hypothesis, next step, learning",
}
TYPE_LABEL = {
    "goal": "Goal",
    "commitment": "Commitment",
    "agreement": "Agreement",
    "stream": "Stream",
    "role": "Role",
    "checkin": "Check-in",
    "member": "Member",
    "focus": "Focus",
    "team": "Team",
    "review": "Review",
}
WARN_STATUSES = {"at_risk", "renegotiated"}


def status_label(status: str) -> str:
    return status.replace("_", " ")


def names(ids: Iterable[str], directory: Mapping[str, str]) -> str:
    return ", ".join(directory.get(i, i[:8]) for i in ids)


def days_between(day: str, today: str) -> int:
    return (dt.date.fromisoformat(day) - dt.date.fromisoformat(today)).days


def due_text(due: str, today: str, open_: bool = True) -> Text:
    """``due 12-03`` / ``2d overdue`` / ``due today``: overdue ones in the warning style."""
    if not due:
        return Text("")
    days = days_between(due, today)
    if open_ and days < 0:
        return Text(f"{-days}d overdue", style="bold red")
    if open_ and days == 0:
        return Text("due today", style="yellow")
    return Text(f"due {due[5:]}" if due[:4] == today[:4] else f"due {due}")


def review_text(state: str, days: int, review_on: str) -> Text:
    if state == "overdue":
        return Text(f"⚠ {-days}d overdue", style="bold red")
    if state == "today":
        return Text("⚠ today", style="bold yellow")
    if state == "ahead":
        return Text(f"in {days}d ({review_on[5:]})")
    return Text(review_on or "—", style="dim")


def when(at: str) -> str:
    """``2026-11-26T14:03:05.123Z`` -> ``11-26 14:03`` (UTC, as stored)."""
    return f"{at[5:10]} {at[11:16]}" if len(at) >= 16 else at


def number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


HIDDEN_CHANGE_KEYS = {"check-in", "item", "member", "goal"}  # ids, told elsewhere


def change_summary(changes: Mapping[str, object], people: Mapping[str, str]) -> str:
    """``status: proposed → accepted, owners Ben, Eli`` for one history entry, with member
    ids shown as names and focus entries as their text."""
    parts = []
    for key, value in changes.items():
        if key in HIDDEN_CHANGE_KEYS or not isinstance(value, (list, tuple)) or len(value) != 2:
            continue
        old, new = value
        label = key.replace("_", " ")
        if key == "consents" and isinstance(new, dict):  # a consent adds one party
            added = sorted(people.get(str(k), str(k)) for k in new if k not in (old or {}))
            parts.append("consent from " + ", ".join(added))
            continue
        if old in (None, "", [], {}):
            parts.append(f"{label} {_show(new, people)}")
        else:
            parts.append(f"{label}: {_show(old, people)} → {_show(new, people)}")
    return ", ".join(parts)


def _show(value: object, people: Mapping[str, str]) -> str:
    if isinstance(value, dict):
        return ", ".join(sorted(people.get(str(k), str(k)) for k in value))
    if isinstance(value, list):
        return "; ".join(
            _show(v, people) if not isinstance(v, dict) else str(v.get("text", v)) for v in value
        )
    if isinstance(value, float):
        return number(value)
    text = str(value)
    text = people.get(text, text)
    return text if len(text) <= 40 else text[:39] + "…"
