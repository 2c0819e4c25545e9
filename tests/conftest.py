"""Shared fixtures: a fresh PostgreSQL database per test session (dropped after), a fresh
schema per test, and ledgers on SQLite and PostgreSQL built the same way."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_ADMIN_URL = os.environ.get("PARLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is needed for this test and cannot be reached at {url} ({error}). "
            "Start it (pg_ctlcluster 15 main start) or set PARLEDGER_TEST_PG.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database created for this test session and dropped at its end; its URL."""
    name = f"parledger_test_{uuid.uuid4().hex[:12]}"
    with _pg_connect(PG_ADMIN_URL) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_connect(PG_ADMIN_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """A fresh schema in the session's database, as a ledger URL."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_connect(pg_database) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{pg_database}?schema={schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite3"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[object]:
    from tests.world import build_world

    built = build_world(database_url, tmp_path / "home")
    try:
        yield built
    finally:
        built.ledger.close()


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    """Playwright launches Debian's Chromium (no browser download is possible here)."""
    from tests.e2e.web_support import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM} "
            "(apt-get install chromium); .ci/run installs it",
            pytrace=False,
        )
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
