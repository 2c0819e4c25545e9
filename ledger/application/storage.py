"""Where the events live: the eventsourcing persistence settings for a database URL,
and the few reads of the stored-event table that the library does not offer."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory
from eventsourcing.utils import Environment

from ledger.core.errors import ValidationError

APPLICATION_NAME = "Ledger"
POSTGRES_TABLE = APPLICATION_NAME.lower() + "_events"
SQLITE_TABLE = "stored_events"


def persistence_env(database_url: str) -> dict[str, str]:
    """Translate ``PARLEDGER_DATABASE_URL`` into the library's environment."""
    parsed = urlparse(database_url)
    env: dict[str, str] = {}
    if parsed.scheme == "sqlite":
        path = sqlite_path(database_url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_DBNAME=path, SQLITE_LOCK_TIMEOUT="30"
        )
        return env
    if parsed.scheme in ("postgresql", "postgres"):
        if not parsed.path.strip("/"):
            raise ValidationError(
                "a PostgreSQL URL must name the database", field="PARLEDGER_DATABASE_URL"
            )
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=unquote(parsed.path.strip("/")),
            POSTGRES_HOST=parsed.hostname or "127.0.0.1",
            POSTGRES_PORT=str(parsed.port or 5432),
            POSTGRES_USER=unquote(parsed.username or "postgres"),
            POSTGRES_PASSWORD=unquote(parsed.password or ""),
            POSTGRES_CONNECT_TIMEOUT="10",
            POSTGRES_POOL_SIZE="8",
            POSTGRES_LOCK_TIMEOUT="10",
        )
        schema = parse_qs(parsed.query).get("schema", [""])[0]
        if schema:
            env["POSTGRES_SCHEMA"] = schema
        return env
    raise ValidationError(
        f"unsupported database URL {database_url!r}: use sqlite:///PATH or postgresql://…",
        field="PARLEDGER_DATABASE_URL",
    )


def sqlite_path(database_url: str) -> str:
    """The file of an ``sqlite:`` URL: sqlite:///relative/path and sqlite:////absolute/path,
    as SQLAlchemy writes them."""
    path = (
        unquote(database_url[len("sqlite:///") :]) if database_url.startswith("sqlite:///") else ""
    )
    if not path or path == ":memory:":
        raise ValidationError(
            "an SQLite ledger needs a file: sqlite:///var/parledger.sqlite3",
            field="PARLEDGER_DATABASE_URL",
        )
    return path


def is_postgres(recorder: ApplicationRecorder) -> bool:
    return type(recorder).__module__.startswith("eventsourcing.postgres")


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


class Storage:
    """The store a ledger and its read models share: the library's infrastructure factory
    for a database URL and the application recorder of the log, opened once."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.env = Environment(APPLICATION_NAME, persistence_env(database_url))
        self.factory = InfrastructureFactory.construct(self.env)
        self.recorder = self.factory.application_recorder()

    @property
    def postgres(self) -> bool:
        return is_postgres(self.recorder)

    def close(self) -> None:
        self.factory.close()
