"""NetworkCanvas: a value-network drawing (:class:`board.network_layout.Drawing`) on a
scrollable virtual canvas, with a cursor that moves from node to node.

Textual's Line API renders only the lines on screen, so a drawing of thousands of lines
costs what a screenful does, and there is one widget however many nodes there are. The
marks of each line give its colours (routine and change streams, people, roles, parties)
and the places the cursor can stop at; every other place the node under the cursor is
drawn is underlined, so one person can be followed through the whole picture.
"""

from __future__ import annotations

import bisect
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from board.network_canvas import Drawing, Spot

STYLES = (
    "routine",
    "change",
    "outside",
    "member",
    "role",
    "external",
    "center",
    "heading",
    "label",
    "dim",
    "hint",
    "edge",
    "commitment",
    "agreement",
)


class NetworkCanvas(ScrollView, can_focus=True):
    """A focusable drawing; arrows, tab and shift+tab move between the nodes it names."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"network--{name}" for name in STYLES),
        "network--cursor",
        "network--cursor-blur",
        "network--same",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "vertical(1)", "Down", show=False),
        Binding("up,k", "vertical(-1)", "Up", show=False),
        Binding("right,tab", "step(1)", "Next node", show=False),
        Binding("left,shift+tab", "step(-1)", "Previous node", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]

    class Moved(Message):
        """The cursor is on another node (``target`` "" when there is none)."""

        def __init__(self, target: str) -> None:
            super().__init__()
            self.target = target

    class Chosen(Message):
        """Enter (or a double click) on a node."""

        def __init__(self, target: str) -> None:
            super().__init__()
            self.target = target

    class Resized(Message):
        """The canvas is ``width`` columns wide now (without its scroll bar)."""

        def __init__(self, width: int) -> None:
            super().__init__()
            self.width = width

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.drawing = Drawing([], 0)
        self.cursor = -1  # index into drawing.spots
        self._spot_lines: list[int] = []
        self._column: int | None = None  # kept while moving up and down
        self._styles: dict[str, Style] = {}
        self._styles_theme = ""

    # ------------------------------------------------------------------ data
    @property
    def spot(self) -> Spot | None:
        spots = self.drawing.spots
        return spots[self.cursor] if 0 <= self.cursor < len(spots) else None

    @property
    def target(self) -> str:
        spot = self.spot
        return spot.target if spot else ""

    def show(self, drawing: Drawing, keep: str = "") -> None:
        """Show ``drawing``; the cursor goes to where ``keep`` is drawn first (else to the
        same place as before, else to the first node)."""
        old_line = self.spot.line if self.spot else 0
        self.drawing = drawing
        spots = drawing.spots
        self._spot_lines = [s.line for s in spots]
        self.virtual_size = Size(drawing.width, len(drawing.lines))
        found = next((i for i, s in enumerate(spots) if s.target == keep), -1) if keep else -1
        if found < 0 and spots:
            found = min(bisect.bisect_left(self._spot_lines, old_line), len(spots) - 1)
        self._column = None
        self._move(found, force=True)

    def locate(self, target: str) -> bool:
        """Put the cursor on the first place ``target`` is drawn; False when it is not."""
        found = next((i for i, s in enumerate(self.drawing.spots) if s.target == target), -1)
        if found >= 0:
            self._column = None
            self._move(found)
        return found >= 0

    def _move(self, index: int, scroll: bool = True, force: bool = False) -> None:
        changed = index != self.cursor
        self.cursor = index
        if scroll:
            self._scroll_cursor_into_view()
        self.refresh()
        if changed or force:
            self.post_message(self.Moved(self.target))

    def _scroll_cursor_into_view(self) -> None:
        spot = self.spot
        if spot is None or not self.size.height:
            return
        region = Region(spot.start, spot.line, max(spot.end - spot.start, 1), 1)
        self.scroll_to_region(region, animate=False, force=True, immediate=True)

    # ------------------------------------------------------------------ moving
    def action_step(self, step: int) -> None:
        spots = self.drawing.spots
        if spots:
            self._column = None
            self._move(max(0, min(self.cursor + step, len(spots) - 1)))

    def action_vertical(self, step: int) -> None:
        spot = self.spot
        if spot is None:
            return
        # the nearest line above/below that names something
        if step > 0:
            i = bisect.bisect_right(self._spot_lines, spot.line)
            line = self._spot_lines[i] if i < len(self._spot_lines) else None
        else:
            i = bisect.bisect_left(self._spot_lines, spot.line)
            line = self._spot_lines[i - 1] if i > 0 else None
        if line is not None:
            self._to_line(line)

    def action_page(self, direction: int) -> None:
        spot = self.spot
        if spot is None:
            return
        wanted = spot.line + direction * max(1, self.size.height - 1)
        i = bisect.bisect_left(self._spot_lines, wanted)
        if direction > 0:
            line = self._spot_lines[min(i, len(self._spot_lines) - 1)]
        else:
            line = self._spot_lines[max(0, min(i, len(self._spot_lines) - 1))]
            if line > wanted and i > 0:
                line = self._spot_lines[i - 1]
        self._to_line(line)

    def _to_line(self, line: int) -> None:
        """To the node on ``line`` nearest the column the cursor keeps while going up/down."""
        spot = self.spot
        column = self._column if self._column is not None else (spot.start if spot else 0)
        first = bisect.bisect_left(self._spot_lines, line)
        last = bisect.bisect_right(self._spot_lines, line)
        spots = self.drawing.spots
        best = min(range(first, last), key=lambda i: _distance(spots[i], column))
        self._move(best)
        self._column = column

    def action_jump(self, index: int) -> None:
        spots = self.drawing.spots
        if spots:
            self._column = None
            self._move(len(spots) - 1 if index < 0 else index)

    def action_choose(self) -> None:
        if self.target:
            self.post_message(self.Chosen(self.target))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        line, column = offset.y + int(self.scroll_y), offset.x + int(self.scroll_x)
        first = bisect.bisect_left(self._spot_lines, line)
        last = bisect.bisect_right(self._spot_lines, line)
        spots = self.drawing.spots
        hit = next((i for i in range(first, last) if spots[i].start <= column < spots[i].end), -1)
        if hit >= 0:
            self.focus()
            self._column = None
            self._move(hit, scroll=False)
            if event.chain >= 2:
                self.action_choose()

    def on_resize(self) -> None:
        self.post_message(self.Resized(self.scrollable_content_region.width))
        self._scroll_cursor_into_view()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ rendering
    def style_of(self, name: str) -> Style:
        theme = self.app.theme
        if theme != self._styles_theme:
            self._styles = {}
            self._styles_theme = theme
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"network--{name}")
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_y) + y
        base = self.rich_style
        if index >= len(self.drawing.lines):
            return Strip.blank(width, base)
        line = self.drawing.lines[index]
        spot = self.spot
        target = spot.target if spot else ""
        segments: list[Segment] = []
        at = 0
        for mark in line.marks:
            if mark.start > at:
                segments.append(Segment(line.text[at : mark.start], base))
            style = base + self.style_of(mark.style) if mark.style else base
            if mark.target and target == mark.target:
                if spot is not None and spot.line == index and spot.start == mark.start:
                    focus = "cursor" if self.has_focus else "cursor-blur"
                    style += self.style_of(focus)
                else:
                    style += self.style_of("same")
            segments.append(Segment(line.text[mark.start : mark.end], style))
            at = mark.end
        if at < len(line.text):
            segments.append(Segment(line.text[at:], base))
        scroll_x = int(self.scroll_x)
        return Strip(segments, len(line.text)).crop_extend(scroll_x, scroll_x + width, base)


def _distance(spot: Spot, column: int) -> int:
    if spot.start <= column < spot.end:
        return 0
    return min(abs(spot.start - column), abs(spot.end - 1 - column))
