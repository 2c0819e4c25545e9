"""The one write route: signed command envelopes."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api.http.deps import (
    ERRORS,
    PROBLEM,
    ServiceDep,
    json_body,
)
from api.http.schemas import (
    CommandEnvelope,
    ReceiptOut,
)
from ledger.application.service import Receipt
from ledger.core.envelope import SignedCommand
from ledger.core.errors import LedgerError

log = structlog.get_logger("parledger.api")

router = APIRouter()

# -- writes ------------------------------------------------------------------------


@router.post(
    "/v1/commands",
    operation_id="execute_command",
    response_model=ReceiptOut,
    status_code=201,
    tags=["commands"],
    responses={**ERRORS, 415: PROBLEM, 503: PROBLEM},
    dependencies=[Depends(json_body)],
    description="Record a signed command (a JSON body, Content-Type: application/json). "
    "The answer is the receipt of its event; sending the same command again records nothing "
    "and answers the same receipt. A 503 (the database away) leaves the outcome unknown: "
    "send the same envelope again.",
)
async def execute_command(envelope: CommandEnvelope, svc: ServiceDep) -> dict[str, Any]:
    # async, with the ledger's work in the thread pool: one hop there per command (a plain
    # function would make two, the second to check the receipt against its model)
    command = SignedCommand.from_envelope(envelope.model_dump())
    structlog.contextvars.bind_contextvars(actor_key_id=command.key_id, command_type=command.type)
    try:
        receipt: Receipt = await run_in_threadpool(svc.ledger.execute, command)
    except LedgerError as error:
        svc.metrics.commands.labels(command.type, error.code).inc()
        log.info("command_refused", code=error.code)
        raise
    svc.metrics.commands.labels(command.type, "accepted").inc()
    log.info("command_recorded", position=receipt.position, event_type=receipt.event_type)
    return receipt.as_json()
