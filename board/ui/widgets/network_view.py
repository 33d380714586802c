"""The Network view: the organization as a value network, in three modes.

- **Network** (w): the whole network drawn with box-drawing characters — each stream a hub
  with its suppliers, customers, partners, people and roles (the layout
  ``teamboard network`` prints); commitments are clustered, a few per person.
- **My network** (m): the same picture of one person's part (default: me), widened one hop
  per degree with + and −; p picks anyone, f follows the person under the cursor.
- **Home base** (b): who holds which role in which stream.

Arrows, tab and shift+tab move between the nodes; enter opens a stream, role, commitment or
agreement, or shows a person's Me view. Health hints sit beside the map (below it on
narrow screens, i hides them). The graph is built and laid out in thread workers; the
canvas renders only the lines on screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, VerticalScroll
from textual.widgets import Select, Static

from board.model import BoardError, NotFound, Role
from board.network import Hint, Network, build_network, member_key
from board.network_canvas import Drawing
from board.network_home import draw_home_base
from board.network_layout import MIN_WIDTH, draw_network
from board.service import BoardService
from board.ui.messages import BoardDelta, OpenItem, ShowPerson
from board.ui.widgets.network_canvas import NetworkCanvas
from board.ui.widgets.network_info import describe
from board.ui.widgets.view import View

MODES = {"network": ("w", "Network"), "mine": ("m", "My network"), "home": ("b", "Home base")}
PER_MAKER = 3  # commitments shown per person in the whole network (then "… and N more")
MAX_DEPTH = 10
WIDE = 120  # from this many columns the hints get a side panel
SIDE_PANEL = 44  # its width (app.tcss)
ITEM_TYPES = {"s": "stream", "r": "role", "c": "commitment", "a": "agreement"}


@dataclass
class NetworkData:
    network: Network
    duties: dict[str, list[str]]  # role id -> accountabilities


class State(NamedTuple):
    mode: str
    person: str
    depth: int
    width: int
    me: str


@dataclass
class Picture:
    drawing: Drawing
    hints: list[Hint]
    person: str  # whose network (My network), else ""
    state: State


class NetworkView(View):
    TITLE = "Network"
    COLLECTIONS = ("streams", "roles", "commitments", "agreements", "members")
    BINDINGS: ClassVar[list[BindingType]] = [
        # the mode keys are on the view's own bar: the footer keeps room for the item keys
        Binding("w", "mode('network')", "Network", show=False),
        Binding("m", "mode('mine')", "My network", show=False),
        Binding("b", "mode('home')", "Home base", show=False),
        Binding("plus,equals_sign", "degree(1)", "Wider", key_display="+"),
        Binding("minus", "degree(-1)", "Narrower", key_display="−"),
        Binding("p", "pick", "Person"),
        Binding("f", "follow", "Their network", show=False),
        Binding("i", "toggle_hints", "Hints", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.mode = "network"
        self.person = ""  # whose My network ("" until the directory is known: me)
        self.depth = 1
        self.data: NetworkData | None = None
        self.picture: Picture | None = None
        self._generation = 0
        self._keep = ""

    def build(self) -> ComposeResult:
        # side panel or not before the first layout, so that one is at the right width
        self.set_class(self.app.size.width >= WIDE, "-wide")
        with Horizontal(id="net-bar"):
            yield Static("", id="net-modes")
            yield Static("", id="net-depth")
        with Container(id="net-body"):
            yield NetworkCanvas(id="net-canvas")
            with VerticalScroll(id="net-hints", can_focus=False):
                yield Static("", id="net-hints-text")
        yield Static("", id="net-info")

    # ------------------------------------------------------------------ loading
    def reload(self, delta: BoardDelta | None) -> None:
        """Build the graph and lay the current mode out, in one worker (the first screen
        waits for one round trip, not two)."""
        if self.mode == "mine":
            self._people()
        state = self._state()

        def fetch(service: BoardService) -> tuple[NetworkData, Picture]:
            duties = {
                r.id: list(r.accountabilities) for r in service.list("roles") if isinstance(r, Role)
            }
            data = NetworkData(build_network(service), duties)
            return data, lay_out(data, *state)

        self.tb.runner.load("network", fetch, self._loaded)

    def _state(self) -> State:
        """What a layout depends on: mode, person, degree, width and me."""
        me = self.directory.me
        width = self.query_one(NetworkCanvas).scrollable_content_region.width
        if not width:  # not laid out yet: guess from the screen (a wrong guess costs a relayout)
            width = self.app.size.width - (SIDE_PANEL if self.app.size.width >= WIDE else 0) - 1
        return State(self.mode, self.person or me, self.depth, max(MIN_WIDTH, width), me)

    def _people(self) -> None:
        """The person picker, with every member (made when My network is first shown: a
        few hundred options cost the first screen time the other modes need not spend)."""
        d = self.directory
        self.person = self.person or d.me
        options = self.member_options()
        found = self.query("#net-person").results(Select)
        select = next(found, None)
        if select is None:
            known = self.person in [v for _, v in options]
            select = Select(
                options,
                prompt="Person",
                allow_blank=True,
                id="net-person",
                value=self.person if known else Select.BLANK,
                compact=True,
            )
            select._tb_options = options  # type: ignore[attr-defined]
            self.query_one("#net-bar").mount(select, after="#net-modes")
            return
        self.pick_quietly(select, options, self.person)

    def _loaded(self, result: tuple[NetworkData, Picture]) -> None:
        self.data, picture = result
        self._generation += 1  # layouts asked for before this are of the old board
        if picture.state == self._state():
            self._laid_out(self._generation, picture)
        else:  # the mode, person or width changed meanwhile
            self.relayout()

    def relayout(self, keep: str | None = None) -> None:
        """Lay the current mode out again (in a thread worker) at the canvas's width; the
        cursor stays on ``keep`` (default: the node it is on)."""
        if keep is not None:
            self._keep = keep
        data = self.data
        if data is None or not self.ready:
            return
        state = self._state()
        self._generation += 1
        generation = self._generation

        def job() -> None:
            try:
                picture = lay_out(data, *state)
            except BoardError as exc:
                self.app.call_from_thread(self.tb.show_error, exc)
                return
            self.app.call_from_thread(self._laid_out, generation, picture)

        self.run_worker(job, thread=True, group="network-layout", exit_on_error=False)

    def _laid_out(self, generation: int, picture: Picture) -> None:
        if generation != self._generation:
            return  # a newer layout is on its way
        self.picture = picture
        if picture.person and picture.person != self.person:
            self.person = picture.person  # the one asked for has left the team
        canvas = self.query_one(NetworkCanvas)
        keep, self._keep = self._keep or canvas.target, ""
        canvas.show(picture.drawing, keep)
        self._show_hints(picture.hints)
        self._show_bar()

    # ------------------------------------------------------------------ what is shown
    def _show_bar(self) -> None:
        bar = Text(no_wrap=True, overflow="ellipsis")
        for mode, (key, label) in MODES.items():
            style = "reverse bold" if mode == self.mode else ""
            bar.append(f" {key} ", "bold" if mode != self.mode else style)
            bar.append(f"{label} ", style)
            bar.append(" ")
        self.query_one("#net-modes", Static).update(bar)
        mine = self.mode == "mine"
        if mine:
            self._people()
        for select in self.query("#net-person"):
            select.display = mine
        depth = self.query_one("#net-depth", Static)
        depth.display = mine
        depth.update(f" degree {self.depth} (+/−) · p person · f follow")
        self.refresh_bindings()

    def _show_hints(self, hints: list[Hint]) -> None:
        text = Text()
        text.append(f"Health hints ({len(hints)})", "bold")
        for hint in hints:
            text.append("\n! ", "bold")
            text.append(hint.message)
        if not hints:
            text.append(": none — everyone is in a stream, every stream serves someone", "italic")
        self.query_one("#net-hints-text", Static).update(text)

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")

    @on(NetworkCanvas.Moved)
    def _moved(self, event: NetworkCanvas.Moved) -> None:
        event.stop()
        info = self.query_one("#net-info", Static)
        info.update(describe(self.data.network, event.target) if self.data else Text(""))
        self.selection_changed()

    @on(NetworkCanvas.Chosen)
    def _chosen(self, event: NetworkCanvas.Chosen) -> None:
        event.stop()
        kind, _, ref = event.target.partition(":")
        if kind == "m":
            self.post_message(ShowPerson(ref))
        elif kind in ITEM_TYPES:
            self.post_message(OpenItem(ref))
        elif kind == "x" and self.data is not None:
            self.tb.notify(describe(self.data.network, event.target).plain, timeout=6)

    @on(Select.Changed, "#net-person")
    def _person_picked(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL and str(event.value) != self.person:
            self._show_network_of(str(event.value))
            self.query_one(NetworkCanvas).focus()

    @on(NetworkCanvas.Resized)
    def _canvas_resized(self, event: NetworkCanvas.Resized) -> None:
        """The canvas changed width: lay out again to fit it."""
        event.stop()
        if self.picture is not None and self.picture.drawing.width != max(MIN_WIDTH, event.width):
            self.relayout()

    # ------------------------------------------------------------------ actions
    def action_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        self._show_bar()
        keep = member_key(self.person) if mode == "mine" and self.person else None
        self.relayout(keep)

    def _show_network_of(self, member_id: str) -> None:
        self.person = member_id
        self.mode = "mine"
        self._show_bar()
        self.relayout(member_key(member_id))

    def action_degree(self, step: int) -> None:
        depth = max(1, min(MAX_DEPTH, self.depth + step))
        if depth != self.depth:
            self.depth = depth
            self._show_bar()
            self.relayout()

    def action_pick(self) -> None:
        if self.mode != "mine":
            self.action_mode("mine")
        self.call_after_refresh(self._open_picker)  # the picker may have just been made

    def _open_picker(self) -> None:
        for select in self.query("#net-person").results(Select):
            select.focus()
            select.expanded = True

    def action_follow(self) -> None:
        target = self.query_one(NetworkCanvas).target
        if target.startswith("m:"):
            self._show_network_of(target[2:])
        else:
            self.tb.notify("Put the cursor on a person first", severity="warning")

    def action_toggle_hints(self) -> None:
        self.toggle_class("-no-hints")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "degree":
            return self.mode == "mine"
        return True

    def commands(self) -> Iterator[SystemCommand]:
        def show(mode: str, degree: int = 0) -> None:
            screen = self.screen
            getattr(screen, "action_show_view", lambda key: None)("network")
            self.action_mode(mode)
            if degree:
                self.action_degree(degree)

        for mode, (key, label) in MODES.items():
            yield SystemCommand(
                f"Network: {label}", f"Show the {label} picture ({key})", lambda m=mode: show(m)
            )
        yield SystemCommand(
            "Network: widen my network",
            "One more degree: the people one hop further (+)",
            lambda: show("mine", 1),
        )
        yield SystemCommand(
            "Network: narrow my network",
            "One degree less (−)",
            lambda: show("mine", -1),
        )
        yield SystemCommand(
            "Network: show hints / hide hints", "Network health hints (i)", self.action_toggle_hints
        )

    # ------------------------------------------------------------------ selection
    def selected_id(self) -> str | None:
        kind, _, ref = self.query_one(NetworkCanvas).target.partition(":")
        return ref if kind in ITEM_TYPES else None

    def selected_type(self) -> str | None:
        kind, _, _ = self.query_one(NetworkCanvas).target.partition(":")
        return ITEM_TYPES.get(kind)

    def focus_main(self) -> None:
        self.query_one(NetworkCanvas).focus()


def lay_out(data: NetworkData, mode: str, person: str, depth: int, width: int, me: str) -> Picture:
    """The drawing and hints of ``mode`` (runs in a worker thread: pure computation)."""
    whole = data.network
    state = State(mode, person, depth, width, me)
    if mode == "home":
        return Picture(draw_home_base(whole, width, data.duties), whole.health(), "", state)
    if mode == "mine":
        try:
            part = whole.around(person, depth)
        except NotFound:  # they left the team meanwhile: show mine
            part = whole.around(me, depth)
        drawing = draw_network(part, width, hints=False)
        return Picture(drawing, part.health(), part.center[2:], state)
    drawing = draw_network(whole, width, hints=False, per_maker=PER_MAKER)
    return Picture(drawing, whole.health(), "", state)
