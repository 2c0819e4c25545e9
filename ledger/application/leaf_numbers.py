"""The leaf index of a stored event: its place in the transparency log (docs/FORMATS.md
§10c), which numbers the events densely from 0, where the store's notification positions
may skip numbers (a transaction that rolled back used one).

An event's leaf index is the number of stored events before its position. Once the event is
committed that number is final: events are inserted one transaction at a time (SQLite's
write lock, PostgreSQL's table lock), so no event can later take a lower position. The
count is kept from the last answer, so each answer reads only the positions in between."""

from __future__ import annotations

import threading
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from ledger.application.storage import POSTGRES_TABLE, SQLITE_TABLE, is_postgres


def events_between(recorder: ApplicationRecorder, low: int, high: int) -> int:
    """How many stored events have a position ``p`` with ``low <= p < high``."""
    if high <= low:
        return 0
    datastore: Any = getattr(recorder, "datastore")  # noqa: B009
    if is_postgres(recorder):
        # the table's name is the module's constant, never input
        statement = (
            f"SELECT count(*) AS n FROM {datastore.schema}.{POSTGRES_TABLE} "  # noqa: S608
            "WHERE notification_id >= %s AND notification_id < %s"
        )
        # one statement on an autocommit connection: no BEGIN and ROLLBACK round trips
        with datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, (low, high), prepare=True)
            return int(cursor.fetchone()["n"])
    with datastore.transaction(commit=False) as cursor:
        statement = f"SELECT count(*) FROM {SQLITE_TABLE} WHERE rowid >= ? AND rowid < ?"  # noqa: S608
        cursor.execute(statement, (low, high))
        return int(cursor.fetchone()[0])


class LeafNumbers:
    """Leaf indexes of committed events, counted from the last one answered."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder
        self._known = (1, 0)  # (position, leaf index of the first event at or after it)
        self._lock = threading.Lock()

    def of(self, position: int) -> int:
        """The leaf index of the committed event at ``position``."""
        with self._lock:
            known_position, known_leaf = self._known
        if position >= known_position:
            leaf = known_leaf + events_between(self.recorder, known_position, position)
        else:
            leaf = known_leaf - events_between(self.recorder, position, known_position)
        with self._lock:
            if position > self._known[0]:
                self._known = (position, leaf)
        return leaf
