"""A home's identity: an Ed25519 key, a self-signed certificate, and ids derived from them.

The member id is derived from the public key, and so is the automerge actor id used by
this home, which binds every change this home makes to its member. The private key file
is created with mode 0600 and a key readable by others is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

KEY_FILE = "identity.key"
CERT_FILE = "identity.crt"


class IdentityError(Exception):
    """The identity files are missing, unsafe or unreadable."""


def member_id_for(public_key: Ed25519PublicKey) -> str:
    """16 hex characters from SHA-256 of the raw public key."""
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


def actor_for(public_key: Ed25519PublicKey) -> bytes:
    """The automerge actor id this key writes with (16 bytes of SHA-256 of the key)."""
    return hashlib.sha256(b"teamboard-actor:" + _raw(public_key)).digest()[:16]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(cert_der: bytes) -> str:
    """SHA-256 of a DER certificate, hex: how peers are recognised on the wire."""
    return hashlib.sha256(cert_der).hexdigest()


def public_key_from_cert_pem(cert_pem: str) -> Ed25519PublicKey:
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    key = cert.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise IdentityError("certificate is not an Ed25519 certificate")
    return key


def verify(cert_pem: str, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` over ``data`` was made by the key in ``cert_pem``."""
    try:
        public_key_from_cert_pem(cert_pem).verify(signature, data)
        return True
    except (InvalidSignature, ValueError, IdentityError):
        return False


@dataclass
class Identity:
    key: Ed25519PrivateKey
    cert_pem: str

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    @property
    def member_id(self) -> str:
        return member_id_for(self.public_key)

    @property
    def actor(self) -> bytes:
        return actor_for(self.public_key)

    @property
    def cert_der(self) -> bytes:
        return x509.load_pem_x509_certificate(self.cert_pem.encode()).public_bytes(
            serialization.Encoding.DER
        )

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.cert_der)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    @contextmanager
    def tls_files(self) -> Iterator[tuple[str, str]]:
        """(certificate path, key path) in a private temporary directory, for
        ``SSLContext.load_cert_chain``, which only reads files; removed on exit."""
        with tempfile.TemporaryDirectory(prefix="teamboard-tls-") as tmp:  # mode 0700
            cert_path = os.path.join(tmp, CERT_FILE)
            key_path = os.path.join(tmp, KEY_FILE)
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.key_pem())
            with open(cert_path, "w") as fh:
                fh.write(self.cert_pem)
            yield cert_path, key_path

    # ------------------------------------------------------------------ files
    @classmethod
    def generate(cls) -> Identity:
        key = Ed25519PrivateKey.generate()
        return cls(key, _self_signed(key))

    @classmethod
    def create(cls, directory: Path) -> Identity:
        """Generate a new identity and write it to ``directory`` (key file mode 0600)."""
        ident = cls.generate()
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / KEY_FILE
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(ident.key_pem())
        (directory / CERT_FILE).write_text(ident.cert_pem)
        return ident

    @classmethod
    def load(cls, directory: Path) -> Identity:
        """Read the identity in ``directory``; refuses a key readable by group or others."""
        key_path = directory / KEY_FILE
        try:
            mode = stat.S_IMODE(key_path.stat().st_mode)
        except FileNotFoundError:
            raise IdentityError(f"no identity in {directory} (run `teamboard init`)") from None
        if mode & 0o077:
            raise IdentityError(
                f"{key_path} is readable by other users (mode {mode:o}); "
                f"run `chmod 600 {key_path}` and try again"
            )
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert_pem = (directory / CERT_FILE).read_text()
        except (ValueError, OSError) as exc:
            raise IdentityError(f"cannot read the identity in {directory}: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise IdentityError(f"{key_path} is not an Ed25519 key")
        if public_key_from_cert_pem(cert_pem) != key.public_key():
            raise IdentityError(f"{directory}: the certificate does not match the key")
        return cls(key, cert_pem)


def _self_signed(key: Ed25519PrivateKey) -> str:
    """A certificate valid from a day ago for 20 years (laptop clocks drift)."""
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "teamboard " + member_id_for(key.public_key()))]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, algorithm=None)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
