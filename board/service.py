"""BoardService: the use cases of the board, each one automerge transaction, stamped with
author and time, stored durably before it returns, and announced to listeners.

The CLI and the terminal UI call only this; they never touch automerge or SQL. The class
is assembled from three layers: ``service_core`` (opening, the write path, events),
``lookups`` (reads) and ``use_cases`` (writes).
"""

from __future__ import annotations

from board.service_core import (
    COMPACT_MIN_BYTES,
    Clock,
    Listener,
    change_signing_payload,
    new_id,
    reader,
    use_case,
)
from board.use_cases import FIELD_ALIASES, LIST_FIELDS, SETTABLE, UseCases

__all__ = [
    "COMPACT_MIN_BYTES",
    "FIELD_ALIASES",
    "LIST_FIELDS",
    "SETTABLE",
    "BoardService",
    "Clock",
    "Listener",
    "change_signing_payload",
    "new_id",
    "reader",
    "use_case",
]


class BoardService(UseCases):
    """Use cases on one team's board, for one member (``me``) of one home."""
