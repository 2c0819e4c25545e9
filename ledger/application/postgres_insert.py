"""Events inserted by one statement (PostgreSQL).

The library inserts a command's events in a transaction of several round trips: it takes the
table's EXCLUSIVE lock (so that log positions are committed in the order they are given,
and a reader tailing the log never passes a gap that is filled later), announces the insert
(NOTIFY), inserts, and commits. The lock is held while the client goes back and forth, so
that with many writers in one process the lock is held as long as a thread waits for the
interpreter to run it again, and every writer queues behind that.

Here the same steps are one function of the database, called by one statement in its own
transaction: the lock is taken, the rows inserted and the transaction committed inside the
server, in one round trip. The rows, their positions and the lock's guarantee are the
library's; only the number of round trips while the lock is held changes (to none)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

FUNCTION = "parledger_insert_events_v1"
CREATION_LOCK = 7_016_135_200  # pg_advisory_xact_lock: one process creates the tables at a time


class OneStatementInsert(PostgresApplicationRecorder):
    """A PostgreSQL application recorder that inserts events with one statement."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY INSERT INTO {schema}.{table} "
                "(originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
                "RETURNING notification_id; "
                "END; $BODY$"
            ).format(
                schema=schema,
                function=Identifier(FUNCTION),
                event=Identifier(self.stored_event_type_name),
                lock_timeout=self.datastore.lock_timeout,
                table=Identifier(self.events_table_name),
                channel=Identifier(self.channel_name),
            )
        )
        self.entries_statement = SQL(
            "SELECT notification_id, originator_id, originator_version FROM {schema}.{table} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(schema=schema, table=Identifier(self.events_table_name))
        self.insert_statement = SQL("SELECT * FROM {schema}.{function}(%s)").format(
            schema=schema, function=Identifier(FUNCTION)
        )

    def _create_table(self, curs: Any) -> None:
        # several worker processes may start at once: CREATE OR REPLACE FUNCTION run
        # concurrently fails ("tuple concurrently updated"), so they take turns
        curs.execute(SQL("SELECT pg_advisory_xact_lock(%s)"), (CREATION_LOCK,))
        super()._create_table(curs)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        if not stored_events:
            return []
        rows = [
            self.construct_pg_stored_event(
                originator_id=e.originator_id,
                originator_version=e.originator_version,
                topic=e.topic,
                state=e.state,
            )
            for e in stored_events
        ]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.insert_statement, (rows,), prepare=True)
            return [row[FUNCTION] for row in curs.fetchall()]

    def entries_after(self, position: int, limit: int) -> list[tuple[int, UUID, int]]:
        """The log's entries after ``position`` (at most ``limit``): position, aggregate and
        version, without the events' bodies."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.entries_statement, (position, limit), prepare=True)
            return [
                (
                    int(row["notification_id"]),
                    UUID(str(row["originator_id"])),
                    int(row["originator_version"]),
                )
                for row in curs.fetchall()
            ]
