"""QuickLines: widgets that cost next to nothing in a frame that does not change them.

Textual renders every widget whose clip overlaps the screen area being updated, in every
frame: a status change that repaints two board columns and the preview also asks the
other columns, the lanes and their containers for their lines. Each such widget answers
from its line cache, but only after working out its colours, regions and styles again
(walking its ancestors), which adds up to more than the changed lines cost.

A widget with this mixin keeps the lines it returned last and returns them as they are
while Textual has not marked any of its lines dirty (every refresh, restyle, resize or
theme change does) and the frame asks for the same area, at the same size, through the
same line filters (``NO_COLOR``, ANSI colours): the same condition under which Textual
itself reuses its cached lines, without the per-frame set-up around them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.geometry import Region, Size
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.filter import LineFilter
    from textual.widget import Widget

    _Base = Widget
else:
    _Base = object

_Key = tuple[Region, Size, tuple["LineFilter", ...]]


class QuickLines(_Base):
    """Mix in before a Textual widget class: ``class Lane(QuickLines, Vertical)``."""

    _quick: tuple[_Key, list[Strip]] | None = None  # the last lines returned, and for what

    def render_lines(self, crop: Region) -> list[Strip]:
        key = (crop, self.size, tuple(self.get_line_filters()))
        quick = self._quick
        if quick is not None and quick[0] == key and not self._styles_cache._dirty_lines:
            return quick[1]
        lines = self.render_changed_lines(crop)
        self._quick = (key, lines)
        return lines

    def render_changed_lines(self, crop: Region) -> list[Strip]:
        """Textual's own rendering (override to do work only when lines changed)."""
        return super().render_lines(crop)
