"""The administrator's pages: pending enrolment requests (approved by signing ``enrol_key``
in the browser, or refused with a reason) and the enrolled keys (revoked by signing
``revoke_key``)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.enrolment_requests import EnrolmentRequests
from api.web.session import SignedIn, service_of
from api.web.templating import render
from ledger.core.errors import AuthorizationError, ValidationError
from ledger.domain.keyring import ROLE_TITLES

router = APIRouter(include_in_schema=False)


def _administrator(viewer: SignedIn) -> None:
    if not viewer.has("administrator"):
        raise AuthorizationError(
            "only an administrator decides on enrolment requests", code="out_of_scope"
        )


def _roles(grants: list[dict[str, Any]]) -> str:
    return "; ".join(
        ROLE_TITLES.get(g["role"], g["role"]) + (f": {', '.join(g['scope'])}" if g["scope"] else "")
        for g in grants
    )


@router.get("/quan-tri/yeu-cau")
def requests_page(request: Request, viewer: SignedIn) -> HTMLResponse:
    if not viewer.has("administrator"):
        return render(
            request,
            "message.html",
            viewer=viewer,
            title="Yêu cầu cấp khóa",
            heading="Yêu cầu cấp khóa",
            text="Chỉ quản trị hệ thống xem và duyệt yêu cầu cấp khóa.",
            status_code=403,
        )
    svc = service_of(request)
    listed = EnrolmentRequests(svc.reads.views).listed(svc.ledger.keyring())
    rows = [
        {
            "request": r,
            "roles": _roles(r.args.get("roles", [])),
            "args_json": json.dumps(r.args, ensure_ascii=False),
        }
        for r in listed
    ]
    return render(
        request,
        "admin_requests.html",
        viewer=viewer,
        title="Yêu cầu cấp khóa",
        crumbs=[("Trang chủ", "/"), ("Yêu cầu cấp khóa", "")],
        rows=rows,
    )


@router.post("/quan-tri/yeu-cau/{key_id}/tu-choi")
async def refuse(request: Request, key_id: str, viewer: SignedIn) -> dict[str, Any]:
    _administrator(viewer)
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        raise ValidationError("send the reason as JSON", field="reason")
    body: Any = await request.json()
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("a refusal gives its reason", code="reason_required", field="reason")
    svc = service_of(request)
    refused = EnrolmentRequests(svc.reads.views).refuse(
        key_id, viewer.key_id, reason, svc.ledger.keyring(), svc.now()
    )
    return refused.as_json()


@router.get("/quan-tri/khoa")
def keys_page(request: Request, viewer: SignedIn) -> HTMLResponse:
    svc = service_of(request)
    enrolled = svc.reads.keys()
    keys = [
        {**key, "roles_text": _roles(key["roles"])}
        for key in enrolled
        if not any(g["role"] == "system" for g in key["roles"])
    ]
    keys.sort(key=lambda k: (k["revoked_at"] is not None, k["name"]))
    return render(
        request,
        "admin_keys.html",
        viewer=viewer,
        title="Khóa đã cấp",
        crumbs=[("Trang chủ", "/"), ("Khóa đã cấp", "")],
        keys=keys,
        administrator=viewer.has("administrator"),
    )
