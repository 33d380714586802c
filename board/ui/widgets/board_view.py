"""The Board view: goals and commitments in columns by status, one lane per kind.

Routine and change work are two lanes shown at once (side by side on wide terminals, one
above the other on narrow ones), so both processes are always in sight. Each column is a
virtualised :class:`CardList`; a change re-reads only the touched records and repaints
only the columns whose cards changed.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from board.model import Commitment, Goal, NotFound, Record, Stream
from board.queries import BOARD_COLUMNS, BoardFilter, matches
from board.service import BoardService
from board.ui.cards import Board, Card, load_board, make_card, preview_text
from board.ui.messages import BoardDelta, OpenItem
from board.ui.text import KIND_GLYPH, KIND_HINT, KIND_LABEL
from board.ui.widgets.cardlist import CardList
from board.ui.widgets.view import View

KINDS = ("routine", "change")
KIND_OPTIONS = [
    ("Routine + change", "both"),
    ("Routine only", "routine"),
    ("Change only", "change"),
]
WIDE = 140  # from this width the two lanes sit side by side
INCREMENTAL_LIMIT = 300  # more touched records than this: reload the board


class BoardView(View):
    """Goals and commitments by status, filterable by stream, kind, member and text."""

    TITLE = "Board"
    COLLECTIONS = ("goals", "commitments")
    NEW_KINDS = ("goal", "commitment")
    EAGER = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "toggle_closed", "Closed", show=False),
        Binding("escape", "leave_filter", "Back to cards", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.records: dict[str, Record] = {}
        self.goals: dict[str, Goal] = {}
        self.cards: dict[str, Card] = {}
        self.groups: dict[tuple[str, str], list[Card]] = {}
        self.placed: dict[str, tuple[str, str]] = {}  # card id -> its (lane, column)
        self.filter = BoardFilter()
        self.selected: str | None = None
        self.pending_select: str | None = None  # select this card once it arrives
        self.active: CardList | None = None
        self.loaded = False

    def build(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield Select([], prompt="All streams", id="f-stream", compact=True)
            yield Select(KIND_OPTIONS, allow_blank=False, value="both", id="f-kind", compact=True)
            yield Select([], prompt="Anyone", id="f-member", compact=True)
            yield Input(placeholder="/ filter text", id="f-text", compact=True)
        with Container(id="lanes"):
            for kind in KINDS:
                with Vertical(id=f"lane-{kind}", classes=f"lane {kind}") as lane:
                    lane.border_title = f"{KIND_GLYPH[kind]} {KIND_LABEL[kind]} · {KIND_HINT[kind]}"
                    with Horizontal(classes="columns"):
                        for column, label in BOARD_COLUMNS:
                            with Vertical(classes=f"column col-{column}"):
                                yield Label(label, classes="colhead", id=f"head-{kind}-{column}")
                                yield CardList(kind, column, id=f"cards-{kind}-{column}")
        yield Static("", id="preview")

    def lists(self) -> Iterable[CardList]:
        return self.query(CardList)

    def list_for(self, kind: str, column: str) -> CardList:
        return self.query_one(f"#cards-{kind}-{column}", CardList)

    def visible_lists(self) -> list[CardList]:
        kind = self.query_one("#f-kind", Select).value
        show_closed = self.has_class("-show-closed")
        return [
            cl
            for cl in self.lists()
            if kind in ("both", cl.kind) and (show_closed or cl.column != "closed")
        ]

    # ------------------------------------------------------------------ loading
    def reload(self, delta: BoardDelta | None) -> None:
        self._sync_filter_options()
        ids = delta.ids(*self.COLLECTIONS) if delta is not None else set()
        if (
            delta is None
            or delta.everything
            or not self.loaded
            or delta.touches("streams")
            or delta.touches("members")
            or len(ids) > INCREMENTAL_LIMIT
        ):
            self._load_all()
        elif ids:
            self._load_some({(c, i) for c, i in delta.touched if c in self.COLLECTIONS})

    def _board_context(self) -> tuple[dict[str, Stream], dict[str, str], str]:
        d = self.directory
        return {s.id: s for s in d.streams}, dict(d.names), self.tb.today()

    def _load_all(self) -> None:
        preloaded, self.tb.preloaded_board = self.tb.preloaded_board, None
        if preloaded is not None:  # read while the board opened
            self._loaded_all(preloaded)
            return
        streams, names, today = self._board_context()
        self.tb.runner.load(
            "board", lambda s: load_board(s, streams, names, today), self._loaded_all
        )

    def _loaded_all(self, result: Board) -> None:
        self.records, self.cards = result
        self.goals = {i: r for i, r in self.records.items() if isinstance(r, Goal)}
        first = not self.loaded
        self.loaded = True
        self.regroup()
        if first and self.shown:
            self.focus_main()

    def _load_some(self, touched: set[tuple[str, str]]) -> None:
        def fetch(service: BoardService) -> dict[str, Record | None]:
            out: dict[str, Record | None] = {}
            for collection, record_id in touched:
                try:
                    record = service.get(record_id, [collection])
                except NotFound:
                    record = None
                out[record_id] = None if record is None or record.archived else record
            return out

        self.tb.runner.load("board-some", fetch, self._loaded_some)

    def _loaded_some(self, changed: dict[str, Record | None]) -> None:
        old_cards = {i: self.cards.get(i) for i in changed}
        for record_id, record in changed.items():
            if record is None:
                self.records.pop(record_id, None)
                self.cards.pop(record_id, None)
                self.goals.pop(record_id, None)
            else:
                self.records[record_id] = record
                if isinstance(record, Goal):
                    self.goals[record_id] = record
        streams, names, today = self._board_context()
        redo = {i for i, r in changed.items() if r is not None}
        changed_goals = {i for i in redo if i in self.goals}
        if changed_goals:  # a goal's kind or stream carries over to its commitments
            linked = {
                i
                for i, r in self.records.items()
                if isinstance(r, Commitment) and r.goal in changed_goals
            }
            old_cards.update((i, self.cards.get(i)) for i in linked if i not in old_cards)
            redo |= linked
        for record_id in redo:
            self.cards[record_id] = make_card(
                self.records[record_id], self.goals, streams, names, today
            )
        if len(old_cards) > INCREMENTAL_LIMIT:
            self.regroup()
            return
        # Move only the changed cards: out of their old column, into their new one.
        keys: set[tuple[str, str]] = set()
        for record_id, old in old_cards.items():
            key = self.placed.pop(record_id, None)
            if key is not None and old is not None:
                group = self.groups[key]
                at = bisect_left(group, old.sort_key, key=lambda c: c.sort_key)
                while at < len(group) and group[at].id != record_id:
                    at += 1
                if at < len(group):
                    del group[at]
                keys.add(key)
            card = self.cards.get(record_id)
            if card is not None and self._passes(card):
                key = (card.kind, card.column)
                insort(self.groups[key], card, key=lambda c: c.sort_key)
                self.placed[record_id] = key
                keys.add(key)
        self._show_groups(keys)

    # ------------------------------------------------------------------ filtering and grouping
    def _passes(self, card: Card) -> bool:
        return matches(
            self.records[card.id],
            self.filter,
            kind=card.kind,
            stream=card.stream,
            haystack=card.haystack,
        )

    def regroup(self) -> None:
        """Put every card that passes the filter into its lane and column."""
        self.groups = {(k, c): [] for k in KINDS for c, _ in BOARD_COLUMNS}
        self.placed = {}
        for card in self.cards.values():
            if self._passes(card):
                key = (card.kind, card.column)
                self.groups[key].append(card)
                self.placed[card.id] = key
        for cards in self.groups.values():
            cards.sort(key=lambda c: c.sort_key)
        self._show_groups(set(self.groups), compare=True)

    def _show_groups(self, keys: set[tuple[str, str]], compare: bool = False) -> None:
        """Hand the cards of ``keys`` to their lists; the selection follows its card."""
        if self.pending_select in self.placed:  # a card just made here: select it
            self.selected, self.pending_select = self.pending_select, None
        home_key = self.placed.get(self.selected or "")
        for key in keys:
            kind, column = key
            cards = self.groups[key]
            card_list = self.list_for(kind, column)
            card_list.set_cards(
                list(cards), keep=self.selected if key == home_key else None, force=not compare
            )
            label = dict(BOARD_COLUMNS)[column]
            self.query_one(f"#head-{kind}-{column}", Label).update(f"{label} {len(cards)}")
        home = self.list_for(*home_key) if home_key is not None else None
        if home is not None and home is not self.active and home in self.visible_lists():
            self.activate(home, focus=self.active is not None and self.active.has_focus)
        self.update_preview()

    def _sync_filter_options(self) -> None:
        d = self.directory
        stream_select = self.query_one("#f-stream", Select)
        options = [(f"{KIND_GLYPH.get(s.kind, '')} {s.title}", s.id) for s in d.streams]
        if getattr(stream_select, "_tb_options", None) != options:
            value = stream_select.value
            stream_select.set_options(options)
            stream_select._tb_options = options  # type: ignore[attr-defined]
            if value in [v for _, v in options]:
                stream_select.value = value
        member_select = self.query_one("#f-member", Select)
        people = [(m.name + (" (me)" if m.id == d.me else ""), m.id) for m in d.members]
        if getattr(member_select, "_tb_options", None) != people:
            value = member_select.value
            member_select.set_options(people)
            member_select._tb_options = people  # type: ignore[attr-defined]
            if value in [v for _, v in people]:
                member_select.value = value

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = "" if event.value is Select.NULL else str(event.value)
        if event.select.id == "f-stream":
            self.set_filter(stream=value)
        elif event.select.id == "f-member":
            self.set_filter(member=value)
        elif event.select.id == "f-kind":
            for kind in KINDS:
                self.query_one(f"#lane-{kind}").display = value in ("both", kind)
            if self.active is not None and self.active not in self.visible_lists():
                self.focus_main()

    @on(Input.Changed, "#f-text")
    def _text_changed(self, event: Input.Changed) -> None:
        self.set_filter(text=event.value)

    @on(Input.Submitted, "#f-text")
    def _text_submitted(self) -> None:
        self.action_leave_filter()

    def set_filter(self, **changes: str) -> None:
        self.filter = BoardFilter(**{**self.filter.__dict__, **changes})
        self.regroup()

    def focus_filter(self) -> None:
        self.query_one("#f-text", Input).focus()

    def clear_filter(self) -> None:
        self.query_one("#f-text", Input).value = ""
        self.query_one("#f-stream", Select).clear()
        self.query_one("#f-member", Select).clear()
        self.query_one("#f-kind", Select).value = "both"
        self.filter = BoardFilter()
        self.regroup()

    def action_leave_filter(self) -> None:
        if not isinstance(self.screen.focused, CardList):
            self.focus_main()

    def action_toggle_closed(self) -> None:
        self.toggle_class("-show-closed")
        if self.active is not None and self.active not in self.visible_lists():
            self.focus_main()

    # ------------------------------------------------------------------ cursor and selection
    def activate(self, card_list: CardList, focus: bool = True) -> None:
        if self.active is not None and self.active is not card_list:
            self.active.remove_class("-active")
        self.active = card_list
        card_list.add_class("-active")
        if focus:
            card_list.focus()
        self.selected = card_list.current.id if card_list.current else None
        self.update_preview()

    def focus_main(self) -> None:
        visible = self.visible_lists()
        if not visible:
            return
        if self.active in visible:
            target = self.active
        else:
            target = next((cl for cl in visible if cl.cards), visible[0])
        self.activate(target)

    def action_column(self, step: int) -> None:
        visible = self.visible_lists()
        if self.active not in visible:
            self.focus_main()
            return
        index = visible.index(self.active) + step
        if 0 <= index < len(visible):
            self.activate(visible[index])

    @on(CardList.MoveColumn)
    def _move_column(self, event: CardList.MoveColumn) -> None:
        event.stop()
        self.action_column(event.step)

    @on(CardList.Highlighted)
    def _highlighted(self, event: CardList.Highlighted) -> None:
        event.stop()
        if event.card_list.has_focus or event.card_list is self.active:
            if event.card_list is not self.active:
                self.activate(event.card_list, focus=False)
            self.selected = event.card.id if event.card else None
            self.update_preview()
            self.selection_changed()

    @on(CardList.Selected)
    def _selected(self, event: CardList.Selected) -> None:
        event.stop()
        if event.card is not None:
            self.post_message(OpenItem(event.card.id))

    def selected_id(self) -> str | None:
        if self.active is None or self.active.current is None:
            return None
        return self.active.current.id

    def select_card(self, card_id: str) -> None:
        """Put the cursor on ``card_id`` (now, or when it arrives from the service)."""
        self.pending_select = card_id
        if card_id in self.placed:
            self._show_groups({self.placed[card_id]})

    def selected_type(self) -> str | None:
        record = self.records.get(self.selected_id() or "")
        return record.TYPE if record is not None else None

    def update_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        record = self.records.get(self.selected or "")
        card = self.cards.get(self.selected or "")
        if not self.loaded:
            preview.update("Loading the board…")
            return
        if not self.records:
            preview.update("Nothing on the board yet: press n to add a goal or a commitment.")
            return
        if record is None or card is None:
            shown = sum(len(cl.cards) for cl in self.visible_lists())
            preview.update(
                f"{shown} of {len(self.cards)} items shown"
                + (" (filtered)" if self.filter.active else "")
            )
            return
        preview.update(preview_text(record, card, self.directory.stream_title(card.stream)))

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")
        self.call_after_refresh(self._fit_cards)

    def _fit_cards(self) -> None:
        for card_list in self.lists():
            height, width = card_list.size.height, card_list.size.width
            card_list.lines_per_card = 1 if height < 10 else (3 if width < 28 else 2)
