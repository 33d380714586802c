"""CardList: one board column as a virtualised list (Textual's Line API).

Only the lines on screen are rendered, so a column of 10,000 cards costs what a column of
twenty does. Cards are plain data (:class:`Card`); replacing them keeps the cursor on the
same card when it is still there, and repaints nothing when nothing changed.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from board.ui.cards import Card
from board.ui.text import KIND_GLYPH


class CardList(ScrollView, can_focus=True):
    """A focusable, scrollable list of cards with a cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "cardlist--cursor",
        "cardlist--cursor-blur",
        "cardlist--routine",
        "cardlist--change",
        "cardlist--goal",
        "cardlist--meta",
        "cardlist--warn",
        "cardlist--done",
        "cardlist--empty",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
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

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    lines_per_card: reactive[int] = reactive(1, init=False)

    class CardMessage(Message):
        def __init__(self, card_list: CardList, card: Card | None) -> None:
            super().__init__()
            self.card_list = card_list
            self.card = card

        @property
        def control(self) -> CardList:
            return self.card_list

    class Highlighted(CardMessage):
        """The cursor moved to a card (or the list's cards changed)."""

    class Selected(CardMessage):
        """Enter or a double click on a card."""

    class MoveColumn(Message):
        """Left / right: the board moves the cursor to the next column."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self, kind: str, column: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = kind
        self.column = column
        self.cards: list[Card] = []
        self._index: dict[str, int] = {}
        self._cache: dict[tuple[object, ...], Strip] = {}
        self.done = column in ("done", "closed")

    # ------------------------------------------------------------------ data
    @property
    def current(self) -> Card | None:
        return self.cards[self.cursor] if 0 <= self.cursor < len(self.cards) else None

    def set_cards(self, cards: list[Card], keep: str | None = None, force: bool = False) -> bool:
        """Show ``cards``; the cursor stays on ``keep`` (default: the current card) when it
        is among them. Returns whether anything visible changed (``force``: the caller
        knows it did, skip the comparison)."""
        keep = keep if keep is not None else (self.current.id if self.current else None)
        same = (
            not force
            and len(cards) == len(self.cards)
            and all(a.signature == b.signature for a, b in zip(cards, self.cards))
        )
        old_cursor = self.cursor
        if not same:
            self.cards = cards
            self._index = {c.id: i for i, c in enumerate(cards)}
            if len(self._cache) > 4000:
                self._cache.clear()
            self._resize()
        target = self._index.get(keep, min(old_cursor, max(len(cards) - 1, 0))) if keep else 0
        target = max(0, min(target, len(cards) - 1))
        if not same or target != old_cursor:
            self.set_reactive(CardList.cursor, target)
            self._scroll_cursor_into_view()
            self.refresh()
            self.post_message(self.Highlighted(self, self.current))
        return not same

    def has(self, card_id: str) -> bool:
        return card_id in self._index

    def _resize(self) -> None:
        self.virtual_size = Size(0, len(self.cards) * self.lines_per_card)

    def watch_lines_per_card(self) -> None:
        self._cache.clear()
        self._resize()
        self._scroll_cursor_into_view()
        self.refresh()

    def on_resize(self) -> None:
        self._resize()
        self._scroll_cursor_into_view()

    # ------------------------------------------------------------------ cursor
    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.cards) - 1))

    def _scroll_cursor_into_view(self) -> None:
        if not self.cards or not self.size.height:
            return
        lpc = self.lines_per_card
        region = Region(0, self.cursor * lpc, max(self.size.width, 1), lpc)
        self.scroll_to_region(region, animate=False, force=True, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor = self.cursor + delta

    def action_page(self, direction: int) -> None:
        self.cursor = self.cursor + direction * max(1, self.size.height // self.lines_per_card)

    def action_jump(self, index: int) -> None:
        self.cursor = len(self.cards) - 1 if index < 0 else index

    def action_column(self, step: int) -> None:
        self.post_message(self.MoveColumn(step))

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = (offset.y + int(self.scroll_y)) // self.lines_per_card
        if 0 <= index < len(self.cards):
            self.focus()
            self.cursor = index
            if event.chain >= 2:
                self.action_select()

    def on_focus(self) -> None:
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ rendering
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        lpc = self.lines_per_card
        index, sub = divmod(int(self.scroll_y) + y, lpc)
        base = self.rich_style
        if index >= len(self.cards):
            if not self.cards and y == 0:
                empty = self.get_component_rich_style("cardlist--empty")
                return Strip([Segment(" —".ljust(width)[:width], base + empty)], width)
            return Strip.blank(width, base)
        card = self.cards[index]
        if index == self.cursor and self.has_class("-active"):
            highlight = "cardlist--cursor" if self.has_focus else "cardlist--cursor-blur"
        else:
            highlight = ""
        key = (card.signature, width, lpc, sub, highlight, self.app.theme)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_card_line(card, sub, width, highlight)
            self._cache[key] = strip
        return strip

    def _render_card_line(self, card: Card, sub: int, width: int, highlight: str) -> Strip:
        style: Style = self.rich_style
        if highlight:
            style = style + self.get_component_rich_style(highlight)
        kind_style = self.get_component_rich_style(f"cardlist--{card.kind}")
        lpc = self.lines_per_card
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        title_style = Style()
        if card.type == "goal":
            title_style += self.get_component_rich_style("cardlist--goal")
        if self.done:
            title_style += self.get_component_rich_style("cardlist--done")
        warn = self.get_component_rich_style("cardlist--warn")
        meta_line = lpc >= 2 and sub == lpc - 1
        if meta_line:
            text.append("  ")
            text.append(card.meta, self.get_component_rich_style("cardlist--meta"))
        else:
            title = card.title
            if lpc >= 3:  # the title gets the first lpc-1 lines, wrapped
                title = _wrapped(card.title, width - 2, lpc - 1)[sub]
            if sub == 0:
                text.append(KIND_GLYPH.get(card.kind, "·"), kind_style)
                text.append("!" if card.warn else " ", warn)
            else:
                text.append("  ")
            text.append(title, title_style)
        text.truncate(width, overflow="ellipsis", pad=True)
        segments = [
            Segment(s.text, style + s.style if s.style else style)
            for s in text.render(self.app.console)
        ]
        return Strip(segments, width).crop(0, width)


def _wrapped(title: str, width: int, lines: int) -> list[str]:
    """``title`` over ``lines`` lines of ``width`` at word boundaries, the last one
    ellipsised; always ``lines`` entries."""
    width = max(width, 4)
    words, out, current = title.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            out.append(current)
            current = word
    out.append(current)
    if len(out) > lines:
        rest = " ".join(out[lines - 1 :])
        out = out[: lines - 1] + [rest if len(rest) <= width else rest[: width - 1] + "…"]
    return out + [""] * (lines - len(out))
