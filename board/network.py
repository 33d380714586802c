"""The organization as a value network: a graph derived from the board, never stored.

Nodes are the current members, the streams (routine or change), the roles and the external
parties (customers, suppliers, partners). Edges say who *participates in* which stream, who
*holds* which role and which stream a role *serves*, which stream *serves* / *is supplied
by* / *partners with* which external party, who *committed to* whom (open commitments by
default) and who is *accountable to* whom (agreements in force). Archived items and
removed members are left out.

``build_network(service)`` reads the board; ``build_network_from(...)`` takes plain record
lists, so tests can hand-build boards. ``Network.around(member, depth)`` is one person's own
network; ``Network.health()`` points at gaps worth a conversation. The drawings (ASCII,
DOT, Mermaid, SVG) live in :mod:`board.network_render`.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from board.model import (
    OPEN_COMMITMENT,
    Agreement,
    AgreementStatus,
    Commitment,
    InvalidInput,
    Member,
    NotFound,
    PartyKind,
    Relation,
    Role,
    Stream,
)

if TYPE_CHECKING:
    from board.service import BoardService


class NodeKind(StrEnum):
    STREAM = "stream"
    MEMBER = "member"
    ROLE = "role"
    EXTERNAL = "external"


class EdgeKind(StrEnum):
    PARTICIPATES = "participates"  # member -> stream
    HOLDS = "holds"  # member -> role
    ROLE_OF = "role_of"  # role -> stream
    SERVES = "serves"  # stream -> customer
    SUPPLIED_BY = "supplied_by"  # stream -> supplier
    PARTNERS = "partners"  # stream -> partner
    COMMITTED = "committed"  # member -> member | stream | external party
    ACCOUNTABLE = "accountable"  # accountable member -> counterpart


EDGE_LABELS: dict[str, str] = {
    EdgeKind.PARTICIPATES: "participates in",
    EdgeKind.HOLDS: "holds role",
    EdgeKind.ROLE_OF: "serves",
    EdgeKind.SERVES: "serves",
    EdgeKind.SUPPLIED_BY: "is supplied by",
    EdgeKind.PARTNERS: "partners with",
    EdgeKind.COMMITTED: "committed to",
    EdgeKind.ACCOUNTABLE: "accountable to",
}
RELATION_EDGES: dict[str, EdgeKind] = {
    Relation.CUSTOMER: EdgeKind.SERVES,
    Relation.SUPPLIER: EdgeKind.SUPPLIED_BY,
    Relation.PARTNER: EdgeKind.PARTNERS,
}
STREAM_TO_PARTY = frozenset(RELATION_EDGES.values())
# An agreement under review still holds until it is retired.
IN_FORCE = frozenset({AgreementStatus.ACTIVE.value, AgreementStatus.UNDER_REVIEW.value})
OPEN = frozenset(s.value for s in OPEN_COMMITMENT)
_KIND_ORDER = {k: i for i, k in enumerate(NodeKind)}
_EDGE_ORDER = {k: i for i, k in enumerate(EdgeKind)}


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts "M2" before "M10" and ignores case."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", text.casefold())
        if part
    )


def member_key(member_id: str) -> str:
    return f"m:{member_id}"


def stream_key(stream_id: str) -> str:
    return f"s:{stream_id}"


def role_key(role_id: str) -> str:
    return f"r:{role_id}"


def external_key(name: str) -> str:
    """External parties are known only by name; the same name (any case) is one party."""
    return "x:" + " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Node:
    """One node; ``id`` is ``m:``/``s:``/``r:`` + the record id, or ``x:`` + the party name."""

    id: str
    kind: str
    label: str
    stream_kind: str = ""  # routine | change, for streams
    purpose: str = ""
    relations: tuple[str, ...] = ()  # customer / supplier / partner, for external parties

    @property
    def ref(self) -> str:
        """The board record id (members, streams, roles) or the party's name."""
        return self.id[2:]


@dataclass(frozen=True)
class Edge:
    """A directed relation; commitments and agreements carry their record id and title."""

    source: str
    target: str
    kind: str
    ref: str = ""
    title: str = ""
    status: str = ""

    @property
    def label(self) -> str:
        """The relation in words, e.g. ``committed to: Fix alerts (accepted)``."""
        text = EDGE_LABELS[self.kind]
        if self.title:
            text += f": {self.title}"
        if self.status and self.kind == EdgeKind.COMMITTED:
            text += f" ({self.status})"
        return text

    @property
    def is_open(self) -> bool:
        return self.kind == EdgeKind.COMMITTED and self.status in OPEN


@dataclass(frozen=True)
class Hint:
    """A health hint: ``code`` names the rule, ``nodes[0]`` is the node it is about."""

    code: str
    message: str
    nodes: tuple[str, ...]


class Network:
    """A value-network graph (or one person's part of it), nodes and edges in a stable order."""

    def __init__(
        self,
        nodes: Iterable[Node],
        edges: Iterable[Edge],
        title: str = "",
        center: str = "",
        parent: Network | None = None,
    ) -> None:
        ordered = sorted(
            nodes, key=lambda n: (_KIND_ORDER[NodeKind(n.kind)], natural_key(n.label), n.id)
        )
        self._nodes: dict[str, Node] = {n.id: n for n in ordered}
        rank = {node_id: i for i, node_id in enumerate(self._nodes)}
        unique = {
            (e.source, e.target, e.kind, e.ref): e
            for e in edges
            if e.source in self._nodes and e.target in self._nodes
        }
        self.edges: tuple[Edge, ...] = tuple(
            sorted(
                unique.values(),
                key=lambda e: (
                    _EDGE_ORDER[EdgeKind(e.kind)],
                    rank[e.source],
                    rank[e.target],
                    e.title,
                    e.ref,
                ),
            )
        )
        self.title = title
        self.center = center
        self._parent = parent
        self._out: dict[str, list[Edge]] = defaultdict(list)
        self._in: dict[str, list[Edge]] = defaultdict(list)
        for e in self.edges:
            self._out[e.source].append(e)
            self._in[e.target].append(e)

    # ------------------------------------------------------------------ lookups
    @property
    def is_whole(self) -> bool:
        """False for one person's part of a network (from ``around``)."""
        return self._parent is None

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(self._nodes.values())

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise NotFound(f"no node {node_id!r} in the network") from None

    def of_kind(self, kind: str) -> list[Node]:
        return [n for n in self._nodes.values() if n.kind == kind]

    def edges_from(self, node_id: str, kind: str | None = None) -> list[Edge]:
        return [e for e in self._out.get(node_id, ()) if kind is None or e.kind == kind]

    def edges_to(self, node_id: str, kind: str | None = None) -> list[Edge]:
        return [e for e in self._in.get(node_id, ()) if kind is None or e.kind == kind]

    def label(self, node_id: str) -> str:
        return self.node(node_id).label

    def streams_of(self, member: str) -> list[str]:
        """Streams a member takes part in, directly or through a role that serves one."""
        direct = [e.target for e in self.edges_from(member, EdgeKind.PARTICIPATES)]
        via_roles = [
            r.target
            for h in self.edges_from(member, EdgeKind.HOLDS)
            for r in self.edges_from(h.target, EdgeKind.ROLE_OF)
        ]
        return list(dict.fromkeys(direct + via_roles))

    # ------------------------------------------------------------------ one person's network
    def around(self, member_id: str, depth: int = 1) -> Network:
        """The part of the network ``member_id`` (a member id or ``m:`` key) is part of.

        Depth 1: their streams (each with its people and external parties), roles,
        commitments made and received, and agreements. Each further level adds the same for
        every person reached one level before. Raises NotFound for someone who is not a
        current member, InvalidInput for a depth below 1."""
        if self._parent is not None:  # widen within the whole network, not within a part
            return self._parent.around(member_id, depth)
        start = member_id if member_id.startswith("m:") else member_key(member_id)
        if start not in self._nodes or self._nodes[start].kind != NodeKind.MEMBER:
            raise NotFound(f"{member_id} is not a current member of the team")
        if depth < 1:
            raise InvalidInput(f"the depth must be at least 1, not {depth}")
        kept: dict[tuple[str, str, str, str], Edge] = {}
        expanded: set[str] = set()
        frontier = [start]
        for _ in range(depth):
            reached: set[str] = set()
            for person in frontier:
                expanded.add(person)
                for e in self._ego(person):
                    kept[(e.source, e.target, e.kind, e.ref)] = e
                    reached.update((e.source, e.target))
            frontier = sorted(
                n for n in reached - expanded if self._nodes[n].kind == NodeKind.MEMBER
            )
            if not frontier:
                break
        ids = {start} | {e.source for e in kept.values()} | {e.target for e in kept.values()}
        name = self._nodes[start].label
        return Network(
            (self._nodes[i] for i in ids),
            kept.values(),
            title=f"{name}'s network (depth {depth})",
            center=start,
            parent=self,
        )

    def _ego(self, person: str) -> list[Edge]:
        """Edges of one person, plus the hubs of their streams (people and parties)."""
        edges = [*self.edges_from(person), *self.edges_to(person)]
        for held in self.edges_from(person, EdgeKind.HOLDS):
            edges += self.edges_from(held.target, EdgeKind.ROLE_OF)
        for stream in self.streams_of(person):
            edges += self.edges_to(stream, EdgeKind.PARTICIPATES)
            edges += [e for e in self.edges_from(stream) if e.kind in STREAM_TO_PARTY]
        return edges

    # ------------------------------------------------------------------ health
    def health(self, overload_factor: float = 2.0, overload_margin: int = 3) -> list[Hint]:
        """Gaps worth a conversation, in rule order: members in no stream, streams with no
        customer, open commitments to parties no stream is attached to, and people carrying
        more than ``overload_factor`` × the team's median of open commitments (and at least
        ``overload_margin`` more). A person's network shows the whole team's hints about its
        own nodes (the median stays the team's)."""
        if self._parent is not None:
            return [
                h
                for h in self._parent.health(overload_factor, overload_margin)
                if h.nodes[0] in self._nodes
            ]
        hints: list[Hint] = []
        members = self.of_kind(NodeKind.MEMBER)
        for m in members:
            if not self.streams_of(m.id):
                hints.append(Hint("no_stream", f"{m.label} takes part in no stream", (m.id,)))
        for s in self.of_kind(NodeKind.STREAM):
            if not self.edges_from(s.id, EdgeKind.SERVES):
                message = f"stream {s.label!r} has no customer: who is it for?"
                hints.append(Hint("no_customer", message, (s.id,)))
        for x in self.of_kind(NodeKind.EXTERNAL):
            attached = any(e.kind in STREAM_TO_PARTY for e in self.edges_to(x.id))
            promised = [e for e in self.edges_to(x.id, EdgeKind.COMMITTED) if e.is_open]
            if promised and not attached:
                n = len(promised)
                hints.append(
                    Hint(
                        "unattached_party",
                        f"{n} open commitment{'s' if n != 1 else ''} go{'es' if n == 1 else ''} to "
                        f"{x.label!r}, which is not a customer, supplier or partner of any stream",
                        (x.id, *dict.fromkeys(e.source for e in promised)),
                    )
                )
        carried = Counter(e.source for e in self.edges if e.is_open)
        if members:
            median = statistics.median(carried[m.id] for m in members)
            for m in members:
                count = carried[m.id]
                if count > overload_factor * median and count >= median + overload_margin:
                    hints.append(
                        Hint(
                            "overloaded",
                            f"{m.label} carries {count} open commitments; "
                            f"the team's median is {median:g}",
                            (m.id,),
                        )
                    )
        return hints


def build_network_from(
    members: Iterable[Member],
    streams: Iterable[Stream] = (),
    roles: Iterable[Role] = (),
    commitments: Iterable[Commitment] = (),
    agreements: Iterable[Agreement] = (),
    *,
    include_closed: bool = False,
    title: str = "Value network",
) -> Network:
    """The network of plain records (pure: no board needed). Removed members and archived
    items are skipped, and so is every edge to them; commitments that are done, declined
    or dropped only with ``include_closed``; agreements only while in force (active or
    under review, including a draft whose every party has consented)."""
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    for m in members:
        if m.active and not m.archived:
            nodes[member_key(m.id)] = Node(member_key(m.id), NodeKind.MEMBER, m.name or m.id)
    relations: dict[str, dict[str, None]] = defaultdict(dict)
    party_names: dict[str, str] = {}

    def party(name: str) -> str:
        key = external_key(name)
        party_names.setdefault(key, " ".join(name.split()))
        return key

    for s in streams:
        if s.archived:
            continue
        key = stream_key(s.id)
        nodes[key] = Node(
            key, NodeKind.STREAM, s.title or s.id, stream_kind=s.kind, purpose=s.purpose
        )
        edges += [Edge(member_key(m), key, EdgeKind.PARTICIPATES) for m in s.members]
        for ext in s.externals:
            name, relation = str(ext.get("name", "")).strip(), str(ext.get("relation", ""))
            if name and relation in RELATION_EDGES:
                x = party(name)
                relations[x][relation] = None
                edges.append(Edge(key, x, RELATION_EDGES[relation]))
    for r in roles:
        if r.archived:
            continue
        key = role_key(r.id)
        nodes[key] = Node(key, NodeKind.ROLE, r.title or r.id, purpose=r.purpose)
        edges += [Edge(member_key(h), key, EdgeKind.HOLDS) for h in r.holders]
        if r.stream:
            edges.append(Edge(key, stream_key(r.stream), EdgeKind.ROLE_OF))
    for c in commitments:
        if c.archived or not (include_closed or c.status in OPEN) or member_key(c.by) not in nodes:
            continue
        if c.to_kind == PartyKind.EXTERNAL:
            if not c.to.strip():
                continue
            target = party(c.to)
        elif c.to_kind == PartyKind.STREAM:
            target = stream_key(c.to)
        else:
            target = member_key(c.to)
        edges.append(Edge(member_key(c.by), target, EdgeKind.COMMITTED, c.id, c.title, c.status))
    for a in agreements:
        if a.archived or a.effective_status not in IN_FORCE:
            continue
        edges += [
            Edge(member_key(a.accountable), member_key(cp), EdgeKind.ACCOUNTABLE, a.id, a.title)
            for cp in a.counterparts
            if cp != a.accountable
        ]
    for key, name in party_names.items():
        order = [r.value for r in Relation if r.value in relations[key]]
        nodes[key] = Node(key, NodeKind.EXTERNAL, name, relations=tuple(order))
    return Network(nodes.values(), edges, title=title)


def build_network(service: BoardService, *, include_closed: bool = False) -> Network:
    """The value network of the board ``service`` works on (see ``build_network_from``)."""
    return build_network_from(
        service.members(),
        service.list("streams"),  # type: ignore[arg-type]
        service.list("roles"),  # type: ignore[arg-type]
        service.list("commitments"),  # type: ignore[arg-type]
        service.list("agreements"),  # type: ignore[arg-type]
        include_closed=include_closed,
        title=f"Value network of {service.team().name}",
    )
