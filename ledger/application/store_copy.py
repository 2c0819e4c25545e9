"""Consistent copies of the whole store and their restoration (ADR 11): PostgreSQL through
``pg_dump``/``pg_restore`` at one exported snapshot, SQLite through its online backup API.
Every table of the ledger's schema is copied: the events, the read models, and the tables
that no rebuild can give back (signed checkpoints, cosignatures, published tables)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from ledger.application.storage import PostgresLocation
from ledger.core.errors import LedgerError


class CopyFailed(LedgerError):
    code = "backup_failed"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CopyFailed(f"{name} is not installed here; it comes with PostgreSQL's client tools")
    return found


def _environment(where: PostgresLocation) -> dict[str, str]:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if where.password:
        env["PGPASSWORD"] = where.password
    return env


def _run(command: list[str], where: PostgresLocation) -> None:
    done = subprocess.run(  # noqa: S603 (the arguments are ours, never a shell)
        command, env=_environment(where), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CopyFailed(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _connect(where: PostgresLocation) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(**where.connect_kwargs(), connect_timeout=10, row_factory=dict_row)


def dump_postgres(
    where: PostgresLocation, target: Path, queries: Sequence[str]
) -> list[list[dict[str, Any]]]:
    """Dump the URL's schema to ``target`` (pg_dump's custom format), and answer ``queries``
    at the very snapshot the dump holds (a transaction that exports its snapshot to pg_dump
    and stays open until the dump is written)."""
    with _connect(where) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot() AS id").fetchone()
        assert snapshot is not None
        answers: list[list[dict[str, Any]]] = []
        for query in queries:
            try:
                with conn.transaction():
                    answers.append(list(conn.execute(query).fetchall()))
            except psycopg.errors.UndefinedTable:  # a table that was never made
                answers.append([])
        _run(
            [
                _tool("pg_dump"),
                f"--host={where.host}",
                f"--port={where.port}",
                f"--username={where.user}",
                f"--dbname={where.database}",
                f"--schema={where.schema}",
                f"--snapshot={snapshot['id']}",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
            ],
            where,
        )
    return answers


def postgres_tables_in_use(where: PostgresLocation, schema: str | None = None) -> list[str]:
    """The tables of ``schema`` (default: the URL's) that hold rows."""
    schema = schema or where.schema
    found = []
    with _connect(where) as conn:
        names = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (schema,),
        ).fetchall()
        for row in names:
            table = sql.Identifier(schema, row["table_name"])
            if conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(table)).fetchone():
                found.append(f"{schema}.{row['table_name']}")
    return sorted(found)


def restore_postgres(where: PostgresLocation, dump: Path, dumped_schema: str) -> None:
    """Restore a dump of ``dumped_schema`` into the URL's database and schema. The caller has
    checked that the target holds no rows; its empty schema is replaced."""
    with _connect(where) as conn:
        conn.autocommit = True
        exists = conn.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (dumped_schema,)
        ).fetchone()
        if exists and dumped_schema != where.schema:
            raise CopyFailed(
                f"the backup's schema {dumped_schema!r} exists in database {where.database}: "
                "restore into another database, or into that schema"
            )
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(where.schema))
        )
    _run(
        [
            _tool("pg_restore"),
            f"--host={where.host}",
            f"--port={where.port}",
            f"--username={where.user}",
            f"--dbname={where.database}",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(dump),
        ],
        where,
    )
    if dumped_schema != where.schema:
        with _connect(where) as conn:
            conn.autocommit = True
            conn.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(dumped_schema), sql.Identifier(where.schema)
                )
            )


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database (its online backup API: the copy is one
    state of the file, whatever writes happen meanwhile)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def sqlite_tables_in_use(path: Path) -> list[str]:
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return sorted(
            name
            for name in names
            if conn.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone()  # noqa: S608
        )


def query_sqlite(path: Path, queries: Sequence[str]) -> list[list[dict[str, Any]]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        answers = []
        for query in queries:
            try:
                answers.append([dict(row) for row in conn.execute(query)])
            except sqlite3.OperationalError:  # a table that was never made
                answers.append([])
        return answers
