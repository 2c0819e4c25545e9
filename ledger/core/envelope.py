"""Signed command envelopes: the exact bytes a person signs.

An envelope is ``{"command": {...}, "signature": "<base64>"}``; the signature is Ed25519
over the RFC 8785 canonical bytes of ``command``. See docs/FORMATS.md.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.core.b64 import refuse_other_spelling
from ledger.core.canonical import (
    canonical_bytes,
    check_json_value,
    format_time,
    parse_time,
    refuse_nul,
    sha256_hex,
)
from ledger.core.codes import KEY_ID
from ledger.core.crypto import SigningKey, verify_signature
from ledger.core.errors import ValidationError

COMMAND_FIELDS = frozenset({"ledger", "type", "args", "key_id", "issued_at", "nonce"})
ENVELOPE_FIELDS = frozenset({"command", "signature"})
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_TYPE = re.compile(r"[a-z][a-z0-9_]{1,63}")
_KEY_ID = re.compile(KEY_ID)


@dataclass(frozen=True)
class SignedCommand:
    payload: dict[str, Any]
    signature: str
    # the canonical bytes of ``payload``, when the caller has them already
    signed: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def type(self) -> str:
        return str(self.payload["type"])

    @property
    def args(self) -> dict[str, Any]:
        args: dict[str, Any] = self.payload["args"]
        return args

    @property
    def key_id(self) -> str:
        return str(self.payload["key_id"])

    @property
    def nonce(self) -> str:
        return str(self.payload["nonce"])

    @property
    def ledger(self) -> str:
        return str(self.payload["ledger"])

    @property
    def issued_at(self) -> datetime:
        return parse_time(str(self.payload["issued_at"]), "command.issued_at")

    @property
    def replay_key(self) -> str:
        return f"{self.key_id}:{self.nonce}"

    def signed_bytes(self) -> bytes:
        return self.signed if self.signed is not None else canonical_bytes(self.payload)

    def digest(self) -> str:
        return sha256_hex(self.signed_bytes())

    def envelope(self) -> dict[str, Any]:
        return {"command": self.payload, "signature": self.signature}

    def signature_valid(self, public_key: str) -> bool:
        return verify_signature(public_key, self.signature, self.signed_bytes())

    @classmethod
    def from_envelope(cls, data: Any, signed: bytes | None = None) -> SignedCommand:
        """Check the envelope's shape; the signature is checked against the key registry later.

        ``signed`` are the payload's canonical bytes, if the caller established them already
        (and with them that the payload holds only plain JSON values)."""
        if not isinstance(data, dict) or data.keys() != ENVELOPE_FIELDS:
            raise ValidationError(
                "a command envelope is an object with exactly 'command' and 'signature'",
                field="envelope",
            )
        payload, signature = data["command"], data["signature"]
        if not isinstance(signature, str):
            raise ValidationError("signature must be a base64 string", field="signature")
        refuse_other_spelling(signature, "signature")
        if not isinstance(payload, dict):
            raise ValidationError("command must be an object", field="command")
        if payload.keys() != COMMAND_FIELDS:
            missing = COMMAND_FIELDS - set(payload)
            extra = set(payload) - COMMAND_FIELDS
            parts = []
            if missing:
                parts.append("missing " + ", ".join(sorted(missing)))
            if extra:
                parts.append("unexpected " + ", ".join(sorted(extra)))
            raise ValidationError("command: " + "; ".join(parts), field="command")
        if signed is None:
            check_json_value(payload, "command")
        for name, pattern in (("type", _TYPE), ("key_id", _KEY_ID), ("nonce", _NONCE)):
            value = payload[name]
            if not isinstance(value, str) or not pattern.fullmatch(value):
                raise ValidationError(
                    f"command.{name}: {value!r} is not well formed", field=f"command.{name}"
                )
        if not isinstance(payload["args"], dict):
            raise ValidationError("command.args must be an object", field="command.args")
        if not isinstance(payload["ledger"], str) or not payload["ledger"]:
            raise ValidationError("command.ledger must name the ledger", field="command.ledger")
        if not isinstance(payload["issued_at"], str):
            raise ValidationError("command.issued_at must be a string", field="command.issued_at")
        parse_time(payload["issued_at"], "command.issued_at")
        if signed is None:
            signed = canonical_bytes(payload)
        refuse_nul(signed, "command")
        return cls(payload=payload, signature=signature, signed=signed)


def new_nonce() -> str:
    return secrets.token_hex(16)


def sign_command(
    key: SigningKey,
    *,
    ledger: str,
    type: str,
    args: dict[str, Any],
    issued_at: datetime,
    nonce: str | None = None,
) -> SignedCommand:
    payload = {
        "ledger": ledger,
        "type": type,
        "args": args,
        "key_id": key.key_id,
        "issued_at": format_time(issued_at),
        "nonce": nonce or new_nonce(),
    }
    return SignedCommand(payload=payload, signature=key.sign(canonical_bytes(payload)))
