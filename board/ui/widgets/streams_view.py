"""The Streams view: the work streams of the value network, with their members, roles and
external customers, suppliers and partners. The right-hand pane keeps room for the network
picture (``#network``), which the value-network feature fills in."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from board.model import Goal, Role, Stream
from board.service import BoardService
from board.ui.messages import BoardDelta, OpenItem
from board.ui.text import KIND_GLYPH, names
from board.ui.widgets.view import ItemTable, Row, View, cell


@dataclass
class StreamsData:
    streams: list[Stream]
    roles: list[Role]
    goals: dict[str, int]  # stream id -> open goals


class StreamsView(View):
    TITLE = "Streams"
    COLLECTIONS = ("streams", "roles")
    NEW_KINDS = ("goal", "commitment", "agreement")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.data = StreamsData([], [], {})

    def build(self) -> ComposeResult:
        with Horizontal():
            yield ItemTable([("Stream", 22), ("Kind", 9), ("Members", 7)], id="streams-table")
            with VerticalScroll(id="stream-detail"):
                yield Static("", id="stream-info")
                network = Static("", id="network")
                network.border_title = "Network"
                yield network

    def relevant(self, delta: BoardDelta) -> bool:
        return delta.touches("streams", "roles", "members", "goals")

    def reload(self, delta: BoardDelta | None) -> None:
        def fetch(service: BoardService) -> StreamsData:
            streams = [s for s in service.list("streams") if isinstance(s, Stream)]
            roles = [r for r in service.list("roles") if isinstance(r, Role)]
            goals: dict[str, int] = {}
            for g in service.list("goals"):
                if isinstance(g, Goal) and g.stream and g.status in ("active", "at_risk"):
                    goals[g.stream] = goals.get(g.stream, 0) + 1
            return StreamsData(streams, roles, goals)

        self.tb.runner.load("streams", fetch, self._loaded)

    def _loaded(self, data: StreamsData) -> None:
        self.data = data
        rows: list[Row] = [
            (
                s.id,
                [
                    cell(s.title),
                    cell(f"{KIND_GLYPH.get(s.kind, '')} {s.kind}"),
                    cell(len(s.members)),
                ],
            )
            for s in data.streams
        ]
        self.query_one(ItemTable).show_rows(rows)
        self._detail()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._detail()
        self.selection_changed()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(OpenItem(str(event.row_key.value)))

    def _detail(self) -> None:
        info = self.query_one("#stream-info", Static)
        network = self.query_one("#network", Static)
        stream = next((s for s in self.data.streams if s.id == self.selected_id()), None)
        if stream is None:
            info.update("No work streams yet." if not self.data.streams else "")
            network.update("")
            return
        people = self.directory.names
        text = Text()
        text.append(f"{KIND_GLYPH.get(stream.kind, '')} {stream.title}\n", "bold")
        text.append(f"{stream.purpose or 'No purpose written yet.'}\n", "italic")
        text.append("Members: ", "bold")
        text.append(names(stream.members, people) or "nobody yet")
        text.append(f"\nOpen goals: {self.data.goals.get(stream.id, 0)}\n")
        roles = [r for r in self.data.roles if r.stream == stream.id]
        text.append("Roles:", "bold")
        for role in roles:
            text.append(f"\n  {role.title}", "bold")
            text.append(f" — {names(role.holders, people) or 'nobody'}")
            for duty in role.accountabilities:
                text.append(f"\n    · {duty}", "dim")
        if not roles:
            text.append(" none")
        for relation in ("customer", "supplier", "partner"):
            parties = [e["name"] for e in stream.externals if e.get("relation") == relation]
            if parties:
                text.append(f"\n{relation.capitalize()}s: ", "bold")
                text.append(", ".join(parties))
        info.update(text)
        network.update(self._sketch(stream))

    @staticmethod
    def _sketch(stream: Stream) -> Text:
        """A one-line sketch until the network picture arrives: suppliers → stream → customers."""
        suppliers = [e["name"] for e in stream.externals if e.get("relation") == "supplier"]
        customers = [e["name"] for e in stream.externals if e.get("relation") == "customer"]
        partners = [e["name"] for e in stream.externals if e.get("relation") == "partner"]
        sketch = Text()
        if suppliers:
            sketch.append(", ".join(suppliers) + " ─▶ ")
        sketch.append(f"[{stream.title}]", "bold")
        if customers:
            sketch.append(" ─▶ " + ", ".join(customers))
        if partners:
            sketch.append("\n  partners: " + ", ".join(partners), "dim")
        return sketch

    def selected_id(self) -> str | None:
        return self.query_one(ItemTable).selected_key

    def selected_type(self) -> str | None:
        return "stream" if self.selected_id() else None

    def focus_main(self) -> None:
        self.query_one(ItemTable).focus()
