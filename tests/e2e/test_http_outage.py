"""Fail fast, recover fast. While the database refuses connections, writes and reads answer
503 problems with Retry-After within the configured wait, /healthz stays 200 and /readyz
503; once the database is back the service answers again within 2 s without a restart,
the command whose outcome the client could not know is safe to send again, and the
projector is running and caught up. On SQLite, a file locked by another process is a 503
too. Each outage is on a database the test creates, and is bounded in time."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from ledger.application.postgres_timeouts import APPLICATION
from ledger.core.clock import ManualClock
from tests.conftest import PG_ADMIN_URL
from tests.e2e.http_support import Api, build_small_world, is_problem, make_home, make_settings
from tests.world import START

WAIT = 1.0  # PARLEDGER_DB_WAIT_SECONDS in these tests
LONGEST_OUTAGE = 30.0
SCORE = {"campaign": "C2023", "unit": "D1", "criterion": "1.1", "inputs": {"points": "1"}}


@pytest.fixture
def own_database() -> Iterator[str]:
    """A database of this test's own, dropped after it (whatever its state)."""
    name = f"parledger_outage_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def outage(database_url: str) -> Iterator[None]:
    """The database refuses new connections and loses the ledger's, until the block ends."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s",
            (name, APPLICATION),
        )
    began = time.monotonic()
    try:
        yield
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert time.monotonic() - began < LONGEST_OUTAGE


def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def until(call: Any, status: int, seconds: float) -> float:
    """Repeat ``call`` until it answers ``status``; how long that took."""
    started = time.monotonic()
    while True:
        response = call()
        if response.status_code == status:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, (response.status_code, response.text)
        time.sleep(0.05)


def unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert is_problem(response), response.text
    assert response.json()["code"] in ("database_unavailable", "not_ready")
    assert int(response.headers["retry-after"]) >= 1


def test_an_outage_gets_503s_fast_and_the_service_recovers_without_a_restart(
    own_database: str, tmp_path: Path
) -> None:
    admin, server = make_home(tmp_path / "home")
    settings = make_settings(
        own_database,
        tmp_path / "home",
        db_wait_seconds=WAIT,
        retry_after_seconds=1,
        checkpoint_interval_seconds=0.5,
    )
    clock = ManualClock(START + timedelta(days=1))
    app = create_app(settings, clock=clock, follow=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, clock, admin, server)
        build_small_world(api)
        staff = api.keys["staff"]
        acknowledged = api.ok(staff, "record_self_score", SCORE)
        until(lambda: client.get("/readyz"), 200, 20)
        auth = api.auth(staff)
        envelope = api.envelope(staff, "record_self_score", {**SCORE, "inputs": {"points": "0.5"}})

        with outage(own_database):
            # the first requests find out; every answer comes within the configured wait
            write, write_seconds = timed(lambda: api.post(envelope))
            unavailable(write)
            read, read_seconds = timed(lambda: client.get("/v1/campaigns/C2023", headers=auth))
            unavailable(read)
            assert max(write_seconds, read_seconds) < WAIT + 1.0, (write_seconds, read_seconds)
            # then at once
            until(lambda: client.get("/readyz"), 503, 5)
            answered, seconds = timed(lambda: client.get("/v1/units", headers=auth))
            unavailable(answered)
            assert seconds < 0.5
            assert client.get("/healthz").status_code == 200
            metrics = client.get("/metrics").text
            assert "parledger_database_available 0.0" in metrics
            unavailable(client.get("/readyz"))
            time.sleep(1)

        recovery = until(lambda: client.get("/v1/campaigns/C2023", headers=auth), 200, 10)
        assert recovery < 2.0, recovery
        # the write's outcome was unknown to the client: sending it again is safe
        again = api.post(envelope)
        assert again.status_code == 201, again.text
        assert api.post(envelope).json() == again.json()
        until(lambda: client.get("/readyz"), 200, 20)
        deadline = time.monotonic() + 20
        while client.get("/v1/ledger").json()["projected_position"] < again.json()["position"]:
            assert time.monotonic() < deadline, "the projector did not catch up"
            time.sleep(0.05)
        view = api.read("/v1/campaigns/C2023/scorecards/D1", staff)
        assert view["totals"]["self_assessment"]["total"] == "0.5"
        trace = api.read("/v1/campaigns/C2023/trace", staff, criterion="1.1")["items"]
        assert [row["position"] for row in trace] == [
            acknowledged["position"],
            again.json()["position"],
        ]
        metrics = client.get("/metrics").text
        assert "parledger_database_available 1.0" in metrics
        assert 'parledger_worker_restarts_total{worker="projector"}' in metrics
        assert 'parledger_worker_running{worker="projector"} 1.0' in metrics


def test_a_locked_sqlite_file_is_a_503_and_then_records(tmp_path: Path) -> None:
    admin, server = make_home(tmp_path / "home")
    path = tmp_path / "ledger.sqlite3"
    settings = make_settings(f"sqlite:///{path}", tmp_path / "home", db_wait_seconds=WAIT)
    clock = ManualClock(START + timedelta(days=1))
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        api = Api(client, clock, admin, server)
        build_small_world(api)
        envelope = api.envelope(api.keys["staff"], "record_self_score", SCORE)
        with closing(sqlite3.connect(path, timeout=5)) as other:
            other.execute("BEGIN EXCLUSIVE")
            response, seconds = timed(lambda: api.post(envelope))
            other.rollback()
        unavailable(response)
        assert seconds < 2 * WAIT + 2, seconds
        assert api.post(envelope).status_code == 201
