"""Where in the log a reading stands: the position the read models have reached, the time
of the last event at or before a position, and the signed checkpoint that covers it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.store import ViewStore


@dataclass(frozen=True)
class LogPoint:
    """A log position as documents name it: the position, the last event at or before it
    (its leaf index and time) and the smallest signed checkpoint whose tree includes it."""

    position: int
    leaf_index: int | None
    recorded_at: str | None
    checkpoint: dict[str, Any] | None


def log_point(views: ViewStore, position: int) -> LogPoint:
    rows = views.rows(
        "SELECT position, recorded_at FROM {pv_log} WHERE position <= ? "
        "ORDER BY position DESC LIMIT 1",
        (position,),
    )
    recorded_at = str(rows[0]["recorded_at"]) if rows else None
    leaves = views.rows(
        "SELECT MAX(leaf_index) AS leaf FROM {pv_leaves} WHERE position <= ?", (position,)
    )
    leaf = leaves[0]["leaf"]
    leaf_index = None if leaf is None else int(leaf)
    checkpoint = None
    if leaf_index is not None:
        found = views.rows(
            "SELECT * FROM {pv_checkpoints} WHERE size > ? ORDER BY size LIMIT 1", (leaf_index,)
        )
        checkpoint = found[0] if found else None
    return LogPoint(position, leaf_index, recorded_at, checkpoint)


def last_change(
    views: ViewStore, campaign: str, position: int, unit: str | None = None
) -> str | None:
    """When the campaign's scorecards (or one unit's) last changed at or before ``position``."""
    statement = "SELECT recorded_at FROM {pv_card_events} WHERE campaign = ? AND position <= ?"
    params: list[Any] = [campaign, position]
    if unit is not None:
        statement += " AND unit = ?"
        params.append(unit)
    rows = views.rows(statement + " ORDER BY position DESC LIMIT 1", params)
    return str(rows[0]["recorded_at"]) if rows else None
