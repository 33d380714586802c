"""The Board view: goals and commitments in columns by status, one lane per kind.

Routine and change work are two lanes shown at once (side by side on wide terminals, one
above the other on narrow ones), so both processes are always in sight. Each column is a
virtualised :class:`CardList`; a change re-reads only the touched records, moves only
their cards (in place, found by binary search) and repaints only the columns they left or
entered, so a status change costs the same on a board of any size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.widgets import Input, Select, Static

from board.queries import BOARD_COLUMNS, BoardFilter
from board.ui.cards import Card, preview_text
from board.ui.messages import OpenItem
from board.ui.text import KIND_GLYPH, KIND_HINT, KIND_LABEL
from board.ui.widgets.board_cards import KINDS, BoardCards
from board.ui.widgets.cardlist import CardList
from board.ui.widgets.quick_lines import QuickLines

KIND_OPTIONS = [
    ("Routine + change", "both"),
    ("Routine only", "routine"),
    ("Change only", "change"),
]
WIDE = 140  # from this width the two lanes sit side by side


# The board's containers and preview, as cheap as the lists in a frame that changes
# neither (see QuickLines).
class Lanes(QuickLines, Container):
    pass


class Lane(QuickLines, Vertical):
    pass


class Columns(QuickLines, Horizontal):
    pass


class Filters(QuickLines, Horizontal):
    pass


class Preview(QuickLines, Static):
    pass


class BoardView(QuickLines, BoardCards):
    """Goals and commitments by status, filterable by stream, kind, member and text."""

    TITLE = "Board"
    COLLECTIONS = ("goals", "commitments")
    NEW_KINDS = ("goal", "commitment")
    EAGER = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "toggle_closed", "Closed", show=False),
        Binding("escape", "leave_filter", "Back to cards", show=False),
        # The card keys act on the current column, whichever of the lists has the focus.
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
        Binding("left", "column(-1)", "Column left", show=False),
        Binding("right", "column(1)", "Column right", show=False),
    ]
    CARD_ACTIONS: ClassVar[set[str]] = {"cursor", "page", "jump", "select", "column"}

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.active: CardList | None = None
        self._lists: dict[tuple[str, str], CardList] = {}
        self._preview: Static | None = None
        self._kinds: Select[str] | None = None
        self._previewed: Card | None = None  # the card the preview shows

    def build(self) -> ComposeResult:
        with Filters(id="filters"):
            yield Select([], prompt="All streams", id="f-stream", compact=True)
            yield Select(KIND_OPTIONS, allow_blank=False, value="both", id="f-kind", compact=True)
            yield Select([], prompt="Anyone", id="f-member", compact=True)
            yield Input(placeholder="/ filter text", id="f-text", compact=True)
        with Lanes(id="lanes"):
            for kind in KINDS:
                with Lane(id=f"lane-{kind}", classes=f"lane {kind}") as lane:
                    lane.border_title = f"{KIND_GLYPH[kind]} {KIND_LABEL[kind]} · {KIND_HINT[kind]}"
                    with Columns(classes="columns"):
                        for column, label in BOARD_COLUMNS:
                            yield CardList(kind, column, label, id=f"cards-{kind}-{column}")
        yield Preview("", id="preview")

    def lists(self) -> Iterable[CardList]:
        """Every column's list, lane by lane (no DOM query: the board asks often)."""
        return [self.list_for(kind, column) for kind in KINDS for column, _ in BOARD_COLUMNS]

    def list_for(self, kind: str, column: str) -> CardList:
        card_list = self._lists.get((kind, column))
        if card_list is None:
            card_list = self.query_one(f"#cards-{kind}-{column}", CardList)
            self._lists[kind, column] = card_list
        return card_list

    @property
    def _kind_select(self) -> Select[str]:
        if self._kinds is None:
            self._kinds = self.query_one("#f-kind", Select)
        return self._kinds

    def visible_lists(self) -> list[CardList]:
        kind = self._kind_select.value
        show_closed = self.has_class("-show-closed")
        return [
            cl
            for cl in self.lists()
            if kind in ("both", cl.kind) and (show_closed or cl.column != "closed")
        ]

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
    # The focus stays on whichever list took it; the current column (``active``) moves on
    # its own. A focus change in Textual restyles widgets and repaints the whole screen,
    # which costs more than a frame; moving the current column repaints two lists.
    @property
    def cards_focused(self) -> bool:
        """Whether the keyboard is on the cards (one of the lists has the focus)."""
        return isinstance(self.screen.focused, CardList)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.CARD_ACTIONS:
            return self.cards_focused and self.active is not None
        return True

    def activate(self, card_list: CardList, focus: bool = True) -> None:
        """Make ``card_list`` the current column; ``focus``: give the cards the keyboard
        (when they do not have it already)."""
        if self.active is not None and self.active is not card_list:
            self.active.show_cursor(False, False)
        self.active = card_list
        if focus and not self.cards_focused:
            card_list.focus()
        card_list.show_cursor(True, focus or self.cards_focused)
        self.selected = card_list.current.id if card_list.current else None
        self.update_preview()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, CardList):  # Tab or a click into a list: it is current
            self.activate(event.widget, focus=False)
            self.selection_changed()
        elif self.active is not None:
            self.active.show_cursor(True, self.cards_focused)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if self.active is not None:
            self.active.show_cursor(True, self.cards_focused)

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
            self.selection_changed()

    def action_cursor(self, delta: int) -> None:
        if self.active is not None:
            self.active.action_cursor(delta)

    def action_page(self, direction: int) -> None:
        if self.active is not None:
            self.active.action_page(direction)

    def action_jump(self, index: int) -> None:
        if self.active is not None:
            self.active.action_jump(index)

    def action_select(self) -> None:
        if self.active is not None:
            self.active.action_select()

    @on(CardList.Clicked)
    def _clicked(self, event: CardList.Clicked) -> None:
        event.stop()
        self.activate(event.card_list)
        event.card_list.cursor = event.index
        if event.chain >= 2:
            event.card_list.action_select()

    @on(CardList.Highlighted)
    def _highlighted(self, event: CardList.Highlighted) -> None:
        event.stop()
        if event.card_list is self.active:
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
        # The preview is two lines whatever it says: a new text needs no new layout.
        preview = self._preview or self.query_one("#preview", Static)
        self._preview = preview
        record = self.records.get(self.selected or "")
        card = self.cards.get(self.selected or "")
        if card is not None and card is self._previewed:
            return  # showing it already (a card is made anew when its record changes)
        self._previewed = None
        if not self.loaded:
            preview.update("Loading the board…", layout=False)
            return
        if not self.records:
            preview.update(
                "Nothing on the board yet: press n to add a goal or a commitment.", layout=False
            )
            return
        if record is None or card is None:
            shown = sum(len(cl.cards) for cl in self.visible_lists())
            preview.update(
                f"{shown} of {len(self.cards)} items shown"
                + (" (filtered)" if self.filter.active else ""),
                layout=False,
            )
            return
        text = preview_text(record, card, self.directory.stream_title(card.stream))
        preview.update(text, layout=False)
        self._previewed = card

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")
        self.call_after_refresh(self._fit_cards)

    def _fit_cards(self) -> None:
        for card_list in self.lists():
            height, width = card_list.size.height - CardList.HEAD, card_list.size.width
            card_list.lines_per_card = 1 if height < 10 else (3 if width < 28 else 2)
