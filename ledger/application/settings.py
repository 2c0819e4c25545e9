"""Typed settings, read from PARLEDGER_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ledger.application.storage import Timeouts
from ledger.core.errors import LedgerError
from ledger.transparency.cosignature import CosignatureVerifier


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
    tick_interval_seconds: float = Field(
        default=30.0, gt=0, description="how often the service locks cards past their deadline"
    )
    witnesses: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="cosignature verifier keys of the log's witnesses, separated by spaces",
    )
    db_wait_seconds: float = Field(
        default=3.0,
        gt=0,
        le=300,
        description="the longest a request waits for the database (a connection or a lock) "
        "before it answers 503",
    )
    db_connect_timeout_seconds: int = Field(default=2, ge=2, le=300)
    db_statement_timeout_seconds: float = Field(default=30.0, gt=0)
    db_lock_timeout_seconds: int = Field(default=10, ge=1, le=300)
    retry_after_seconds: int = Field(
        default=2, ge=1, le=3600, description="Retry-After of a 503 while the database is away"
    )
    ready_stall_seconds: float = Field(
        default=30.0,
        gt=0,
        description="not ready when the read models have not advanced for this long while "
        "the log has",
    )
    restart_backoff_max_seconds: float = Field(
        default=2.0, gt=0, le=300, description="the longest pause before a failed worker restarts"
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
    def timeouts(self) -> Timeouts:
        return Timeouts(
            wait=self.db_wait_seconds,
            connect=self.db_connect_timeout_seconds,
            statement=self.db_statement_timeout_seconds,
            lock=self.db_lock_timeout_seconds,
        )

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
