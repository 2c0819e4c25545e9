"""The routes' shared dependencies: the service, the reader behind a bearer token, and the
common query parameters."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import structlog
from fastapi import Depends, Path, Query, Request

from api.http.service import Service
from ledger.core.canonical import parse_time
from ledger.core.codes import AGGREGATE_ID, CODE, NAME, SHA256, UNIT_CODE
from ledger.core.errors import AuthorizationError, LedgerError, NotFoundError
from ledger.domain.keyring import KeyRecord
from ledger.domain.scopes import LiveFacts, held_grants, may_read, needed_scope
from projections.read_models.queries import AsOf


async def service(request: Request) -> Service:
    # async: FastAPI runs a plain function in the thread pool, a hop for nothing here
    found: Service = request.app.state.service
    return found


ServiceDep = Annotated[Service, Depends(service)]


def reader(request: Request, svc: ServiceDep) -> KeyRecord:
    """The key behind the request's bearer token; refuses a missing, forged or expired one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthorizationError(
            "this read needs a bearer token: sign a challenge from POST /v1/auth/challenge "
            "and exchange it at POST /v1/auth/token",
            code="token_missing",
        )
    record = svc.tokens.reader(svc.ledger.keyring(), token.strip(), svc.now())
    structlog.contextvars.bind_contextvars(actor_key_id=record.key_id)
    return record


Reader = Annotated[KeyRecord, Depends(reader)]


async def json_body(request: Request) -> None:
    """Refuse a body that is not declared JSON (415). (async: no hop to the thread pool)"""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise LedgerError(
            f"send the command as JSON with Content-Type: application/json (got "
            f"{media_type or 'no Content-Type'})",
            code="unsupported_media_type",
            field="content-type",
        )


Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
AsOfTime = Annotated[
    str | None,
    Query(max_length=64, pattern=NAME, description="as it stood at this time (RFC 3339)"),
]
AsOfPosition = Annotated[
    int | None, Query(ge=0, le=2**53, description="as it stood at this log position")
]


# path and query parameters are checked against their documented forms before any of them
# reaches the store (ledger/core/codes.py)
CampaignCode = Annotated[str, Path(pattern=UNIT_CODE, description="a campaign's code")]
SetCode = Annotated[str, Path(pattern=UNIT_CODE, description="an indicator set's code")]
UnitCode = Annotated[str, Path(pattern=UNIT_CODE, description="a unit's code")]
Sha256 = Annotated[str, Path(pattern=SHA256, description="SHA-256 of the file, lowercase hex")]
AggregateId = Annotated[str, Path(pattern=AGGREGATE_ID, description="an aggregate's id (UUID)")]
UnitFilter = Annotated[str | None, Query(pattern=UNIT_CODE, description="one unit's code")]
CriterionFilter = Annotated[
    str | None, Query(max_length=64, pattern=CODE, description="one criterion's code")
]
GroupFilter = Annotated[
    str | None, Query(max_length=100, pattern=NAME, description="one ranking group")
]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def paged(items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    return {
        "items": items[offset : offset + limit],
        "total": len(items),
        "limit": limit,
        "offset": offset,
    }


def as_of(at: str | None, position: int | None) -> AsOf | None:
    if at is None and position is None:
        return None
    return AsOf(position=position, at=parse_time(at, "as_of") if at else None)


def campaign_or_404(svc: Service, code: str, who: KeyRecord | None = None) -> dict[str, Any]:
    """The campaign's document; with ``who``, only if that key may read the campaign
    (docs/FORMATS.md §6, Reads)."""
    doc = svc.reads.campaign_doc(code)
    if doc is None:
        raise NotFoundError(f"campaign {code} does not exist", field="campaign")
    if who is not None:
        check_read(svc, code, who)
    return doc


def check_read(svc: Service, code: str, who: KeyRecord) -> None:
    facts = LiveFacts(svc.ledger)
    campaign = facts.campaign_facts(code)
    if campaign is not None and not may_read(who, campaign, facts):
        raise AuthorizationError(
            f"reading {campaign.describe()} needs the role administrator, a unit role for one "
            f"of its units, or an authority's role{needed_scope(campaign)}; key {who.key_id} "
            f"({who.name}) holds {held_grants(who)}",
            code="out_of_scope",
            field="campaign",
        )


PROBLEM = {"model": dict[str, Any], "description": "RFC 9457 problem details"}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: PROBLEM,
    401: PROBLEM,
    403: PROBLEM,
    404: PROBLEM,
    409: PROBLEM,
    422: PROBLEM,
}
