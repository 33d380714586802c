"""What every main view shares: live updates (only when shown), and its selected item."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.containers import Vertical
from textual.widgets import DataTable, Select

from board.ui.app_part import AppPart
from board.ui.messages import BoardDelta

if TYPE_CHECKING:
    from board.ui.directory import Directory


class View(AppPart, Vertical):
    """A main view. Subclasses implement ``build`` (their widgets), ``reload`` (and
    ``relevant`` to ignore changes that cannot affect them). A view builds its widgets the
    first time it is shown, so opening the app costs one view, not six; a hidden view only
    remembers that it is stale."""

    TITLE: ClassVar[str] = ""
    COLLECTIONS: ClassVar[tuple[str, ...]] = ()
    NEW_KINDS: ClassVar[tuple[str, ...]] = ("goal", "commitment", "agreement")
    EAGER: ClassVar[bool] = False  # build at mount instead of when first shown

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stale = True
        self.shown = False
        self.built = self.EAGER
        self.ready = False  # built and mounted: safe to query
        self._focus_when_ready = False

    @property
    def directory(self) -> Directory:
        return self.tb.directory

    def member_options(self) -> list[tuple[str, str]]:
        """(label, member id) of every member, for a person picker."""
        d = self.directory
        return [(m.name + (" (me)" if m.id == d.me else ""), m.id) for m in d.members]

    def pick_quietly(self, select: Select[str], options: list[tuple[str, str]], value: str) -> None:
        """Give ``select`` these options (only when they changed: setting them redraws it)
        and select ``value`` without announcing it as the user's choice."""
        if getattr(select, "_tb_options", None) != options:
            select.set_options(options)
            select._tb_options = options  # type: ignore[attr-defined]
        if select.value != value and value in [v for _, v in options]:
            with self.prevent(Select.Changed):
                select.value = value

    def compose(self) -> ComposeResult:
        if self.built:
            yield from self.build()

    def build(self) -> ComposeResult:
        """The view's widgets."""
        yield from ()

    def on_mount(self) -> None:
        # immediate: the shown view starts its reload while the app handles the change,
        # not one message-queue round later (a status change is to paint within a frame)
        self.tb.board_changed.subscribe(self, self._board_changed, immediate=True)
        if self.built:
            self.ready = True
            if self.shown and self.stale:
                self.stale = False
                self.reload(None)

    async def _build(self) -> None:
        self.built = True
        await self.recompose()
        self.ready = True
        if self.shown:
            self.stale = False
            self.reload(None)
            if self._focus_when_ready:
                self._focus_when_ready = False
                self.focus_main()

    def relevant(self, delta: BoardDelta) -> bool:
        return delta.touches(*self.COLLECTIONS) or delta.touches("members", "streams")

    def _board_changed(self, delta: BoardDelta) -> None:
        if not self.relevant(delta):
            return
        if self.shown and self.ready:
            self.reload(delta)
        else:
            self.stale = True

    def show(self) -> None:
        """The view became visible: build it, or catch up if something changed meanwhile."""
        self.shown = True
        if not self.built:
            self.built = True
            self.call_later(self._build)
        elif self.ready and self.stale:
            self.stale = False
            self.reload(None)

    def hide(self) -> None:
        self.shown = False

    def reload(self, delta: BoardDelta | None) -> None:
        """Fetch and show fresh data (``delta`` None: everything)."""

    def commands(self) -> Iterable[SystemCommand]:
        """The view's own entries in the command palette (shown whichever view is active)."""
        return ()

    def selected_id(self) -> str | None:
        """The item the item actions (open, edit, status, check in…) apply to."""
        return None

    def selected_type(self) -> str | None:
        """The type of ``selected_id()`` (goal, commitment, agreement, stream…)."""
        return None

    def selection_changed(self) -> None:
        """Tell the screen the selection moved (its key hints may change)."""
        update = getattr(self.screen, "update_key_hints", None)
        if callable(update):
            update()

    def focus_view(self) -> None:
        """Focus the view's main widget (once it exists)."""
        if self.ready:
            self.focus_main()
        else:
            self._focus_when_ready = True

    def focus_main(self) -> None:
        """Focus the view's main widget (default: the first one that takes focus)."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return


Row = tuple[str, Sequence[object]]


class ItemTable(DataTable[Any]):
    """A DataTable of records keyed by id that updates in place: unchanged rows stay,
    changed cells are rewritten, and the cursor stays on the same record."""

    MORE = "__more__"  # the key of the "… and N more" row

    def __init__(
        self, columns: Iterable[tuple[str, int | None]], limit: int = 500, **kwargs: Any
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._columns = list(columns)
        self._shown: list[Row] = []
        self.limit = limit  # rows beyond this are summed up in one line: a table is an overview

    def on_mount(self) -> None:
        for label, width in self._columns:
            self.add_column(label, width=width, key=label)

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        key = str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        return None if key == self.MORE else key

    def show_rows(self, rows: list[Row]) -> None:
        if len(rows) > self.limit:
            more = len(rows) - self.limit
            filler: list[object] = [cell("")] * len(self._columns)
            filler[min(1, len(filler) - 1)] = cell(f"… and {more:,} more", "italic")
            rows = [*rows[: self.limit], (self.MORE, filler)]
        keep = self.selected_key
        old_keys = [k for k, _ in self._shown]
        new_keys = [k for k, _ in rows]
        if old_keys == new_keys:
            labels = [label for label, _ in self._columns]
            for (key, cells), (_, old) in zip(rows, self._shown, strict=True):
                for label, new_cell, old_cell in zip(labels, cells, old, strict=False):
                    if _plain(new_cell) != _plain(old_cell):
                        self.update_cell(key, label, new_cell)
            self._shown = rows
            return
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self._shown = rows
        if keep is not None and keep in new_keys:
            self.move_cursor(row=new_keys.index(keep), animate=False)


def _plain(cell: object) -> object:
    if isinstance(cell, Text):
        return (cell.plain, str(cell.style), tuple(str(s.style) for s in cell.spans))
    return cell


def cell(value: object, style: str = "") -> Text:
    """A table cell that is never read as markup (titles may contain brackets)."""
    return Text(str(value), style=style, no_wrap=True, overflow="ellipsis")
