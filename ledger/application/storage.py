"""Where the events live: the eventsourcing persistence settings for a database URL,
and the few reads of the stored-event table that the library does not offer."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory
from eventsourcing.postgres import PostgresRecorder
from eventsourcing.utils import Environment

from ledger.application import postgres_timeouts
from ledger.core.errors import ValidationError

APPLICATION_NAME = "Ledger"
POSTGRES_TABLE = APPLICATION_NAME.lower() + "_events"
SQLITE_TABLE = "stored_events"


@dataclass(frozen=True)
class Timeouts:
    """How long the store waits before it gives up, so that a request fails within seconds
    while the database is away (ADR 11)."""

    wait: float = 3.0  # for a pooled connection (PostgreSQL) or a write lock (SQLite)
    connect: int = 2  # to open a PostgreSQL connection
    statement: float = 30.0  # for one PostgreSQL statement
    lock: int = 10  # for PostgreSQL's table lock while events are inserted


@dataclass(frozen=True)
class PostgresLocation:
    host: str
    port: int
    user: str
    password: str
    database: str
    schema: str  # "public" unless the URL names one with ?schema=

    def connect_kwargs(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.database,
        }


def sqlite_path(database_url: str) -> Path | None:
    """The file of an SQLite URL (sqlite:///relative/path, sqlite:////absolute/path, as
    SQLAlchemy writes them); None for another kind of store."""
    if urlparse(database_url).scheme != "sqlite":
        return None
    path = (
        unquote(database_url[len("sqlite:///") :]) if database_url.startswith("sqlite:///") else ""
    )
    if not path or path == ":memory:":
        raise ValidationError(
            "an SQLite ledger needs a file: sqlite:///var/parledger.sqlite3",
            field="PARLEDGER_DATABASE_URL",
        )
    return Path(path)


def postgres_location(database_url: str) -> PostgresLocation | None:
    """Where a PostgreSQL URL points; None for another kind of store."""
    parsed = urlparse(database_url)
    if parsed.scheme not in ("postgresql", "postgres"):
        return None
    if not parsed.path.strip("/"):
        raise ValidationError(
            "a PostgreSQL URL must name the database", field="PARLEDGER_DATABASE_URL"
        )
    return PostgresLocation(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password or ""),
        database=unquote(parsed.path.strip("/")),
        schema=parse_qs(parsed.query).get("schema", [""])[0] or "public",
    )


def persistence_env(database_url: str, timeouts: Timeouts | None = None) -> dict[str, str]:
    """Translate ``PARLEDGER_DATABASE_URL`` into the library's environment."""
    timeouts = timeouts or Timeouts()
    env: dict[str, str] = {}
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=str(path),
            SQLITE_LOCK_TIMEOUT=str(ceil(timeouts.wait)),
        )
        return env
    where = postgres_location(database_url)
    if where is not None:
        env.update(
            PERSISTENCE_MODULE=f"{postgres_timeouts.__name__}:FailFastPostgresFactory",
            POSTGRES_DBNAME=where.database,
            POSTGRES_HOST=where.host,
            POSTGRES_PORT=str(where.port),
            POSTGRES_USER=where.user,
            POSTGRES_PASSWORD=where.password,
            POSTGRES_CONNECT_TIMEOUT=str(ceil(timeouts.wait)),
            POSTGRES_POOL_SIZE="8",
            POSTGRES_LOCK_TIMEOUT=str(timeouts.lock),
            POSTGRES_SCHEMA=where.schema,
        )
        env[postgres_timeouts.WAIT] = str(timeouts.wait)
        env[postgres_timeouts.CONNECT_TIMEOUT] = str(timeouts.connect)
        env[postgres_timeouts.STATEMENT_TIMEOUT] = str(timeouts.statement)
        return env
    raise ValidationError(
        f"unsupported database URL {database_url!r}: use sqlite:///PATH or postgresql://…",
        field="PARLEDGER_DATABASE_URL",
    )


def is_postgres(recorder: ApplicationRecorder) -> bool:
    return isinstance(recorder, PostgresRecorder)


def notification_id_of(recorder: ApplicationRecorder, aggregate_id: UUID, version: int) -> int:
    """The log position at which an aggregate's event of ``version`` was recorded."""
    datastore: Any = getattr(recorder, "datastore")  # noqa: B009
    if is_postgres(recorder):
        statement = (
            f"SELECT notification_id FROM {datastore.schema}.{POSTGRES_TABLE} "
            "WHERE originator_id = %s AND originator_version = %s"
        )
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (aggregate_id, version))
            row = cursor.fetchone()
            return int(row["notification_id"])
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT rowid FROM {SQLITE_TABLE} WHERE originator_id = ? AND originator_version = ?",
            (aggregate_id.hex, version),
        )
        return int(cursor.fetchone()[0])


def changes_after(
    recorder: ApplicationRecorder, position: int, limit: int
) -> list[tuple[int, UUID, int]]:
    """The log's entries after ``position`` (at most ``limit``), each as its position, the
    aggregate and the version recorded there, in log order: one read, without the events'
    bodies."""
    if is_postgres(recorder):
        return cast(Any, recorder).entries_after(position, limit)  # type: ignore[no-any-return]
    datastore: Any = getattr(recorder, "datastore")  # noqa: B009
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT rowid, originator_id, originator_version FROM {SQLITE_TABLE} "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (position, limit),
        )
        return [(int(r[0]), UUID(str(r[1])), int(r[2])) for r in cursor.fetchall()]


def events_after(recorder: ApplicationRecorder, position: int, cap: int = 1_000_000) -> int:
    """How many stored events follow ``position`` in the log (counted up to ``cap``): the
    positions between may skip numbers where a transaction rolled back."""
    datastore: Any = getattr(recorder, "datastore")  # noqa: B009
    if is_postgres(recorder):
        statement = (
            f"SELECT count(*) AS n FROM (SELECT 1 FROM {datastore.schema}.{POSTGRES_TABLE} "
            "WHERE notification_id > %s LIMIT %s) AS after"
        )
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (position, cap))
            return int(cursor.fetchone()["n"])
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {SQLITE_TABLE} WHERE rowid > ? LIMIT ?)",
            (position, cap),
        )
        return int(cursor.fetchone()[0])


class Storage:
    """The store a ledger and its read models share: the library's infrastructure factory
    for a database URL and the application recorder of the log, opened once."""

    def __init__(self, database_url: str, timeouts: Timeouts | None = None) -> None:
        self.database_url = database_url
        self.env = Environment(APPLICATION_NAME, persistence_env(database_url, timeouts))
        self.factory = InfrastructureFactory.construct(self.env)
        self.recorder = self.factory.application_recorder()

    @property
    def postgres(self) -> bool:
        return is_postgres(self.recorder)

    def close(self) -> None:
        self.factory.close()
