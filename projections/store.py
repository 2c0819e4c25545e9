"""The read-model tables, in the same database as the events, written with exactly-once
tracking: every batch of changes is committed together with the position of the last
event it applied (the library's tracking record), or not at all.

One implementation serves SQLite and PostgreSQL; they differ in placeholders, integer
type and schema qualification only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from ledger.application.postgres_timeouts import FailFastTracking
from ledger.application.storage import APPLICATION_NAME

TABLES: dict[str, tuple[str, str]] = {
    # name: (columns, primary key)
    "pv_log": (
        "position {int}, aggregate_type TEXT, aggregate_id TEXT, version {int}, "
        "event_type TEXT, event_hash TEXT, recorded_at TEXT",
        "position",
    ),
    "pv_keys": ("key_id TEXT, doc TEXT", "key_id"),
    "pv_units": ("code TEXT, doc TEXT", "code"),
    "pv_sets": ("code TEXT, version {int}, doc TEXT", "code, version"),
    "pv_campaigns": ("code TEXT, year {int}, doc TEXT", "code"),
    "pv_cards": ("campaign TEXT, unit TEXT, position {int}, doc TEXT", "campaign, unit"),
    "pv_totals": (
        "campaign TEXT, unit TEXT, ranking_group TEXT, unit_kind TEXT, total TEXT, "
        "max_total TEXT, idx TEXT",
        "campaign, unit",
    ),
    "pv_card_events": (
        "position {int}, campaign TEXT, unit TEXT, recorded_at TEXT, event_type TEXT, body TEXT",
        "position",
    ),
    "pv_leaves": ("leaf_index {int}, position {int}, leaf_hash TEXT", "leaf_index"),
    "pv_publications": (
        "campaign TEXT, sequence {int}, position {int}, published_at TEXT, doc TEXT",
        "campaign, sequence",
    ),
    "pv_merkle": ("level {int}, idx {int}, hash TEXT", "level, idx"),
    "pv_trace": (
        "position {int}, seq {int}, campaign TEXT, unit TEXT, criterion TEXT, recorded_at TEXT, "
        "event_type TEXT, key_id TEXT, signer TEXT, role TEXT, from_points TEXT, "
        "to_points TEXT, why TEXT, evidence TEXT, event_hash TEXT",
        "position, seq",
    ),
}
# statements the log, its witnesses and its publishers have made: created with the read
# models, never emptied by a rebuild
KEPT_TABLES: dict[str, tuple[str, str]] = {
    "pv_checkpoints": ("size {int}, root TEXT, note TEXT, signed_at TEXT", "size"),
    "pv_cosignatures": ("size {int}, witness TEXT, line TEXT, added_at TEXT", "size, witness"),
    "pv_published_tables": ("sha256 TEXT, campaign TEXT, doc TEXT", "sha256"),
    # keys asked for in a browser, waiting for an administrator: never part of the log
    # (api/web/enrolment_requests.py)
    "pv_enrolment_requests": (
        "key_id TEXT, requested_at TEXT, status TEXT, doc TEXT, decided_at TEXT, "
        "decided_by TEXT, reason TEXT",
        "key_id",
    ),
}
INDEXES = {
    "pv_trace_card": ("pv_trace", "campaign, unit, criterion, position"),
    "pv_card_events_card": ("pv_card_events", "campaign, unit, position"),
    "pv_totals_group": ("pv_totals", "campaign, ranking_group"),
    "pv_leaves_position": ("pv_leaves", "position"),
}
UPSERTS = {
    "pv_keys": ("key_id", "doc"),
    "pv_units": ("code", "doc"),
    "pv_sets": ("code", "version", "doc"),
    "pv_campaigns": ("code", "year", "doc"),
    "pv_cards": ("campaign", "unit", "position", "doc"),
    "pv_totals": ("campaign", "unit", "ranking_group", "unit_kind", "total", "max_total", "idx"),
}
APPENDS = {
    "pv_log": 7,
    "pv_leaves": 3,
    "pv_publications": 5,
    "pv_merkle": 3,
    "pv_card_events": 6,
    "pv_trace": 15,
}


@dataclass
class Changes:
    """Everything one batch of events changes in the read models."""

    appends: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {name: [] for name in APPENDS}
    )
    upserts: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = field(
        default_factory=lambda: {name: {} for name in UPSERTS}
    )
    group_moves: list[tuple[str, str]] = field(default_factory=list)

    def append(self, table: str, row: tuple[Any, ...]) -> None:
        self.appends[table].append(row)

    def upsert(self, table: str, row: tuple[Any, ...]) -> None:
        keys = len(TABLES[table][1].split(","))
        self.upserts[table][row[:keys]] = row

    def __bool__(self) -> bool:
        return any(self.appends.values()) or any(self.upserts.values()) or bool(self.group_moves)


class ViewStore:
    """Shared by the SQLite and PostgreSQL stores below."""

    placeholder = "?"
    integer = "INTEGER"
    datastore: Any

    def qualify(self, table: str) -> str:
        return table

    def sql(self, statement: str) -> str:
        for name in (*TABLES, *KEPT_TABLES):
            statement = statement.replace(f"{{{name}}}", self.qualify(name))
        return statement.replace("?", self.placeholder)

    def view_ddl(self) -> list[str]:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.qualify(name)} "
            f"({columns.format(int=self.integer)}, PRIMARY KEY ({key}))"
            for name, (columns, key) in (TABLES | KEPT_TABLES).items()
        ]
        statements += [
            f"CREATE INDEX IF NOT EXISTS {index} ON {self.qualify(table)} ({columns})"
            for index, (table, columns) in INDEXES.items()
        ]
        return statements

    @contextmanager
    def _transaction(self, commit: bool) -> Iterator[Any]:
        """A transaction whose duplicate rows raise the library's IntegrityError."""
        try:
            with self.datastore.transaction(commit=commit) as cursor:
                yield cursor
        except (sqlite3.IntegrityError, psycopg.IntegrityError) as error:
            raise IntegrityError(str(error)) from error

    def write(self, changes: Changes, position: int) -> None:
        """Apply ``changes`` and record ``position`` as applied, in one transaction. A
        position at or below the recorded one raises the library's IntegrityError, and
        so does a row appended twice: nothing of the batch is then kept."""
        with self._transaction(commit=True) as cursor:
            for table, rows in changes.appends.items():
                if rows:
                    self._append(cursor, table, rows)
            for table, keyed in changes.upserts.items():
                if keyed:
                    cursor.executemany(self._upsert_sql(table), list(keyed.values()))
            for unit, group in changes.group_moves:
                cursor.execute(
                    self.sql("UPDATE {pv_totals} SET ranking_group = ? WHERE unit = ?"),
                    (group, unit),
                )
            self._insert_tracking(cursor, Tracking(APPLICATION_NAME, position))  # type: ignore[attr-defined]

    def _append(self, cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * APPENDS[table])
        cursor.executemany(self.sql(f"INSERT INTO {{{table}}} VALUES ({marks})"), rows)

    def _upsert_sql(self, table: str) -> str:
        columns = UPSERTS[table]
        key = TABLES[table][1]
        keys = {k.strip() for k in key.split(",")}
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
        marks = ", ".join("?" * len(columns))
        return self.sql(
            f"INSERT INTO {{{table}}} ({', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run one statement in a transaction of its own."""
        with self._transaction(commit=True) as cursor:
            cursor.execute(self.sql(statement), tuple(params))

    def execute_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each of ``rows``, all in one transaction."""
        with self._transaction(commit=True) as cursor:
            cursor.executemany(self.sql(statement), [tuple(row) for row in rows])

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._transaction(commit=False) as cursor:
            cursor.execute(self.sql(statement), tuple(params))
            return [dict(row) for row in cursor.fetchall()]

    def position(self) -> int:
        position: int | None = self.max_tracking_id(APPLICATION_NAME)  # type: ignore[attr-defined]
        return position or 0

    def reset(self) -> None:
        """Empty every read model and forget the tracked position."""
        with self._transaction(commit=True) as cursor:
            for name in TABLES:
                cursor.execute(f"DELETE FROM {self.qualify(name)}")
            cursor.execute(self._delete_tracking_sql(), (APPLICATION_NAME,))

    def _delete_tracking_sql(self) -> str:
        raise NotImplementedError


class SQLiteViews(ViewStore, SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.view_ddl()]

    def _delete_tracking_sql(self) -> str:
        return "DELETE FROM tracking WHERE application_name = ?"


class PostgresViews(ViewStore, FailFastTracking):
    placeholder = "%s"
    integer = "BIGINT"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.extend(SQL(s) for s in self.view_ddl())  # type: ignore[misc]

    def qualify(self, table: str) -> str:
        return f'"{self.datastore.schema}".{table}'

    def _append(self, cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
        statement = SQL(f"COPY {self.qualify(table)} FROM STDIN")
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def _delete_tracking_sql(self) -> str:
        return (
            f'DELETE FROM "{self.datastore.schema}".{self.tracking_table_name} '
            "WHERE application_name = %s"
        )
