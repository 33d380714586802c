"""The shared text layout of the value network (what `teamboard network` prints and the
Network tab draws): stream hubs, marks that name the nodes, clustering, the home base."""

from __future__ import annotations

import textwrap

import pytest

from board.network import Network, build_network_from
from board.network_canvas import Marked, pack, piece, wrap
from board.network_home import draw_home_base
from board.network_layout import draw_network
from board.network_render import to_ascii

from .test_network import agreement, big_board, person, promise, role, small_board, stream


def hub_board() -> Network:
    return build_network_from(
        [person("a", "Ana"), person("b", "Ben")],
        [
            stream(
                "s1",
                "Platform",
                "routine",
                ("a", "b"),
                customers=("Clinic North", "Clinic South", "Front desk"),
                suppliers=("CloudHost", "PayBridge"),
                partners=("Design Guild", "Uni Lab"),
                purpose="Keep it running",
            )
        ],
    )


def test_a_stream_is_a_hub_suppliers_left_customers_right_partners_below() -> None:
    lines = to_ascii(hub_board(), 80).splitlines()
    top = next(i for i, line in enumerate(lines) if "[R] Platform" in line)
    assert lines[top].startswith("suppliers") and lines[top].endswith("customers")
    assert lines[top + 1].startswith("CloudHost ─") and "┬─▶║" in lines[top + 1]
    assert lines[top + 2].startswith("PayBridge ─") and "┘  ║" in lines[top + 2]
    assert lines[top + 1].endswith("║─┬──▶ Clinic North")
    assert lines[top + 2].endswith("║ ├──▶ Clinic South")
    assert lines[top + 3].endswith("║ └──▶ Front desk")
    bottom = next(i for i in range(top, len(lines)) if lines[i].lstrip().startswith("╚"))
    tee = lines[bottom].index("╤")
    assert lines[bottom + 1].index("╰┄ partners  Design Guild, Uni Lab") == tee
    # inside the box: purpose and people; the parties are outside it
    inside = [line for line in lines[top:bottom] if "║" in line]
    assert any("purpose  Keep it running" in line for line in inside)
    assert not any("customers  " in line for line in inside)


def test_narrow_drawings_keep_the_parties_inside_the_box() -> None:
    text = to_ascii(hub_board(), 50)
    assert "║ customers  Clinic North, Clinic South," in text
    assert "║ suppliers  CloudHost, PayBridge" in text
    assert max(len(line) for line in text.splitlines()) <= 50


@pytest.mark.parametrize("width", [40, 60, 80, 132, 200])
def test_every_mark_sits_on_the_name_it_names(width: int) -> None:
    net = big_board()
    for network in (net, net.around("m001", 2)):
        drawing = draw_network(network, width)
        assert max(len(line) for line in drawing.lines) <= width
        edges = {e.ref: e for e in network.edges if e.ref}
        names = [(line.text, m) for line in drawing.lines for m in line.marks if m.target]
        assert len(names) == len(drawing.spots)
        for text, spot in names:
            if spot.style == "hint":
                continue  # a hint's whole message leads to the node it is about
            shown = text[spot.start : spot.end]
            kind, _, ref = spot.target.partition(":")
            if kind == "c":
                whole = f"{edges[ref].title} ({edges[ref].status})"
            elif kind == "a":
                whole = edges[ref].title
            elif spot.target in network:
                whole = network.label(spot.target) + " ★"
            else:
                raise AssertionError(spot)
            assert shown.strip() and shown.removesuffix("…") in whole, (spot, shown, whole)


def test_every_node_can_be_reached_on_the_map() -> None:
    net = small_board()
    targets = {spot.target for spot in draw_network(net, 80).spots}
    assert {n.id for n in net.nodes} <= targets
    assert {"c:k1", "c:k2", "c:k3", "a:g1"} <= targets


def test_commitments_are_clustered_a_few_per_person() -> None:
    people = [person(f"p{i}", f"P{i}") for i in range(3)]
    promises = [promise(f"k{i}", f"Task {i}", "p0", "p1") for i in range(8)]
    promises.append(promise("k9", "Only one", "p2", "p0"))
    net = build_network_from(people, commitments=promises)
    drawing = draw_network(net, 80, per_maker=3)
    text = drawing.text
    assert "→ P1: Task 2 (accepted)" in text and "Task 3" not in text
    assert "… and 5 more by P0" in text
    assert "→ P0: Only one (accepted)" in text and "more by P2" not in text
    more = next(s for s in drawing.spots if "more" in drawing.lines[s.line].text)
    assert more.target == "m:p0"  # the "… more" line leads to the person
    assert "Task 7" in draw_network(net, 80).text  # the CLI shows them all


def test_the_hints_can_be_left_out_of_the_drawing() -> None:
    net = small_board()
    assert "Health hints" in draw_network(net, 80).text
    assert "Health hints" not in draw_network(net, 80, hints=False).text
    assert to_ascii(net, 80) == draw_network(net, 80).text


def test_home_base_lists_roles_by_stream_with_holders_and_duties() -> None:
    net = build_network_from(
        [person("a", "Ana"), person("b", "Ben"), person("c", "Chen"), person("d", "Dara")],
        [stream("s1", "Support", "routine", ("a", "b", "c")), stream("s2", "Pilot", "change")],
        [role("r1", "On-call lead", "s1", ("b",)), role("r2", "Facilitator", "", ("a",))],
        agreements=[agreement("g1", "Handover", "a", ("b",))],
    )
    drawing = draw_home_base(net, 60, {"r1": ["Answer pages", "Write the incident note"]})
    text = drawing.text
    support = text.index("[R] Support")
    assert support < text.index("On-call lead — Ben") < text.index("· Answer pages")
    assert "also in it: Ana, Chen" in text
    assert text.index("[C] Pilot") < text.index("no roles yet")
    assert "Roles in no stream" in text and "Facilitator — Ana" in text
    assert "Holding no role: Chen, Dara" in text
    assert "1 of 4 people" not in text and "2 of 4 people hold one" in text
    widths = {len(line) for line in text.splitlines() if line and line[0] in "╔┌╭"}
    assert len(widths) == 1  # the boxes line up
    assert {"r:r1", "r:r2", "m:b", "s:s1"} <= {s.target for s in drawing.spots}


@pytest.mark.parametrize(
    "text",
    [
        "a plain sentence that is long enough to wrap over several lines of text",
        "  spaces   everywhere  and\ttabs\nand new lines  ",
        "averyveryverylongwordthatcannotfitonanyline and then short ones",
        "short",
        "",
    ],
)
@pytest.mark.parametrize("width", [8, 13, 30])
def test_wrap_breaks_lines_like_textwrap_and_keeps_the_marks(text: str, width: int) -> None:
    marked = piece("→ ") + piece(text, "commitment", "c:1") + piece(" (ok)", "dim")
    lines = wrap(marked, width, "  ", "    ")
    plain = " ".join(("→ " + text + " (ok)").split())
    assert [line.text for line in lines] == textwrap.wrap(
        plain, width, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
    )
    for line in lines:
        for mark in line.marks:
            assert 0 <= mark.start < mark.end <= len(line.text)
    shown = "".join(
        line.text[m.start : m.end] for line in lines for m in line.marks if m.target == "c:1"
    )
    assert shown.replace(" ", "") == "".join(text.split())


def test_pack_keeps_names_whole_and_breaks_only_what_cannot_fit() -> None:
    names = [piece(n, "member", f"m:{n}") for n in ("Ana", "Ben", "Chen Fischer-Long")]
    lines = pack(names, 12)
    assert [line.text for line in lines] == ["Ana, Ben,", "Chen", "Fischer-Long"]
    assert all(isinstance(line, Marked) for line in lines)
    assert {m.target for line in lines for m in line.marks} == {
        "m:Ana",
        "m:Ben",
        "m:Chen Fischer-Long",
    }


def test_a_persons_network_marks_them_with_a_star() -> None:
    drawing = draw_network(small_board().around("ben", 1), 80)
    stars = [s for s in drawing.spots if s.target == "m:ben"]
    assert stars and all(drawing.lines[s.line].text[s.start : s.end] == "Ben ★" for s in stars)
    assert all(s.target in small_board() or s.target[0] in "ca" for s in drawing.spots)
