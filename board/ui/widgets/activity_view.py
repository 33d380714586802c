"""The Activity view: a live feed of what changed on the board, by whom, and when."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable

from board.model import HistoryEntry
from board.service import BoardService
from board.ui.messages import BoardDelta, OpenItem
from board.ui.text import TYPE_LABEL, change_summary, when
from board.ui.widgets.view import ItemTable, Row, View, cell

FEED_LENGTH = 300
OPENABLE = {"goal", "commitment", "agreement", "stream", "role"}


class ActivityView(View):
    TITLE = "Activity"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.entries: dict[str, HistoryEntry] = {}

    def build(self) -> ComposeResult:
        yield ItemTable(
            [("When", 11), ("Who", 8), ("What", 11), ("Item", 36), ("Change", 70)],
            id="activity-table",
        )

    def relevant(self, delta: BoardDelta) -> bool:
        return True

    def reload(self, delta: BoardDelta | None) -> None:
        def fetch(service: BoardService) -> list[HistoryEntry]:
            return service.history(limit=FEED_LENGTH)

        self.tb.runner.load("activity", fetch, self._loaded)

    def _loaded(self, history: list[HistoryEntry]) -> None:
        people = self.directory
        labels = people.labels()
        rows: list[Row] = []
        self.entries = {}
        seen: dict[str, int] = {}
        for entry in history:
            if entry.type == "checkin":  # the item's own "checked in" entry tells it
                continue
            base = f"{entry.at}|{entry.item}|{entry.action}"
            seen[base] = seen.get(base, 0) + 1
            key = f"{base}|{seen[base]}"
            self.entries[key] = entry
            title = (
                entry.title if entry.type not in ("member", "focus") else people.name(entry.item)
            )
            rows.append(
                (
                    key,
                    [
                        cell(when(entry.at)),
                        cell(entry.author(people.name)),
                        cell(entry.action),
                        cell(f"{TYPE_LABEL.get(entry.type, entry.type)}: {title}"),
                        cell(change_summary(entry.changes, labels), "dim"),
                    ],
                )
            )
        self.query_one(ItemTable).show_rows(rows)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        entry = self.entries.get(str(event.row_key.value))
        if entry is not None and entry.type in OPENABLE:
            self.post_message(OpenItem(entry.item))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.selection_changed()

    def selected_id(self) -> str | None:
        entry = self.entries.get(self.query_one(ItemTable).selected_key or "")
        return entry.item if entry is not None and entry.type in OPENABLE else None

    def selected_type(self) -> str | None:
        entry = self.entries.get(self.query_one(ItemTable).selected_key or "")
        return entry.type if entry is not None and entry.type in OPENABLE else None

    def focus_main(self) -> None:
        self.query_one(ItemTable).focus()
