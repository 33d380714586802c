"""Drawings of a value network (:mod:`board.network`): plain-text ASCII, Graphviz DOT,
Mermaid and SVG (through Graphviz's ``dot`` program).

Every rendering is deterministic: the same board gives byte-identical output, so drawings
can be diffed and kept in version control. Routine and change streams look different in
each of them (ASCII: ``[R]`` in a ═ box vs ``[C]`` in a ─ box; DOT and Mermaid: bold vs
dashed outlines and colours). The ASCII layout lives in :mod:`board.network_layout`.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from board.model import BoardError, InvalidInput, Kind
from board.network import EdgeKind, Network, Node, NodeKind
from board.network_layout import MARKER, MIN_WIDTH, draw_network

__all__ = [
    "FORMATS",
    "MIN_WIDTH",
    "GraphvizMissing",
    "mermaid_ids",
    "render",
    "to_ascii",
    "to_dot",
    "to_mermaid",
    "to_svg",
]
FORMATS = ("ascii", "dot", "mermaid", "svg")
DOT_TIMEOUT_SECONDS = 300


class GraphvizMissing(BoardError):
    """SVG was asked for but Graphviz's ``dot`` program is not installed (exit code 1)."""

    def __init__(self) -> None:
        super().__init__(
            "SVG needs Graphviz's `dot` program: install it with `apt install graphviz` / "
            "`brew install graphviz`, or use --format dot"
        )


# ----------------------------------------------------------------------------- ASCII


def to_ascii(network: Network, width: int = 100) -> str:
    """Plain text (see :mod:`board.network_layout`, which the terminal UI shares): a
    summary, one hub per stream (suppliers → box with its people, roles and the commitments
    made to it → customers, partners below), a box for what is outside any stream, then
    commitments, agreements and health hints. No line is longer than ``width`` (at least
    40)."""
    return draw_network(network, width).text


# ----------------------------------------------------------------------------- DOT

_DOT_NODE = {
    NodeKind.MEMBER: 'shape=ellipse, style=filled, fillcolor="#ffffff"',
    NodeKind.ROLE: 'shape=note, style=filled, fillcolor="#f4f4f4"',
    NodeKind.EXTERNAL: 'shape=octagon, style=filled, fillcolor="#eeeeee"',
}
_DOT_STREAM = {
    Kind.ROUTINE.value: 'shape=box, style="rounded,filled,bold", penwidth=2, fillcolor="#dbe9f6"',
    Kind.CHANGE.value: 'shape=box, style="rounded,filled,dashed", fillcolor="#fde2c8"',
}
_DOT_EDGE = {
    EdgeKind.HOLDS: "style=dotted",
    EdgeKind.ROLE_OF: "style=dotted",
    EdgeKind.SERVES: 'color="#1f4e79"',
    EdgeKind.SUPPLIED_BY: 'color="#1f4e79"',
    EdgeKind.PARTNERS: 'color="#1f4e79"',
    EdgeKind.COMMITTED: 'style=dashed, color="#b35900"',
    EdgeKind.ACCOUNTABLE: 'style=bold, color="#555555"',
}


def _dq(text: str) -> str:
    """A DOT double-quoted string."""
    clean = " ".join(text.split())
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _node_text(node: Node) -> str:
    if node.kind == NodeKind.STREAM:
        return f"{MARKER.get(node.stream_kind, '[?]')} {node.label}"
    if node.kind == NodeKind.EXTERNAL and node.relations:
        return f"{node.label} ({', '.join(node.relations)})"
    return node.label


def to_dot(network: Network) -> str:
    """Graphviz DOT, nodes and edges in the network's stable order."""
    lines = [
        "// teamboard value network (derived from the board, not stored)",
        f"digraph {_dq(network.title or 'Value network')} {{",
        f'  graph [rankdir=LR, fontname="Helvetica", labelloc=t, label={_dq(network.title)}];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in network.nodes:
        style = (
            _DOT_STREAM.get(node.stream_kind, _DOT_STREAM[Kind.ROUTINE.value])
            if node.kind == NodeKind.STREAM
            else _DOT_NODE[NodeKind(node.kind)]
        )
        center = ", penwidth=3" if node.id == network.center else ""
        lines.append(f"  {_dq(node.id)} [label={_dq(_node_text(node))}, {style}{center}];")
    for e in network.edges:
        extra = _DOT_EDGE.get(EdgeKind(e.kind), "")
        lines.append(
            f"  {_dq(e.source)} -> {_dq(e.target)} [label={_dq(e.label)}"
            + (f", {extra}" if extra else "")
            + "];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- Mermaid

_MERMAID_PREFIX = {
    NodeKind.MEMBER: "m",
    NodeKind.STREAM: "s",
    NodeKind.ROLE: "r",
    NodeKind.EXTERNAL: "p",
}  # never "o" or "x": `--x` / `--o` are arrow heads
_MERMAID_ARROW = {EdgeKind.COMMITTED: "-.->", EdgeKind.ACCOUNTABLE: "==>"}


def _mq(text: str) -> str:
    """A Mermaid quoted label, with the characters Mermaid would read as syntax escaped."""
    clean = " ".join(text.split()).replace("#", "#35;")
    for char, code in (('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;")):
        clean = clean.replace(char, code)
    return f'"{clean}"'


def mermaid_ids(network: Network) -> dict[str, str]:
    """Node id -> a Mermaid-safe id (letters, digits, ``_``), unique and stable."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for node in network.nodes:
        base = _MERMAID_PREFIX[NodeKind(node.kind)] + "_" + re.sub(r"[^0-9A-Za-z_]", "_", node.ref)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        ids[node.id] = candidate
    return ids


def to_mermaid(network: Network) -> str:
    """Mermaid ``graph LR``; routine streams are bold boxes, change streams dashed hexagons."""
    ids = mermaid_ids(network)
    lines = ["graph LR"]
    if network.title:
        lines.append(f"  %% {' '.join(network.title.split())}")
    classes: dict[str, list[str]] = {
        "routine": [],
        "change": [],
        "role": [],
        "external": [],
        "center": [],
    }
    for node in network.nodes:
        text, nid = _mq(_node_text(node)), ids[node.id]
        if node.kind == NodeKind.STREAM:
            change = node.stream_kind == Kind.CHANGE.value
            lines.append(f"  {nid}{{{{{text}}}}}" if change else f"  {nid}[[{text}]]")
            classes["change" if change else "routine"].append(nid)
        elif node.kind == NodeKind.MEMBER:
            lines.append(f"  {nid}({text})")
        elif node.kind == NodeKind.ROLE:
            lines.append(f"  {nid}>{text}]")
            classes["role"].append(nid)
        else:
            lines.append(f"  {nid}[/{text}/]")
            classes["external"].append(nid)
        if node.id == network.center:
            classes["center"].append(nid)
    for e in network.edges:
        arrow = _MERMAID_ARROW.get(EdgeKind(e.kind), "-->")
        lines.append(f"  {ids[e.source]} {arrow}|{_mq(e.label)}| {ids[e.target]}")
    lines += [
        "  classDef routine fill:#dbe9f6,stroke:#1f4e79,stroke-width:3px",
        "  classDef change fill:#fde2c8,stroke:#b35900,stroke-dasharray:5 5",
        "  classDef role fill:#f4f4f4,stroke:#888888",
        "  classDef external fill:#eeeeee,stroke:#666666",
        "  classDef center stroke:#000000,stroke-width:4px",
    ]
    lines += [f"  class {','.join(members)} {name}" for name, members in classes.items() if members]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- SVG and files


def to_svg(network: Network) -> bytes:
    """SVG drawn by Graphviz's ``dot``. Raises GraphvizMissing when ``dot`` is not on the
    PATH, BoardError when it fails or takes longer than DOT_TIMEOUT_SECONDS."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing()
    try:
        done = subprocess.run(
            [exe, "-Tsvg"],
            input=to_dot(network).encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BoardError(
            f"Graphviz's dot took longer than {DOT_TIMEOUT_SECONDS} s; "
            "use --format dot, or draw one person's network (--me)"
        ) from None
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BoardError(f"Graphviz's dot failed: {reason[0] if reason else done.returncode}")
    return done.stdout


def render(network: Network, fmt: str, width: int = 100) -> bytes:
    """The network in ``fmt`` (one of FORMATS) as bytes (text formats in UTF-8)."""
    if fmt == "svg":
        return to_svg(network)
    if fmt == "dot":
        return to_dot(network).encode("utf-8")
    if fmt == "mermaid":
        return to_mermaid(network).encode("utf-8")
    if fmt == "ascii":
        return to_ascii(network, width).encode("utf-8")
    raise InvalidInput(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
