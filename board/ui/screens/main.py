"""The main screen: the nine views as tabs (keys 1–9), item actions, and the palette commands."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from board.ui.messages import OpenItem, ShowPerson
from board.ui.screens.actions import ITEM_BINDINGS, ItemActions
from board.ui.widgets.activity_view import ActivityView
from board.ui.widgets.agreements_view import AgreementsView
from board.ui.widgets.board_view import BoardView
from board.ui.widgets.me_view import MeView
from board.ui.widgets.members_view import MembersView
from board.ui.widgets.network_view import NetworkView
from board.ui.widgets.peers_view import PeersView
from board.ui.widgets.reviews_view import ReviewsView
from board.ui.widgets.streams_view import StreamsView
from board.ui.widgets.view import View

VIEWS: list[tuple[str, type[View]]] = [
    ("board", BoardView),
    ("agreements", AgreementsView),
    ("me", MeView),
    ("streams", StreamsView),
    ("activity", ActivityView),
    ("members", MembersView),
    ("peers", PeersView),
    ("reviews", ReviewsView),
    ("network", NetworkView),
]


# Columns the tab bar needs for "1 Board  2 Agreements ..." (each tab is padded by one
# column on either side).
TABS_WITH_NUMBERS = sum(len(f"{i + 1} {cls.TITLE}") + 2 for i, (_, cls) in enumerate(VIEWS))


class ViewTabs(TabbedContent):
    """TabbedContent that follows focus into a pane only while that focus still holds.

    A widget focused just before the user switched views sends its pane's "focused" message
    late; acting on it would yank the user back to the view they just left."""

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        if focused is None or event.tab_pane not in focused.ancestors:
            event.stop()
            event.prevent_default()  # skip TabbedContent's own handler


class MainScreen(ItemActions, Screen[None]):
    """Header, the views as tabs, footer with the keys that apply right now."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *[
            Binding(str(i + 1), f"show_view('{key}')", cls.TITLE, show=False)
            for i, (key, cls) in enumerate(VIEWS)
        ],
        Binding("n", "new", "New"),
        *ITEM_BINDINGS,
        Binding("slash", "filter", "Filter", key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._hints_state: tuple[object, ...] = ()
        self._footer_keys: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with ViewTabs(initial="board"):
            for i, (key, cls) in enumerate(VIEWS):
                with TabPane(f"{i + 1} {cls.TITLE}", id=key):
                    yield cls(id=f"view-{key}")
        yield Footer()

    def on_mount(self) -> None:
        self.view("board").show()

    def on_resize(self) -> None:
        """Every tab stays in sight: where the numbered labels do not fit (80 columns), the
        tabs show the titles alone (the number keys still work, and ``?`` lists them)."""
        numbered = self.size.width >= TABS_WITH_NUMBERS
        tabs = self.query_one(TabbedContent)
        for i, (key, cls) in enumerate(VIEWS):
            label = f"{i + 1} {cls.TITLE}" if numbered else cls.TITLE
            tab = tabs.get_tab(key)
            if tab.label_text != label:
                tab.label = label

    def view(self, key: str) -> View:
        return self.query_one(f"#view-{key}", View)

    @property
    def current(self) -> View:
        active = self.query_one(TabbedContent).active or "board"
        return self.view(active)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        active = event.pane.id or "board"
        for key, _ in VIEWS:
            if key != active:
                self.view(key).hide()
        view = self.view(active)
        view.show()
        self.call_after_refresh(self._focus_view, active)
        self.update_key_hints()

    def update_key_hints(self) -> None:
        """Refresh the footer only when what the item keys can do changed (a footer
        refresh rebuilds it: too slow to do on every cursor move)."""
        state = (
            self.query_one(TabbedContent).active,
            self.current_item() is None,
            self.current_type(),
        )
        if state != self._hints_state:
            self._hints_state = state
            self.refresh_bindings()

    def refresh_bindings(self) -> None:
        """Tell the footer only when the keys it shows changed: it rebuilds its widgets on
        every call (tens of milliseconds), and Textual calls this on every focus move, most
        of which change nothing in the footer."""
        if not self.app.app_focus:  # the footer ignores this call: ask again later
            self._footer_keys = None
            super().refresh_bindings()
            return
        shown = tuple(
            (key, b.action, b.description, b.key_display, enabled, tooltip)
            for key, (_, b, enabled, tooltip) in self.active_bindings.items()
            if b.show
        )
        if shown != self._footer_keys:
            self._footer_keys = shown
            super().refresh_bindings()

    def _focus_view(self, key: str) -> None:
        # Only if that view is still the one shown: focusing a widget in a hidden pane makes
        # TabbedContent switch back to it, and quick key presses would ping-pong forever.
        if self.query_one(TabbedContent).active == key:
            self.view(key).focus_view()

    def action_show_view(self, key: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != key:
            # Drop focus first: a focused widget in the pane being hidden would hand focus
            # to a neighbour in that pane, and TabbedContent follows focus back to it.
            self.set_focus(None)
            tabs.active = key

    def action_filter(self) -> None:
        self.action_show_view("board")
        board = self.view("board")
        assert isinstance(board, BoardView)
        self.call_after_refresh(self._focus_filter)

    def _focus_filter(self) -> None:
        board = self.view("board")
        if isinstance(board, BoardView) and self.query_one(TabbedContent).active == "board":
            board.focus_filter()

    def on_open_item(self, message: OpenItem) -> None:
        from board.ui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(message.item_id))

    def on_show_person(self, message: ShowPerson) -> None:
        me = self.view("me")
        assert isinstance(me, MeView)
        me.show_person(message.member_id)
        if self.query_one(TabbedContent).active == "me":
            me.show()
        self.action_show_view("me")

    # ------------------------------------------------------------------ ItemActions
    def current_item(self) -> str | None:
        view = self.current
        return view.selected_id() if view.ready else None

    def current_type(self) -> str | None:
        view = self.current
        return view.selected_type() if view.ready else None

    def new_kinds(self) -> tuple[str, ...]:
        return self.current.NEW_KINDS

    def _created(self, item_id: str | None) -> None:
        super()._created(item_id)
        board = self.view("board")
        if item_id and isinstance(board, BoardView):
            board.select_card(item_id)

    def action_new(self, kind: str = "") -> None:
        kinds = self.new_kinds()
        super().action_new(kind or (kinds[0] if len(kinds) == 1 else ""))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.item_action_allowed(action)

    def commands(self) -> Iterator[SystemCommand]:
        """The command palette's entries for this screen (every action has one)."""
        for i, (key, cls) in enumerate(VIEWS):
            yield SystemCommand(
                f"Show {cls.TITLE}",
                f"Switch to the {cls.TITLE} view ({i + 1})",
                lambda k=key: self.action_show_view(k),
            )
        yield from self.item_commands()
        for key, _ in VIEWS:
            yield from self.view(key).commands()
        yield SystemCommand(
            "Invite a teammate",
            "Show a one-time code a newcomer joins with (i in Members)",
            self.action_invite,
        )
        yield SystemCommand(
            "Filter the board", "Type to filter goals and commitments (/)", self.action_filter
        )
        yield SystemCommand(
            "Clear filters", "Show every goal and commitment again", self._clear_filters
        )
        yield SystemCommand(
            "Show / hide closed items",
            "Declined, dropped… in a Closed column (h)",
            self._toggle_closed,
        )

    def action_invite(self) -> None:
        from board.ui.screens.invite import InviteScreen

        self.action_show_view("members")
        self.app.push_screen(InviteScreen())

    def _clear_filters(self) -> None:
        board = self.view("board")
        assert isinstance(board, BoardView)
        board.clear_filter()
        self.action_show_view("board")

    def _toggle_closed(self) -> None:
        board = self.view("board")
        assert isinstance(board, BoardView)
        board.action_toggle_closed()
        self.action_show_view("board")
