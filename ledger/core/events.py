"""The canonical form of a recorded event and its hash (docs/FORMATS.md, "Events")."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.core.canonical import canonical_bytes, format_time, sha256_hex


def canonical_event(
    *,
    aggregate_type: str,
    aggregate_id: UUID,
    version: int,
    event_type: str,
    recorded_at: datetime,
    prev_hash: str,
    body: dict[str, Any],
    command: dict[str, Any],
) -> dict[str, Any]:
    return {
        "aggregate_type": aggregate_type,
        "aggregate_id": str(aggregate_id),
        "version": version,
        "type": event_type,
        "recorded_at": format_time(recorded_at),
        "prev_hash": prev_hash,
        "body": body,
        "command": command,
    }


def event_bytes(**fields: Any) -> bytes:
    return canonical_bytes(canonical_event(**fields))


def event_hash(**fields: Any) -> str:
    return sha256_hex(event_bytes(**fields))
