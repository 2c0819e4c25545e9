"""The home page, signing in and out, the ledger's time and messages for the page scripts,
and evidence files opened in the browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from api.web.campaigns import my_campaigns
from api.web.enrolment_requests import EnrolmentRequests
from api.web.messages import FALLBACK, MESSAGES
from api.web.routes.surveys import readable_surveys, survey_links
from api.web.session import (
    MaybeViewer,
    SignedIn,
    Viewer,
    clear_session,
    service_of,
    set_session,
)
from api.web.templating import render
from ledger.application.media import sniff
from ledger.core.canonical import format_time
from ledger.core.errors import NotFoundError, ValidationError

router = APIRouter(include_in_schema=False)


def _pending_requests(request: Request, viewer: Viewer) -> int:
    if not viewer.has("administrator"):
        return 0
    svc = service_of(request)
    listed = EnrolmentRequests(svc.reads.views).listed(svc.ledger.keyring())
    return sum(1 for r in listed if r.status == "pending")


@router.get("/")
def home(request: Request, viewer: MaybeViewer) -> HTMLResponse:
    if viewer is None:
        return render(request, "landing.html", viewer=None, title="Trang chủ")
    svc = service_of(request)
    surveys: dict[str, list[dict[str, Any]]] = {}
    for item in survey_links(readable_surveys(request, viewer)):
        surveys.setdefault(item["campaign"], []).append(item)
    campaigns = my_campaigns(viewer, svc.reads, svc.now(), surveys)
    return render(
        request,
        "home.html",
        viewer=viewer,
        title="Trang chủ",
        menu_campaign=campaigns[0].status.code if campaigns else None,
        crumbs=[("Trang chủ", "")],
        campaigns=campaigns,
        pending=_pending_requests(request, viewer),
    )


@router.get("/dang-nhap")
def sign_in(request: Request, viewer: MaybeViewer) -> HTMLResponse:
    return render(request, "signin.html", viewer=viewer, title="Đăng nhập")


@router.post("/phien")
async def session(request: Request) -> Response:
    """Keep the read token the browser got from /v1/auth/token as the page session."""
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        raise ValidationError("send the token as JSON", field="access_token")
    body: Any = await request.json()
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or len(token) > 4000:
        raise ValidationError("access_token: a read token", field="access_token")
    svc = service_of(request)
    record = svc.tokens.reader(svc.ledger.keyring(), token, svc.now())
    response = JSONResponse({"key_id": record.key_id})
    set_session(response, token, svc.settings.token_ttl_seconds, request.url.scheme == "https")
    return response


@router.post("/dang-xuat")
def sign_out() -> Response:
    """Ends the page session only: the key stays in the browser."""
    response = RedirectResponse("/", status_code=303)
    clear_session(response)
    return response


@router.get("/giao-dien/gio")
def ledger_time(request: Request) -> dict[str, str]:
    return {"now": format_time(service_of(request).now())}


@router.get("/giao-dien/thong-bao.json")
def messages() -> dict[str, str]:
    return {**MESSAGES, "_fallback": FALLBACK}


@router.get("/tai-lieu/{sha256}")
def evidence_file(request: Request, sha256: str, viewer: SignedIn) -> Response:
    """An evidence file, checked against its hash, opened in the browser's own viewer."""
    svc = service_of(request)
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFoundError("not an evidence file", field="sha256")
    store = svc.ledger.evidence
    store.check(sha256)
    media_type = sniff(store.path_of(sha256)) or "application/octet-stream"

    def chunks() -> Iterator[bytes]:
        yield from store.read_chunks(sha256)

    return StreamingResponse(
        chunks(),
        media_type=media_type,
        headers={"content-disposition": "inline", "x-content-sha256": sha256},
    )
