"""A person's keys: asking for one (the browser makes it), the keys this browser holds and
what the ledger says of each."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.enrolment_requests import REQUESTABLE_ROLES, EnrolmentRequests
from api.web.session import MaybeViewer, service_of
from api.web.templating import render
from ledger.core.errors import NotFoundError, ValidationError
from ledger.domain.keyring import ROLE_TITLES

router = APIRouter(include_in_schema=False)


@router.get("/khoa")
def my_keys(request: Request, viewer: MaybeViewer) -> HTMLResponse:
    return render(
        request,
        "keys.html",
        viewer=viewer,
        title="Khóa của tôi",
        crumbs=[("Trang chủ", "/"), ("Khóa của tôi", "")],
    )


@router.get("/khoa/dang-ky")
def enrol(request: Request, viewer: MaybeViewer) -> HTMLResponse:
    svc = service_of(request)
    return render(
        request,
        "enrol.html",
        viewer=viewer,
        title="Đăng ký khóa ký",
        crumbs=[("Trang chủ", "/"), ("Đăng ký khóa ký", "")],
        units=svc.reads.units(),
        roles=[(role, ROLE_TITLES[role]) for role in REQUESTABLE_ROLES],
    )


@router.post("/khoa/yeu-cau", status_code=201)
async def ask(request: Request) -> dict[str, Any]:
    """Keep an enrolment request signed by the key it asks for."""
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        raise ValidationError("send the request as JSON", field="request")
    body: Any = await request.json()
    if not isinstance(body, dict):
        raise ValidationError("a request is {request, signature}", field="request")
    svc = service_of(request)
    keyring = svc.ledger.keyring()
    found = EnrolmentRequests(svc.reads.views).add(
        body.get("request"),
        body.get("signature"),
        keyring.ledger or svc.settings.ledger_name,
        keyring,
        svc.now(),
    )
    return found.as_json()


@router.get("/khoa/trang-thai/{key_id}")
def key_state(request: Request, key_id: str) -> dict[str, Any]:
    """What the ledger says of a key: enrolled or revoked (with its person and roles), or
    the state of its enrolment request."""
    svc = service_of(request)
    keyring = svc.ledger.keyring()
    record = keyring.get(key_id)
    if record is not None:
        roles = "; ".join(
            ROLE_TITLES.get(g.role, g.role) + (f" {', '.join(g.scope)}" if g.scope else "")
            for g in record.grants
        )
        return {
            "key_id": key_id,
            "status": "enrolled" if record.active else "revoked",
            "name": record.name,
            "roles": roles,
            "reason": record.revocation_reason,
        }
    asked = EnrolmentRequests(svc.reads.views).get(key_id, keyring)
    if asked is None:
        raise NotFoundError(f"no key or request {key_id}", field="key_id")
    return {
        "key_id": key_id,
        "status": asked.status,
        "name": asked.args.get("name", ""),
        "reason": asked.reason,
    }
