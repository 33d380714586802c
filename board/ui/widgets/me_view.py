"""The Me view: one person's own picture of the board — commitments they made and received,
agreements they are accountable for or hold others to, and their focus / challenge / avoid
lists with trade-off notes, edited in place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Label, Select, Static

from board.model import (
    FOCUS_LISTS,
    OPEN_COMMITMENT,
    Agreement,
    BoardError,
    Commitment,
    Focus,
    Goal,
    validate_title,
)
from board.queries import Mine, is_overdue, mine, review_state
from board.service import BoardService
from board.ui.messages import BoardDelta, OpenItem
from board.ui.text import due_text, review_text, status_label
from board.ui.widgets.view import ItemTable, Row, View, cell


@dataclass
class Picture:
    mine: Mine
    focus: Focus
    goals: dict[str, Goal] = field(default_factory=dict)


class FocusTable(ItemTable):
    """The focus lists; keys here edit them in place."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "Add entry"),
        Binding("e,enter", "edit", "Edit entry"),
        Binding("x,delete", "remove", "Remove entry"),
    ]

    @property
    def view(self) -> MeView:
        return self.query_ancestor(MeView)

    def action_add(self) -> None:
        key = self.view.focus_key()
        self.view.open_editor(key[0] if key else "focus", -1)

    def action_edit(self) -> None:
        key = self.view.focus_key()
        if key is not None:
            self.view.open_editor(*key)

    def action_remove(self) -> None:
        self.view.remove_entry()


class MeView(View):
    TITLE = "Me"
    COLLECTIONS = ("goals", "commitments", "agreements", "focus")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close_editor", "Cancel edit")]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.person = ""
        self.picture: Picture | None = None
        self.editing: tuple[str, int] | None = None  # (list, index) or (list, -1) for new

    def build(self) -> ComposeResult:
        with Horizontal(id="me-head"):
            yield Select([], prompt="Person", allow_blank=True, id="me-person", compact=True)
            yield Static("", id="me-summary")
        with VerticalScroll(id="me-body"):
            yield Label("Commitments — made (→) and received (←)", classes="section")
            yield ItemTable(
                [("", 1), ("Commitment", 30), ("With", 12), ("Status", 11), ("Due", 11)],
                id="me-commitments",
            )
            yield Label("Agreements — accountable for, and holding others to", classes="section")
            yield ItemTable(
                [("Role", 11), ("Agreement", 30), ("Status", 10), ("Review", 14)],
                id="me-agreements",
            )
            yield Label(
                "Focus · challenge · avoid, with trade-offs (n add, e edit, x remove)",
                classes="section",
            )
            yield FocusTable([("List", 9), ("Entry", 34), ("Trade-off", 26)], id="me-focus")
            with Horizontal(id="focus-editor"):
                yield Select(
                    [(n, n) for n in FOCUS_LISTS],
                    allow_blank=False,
                    value="focus",
                    id="fe-list",
                    compact=True,
                )
                yield Input(placeholder="entry", id="fe-text", compact=True)
                yield Input(placeholder="trade-off", id="fe-tradeoff", compact=True)
            yield Static("", id="fe-error", classes="field-error")

    def show_person(self, member_id: str) -> None:
        self.person = member_id
        self.stale = True

    def reload(self, delta: BoardDelta | None) -> None:
        d = self.directory
        self.person = self.person or d.me
        self.pick_quietly(self.query_one("#me-person", Select), self.member_options(), self.person)
        person = self.person

        def fetch(service: BoardService) -> Picture:
            goals = [g for g in service.list("goals") if isinstance(g, Goal)]
            commitments = [c for c in service.list("commitments") if isinstance(c, Commitment)]
            agreements = [a for a in service.list("agreements") if isinstance(a, Agreement)]
            return Picture(
                mine(person, goals, commitments, agreements),
                service.focus(person),
                {g.id: g for g in goals},
            )

        self.tb.runner.load("me", fetch, self._loaded)

    def _loaded(self, picture: Picture) -> None:
        self.picture = picture
        d, today, m = self.directory, self.tb.today(), picture.mine
        commitments: list[Row] = []
        # Open promises first, soonest due first; finished ones after them.
        ranked = sorted(
            [("→", c) for c in m.made] + [("←", c) for c in m.received],
            key=lambda pair: (
                pair[1].status not in OPEN_COMMITMENT,
                pair[1].due or "9999",
                pair[1].created_at,
                pair[1].id,
            ),
        )
        for arrow, c in ranked:
            other = c.to if arrow == "→" else c.by
            other_name = (
                d.name(other)
                if arrow == "←" or c.to_kind == "member"
                else d.stream_title(other) or other
            )
            commitments.append(
                (
                    c.id,
                    [
                        cell(arrow),
                        cell(c.title, "bold red" if is_overdue(c, today) else ""),
                        cell(other_name),
                        cell(status_label(c.status)),
                        due_text(c.due, today, c.status not in ("done", "declined", "dropped")),
                    ],
                )
            )
        self.query_one("#me-commitments", ItemTable).show_rows(commitments)
        agreements: list[Row] = []
        for role, items in (("accountable", m.accountable), ("holding", m.holding)):
            for a in items:
                state, days = review_state(a, today)
                agreements.append(
                    (
                        a.id,
                        [
                            cell(role),
                            cell(a.title),
                            cell(status_label(a.status)),
                            review_text(state, days, a.review_on),
                        ],
                    )
                )
        self.query_one("#me-agreements", ItemTable).show_rows(agreements)
        focus_rows: list[Row] = []
        for list_name in FOCUS_LISTS:
            for i, entry in enumerate(getattr(picture.focus, list_name)):
                focus_rows.append(
                    (
                        f"{list_name}:{i}",
                        [
                            cell(list_name, "bold"),
                            cell(entry.get("text", "")),
                            cell(entry.get("tradeoff", "") or "—", "italic"),
                        ],
                    )
                )
        self.query_one("#me-focus", FocusTable).show_rows(focus_rows)
        open_made = sum(1 for c in m.made if c.status not in ("done", "declined", "dropped"))
        who = "You" if self.person == d.me else d.name(self.person)
        self.query_one("#me-summary", Static).update(
            f"{who}: {len(m.made)} made ({open_made} open), {len(m.received)} received · "
            f"accountable for {len(m.accountable)}, holding {len(m.holding)} · "
            f"owns {len(m.goals)} goals"
        )

    @on(Select.Changed, "#me-person")
    def _person_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL and event.value != self.person:
            self.person = str(event.value)
            self.close_editor()
            self.reload(None)

    @on(DataTable.RowSelected, "#me-commitments, #me-agreements")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(OpenItem(str(event.row_key.value)))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.selection_changed()

    def selected_id(self) -> str | None:
        focused = self.screen.focused
        for table_id in ("#me-commitments", "#me-agreements"):
            table = self.query_one(table_id, ItemTable)
            if focused is table:
                return table.selected_key
        return None

    def selected_type(self) -> str | None:
        focused = self.screen.focused
        if focused is self.query_one("#me-commitments", ItemTable):
            return "commitment" if self.selected_id() else None
        if focused is self.query_one("#me-agreements", ItemTable):
            return "agreement" if self.selected_id() else None
        return None

    def focus_main(self) -> None:
        self.query_one("#me-commitments", ItemTable).focus()

    # ------------------------------------------------------------------ focus lists, in place
    def open_editor(self, list_name: str, index: int) -> None:
        if self.person != self.directory.me:
            self._editor_error(
                f"focus lists are personal: only {self.directory.name(self.person)} can edit theirs"
            )
            return
        entry = {"text": "", "tradeoff": ""}
        if self.picture is not None and index >= 0:
            entry = getattr(self.picture.focus, list_name)[index]
        self.editing = (list_name, index)
        self.query_one("#fe-list", Select).value = list_name
        self.query_one("#fe-text", Input).value = entry.get("text", "")
        self.query_one("#fe-tradeoff", Input).value = entry.get("tradeoff", "")
        self.add_class("-editing")
        self.refresh_bindings()
        self._editor_error("")
        self.query_one("#fe-text", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.editing is not None if action == "close_editor" else True

    def action_close_editor(self) -> None:
        if self.editing is not None:
            self.close_editor()
            self.query_one("#me-focus", FocusTable).focus()

    def close_editor(self) -> None:
        self.editing = None
        self.remove_class("-editing")
        self.refresh_bindings()
        self._editor_error("")

    def _editor_error(self, message: str) -> None:
        error = self.query_one("#fe-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")
        self.query_one("#fe-text", Input).set_class(bool(message), "-invalid")

    def focus_key(self) -> tuple[str, int] | None:
        key = self.query_one("#me-focus", FocusTable).selected_key
        if not key:
            return None
        name, index = key.split(":")
        return name, int(index)

    def remove_entry(self) -> None:
        key = self.focus_key()
        if key is None or self.picture is None:
            return
        if self.person != self.directory.me:
            self._editor_error("focus lists are personal: you can only change your own")
            return
        entries = list(getattr(self.picture.focus, key[0]))
        del entries[key[1]]
        self.tb.runner.write(
            lambda s: s.set_focus({key[0]: entries}),
            done=lambda _: self.tb.notify("Removed from your " + key[0]),
        )

    @on(Input.Submitted, "#fe-text, #fe-tradeoff")
    def save_entry(self) -> None:
        if self.editing is None or self.picture is None:
            return
        old_list, index = self.editing
        new_list = str(self.query_one("#fe-list", Select).value)
        text = self.query_one("#fe-text", Input).value
        tradeoff = self.query_one("#fe-tradeoff", Input).value.strip()
        try:
            text = validate_title(text, f"{new_list} entry")
        except BoardError as exc:
            self._editor_error(str(exc))
            return
        lists = {n: list(getattr(self.picture.focus, n)) for n in FOCUS_LISTS}
        if index >= 0:
            del lists[old_list][index]
        entry = {"text": text, "tradeoff": tradeoff}
        if index >= 0 and old_list == new_list:
            lists[new_list].insert(index, entry)
        else:
            lists[new_list].append(entry)
        changed = {n: lists[n] for n in {old_list, new_list}}
        self.tb.runner.write(
            lambda s: s.set_focus(changed),
            done=lambda _: self._saved(),
            failed=lambda exc: self._editor_error(str(exc)),
        )

    def _saved(self) -> None:
        self.close_editor()
        self.query_one("#me-focus", FocusTable).focus()
