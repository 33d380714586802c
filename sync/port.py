"""The board as a sync session sees it: a DocumentPort over the BoardService.

Everything a peer sends enters through the service's one receive path, a batch of frames
at a time, so it is stored durably (in one commit, before the session answers, hence
before anything is acknowledged), mirrored into the read model, and announced to
listeners (the UI repaints) exactly like a local edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from automerge import core as am

from board.document import BoardDocument
from board.service import BoardService
from sync.change_check import ChangeLedger
from sync.protocol import Signature
from sync.session import Received, SessionError


class ServicePort:
    """A :class:`sync.session.DocumentPort` backed by a :class:`BoardService`."""

    def __init__(self, service: BoardService) -> None:
        self.service = service
        self._ledger = ChangeLedger()
        self._actor = bytes(service.doc.doc.get_actor())  # to reload the document as

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

        def merge(doc: BoardDocument) -> None:
            doc.doc.merge(other)

        self._receive([], _by_hash(signatures), merge)

    def generate_sync_message(self, state: am.SyncState) -> bytes | None:
        with self.service._lock:
            message = self.service.doc.doc.generate_sync_message(state)
        return None if message is None else bytes(message.encode())

    def receive(self, state: am.SyncState, batch: Received) -> None:
        """Apply and store ``batch`` as one unit, through the service's single receive
        path; it is durable when this returns."""
        try:
            messages = [am.Message.decode(data) for data in batch.messages]
        except Exception as exc:  # the binding raises bare Exceptions on bad input
            raise SessionError(f"peer sent an unusable sync message: {exc}") from None

        def apply(doc: BoardDocument) -> None:
            for message in messages:
                try:
                    doc.doc.receive_sync_message(state, message)
                except Exception as exc:
                    raise SessionError(f"peer sent an unusable sync message: {exc}") from None
            if batch.pushed:
                try:
                    doc.apply_changes([data for data, _, _ in batch.pushed])
                except Exception as exc:
                    raise SessionError(f"peer pushed unusable changes: {exc}") from None

        self._receive(batch.changes, batch.signatures_by_hash(), apply)

    def _receive(
        self,
        changes: Sequence[bytes],
        signatures: dict[str, tuple[str, bytes]],
        apply: Callable[[BoardDocument], None],
    ) -> None:
        """The service's receive path, refusing whatever would break the document.

        Some changes that are garbage inside but carry a valid checksum get into the
        document and leave it unable to save a copy that loads, or make the binding panic
        (pyo3's PanicException, a BaseException). The changes a batch added are checked
        (:class:`ChangeLedger`) before anything is stored; on a refusal or a panic nothing
        of the batch is committed, the document is reloaded from the database, and the
        batch refused like any other bad payload."""
        ledger = self._ledger

        def checked(doc: BoardDocument) -> None:
            ledger.catch_up(doc.doc)
            before = doc.doc.get_heads()
            failure: Exception | None = None
            try:
                apply(doc)
            except Exception as exc:  # noqa: BLE001 (what went in is checked, stored, then raised)
                failure = exc
            reason = ledger.refusal(doc.doc.get_changes(before))
            if reason is not None:
                raise _Inconsistent(reason)
            if failure is not None:
                raise failure

        try:
            self.service.receive_changes(changes, signatures, checked)
        except Exception:
            raise
        except _Inconsistent as exc:
            self.service.reload_document(self._actor)
            raise SessionError(f"peer sent inconsistent changes: {exc}") from None
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":
                raise
            self.service.reload_document(self._actor)
            raise SessionError("peer sent changes that break the document") from None

    def signatures(self, hashes: Sequence[bytes] | None) -> list[Signature]:
        if hashes is None:
            # A snapshot goes to a newcomer from a member it authenticated over TLS; with a
            # signature per change it would cost ~2x its size on the wire, so it travels
            # without them. Incremental messages and pushes carry theirs.
            return []
        found = self.service.store.change_signatures([h.hex() for h in hashes])
        return [(bytes.fromhex(h), author, sig) for h, (author, sig) in found.items()]


class _Inconsistent(BaseException):
    """Raised inside the service's receive path so that, like a panic, it stores nothing
    of the batch (the service keeps what went in when an ordinary Exception is raised)."""


def _by_hash(signatures: Sequence[Signature]) -> dict[str, tuple[str, bytes]]:
    return {h.hex(): (author, sig) for h, author, sig in signatures}
