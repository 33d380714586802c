"""Who we accept: our identity and the current members' certificates, as TLS contexts.

The TLS trust anchors are the members' self-signed certificates, and after the handshake
the SHA-256 fingerprint of the peer's certificate must belong to a current member
(pinning: a member's certificate is a CA and could otherwise vouch for others).
Connections to ourselves are refused. A context's trust store only grows, so
:meth:`Trust.update` builds new contexts.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterable

from sync.identity import Identity, fingerprint


class Trust:
    """Our identity and the members we accept; builds the TLS contexts."""

    def __init__(
        self,
        identity: Identity,
        member_certs: Iterable[str],
        is_member: Callable[[str], bool] | None = None,
    ) -> None:
        self.identity = identity
        self._is_member = is_member
        self.update(member_certs)

    def update(self, member_certs: Iterable[str]) -> None:
        """Trust exactly ``member_certs`` (PEM) from now on, in new contexts."""
        self.member_certs = [pem for pem in member_certs if pem.strip()]
        self._fingerprints = {_pem_fingerprint(pem) for pem in self.member_certs}
        self._server = self._context(ssl.PROTOCOL_TLS_SERVER)
        self._client = self._context(ssl.PROTOCOL_TLS_CLIENT)

    def is_member(self, peer_fingerprint: str) -> bool:
        if self._is_member is not None:
            return self._is_member(peer_fingerprint)
        return peer_fingerprint in self._fingerprints

    def refusal(self, peer_fingerprint: str) -> str | None:
        """Why a peer with this certificate fingerprint is refused, or None if it is welcome."""
        if peer_fingerprint == self.identity.fingerprint:
            return "that is ourselves"
        if not self.is_member(peer_fingerprint):
            return "not a current member"
        return None

    def server_context(self) -> ssl.SSLContext:
        return self._server

    def client_context(self) -> ssl.SSLContext:
        return self._client

    def _context(self, purpose: ssl._SSLMethod) -> ssl.SSLContext:
        ctx = ssl.SSLContext(purpose)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        if purpose == ssl.PROTOCOL_TLS_SERVER:
            ctx.num_tickets = 0  # no resumption: every connection shows its certificate
        with self.identity.tls_files() as (cert_path, key_path):
            ctx.load_cert_chain(cert_path, key_path)
        if self.member_certs:
            ctx.load_verify_locations(cadata="\n".join(self.member_certs))
        return ctx


def _pem_fingerprint(pem: str) -> str:
    return fingerprint(ssl.PEM_cert_to_DER_cert(pem.strip() + "\n"))


def peer_fingerprint(writer: asyncio.StreamWriter) -> str | None:
    """SHA-256 fingerprint of the certificate the peer of a TLS stream showed (or None)."""
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return fingerprint(der) if der else None
