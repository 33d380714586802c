"""The home base: who holds which role in which stream — the role view, secondary to the
value network (see :mod:`board.network_layout`, whose boxes and marks it shares)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from board.model import InvalidInput
from board.network import EdgeKind, Network, NodeKind
from board.network_canvas import Drawing, Marked, Row, box, box_width, join, piece, wrap
from board.network_layout import MIN_WIDTH, count, heading, node_name, node_style, stream_title


def draw_home_base(
    network: Network, width: int = 100, duties: Mapping[str, Sequence[str]] | None = None
) -> Drawing:
    """The role view: stream by stream, each role with its holders and (from ``duties``,
    role id -> accountabilities) what it is accountable for; then the roles in no stream
    and the people who hold no role."""
    if width < MIN_WIDTH:
        raise InvalidInput(f"the width must be at least {MIN_WIDTH} columns, not {width}")
    duties = duties or {}
    out = heading("Home base: who holds which role, stream by stream", width)
    roles = network.of_kind(NodeKind.ROLE)
    members = network.of_kind(NodeKind.MEMBER)
    holding = {e.source for e in network.edges if e.kind == EdgeKind.HOLDS}
    out += wrap(
        piece(
            f"{count(len(roles), 'role')} · {len(holding)} of "
            f"{count(len(members), 'person', 'people')} hold one",
            "dim",
        ),
        width,
    )
    boxes: list[tuple[Marked, list[Row], str]] = []
    for stream in network.of_kind(NodeKind.STREAM):
        roles_here = [e.source for e in network.edges_to(stream.id, EdgeKind.ROLE_OF)]
        rows = [row for role in roles_here for row in _role_rows(network, role, duties)]
        rows = rows or [Row("", [piece("no roles yet", "dim")], False)]
        holders = {e.source for r in roles_here for e in network.edges_to(r, EdgeKind.HOLDS)}
        others = [
            node_name(network, e.source)
            for e in network.edges_to(stream.id, EdgeKind.PARTICIPATES)
            if e.source not in holders
        ]
        if others:
            rows.append(Row("", [piece("also in it: ", "label") + join(others, ", ")], False))
        boxes.append((stream_title(network, stream), rows, node_style(stream)))
    loose = [
        row
        for r in roles
        if not network.edges_from(r.id, EdgeKind.ROLE_OF)
        for row in _role_rows(network, r.id, duties)
    ]
    if loose:
        boxes.append((piece("Roles in no stream", "outside"), loose, "outside"))
    widest = max((box_width(title, rows) for title, rows, _ in boxes), default=0)
    for title, rows, style in boxes:
        out += [Marked(), *box(title, rows, width, style, min_width=widest)]
    idle = [node_name(network, m.id) for m in members if m.id not in holding]
    if idle:
        out += [
            Marked(),
            *wrap(piece("Holding no role: ", "label") + join(idle, ", "), width, "", "  "),
        ]
    return Drawing(out, width, "Home base")


def _role_rows(network: Network, role: str, duties: Mapping[str, Sequence[str]]) -> list[Row]:
    holders = [node_name(network, e.source) for e in network.edges_to(role, EdgeKind.HOLDS)]
    line = (
        node_name(network, role)
        + " — "
        + (join(holders, ", ") if holders else piece("nobody", "dim"))
    )
    rows = [Row("", [line], False)]
    accountable = [piece(f"· {duty}", "dim") for duty in duties.get(network.node(role).ref, ())]
    if accountable:
        rows.append(Row("", accountable, False, indent="  "))
    return rows
