"""What every answer of the service carries, whatever route gave it: the request id (the
client's, or a new one), the security headers (the Content-Security-Policy on everything but
evidence files, which the browser shows in its own viewer), and a count in /metrics by route
and status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.web.security import CONTENT_SECURITY_POLICY, HEADERS
from ledger.core.clock import ManualClock
from tests.e2e.http_support import Api, make_home, make_settings, running
from tests.world import START


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    home = tmp_path / "home"
    admin, server = make_home(home)
    settings = make_settings(f"sqlite:///{tmp_path}/ledger.sqlite3", home)
    with running(settings, ManualClock(START), admin, server) as client:
        yield client


def test_the_request_id_is_the_clients_or_a_new_one(api: Api) -> None:
    given = api.client.get("/healthz", headers={"x-request-id": "trace-42"})
    assert given.headers["x-request-id"] == "trace-42"
    first, second = api.client.get("/healthz"), api.client.get("/v1/units")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    # a refusal carries it too
    refused = api.client.post("/v1/commands", json={}, headers={"x-request-id": "bad-1"})
    assert refused.status_code == 422
    assert refused.headers["x-request-id"] == "bad-1"


def test_every_answer_carries_the_security_headers(api: Api) -> None:
    for answer in (
        api.client.get("/healthz"),
        api.client.get("/v1/units"),  # a refusal: no token
        api.client.post("/v1/commands", json={}),
        api.client.get("/dang-nhap"),
    ):
        for name, value in HEADERS.items():
            assert answer.headers[name] == value, (answer.request.url, name)
    evidence = api.client.get("/v1/evidence/" + "0" * 64)
    assert "content-security-policy" not in evidence.headers
    assert evidence.headers["x-content-type-options"] == "nosniff"
    assert evidence.headers["x-frame-options"] == "DENY"
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'self'")


def test_metrics_count_answers_by_route_and_status(api: Api) -> None:
    for _ in range(3):
        api.client.get("/healthz")
    api.client.post("/v1/commands", json={})
    metrics = api.client.get("/metrics").text
    assert (
        'parledger_http_requests_total{method="GET",route="/healthz",status="200"} 3.0' in metrics
    )
    assert (
        'parledger_http_requests_total{method="POST",route="/v1/commands",status="422"} 1.0'
        in metrics
    )
    assert 'parledger_http_request_seconds_count{method="GET",route="/healthz"} 3.0' in metrics
