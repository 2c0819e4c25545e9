"""Reads of the read models (bearer token): sets, units, keys, campaigns, scorecards,
traces, rankings and progress."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.http.deps import (
    ERRORS,
    AsOfPosition,
    AsOfTime,
    CampaignCode,
    CriterionFilter,
    GroupFilter,
    Limit,
    Offset,
    Reader,
    ServiceDep,
    SetCode,
    UnitCode,
    UnitFilter,
    as_of,
    campaign_or_404,
    check_read,
    paged,
    reader,
)
from api.http.schemas import (
    Page,
)
from ledger.core.canonical import parse_time
from ledger.core.errors import NotFoundError
from ledger.domain.scopes import LiveFacts, may_read
from projections.read_models.disclosure import campaign_disclosure
from projections.read_models.trace import to_csv as trace_csv

log = structlog.get_logger("parledger.api")

router = APIRouter()

# -- reads -------------------------------------------------------------------------


@router.get(
    "/v1/indicator-sets",
    operation_id="list_indicator_sets",
    response_model=Page,
    tags=["reads"],
    responses=ERRORS,
    description="Indicator sets, every version.",
)
def list_indicator_sets(
    svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    return paged(svc.reads.indicator_sets(), limit, offset)


@router.get(
    "/v1/indicator-sets/{code}/{version}",
    operation_id="get_indicator_set",
    tags=["reads"],
    responses=ERRORS,
    description="One indicator set version.",
)
def get_indicator_set(
    code: SetCode, version: Annotated[int, Path(ge=1, le=10**6)], svc: ServiceDep, who: Reader
) -> dict[str, Any]:
    doc = svc.reads.indicator_set(code, version)
    if doc is None:
        raise NotFoundError(f"indicator set {code} version {version} does not exist")
    return doc


@router.get(
    "/v1/units",
    operation_id="list_units",
    response_model=Page,
    tags=["reads"],
    responses=ERRORS,
    description="Registered units.",
)
def list_units(
    svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    return paged(svc.reads.units(), limit, offset)


@router.get(
    "/v1/keys",
    operation_id="list_keys",
    response_model=Page,
    tags=["reads"],
    responses=ERRORS,
    description="Enrolled keys with their roles (public keys only).",
)
def list_keys(
    svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    return paged(svc.reads.keys(), limit, offset)


@router.get(
    "/v1/campaigns",
    operation_id="list_campaigns",
    response_model=Page,
    tags=["reads"],
    responses=ERRORS,
    description="Campaigns.",
)
def list_campaigns(
    svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    facts = LiveFacts(svc.ledger)
    readable = [
        doc
        for doc in svc.reads.campaigns()
        if (campaign := facts.campaign_facts(doc["code"])) is None or may_read(who, campaign, facts)
    ]
    return paged(readable, limit, offset)


@router.get(
    "/v1/campaigns/{code}",
    operation_id="get_campaign",
    tags=["reads"],
    responses=ERRORS,
    description="One campaign: schedule, units, bands, state.",
)
def get_campaign(code: CampaignCode, svc: ServiceDep, who: Reader) -> dict[str, Any]:
    return campaign_or_404(svc, code, who)


@router.get(
    "/v1/campaigns/{code}/scorecards",
    operation_id="list_scorecards",
    response_model=Page,
    tags=["reads"],
    responses=ERRORS,
    description="A summary of every scorecard of the campaign.",
)
def list_scorecards(
    code: CampaignCode, svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    campaign_or_404(svc, code, who)
    return paged(svc.reads.summaries(code), limit, offset)


@router.get(
    "/v1/campaigns/{code}/scorecards/{unit}",
    operation_id="get_scorecard",
    tags=["reads"],
    responses=ERRORS,
    description="A unit's scorecard: every leaf at every stage, totals and index; "
    "as it stands or as it stood at a time or log position.",
)
def get_scorecard(
    code: CampaignCode,
    unit: UnitCode,
    svc: ServiceDep,
    who: Reader,
    as_of_time: AsOfTime = None,
    as_of_position: AsOfPosition = None,
) -> dict[str, Any]:
    campaign_or_404(svc, code, who)
    view = svc.reads.scorecard(code, unit, as_of(as_of_time, as_of_position))
    if view is None:
        raise NotFoundError(f"unit {unit} takes no part in campaign {code}", field="unit")
    return view


@router.get(
    "/v1/campaigns/{code}/scorecards/{unit}/gaps",
    operation_id="get_gaps",
    tags=["reads"],
    responses=ERRORS,
    description="Criteria below their maximum, points lost by agency in charge, and "
    "next year's targets.",
)
def get_gaps(code: CampaignCode, unit: UnitCode, svc: ServiceDep, who: Reader) -> dict[str, Any]:
    campaign_or_404(svc, code, who)
    report = svc.reads.gaps(code, unit)
    if report is None:
        raise NotFoundError(f"unit {unit} takes no part in campaign {code}", field="unit")
    return report


@router.get(
    "/v1/campaigns/{code}/trace",
    operation_id="get_trace",
    tags=["reads"],
    responses={**ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}}},
    description="Every change of every score (or of one unit, one criterion): when, "
    "who, what, why, on which evidence, and the event's leaf index in the transparency log "
    "(`leaf`, as /v1/log names it) and its store position. JSON or CSV.",
)
def get_trace(
    code: CampaignCode,
    svc: ServiceDep,
    who: Reader,
    unit: UnitFilter = None,
    criterion: CriterionFilter = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    offset: Offset = 0,
) -> Any:
    campaign_or_404(svc, code, who)
    rows = svc.reads.trace(code, unit, criterion)
    if format == "csv":
        return Response(
            trace_csv(rows[offset : offset + limit], svc.reads.precision(code)),
            media_type="text/csv",
        )
    return paged(rows, limit, offset)


@router.get(
    "/v1/campaigns/{code}/ranking",
    operation_id="get_ranking",
    tags=["reads"],
    responses=ERRORS,
    description="Ranks per group with index, grade and change against the previous "
    "campaign. Public once the campaign's scores are (docs/FORMATS.md §5a: at its first "
    "publication, or at once under the policy immediate); before that it needs a token.",
)
def get_ranking(
    request: Request,
    code: CampaignCode,
    svc: ServiceDep,
    group: GroupFilter = None,
    as_of_time: AsOfTime = None,
    as_of_position: AsOfPosition = None,
) -> dict[str, Any]:
    doc = campaign_or_404(svc, code)
    public = campaign_disclosure(svc.reads, code).disclosed
    if not public or as_of_time or as_of_position is not None:
        check_read(svc, code, reader(request, svc))
    rows = svc.reads.ranking(code, group, as_of(as_of_time, as_of_position))
    return {"campaign": code, "finalised": bool(doc.get("finalised_at")), "items": rows}


@router.get(
    "/v1/campaigns/{code}/progress",
    operation_id="get_progress",
    tags=["reads"],
    responses=ERRORS,
    description="Per unit and per appraiser what is done and what remains; deadlines.",
)
def get_progress(
    code: CampaignCode, svc: ServiceDep, who: Reader, at: AsOfTime = None
) -> dict[str, Any]:
    campaign_or_404(svc, code, who)
    report = svc.reads.progress(code, parse_time(at, "at") if at else svc.now())
    assert report is not None
    return report
