"""Signed authorship: a peer's changes enter the board only with their authors' signatures.

Every change a home makes is signed with its member's Ed25519 key, over
``change_signing_payload(change hash)`` (:mod:`board.service_core`); the signature is
stored with the change and travels with it. A change's automerge actor names its author:
each member writes as ``actor_for(their public key)`` (:mod:`board.authors`).

**One signature covers an author's earlier changes.** A change's hash covers its
dependencies' hashes, and each author's changes form one line (the receive path's
:class:`sync.change_check.ChangeLedger` refuses a change that does not follow its
author's previous one), so an author's signature on their newest change vouches for all
their earlier ones. A batch of changes from a peer therefore needs, per author in it, one
valid signature: on that author's newest change in the batch. That keeps a snapshot's
signatures to one per member (a signature per change would double the first sync) and a
live edit under a kilobyte.

**Removal.** A change by a removed member is refused when the removal is in its causal
history: its author had seen the removal when making it, so they knew they were no
longer a member. A change made concurrently with the removal (by a member who had not yet
heard of it) is accepted everywhere. Refusing those would split the board: a teammate
who merged such a change before the removal reached them has built on it, automerge
cannot take it out again, and their later changes would be refused with it. The window
closes as the removal spreads: a removed member's certificate stops being a trust anchor
on every peer that holds the removal, so they cannot hand anything new to any of them.

:func:`refusal` is called by the one receive path (:class:`sync.port.ServicePort`) with
the changes a batch added to the document, before anything is stored; a refused batch is
rolled back whole and the connection that carried it closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from cryptography.exceptions import InvalidSignature

from board.document import BoardDocument
from board.service_core import change_signing_payload


class ChangeInfo(Protocol):
    """What the automerge binding tells about one change."""

    hash: bytes
    actor_id: bytes
    seq: int


Claims = Mapping[str, tuple[str, bytes]]  # change hash (hex) -> (claimed author, signature)


def newest_by_author(changes: Sequence[ChangeInfo]) -> dict[bytes, ChangeInfo]:
    """Each actor's change with the highest sequence number among ``changes``."""
    newest: dict[bytes, ChangeInfo] = {}
    for change in changes:
        known = newest.get(change.actor_id)
        if known is None or change.seq > known.seq:
            newest[change.actor_id] = change
    return newest


def refusal(
    doc: BoardDocument, added: Sequence[ChangeInfo], claims: Claims
) -> tuple[str | None, dict[str, tuple[str, bytes]]]:
    """Why the changes a batch ``added`` to ``doc`` must be refused (None: accept), and
    for the accepted batch each change's (author member id, verified signature or b"")
    by hash, to store with it.

    ``claims`` holds the signatures the peer sent (by change hash). The member list is
    read from ``doc`` with the batch in it: a newcomer's first changes arrive with (or
    after) the change that added them."""
    verified: dict[str, tuple[str, bytes]] = {}
    for actor, change in newest_by_author(added).items():
        name = change.hash.hex()[:12]
        author = doc.authors.of(actor)
        if author is None:
            return f"change {name} was made by no member (unknown actor {actor.hex()[:12]})", {}
        claim = claims.get(change.hash.hex())
        if claim is None or not claim[1]:
            return f"change {name} carries no signature of its author", {}
        try:
            author.key.verify(claim[1], change_signing_payload(change.hash))
        except (InvalidSignature, ValueError):
            return f"change {name} has a signature that is not its author's", {}
        if _made_after_removal(doc, author.member_id, change.hash):
            return f"change {name} was made by a removed member after their removal", {}
        verified[change.hash.hex()] = (author.member_id, claim[1])
    for change in added:
        digest = change.hash.hex()
        if digest not in verified:
            author = doc.authors.of(change.actor_id)
            verified[digest] = (author.member_id if author else "", b"")
    return None, verified


def _made_after_removal(doc: BoardDocument, member_id: str, change_hash: bytes) -> bool:
    """Whether the member's removal is in the history of the change (the board as the
    change's author saw it already said they were removed)."""
    now = doc.read("members", member_id)
    if not now or not now.get("removed_at"):
        return False  # not removed (as far as this board knows): nothing to look up
    then = doc.read("members", member_id, [change_hash])
    return bool(then and then.get("removed_at"))
