"""Signed changes for tests that play a peer by hand: what a member's node would send."""

from __future__ import annotations

from board.change_ops import change_hash
from board.document import encode_apply_message
from board.service_core import change_signing_payload
from board.workspace import Workspace
from sync import protocol as p
from sync.identity import Identity
from sync.port import ServicePort


def hash_of(change: bytes) -> bytes:
    digest = change_hash(change)
    assert digest is not None, "not a change"
    return digest


def sign_with(identity: Identity, change: bytes) -> p.SignedChange:
    """``change`` as a push item signed by ``identity`` (rightly or not)."""
    return change, identity.member_id, identity.sign(change_signing_payload(hash_of(change)))


def signed(ws: Workspace, changes: list[bytes]) -> tuple[p.SignedChange, ...]:
    """``ws``'s own changes as push items, each with the signature its home stored."""
    return tuple((c, ws.service.me, signature_of(ws, c)) for c in changes)


def signature_of(ws: Workspace, change: bytes) -> bytes:
    found = ws.store.newest_signatures([hash_of(change).hex()])
    assert found, "the home holds no signature for this change"
    return found[0][2]


def sync_messages(ws: Workspace, changes: list[bytes], per_frame: int) -> list[p.SyncMessage]:
    """Sync messages carrying ``changes`` (made on ``ws``), ``per_frame`` in each, each with
    the signatures ``ws``'s node would send with it."""
    port = ServicePort(ws.service)
    out = []
    for i in range(0, len(changes), per_frame):
        chunk = changes[i : i + per_frame]
        data = bytes(encode_apply_message(chunk).encode())
        out.append(p.SyncMessage(data, tuple(port.signatures([hash_of(c) for c in chunk]))))
    return out
