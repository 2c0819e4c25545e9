"""Typed settings, read from PARLEDGER_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ledger.core.errors import LedgerError
from ledger.transparency.note import CosignatureVerifier


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEDGER_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/parledger.sqlite3",
        description="sqlite:///PATH (the embedded default) or postgresql://USER@HOST:PORT/DB",
    )
    home: Path = Field(default=Path("./var"), description="where keys and evidence live")
    ledger_name: str = Field(default="parledger.local/demo", min_length=1, max_length=200)
    max_clock_skew_seconds: int = Field(default=300, ge=1)
    token_ttl_seconds: int = Field(default=900, ge=30, le=86400)
    max_evidence_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    ready_max_lag: int = Field(default=1000, ge=0, description="positions the views may lag")
    log_origin: str = Field(
        default="parledger.local/demo",
        pattern=r"^[^\s+]+$",
        description="the transparency log's origin, also the name of its signing key",
    )
    checkpoint_interval_seconds: float = Field(default=5.0, gt=0)
    witnesses: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="cosignature verifier keys of the log's witnesses, separated by spaces",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s]+$",
        description="the address the public reaches this ledger at; documents link and "
        "QR-code its verify page <public_url>/cong-bo/<campaign>/kiem-tra",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_json: bool = True
    environment: Literal["development", "production"] = "development"

    @field_validator("witnesses", mode="before")
    @classmethod
    def split_witnesses(cls, value: object) -> object:
        return value.split() if isinstance(value, str) else value

    @field_validator("witnesses")
    @classmethod
    def parse_witnesses(cls, value: list[str]) -> list[str]:
        for vkey in value:
            try:
                CosignatureVerifier.from_string(vkey)
            except LedgerError as error:
                raise ValueError(f"witness key {vkey!r}: {error}") from None
        return value

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def server_key_file(self) -> Path:
        return self.keys_dir / "server.key"

    @property
    def log_key_file(self) -> Path:
        return self.keys_dir / "log.key"

    @property
    def evidence_dir(self) -> Path:
        return self.home / "evidence"
