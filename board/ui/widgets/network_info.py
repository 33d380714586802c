"""One line about the node under the Network view's cursor: what it is, what it is
connected to, and what enter does with it (Rich text; reads only the graph)."""

from __future__ import annotations

from rich.text import Text

from board.model import NotFound
from board.network import EdgeKind, Network, NodeKind
from board.ui.text import KIND_GLYPH, status_label

_RELATION_EDGES = (
    (EdgeKind.SERVES, "customers"),
    (EdgeKind.SUPPLIED_BY, "suppliers"),
    (EdgeKind.PARTNERS, "partners"),
)


def describe(network: Network, target: str) -> Text:
    """What the Network view says about ``target`` (a node id, ``c:`` + a commitment id or
    ``a:`` + an agreement id); empty text for nothing."""
    kind, _, ref = target.partition(":")
    try:
        if kind in ("c", "a"):
            return _item(network, kind, ref)
        if target in network:
            return _node(network, target)
    except NotFound:
        pass
    return Text("")


def _names(network: Network, ids: list[str]) -> str:
    return ", ".join(network.label(i) for i in ids)


def _line(head: str, parts: list[str], enter: str) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(head, "bold")
    for part in parts:
        if part:
            text.append(" · " + part)
    if enter:
        text.append(f" · {enter}", "italic")
    return text


def _node(network: Network, node_id: str) -> Text:
    node = network.node(node_id)
    if node.kind == NodeKind.MEMBER:
        streams = network.streams_of(node_id)
        roles = [e.target for e in network.edges_from(node_id, EdgeKind.HOLDS)]
        made = [e for e in network.edges_from(node_id, EdgeKind.COMMITTED) if e.is_open]
        received = [e for e in network.edges_to(node_id, EdgeKind.COMMITTED) if e.is_open]
        return _line(
            node.label,
            [
                f"streams: {_names(network, streams)}" if streams else "in no stream",
                f"roles: {_names(network, roles)}" if roles else "",
                f"{len(made)} open commitments made, {len(received)} received",
            ],
            "enter: their Me view · f: their network",
        )
    if node.kind == NodeKind.STREAM:
        people = network.edges_to(node_id, EdgeKind.PARTICIPATES)
        parts = [
            f"{KIND_GLYPH.get(node.stream_kind, '')} {node.stream_kind} stream",
            f"{len(people)} people",
        ]
        parts += [
            f"{label}: {_names(network, [e.target for e in network.edges_from(node_id, k)])}"
            for k, label in _RELATION_EDGES
            if network.edges_from(node_id, k)
        ]
        return _line(node.label, parts, "enter: open")
    if node.kind == NodeKind.ROLE:
        streams = [e.target for e in network.edges_from(node_id, EdgeKind.ROLE_OF)]
        holders = [e.source for e in network.edges_to(node_id, EdgeKind.HOLDS)]
        return _line(
            node.label,
            [
                f"role in {_names(network, streams)}" if streams else "role in no stream",
                f"held by {_names(network, holders)}" if holders else "held by nobody",
            ],
            "enter: open",
        )
    relations = [
        f"{label[:-1]} of {network.label(e.source)}"
        for k, label in _RELATION_EDGES
        for e in network.edges_to(node_id, k)
    ]
    promised = [e for e in network.edges_to(node_id, EdgeKind.COMMITTED) if e.is_open]
    return _line(
        node.label,
        [
            "external party",
            "; ".join(relations),
            f"{len(promised)} open commitments to it" if promised else "",
        ],
        "",
    )


def _item(network: Network, kind: str, ref: str) -> Text:
    edges = [e for e in network.edges if e.ref == ref]
    if not edges:
        return Text("")
    first = edges[0]
    if kind == "c":
        return _line(
            first.title,
            [
                "commitment",
                f"{network.label(first.source)} → {network.label(first.target)}",
                status_label(first.status),
            ],
            "enter: open",
        )
    counterparts = _names(network, [e.target for e in edges])
    return _line(
        first.title,
        [
            "agreement",
            f"{network.label(first.source)} accountable to {counterparts}",
        ],
        "enter: open",
    )
