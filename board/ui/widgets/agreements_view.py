"""The Agreements view: every accountability agreement, its parties, who has not consented
yet, and when it is next reviewed (overdue reviews stand out)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from board.model import Agreement
from board.queries import review_state
from board.service import BoardService
from board.ui.messages import BoardDelta, OpenItem
from board.ui.text import names, review_text, status_label, when
from board.ui.widgets.view import ItemTable, Row, View, cell

STATUS_STYLE = {
    "draft": "yellow",
    "active": "green",
    "under_review": "bold yellow",
    "retired": "dim",
}
REVIEW_ORDER = {"overdue": 0, "today": 1, "ahead": 2, "past": 3, "none": 4}


class AgreementsView(View):
    TITLE = "Agreements"
    COLLECTIONS = ("agreements",)
    NEW_KINDS = ("agreement",)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.agreements: dict[str, Agreement] = {}

    def build(self) -> ComposeResult:
        yield ItemTable(
            [
                ("Agreement", 26),
                ("Next review", 14),
                ("Waiting for", 12),
                ("Status", 9),
                ("Accountable", 11),
                ("Held by", 16),
            ],
            id="agreements-table",
        )
        yield Static("", id="agreement-preview")

    def reload(self, delta: BoardDelta | None) -> None:
        def fetch(service: BoardService) -> list[Agreement]:
            return [a for a in service.list("agreements") if isinstance(a, Agreement)]

        self.tb.runner.load("agreements", fetch, self._loaded)

    def _loaded(self, agreements: list[Agreement]) -> None:
        today = self.tb.today()
        self.agreements = {a.id: a for a in agreements}
        ranked = sorted(
            agreements,
            key=lambda a: (
                REVIEW_ORDER[review_state(a, today)[0]],
                a.review_on or "9999",
                a.created_at,
                a.id,
            ),
        )
        rows: list[Row] = []
        directory = self.directory.names
        for a in ranked:
            state, days = review_state(a, today)
            overdue = state == "overdue"
            title = cell(("⚠ " if overdue else "") + a.title, "bold red" if overdue else "")
            missing = a.missing_consents
            waiting = (
                cell(names(missing, directory), "yellow")
                if missing
                else cell("✓ everyone", "green")
            )
            rows.append(
                (
                    a.id,
                    [
                        title,
                        review_text(state, days, a.review_on),
                        waiting,
                        cell(status_label(a.status), STATUS_STYLE.get(a.status, "")),
                        cell(directory.get(a.accountable, a.accountable[:8])),
                        cell(names(a.counterparts, directory)),
                    ],
                )
            )
        table = self.query_one(ItemTable)
        table.show_rows(rows)
        self._preview()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._preview()
        self.selection_changed()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(OpenItem(str(event.row_key.value)))

    def _preview(self) -> None:
        preview = self.query_one("#agreement-preview", Static)
        agreement = self.agreements.get(self.selected_id() or "")
        if agreement is None:
            preview.update(
                "No agreements yet: press n to propose one." if not self.agreements else ""
            )
            return
        directory = self.directory.names
        consents = ", ".join(
            f"{directory.get(p, p[:8])} {'✓ ' + when(agreement.consents[p])[:5] if p in agreement.consents else '…'}"
            for p in agreement.parties
        )
        preview.update(
            Text.assemble(
                ("Expects: ", "bold"),
                agreement.expectations or "—",
                "\n",
                ("Checked ", "bold"),
                agreement.cadence,
                ("  Consents: ", "bold"),
                consents,
            )
        )

    def selected_id(self) -> str | None:
        return self.query_one(ItemTable).selected_key

    def selected_type(self) -> str | None:
        return "agreement" if self.selected_id() else None

    def focus_main(self) -> None:
        self.query_one(ItemTable).focus()
