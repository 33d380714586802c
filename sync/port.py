"""The board as a sync session sees it: a DocumentPort over the BoardService.

Everything a peer sends enters through the service, so it is stored durably (before the
next frame is read, hence before anything is acknowledged), mirrored into the read model,
and announced to listeners (the UI repaints) exactly like a local edit.
"""

from __future__ import annotations

from collections.abc import Sequence

from automerge import core as am

from board.service import BoardService
from sync.protocol import Signature, SignedChange
from sync.session import SessionError


class ServicePort:
    """A :class:`sync.session.DocumentPort` backed by a :class:`BoardService`."""

    def __init__(self, service: BoardService) -> None:
        self.service = service

    def heads(self) -> list[bytes]:
        return list(self.service.doc.heads())

    def is_empty(self) -> bool:
        return not self.service.doc.heads()

    def save(self) -> bytes:
        return bytes(self.service.doc.save())

    def load_snapshot(self, data: bytes, signatures: Sequence[Signature]) -> None:
        try:
            other = am.Document.load(data)
        except Exception as exc:  # the binding raises bare Exceptions on bad input
            raise SessionError(f"peer sent an unreadable snapshot: {exc}") from None
        self.service.receive_changes_with(lambda doc: doc.doc.merge(other), _by_hash(signatures))

    def generate_sync_message(self, state: am.SyncState) -> bytes | None:
        with self.service._lock:
            message = self.service.doc.doc.generate_sync_message(state)
        return None if message is None else bytes(message.encode())

    def receive_sync_message(
        self, state: am.SyncState, data: bytes, signatures: Sequence[Signature]
    ) -> None:
        try:
            message = am.Message.decode(data)
        except Exception as exc:
            raise SessionError(f"peer sent an unusable sync message: {exc}") from None

        def receive(doc: object) -> None:
            try:
                self.service.doc.doc.receive_sync_message(state, message)
            except Exception as exc:
                raise SessionError(f"peer sent an unusable sync message: {exc}") from None

        self.service.receive_changes_with(receive, _by_hash(signatures))

    def apply_changes(self, items: Sequence[SignedChange]) -> None:
        try:
            self.service.apply_remote(items)
        except SessionError:
            raise
        except Exception as exc:
            raise SessionError(f"peer pushed unusable changes: {exc}") from None

    def signatures(self, hashes: Sequence[bytes] | None) -> list[Signature]:
        if hashes is None:
            # A snapshot goes to a newcomer from a member it authenticated over TLS; with a
            # signature per change it would cost ~2x its size on the wire, so it travels
            # without them. Incremental messages and pushes carry theirs.
            return []
        found = self.service.store.change_signatures([h.hex() for h in hashes])
        return [(bytes.fromhex(h), author, sig) for h, (author, sig) in found.items()]


def _by_hash(signatures: Sequence[Signature]) -> dict[str, tuple[str, bytes]]:
    return {h.hex(): (author, sig) for h, author, sig in signatures}
