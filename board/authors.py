"""Which member wrote a change: the binding between automerge actors and members' keys.

Every home writes with the actor ``actor_for(its public key)`` (see :mod:`sync.identity`),
and the member list holds each member's certificate under the member id derived from the
same key, so an actor belongs to exactly one member, fixed for ever: a member's key never
changes. A member record whose id does not match its certificate binds nobody. :class:`Authors` keeps that binding
for one document and learns new members as they appear. It is what history shows as the
author of an entry (the actor that made the entry, not the name stamped inside it) and
what the sync receive path checks signatures against (:mod:`sync.authorship`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.identity import IdentityError, actor_for, member_id_for, public_key_from_cert_pem


def bound_key(member_id: str, cert: str) -> Ed25519PublicKey | None:
    """The key of a member record's certificate, if the record is really that key's
    member (its id derives from the key); None for a damaged certificate or a record
    holding someone else's."""
    try:
        key = public_key_from_cert_pem(cert)
    except (IdentityError, ValueError):
        return None
    return key if member_id == member_id_for(key) else None


@dataclass(frozen=True)
class Author:
    """A member as the signer of changes."""

    member_id: str
    key: Ed25519PublicKey


class Authors:
    """actor -> :class:`Author`, learnt from member records (dicts with ``id`` and
    ``cert``). ``members`` reads the document's current member list; it is asked again
    only when an unknown actor turns up and the document moved since the last miss."""

    def __init__(
        self, members: Callable[[], Iterable[Mapping[str, Any]]], heads: Callable[[], Any]
    ) -> None:
        self._members = members
        self._heads = heads
        self._by_actor: dict[bytes, Author] = {}
        self._seen: set[tuple[str, str]] = set()  # (member id, certificate)
        self._missed_at: Any = None

    def learn(self, members: Iterable[Mapping[str, Any]]) -> None:
        """Bind the actors of these members (records already seen are skipped)."""
        for member in members:
            cert = str(member.get("cert") or "")
            member_id = str(member.get("id") or "")
            if not cert or (member_id, cert) in self._seen:
                continue
            self._seen.add((member_id, cert))
            key = bound_key(member_id, cert)
            if key is not None:
                self._by_actor[actor_for(key)] = Author(member_id, key)

    def of(self, actor: bytes) -> Author | None:
        """The member that writes as ``actor``, or None when no member does."""
        found = self._by_actor.get(actor)
        if found is not None:
            return found
        heads = self._heads()
        if self._missed_at != heads:
            self._missed_at = heads
            self.learn(self._members())
        return self._by_actor.get(actor)

    def member_of(self, actor: bytes) -> str:
        """The member id of ``actor``, or "" when no member writes as it."""
        found = self.of(actor)
        return found.member_id if found is not None else ""
