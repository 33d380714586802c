"""CardList: one board column as a virtualised list (Textual's Line API).

Only the lines on screen are rendered, so a column of 10,000 cards costs what a column of
twenty does. Cards are plain data (:class:`Card`), kept in ``sort_key`` order; replacing
them keeps the cursor on the same card when it is still there, and repaints nothing when
nothing changed. A change of a few cards (:meth:`CardList.move_cards`) edits the list in
place: finding a card is a binary search, so it costs the same in a column of any length.

A list is a whole board column: it draws the column's head (its first line: name and
count) and its own scrollbar (Textual's glyphs and colours), instead of a label, a
container and a scrollbar widget around it. Each widget costs render time in every frame
that touches the board, so fewer of them make a status change paint sooner. In a frame
that does not change a list it returns its last lines as they are (:class:`QuickLines`);
one that does renders only its own lines, without Textual's per-line work for borders,
padding and tint (a list has none).

The keys are the board's (:class:`~board.ui.widgets.board_view.BoardView`): it moves its
current column without moving the focus, because in Textual every focus change restyles
widgets and repaints the whole screen, which would cost more than a frame. The focused
list looks a key's binding up itself rather than letting the key bubble through every
container up to the app first.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBarRender
from textual.strip import Strip

from board.ui.cards import Card, card_line
from board.ui.widgets.quick_lines import QuickLines


class CardList(QuickLines, ScrollView, can_focus=True, inherit_bindings=False):
    """A focusable, scrollable list of cards with a cursor (no keys of its own: the
    board's keys move the cursor of its current list)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "cardlist--head",
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

    class Clicked(Message):
        """A click on the card at ``index`` (``chain``: 2 for a double click)."""

        def __init__(self, card_list: CardList, index: int, chain: int) -> None:
            super().__init__()
            self.card_list = card_list
            self.index = index
            self.chain = chain

        @property
        def control(self) -> CardList:
            return self.card_list

    HEAD = 1  # lines the column's head takes at the top

    def __init__(self, kind: str, column: str, label: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id, classes=f"column col-{column}")
        self.kind = kind
        self.column = column
        self.label = label or column
        self.cards: list[Card] = []  # in sort_key order
        self._keys: dict[str, tuple[str, str, str]] = {}  # card id -> its sort_key
        self._cache: dict[tuple[object, ...], Strip] = {}
        self._joined: dict[tuple[int, Segment], tuple[Strip, Strip]] = {}  # card line + bar
        self.done = column in ("done", "closed")
        self.cursor_shown = False  # the board's current column: its cursor is drawn
        self.keys_here = False  # the board has the keyboard: the cursor is drawn bright
        self._frame_styles: dict[str, Style] = {}
        self._frame_bar: list[Segment] | None = None  # this frame's scrollbar, row by row

    # ------------------------------------------------------------------ data
    @property
    def current(self) -> Card | None:
        return self.cards[self.cursor] if 0 <= self.cursor < len(self.cards) else None

    def set_cards(self, cards: list[Card], keep: str | None = None, force: bool = False) -> bool:
        """Show ``cards`` (sorted by ``sort_key``; the list is kept, not copied); the cursor
        stays on ``keep`` (default: the current card) when it is among them. Returns whether
        anything visible changed (``force``: the caller knows it did, skip the comparison)."""
        keep = keep if keep is not None else (self.current.id if self.current else None)
        same = (
            not force
            and len(cards) == len(self.cards)
            and all(a.signature == b.signature for a, b in zip(cards, self.cards))
        )
        old_cursor = self.cursor
        if not same:
            self.cards = cards
            self._keys = {c.id: c.sort_key for c in cards}
            self._changed()
        self._settle_cursor(keep, old_cursor, changed=not same)
        return not same

    def move_cards(
        self, gone: Iterable[Card], arrived: Iterable[Card], keep: str | None = None
    ) -> None:
        """Take the ``gone`` cards out and put the ``arrived`` ones in, in place; the cursor
        stays on ``keep`` (default: the current card), else at the same position."""
        keep = keep if keep is not None else (self.current.id if self.current else None)
        old_cursor = self.cursor
        for card in gone:
            at = self.index_of(card.id)
            if at is not None:
                del self.cards[at]
                del self._keys[card.id]
        for card in arrived:
            insort(self.cards, card, key=_sort_key)
            self._keys[card.id] = card.sort_key
        self._changed()
        self._settle_cursor(keep, old_cursor, changed=True)

    def index_of(self, card_id: str) -> int | None:
        """Where ``card_id`` is in the list (None: not here)."""
        key = self._keys.get(card_id)
        if key is None:
            return None
        at = bisect_left(self.cards, key, key=_sort_key)
        return at if at < len(self.cards) and self.cards[at].id == card_id else None

    def has(self, card_id: str) -> bool:
        return card_id in self._keys

    def _changed(self) -> None:
        if len(self._cache) > 4000:
            self._cache.clear()
        if len(self._joined) > 4000:
            self._joined.clear()
        self._resize()

    def _settle_cursor(self, keep: str | None, old_cursor: int, changed: bool) -> None:
        at = self.index_of(keep) if keep else 0
        target = min(old_cursor, len(self.cards) - 1) if at is None else at
        target = max(0, min(target, len(self.cards) - 1))
        if changed or target != old_cursor:
            self.set_reactive(CardList.cursor, target)
            self._scroll_cursor_into_view()
            self.refresh()
            if self.cursor_shown:  # (the board listens to its current list only)
                self.post_message(self.Highlighted(self, self.current))

    def _resize(self) -> None:
        # The size does not change with the number of cards (the list draws its own
        # scrollbar): no new layout, which would redraw the whole screen.
        self.set_reactive(CardList.virtual_size, Size(0, self._card_lines() + self.HEAD))
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        self.refresh()

    @property
    def allow_vertical_scroll(self) -> bool:
        # Textual's scrollbar is off (``overflow-y: hidden``: the list draws its own, and a
        # hidden scrollbar widget that is refreshed makes Textual re-arrange every widget
        # of every view in the next frame); the wheel still scrolls.
        return not self._check_disabled() and self.max_scroll_y > 0

    def _card_lines(self) -> int:
        return len(self.cards) * self.lines_per_card

    def _list_height(self) -> int:
        """Lines under the head, where the cards show."""
        return max(0, self.size.height - self.HEAD)

    def watch_lines_per_card(self) -> None:
        self._cache.clear()
        self._joined.clear()
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
        # One line more than the card: the head covers the top line of the view.
        region = Region(0, self.cursor * lpc, max(self.size.width, 1), lpc + self.HEAD)
        self.scroll_to_region(region, animate=False, force=True, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor = self.cursor + delta

    def action_page(self, direction: int) -> None:
        self.cursor = self.cursor + direction * max(1, self._list_height() // self.lines_per_card)

    def action_jump(self, index: int) -> None:
        self.cursor = len(self.cards) - 1 if index < 0 else index

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    async def _on_key(self, event: events.Key) -> None:
        # Textual looks a key's binding up once the key has bubbled through every widget
        # around the list up to the app, one message hop each (about a millisecond in
        # all); look it up here, along the same chain (the focused list's ancestors).
        if await self.app._check_bindings(event.key):
            event.stop()
            event.prevent_default()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < self.HEAD:
            return
        row = offset.y - self.HEAD
        if self._bar_shown() and offset.x >= self.size.width - 1:
            # On the scrollbar: jump there, as Textual's scrollbar does.
            span = max(1, self._list_height() - 1)
            self.scroll_to(y=self.max_scroll_y * row / span, animate=False, force=True)
            return
        index = (row + int(self.scroll_y)) // self.lines_per_card
        if 0 <= index < len(self.cards):
            self.post_message(self.Clicked(self, index, event.chain))

    def show_cursor(self, shown: bool, keys_here: bool) -> None:
        """Draw the cursor (``shown``), bright when the board has the keyboard."""
        if (shown, keys_here) != (self.cursor_shown, self.keys_here):
            self.cursor_shown, self.keys_here = shown, keys_here
            self.refresh()

    # ------------------------------------------------------------------ rendering
    def render_changed_lines(self, crop: Region) -> list[Strip]:
        self._frame_bar = None
        if not self._plain_box():
            return super().render_changed_lines(crop)
        # No border, padding, outline, tint or opacity: the widget's lines are its content
        # lines through the app's line filters, which is what Textual's styles cache would
        # make of them, less its work per line (a third of a list's cost in a frame).
        width, bar = self.size.width, self._bar_shown()
        filters = self.get_line_filters()
        background = self.background_colors[1]
        lines = []
        for y in crop.line_range:
            strip = self._line(y, width, bar)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            lines.append(strip)
        self._styles_cache._dirty_lines.difference_update(crop.line_range)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            lines = [strip.crop(x1, x2) for strip in lines]
        return lines

    def _plain_box(self) -> bool:
        styles = self.styles
        return (
            not any(styles.gutter)
            and not any(edge for edge, _ in styles.outline)
            and not styles.tint.a
            and styles.text_opacity == 1
            and not styles.has_rule("hatch")
            and self.opacity == 1
        )

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._frame_styles = {}  # restyled (a new theme, say): look the styles up again

    def _style(self, component: str = "") -> Style:
        """The widget's style (``component`` empty) or a component class's. Looked up once
        until the widget is restyled, not once per line: each lookup walks the DOM (a line
        of a card costs less than its styles would)."""
        style = self._frame_styles.get(component)
        if style is None:
            style = self.get_component_rich_style(component) if component else self.rich_style
            self._frame_styles[component] = style
        return style

    def render_line(self, y: int) -> Strip:
        return self._line(y, self.size.width, self._bar_shown())

    def _line(self, y: int, width: int, bar: bool) -> Strip:
        if y < self.HEAD:
            return self._head_line(width)
        row = y - self.HEAD
        if not bar:
            return self._card_line(row, width)
        # The same strip for the same card line next to the same piece of scrollbar: a
        # strip keeps what the line filters made of it, so they run once per line.
        card, segment = self._card_line(row, width - 1), self._bar_segment(row)
        joined = self._joined.get((id(card), segment))
        if joined is None or joined[0] is not card:
            joined = (card, Strip.join([card, Strip([segment], 1)]))
            self._joined[id(card), segment] = joined
        return joined[1]

    def _head_line(self, width: int) -> Strip:
        style = self._style() + self._style("cardlist--head")
        text = f"{self.label} {len(self.cards)}"[: max(width - 2, 0)]
        key = ("head", text, width, style)
        strip = self._cache.get(key)
        if strip is None:
            blank = Style(bgcolor=style.bgcolor)  # padding: as a label with ``padding: 0 1``
            segments = [Segment(" ", blank), Segment(text, style)]
            segments.append(Segment(" " * max(width - 1 - len(text), 0), blank))
            strip = self._cache[key] = Strip(segments, width).crop(0, width)
        return strip

    def _bar_shown(self) -> bool:
        return self._card_lines() > self._list_height() > 0

    def _bar_segment(self, row: int) -> Segment:
        """Row ``row`` of the scrollbar: Textual's scrollbar glyphs, in its colours."""
        bar = self._frame_bar
        if bar is None:
            styles = self.styles
            background = styles.scrollbar_background
            if background.a < 1:
                background = self.background_colors[0] + background
            color = background + styles.scrollbar_color
            height = self._list_height()
            segments = ScrollBarRender.render_bar(
                size=height,
                virtual_size=self._card_lines(),
                window_size=height,
                position=self.scroll_y,
                vertical=True,
                back_color=background.rich_color,
                bar_color=color.rich_color,
            ).segments
            base = self._style()
            bar = [Segment(s.text, base + s.style if s.style else base) for s in segments]
            self._frame_bar = bar
        return bar[row] if row < len(bar) else Segment(" ", self._style())

    def _card_line(self, row: int, width: int) -> Strip:
        lpc = self.lines_per_card
        index, sub = divmod(int(self.scroll_y) + row, lpc)
        base = self._style()
        if index >= len(self.cards):
            empty = not self.cards and row == 0
            blank_key = ("empty" if empty else "blank", width, base)
            strip = self._cache.get(blank_key)
            if strip is None:
                strip = Strip.blank(width, base)
                if empty:
                    style = base + self._style("cardlist--empty")
                    strip = Strip([Segment(" —".ljust(width)[:width], style)], width)
                self._cache[blank_key] = strip
            return strip
        card = self.cards[index]
        if index == self.cursor and self.cursor_shown:
            highlight = "cardlist--cursor" if self.keys_here else "cardlist--cursor-blur"
        else:
            highlight = ""
        key = (card.signature, width, lpc, sub, highlight, self.app.theme)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_card_line(card, sub, width, highlight)
            self._cache[key] = strip
        return strip

    def _render_card_line(self, card: Card, sub: int, width: int, highlight: str) -> Strip:
        style: Style = self._style()
        if highlight:
            style = style + self._style(highlight)
        segments = card_line(
            card, sub, width, self.lines_per_card, self.done, style, self._style, self.app.console
        )
        return Strip(segments, width).crop(0, width)


def _sort_key(card: Card) -> tuple[str, str, str]:
    return card.sort_key
