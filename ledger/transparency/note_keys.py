"""C2SP signed-note keys (https://c2sp.org/signed-note): key names and ids, verifier and
signer keys written ``<name>+<hex id>+<base64(type || key)>``, and signature lines
``— <key name> <base64(4-byte key ID || signature)>``. Malformed input raises
:class:`ledger.core.errors.ValidationError`; only the canonical Base64 spelling is accepted."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.core.crypto import SigningKey, b64decode, b64encode
from ledger.core.errors import ValidationError

EM_DASH = "\u2014"
SIGNATURE_PREFIX = EM_DASH + " "
SIG_TYPE_ED25519 = 0x01
SIG_TYPE_COSIGNATURE_V1 = 0x04
COSIGNATURE_V1_HEADER = "cosignature/v1\n"
# The spec asks verifiers to accept at least 16 signatures; like the Go implementation, more
# than 100 make the note malformed.
MAX_SIGNATURES = 100

_KEY_ID_SIZE = 4
TIMESTAMP_SIZE = 8
_ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
ROOT_HASH_SIZE = 32
MAX_UINT64 = (1 << 64) - 1
MAX_TIMESTAMP = (1 << 63) - 1
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


# --- small helpers -----------------------------------------------------------------------


def utf8(text: str, field: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{field}: not valid UTF-8", field=field) from None


def check_no_controls(text: str, field: str) -> None:
    """Refuse ASCII control characters (below U+0020) other than newline."""
    for char in text:
        if char < " " and char != "\n":
            raise ValidationError(
                f"{field}: control character U+{ord(char):04X} is not allowed", field=field
            )


def check_note_text(text: str, field: str = "text") -> bytes:
    """A note text: valid UTF-8, ending in a newline, no control characters but newline."""
    if not isinstance(text, str):
        raise ValidationError(f"{field}: must be a string", field=field)
    data = utf8(text, field)
    if not text.endswith("\n"):
        raise ValidationError(f"{field}: a note text must end with a newline", field=field)
    check_no_controls(text, field)
    return data


def _is_valid_key_name(name: str) -> bool:
    """Non-empty, valid UTF-8, no Unicode spaces, no '+', no control characters."""
    if not isinstance(name, str) or name == "":
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(char.isspace() or char == "+" or char < " " for char in name)


def _check_key_name(name: str, field: str = "name") -> None:
    if not _is_valid_key_name(name):
        raise ValidationError(
            f"{field}: a key name must be non-empty, without spaces, '+' or control characters",
            field=field,
        )


def key_id_for(name: str, sig_type: int, public_key: bytes) -> int:
    """The key ID: the first 4 bytes of SHA-256(name || 0x0A || type || public key), as uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key)
    return int.from_bytes(digest.digest()[:_KEY_ID_SIZE], "big")


def _load_public_key(raw: bytes, field: str) -> Ed25519PublicKey:
    if len(raw) != _ED25519_KEY_SIZE:
        raise ValidationError(
            f"{field}: an Ed25519 public key has 32 bytes, got {len(raw)}", field=field
        )
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise ValidationError(f"{field}: not an Ed25519 public key", field=field) from None


def ed25519_verify(key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    if len(signature) != ED25519_SIGNATURE_SIZE:
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _seed_of(key: SigningKey) -> bytes:
    """The 32-byte Ed25519 seed of a signing key (through its PKCS#8 form)."""
    private = serialization.load_pem_private_key(key.private_bytes_pem(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    return private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def _parse_vkey(vkey: str, sig_type: int, field: str) -> tuple[str, int, bytes]:
    """Split ``<name>+<hex id>+<base64(type || key)>``; check the type, size and key ID."""
    if not isinstance(vkey, str):
        raise ValidationError(f"{field}: must be a string", field=field)
    # The key material is base64 and may itself contain '+': split on the first two only.
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise ValidationError(f"{field}: expected <name>+<key id>+<key>", field=field)
    name, hex_id, key64 = parts
    _check_key_name(name, field)
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise ValidationError(f"{field}: the key id must be 8 hex digits", field=field)
    material = b64decode(key64, field)
    if len(material) == 0:
        raise ValidationError(f"{field}: the key is empty", field=field)
    if material[0] != sig_type:
        raise ValidationError(
            f"{field}: signature type 0x{material[0]:02x} is not the expected 0x{sig_type:02x}",
            field=field,
        )
    public = material[1:]
    if len(public) != _ED25519_KEY_SIZE:
        raise ValidationError(
            f"{field}: an Ed25519 public key has 32 bytes, got {len(public)}", field=field
        )
    if int(hex_id, 16) != key_id_for(name, sig_type, public):
        raise ValidationError(
            f"{field}: the key id does not match the name and the public key", field=field
        )
    return name, int(hex_id, 16), public


def _format_vkey(name: str, key_id: int, sig_type: int, public_key: bytes) -> str:
    return f"{name}+{key_id:08x}+{b64encode(bytes([sig_type]) + public_key)}"


def check_timestamp(timestamp: int, field: str = "timestamp") -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise ValidationError(f"{field}: must be an integer", field=field)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValidationError(f"{field}: must be between 0 and 2^63-1", field=field)


# --- signature lines -----------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key name, the key ID and the signature bytes after the ID."""

    name: str
    key_id: int
    signature: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name, "signature")
        if isinstance(self.key_id, bool) or not 0 <= self.key_id <= 0xFFFFFFFF:
            raise ValidationError("signature: the key id must be a uint32", field="signature")
        if len(self.signature) == 0:
            raise ValidationError("signature: the signature is empty", field="signature")

    def to_line(self) -> str:
        """``— <name> <base64(key ID || signature)>\\n``."""
        payload = self.key_id.to_bytes(_KEY_ID_SIZE, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(payload)}\n"


def parse_signature_line(line: str) -> NoteSignature:
    """Parse one signature line; the final newline is optional."""
    if not isinstance(line, str):
        raise ValidationError("signature: must be a string", field="signature")
    body = line.removesuffix("\n")
    if "\n" in body:
        raise ValidationError("signature: a signature line is a single line", field="signature")
    utf8(body, "signature")
    check_no_controls(body, "signature")
    if not body.startswith(SIGNATURE_PREFIX):
        raise ValidationError(
            "signature: a signature line starts with an em dash (U+2014) and a space",
            field="signature",
        )
    name, space, b64 = body[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or b64 == "":
        raise ValidationError("signature: expected '— <key name> <base64>'", field="signature")
    _check_key_name(name, "signature")
    raw = b64decode(b64, "signature")
    if len(raw) <= _KEY_ID_SIZE:
        raise ValidationError("signature: needs a 4-byte key id and a signature", field="signature")
    return NoteSignature(name, int.from_bytes(raw[:_KEY_ID_SIZE], "big"), raw[_KEY_ID_SIZE:])


# --- verifiers and signers -------------------------------------------------------------------


class Verifier(Protocol):
    """What :func:`open_note` needs of a known key."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, text: bytes, sig: bytes) -> bool: ...


class Identity:
    """A key's name, its signature type and the id they give with its public key."""

    sig_type = SIG_TYPE_ED25519

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_key_name(name)
        self._name = name
        self._public_key = bytes(public_key)
        self._key_id = key_id_for(name, self.sig_type, self._public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._public_key


class NoteVerifier(Identity):
    """An Ed25519 (type 0x01) note verifier key."""

    def __init__(self, name: str, public_key: bytes) -> None:
        super().__init__(name, public_key)
        self._key = _load_public_key(self._public_key, "public_key")

    @classmethod
    def from_string(cls, vkey: str) -> Self:
        """Parse ``<name>+<hex id>+<base64(type || key)>``, checking the key id."""
        name, _, public = _parse_vkey(vkey, cls.sig_type, "vkey")
        return cls(name, public)

    def to_string(self) -> str:
        return _format_vkey(self._name, self._key_id, self.sig_type, self._public_key)

    def verify(self, text: bytes, sig: bytes) -> bool:
        """Whether ``sig`` (without the key id) is this key's signature over ``text``."""
        return ed25519_verify(self._key, text, sig)

    def __repr__(self) -> str:
        return f"NoteVerifier({self.to_string()!r})"


class NoteSigner(Identity):
    """An Ed25519 (type 0x01) note signer: a key name and a private key."""

    def __init__(self, name: str, key: SigningKey) -> None:
        super().__init__(name, b64decode(key.public_key, "public_key"))
        self._key = key

    @classmethod
    def from_string(cls, skey: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>``, checking the key id."""
        field = "skey"
        if not isinstance(skey, str):
            raise ValidationError(f"{field}: must be a string", field=field)
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise ValidationError(
                f"{field}: expected PRIVATE+KEY+<name>+<key id>+<key>", field=field
            )
        _, _, name, hex_id, key64 = parts
        _check_key_name(name, field)
        if not _HEX_KEY_ID.fullmatch(hex_id):
            raise ValidationError(f"{field}: the key id must be 8 hex digits", field=field)
        material = b64decode(key64, field)
        if len(material) == 0:
            raise ValidationError(f"{field}: the key is empty", field=field)
        if material[0] != cls.sig_type:
            raise ValidationError(
                f"{field}: signature type 0x{material[0]:02x} is not Ed25519 (0x01)", field=field
            )
        seed = material[1:]
        if len(seed) != _ED25519_KEY_SIZE:
            raise ValidationError(
                f"{field}: an Ed25519 seed has 32 bytes, got {len(seed)}", field=field
            )
        signer = cls(name, SigningKey(Ed25519PrivateKey.from_private_bytes(seed)))
        if int(hex_id, 16) != signer.key_id:
            raise ValidationError(
                f"{field}: the key id does not match the name and the key", field=field
            )
        return signer

    def to_string(self) -> str:
        """The secret signer key string; keep it private."""
        seed = _seed_of(self._key)
        material = b64encode(bytes([self.sig_type]) + seed)
        return f"PRIVATE+KEY+{self._name}+{self._key_id:08x}+{material}"

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self._name, self._public_key)

    def signature(self, text: str) -> NoteSignature:
        data = check_note_text(text)
        raw = b64decode(self._key.sign(data), "signature")
        return NoteSignature(self._name, self._key_id, raw)

    def sign(self, text: str) -> str:
        """The signature line for ``text``: ``— <name> <base64(key ID || signature)>\\n``."""
        return self.signature(text).to_line()

    def __repr__(self) -> str:
        return f"NoteSigner(name={self._name!r}, key_id={self._key_id:08x})"
