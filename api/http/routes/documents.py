"""Documents as officials file them (XLSX or PDF): a unit's scoring sheet, self-assessment
report and improvement plan, the campaign's (or a unit's) appraisal report, and the results
annex of a publication. Reads need a bearer token; the annex of a published campaign is
public, like the published table it renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.documents.catalogue import FORMATS, KINDS, check, file_name, produce
from api.documents.sources import Sources
from api.http.deps import (
    ERRORS,
    AsOfPosition,
    CampaignCode,
    ServiceDep,
    campaign_or_404,
    check_read,
    reader,
)
from api.http.service import Service
from ledger.core.codes import UNIT_CODE

router = APIRouter()


@router.get(
    "/v1/campaigns/{code}/documents/{kind}",
    operation_id="get_document",
    tags=["documents"],
    responses={**ERRORS, 200: {"content": {media: {} for media in FORMATS.values()}}},
    description="A form or report as a file: "
    + "; ".join(f"`{name}` ({kind.title})" for name, kind in KINDS.items())
    + ". `unit` names the unit of a unit's document (optional for the appraisal report). "
    "Every document names the log position and signed checkpoint its numbers were read at "
    "(`as_of_position`, default the latest), and the public verify page. The results annex "
    "is public once the campaign is published; every other document needs a bearer token.",
)
def get_document(
    request: Request,
    code: CampaignCode,
    kind: Annotated[str, Path(pattern="^(" + "|".join(KINDS) + ")$", description="the document")],
    svc: ServiceDep,
    unit: Annotated[str | None, Query(pattern=UNIT_CODE, description="the unit's code")] = None,
    format: Annotated[str, Query(pattern="^(pdf|xlsx)$")] = "pdf",
    as_of_position: AsOfPosition = None,
) -> Response:
    campaign_or_404(svc, code)
    check(kind, unit, format)
    if kind != "results-annex" or not svc.reads.publications(code):
        check_read(svc, code, reader(request, svc))
    return document_response(svc, kind, code, unit, format, as_of_position)


def document_response(
    svc: Service, kind: str, code: str, unit: str | None, fmt: str, position: int | None
) -> Response:
    """The file as an attachment, with the log position (and table hash) it was read at."""
    sources = Sources(
        svc.reads,
        svc.publishing.tables,
        svc.ledger.keyring().ledger or svc.settings.ledger_name,
        svc.settings.public_url,
    )
    document, data = produce(sources, kind, code, unit, fmt, position)
    provenance = document.provenance
    headers = {
        "content-disposition": f'attachment; filename="{file_name(document, fmt)}"',
        "x-log-position": str(provenance.position),
    }
    if provenance.table_sha256:
        headers["x-table-sha256"] = provenance.table_sha256
    return Response(data, media_type=FORMATS[fmt], headers=headers)
