"""The board read straight from its read-model tables, while its document still loads.

Opening a board loads its whole automerge document: half a second for 10,000 items, all of
it holding the interpreter lock. The read-model tables in SQLite are updated in the same
transaction as every change, so they say what the document says; a screen can show the
board from them first (``Workspace.open(..., on_tables=...)``) and let the document finish
loading after. Listings match :class:`board.service.BoardService`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from board import readmodel
from board.model import BoardError, Member, Record, Team
from storage.store import Store

Clock = Callable[[], dt.datetime]
# Columns whose values repeat from record to record (who, what kind, which status, stream
# or goal): their records share one string per value instead of holding a copy each
# (megabytes with 10,000 items, held for as long as the board is shown).
SHARED_COLUMNS = (
    "type", "created_by", "updated_by", "kind", "stream", "status", "by", "to", "to_kind",
    "goal", "due", "accountable", "cadence", "review_on", "metric", "unit",
)  # fmt: skip


def read_records(store: Store, collection: str, include_archived: bool = False) -> list[Record]:
    """The records of ``collection`` from the read model, oldest first (archived ones only
    when asked; members and focus lists are never archived)."""
    sql = f"SELECT * FROM [{collection}]"
    if not include_archived and collection not in ("members", "focus"):
        sql += " WHERE archived = 0"
    sql += " ORDER BY created_at, id"
    rows = store.rows(sql)
    shared: dict[object, object] = {}
    columns = [c for c in SHARED_COLUMNS if rows and c in rows[0]]
    records = []
    for row in rows:
        for column in columns:
            value = row[column]
            row[column] = shared.setdefault(value, value)
        if row.get("updated_at") == row.get("created_at"):  # never edited: one string
            row["updated_at"] = row["created_at"]
        records.append(readmodel.from_row(collection, row))
    return records


class BoardTables:
    """Read-only listings from the read-model tables of one home, for member ``me``."""

    def __init__(self, store: Store, me: str, clock: Clock | None = None) -> None:
        self.store = store
        self.me = me
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        # Read first: a change stored after this point changes it.
        self.version = self.store.get_meta("readmodel_heads") or ""

    def current_version(self) -> str:
        """The document heads the tables mirror now (differs from ``version`` when the
        board changed, or the tables were rebuilt, since these tables were read)."""
        return self.store.get_meta("readmodel_heads") or ""

    def team(self) -> Team:
        teams = [t for t in read_records(self.store, "team", True) if isinstance(t, Team)]
        if not teams:
            raise BoardError(
                "this home has no board yet (run `teamboard init` or `teamboard join`)"
            )
        return teams[0]

    def members(self, include_removed: bool = False) -> list[Member]:
        everyone = [m for m in read_records(self.store, "members") if isinstance(m, Member)]
        chosen = [m for m in everyone if include_removed or m.active]
        return sorted(chosen, key=lambda m: (m.name.lower(), m.id))

    def list(self, collection: str, *, include_archived: bool = False) -> list[Record]:
        return read_records(self.store, collection, include_archived)

    def today(self) -> dt.date:
        return self._clock().astimezone().date()
