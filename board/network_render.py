"""Drawings of a value network (:mod:`board.network`): plain-text ASCII, Graphviz DOT,
Mermaid and SVG (through Graphviz's ``dot`` program).

Every rendering is deterministic: the same board gives byte-identical output, so drawings
can be diffed and kept in version control. Routine and change streams look different in
each of them (ASCII: ``[R]`` in a ═ box vs ``[C]`` in a ─ box; DOT and Mermaid: bold vs
dashed outlines and colours).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from collections import Counter
from collections.abc import Iterable

from board.model import BoardError, InvalidInput, Kind
from board.network import EdgeKind, Network, Node, NodeKind, STREAM_TO_PARTY

MIN_WIDTH = 40
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

_BOXES = {  # top-left, horizontal, top-right, vertical, bottom-left, bottom-right
    "routine": "╔═╗║╚╝",
    "change": "┌─┐│└┘",
    "outside": "╭┄╮┆╰╯",
}
_MARKER = {Kind.ROUTINE.value: "[R]", Kind.CHANGE.value: "[C]"}
_PARTY_ROWS = ((EdgeKind.SERVES, "customers"), (EdgeKind.SUPPLIED_BY, "suppliers"),
               (EdgeKind.PARTNERS, "partners"))

Row = tuple[str, list[str], bool]  # label, items, joined (True: "a, b, c"; False: one per line)


def to_ascii(network: Network, width: int = 100) -> str:
    """Plain text: a summary, one box per stream (its external parties, people, roles and
    the commitments made to it), a box for what is outside any stream, then commitments,
    agreements and health hints. No line is longer than ``width`` (at least 40)."""
    if width < MIN_WIDTH:
        raise InvalidInput(f"the width must be at least {MIN_WIDTH} columns, not {width}")
    out = _wrap(network.title or "Value network", width)
    out.append("═" * min(width, max(len(line) for line in out)))
    out += _wrap(_summary(network), width)
    legend = ("═ [R] routine stream · ─ [C] change stream · → committed to · "
              "⇒ accountable to")
    out += _wrap(legend + (" · ★ whose network this is" if network.center else ""), width)
    for stream in network.of_kind(NodeKind.STREAM):
        out.append("")
        out += _stream_box(network, stream, width)
    outside = _outside_box(network, width)
    if outside:
        out += ["", *outside]
    out += _commitments(network, width)
    out += _agreements(network, width)
    hints = network.health()
    if hints:
        out += ["", "Health hints"]  # shorter than MIN_WIDTH
        for hint in hints:
            out += _wrap(hint.message, width, "  ! ", "    ")
    return "\n".join(out) + "\n"


def _name(network: Network, node_id: str) -> str:
    return network.label(node_id) + (" ★" if node_id == network.center else "")


def _summary(network: Network) -> str:
    counts = Counter(n.kind for n in network.nodes)
    kinds = Counter(n.stream_kind for n in network.of_kind(NodeKind.STREAM))
    edges = Counter(e.kind for e in network.edges)
    agreements = len({e.ref for e in network.edges if e.kind == EdgeKind.ACCOUNTABLE})
    return " · ".join([
        _count(counts[NodeKind.MEMBER], "person", "people"),
        _count(counts[NodeKind.STREAM], "stream")
        + f" ({kinds[Kind.ROUTINE.value]} routine, {kinds[Kind.CHANGE.value]} change)",
        _count(counts[NodeKind.ROLE], "role"),
        _count(counts[NodeKind.EXTERNAL], "external party", "external parties"),
        _count(edges[EdgeKind.COMMITTED], "commitment"),
        _count(agreements, "agreement"),
    ])


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _stream_box(network: Network, stream: Node, width: int) -> list[str]:
    rows: list[Row] = []
    if stream.purpose:
        rows.append(("purpose", [stream.purpose], False))
    for kind, label in _PARTY_ROWS:
        parties = [_name(network, e.target) for e in network.edges_from(stream.id, kind)]
        if parties:
            rows.append((label, parties, True))
    people = [_name(network, e.source) for e in network.edges_to(stream.id, EdgeKind.PARTICIPATES)]
    rows.append(("people", people or ["—"], True))
    roles = [
        network.label(e.source) + _holders(network, e.source)
        for e in network.edges_to(stream.id, EdgeKind.ROLE_OF)
    ]
    if roles:
        rows.append(("roles", roles, True))
    promised = [f"{_name(network, e.source)}: {e.title} ({e.status})"
                for e in network.edges_to(stream.id, EdgeKind.COMMITTED)]
    if promised:
        rows.append(("promised", promised, False))
    style = stream.stream_kind if stream.stream_kind in _BOXES else "routine"
    title = f"{_MARKER.get(stream.stream_kind, '[?]')} {_name(network, stream.id)}"
    return _box(title, rows, width, style)


def _holders(network: Network, role: str) -> str:
    holders = [_name(network, e.source) for e in network.edges_to(role, EdgeKind.HOLDS)]
    return f" ({', '.join(holders)})" if holders else " (nobody)"


def _outside_box(network: Network, width: int) -> list[str]:
    rows: list[Row] = []
    people = [_name(network, m.id) for m in network.of_kind(NodeKind.MEMBER)
              if not network.streams_of(m.id)]
    roles = [r.label + _holders(network, r.id) for r in network.of_kind(NodeKind.ROLE)
             if not network.edges_from(r.id, EdgeKind.ROLE_OF)]
    parties = [x.label for x in network.of_kind(NodeKind.EXTERNAL)
               if not any(e.kind in STREAM_TO_PARTY for e in network.edges_to(x.id))]
    for label, items in (("people", people), ("roles", roles), ("parties", parties)):
        if items:
            rows.append((label, items, True))
    title = "Outside any stream" if network.is_whole else "Outside the streams shown"
    return _box(title, rows, width, "outside") if rows else []


def _commitments(network: Network, width: int) -> list[str]:
    edges = [e for e in network.edges if e.kind == EdgeKind.COMMITTED]
    if not edges:
        return []
    out = ["", *_wrap("Commitments (who → to whom: what, status)", width)]
    maker = ""
    for e in edges:  # grouped by maker: the network orders edges by kind, then source
        if e.source != maker:
            maker = e.source
            out += _wrap(_name(network, maker), width, "  ", "  ")
        entry = f"→ {_name(network, e.target)}: {e.title} ({e.status})"
        out += _wrap(entry, width, "    ", "      ")
    return out


def _agreements(network: Network, width: int) -> list[str]:
    groups: dict[str, list[str]] = {}
    first: dict[str, tuple[str, str]] = {}
    for e in network.edges:
        if e.kind == EdgeKind.ACCOUNTABLE:
            groups.setdefault(e.ref, []).append(_name(network, e.target))
            first.setdefault(e.ref, (e.source, e.title))
    if not groups:
        return []
    out = ["", *_wrap("Agreements (accountable ⇒ counterparts: what)", width)]
    for ref, counterparts in groups.items():
        source, title = first[ref]
        out += _wrap(f"{_name(network, source)} ⇒ {', '.join(counterparts)}: {title}", width,
                     "  ", "    ")
    return out


def _box(title: str, rows: list[Row], width: int, style: str) -> list[str]:
    """A box at most ``width`` wide: a label column, then items wrapped without splitting
    a name unless it alone is wider than the box."""
    tl, h, tr, v, bl, br = _BOXES[style]
    label_w = max((len(label) for label, _, _ in rows if label), default=0)
    label_w = label_w + 2 if label_w else 0
    natural = max([len(title) + 6] + [
        label_w + (len(", ".join(items)) if joined else max(len(i) for i in items)) + 4
        for _, items, joined in rows
    ])
    box_w = min(width, natural)
    inner = box_w - 4
    title = _clip(title, box_w - 6)
    lines = [f"{tl}{h} {title} {h * (box_w - len(title) - 5)}{tr}"]
    for label, items, joined in rows:
        text_w = inner - label_w
        wrapped = _pack(items, text_w) if joined else [
            line for item in items for line in _wrap(item, text_w, "", "  ")]
        for i, line in enumerate(wrapped):
            head = (label if i == 0 else "").ljust(label_w)
            lines.append(f"{v} {(head + line).ljust(inner)} {v}")
    lines.append(f"{bl}{h * (box_w - 2)}{br}")
    return lines


def _pack(items: Iterable[str], width: int, sep: str = ", ") -> list[str]:
    """Greedy line filling that keeps each item whole where it fits on a line; a line that
    continues on the next ends with the separator."""
    items = list(items)
    tail = sep.rstrip()
    lines: list[str] = []
    current = ""
    for i, item in enumerate(items):
        room = width - (len(tail) if i < len(items) - 1 else 0)
        piece = item if not current else current + sep + item
        if len(piece) <= room:
            current = piece
            continue
        if current:
            lines.append(current + tail)
        while len(item) > room:
            lines.append(item[:width])
            item = item[width:]
        current = item
    if current or not lines:
        lines.append(current)
    return lines


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    return textwrap.wrap(" ".join(text.split()) or "—", width, initial_indent=first,
                         subsequent_indent=rest, break_on_hyphens=False) or [first.rstrip()]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


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
        return f"{_MARKER.get(node.stream_kind, '[?]')} {node.label}"
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
        style = (_DOT_STREAM.get(node.stream_kind, _DOT_STREAM[Kind.ROUTINE.value])
                 if node.kind == NodeKind.STREAM else _DOT_NODE[NodeKind(node.kind)])
        center = ", penwidth=3" if node.id == network.center else ""
        lines.append(f"  {_dq(node.id)} [label={_dq(_node_text(node))}, {style}{center}];")
    for e in network.edges:
        extra = _DOT_EDGE.get(EdgeKind(e.kind), "")
        lines.append(f"  {_dq(e.source)} -> {_dq(e.target)} [label={_dq(e.label)}"
                     + (f", {extra}" if extra else "") + "];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- Mermaid

_MERMAID_PREFIX = {NodeKind.MEMBER: "m", NodeKind.STREAM: "s", NodeKind.ROLE: "r",
                   NodeKind.EXTERNAL: "p"}  # never "o" or "x": `--x` / `--o` are arrow heads
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
    classes: dict[str, list[str]] = {"routine": [], "change": [], "role": [], "external": [],
                                     "center": []}
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
        done = subprocess.run([exe, "-Tsvg"], input=to_dot(network).encode("utf-8"),
                              capture_output=True, timeout=DOT_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise BoardError(f"Graphviz's dot took longer than {DOT_TIMEOUT_SECONDS} s; "
                         "use --format dot, or draw one person's network (--me)") from None
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
