"""Item detail: every field, the check-ins with confidence over time, the history (who
changed what, when), and the actions (edit, status, check in, consent, archive/restore)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, Sparkline, Static

from board.model import Agreement, CheckIn, Commitment, Goal, HistoryEntry, Record, Role, Stream
from board.queries import confidence_series, review_state
from board.service import BoardService
from board.ui.app import Directory
from board.ui.messages import BoardDelta
from board.ui.screens.actions import ITEM_BINDINGS, ItemActions
from board.ui.text import (
    KIND_GLYPH,
    TYPE_LABEL,
    change_summary,
    due_text,
    names,
    number,
    review_text,
    status_label,
    when,
)
from board.ui.widgets.view import ItemTable, cell

BUTTONS = [
    ("edit", "Edit"),
    ("advance", "Advance"),
    ("set_status", "Status…"),
    ("checkin", "Check in"),
    ("consent", "Consent"),
    ("archive", "Archive"),
    ("back", "Back"),
]


@dataclass
class Detail:
    record: Record
    checkins: list[CheckIn] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    goal_title: str = ""


class DetailScreen(ItemActions, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back"), *ITEM_BINDINGS]

    def __init__(self, item_id: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.detail: Detail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static("Loading…", id="d-title")
            yield Static("", id="d-fields")
            yield Label("Check-ins", classes="section", id="d-checkins-label")
            with Horizontal(id="d-confidence"):
                yield Label("Confidence ", classes="dim")
                yield Sparkline([], id="d-spark")
                yield Static("", id="d-spark-values")
            yield ItemTable(
                [
                    ("When", 11),
                    ("By", 8),
                    ("Progress", 8),
                    ("Conf.", 5),
                    ("Note", 30),
                    ("Learned", 30),
                ],
                id="d-checkins",
            )
            yield Label("History", classes="section")
            yield ItemTable(
                [("When", 11), ("Who", 8), ("What", 11), ("Change", 60)], id="d-history"
            )
        with Horizontal(id="d-actions"):
            for action, label in BUTTONS:
                yield Button(label, id=f"do-{action}", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.tb.board_changed.subscribe(self, self._board_changed)
        self.load()

    def _board_changed(self, delta: BoardDelta) -> None:
        if delta.everything or self.item_id in delta.ids() or delta.touches("members"):
            self.load()

    def load(self) -> None:
        item_id = self.item_id

        def fetch(service: BoardService) -> Detail:
            record = service.get(item_id)
            goal_title = ""
            if isinstance(record, Commitment) and record.goal:
                goal_title = service.get(record.goal, ["goals"]).label
            return Detail(
                record, service.checkins_for(item_id), service.history(item_id), goal_title
            )

        self.tb.runner.load(f"detail-{item_id}", fetch, self.show)

    def show(self, detail: Detail) -> None:
        self.detail = detail
        record = detail.record
        d = self.tb.directory
        title = Text()
        title.append(f"{TYPE_LABEL.get(record.TYPE, record.TYPE)}  ", "bold reverse")
        title.append(f" {record.label}", "bold")
        if record.archived:
            title.append("  [archived]", "bold yellow")
        self.query_one("#d-title", Static).update(title)
        self.query_one("#d-fields", Static).update(self.fields_table(detail, d))
        series = confidence_series(detail.checkins)
        self.query_one("#d-spark", Sparkline).data = series
        self.query_one("#d-spark-values", Static).update(
            " → ".join(map(str, series)) if series else "no confidence given yet"
        )
        has_checkins = bool(detail.checkins)
        self.query_one("#d-confidence").display = has_checkins
        self.query_one("#d-checkins").display = has_checkins
        self.query_one("#d-checkins-label", Label).update(
            "Check-ins" if has_checkins else "Check-ins: none yet (c to check in)"
        )
        self.query_one("#d-checkins", ItemTable).show_rows(
            [
                (
                    c.id,
                    [
                        cell(when(c.at)),
                        cell(d.name(c.by)),
                        cell(f"{c.progress}%" if c.progress is not None else ""),
                        cell(c.confidence or ""),
                        cell(c.note),
                        cell(c.learned, "italic"),
                    ],
                )
                for c in reversed(detail.checkins)
            ]
        )
        labels = d.labels()
        self.query_one("#d-history", ItemTable).show_rows(
            [
                (
                    f"{i}",
                    [
                        cell(when(h.at)),
                        cell(h.author(d.name)),
                        cell(h.action),
                        cell(change_summary(h.changes, labels), "dim"),
                    ],
                )
                for i, h in reversed(list(enumerate(detail.history)))
            ]
        )
        archive = self.query_one("#do-archive", Button)
        archive.label = "Restore" if record.archived else "Archive"
        statusful = record.TYPE in ("goal", "commitment", "agreement")
        for action in ("advance", "set_status", "checkin", "edit"):
            self.query_one(f"#do-{action}", Button).display = statusful
        self.query_one("#do-consent", Button).display = isinstance(record, Agreement)
        self.refresh_bindings()

    def fields_table(self, detail: Detail, d: Directory) -> Table:
        record, today = detail.record, self.tb.today()
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        rows: list[tuple[str, Text | str]] = []
        status = str(getattr(record, "status", ""))
        if isinstance(record, Goal):
            rows += [
                ("Kind", f"{KIND_GLYPH[record.kind]} {record.kind}"),
                ("Status", status_label(status)),
                ("Stream", d.stream_title(record.stream) or "—"),
                ("Owners", names(record.owners, d.names)),
                ("Due", due_text(record.due, today, status in ("active", "at_risk")) or "—"),
                ("Confidence", f"{record.confidence}/10" if record.confidence else "—"),
            ]
            if record.metric:
                unit = record.unit
                measure = (
                    f"{record.metric}: {number(record.current)}{unit} now (from "
                    f"{number(record.start)}{unit}, target {number(record.target)}{unit})"
                )
                rows.append(("Measure", measure))
            if record.hypothesis or record.kind == "change":
                rows.append(("Hypothesis", record.hypothesis or "—"))
                rows.append(("Next step", record.next_step or "—"))
        elif isinstance(record, Commitment):
            to = d.party(record)
            rows += [
                ("Status", status_label(status)),
                ("By", d.name(record.by)),
                ("To", f"{to} ({record.to_kind})"),
                ("Goal", detail.goal_title or "—"),
                (
                    "Due",
                    due_text(record.due, today, status not in ("done", "declined", "dropped"))
                    or "—",
                ),
                ("Terms", record.terms or "—"),
            ]
        elif isinstance(record, Agreement):
            state, days = review_state(record, today)
            consents = Text()
            for party in record.parties:
                if party in record.consents:
                    consents.append(
                        f"✓ {d.name(party)} {when(record.consents[party])[:5]}  ", "green"
                    )
                else:
                    consents.append(f"… {d.name(party)} (not yet)  ", "bold yellow")
            rows += [
                ("Status", status_label(status)),
                ("Accountable", d.name(record.accountable)),
                ("Held by", names(record.counterparts, d.names)),
                ("Consents", consents),
                ("Expects", record.expectations or "—"),
                ("Checked", record.cadence),
                ("Next review", review_text(state, days, record.review_on)),
            ]
        elif isinstance(record, Stream):
            rows += [
                ("Kind", f"{KIND_GLYPH[record.kind]} {record.kind}"),
                ("Purpose", record.purpose or "—"),
                ("Members", names(record.members, d.names)),
                (
                    "Outside",
                    ", ".join(f"{e['name']} ({e['relation']})" for e in record.externals) or "—",
                ),
            ]
        elif isinstance(record, Role):
            rows += [
                ("Purpose", record.purpose or "—"),
                ("Stream", d.stream_title(record.stream) or "—"),
                ("Holders", names(record.holders, d.names) or "—"),
                ("Accountable for", "\n".join(record.accountabilities) or "—"),
            ]
        rows += [
            ("Created", f"{when(record.created_at)} by {d.name(record.created_by)}"),
            ("Changed", f"{when(record.updated_at)} by {d.name(record.updated_by)}"),
            ("Id", record.id),
        ]
        for label, value in rows:
            grid.add_row(label, value if isinstance(value, Text) else Text(str(value)))
        return grid

    # ------------------------------------------------------------------ actions
    def current_item(self) -> str | None:
        return self.item_id

    def current_type(self) -> str | None:
        return self.detail.record.TYPE if self.detail else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.item_action_allowed(action)

    def action_back(self) -> None:
        self.dismiss()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        action = (event.button.id or "").removeprefix("do-")
        getattr(self, f"action_{action}")()

    def commands(self) -> list[SystemCommand]:
        return [
            *self.item_commands(),
            SystemCommand("Back", "Back to the board (esc)", self.action_back),
        ]
