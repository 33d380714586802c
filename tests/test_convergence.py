"""Copies of a board that receive random edits and exchange changes in random order all
end with the same board and the same read-model tables."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from board import readmodel
from board.export import board_data
from board.model import BoardError
from board.service import BoardService
from board.workspace import Workspace
from storage.store import Store
from sync.identity import Identity


def make_copies(root: Path, count: int) -> list[BoardService]:
    """``count`` members, each with their own home and store, all starting from one board."""
    first = Workspace.init(root / "c0", "Orbit", "M0")
    idents = [Identity.generate() for _ in range(count - 1)]
    for i, ident in enumerate(idents, start=1):
        first.service.add_member(ident.member_id, f"M{i}", ident.cert_pem, first.service.me)
    first.service.add_stream("Ops")
    services = [first.service]
    for i, ident in enumerate(idents, start=1):
        store = Store(root / f"c{i}.db", readmodel.tables())
        svc = BoardService.open(store, ident.actor, ident.member_id, ident.sign)
        svc.apply_remote([(c.bytes, "", b"") for c in first.service.doc.changes_since([])])
        services.append(svc)
    return services


def random_op(svc: BoardService, rng: random.Random) -> None:
    goals = [g.id for g in svc.list("goals", include_archived=True)]
    commitments = [c.id for c in svc.list("commitments", include_archived=True)]
    agreements = [a.id for a in svc.list("agreements")]
    others = [m.name for m in svc.members() if m.id != svc.me]
    choice = rng.randrange(9)
    try:
        if choice == 0 or not goals:
            svc.add_goal(
                f"goal {rng.randrange(1000)}",
                kind=rng.choice(["routine", "change"]),
                stream="Ops",
                confidence=rng.randint(1, 10),
            )
        elif choice == 1 or not commitments:
            svc.add_commitment(
                f"promise {rng.randrange(1000)}",
                to=rng.choice(others + ["Acme"]),
                goal=rng.choice(goals),
            )
        elif choice == 2:
            svc.set_status(
                rng.choice(commitments),
                rng.choice(
                    ["accepted", "in_progress", "done", "declined", "renegotiated", "dropped"]
                ),
            )
        elif choice == 3:
            svc.edit(rng.choice(goals + commitments), title=f"renamed {rng.randrange(1000)}")
        elif choice == 4:
            svc.checkin(
                rng.choice(goals),
                progress=rng.randint(0, 100),
                confidence=rng.randint(1, 10),
                learned=f"lesson {rng.randrange(100)}",
            )
        elif choice == 5:
            item = rng.choice(goals + commitments)
            (svc.restore if svc.get(item).archived else svc.archive)(item)
        elif choice == 6 or not agreements:
            svc.add_agreement(f"agreement {rng.randrange(100)}", counterparts=[rng.choice(others)])
        elif choice == 7:
            svc.consent(rng.choice(agreements))
        else:
            svc.add_focus(
                rng.choice(["focus", "challenge", "avoid"]), f"entry {rng.randrange(100)}"
            )
    except BoardError:
        pass  # refused edits (invalid transitions, non-party consent) change nothing


def exchange(src: BoardService, dst: BoardService, rng: random.Random, partial: bool) -> None:
    """Send some (or all) of src's changes to dst, shuffled."""
    changes = [(c.bytes, "", b"") for c in src.doc.changes_since([])]
    if partial:
        changes = rng.sample(changes, k=rng.randint(0, len(changes)))
    rng.shuffle(changes)
    dst.apply_remote(changes)


def tables(svc: BoardService) -> dict[str, list[dict[str, object]]]:
    out = {}
    for name in readmodel.tables():
        order = "item, type, seq" if name == "history" else "id"
        out[name] = svc.store.rows(f"SELECT * FROM [{name}] ORDER BY {order}")
    return out  # type: ignore[return-value]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    copies=st.integers(2, 3),
    seed=st.integers(0, 2**32 - 1),
    steps=st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=25),
)
def test_copies_converge(
    tmp_path_factory, copies: int, seed: int, steps: list[tuple[int, bool]]
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    services = make_copies(tmp_path_factory.mktemp("conv"), copies)
    for who, sync_now in steps:
        svc = services[who % copies]
        random_op(svc, rng)
        if sync_now:
            exchange(svc, rng.choice(services), rng, partial=True)
    for src in services:
        for dst in services:
            if src is not dst:
                exchange(src, dst, rng, partial=False)
    heads = {tuple(sorted(s.doc.heads())) for s in services}
    assert len(heads) == 1
    reference = board_data(services[0])
    reference_tables = tables(services[0])
    for other in services[1:]:
        assert board_data(other) == reference
        assert tables(other) == reference_tables
    for s in services:
        s.store.close()
