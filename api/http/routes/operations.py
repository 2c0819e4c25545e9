"""Operations: health, readiness, metrics and the ledger's position."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.http import problems
from api.http.deps import (
    PROBLEM,
    ServiceDep,
)
from api.http.schemas import (
    Health,
    LedgerInfo,
)

log = structlog.get_logger("parledger.api")

router = APIRouter()

# -- operations --------------------------------------------------------------------


@router.get(
    "/healthz",
    operation_id="health",
    response_model=Health,
    tags=["operations"],
    description="The process is alive.",
)
def health() -> dict[str, Any]:
    return {"status": "ok", "detail": {}}


@router.get(
    "/readyz",
    operation_id="ready",
    response_model=Health,
    tags=["operations"],
    responses={503: PROBLEM},
    description="The database answers and the read models are caught up within a bound.",
)
def ready(svc: ServiceDep) -> Any:
    try:
        lag = svc.projector.lag()
    except Exception as error:  # the database does not answer
        return problems.problem(503, "not_ready", f"the database does not answer: {error}")
    svc.metrics.lag.set(lag)
    if lag > svc.settings.ready_max_lag:
        return problems.problem(503, "not_ready", f"the read models are {lag} positions behind")
    return {"status": "ready", "detail": {"projection_lag": lag}}


@router.get(
    "/metrics",
    operation_id="metrics",
    tags=["operations"],
    response_class=PlainTextResponse,
    description="Prometheus metrics: requests, latencies, commands, projection lag.",
)
def metrics_text(svc: ServiceDep) -> Response:
    svc.metrics.lag.set(svc.projector.lag())
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/v1/ledger",
    operation_id="ledger_info",
    response_model=LedgerInfo,
    tags=["ledger"],
    description="The ledger's name, server key and log position.",
)
def ledger_info(svc: ServiceDep) -> dict[str, Any]:
    keyring = svc.ledger.keyring()
    return {
        "ledger": keyring.ledger or svc.settings.ledger_name,
        "server_key_id": keyring.server,
        "position": svc.ledger.recorder.max_notification_id() or 0,
        "projected_position": svc.projector.views.position(),
    }
