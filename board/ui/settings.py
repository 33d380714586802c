"""The user's UI preferences (the theme), kept in ``ui.json`` in the home.

``TEAMBOARD_THEME`` overrides the stored choice; ``NO_COLOR`` is honoured by Textual itself
(the app renders in monochrome).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SETTINGS_FILE = "ui.json"
DEFAULT_THEME = "textual-dark"


def load(home: Path) -> dict[str, Any]:
    """The stored settings, or ``{}`` when there are none or the file is unreadable."""
    try:
        data = json.loads((home / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(home: Path, **changes: Any) -> None:
    """Merge ``changes`` into the stored settings; failures are ignored (preferences are
    not worth an error message)."""
    try:
        data = {**load(home), **changes}
        home.mkdir(parents=True, exist_ok=True)
        (home / SETTINGS_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass


def chosen_theme(home: Path, available: set[str]) -> str:
    """The theme to start with: ``$TEAMBOARD_THEME``, then the stored one, then the default."""
    for name in (os.environ.get("TEAMBOARD_THEME", ""), str(load(home).get("theme", ""))):
        if name in available:
            return name
    return DEFAULT_THEME
