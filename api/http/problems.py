"""RFC 9457 problem details: every error the API returns, with a stable type and code,
a clear detail and, where one is at fault, the field."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ledger.core.errors import (
    AuthorizationError,
    ConflictError,
    DomainError,
    LedgerError,
    NotFoundError,
    ValidationError,
)

PROBLEM_TYPE = "urn:parledger:problem:"
MEDIA_TYPE = "application/problem+json"

STATUS_BY_CODE = {
    "bad_signature": 401,
    "unknown_key": 401,
    "token_invalid": 401,
    "token_expired": 401,
    "token_missing": 401,
    "challenge_invalid": 401,
    "challenge_expired": 401,
    "already_initialised": 409,
    "nonce_reused": 409,
    "file_too_large": 413,
    "unsupported_media_type": 415,
    "evidence_corrupted": 500,
    "table_corrupted": 500,
    "publication_unavailable": 503,
}
DOMAIN_INPUT_CODES = {
    "above_maximum",
    "above_cap",
    "off_step",
    "negative_count",
    "numerator_above_denominator",
    "rule_input_mismatch",
    "zero_denominator",
    "no_tier",
    "not_applicable",
    "not_self_assessed",
    "source_mismatch",
    "reason_required",
    "unknown_adjustment",
    "unsupported_self_score",
    "evidence_size_mismatch",
    "evidence_media_type_mismatch",
}


def status_of(error: LedgerError) -> int:
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
    if isinstance(error, ValidationError) or error.code in DOMAIN_INPUT_CODES:
        return 422
    if isinstance(error, AuthorizationError):
        return 403
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError | DomainError):
        return 409
    return 400


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    if instance is not None:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def ledger_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LedgerError)
    status = status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(
        status,
        error.code,
        error.message,
        field=error.field,
        instance=request.url.path,
        headers=headers,
    )


async def request_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
    location = [str(part) for part in first.get("loc", ())]
    if first.get("type") == "json_invalid":
        return problem(
            400,
            "malformed_json",
            f"the request body is not valid JSON: {first['msg']}",
            field="body",
            instance=request.url.path,
        )
    field = ".".join(
        location[1:] if location and location[0] in ("body", "query", "path") else location
    )
    return problem(
        422,
        "invalid_request",
        f"{field or 'request'}: {first['msg']}",
        field=field or None,
        instance=request.url.path,
    )


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 401: "token_missing"}.get(
        error.status_code, "http_error"
    )
    return problem(error.status_code, code, str(error.detail), instance=request.url.path)


def internal_error(instance: str | None = None) -> JSONResponse:
    return problem(
        500,
        "internal_error",
        "the server failed to handle this request; nothing was recorded by it "
        "unless a receipt was returned",
        instance=instance,
    )


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    return internal_error(request.url.path)
