"""Evidence files: streamed uploads told by content, downloads checked against their hash."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect

from api.http.deps import (
    ERRORS,
    PROBLEM,
    Reader,
    ServiceDep,
    Sha256,
)
from api.http.schemas import (
    EvidenceOut,
)
from ledger.application.media import ALLOWED, sniff
from ledger.core.errors import LedgerError, ValidationError

log = structlog.get_logger("parledger.api")
router = APIRouter()


@router.post(
    "/v1/evidence",
    operation_id="upload_evidence",
    response_model=EvidenceOut,
    status_code=201,
    tags=["evidence"],
    responses={**ERRORS, 413: PROBLEM, 415: PROBLEM},
    description="Upload an evidence file as the raw request body (streamed; size "
    "limit configurable). Its type is told by content: "
    + ", ".join(ALLOWED.values())
    + ". Attach it with a signed attach_evidence command naming the returned hash.",
)
async def upload_evidence(request: Request, svc: ServiceDep, who: Reader) -> dict[str, Any]:
    upload = svc.ledger.evidence.open_upload(svc.settings.max_evidence_bytes)
    try:
        async for chunk in request.stream():
            upload.write(chunk)
    except LedgerError:
        raise
    except ClientDisconnect:
        upload.abort()
        log.info("upload_cut_short", received=upload.size)
        raise LedgerError(
            "the upload was cut short before its end; nothing was kept",
            code="upload_incomplete",
            field="file",
        ) from None
    except BaseException:
        upload.abort()
        raise
    if upload.size == 0:
        upload.abort()
        raise ValidationError("the request body is empty; send the file's bytes", field="file")
    upload.flush()
    media_type = sniff(upload.path)
    if media_type is None:
        upload.abort()
        raise LedgerError(
            "the file is not a PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS document "
            "(checked by its content)",
            code="unsupported_media_type",
            field="file",
        )
    stored = upload.commit()
    return {"sha256": stored.sha256, "size": stored.size, "media_type": media_type}


@router.get(
    "/v1/evidence/{sha256}",
    operation_id="download_evidence",
    tags=["evidence"],
    response_class=StreamingResponse,
    responses={**ERRORS, 500: PROBLEM},
    description="Download an evidence file; its bytes are checked against the hash "
    "first, and a corrupted file is refused.",
)
def download_evidence(sha256: Sha256, svc: ServiceDep, who: Reader) -> StreamingResponse:
    store = svc.ledger.evidence
    store.check(sha256)
    media_type = sniff(store.path_of(sha256)) or "application/octet-stream"

    def chunks() -> Iterator[bytes]:
        yield from store.read_chunks(sha256)

    return StreamingResponse(chunks(), media_type=media_type, headers={"x-content-sha256": sha256})
