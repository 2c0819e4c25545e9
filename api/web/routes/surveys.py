"""Điều tra xã hội học và SIPAS: the list of surveys, a survey's results (the question table
with last year's value, the target and the gap, and a chart per element), and the survey
body's page to upload an answer file, see its preview and bad rows, and sign the batch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.loading import not_found
from api.web.session import SignedIn, Viewer, service_of
from api.web.templating import render
from ledger.core.ids import survey_id
from ledger.domain.survey import Survey
from projections.read_models.survey_view import question_rows, survey_codes, survey_document

router = APIRouter(include_in_schema=False)
UPLOADERS = ("survey_body", "secretariat")
KIND_TITLES = {"sipas": "SIPAS", "par_survey": "Điều tra xã hội học"}
BAR_WIDTH = 420


def _survey(request: Request, code: str) -> Survey | None:
    found = service_of(request).ledger.aggregate(survey_id(code))
    return found if isinstance(found, Survey) else None


def may_upload(viewer: Viewer) -> bool:
    return any(viewer.has(role) for role in UPLOADERS)


def _crumbs(*more: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Trang chủ", "/"), ("Điều tra, SIPAS", "/dieu-tra"), *more]


@router.get("/dieu-tra")
def surveys_page(request: Request, viewer: SignedIn) -> HTMLResponse:
    svc = service_of(request)
    listed = []
    for code in survey_codes(svc.reads.views, svc.ledger):
        survey = _survey(request, code)
        if survey is not None:
            listed.append(
                {
                    "code": code,
                    "title": survey.definition.title,
                    "kind": KIND_TITLES[survey.definition.kind],
                    "campaign": survey.campaign,
                    "batches": len(survey.active_batches()),
                }
            )
    return render(
        request,
        "surveys.html",
        viewer=viewer,
        title="Điều tra xã hội học và SIPAS",
        crumbs=_crumbs(),
        surveys=listed,
        may_upload=may_upload(viewer),
    )


def charts(survey: Survey, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One bar chart per element (sipas) or for the criteria (par_survey): each bar a
    question's percentage, with the target marked."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        if row["kind"] in ("element", "criterion"):
            groups.append({"title": f"{row['code']}. {row['title']}", "bars": []})
        elif row["kind"] == "question" and groups:
            value = Decimal(row["percent"]) if row["percent"] else None
            target = Decimal(row["target"]) if row["target"] else None
            groups[-1]["bars"].append(
                {
                    "code": row["code"],
                    "percent": row["percent"],
                    "width": int(value * BAR_WIDTH / 100) if value is not None else 0,
                    "target_x": int(target * BAR_WIDTH / 100) if target is not None else None,
                    "below": value is not None and target is not None and value < target,
                }
            )
    return [chart for chart in groups if chart["bars"]]


@router.get("/dieu-tra/{code}")
def survey_page(request: Request, code: str, viewer: SignedIn) -> HTMLResponse:
    survey = _survey(request, code)
    if survey is None:
        return not_found(request, viewer, f"Không có cuộc điều tra {code}.")
    document = survey_document(survey)
    units = []
    for unit, results in (survey.results or {"units": {}})["units"].items():
        rows = question_rows(survey.definition, results)
        units.append(
            {
                "code": unit,
                "rows": rows,
                "charts": charts(survey, rows),
                "points": results.get("points", {}),
                "problems": results.get("problems", []),
                "progress": document["progress"].get(unit, {}),
            }
        )
    return render(
        request,
        "survey.html",
        viewer=viewer,
        title=survey.definition.title,
        crumbs=_crumbs((survey.code, "")),
        survey=survey,
        kind=KIND_TITLES[survey.definition.kind],
        units=units,
        batches=document["batches"],
        may_upload=may_upload(viewer),
        bar_width=BAR_WIDTH,
    )


@router.get("/dieu-tra/{code}/nhap")
def upload_page(request: Request, code: str, viewer: SignedIn) -> HTMLResponse:
    survey = _survey(request, code)
    if survey is None:
        return not_found(request, viewer, f"Không có cuộc điều tra {code}.")
    return render(
        request,
        "survey_upload.html",
        viewer=viewer,
        title=f"Nhập phiếu điều tra — {survey.code}",
        crumbs=_crumbs((survey.code, f"/dieu-tra/{survey.code}"), ("Nhập phiếu", "")),
        survey=survey,
        columns=", ".join(survey.definition.columns()),
        may_upload=may_upload(viewer),
        batches=[b for b in survey_document(survey)["batches"] if not b["superseded_by"]],
    )
