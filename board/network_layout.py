"""The value network laid out as lines of text with box-drawing characters — one layout
for ``teamboard network --format ascii`` and for the terminal UI's Network tab.

Each stream is a hub: a box (═ double lines and ``[R]`` for routine streams, ─ single
lines and ``[C]`` for change streams) holding its purpose, people, roles and the
commitments made to it; its suppliers feed into it from the left, it serves its customers
on the right, and its partners hang below it. On narrow widths the parties move into the
box as rows. Then come what is outside every stream, the commitments (grouped by who made
them), the agreements and the health hints. :func:`draw_home_base` is the role view.

Every line is :class:`~board.network_canvas.Marked`: the UI colours it and moves a cursor
between the nodes it names (:attr:`Drawing.spots`); the CLI prints the text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from board.model import InvalidInput, Kind
from board.network import STREAM_TO_PARTY, EdgeKind, Network, Node, NodeKind
from board.network_canvas import Drawing, Marked, Row, box, box_width, join, pack, piece, wrap

MIN_WIDTH = 40
HUB_MIN_BOX = 26  # narrower than this, the parties go inside the box
HUB_MIN_SIDE = 10  # the least room the customers' names get
MARKER = {Kind.ROUTINE.value: "[R]", Kind.CHANGE.value: "[C]"}
PARTY_ROWS = (
    (EdgeKind.SERVES, "customers"),
    (EdgeKind.SUPPLIED_BY, "suppliers"),
    (EdgeKind.PARTNERS, "partners"),
)


def node_style(node: Node) -> str:
    if node.kind == NodeKind.STREAM:
        return node.stream_kind if node.stream_kind in MARKER else Kind.ROUTINE.value
    return str(node.kind)


def node_name(network: Network, node_id: str) -> Marked:
    node = network.node(node_id)
    if node_id == network.center:
        return piece(node.label + " ★", "center", node_id)
    return piece(node.label, node_style(node), node_id)


def stream_title(network: Network, stream: Node) -> Marked:
    return piece(f"{MARKER.get(stream.stream_kind, '[?]')} ", node_style(stream)).add(
        node_name(network, stream.id)
    )


def count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def summary(network: Network) -> str:
    """``6 people · 4 streams (2 routine, 2 change) · 4 roles · …``"""
    counts = Counter(n.kind for n in network.nodes)
    kinds = Counter(n.stream_kind for n in network.of_kind(NodeKind.STREAM))
    edges = Counter(e.kind for e in network.edges)
    agreements = len({e.ref for e in network.edges if e.kind == EdgeKind.ACCOUNTABLE})
    return " · ".join(
        [
            count(counts[NodeKind.MEMBER], "person", "people"),
            count(counts[NodeKind.STREAM], "stream")
            + f" ({kinds[Kind.ROUTINE.value]} routine, {kinds[Kind.CHANGE.value]} change)",
            count(counts[NodeKind.ROLE], "role"),
            count(counts[NodeKind.EXTERNAL], "external party", "external parties"),
            count(edges[EdgeKind.COMMITTED], "commitment"),
            count(agreements, "agreement"),
        ]
    )


def heading(title: str, width: int) -> list[Marked]:
    out = wrap(piece(title, "heading"), width)
    out.append(piece("═" * min(width, max(len(line) for line in out)), "heading"))
    return out


def draw_network(
    network: Network,
    width: int = 100,
    *,
    hints: bool = True,
    per_maker: int | None = None,
    hubs: bool = True,
) -> Drawing:
    """The network at most ``width`` (at least 40) columns wide: a summary and legend, the
    stream hubs, a box for what is outside any stream, commitments (at most ``per_maker``
    per person, with a line saying how many more), agreements and, with ``hints``, the
    health hints. ``hubs`` False keeps every stream's parties inside its box."""
    if width < MIN_WIDTH:
        raise InvalidInput(f"the width must be at least {MIN_WIDTH} columns, not {width}")
    out = heading(network.title or "Value network", width)
    out += wrap(piece(summary(network), "dim"), width)
    legend = join(
        [
            piece("═ [R] routine stream", "routine"),
            piece("─ [C] change stream", "change"),
            "→ committed to",
            "⇒ accountable to",
        ],
        " · ",
    )
    if network.center:
        legend.add(" · ").add("★ whose network this is", "center")
    out += wrap(legend, width)
    streams = network.of_kind(NodeKind.STREAM)
    left_w = _supplier_width(network, streams, width)
    if not hubs or width - (left_w + 5 if left_w else 0) - HUB_MIN_SIDE - 6 < HUB_MIN_BOX:
        left_w = -1  # too narrow for hubs
    for stream in streams:
        out.append(Marked())
        out += (
            _stream_box(network, stream, width)
            if left_w < 0
            else _hub(network, stream, width, left_w)
        )
    outside = _outside_box(network, width)
    if outside:
        out += [Marked(), *outside]
    out += _commitments(network, width, per_maker)
    out += _agreements(network, width)
    found = network.health() if hints else []
    if found:
        out += [Marked(), piece("Health hints", "heading")]
        for hint in found:
            out += wrap(piece(hint.message, "hint", hint.nodes[0]), width, "  ! ", "    ")
    return Drawing(out, width, network.title)


# ----------------------------------------------------------------------------- streams


def _parties(network: Network, stream: Node, kind: str) -> list[Marked]:
    return [node_name(network, e.target) for e in network.edges_from(stream.id, kind)]


def _stream_rows(network: Network, stream: Node, parties: bool) -> list[Row]:
    rows: list[Row] = []
    if stream.purpose:
        rows.append(Row("purpose", [piece(stream.purpose)], False))
    for kind, label in PARTY_ROWS if parties else ():
        found = _parties(network, stream, kind)
        if found:
            rows.append(Row(label, found))
    people = [
        node_name(network, e.source) for e in network.edges_to(stream.id, EdgeKind.PARTICIPATES)
    ]
    rows.append(Row("people", people or [piece("—")]))
    roles = [
        node_name(network, e.source) + _holders(network, e.source)
        for e in network.edges_to(stream.id, EdgeKind.ROLE_OF)
    ]
    if roles:
        rows.append(Row("roles", roles))
    promised = [
        node_name(network, e.source) + ": " + _promise(e.title, e.status, e.ref)
        for e in network.edges_to(stream.id, EdgeKind.COMMITTED)
    ]
    if promised:
        rows.append(Row("promised", promised, False))
    return rows


def _promise(title: str, status: str, ref: str) -> Marked:
    return piece(f"{title} ({status})", "commitment", f"c:{ref}")


def _holders(network: Network, role: str) -> Marked:
    holders = [node_name(network, e.source) for e in network.edges_to(role, EdgeKind.HOLDS)]
    return piece(" (") + join(holders, ", ") + ")" if holders else piece(" (nobody)")


def _stream_box(network: Network, stream: Node, width: int) -> list[Marked]:
    return box(
        stream_title(network, stream),
        _stream_rows(network, stream, True),
        width,
        node_style(stream),
    )


def _side_cap(width: int) -> int:
    return max(HUB_MIN_SIDE, width // 5)


def _supplier_width(network: Network, streams: Sequence[Node], width: int) -> int:
    """Width of the suppliers' column, the same for every hub so the boxes line up."""
    widest = max(
        (
            len(network.label(e.target))
            for s in streams
            for e in network.edges_from(s.id, EdgeKind.SUPPLIED_BY)
        ),
        default=0,
    )
    # at least room for the "suppliers" heading (the column is its width + 5)
    return min(max(widest, len("suppliers") - 5), _side_cap(width)) if widest else 0


Side = list[tuple[Marked, int, bool]]  # line, which party, first line of that party


def _side(parties: Sequence[Marked], width: int) -> Side:
    return [
        (line, k, i == 0)
        for k, party in enumerate(parties)
        for i, line in enumerate(wrap(party, width))
    ]


def _hub(network: Network, stream: Node, width: int, left_w: int) -> list[Marked]:
    """suppliers ─▶ stream box ─▶ customers, partners hanging below the box."""
    suppliers = _parties(network, stream, EdgeKind.SUPPLIED_BY)
    customers = _parties(network, stream, EdgeKind.SERVES)
    partners = _parties(network, stream, EdgeKind.PARTNERS)
    rows = _stream_rows(network, stream, False)
    title = stream_title(network, stream)
    lz = left_w + 5 if left_w else 0
    widest = max([len("customers")] + [len(c) for c in customers])  # names or heading
    right_need = min(widest, _side_cap(width)) + 6 if customers else 0
    box_w = min(box_width(title, rows), width - lz - right_need)
    # the stream's title whole, if the customers can do with less room
    box_w = max(box_w, min(len(title) + 6, width - lz - (HUB_MIN_SIDE + 6 if customers else 0)))
    right_w = min(widest, width - lz - box_w - 6)
    left, right = _side(suppliers, left_w) if left_w else [], _side(customers, right_w)
    drawn = box(
        title, rows, box_w, node_style(stream), max(len(left), len(right)), 3 if partners else -1
    )
    out: list[Marked] = []
    for i, line in enumerate(drawn):
        if i == 0:
            head = piece("suppliers".ljust(lz), "dim") if suppliers else piece(" " * lz)
            tail = (
                piece(" " * 6 + "customers", "dim").clip(width - lz - box_w)
                if customers
                else Marked()
            )
        else:
            head, tail = _left_zone(left, i - 1, left_w, lz), _right_zone(right, i - 1)
        out.append(head + line + tail)
    label = "╰┄ partners  "
    for i, line in enumerate(pack(partners, width - lz - 3 - len(label)) if partners else []):
        out.append(
            piece(" " * (lz + 3)).add(label if i == 0 else " " * len(label), "edge").add(line)
        )
    return out


def _bus(k: int, count: int, first: str, last: str, middle: str) -> str:
    if count == 1:
        return "─"
    return first if k == 0 else last if k == count - 1 else middle


def _left_zone(side: Side, j: int, left_w: int, lz: int) -> Marked:
    if j >= len(side):
        return piece(" " * lz)
    line, k, first = side[j]
    count = side[-1][1] + 1
    if first:
        fill = "─" * (left_w + 1 - len(line))
        return line + piece(
            f" {fill}{_bus(k, count, '┬', '┘', '┤')}{'─▶' if j == 0 else '  '}", "edge"
        )
    return line.ljust(left_w + 2) + piece("│  " if k < count - 1 else "   ", "edge")


def _right_zone(side: Side, j: int) -> Marked:
    if j >= len(side):
        return Marked()
    line, k, first = side[j]
    count = side[-1][1] + 1
    if first and j == 0:
        connector = "─" + ("─" if count == 1 else "┬") + "──▶ "
    elif first:
        connector = " " + ("└" if k == count - 1 else "├") + "──▶ "
    else:
        connector = " " + ("│" if k < count - 1 else " ") + "    "
    return piece(connector, "edge") + line


def _outside_box(network: Network, width: int) -> list[Marked]:
    people = [
        node_name(network, m.id)
        for m in network.of_kind(NodeKind.MEMBER)
        if not network.streams_of(m.id)
    ]
    roles = [
        node_name(network, r.id) + _holders(network, r.id)
        for r in network.of_kind(NodeKind.ROLE)
        if not network.edges_from(r.id, EdgeKind.ROLE_OF)
    ]
    parties = [
        node_name(network, x.id)
        for x in network.of_kind(NodeKind.EXTERNAL)
        if not any(e.kind in STREAM_TO_PARTY for e in network.edges_to(x.id))
    ]
    rows = [
        Row(label, items)
        for label, items in (("people", people), ("roles", roles), ("parties", parties))
        if items
    ]
    title = "Outside any stream" if network.is_whole else "Outside the streams shown"
    return box(piece(title, "outside"), rows, width, "outside") if rows else []


# ----------------------------------------------------------------------------- lists


def _commitments(network: Network, width: int, per_maker: int | None) -> list[Marked]:
    groups: dict[str, list[tuple[str, str, str, str]]] = {}
    for e in network.edges:  # the network orders edges by kind, then source
        if e.kind == EdgeKind.COMMITTED:
            groups.setdefault(e.source, []).append((e.target, e.title, e.status, e.ref))
    if not groups:
        return []
    out = [Marked(), *wrap(piece("Commitments (who → to whom: what, status)", "heading"), width)]
    for maker, promises in groups.items():
        out += wrap(node_name(network, maker), width, "  ", "  ")
        shown = promises if per_maker is None else promises[:per_maker]
        for target, title, status, ref in shown:
            entry = join(("→ ", node_name(network, target), ": ", _promise(title, status, ref)))
            out += wrap(entry, width, "    ", "      ")
        if len(shown) < len(promises):
            more = f"… and {len(promises) - len(shown)} more by {network.label(maker)}"
            out += wrap(piece(more, "dim", maker), width, "    ", "      ")
    return out


def _agreements(network: Network, width: int) -> list[Marked]:
    groups: dict[str, list[Marked]] = {}
    first: dict[str, tuple[str, str]] = {}
    for e in network.edges:
        if e.kind == EdgeKind.ACCOUNTABLE:
            groups.setdefault(e.ref, []).append(node_name(network, e.target))
            first.setdefault(e.ref, (e.source, e.title))
    if not groups:
        return []
    out = [
        Marked(),
        *wrap(piece("Agreements (accountable ⇒ counterparts: what)", "heading"), width),
    ]
    for ref, counterparts in groups.items():
        source, title = first[ref]
        entry = join(
            (
                node_name(network, source),
                " ⇒ ",
                join(counterparts, ", "),
                ": ",
                piece(title, "agreement", f"a:{ref}"),
            )
        )
        out += wrap(entry, width, "  ", "    ")
    return out
