"""Inspectors' pages: Tra cứu lịch sử điểm (the trace explorer, with its CSV and XLSX
exports), what changed after the self-assessment and after the preliminary appraisal, and
Xem tại thời điểm (a scorecard or the ranking as it stood at a chosen moment, with its log
position). A campaign's pages need a signed-in reader until its results are published."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.web.campaigns import CampaignStatus
from api.web.format import local
from api.web.history import ACTS
from api.web.loading import campaign_status, not_found
from api.web.session import Viewer, current_viewer, required_viewer, service_of
from api.web.templating import render
from api.web.trace_explorer import LIMIT, TraceFilter, changes, shown, trace, xlsx
from ledger.core.canonical import format_time
from ledger.core.errors import ValidationError
from ledger.domain.keyring import ROLE_TITLES
from projections.read_models.positions import log_point
from projections.read_models.queries import AsOf
from projections.read_models.trace import to_csv

router = APIRouter(include_in_schema=False)


def _reader(request: Request, code: str) -> tuple[Viewer | None, CampaignStatus | None]:
    """Anyone once the campaign is published; before, a signed-in reader."""
    campaign = campaign_status(request, code)
    published = campaign is not None and bool(service_of(request).reads.publications(code))
    viewer = current_viewer(request) if published else required_viewer(request)
    return viewer, campaign


def _crumbs(code: str, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Trang chủ", "/"), (f"Kỳ đánh giá {code}", "/"), *more]


def _timezone(campaign: CampaignStatus) -> str:
    return campaign.timezone


@router.get("/ky/{code}/tra-cuu")
def trace_page(request: Request, code: str) -> Response:
    viewer, campaign = _reader(request, code)
    if campaign is None:
        return not_found(request, viewer, f"Không có kỳ đánh giá {code}.")
    svc = service_of(request)
    params = dict(request.query_params)
    errors: dict[str, str] = {}
    try:
        chosen = TraceFilter.of(params)
    except ValidationError as error:
        errors[error.field or "unit"] = error.message
        chosen = TraceFilter()
    zone = _timezone(campaign)
    precision = svc.reads.precision(code)
    rows = trace(svc, code, chosen, zone) if not errors else []
    export = params.get("xuat")
    if export == "csv":
        return Response(
            to_csv(rows, precision),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{code}-lich-su-diem.csv"'},
        )
    if export == "xlsx":
        data = xlsx(svc, code, chosen, shown(svc, rows, zone, precision), precision)
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="{code}-lich-su-diem.xlsx"'},
        )
    doc = campaign.doc
    return render(
        request,
        "trace.html",
        viewer=viewer,
        title=f"Tra cứu lịch sử điểm — {code}",
        campaign=campaign,
        crumbs=_crumbs(code, ("Tra cứu lịch sử điểm", "")),
        chosen=chosen,
        errors=errors,
        rows=shown(svc, rows, zone, precision),
        total=len(rows),
        limit=LIMIT,
        units=doc["units"],
        roles=ROLE_TITLES,
        acts=ACTS,
        query="&".join(f"{k}={v}" for k, v in chosen.query().items()),
    )


@router.get("/ky/{code}/tra-cuu/thay-doi")
def changes_page(request: Request, code: str, unit: str = "") -> HTMLResponse:
    viewer, campaign = _reader(request, code)
    if campaign is None:
        return not_found(request, viewer, f"Không có kỳ đánh giá {code}.")
    svc = service_of(request)
    units = campaign.doc["units"]
    chosen = unit if unit in units else units[0]
    card = svc.reads.scorecard(code, chosen)
    return render(
        request,
        "trace_changes.html",
        viewer=viewer,
        title=f"Điểm thay đổi sau tự đánh giá — {chosen}",
        campaign=campaign,
        crumbs=_crumbs(code, ("Tra cứu lịch sử điểm", f"/ky/{code}/tra-cuu"), ("Thay đổi", "")),
        units=units,
        unit=chosen,
        changes=changes(card) if card else [],
        precision=svc.reads.precision(code),
    )


def _moment(text: str, zone: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        raise ValidationError("Thời điểm không đúng dạng", field="at") from None


@router.get("/ky/{code}/tai-thoi-diem")
def as_of_page(request: Request, code: str, at: str = "", unit: str = "") -> HTMLResponse:
    viewer, campaign = _reader(request, code)
    if campaign is None:
        return not_found(request, viewer, f"Không có kỳ đánh giá {code}.")
    svc = service_of(request)
    zone = _timezone(campaign)
    errors: dict[str, str] = {}
    try:
        moment = _moment(at, zone)
    except ValidationError as error:
        errors["at"] = error.message
        moment = None
    context: dict[str, Any] = {"moment": moment, "at": at, "unit": unit, "errors": errors}
    if moment is not None:
        found = svc.reads.views.rows(
            "SELECT MAX(position) AS p FROM {pv_log} WHERE recorded_at <= ?",
            (format_time(moment),),
        )
        position = found[0]["p"]
        context["point"] = log_point(svc.reads.views, int(position)) if position else None
        as_of = AsOf(position=int(position or 0))
        if unit:
            context["card"] = svc.reads.scorecard(code, unit, as_of)
        else:
            context["ranking"] = svc.reads.ranking(code, as_of=as_of)
    return render(
        request,
        "as_of.html",
        viewer=viewer,
        title=f"Xem tại thời điểm — {code}",
        campaign=campaign,
        crumbs=_crumbs(code, ("Xem tại thời điểm", "")),
        units=campaign.doc["units"],
        precision=svc.reads.precision(code),
        picks=[
            (d.title, local(campaign.doc["schedule"][d.name], zone).strftime("%Y-%m-%dT%H:%M"))
            for d in campaign.deadlines
            if d.name in campaign.doc.get("schedule", {})
        ],
        **context,
    )
