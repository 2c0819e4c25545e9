"""Base64 with one spelling per byte string (docs/FORMATS.md §1).

A decoder that ignores padding, the unused low bits of the last character or line breaks
accepts many texts for the same bytes, so the same signed act could be stored as different
envelopes, and a careful independent verifier would refuse what a lenient one accepts. Every
Base64 text parledger reads is therefore decoded here, and accepted only if encoding the
decoded bytes gives exactly the text back."""

from __future__ import annotations

import base64
import binascii
import re

from ledger.core.errors import ValidationError

NON_CANONICAL = "non_canonical_base64"
_URL_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


def b64encode(data: bytes) -> str:
    """Standard Base64 with padding (RFC 4648 §4)."""
    return base64.b64encode(data).decode("ascii")


def b64url_encode(data: bytes) -> str:
    """URL-safe Base64 without padding (RFC 4648 §5), as read tokens are written."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str, field: str = "value") -> bytes:
    """Decode standard padded Base64, refusing any text but the canonical spelling."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError, AttributeError):
        raise ValidationError(f"{field}: not valid base64", field=field) from None
    _canonical(b64encode(raw), text, field)
    return raw


def b64url_decode(text: str, field: str = "value") -> bytes:
    """Decode URL-safe unpadded Base64, refusing any text but the canonical spelling."""
    try:
        if not _URL_ALPHABET.fullmatch(text):
            raise ValueError(text)
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError, TypeError):
        raise ValidationError(f"{field}: not valid base64url", field=field) from None
    _canonical(b64url_encode(raw), text, field)
    return raw


def refuse_other_spelling(text: str, field: str) -> None:
    """Refuse valid Base64 that is not spelled canonically. Text that is no Base64 at all
    passes: a signature made of it is found bad when it is verified."""
    try:
        b64decode(text, field)
    except ValidationError as error:
        if error.code == NON_CANONICAL:
            raise


def _canonical(canonical: str, text: str, field: str) -> None:
    if canonical != text:
        raise ValidationError(
            f"{field}: not canonical base64: the same bytes are written {_short(canonical)} "
            "(padding as RFC 4648 says, unused low bits zero, no whitespace)",
            code=NON_CANONICAL,
            field=field,
        )


def _short(text: str) -> str:
    return repr(text) if len(text) <= 24 else repr("…" + text[-16:])
