"""Surveys over HTTP: a survey's results, progress and batches; an answer file uploaded,
checked row by row and kept privately, answered with the batch's arguments to sign (or
every bad row) and the preview of what it gives."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.requests import ClientDisconnect

from api.http.deps import ERRORS, Reader, ServiceDep, check_read
from ledger.application.survey_import import (
    batch_args,
    check_answer_bytes,
    check_answer_file,
    find_survey,
    parse_definition,
    preview,
    private_files,
    recorded_batch,
)
from ledger.core.codes import UNIT_CODE
from ledger.core.errors import AuthorizationError, LedgerError, NotFoundError, ValidationError
from ledger.core.ids import campaign_id, survey_id
from ledger.domain.survey import Survey
from projections.read_models.survey_view import flat_results, survey_document

router = APIRouter()
SurveyCode = Annotated[str, Path(pattern=UNIT_CODE, description="the survey's code")]
UPLOADERS = ("survey_body", "secretariat")


def _survey(svc: Any, code: str) -> Survey:
    return find_survey(svc.ledger.aggregate(survey_id(code)), code)


@router.get(
    "/v1/surveys/{code}",
    operation_id="get_survey",
    tags=["surveys"],
    responses=ERRORS,
    description="A survey: its definition, results (questions, elements or criteria, "
    "overall, points) computed from the recorded tallies, the question table with last "
    "year's value and the target, the fieldwork's progress and its batches.",
)
def get_survey(code: SurveyCode, svc: ServiceDep, who: Reader) -> dict[str, Any]:
    survey = _survey(svc, code)
    check_read(svc, survey.campaign, who)
    return survey_document(survey)


@router.post(
    "/v1/surveys/{code}/files",
    operation_id="upload_survey_file",
    tags=["surveys"],
    responses=ERRORS,
    description="Upload an answer file (CSV or XLSX, the raw request body) of a defined "
    "survey. Every row is checked: with bad rows the answer lists them all (row, column, "
    "reason) and nothing is kept; otherwise the file is kept privately and the answer "
    "holds the arguments of the import_survey_batch command to sign and the preview.",
)
async def upload_survey_file(
    code: SurveyCode, request: Request, svc: ServiceDep, who: Reader
) -> dict[str, Any]:
    if not any(role in UPLOADERS for role in who.roles()):
        raise AuthorizationError(
            "only the survey body or the secretariat uploads answer files", code="forbidden"
        )
    survey = _survey(svc, code)
    check_read(svc, survey.campaign, who)
    store = private_files(svc.settings.evidence_dir)
    upload = store.open_upload(svc.settings.max_evidence_bytes)
    try:
        async for chunk in request.stream():
            upload.write(chunk)
    except ClientDisconnect:
        upload.abort()
        raise LedgerError(
            "the upload was cut short; nothing was kept", code="upload_incomplete"
        ) from None
    except BaseException:
        upload.abort()
        raise
    if upload.size == 0:
        upload.abort()
        raise ValidationError("the request body is empty; send the file's bytes", field="file")
    upload.flush()
    try:
        checked = check_answer_file(upload.path, survey.definition)
    except BaseException:
        upload.abort()
        raise
    errors = [error.as_json() for error in checked.tally.errors]
    if errors:
        upload.abort()
        return {"file_sha256": checked.sha256, "rows": checked.tally.rows, "errors": errors}
    upload.commit()
    campaign = svc.ledger.aggregate(campaign_id(survey.campaign))
    tree = svc.ledger.tree(campaign.indicator_set, campaign.indicator_set_version)
    return {
        "file_sha256": checked.sha256,
        "rows": checked.tally.rows,
        "errors": [],
        "already_recorded": checked.sha256 in survey.batches,
        "args": batch_args(survey, checked),
        "preview": flat_results(preview(survey.definition, checked.tally, tree)),
        "all_preview": preview(survey.definition, checked.tally, tree),
    }


@router.post(
    "/v1/surveys/preview",
    operation_id="preview_survey_file",
    tags=["surveys"],
    responses=ERRORS,
    description="What an answer file gives under a definition, before either is recorded: "
    'JSON {"definition": {…}, "answers": "<the CSV text>"}; answers every bad row, or the '
    "results (questions, indexes, points; all_preview: by unit, whatever their number). "
    "Nothing is kept or recorded.",
)
async def preview_survey_file(request: Request, svc: ServiceDep, who: Reader) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("answers"), str):
        raise ValidationError('send {"definition": {…}, "answers": "<CSV text>"}', field="answers")
    definition = parse_definition(body.get("definition"), "definition")
    campaign = svc.ledger.aggregate(campaign_id(definition.campaign))
    if campaign is None:
        raise NotFoundError(
            f"campaign {definition.campaign} does not exist",
            code="unknown_campaign",
            field="definition.campaign",
        )
    check_read(svc, definition.campaign, who)
    checked = check_answer_bytes(body["answers"].encode("utf-8"), "answers.csv", definition)
    errors = [error.as_json() for error in checked.tally.errors]
    if errors:
        return {"file_sha256": checked.sha256, "rows": checked.tally.rows, "errors": errors}
    tree = svc.ledger.tree(campaign.indicator_set, campaign.indicator_set_version)
    found = preview(definition, checked.tally, tree)
    return {
        "file_sha256": checked.sha256,
        "rows": checked.tally.rows,
        "errors": [],
        "preview": flat_results(found),
        "all_preview": found,
    }


@router.post(
    "/v1/surveys/{code}/check",
    operation_id="check_survey_file",
    tags=["surveys"],
    responses=ERRORS,
    description="Whether a raw answer file (the request body) is a recorded batch of the "
    "survey: the same SHA-256, rows and tallies. Nothing is kept.",
)
async def check_survey_file(
    code: SurveyCode, request: Request, svc: ServiceDep, who: Reader
) -> dict[str, Any]:
    survey = _survey(svc, code)
    check_read(svc, survey.campaign, who)
    checked = check_answer_bytes(await request.body(), "answers.csv", survey.definition)
    batch = recorded_batch(survey, checked)
    return {
        "file_sha256": batch.file_sha256,
        "rows": batch.rows,
        "recorded": True,
        "superseded_by": batch.superseded_by,
    }
