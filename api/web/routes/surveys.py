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
from ledger.domain.scopes import LiveFacts, may_read
from ledger.domain.survey import Survey
from projections.read_models.survey_view import question_rows, survey_codes, survey_document

router = APIRouter(include_in_schema=False)
UPLOADERS = ("survey_body", "secretariat")
KIND_TITLES = {"sipas": "SIPAS", "par_survey": "Điều tra xã hội học"}
SOURCE_WORDS = {"sipas": "Chỉ số hài lòng SIPAS", "par_survey": "điều tra xã hội học"}
BAR_WIDTH = 420


def _survey(request: Request, code: str, viewer: Viewer) -> Survey | None:
    """The survey, if the person may read its campaign (ledger.domain.scopes)."""
    ledger = service_of(request).ledger
    found = ledger.aggregate(survey_id(code))
    if not isinstance(found, Survey):
        return None
    facts = LiveFacts(ledger)
    campaign = facts.campaign_facts(found.campaign)
    if campaign is not None and not may_read(viewer.key, campaign, facts):
        return None
    return found


def may_upload(viewer: Viewer) -> bool:
    return any(viewer.has(role) for role in UPLOADERS)


def readable_surveys(request: Request, viewer: Viewer, campaign: str | None = None) -> list[Survey]:
    """The surveys the person may read, of one campaign or of all."""
    svc = service_of(request)
    found = []
    for code in survey_codes(svc.reads.views, svc.ledger):
        survey = _survey(request, code, viewer)
        if survey is not None and campaign in (None, survey.campaign):
            found.append(survey)
    return found


def survey_links(surveys: list[Survey]) -> list[dict[str, Any]]:
    """What a campaign's page lists of its surveys: each one's page, and whether answers are
    recorded yet."""
    return [
        {
            "code": s.code,
            "title": s.definition.title,
            "kind": KIND_TITLES[s.definition.kind],
            "campaign": s.campaign,
            "batches": len(s.active_batches()),
        }
        for s in surveys
    ]


def criterion_surveys(surveys: list[Survey]) -> dict[str, dict[str, str]]:
    """Each criterion that takes points from a survey: the survey, and the source in words."""
    return {
        criterion: {"code": s.code, "source": SOURCE_WORDS[s.definition.kind]}
        for s in surveys
        for criterion in s.definition.scored_criteria
    }


def _crumbs(*more: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Trang chủ", "/"), ("Điều tra, SIPAS", "/dieu-tra"), *more]


@router.get("/dieu-tra")
def surveys_page(request: Request, viewer: SignedIn) -> HTMLResponse:
    return render(
        request,
        "surveys.html",
        viewer=viewer,
        title="Điều tra xã hội học và SIPAS",
        crumbs=_crumbs(),
        surveys=survey_links(readable_surveys(request, viewer)),
        may_upload=may_upload(viewer),
    )


def _x(value: str | None) -> int | None:
    return None if value is None else int(Decimal(value) * BAR_WIDTH / 100)


def charts(survey: Survey, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One bar chart per element (sipas) or for the criteria (par_survey): each bar a
    question's percentage, with last year's value and this year's target marked where the
    definition has them, each a shape of its own and in words."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        if row["kind"] in ("element", "criterion"):
            groups.append({"title": f"{row['code']}. {row['title']}", "head": row, "bars": []})
        elif row["kind"] == "question" and groups:
            value, target = row["percent"], row["target"]
            groups[-1]["bars"].append(
                {
                    "code": row["code"],
                    "percent": value,
                    "last_year": row["last_year"],
                    "target": target,
                    "width": _x(value) or 0,
                    "last_x": _x(row["last_year"]),
                    "target_x": _x(target),
                    "below": bool(value and target and Decimal(value) < Decimal(target)),
                }
            )
    return [chart for chart in groups if chart["bars"]]


@router.get("/dieu-tra/{code}")
def survey_page(request: Request, code: str, viewer: SignedIn) -> HTMLResponse:
    survey = _survey(request, code, viewer)
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
    survey = _survey(request, code, viewer)
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
