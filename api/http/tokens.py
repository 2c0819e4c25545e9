"""Short-lived bearer tokens for reads: a person signs a server challenge with their
enrolled key and gets a token signed by the server's key. Both are stateless, so any
process of the service can check them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import orjson

from ledger.core.b64 import (
    b64decode,
    b64encode,
    b64url_decode,
    b64url_encode,
    refuse_other_spelling,
)
from ledger.core.canonical import canonical_bytes, format_time, parse_time
from ledger.core.crypto import SigningKey, verify_signature
from ledger.core.errors import AuthorizationError, LedgerError, ValidationError
from ledger.domain.keyring import KeyRecord, Keyring

CHALLENGE_PREFIX = b"parledger-auth-v1:"


def _seal(server: SigningKey, payload: dict[str, Any]) -> str:
    data = canonical_bytes(payload)
    return f"{b64url_encode(data)}.{b64url_encode(b64decode(server.sign(data)))}"


def _open(server_public_key: str, sealed: str, code: str) -> dict[str, Any]:
    try:
        data_text, signature_text = sealed.split(".")
        data, signature = b64url_decode(data_text), b64url_decode(signature_text)
        payload = orjson.loads(data)
    except ValidationError as error:
        raise AuthorizationError(f"the token is not well formed: {error}", code=code) from None
    except (ValueError, orjson.JSONDecodeError):
        raise AuthorizationError("the token is not well formed", code=code) from None
    if not verify_signature(server_public_key, b64encode(signature), data):
        raise AuthorizationError("the token was not issued by this server", code=code)
    if not isinstance(payload, dict):
        raise AuthorizationError("the token is not well formed", code=code)
    return payload


class TokenIssuer:
    def __init__(self, server: SigningKey, ledger_name: str, ttl: timedelta) -> None:
        self.server = server
        self.ledger_name = ledger_name
        self.ttl = ttl

    def challenge(self, key_id: str, now: datetime) -> dict[str, str]:
        payload = {
            "ledger": self.ledger_name,
            "key_id": key_id,
            "nonce": secrets.token_hex(16),
            "expires_at": format_time(now + timedelta(minutes=2)),
            "use": "challenge",
        }
        return {"challenge": _seal(self.server, payload), "expires_at": payload["expires_at"]}

    def token(
        self, keyring: Keyring, key_id: str, challenge: str, signature: str, now: datetime
    ) -> dict[str, str]:
        payload = _open(self.server.public_key, challenge, "challenge_invalid")
        if payload.get("use") != "challenge" or payload.get("key_id") != key_id:
            raise AuthorizationError(
                "the challenge was issued for another key", code="challenge_invalid", field="key_id"
            )
        if parse_time(str(payload["expires_at"])) < now:
            raise AuthorizationError(
                "the challenge has expired; ask for a new one",
                code="challenge_expired",
                field="challenge",
            )
        record = keyring.get(key_id)
        if record is None or not record.active:
            raise AuthorizationError(
                f"key {key_id} is not an active enrolled key", code="unknown_key", field="key_id"
            )
        refuse_other_spelling(signature, "signature")
        if not verify_signature(
            record.public_key, signature, CHALLENGE_PREFIX + challenge.encode()
        ):
            raise AuthorizationError(
                "the signature over the challenge does not verify",
                code="bad_signature",
                field="signature",
            )
        expires = now + self.ttl
        token = _seal(
            self.server,
            {
                "ledger": self.ledger_name,
                "key_id": key_id,
                "use": "read",
                "expires_at": format_time(expires),
            },
        )
        return {"access_token": token, "token_type": "Bearer", "expires_at": format_time(expires)}

    def reader(self, keyring: Keyring, token: str, now: datetime) -> KeyRecord:
        payload = _open(self.server.public_key, token, "token_invalid")
        if payload.get("use") != "read" or payload.get("ledger") != self.ledger_name:
            raise AuthorizationError(
                "the token is not a read token of this ledger", code="token_invalid"
            )
        try:
            expires = parse_time(str(payload["expires_at"]))
        except LedgerError:
            raise AuthorizationError("the token is not well formed", code="token_invalid") from None
        if expires < now:
            raise AuthorizationError(
                "the token has expired; sign a new challenge", code="token_expired"
            )
        record = keyring.get(str(payload.get("key_id")))
        if record is None or not record.active:
            raise AuthorizationError("the token's key is no longer active", code="token_invalid")
        return record


def sign_challenge(key: SigningKey, challenge: str) -> str:
    """What a client sends back: its signature over the challenge."""
    return key.sign(CHALLENGE_PREFIX + challenge.encode())
