"""No input reaches a 500, and no error costs the client its connection: crafted office
files are 415, a command must be declared JSON, a NUL or a control character in any path
or query parameter is a 4xx on PostgreSQL, an upload cut short is noted without a
traceback, and after any error the same keep-alive connection serves the next request."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from api.http.app import create_app
from ledger.core.clock import ManualClock
from ledger.core.ids import scorecard_id
from tests.crafted_files import CRAFTED, ODT
from tests.e2e.http_support import (
    PDF,
    Api,
    build_small_world,
    is_problem,
    make_home,
    make_settings,
    running,
)
from tests.e2e.live_server import serving
from tests.world import START


@dataclass
class Live:
    host: str
    port: int
    token: str
    envelope: dict[str, Any]
    evidence_dir: Path

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=30)


def exchange(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes, tuple[str, int]]:
    """One request on ``conn``; the status, headers, body and the local address of the
    socket it went over (the same address means the same connection)."""
    conn.request(method, path, body=body, headers=headers or {})
    local = conn.sock.getsockname()
    response = conn.getresponse()
    data = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data, local


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("bad-input")
    home = folder / "home"
    admin, server = make_home(home)
    clock = ManualClock(START + timedelta(days=1))
    settings = make_settings(f"sqlite:///{folder}/ledger.sqlite3", home)
    with running(settings, clock, admin, server) as api:
        build_small_world(api)
        token = api.token(api.keys["staff"])
        envelope = api.envelope(
            api.keys["staff"],
            "record_self_score",
            {"campaign": "C2023", "unit": "D1", "criterion": "1.1", "inputs": {"points": "1"}},
        )
    app = create_app(settings, clock=clock)

    @app.get("/test-only/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("a bug")

    with serving(app) as (host, port):
        yield Live(host, port, token, envelope, home / "evidence")


def test_crafted_office_files_are_415_and_the_connection_stays_usable(live: Live) -> None:
    conn = live.connect()
    auth = {"authorization": f"Bearer {live.token}", "content-type": "application/octet-stream"}
    for name, (data, _) in CRAFTED.items():
        status, headers, body, before = exchange(conn, "POST", "/v1/evidence", data, auth)
        assert status == 415, (name, body)
        assert headers["content-type"].startswith("application/problem+json")
        assert json.loads(body)["code"] == "unsupported_media_type"
        assert "connection" not in headers or headers["connection"] != "close"
        status, _, _, after = exchange(conn, "GET", "/healthz")
        assert status == 200
        assert after == before, f"the connection was dropped after the {name}"
    status, _, body, _ = exchange(conn, "POST", "/v1/evidence", ODT, auth)
    assert status == 201, body
    assert not list(live.evidence_dir.glob(".upload-*"))


def test_an_unexpected_error_is_a_500_problem_and_the_connection_stays_usable(
    live: Live,
) -> None:
    conn = live.connect()
    status, headers, body, before = exchange(conn, "GET", "/test-only/boom")
    assert status == 500
    assert headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["code"] == "internal_error"
    assert b"Traceback" not in body
    assert b"a bug" not in body
    status, _, _, after = exchange(conn, "GET", "/v1/ledger")
    assert status == 200
    assert after == before


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_command_must_be_declared_json(live: Live, content_type: str | None) -> None:
    conn = live.connect()
    headers = {"content-type": content_type} if content_type else {}
    body = json.dumps(live.envelope).encode()
    status, answer, data, _ = exchange(conn, "POST", "/v1/commands", body, headers)
    assert status == 415, data
    assert answer["content-type"].startswith("application/problem+json")
    problem = json.loads(data)
    assert problem["code"] == "unsupported_media_type"
    assert problem["field"] == "content-type"


def test_a_command_declared_json_with_a_charset_is_recorded(live: Live) -> None:
    conn = live.connect()
    body = json.dumps(live.envelope).encode()
    headers = {"content-type": "application/json; charset=utf-8"}
    status, _, data, _ = exchange(conn, "POST", "/v1/commands", body, headers)
    assert status == 201, data


def test_an_upload_cut_short_is_noted_without_a_traceback(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    server_log = logging.getLogger("uvicorn.error")
    server_log.addHandler(caplog.handler)
    try:
        with capture_logs() as events:
            with socket.create_connection((live.host, live.port), timeout=10) as raw:
                raw.sendall(
                    b"POST /v1/evidence HTTP/1.1\r\nHost: test\r\n"
                    + f"Authorization: Bearer {live.token}\r\n".encode()
                    + b"Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n"
                    + PDF
                )
            deadline = time.monotonic() + 10
            while not any(e["event"] == "upload_cut_short" for e in events):
                assert time.monotonic() < deadline, events
                time.sleep(0.05)
    finally:
        server_log.removeHandler(caplog.handler)
    assert not [e for e in events if e.get("log_level") == "error" or "exc_info" in e], events
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not list(live.evidence_dir.glob(".upload-*"))


# -- on PostgreSQL, where a NUL in a text parameter once reached the database -----------------

BAD = ["%00", "a%00b", "%01", "%0A", "%1F", "%7F", "D1%00"]


def _paths(api: Api) -> list[str]:
    return sorted(
        path
        for path, item in api.client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        if "{" in path and "get" in item
    )


@pytest.fixture
def pg_api(pg_url: str, tmp_path: Path) -> Iterator[Api]:
    admin, server = make_home(tmp_path / "home")
    settings = make_settings(pg_url, tmp_path / "home", checkpoint_interval_seconds=3600)
    clock = ManualClock(START + timedelta(days=1))
    with running(settings, clock, admin, server, raise_server_exceptions=False) as api:
        build_small_world(api)
        api.upload(api.keys["staff"], PDF)
        yield api


def test_a_control_character_in_any_parameter_is_a_4xx(pg_api: Api) -> None:
    real = {
        "code": "C2023",
        "unit": "D1",
        "version": "1",
        "index": "0",
        "sha256": "0" * 64,
        "aggregate_id": str(scorecard_id("C2023", "D1")),
        "kind": "scoring-sheet",
    }
    auth = pg_api.auth(pg_api.keys["staff"])
    tried = 0
    for path in _paths(pg_api):
        names = [part.strip("{}") for part in path.split("/") if part.startswith("{")]
        for name in names:
            for bad in BAD:
                url = path
                for other in names:
                    url = url.replace(f"{{{other}}}", bad if other == name else real[other])
                response = pg_api.client.get(url, headers=auth)
                assert 400 <= response.status_code < 500, (url, response.text)
                assert is_problem(response), (url, response.text)
                tried += 1
    queries = [
        ("/v1/campaigns/C2023/trace", "unit"),
        ("/v1/campaigns/C2023/trace", "criterion"),
        ("/v1/campaigns/C2023/ranking", "group"),
        ("/v1/campaigns/C2023/ranking", "as_of_time"),
        ("/v1/campaigns/C2023/scorecards/D1", "as_of_time"),
        ("/v1/campaigns/C2023/progress", "at"),
    ]
    for route, query in queries:
        for bad in BAD:
            response = pg_api.client.get(f"{route}?{query}={bad}", headers=auth)
            assert 400 <= response.status_code < 500, (route, query, response.text)
            assert is_problem(response), (route, query, response.text)
            tried += 1
    assert tried > 100
    assert pg_api.client.get("/readyz").status_code == 200


def test_a_nul_in_a_command_is_refused_and_the_projector_keeps_up(pg_api: Api) -> None:
    before = pg_api.position()
    response = pg_api.send(
        pg_api.keys["staff"],
        "record_self_score",
        {
            "campaign": "C2023",
            "unit": "D1",
            "criterion": "1.1",
            "inputs": {"points": "1"},
            "explanation": "a\x00b",
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "nul_character"
    assert pg_api.position() == before
    ready = pg_api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
