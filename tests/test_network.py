"""The organization as a value network (issue 6): the graph derived from the board, one
person's network, health hints, and the ASCII / DOT / Mermaid / SVG drawings.

Boards are hand-built from plain records (fixed ids) so the rules can be tested just
inside and just outside each one; the DOT, Mermaid and ASCII drawings of a small board are
golden files (rerun with UPDATE_GOLDEN=1 to accept a deliberate change).
"""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from board.demo import build_demo
from board.export import write_atomically
from board.model import Agreement, Commitment, InvalidInput, Member, NotFound, Role, Stream
from board.network import (
    EdgeKind,
    Network,
    NodeKind,
    build_network,
    build_network_from,
    external_key,
    member_key,
    role_key,
    stream_key,
)
from board.network_render import (
    GraphvizMissing,
    mermaid_ids,
    to_ascii,
    to_dot,
    to_mermaid,
    to_svg,
)
from board.workspace import Workspace
from sync.identity import Identity

from .conftest import Cli, Clock

GOLDEN = Path(__file__).parent / "golden"
HAS_DOT = shutil.which("dot") is not None


# ----------------------------------------------------------------------------- hand-built boards


def person(mid: str, name: str, removed: bool = False) -> Member:
    return Member(id=mid, name=name, removed_at="2026-03-01T00:00:00.000Z" if removed else "")


def stream(
    sid: str,
    title: str,
    kind: str = "routine",
    members: tuple[str, ...] = (),
    customers: tuple[str, ...] = (),
    suppliers: tuple[str, ...] = (),
    partners: tuple[str, ...] = (),
    archived: bool = False,
    purpose: str = "",
) -> Stream:
    externals = (
        [{"name": n, "relation": "customer"} for n in customers]
        + [{"name": n, "relation": "supplier"} for n in suppliers]
        + [{"name": n, "relation": "partner"} for n in partners]
    )
    return Stream(
        id=sid,
        title=title,
        kind=kind,
        members=list(members),
        externals=externals,
        archived=archived,
        purpose=purpose,
    )


def role(
    rid: str, title: str, stream_id: str = "", holders: tuple[str, ...] = (), archived: bool = False
) -> Role:
    return Role(id=rid, title=title, stream=stream_id, holders=list(holders), archived=archived)


def promise(
    cid: str,
    title: str,
    by: str,
    to: str,
    to_kind: str = "member",
    status: str = "accepted",
    archived: bool = False,
) -> Commitment:
    return Commitment(
        id=cid, title=title, by=by, to=to, to_kind=to_kind, status=status, archived=archived
    )


def agreement(
    aid: str,
    title: str,
    accountable: str,
    counterparts: tuple[str, ...],
    status: str = "active",
    consented: tuple[str, ...] | None = None,
    archived: bool = False,
) -> Agreement:
    parties = consented if consented is not None else (accountable, *counterparts)
    return Agreement(
        id=aid,
        title=title,
        accountable=accountable,
        counterparts=list(counterparts),
        status=status,
        consents={p: "2026-03-01T00:00:00.000Z" for p in parties},
        archived=archived,
    )


def small_board(**options: bool) -> Network:
    """Five people (one removed), a routine and a change stream (and an archived one), two
    roles, commitments of every kind of party, and agreements active and draft."""
    return build_network_from(
        [
            person("ana", "Ana"),
            person("ben", "Ben"),
            person("chen", "Chen"),
            person("dara", "Dara", removed=True),
            person("eve", "Eve"),
        ],
        [
            stream(
                "s1",
                "Support & operations",
                "routine",
                ("ana", "ben", "dara"),
                customers=("Riverside Clinic",),
                suppliers=("CloudHost",),
                purpose="Keep the clinic's systems running",
            ),
            stream(
                "s2",
                "Billing integration",
                "change",
                ("chen", "ana"),
                suppliers=('PayBridge "EU" #2 <beta>',),
                partners=("Design Guild",),
            ),
            stream("s3", "Old pilot", "change", ("ben",), customers=("Gone Corp",), archived=True),
        ],
        [
            role("r1", "On-call lead", "s1", ("ben",)),
            role("r2", "Facilitator", "", ("ana",)),
            role("r3", "Archived role", "s1", ("chen",), archived=True),
        ],
        [
            promise("k1", "Set up uptime alerts", "ben", "ana"),
            promise("k2", "Send the pilot report", "chen", "Acme Labs", "external", "proposed"),
            promise("k3", "Write the billing FAQ", "ana", "s2", "stream", "in_progress"),
            promise("k4", "Old done promise", "ben", "ana", status="done"),
            promise("k5", "Hand over the pager", "dara", "ana"),
            promise("k6", "Archived promise", "ana", "ben", archived=True),
        ],
        [
            agreement("g1", "On-call handover every Monday", "ana", ("ben", "chen")),
            agreement("g2", "Design notes", "chen", ("ana",), status="draft", consented=("chen",)),
        ],
        title="Value network of Orbit",
        **options,
    )


def edge_set(net: Network, kind: str) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in net.edges if e.kind == kind}


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 accepts)"


# ----------------------------------------------------------------------------- the graph


def test_an_empty_board_has_an_empty_network_and_no_hints() -> None:
    net = build_network_from([])
    assert net.nodes == () and net.edges == () and net.health() == []
    assert "0 people" in to_ascii(net, 60)
    assert to_dot(net).rstrip().endswith("}") and to_mermaid(net).startswith("graph LR\n")


def test_the_graph_has_every_kind_of_node_and_edge() -> None:
    net = small_board()
    kinds = {k: {n.label for n in net.of_kind(k)} for k in NodeKind}
    assert kinds[NodeKind.MEMBER] == {"Ana", "Ben", "Chen", "Eve"}
    assert kinds[NodeKind.STREAM] == {"Support & operations", "Billing integration"}
    assert kinds[NodeKind.ROLE] == {"On-call lead", "Facilitator"}
    assert kinds[NodeKind.EXTERNAL] == {
        "Riverside Clinic",
        "CloudHost",
        'PayBridge "EU" #2 <beta>',
        "Design Guild",
        "Acme Labs",
    }
    assert net.node(stream_key("s2")).stream_kind == "change"
    assert edge_set(net, EdgeKind.PARTICIPATES) == {
        (member_key("ana"), stream_key("s1")),
        (member_key("ben"), stream_key("s1")),
        (member_key("chen"), stream_key("s2")),
        (member_key("ana"), stream_key("s2")),
    }
    assert edge_set(net, EdgeKind.HOLDS) == {
        (member_key("ben"), role_key("r1")),
        (member_key("ana"), role_key("r2")),
    }
    assert edge_set(net, EdgeKind.ROLE_OF) == {(role_key("r1"), stream_key("s1"))}
    assert edge_set(net, EdgeKind.SERVES) == {(stream_key("s1"), external_key("Riverside Clinic"))}
    assert edge_set(net, EdgeKind.SUPPLIED_BY) == {
        (stream_key("s1"), external_key("CloudHost")),
        (stream_key("s2"), external_key('PayBridge "EU" #2 <beta>')),
    }
    assert edge_set(net, EdgeKind.PARTNERS) == {(stream_key("s2"), external_key("Design Guild"))}
    committed = {
        e.ref: (e.source, e.target, e.status) for e in net.edges if e.kind == EdgeKind.COMMITTED
    }
    assert committed == {
        "k1": (member_key("ben"), member_key("ana"), "accepted"),
        "k2": (member_key("chen"), external_key("Acme Labs"), "proposed"),
        "k3": (member_key("ana"), stream_key("s2"), "in_progress"),
    }
    assert edge_set(net, EdgeKind.ACCOUNTABLE) == {
        (member_key("ana"), member_key("ben")),
        (member_key("ana"), member_key("chen")),
    }


def test_a_member_in_several_streams_has_an_edge_to_each() -> None:
    net = small_board()
    assert net.streams_of(member_key("ana")) == [stream_key("s2"), stream_key("s1")]
    assert net.streams_of(member_key("eve")) == []


def test_a_removed_member_and_everything_of_theirs_is_left_out() -> None:
    net = small_board()
    assert member_key("dara") not in net
    assert not any("dara" in (e.source + e.target) for e in net.edges)
    assert "k5" not in {e.ref for e in net.edges}  # Dara's promise to Ana
    to_removed = build_network_from(
        [person("ana", "Ana"), person("dara", "Dara", removed=True)],
        commitments=[promise("k", "Notes", "ana", "dara")],
        agreements=[agreement("g", "Weekly", "ana", ("dara",))],
    )
    assert to_removed.edges == ()


def test_archived_items_are_left_out_with_their_edges_and_parties() -> None:
    net = small_board()
    assert stream_key("s3") not in net and role_key("r3") not in net
    assert external_key("Gone Corp") not in net  # only the archived stream named it
    assert "k6" not in {e.ref for e in net.edges}
    archived_agreement = build_network_from(
        [person("a", "A"), person("b", "B")],
        agreements=[agreement("g", "Weekly", "a", ("b",), archived=True)],
    )
    assert archived_agreement.edges == ()


def test_commitments_to_external_parties_share_the_party_with_streams() -> None:
    net = build_network_from(
        [person("a", "Ana")],
        [stream("s", "Ops", members=("a",), customers=("Riverside Clinic",))],
        commitments=[
            promise("k1", "Report", "a", "riverside  CLINIC", "external"),
            promise("k2", "Quote", "a", "Acme", "external"),
        ],
    )
    parties = {n.id: n for n in net.of_kind(NodeKind.EXTERNAL)}
    assert set(parties) == {external_key("Riverside Clinic"), external_key("Acme")}
    assert parties[external_key("Riverside Clinic")].label == "Riverside Clinic"
    assert parties[external_key("Riverside Clinic")].relations == ("customer",)
    assert parties[external_key("Acme")].relations == ()
    assert len(net.edges_to(external_key("Riverside Clinic"), EdgeKind.COMMITTED)) == 1


@pytest.mark.parametrize(
    "status, consented, drawn",
    [
        ("draft", ("a",), False),  # still waiting for b
        ("draft", ("a", "b"), True),  # every party consented: in force even before the status moved
        ("active", ("a", "b"), True),
        ("under_review", ("a", "b"), True),
        ("retired", ("a", "b"), False),
    ],
)
def test_agreements_are_drawn_only_while_in_force(
    status: str, consented: tuple[str, ...], drawn: bool
) -> None:
    net = build_network_from(
        [person("a", "A"), person("b", "B")],
        agreements=[agreement("g", "Weekly", "a", ("b",), status, consented)],
    )
    assert bool(edge_set(net, EdgeKind.ACCOUNTABLE)) is drawn


def test_closed_commitments_are_drawn_only_when_asked() -> None:
    open_only, everything = small_board(), small_board(include_closed=True)
    assert "k4" not in {e.ref for e in open_only.edges}
    assert {e.ref: e.status for e in everything.edges if e.ref == "k4"} == {"k4": "done"}


def test_the_network_does_not_depend_on_record_order() -> None:
    members = [person("b", "Ben"), person("a", "Ana")]
    streams = [stream("s2", "Two", members=("b",)), stream("s1", "One", members=("a", "b"))]
    one = build_network_from(members, streams)
    two = build_network_from(members[::-1], streams[::-1])
    assert to_dot(one) == to_dot(two) and to_mermaid(one) == to_mermaid(two)


def test_the_demo_board_as_a_network(tmp_path: Path) -> None:
    ws = build_demo(tmp_path / "demo", clock=Clock())
    try:
        s = ws.service
        net = build_network(s)
        ben = member_key(s.resolve_member("Ben"))
        assert len(net.of_kind(NodeKind.MEMBER)) == 6 and len(net.of_kind(NodeKind.ROLE)) == 4
        streams = {n.label: n.stream_kind for n in net.of_kind(NodeKind.STREAM)}
        assert streams == {
            "Support & operations": "routine",
            "Releases & quality": "routine",
            "Billing integration": "change",
            "Patient onboarding redesign": "change",
        }
        assert {n.label for n in net.of_kind(NodeKind.EXTERNAL)} == {
            "Riverside Clinic",
            "CloudHost",
            "PayBridge",
            "Design Guild",
            "Front desk staff",
        }
        assert {net.label(x) for x in net.streams_of(ben)} == {
            "Support & operations",
            "Releases & quality",
        }
        # done and declined commitments are left out; drafts missing a consent too
        assert len(edge_set(net, EdgeKind.COMMITTED)) == 6
        assert len(edge_set(build_network(s, include_closed=True), EdgeKind.COMMITTED)) == 8
        assert {e.title for e in net.edges if e.kind == EdgeKind.ACCOUNTABLE} == {
            "On-call handover every Monday",
            "PayBridge status every Thursday",
        }
        assert net.health() == []
        assert net.title == "Value network of Harbor Clinic Software"
    finally:
        ws.close()


# ----------------------------------------------------------------------------- one person's network


def chain_board() -> Network:
    """Ana and Ben in S1; Ben and Chen in S2; Chen promises Dara; Ana promises Acme."""
    return build_network_from(
        [person("a", "Ana"), person("b", "Ben"), person("c", "Chen"), person("d", "Dara")],
        [
            stream("s1", "S1", members=("a", "b"), customers=("Clinic",)),
            stream("s2", "S2", "change", members=("b", "c"), suppliers=("Host",)),
        ],
        [role("r1", "Lead", "s2", ("c",))],
        [promise("k1", "Quote", "a", "Acme", "external"), promise("k2", "Notes", "c", "d")],
    )


def test_around_depth_1_is_the_persons_streams_roles_commitments_and_agreements() -> None:
    net = chain_board().around("a", 1)
    assert {n.label for n in net.nodes} == {"Ana", "Ben", "S1", "Clinic", "Acme"}
    assert net.center == member_key("a") and net.title == "Ana's network (depth 1)"
    assert all(e.source in net and e.target in net for e in net.edges)


def test_around_depth_2_widens_to_the_people_one_hop_away_and_their_streams() -> None:
    net = chain_board().around("a", 2)
    assert {n.label for n in net.nodes} == {
        "Ana",
        "Ben",
        "Chen",
        "S1",
        "S2",
        "Clinic",
        "Acme",
        "Host",
    }
    assert "k2" not in {e.ref for e in net.edges}  # Chen's own promise is a third hop
    deeper = chain_board().around("a", 3)
    assert {"Dara", "Lead"} <= {n.label for n in deeper.nodes}
    assert "k2" in {e.ref for e in deeper.edges}


def test_around_refuses_strangers_removed_members_and_depth_0() -> None:
    net = small_board()
    with pytest.raises(NotFound):
        net.around("nobody")
    with pytest.raises(NotFound):
        net.around("dara")
    with pytest.raises(InvalidInput):
        net.around("ana", 0)


# ----------------------------------------------------------------------------- health hints


def hints(net: Network, code: str) -> list[str]:
    return [h.message for h in net.health() if h.code == code]


def test_hint_member_in_no_stream() -> None:
    net = build_network_from(
        [person("a", "Ana"), person("b", "Ben"), person("c", "Chen")],
        [stream("s", "Ops", members=("a",), customers=("Clinic",))],
        [role("r", "Lead", "s", ("b",)), role("f", "Facilitator", "", ("c",))],
    )
    # Ben is in the stream through a role that serves it; Chen's role serves no stream
    assert hints(net, "no_stream") == ["Chen takes part in no stream"]


def test_hint_stream_with_no_customer() -> None:
    net = build_network_from(
        [person("a", "Ana")],
        [
            stream("s1", "Served", members=("a",), customers=("Clinic",)),
            stream("s2", "Supplied only", members=("a",), suppliers=("Host",), partners=("Guild",)),
        ],
    )
    assert hints(net, "no_customer") == ["stream 'Supplied only' has no customer: who is it for?"]


def test_hint_open_commitments_to_a_party_outside_every_stream() -> None:
    net = build_network_from(
        [person("a", "Ana")],
        [stream("s", "Ops", members=("a",), customers=("Clinic",), partners=("Guild",))],
        commitments=[
            promise("k1", "Report", "a", "Clinic", "external"),
            promise("k2", "Sketch", "a", "Guild", "external"),
            promise("k3", "Quote", "a", "Acme", "external"),
            promise("k4", "Invoice", "a", "Acme", "external", "proposed"),
            promise("k5", "Old", "a", "Past Ltd", "external", "done"),
        ],
        include_closed=True,
    )
    assert hints(net, "unattached_party") == [
        (
            "2 open commitments go to 'Acme', which is not a customer, supplier or partner of any "
            "stream"
        )
    ]


@pytest.mark.parametrize(
    "counts, flagged",
    [
        ((1, 1, 1, 1, 3), False),  # median 1: 3 is more than twice the median but not 3 more
        ((1, 1, 1, 1, 4), True),
        ((2, 2, 2, 2, 4), False),  # median 2: 4 is 2 more, not more than twice
        ((2, 2, 2, 2, 5), True),
        ((0, 0, 0, 0, 2), False),  # median 0: fewer than 3 is not a load
        ((0, 0, 0, 0, 3), True),
    ],
)
def test_hint_person_carrying_far_more_open_commitments_than_the_median(
    counts: tuple[int, ...], flagged: bool
) -> None:
    people = [person(f"p{i}", f"P{i}") for i in range(len(counts))]
    promises = [
        promise(f"k{i}-{j}", f"Job {j}", f"p{i}", f"p{(i + 1) % len(counts)}")
        for i, n in enumerate(counts)
        for j in range(n)
    ]
    promises.append(promise("closed", "Closed", "p4", "p0", status="dropped"))  # never counted
    net = build_network_from(people, commitments=promises, include_closed=True)
    expected = [f"P4 carries {counts[-1]} open commitments; the team's median is {counts[0]}"]
    assert hints(net, "overloaded") == (expected if flagged else [])


def test_a_persons_network_shows_the_team_hints_about_its_own_nodes() -> None:
    net = small_board()
    assert {h.code for h in net.health()} == {"no_stream", "no_customer", "unattached_party"}
    ana = net.around("ana", 1)
    assert [h.code for h in ana.health()] == ["no_customer"]  # Billing; Eve and Acme are not hers
    assert [h.code for h in net.around("eve").health()] == ["no_stream"]


# ----------------------------------------------------------------------------- drawings


def test_dot_drawing_matches_the_golden_file() -> None:
    golden("network_small.dot", to_dot(small_board()))


def test_mermaid_drawing_matches_the_golden_file() -> None:
    golden("network_small.mmd", to_mermaid(small_board()))


def test_ascii_drawing_matches_the_golden_file() -> None:
    golden("network_small.txt", to_ascii(small_board(), 72))
    golden("network_around.txt", to_ascii(small_board().around("ben", 1), 60))


def test_routine_and_change_streams_look_different_in_every_drawing() -> None:
    net = small_board()
    text = to_ascii(net, 80)
    assert "╔═ [R] Support & operations" in text and "┌─ [C] Billing integration" in text
    dot = to_dot(net)
    assert re.search(r'"s:s1" \[label="\[R\] [^"]*".*style="rounded,filled,bold"', dot)
    assert re.search(r'"s:s2" \[label="\[C\] [^"]*".*style="rounded,filled,dashed"', dot)
    mermaid = to_mermaid(net)
    assert 's_s1[["[R] Support & operations"]]' in mermaid
    assert 's_s2{{"[C] Billing integration"}}' in mermaid


def test_mermaid_ids_are_sanitized_and_unique() -> None:
    net = build_network_from(
        [person("a.b-c", "Ana")],
        [
            stream(
                "s", "Ops", members=("a.b-c",), customers=("Acme Inc", "Acme-Inc", "end", "o ring")
            )
        ],
    )
    ids = mermaid_ids(net)
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", i) for i in ids.values())
    assert len(set(ids.values())) == len(ids)
    assert ids[member_key("a.b-c")] == "m_a_b_c"
    assert {ids[external_key("Acme Inc")], ids[external_key("Acme-Inc")]} == {
        "p_acme_inc",
        "p_acme_inc_2",
    }


def big_board(people: int = 200, streams: int = 15) -> Network:
    names = [
        f"{first} {last}"
        for first in ("Ana", "Ben", "Chen", "Dara", "Eli", "Farah", "Gus", "Hana", "Ivo", "Jun")
        for last in (
            "Abara",
            "Bauer",
            "Costa",
            "Dubois",
            "Ekwueme",
            "Fischer",
            "Garcia",
            "Haddad",
            "Ito",
            "Jensen",
            "Kowalczyk",
            "Lindqvist",
            "Moreau",
            "Nakamura",
            "Okafor",
            "Petrov",
            "Quispe",
            "Rossi",
            "Santos",
            "Tanaka",
        )
    ][:people]
    members = [person(f"m{i:03d}", name) for i, name in enumerate(names)]
    # every 13th person is in no stream; the rest in one stream, some in two
    groups = [
        [m.id for i, m in enumerate(members) if i % streams == s and i % 13] for s in range(streams)
    ]
    groups[0] += [m.id for m in members[:40:3]]
    return build_network_from(
        members,
        [
            stream(
                f"s{s:02d}",
                f"Work stream number {s} with a rather long title",
                "change" if s % 2 else "routine",
                tuple(g),
                customers=(f"Customer {s % 4}",),
                suppliers=(f"Supplier with a long name {s % 3}",),
            )
            for s, g in enumerate(groups)
        ],
        [role(f"r{s}", f"Steward {s}", f"s{s:02d}", tuple(g[:2])) for s, g in enumerate(groups)],
        [
            promise(f"k{i}", f"Promise number {i}", members[i].id, members[(i * 7 + 1) % people].id)
            for i in range(0, people, 2)
        ],
        [
            agreement(
                f"g{i}", f"Agreement {i}", members[i].id, (members[i + 1].id, members[i + 2].id)
            )
            for i in range(0, people - 2, 5)
        ],
    )


@pytest.mark.parametrize("width", [40, 80, 132])
def test_ascii_stays_within_the_width_and_names_everyone_at_200_members(width: int) -> None:
    net = big_board()
    text = to_ascii(net, width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    for m in net.of_kind(NodeKind.MEMBER):
        assert m.label in text, m.label
    assert "Outside any stream" in text and "takes part in no stream" in text


def test_ascii_wraps_names_longer_than_the_width() -> None:
    long_name = "Maximiliane " + "von und zu " * 12 + "Hohenlohe"
    net = build_network_from([person("a", long_name)], [stream("s", "X" * 90, members=("a",))])
    assert max(len(line) for line in to_ascii(net, 40).splitlines()) <= 40
    with pytest.raises(InvalidInput):
        to_ascii(net, 39)


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's `dot` is not installed (apt install graphviz)")
def test_svg_is_well_formed_and_names_the_nodes() -> None:
    svg = to_svg(small_board())
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"Ana", "[R] Support & operations", "[C] Billing integration", "On-call lead"} <= texts


def test_svg_without_graphviz_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(GraphvizMissing, match="apt install graphviz"):
        to_svg(small_board())


def test_write_atomically_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "net.svg"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.svg"]  # no temporary file left
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"


# ----------------------------------------------------------------------------- the command


def add_member(run: Cli, name: str) -> str:
    ws = Workspace.open(run.home)
    try:
        ident = Identity.generate()
        ws.service.add_member(ident.member_id, name, ident.cert_pem, invited_by=ws.service.me)
        return ident.member_id
    finally:
        ws.close()


def test_network_command_draws_the_whole_board_in_ascii(run: Cli) -> None:
    add_member(run, "Ben")
    run("add", "stream", "Platform", "--kind", "change", "--member", "Ana", "--customer", "Acme")
    run("add", "stream", "Support", "--member", "Ben", "--supplier", "Host")
    run("add", "commitment", "Fix alerts", "--to", "Ben")
    out = run("network", "--width", "70").stdout
    assert "Value network of Orbit" in out and "[C] Platform" in out and "[R] Support" in out
    assert "→ Ben: Fix alerts (proposed)" in out
    assert "stream 'Support' has no customer: who is it for?" in out
    assert max(len(line) for line in out.splitlines()) <= 70


def test_network_command_for_one_person(run: Cli) -> None:
    add_member(run, "Ben")
    add_member(run, "Chen")
    run("add", "stream", "Platform", "--member", "Ana", "--member", "Ben", "--customer", "Acme")
    run("add", "stream", "Billing", "--member", "Ben", "--member", "Chen", "--customer", "Clinic")
    mine = run("network", "--me").stdout
    assert "Ana's network (depth 1)" in mine and "Platform" in mine and "Billing" not in mine
    bens = run("network", "--member", "Ben", "--format", "mermaid").stdout
    assert bens.startswith("graph LR\n") and "Billing" in bens and "Platform" in bens
    wider = run("network", "--me", "--depth", "2", "--format", "dot").stdout
    assert "Ana's network (depth 2)" in wider and '"[R] Billing"' in wider and '"Chen"' in wider


def test_network_command_writes_files(run: Cli, tmp_path: Path) -> None:
    target = tmp_path / "net.dot"
    result = run("network", "--format", "dot", "-o", str(target))
    assert result.stdout == "" and f"wrote {target}" in result.stderr
    assert target.read_text().startswith("// teamboard value network")


@pytest.mark.parametrize(
    "args, message",
    [
        (("--me", "--member", "Ana"), "use either --me or --member, not both"),
        (("--depth", "2"), "--depth needs --me or --member"),
        (("--member", "Nobody"), "no member called 'Nobody'"),
        (("--width", "20"), "--width"),
        (("--format", "png"), "--format"),
    ],
)
def test_network_command_refuses_bad_usage(run: Cli, args: tuple[str, ...], message: str) -> None:
    result = run("network", *args, code=2)
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_network_command_refuses_a_removed_member(run: Cli) -> None:
    add_member(run, "Ben")
    run("member", "remove", "Ben")
    result = run("network", "--member", "Ben", code=2)
    assert result.stderr.strip() == "teamboard: error: Ben is no longer a member of the team"


def test_svg_without_graphviz_exits_1_and_writes_nothing(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    fresh, existing = tmp_path / "new.svg", tmp_path / "old.svg"
    existing.write_text("keep me")
    for target in (fresh, existing):
        result = run("network", "--format", "svg", "-o", str(target), code=1)
        assert result.stderr.strip() == (
            "teamboard: error: SVG needs Graphviz's `dot` program: install it with "
            "`apt install graphviz` / `brew install graphviz`, or use --format dot"
        )
    assert not fresh.exists() and existing.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["old.svg"]


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's `dot` is not installed (apt install graphviz)")
def test_network_command_draws_svg(run: Cli, tmp_path: Path) -> None:
    run("add", "stream", "Platform", "--member", "Ana", "--customer", "Acme")
    target = tmp_path / "net.svg"
    run("network", "--format", "svg", "-o", str(target))
    texts = {t.text for t in ET.parse(target).getroot().iter("{http://www.w3.org/2000/svg}text")}
    assert {"Ana", "[R] Platform", "Acme (customer)"} <= texts
