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
    description="The database answers, the projector runs, and the read models are caught up "
    "within a bound and not standing still while the log grows.",
)
def ready(svc: ServiceDep) -> Any:
    readiness = svc.health.readiness()
    if not readiness.ready:
        return problems.problem(
            503,
            "not_ready",
            "; ".join(readiness.reasons),
            headers={"Retry-After": str(svc.settings.retry_after_seconds)},
        )
    return {"status": "ready", "detail": readiness.detail}


@router.get(
    "/metrics",
    operation_id="metrics",
    tags=["operations"],
    response_class=PlainTextResponse,
    description="Prometheus metrics: requests, latencies, commands, projection lag, worker "
    "restarts and failures, database availability.",
)
def metrics_text(svc: ServiceDep) -> Response:
    svc.health.readiness()  # brings the gauges up to date
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
