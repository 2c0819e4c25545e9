"""Reading stored events for the projector: our own event format, decoded with orjson.

The library's mapper builds a full event object through its JSON transcoder; the
projector needs only a few fields and reads every event of the log on a rebuild, so it
parses the stored state itself (the ledger stores it uncompressed and unencrypted;
``tests/integration/test_publication.py`` checks it agrees with the library's mapper)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import Notification

from ledger.audit.event_checks import EventFacts


@dataclass(slots=True)
class LoggedEvent(EventFacts):
    """An event as the projector reads it: its facts and its position in the log."""

    position: int = 0


def decode(notification: Notification) -> LoggedEvent:
    state = orjson.loads(notification.state)
    aggregate_type, _, event_type = notification.topic.rpartition(":")[2].partition(".")
    timestamp = state["timestamp"]
    return LoggedEvent(
        position=notification.id,
        aggregate_type=aggregate_type,
        aggregate_id=str(notification.originator_id),
        version=notification.originator_version,
        event_type=event_type,
        recorded_at=datetime.fromisoformat(
            timestamp["_data_"] if isinstance(timestamp, dict) else timestamp
        ),
        body=state["body"],
        command=state["command"],
        event_hash=state["event_hash"],
        prev_hash=state["prev_hash"],
    )


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")
