"""C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature, Ed25519, type 0x04): a
witness signs ``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint text; its line
carries ``key ID || uint64 timestamp || signature``."""

from __future__ import annotations

from ledger.core.crypto import SigningKey, b64decode
from ledger.core.errors import ValidationError
from ledger.transparency.checkpoint import Checkpoint
from ledger.transparency.note import split_note
from ledger.transparency.note_keys import (
    COSIGNATURE_V1_HEADER,
    ED25519_SIGNATURE_SIZE,
    MAX_SIGNATURES,
    MAX_TIMESTAMP,
    SIG_TYPE_COSIGNATURE_V1,
    TIMESTAMP_SIZE,
    Identity,
    NoteSignature,
    NoteVerifier,
    check_timestamp,
    ed25519_verify,
    parse_signature_line,
)

# --- cosignatures ---------------------------------------------------------------------------


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint text, in UTF-8."""
    check_timestamp(timestamp)
    Checkpoint.from_text(checkpoint_text)
    return f"{COSIGNATURE_V1_HEADER}time {timestamp}\n{checkpoint_text}".encode()


class CosignatureVerifier(NoteVerifier):
    """A cosigner's Ed25519 key (type 0x04); also usable as a :class:`Verifier` for notes."""

    sig_type = SIG_TYPE_COSIGNATURE_V1

    def verify(self, text: bytes, sig: bytes) -> bool:
        """Whether ``sig`` (timestamp || signature, without the key id) cosigns ``text``."""
        if len(sig) != TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(sig[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        message = f"{COSIGNATURE_V1_HEADER}time {timestamp}\n".encode() + text
        return ed25519_verify(self._key, message, sig[TIMESTAMP_SIZE:])

    def __repr__(self) -> str:
        return f"CosignatureVerifier({self.to_string()!r})"


class Cosigner(Identity):
    """A witness that cosigns checkpoints (c2sp.org/tlog-cosignature v1, Ed25519)."""

    sig_type = SIG_TYPE_COSIGNATURE_V1

    def __init__(self, name: str, key: SigningKey) -> None:
        super().__init__(name, b64decode(key.public_key, "public_key"))
        self._key = key

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The cosignature line for a checkpoint text at ``timestamp`` (POSIX seconds)."""
        message = cosignature_message(checkpoint_text, timestamp)
        signature = b64decode(self._key.sign(message), "signature")
        payload = timestamp.to_bytes(TIMESTAMP_SIZE, "big") + signature
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
    if len(signature.signature) != TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
        raise ValidationError(
            "signature: a cosignature holds a key id, an 8-byte timestamp and 64 signature bytes",
            field="signature",
        )
    timestamp = int.from_bytes(signature.signature[:TIMESTAMP_SIZE], "big")
    if timestamp > MAX_TIMESTAMP:
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
    text, signatures = split_note(signed_checkpoint_note)
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
