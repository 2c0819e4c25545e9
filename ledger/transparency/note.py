"""C2SP signed notes (https://c2sp.org/signed-note): a UTF-8 text ending in a newline, a
blank line, then one or more signature lines. Ed25519 signatures (type 0x01) are over the
text. Every malformed input, failed signature or unverifiable note raises
:class:`ledger.core.errors.ValidationError`; signature failures carry the code
``invalid_signature`` and notes no known key signed the code ``unverified_note``."""

from __future__ import annotations

from collections.abc import Iterable

from ledger.core.errors import ValidationError
from ledger.transparency.note_keys import (
    MAX_SIGNATURES,
    NoteSignature,
    NoteSigner,
    Verifier,
    check_no_controls,
    check_note_text,
    parse_signature_line,
    utf8,
)

# --- notes ----------------------------------------------------------------------------------


def split_note(note: str) -> tuple[str, list[tuple[str, NoteSignature]]]:
    """Split a signed note into its text and its (line, signature) pairs, checking the syntax."""
    if not isinstance(note, str):
        raise ValidationError("note: must be a string", field="note")
    utf8(note, "note")
    check_no_controls(note, "note")
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
    check_note_text(text)
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
    text, signatures = split_note(note)
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
