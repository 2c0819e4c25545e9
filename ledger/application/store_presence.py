"""Whether a ledger is recorded at a database URL, found without creating anything: no
SQLite file, no directory, no table, no schema.

Opening a :class:`~ledger.application.service.Ledger` creates its store; a command that
only reads asks here first, so that a mistyped place says so instead of reading an empty
store it has just made."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

from ledger.application.storage import (
    POSTGRES_TABLE,
    SQLITE_TABLE,
    persistence_env,
    sqlite_path,
)


def shown_url(database_url: str) -> str:
    """A database URL as it may be printed: without its password."""
    parsed = urlparse(database_url)
    if parsed.password is None:
        return database_url
    host = parsed.hostname or ""
    netloc = f"{parsed.username or ''}:***@{host}" + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=netloc))


def why_no_ledger(database_url: str) -> str | None:
    """``None`` if a ledger has recorded at least its first event at ``database_url``;
    otherwise what was found there instead."""
    if urlparse(database_url).scheme == "sqlite":
        path = sqlite_path(database_url)
        assert path is not None
        return _why_no_sqlite_ledger(path)
    return _why_no_postgres_ledger(database_url)


def _why_no_sqlite_ledger(path: Path) -> str | None:
    where = path.resolve()
    if not where.exists():
        return f"no file {where}"
    if not where.is_file():
        return f"{where} is not a file"
    try:
        with closing(sqlite3.connect(f"{where.as_uri()}?mode=ro", uri=True)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (SQLITE_TABLE,)
            ).fetchone()
            if found is None:
                return f"{where} holds no ledger's events"
            first = conn.execute(f"SELECT 1 FROM {SQLITE_TABLE} LIMIT 1").fetchone()
    except sqlite3.DatabaseError as error:
        return f"{where} is not an SQLite database a ledger wrote ({error})"
    return None if first is not None else f"{where} is an empty store: nobody ran init there"


def _why_no_postgres_ledger(database_url: str) -> str | None:
    env = persistence_env(database_url)
    schema = env.get("POSTGRES_SCHEMA", "public")
    try:
        with psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
        ) as conn:
            table = conn.execute(
                "SELECT to_regclass(%s)",
                (sql.Identifier(schema, POSTGRES_TABLE).as_string(conn),),
            ).fetchone()
            if table is None or table[0] is None:
                return f"schema {schema} holds no ledger's events"
            first = conn.execute(
                sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(schema, POSTGRES_TABLE))
            ).fetchone()
    except psycopg.Error as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        return f"cannot open the database: {reason}"
    return None if first is not None else f"schema {schema} is an empty store: nobody ran init"
