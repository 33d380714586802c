"""Dates people type: ``YYYY-MM-DD``, ``today``, ``tomorrow``, ``+3d``, ``-1w``, ``friday``."""

from __future__ import annotations

import datetime as dt
import re

from board.model import InvalidInput

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_REL = re.compile(r"^([+-]?)(\d+)\s*([dwm])$")


def parse_date(text: str, today: dt.date | None = None) -> str:
    """The ISO date (``YYYY-MM-DD``) for ``text``; raises InvalidInput with the accepted forms.

    An empty string means "no date" and is returned unchanged.
    """
    today = today or dt.date.today()
    value = (text or "").strip().lower()
    if value in ("", "none", "-"):
        return ""
    if value == "today":
        return today.isoformat()
    if value == "tomorrow":
        return (today + dt.timedelta(days=1)).isoformat()
    if value == "yesterday":
        return (today - dt.timedelta(days=1)).isoformat()
    match = _REL.match(value)
    if match:
        sign, amount, unit = match.groups()
        days = int(amount) * {"d": 1, "w": 7, "m": 30}[unit]
        return (today + dt.timedelta(days=-days if sign == "-" else days)).isoformat()
    name = value.removeprefix("next ").strip()
    for candidates in (WEEKDAYS, [w[:3] for w in WEEKDAYS]):
        if name in candidates:
            ahead = (candidates.index(name) - today.weekday()) % 7 or 7
            return (today + dt.timedelta(days=ahead)).isoformat()
    try:
        return dt.date.fromisoformat(value).isoformat() if len(value) == 10 else _fail(text)
    except ValueError:
        return _fail(text)


def _fail(text: str) -> str:
    raise InvalidInput(
        f"bad date {text!r}: use YYYY-MM-DD, today, tomorrow, +3d, +2w, or a weekday like friday"
    )
