"""The board as a sync session sees it: a DocumentPort over the BoardService.

Everything a peer sends enters through the service's one receive path, a batch of frames
at a time, so it is stored durably (in one commit, before the session answers, hence
before anything is acknowledged), mirrored into the read model, and announced to
listeners (the UI repaints) exactly like a local edit. Before anything of a batch is
stored it is checked: its changes must be consistent (:mod:`sync.change_check`) and
signed by their authors, who must be members (:mod:`sync.authorship`); a batch that
fails either is refused whole and leaves the board as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from automerge import core as am

from board.document import BoardDocument
from board.service import BoardService
from sync import authorship
from sync.change_check import ChangeLedger
from sync.protocol import Signature
from sync.session import Received, SessionError

WAITING_SIGNATURES = 4096


class ServicePort:
    """A :class:`sync.session.DocumentPort` backed by a :class:`BoardService`."""

    def __init__(self, service: BoardService) -> None:
        self.service = service
        self._ledger = ChangeLedger()
        # Signatures that came with changes automerge could not apply yet (it queues a
        # change until its dependencies arrive, maybe from another peer): they are
        # needed when the change does go in.
        self._waiting: dict[str, tuple[str, bytes]] = {}
        self._actor = bytes(service.doc.doc.get_actor())  # to reload the document as

    def ready(self) -> None:
        """Learn what the receive path needs about the board now (which records each
        object belongs to, each actor's last change), so the first batch from a peer
        does not wait for it; a sync node calls this as it starts."""
        self.service.ready_to_receive()
        with self.service.locked():
            self._ledger.catch_up(self.service.doc.doc)

    def heads(self) -> list[bytes]:
        return list(self.service.doc.heads())

    def is_empty(self) -> bool:
        return not self.service.doc.heads()

    def save(self) -> bytes:
        return bytes(self.service.doc.save())

    def load_snapshot(self, data: bytes, signatures: Sequence[Signature]) -> None:
        try:
            other = am.Document.load(data)
        except Exception as exc:  # noqa: BLE001 (the binding raises bare Exceptions on bad input)
            raise SessionError(f"peer sent an unreadable snapshot: {exc}") from None

        def merge(doc: BoardDocument) -> None:
            doc.doc.merge(other)

        self._receive([], _by_hash(signatures), merge)

    def generate_sync_message(self, state: am.SyncState) -> bytes | None:
        with self.service.locked():
            message = self.service.doc.doc.generate_sync_message(state)
        return None if message is None else bytes(message.encode())

    def receive(self, state: am.SyncState, batch: Received) -> None:
        """Apply and store ``batch`` as one unit, through the service's single receive
        path; it is durable when this returns."""
        try:
            messages = [am.Message.decode(data) for data in batch.messages]
        except Exception as exc:  # noqa: BLE001 (the binding raises bare Exceptions on bad input)
            raise SessionError(f"peer sent an unusable sync message: {exc}") from None

        def apply(doc: BoardDocument) -> None:
            for message in messages:
                try:
                    doc.doc.receive_sync_message(state, message)
                except Exception as exc:  # noqa: BLE001 (the binding's bare Exceptions)
                    raise SessionError(f"peer sent an unusable sync message: {exc}") from None
            if batch.pushed:
                try:
                    doc.apply_changes([data for data, _, _ in batch.pushed])
                except Exception as exc:  # noqa: BLE001 (the binding's bare Exceptions)
                    raise SessionError(f"peer pushed unusable changes: {exc}") from None

        self._receive(batch.changes, batch.signatures_by_hash(), apply)

    def _receive(
        self,
        changes: Sequence[bytes],
        claims: dict[str, tuple[str, bytes]],
        apply: Callable[[BoardDocument], None],
    ) -> None:
        """The service's receive path, refusing whatever would break the document or
        is not signed by its author (``claims``: the signatures the peer sent, by change
        hash).

        Some changes that are garbage inside but carry a valid checksum get into the
        document and leave it unable to save a copy that loads, or make the binding panic
        (pyo3's PanicException, a BaseException). The changes a batch added are checked
        (:class:`ChangeLedger`, then :func:`sync.authorship.refusal`) before anything is
        stored; on a refusal or a panic nothing of the batch is committed, the document
        is reloaded from the database, and the batch refused like any other bad
        payload."""
        ledger = self._ledger
        claims = {**self._waiting, **claims}
        stored: dict[str, tuple[str, bytes]] = {}  # what the service stores with each change

        def checked(doc: BoardDocument) -> None:
            ledger.catch_up(doc.doc)
            before = doc.doc.get_heads()
            failure: Exception | None = None
            try:
                apply(doc)
            except Exception as exc:  # noqa: BLE001 (what went in is checked, stored, then raised)
                failure = exc
            added = doc.doc.get_changes(before)
            reason = ledger.refusal(added)
            if reason is not None:
                raise _Refused(f"peer sent inconsistent changes: {reason}")
            reason, verified = authorship.refusal(doc, added, claims)
            if reason is not None:
                raise _Refused(f"refused the peer's changes: {reason}")
            stored.update(verified)
            if failure is not None:
                raise failure

        try:
            # ``stored`` is filled in by ``checked``, before the service reads it.
            self.service.receive_changes(changes, stored, checked)
        except Exception:
            raise
        except _Refused as exc:
            self.service.reload_document(self._actor)
            raise SessionError(str(exc)) from None
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":
                raise
            self.service.reload_document(self._actor)
            raise SessionError("peer sent changes that break the document") from None
        finally:
            self._keep_waiting(claims, stored)

    def _keep_waiting(
        self, claims: dict[str, tuple[str, bytes]], used: dict[str, tuple[str, bytes]]
    ) -> None:
        """Remember the signatures of changes that did not go in (yet), a bounded number."""
        waiting = {h: claim for h, claim in claims.items() if h not in used}
        if len(waiting) > WAITING_SIGNATURES:
            waiting = dict(list(waiting.items())[-WAITING_SIGNATURES:])
        self._waiting = waiting

    def signatures(self, hashes: Sequence[bytes] | None) -> list[Signature]:
        """The signatures a message carrying ``hashes`` (None: a snapshot) needs: one per
        author, on their newest change in it (it vouches for their earlier ones, see
        :mod:`sync.authorship`)."""
        keys = None if hashes is None else [h.hex() for h in hashes]
        found = self.service.store.newest_signatures(keys)
        return [(bytes.fromhex(h), author, sig) for h, author, sig in found]


class _Refused(BaseException):
    """Raised inside the service's receive path so that, like a panic, it stores nothing
    of the batch (the service keeps what went in when an ordinary Exception is raised)."""


def _by_hash(signatures: Sequence[Signature]) -> dict[str, tuple[str, bytes]]:
    return {h.hex(): (author, sig) for h, author, sig in signatures}
