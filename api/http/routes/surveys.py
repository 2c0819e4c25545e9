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
    check_answer_file,
    find_survey,
    preview,
    private_files,
)
from ledger.core.codes import UNIT_CODE
from ledger.core.errors import AuthorizationError, LedgerError, ValidationError
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
