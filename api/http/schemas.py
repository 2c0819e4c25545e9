"""The documented request and response bodies of the HTTP API (kept apart from the domain's
events)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ledger.core.codes import KEY_ID


class CommandEnvelope(BaseModel):
    """A signed command: ``signature`` is Ed25519 over the RFC 8785 bytes of ``command``."""

    model_config = ConfigDict(extra="forbid")
    command: dict[str, Any] = Field(
        description="ledger, type, args, key_id, issued_at and nonce (docs/FORMATS.md §3)"
    )
    signature: str = Field(description="base64 of the 64-byte Ed25519 signature")


class ReceiptOut(BaseModel):
    event_id: str = Field(description="aggregate id / version")
    aggregate_id: str
    version: int
    event_type: str
    event_hash: str = Field(description="SHA-256 of the event's canonical bytes, hex")
    position: int = Field(
        description="the event's position in the store's notification log (may skip numbers)"
    )
    leaf: int = Field(
        description="the event's leaf index in the transparency log, numbered densely from 0: "
        "the index that /v1/log/leaves/{i}, inclusion proofs and traces use"
    )


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_id: str = Field(pattern=KEY_ID)


class ChallengeOut(BaseModel):
    challenge: str = Field(description="sign b'parledger-auth-v1:' + challenge with your key")
    expires_at: str


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_id: str = Field(pattern=KEY_ID)
    challenge: str = Field(max_length=2000)
    signature: str = Field(max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_at: str


class EvidenceOut(BaseModel):
    sha256: str
    size: int
    media_type: str = Field(description="the type told by the file's content")


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class LedgerInfo(BaseModel):
    ledger: str
    server_key_id: str | None
    position: int
    projected_position: int


class Health(BaseModel):
    status: str
    detail: dict[str, Any] = {}
