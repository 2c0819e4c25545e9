"""Ed25519 keys: generation, files, key ids, signatures."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.core.b64 import b64decode, b64encode
from ledger.core.errors import ValidationError

__all__ = ["SigningKey", "b64decode", "b64encode", "key_id_of", "verify_signature"]


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(key: Ed25519PublicKey) -> str:
    """A public key as base64 of its 32 raw bytes, the form enrolled on the ledger."""
    return b64encode(raw_public_key(key))


def load_public_key(text: str, field: str = "public_key") -> Ed25519PublicKey:
    raw = b64decode(text, field)
    if len(raw) != 32:
        raise ValidationError(
            f"{field}: an Ed25519 public key has 32 bytes, got {len(raw)}", field=field
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id_of(public_key_b64: str, field: str = "public_key") -> str:
    """The key id: the first 16 bytes of SHA-256 over the raw public key, in hex."""
    return hashlib.sha256(b64decode(public_key_b64, field)).hexdigest()[:32]


@lru_cache(maxsize=8192)
def _cached_public_key(public_key_b64: str) -> Ed25519PublicKey:
    return load_public_key(public_key_b64)


def verify_signature(public_key_b64: str, signature_b64: str, message: bytes) -> bool:
    try:
        signature = b64decode(signature_b64, "signature")
        _cached_public_key(public_key_b64).verify(signature, message)
    except (InvalidSignature, ValidationError):
        return False
    return True


class SigningKey:
    """A private Ed25519 key with the ids derived from it."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = public_key_text(private_key.public_key())
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    def sign(self, message: bytes) -> str:
        return b64encode(self._private_key.sign(message))

    def private_bytes_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def save(self, path: Path) -> None:
        """Write the key as PKCS#8 PEM, readable by its owner only (mode 0600)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.private_bytes_pem())
        path.with_suffix(".pub").write_text(self.public_key + "\n", encoding="ascii")

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        """Read a private key file, refusing one that others can read."""
        content = _key_file_bytes(path)
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ValidationError(
                f"key file {path} is readable by others (mode {stat.S_IMODE(mode):o}); "
                "run: chmod 600 " + str(path),
                field="key",
            )
        try:
            key = serialization.load_pem_private_key(content, password=None)
        except TypeError:
            raise ValidationError(
                f"key file {path} is protected by a passphrase, which parledger does not use; "
                "keep the file private (mode 0600) instead",
                field="key",
            ) from None
        except ValueError:
            raise ValidationError(
                f"key file {path} is not a PEM private key", field="key"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValidationError(f"key file {path} does not hold an Ed25519 key", field="key")
        return cls(key)


PUBLIC_KEY_MARKS = (b"-----BEGIN PUBLIC KEY-----", b"ssh-ed25519 ")


def _key_file_bytes(path: Path) -> bytes:
    """The bytes of a file given as a private key, refusing a path that is no such file:
    missing, a directory, empty, or a public key (which is not secret, so it is told apart
    before the file's mode is judged)."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise ValidationError(f"key file {path} does not exist", field="key") from None
    if stat.S_ISDIR(mode):
        raise ValidationError(
            f"key file {path} is a directory; give the private key file in it", field="key"
        )
    if not stat.S_ISREG(mode):
        raise ValidationError(f"key file {path} is not a regular file", field="key")
    content = path.read_bytes()
    if not content.strip():
        raise ValidationError(f"key file {path} is empty", field="key")
    if _is_public_key(content):
        raise ValidationError(
            f"key file {path} holds a public key, not a private one: sign with the private "
            "key file (PEM), the one whose name has no .pub",
            field="key",
        )
    return content


def _is_public_key(content: bytes) -> bool:
    text = content.strip()
    if text.startswith(PUBLIC_KEY_MARKS):
        return True
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False
