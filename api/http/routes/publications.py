"""Publications (public): result tables, their preview, and bundles."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.http.deps import (
    ERRORS,
    CampaignCode,
    Reader,
    ServiceDep,
    campaign_or_404,
)
from api.http.service import Service
from ledger.core.errors import NotFoundError
from ledger.domain.results import table_csv, table_sha256

log = structlog.get_logger("parledger.api")

router = APIRouter()

# -- publications (public) ---------------------------------------------------------


def publication_or_404(svc: Service, code: str, sequence: int | None) -> dict[str, Any]:
    campaign_or_404(svc, code)
    publications = svc.reads.publications(code)
    if not publications:
        raise NotFoundError(
            f"the results of campaign {code} have not been published",
            code="not_published",
            field="campaign",
        )
    if sequence is None:
        return publications[-1]
    if not 1 <= sequence <= len(publications):
        raise NotFoundError(
            f"campaign {code} has {len(publications)} publication(s), not {sequence}",
            field="sequence",
        )
    return publications[sequence - 1]


@router.get(
    "/v1/campaigns/{code}/publications",
    operation_id="list_publications",
    tags=["publications"],
    responses=ERRORS,
    description="Every publication of the campaign's results: its sequence, the hash of "
    "the table, the signed checkpoint the table was computed at, and its event.",
)
def list_publications(code: CampaignCode, svc: ServiceDep) -> dict[str, Any]:
    campaign_or_404(svc, code)
    return {"campaign": code, "items": svc.reads.publications(code)}


@router.get(
    "/v1/campaigns/{code}/results",
    operation_id="get_results",
    tags=["publications"],
    responses={**ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}}},
    description="The published result table (every unit: total, index, rank, grade; "
    "every leaf: final score), the latest or publication `sequence`, as JSON or CSV. "
    "The JSON is exactly the bytes whose SHA-256 the publication recorded.",
)
def get_results(
    code: CampaignCode,
    svc: ServiceDep,
    sequence: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    publication = publication_or_404(svc, code, sequence)
    digest = publication["table_sha256"]
    headers = {
        "x-content-sha256": digest,
        "x-publication-sequence": str(publication["sequence"]),
    }
    if format == "csv":
        table = svc.publishing.tables.get(digest)
        return Response(table_csv(table), media_type="text/csv", headers=headers)
    return Response(
        svc.publishing.tables.raw(digest), media_type="application/json", headers=headers
    )


@router.get(
    "/v1/campaigns/{code}/results/preview",
    operation_id="preview_results",
    tags=["publications"],
    responses=ERRORS,
    description="The result table as the read models give it now, and its SHA-256: what "
    "a publisher reviews and may sign as table_sha256 in publish_results.",
)
def preview_results(code: CampaignCode, svc: ServiceDep, who: Reader) -> dict[str, Any]:
    campaign_or_404(svc, code, who)
    table = svc.reads.result_table(code)
    assert table is not None
    return {"table_sha256": table_sha256(table), "table": table}


@router.get(
    "/v1/campaigns/{code}/bundle",
    operation_id="get_bundle",
    tags=["publications"],
    responses={**ERRORS, 200: {"content": {"application/gzip": {}}}},
    description="The publication bundle of the latest publication (docs/FORMATS.md §13): "
    "check it offline with `parledger verify-bundle FILE --log-key KEY`.",
)
def get_bundle(code: CampaignCode, svc: ServiceDep) -> Response:
    publication_or_404(svc, code, None)
    data = svc.bundle(code)
    return Response(
        data,
        media_type="application/gzip",
        headers={"content-disposition": f'attachment; filename="{code}.bundle"'},
    )
