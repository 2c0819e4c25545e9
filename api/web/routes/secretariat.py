"""The secretariat's pages (Thường trực Hội đồng, Sở Nội vụ) and the publisher's: Thiết lập
kỳ đánh giá (an indicator set imported from CSV/XLSX with a preview of its problems by row,
then the campaign), Theo dõi tiến độ (refreshed while the page is open, exported as CSV or
XLSX), Tổng hợp, hoàn tất (accepting self-scores, finalising) and Công bố (the result table
reviewed, then signed with its hash). Every act is signed in the browser
(static/js/secretariat.js); these routes only read."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.web.campaigns import CampaignStatus
from api.web.loading import campaign_status, not_found
from api.web.secretariat import (
    MAX_UPLOAD,
    STATES,
    preview_import,
    progress_csv,
    progress_rows,
    progress_xlsx,
)
from api.web.session import SignedIn, Viewer, service_of
from api.web.templating import fragment, render
from ledger.domain.campaign import MILESTONE_TITLES, MILESTONES
from ledger.domain.results import table_sha256

router = APIRouter(include_in_schema=False)


def _forbidden(request: Request, viewer: Viewer, role: str) -> HTMLResponse | None:
    if viewer.has(role):
        return None
    return render(
        request,
        "message.html",
        viewer=viewer,
        title="Không có quyền",
        heading="Không có quyền",
        text="Trang này dành cho "
        + ("Thường trực Hội đồng (Sở Nội vụ)." if role == "secretariat" else "cơ quan công bố."),
        status_code=403,
    )


def _campaign(
    request: Request, code: str, viewer: Viewer, role: str
) -> tuple[CampaignStatus | None, HTMLResponse]:
    """The campaign, or the page that says it does not exist or is not the person's to run."""
    campaign = campaign_status(request, code)
    if campaign is None:
        return None, not_found(request, viewer, f"Không có kỳ đánh giá {code}.")
    refused = _forbidden(request, viewer, role)
    if refused is not None:
        return None, refused
    return campaign, HTMLResponse("")  # not shown


# -- set-up ------------------------------------------------------------------------------------


@router.get("/thiet-lap")
def setup_page(request: Request, viewer: SignedIn) -> HTMLResponse:
    if (refused := _forbidden(request, viewer, "secretariat")) is not None:
        return refused
    svc = service_of(request)
    return render(
        request,
        "setup.html",
        viewer=viewer,
        title="Thiết lập kỳ đánh giá",
        crumbs=[("Trang chủ", "/"), ("Thiết lập kỳ đánh giá", "")],
        sets=svc.reads.indicator_sets(),
        units=svc.reads.units(),
        milestones=[(m, MILESTONE_TITLES[m]) for m in MILESTONES],
    )


@router.post("/thiet-lap/bo-chi-so/xem-truoc")
async def import_preview(
    request: Request,
    viewer: SignedIn,
    code: Annotated[str, Query(min_length=1, max_length=64)],
    title: Annotated[str, Query(min_length=1, max_length=300)],
    name: Annotated[str, Query(max_length=255)] = "",
    version: Annotated[int, Query(ge=1, le=1000)] = 1,
    precision: Annotated[int, Query(ge=0, le=4)] = 2,
) -> HTMLResponse:
    """The set the file (the request's body) gives, shown before anything is signed, or its
    problems by row."""
    if (refused := _forbidden(request, viewer, "secretariat")) is not None:
        return refused
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_UPLOAD:
            break
    found = preview_import(name, data, code=code, version=version, title=title, precision=precision)
    return fragment(
        request,
        "_import_preview.html",
        preview=found,
        definition_json=json.dumps(found.definition, ensure_ascii=False)
        if found.definition
        else "",
    )


# -- progress ----------------------------------------------------------------------------------


def _progress(request: Request, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    svc = service_of(request)
    progress = svc.reads.progress(code, svc.now())
    assert progress is not None
    groups = {u["code"]: u.get("ranking_group") or u["kind"] for u in svc.reads.units()}
    params = request.query_params
    rows = progress_rows(progress, groups, params.get("group", ""), params.get("state", ""))
    return progress, rows


@router.get("/ky/{code}/tien-do")
def progress_page(request: Request, code: str, viewer: SignedIn) -> Response:
    campaign, refused = _campaign(request, code, viewer, "secretariat")
    if campaign is None:
        return refused
    progress, rows = _progress(request, code)
    export = request.query_params.get("xuat")
    if export == "csv":
        return Response(
            progress_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{code}-tien-do.csv"'},
        )
    if export == "xlsx":
        return Response(
            progress_xlsx(service_of(request), code, rows),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="{code}-tien-do.xlsx"'},
        )
    groups = sorted({r["group"] for r in progress_rows(progress, _groups(request))})
    return render(
        request,
        "progress.html",
        viewer=viewer,
        title=f"Theo dõi tiến độ — {code}",
        campaign=campaign,
        crumbs=[("Trang chủ", "/"), (f"Kỳ đánh giá {code}", "/"), ("Theo dõi tiến độ", "")],
        progress=progress,
        rows=rows,
        groups=groups,
        states=STATES,
        query=str(request.query_params),
    )


def _groups(request: Request) -> dict[str, str]:
    return {
        u["code"]: u.get("ranking_group") or u["kind"] for u in service_of(request).reads.units()
    }


@router.get("/ky/{code}/tien-do/bang")
def progress_table(request: Request, code: str, viewer: SignedIn) -> HTMLResponse:
    """The table alone, which the page fetches again every few seconds."""
    if campaign_status(request, code) is None or not viewer.has("secretariat"):
        return HTMLResponse("", status_code=404)
    progress, rows = _progress(request, code)
    return fragment(request, "_progress_table.html", progress=progress, rows=rows)


# -- settlement, finalisation, publication -------------------------------------------------------


@router.get("/ky/{code}/tong-hop")
def settle_page(request: Request, code: str, viewer: SignedIn) -> HTMLResponse:
    campaign, refused = _campaign(request, code, viewer, "secretariat")
    if campaign is None:
        return refused
    progress, rows = _progress(request, code)
    return render(
        request,
        "settle.html",
        viewer=viewer,
        title=f"Tổng hợp, hoàn tất — {code}",
        campaign=campaign,
        crumbs=[("Trang chủ", "/"), (f"Kỳ đánh giá {code}", "/"), ("Tổng hợp, hoàn tất", "")],
        rows=rows,
        waiting=[r for r in rows if not r["accepted"]],
        progress=progress,
    )


@router.get("/ky/{code}/cong-bo")
def publish_page(request: Request, code: str, viewer: SignedIn) -> HTMLResponse:
    campaign, refused = _campaign(request, code, viewer, "publisher")
    if campaign is None:
        return refused
    svc = service_of(request)
    table = svc.reads.result_table(code)
    assert table is not None
    by_group: dict[str, list[dict[str, Any]]] = {}
    for row in table["units"]:
        by_group.setdefault(row["ranking_group"], []).append(row)
    return render(
        request,
        "publish.html",
        viewer=viewer,
        title=f"Công bố kết quả — {code}",
        campaign=campaign,
        crumbs=[("Trang chủ", "/"), (f"Kỳ đánh giá {code}", "/"), ("Công bố", "")],
        table=table,
        digest=table_sha256(table),
        groups=by_group,
        publications=svc.reads.publications(code),
        precision=int(table["precision"]),
    )
