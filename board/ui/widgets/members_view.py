"""The Members view: who is on the team, since when, invited by whom, and what they take
part in. Enter shows that person's own picture (the Me view)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from board.model import OPEN_COMMITMENT, Agreement, Commitment, Role
from board.service import BoardService
from board.ui.messages import BoardDelta, ShowPerson
from board.ui.widgets.view import ItemTable, Row, View, cell


@dataclass
class Counts:
    roles: dict[str, list[str]]
    commitments: dict[str, int]
    agreements: dict[str, int]


class MembersView(View):
    TITLE = "Members"
    COLLECTIONS = ("members", "roles", "commitments", "agreements", "streams")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("i", "invite", "Invite")]

    def build(self) -> ComposeResult:
        yield ItemTable(
            [
                ("Name", 10),
                ("Joined", 10),
                ("Invited by", 10),
                ("Streams", 14),
                ("Roles", 12),
                ("Open", 4),
                ("Agreements", 10),
            ],
            id="members-table",
        )

    def reload(self, delta: BoardDelta | None) -> None:
        def fetch(service: BoardService) -> Counts:
            counts = Counts({}, {}, {})
            for role in service.list("roles"):
                if isinstance(role, Role):
                    for holder in role.holders:
                        counts.roles.setdefault(holder, []).append(role.title)
            for c in service.list("commitments"):
                if isinstance(c, Commitment) and c.status in OPEN_COMMITMENT:
                    counts.commitments[c.by] = counts.commitments.get(c.by, 0) + 1
            for a in service.list("agreements"):
                if isinstance(a, Agreement) and a.status != "retired":
                    for p in a.parties:
                        counts.agreements[p] = counts.agreements.get(p, 0) + 1
            return counts

        self.tb.runner.load("members", fetch, self._loaded)

    def _loaded(self, counts: Counts) -> None:
        d = self.directory
        rows: list[Row] = []
        for m in d.members:
            streams = [s.title for s in d.streams if m.id in s.members]
            rows.append(
                (
                    m.id,
                    [
                        cell(
                            m.name + (" (me)" if m.id == d.me else ""),
                            "bold" if m.id == d.me else "",
                        ),
                        cell(m.joined_at[:10]),
                        cell(d.name(m.invited_by) if m.invited_by else "—"),
                        cell(", ".join(streams) or "—"),
                        cell(", ".join(counts.roles.get(m.id, [])) or "—"),
                        cell(counts.commitments.get(m.id, 0)),
                        cell(counts.agreements.get(m.id, 0)),
                    ],
                )
            )
        self.query_one(ItemTable).show_rows(rows)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(ShowPerson(str(event.row_key.value)))

    def action_invite(self) -> None:
        """Invite a newcomer: a modal with a one-time code (see InviteScreen)."""
        from board.ui.screens.invite import InviteScreen

        self.app.push_screen(InviteScreen())

    def focus_main(self) -> None:
        self.query_one(ItemTable).focus()
