"""Tải biểu mẫu: the documents of the forms-and-reports issue, downloaded from the pages by the
signed-in person (the same files as ``GET /v1/campaigns/{code}/documents/{kind}``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.documents.catalogue import KINDS
from api.http.deps import check_read
from api.http.routes.documents import document_response
from api.web.loading import not_found
from api.web.session import SignedIn, service_of
from api.web.templating import render
from ledger.core.errors import AuthorizationError

router = APIRouter(include_in_schema=False)


@router.get("/ky/{campaign}/tai-lieu/{kind}")
def download(
    request: Request,
    campaign: str,
    kind: str,
    viewer: SignedIn,
    unit: str | None = None,
    format: str = "pdf",
) -> Response:
    svc = service_of(request)
    found = KINDS.get(kind)
    if svc.reads.campaign(campaign) is None or found is None or format not in ("pdf", "xlsx"):
        return not_found(request, viewer, f"Không có tài liệu này cho kỳ đánh giá {campaign}.")
    if found.unit == "required" and not unit:
        return not_found(request, viewer, f"{found.title}: hãy chọn một đơn vị.")
    try:
        check_read(svc, campaign, viewer.key)
    except AuthorizationError:
        return render(
            request,
            "message.html",
            viewer=viewer,
            title="Không được xem",
            heading="Không được xem",
            text=f"Khóa của bạn không được đọc số liệu của kỳ đánh giá {campaign}.",
            status_code=403,
        )
    return document_response(
        svc, kind, campaign, unit if found.unit != "none" else None, format, None
    )
