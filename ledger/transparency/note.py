"""C2SP signed notes, transparency-log checkpoints and cosignatures.

Three formats from https://c2sp.org, implemented to the byte:

* signed-note: a UTF-8 text ending in a newline, a blank line, then one or more lines
  ``— <key name> <base64(4-byte key ID || signature)>``. Ed25519 signatures (type 0x01) are
  over the text; the key ID is ``SHA-256(name || 0x0A || type || public key)[:4]``. Keys are
  written ``<name>+<hex id>+<base64(type || public key)>`` (verifier) and
  ``PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>`` (signer), as golang.org/x/mod/sumdb/note.
* tlog-checkpoint: a note whose text is ``<origin>\\n<size>\\n<base64 root hash>\\n`` followed by
  optional extension lines, signed by the log under a key named after the origin.
* tlog-cosignature v1 (Ed25519, type 0x04): a witness signs
  ``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint text; its line carries
  ``key ID || uint64 timestamp || signature``.

Every malformed input, failed signature or unverifiable note raises
:class:`ledger.core.errors.ValidationError`; signature failures carry the code
``invalid_signature`` and notes no known key signed the code ``unverified_note``.
Base64 is the standard alphabet with padding, and only its canonical form is accepted (unused
trailing bits must be zero), so one signature has exactly one spelling.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.core.crypto import SigningKey, b64decode, b64encode
from ledger.core.errors import ValidationError

__all__ = [
    "COSIGNATURE_V1_HEADER",
    "EM_DASH",
    "MAX_SIGNATURES",
    "SIG_TYPE_COSIGNATURE_V1",
    "SIG_TYPE_ED25519",
    "Checkpoint",
    "CosignatureVerifier",
    "Cosigner",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "Verifier",
    "add_cosignature",
    "cosignature_message",
    "key_id_for",
    "open_checkpoint",
    "open_note",
    "parse_signature_line",
    "sign_checkpoint",
    "sign_note",
    "verify_cosignature",
]

EM_DASH = "\u2014"
SIGNATURE_PREFIX = EM_DASH + " "
SIG_TYPE_ED25519 = 0x01
SIG_TYPE_COSIGNATURE_V1 = 0x04
COSIGNATURE_V1_HEADER = "cosignature/v1\n"
# The spec asks verifiers to accept at least 16 signatures; like the Go implementation, more
# than 100 make the note malformed.
MAX_SIGNATURES = 100

_KEY_ID_SIZE = 4
_TIMESTAMP_SIZE = 8
_ED25519_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_ROOT_HASH_SIZE = 32
_MAX_UINT64 = (1 << 64) - 1
_MAX_TIMESTAMP = (1 << 63) - 1
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


# --- small helpers -----------------------------------------------------------------------


def _utf8(text: str, field: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{field}: not valid UTF-8", field=field) from None


def _check_no_controls(text: str, field: str) -> None:
    """Refuse ASCII control characters (below U+0020) other than newline."""
    for char in text:
        if char < " " and char != "\n":
            raise ValidationError(
                f"{field}: control character U+{ord(char):04X} is not allowed", field=field
            )


def _check_note_text(text: str, field: str = "text") -> bytes:
    """A note text: valid UTF-8, ending in a newline, no control characters but newline."""
    if not isinstance(text, str):
        raise ValidationError(f"{field}: must be a string", field=field)
    data = _utf8(text, field)
    if not text.endswith("\n"):
        raise ValidationError(f"{field}: a note text must end with a newline", field=field)
    _check_no_controls(text, field)
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


def _ed25519_verify(key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    if len(signature) != _ED25519_SIGNATURE_SIZE:
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


def _check_timestamp(timestamp: int, field: str = "timestamp") -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise ValidationError(f"{field}: must be an integer", field=field)
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
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
    _utf8(body, "signature")
    _check_no_controls(body, "signature")
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


class _Identity:
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


class NoteVerifier(_Identity):
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
        return _ed25519_verify(self._key, text, sig)

    def __repr__(self) -> str:
        return f"NoteVerifier({self.to_string()!r})"


class NoteSigner(_Identity):
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
        data = _check_note_text(text)
        raw = b64decode(self._key.sign(data), "signature")
        return NoteSignature(self._name, self._key_id, raw)

    def sign(self, text: str) -> str:
        """The signature line for ``text``: ``— <name> <base64(key ID || signature)>\\n``."""
        return self.signature(text).to_line()

    def __repr__(self) -> str:
        return f"NoteSigner(name={self._name!r}, key_id={self._key_id:08x})"


# --- notes ----------------------------------------------------------------------------------


def _split_note(note: str) -> tuple[str, list[tuple[str, NoteSignature]]]:
    """Split a signed note into its text and its (line, signature) pairs, checking the syntax."""
    if not isinstance(note, str):
        raise ValidationError("note: must be a string", field="note")
    _utf8(note, "note")
    _check_no_controls(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise ValidationError(
            "note: no blank line separates the text from the signatures", field="note"
        )
    text, block = note[: split + 1], note[split + 2 :]
    if block == "" or not block.endswith("\n"):
        raise ValidationError(
            "note: the signatures must be one or more lines, each ending in a newline",
            field="note",
        )
    lines = block.split("\n")[:-1]
    if len(lines) > MAX_SIGNATURES:
        raise ValidationError(f"note: more than {MAX_SIGNATURES} signatures", field="note")
    signatures: list[tuple[str, NoteSignature]] = []
    for line in lines:
        try:
            signature = parse_signature_line(line)
        except ValidationError as error:
            raise ValidationError(f"note: {error.message}", code=error.code, field="note") from None
        signatures.append((line + "\n", signature))
    return text, signatures


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """``text`` + a blank line + one signature line per signer, in the order given."""
    _check_note_text(text)
    signer_list = list(signers)
    if not signer_list:
        raise ValidationError("signers: a note needs at least one signer", field="signers")
    if len(signer_list) > MAX_SIGNATURES:
        raise ValidationError(f"signers: more than {MAX_SIGNATURES} signers", field="signers")
    seen: set[tuple[str, int]] = set()
    lines: list[str] = []
    for signer in signer_list:
        identity = (signer.name, signer.key_id)
        if identity in seen:
            raise ValidationError(
                f"signers: key {signer.name}+{signer.key_id:08x} given twice", field="signers"
            )
        seen.add(identity)
        lines.append(signer.sign(text))
    return text + "\n" + "".join(lines)


def _verifier_map(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        identity = (verifier.name, verifier.key_id)
        if identity in known and known[identity] is not verifier:
            other = known[identity]
            if type(other) is not type(verifier) or _public_key_of(other) != _public_key_of(
                verifier
            ):
                raise ValidationError(
                    f"verifiers: ambiguous key {verifier.name}+{verifier.key_id:08x}",
                    field="verifiers",
                )
        known[identity] = verifier
    return known


def _public_key_of(verifier: Verifier) -> object:
    return getattr(verifier, "public_key", verifier)


def open_note(note: str, verifiers: Iterable[Verifier]) -> tuple[str, list[str]]:
    """Check a signed note against known keys; return its text and the verified lines.

    Signatures whose (name, key ID) matches no known key are ignored. Every signature from a
    known key must verify, or the note is refused (code ``invalid_signature``); if no known
    key signed it, it is refused too (code ``unverified_note``). The verified lines are
    returned in note order, each once, with their final newline.
    """
    known = _verifier_map(verifiers)
    text, signatures = _split_note(note)
    data = text.encode("utf-8")
    verified: list[str] = []
    for line, signature in signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        if not verifier.verify(data, signature.signature):
            raise ValidationError(
                f"note: invalid signature for key {signature.name}+{signature.key_id:08x}",
                code="invalid_signature",
                field="note",
            )
        if line not in verified:
            verified.append(line)
    if not verified:
        raise ValidationError(
            "note: no signature from a known key", code="unverified_note", field="note"
        )
    return text, verified


# --- checkpoints ----------------------------------------------------------------------------


def _check_origin(origin: str) -> None:
    if not isinstance(origin, str) or origin == "":
        raise ValidationError("checkpoint: the origin must be non-empty", field="checkpoint")
    _utf8(origin, "checkpoint")
    if any(char.isspace() or char < " " for char in origin):
        raise ValidationError(
            "checkpoint: the origin must not contain spaces or control characters",
            field="checkpoint",
        )


def _check_extension(line: str) -> None:
    if not isinstance(line, str) or line == "":
        raise ValidationError("checkpoint: an extension line must be non-empty", field="checkpoint")
    _utf8(line, "checkpoint")
    if "\n" in line:
        raise ValidationError(
            "checkpoint: an extension line must not contain a newline", field="checkpoint"
        )
    _check_no_controls(line, "checkpoint")


@dataclass(frozen=True)
class Checkpoint:
    """A transparency-log checkpoint (c2sp.org/tlog-checkpoint)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise ValidationError(
                "checkpoint: the tree size must be an integer", field="checkpoint"
            )
        if not 0 <= self.size <= _MAX_UINT64:
            raise ValidationError(
                "checkpoint: the tree size must fit an unsigned 64-bit integer",
                field="checkpoint",
            )
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != _ROOT_HASH_SIZE:
            raise ValidationError("checkpoint: the root hash must be 32 bytes", field="checkpoint")
        if not isinstance(self.extensions, tuple):
            raise ValidationError(
                "checkpoint: the extension lines must be a tuple", field="checkpoint"
            )
        for line in self.extensions:
            _check_extension(line)

    def to_text(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text, strictly."""
        field = "checkpoint"
        if not isinstance(text, str):
            raise ValidationError(f"{field}: must be a string", field=field)
        _utf8(text, field)
        if not text.endswith("\n"):
            raise ValidationError(f"{field}: the text must end with a newline", field=field)
        _check_no_controls(text, field)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise ValidationError(
                f"{field}: expected an origin, a tree size and a root hash line", field=field
            )
        origin, size_text, hash_text, *extensions = lines
        _check_origin(origin)
        if not _TREE_SIZE.fullmatch(size_text):
            raise ValidationError(
                f"{field}: the tree size must be a decimal without leading zeros", field=field
            )
        size = int(size_text)
        if size > _MAX_UINT64:
            raise ValidationError(
                f"{field}: the tree size must fit an unsigned 64-bit integer", field=field
            )
        try:
            root_hash = b64decode(hash_text, field)
        except ValidationError as error:
            raise ValidationError(
                f"{field}: the root hash is not canonical base64", code=error.code, field=field
            ) from None
        if len(root_hash) != _ROOT_HASH_SIZE:
            raise ValidationError(
                f"{field}: the root hash must be 32 bytes, got {len(root_hash)}", field=field
            )
        return cls(origin, size, root_hash, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a note signed by the log; the signer's key name must be the origin."""
    if signer.name != cp.origin:
        raise ValidationError(
            f"signer: the log key is named {signer.name!r}, not the origin {cp.origin!r}",
            field="signer",
        )
    return sign_note(cp.to_text(), [signer])


def open_checkpoint(note: str, verifier: NoteVerifier) -> Checkpoint:
    """Verify the log's signature on a checkpoint note and parse it.

    The verifier's key name must equal the checkpoint origin; other signatures (such as
    cosignatures) are ignored.
    """
    text, _ = open_note(note, [verifier])
    checkpoint = Checkpoint.from_text(text)
    if checkpoint.origin != verifier.name:
        raise ValidationError(
            f"checkpoint: origin {checkpoint.origin!r} is not the log key's name {verifier.name!r}",
            field="checkpoint",
        )
    return checkpoint


# --- cosignatures ---------------------------------------------------------------------------


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint text, in UTF-8."""
    _check_timestamp(timestamp)
    Checkpoint.from_text(checkpoint_text)
    return f"{COSIGNATURE_V1_HEADER}time {timestamp}\n{checkpoint_text}".encode()


class CosignatureVerifier(NoteVerifier):
    """A cosigner's Ed25519 key (type 0x04); also usable as a :class:`Verifier` for notes."""

    sig_type = SIG_TYPE_COSIGNATURE_V1

    def verify(self, text: bytes, sig: bytes) -> bool:
        """Whether ``sig`` (timestamp || signature, without the key id) cosigns ``text``."""
        if len(sig) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(sig[:_TIMESTAMP_SIZE], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        message = f"{COSIGNATURE_V1_HEADER}time {timestamp}\n".encode() + text
        return _ed25519_verify(self._key, message, sig[_TIMESTAMP_SIZE:])

    def __repr__(self) -> str:
        return f"CosignatureVerifier({self.to_string()!r})"


class Cosigner(_Identity):
    """A witness that cosigns checkpoints (c2sp.org/tlog-cosignature v1, Ed25519)."""

    sig_type = SIG_TYPE_COSIGNATURE_V1

    def __init__(self, name: str, key: SigningKey) -> None:
        super().__init__(name, b64decode(key.public_key, "public_key"))
        self._key = key

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The cosignature line for a checkpoint text at ``timestamp`` (POSIX seconds)."""
        message = cosignature_message(checkpoint_text, timestamp)
        signature = b64decode(self._key.sign(message), "signature")
        payload = timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature
        return NoteSignature(self._name, self._key_id, payload).to_line()

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self._name, self._public_key)

    def verifier_string(self) -> str:
        """``<name>+<hex id>+<base64(0x04 || public key)>``."""
        return self.verifier().to_string()

    def __repr__(self) -> str:
        return f"Cosigner(name={self._name!r}, key_id={self._key_id:08x})"


def verify_cosignature(checkpoint_text: str, line: str, cosigner_vkey: str) -> int:
    """Verify one cosignature line over a checkpoint text; return its timestamp."""
    verifier = CosignatureVerifier.from_string(cosigner_vkey)
    Checkpoint.from_text(checkpoint_text)
    signature = parse_signature_line(line)
    if signature.name != verifier.name or signature.key_id != verifier.key_id:
        raise ValidationError(
            f"signature: made by key {signature.name}+{signature.key_id:08x}, not by "
            f"cosigner {verifier.name}+{verifier.key_id:08x}",
            field="signature",
        )
    if len(signature.signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
        raise ValidationError(
            "signature: a cosignature holds a key id, an 8-byte timestamp and 64 signature bytes",
            field="signature",
        )
    timestamp = int.from_bytes(signature.signature[:_TIMESTAMP_SIZE], "big")
    if timestamp > _MAX_TIMESTAMP:
        raise ValidationError("signature: the timestamp exceeds 2^63-1", field="signature")
    if not verifier.verify(checkpoint_text.encode("utf-8"), signature.signature):
        raise ValidationError(
            f"signature: invalid cosignature by {verifier.name}+{verifier.key_id:08x}",
            code="invalid_signature",
            field="signature",
        )
    return timestamp


def add_cosignature(signed_checkpoint_note: str, line: str) -> str:
    """Append a cosignature line to a signed checkpoint note.

    The note and the line are checked for syntax only (the line is not verified). An identical
    line already present leaves the note unchanged; a line from the same key (name and key ID)
    is replaced by the new one.
    """
    text, signatures = _split_note(signed_checkpoint_note)
    Checkpoint.from_text(text)
    new = parse_signature_line(line)
    new_line = new.to_line()
    if any(existing == new_line for existing, _ in signatures):
        return signed_checkpoint_note
    kept = [
        existing
        for existing, signature in signatures
        if (signature.name, signature.key_id) != (new.name, new.key_id)
    ]
    if len(kept) + 1 > MAX_SIGNATURES:
        raise ValidationError(f"note: more than {MAX_SIGNATURES} signatures", field="note")
    return text + "\n" + "".join(kept) + new_line
