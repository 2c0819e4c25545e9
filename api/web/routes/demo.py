"""“Đăng nhập thử” on the seeded demo store: pick one of the demo's people and the browser
imports their demo key (non-extractable) to act in their role. Never in production."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.demo_keys import DemoPerson, offered, people, pkcs8
from api.web.session import MaybeViewer, service_of
from api.web.templating import render
from ledger.core.errors import NotFoundError
from ledger.demo.cycle import CAMPAIGN as CYCLE_CAMPAIGN
from ledger.demo.province import CAMPAIGN as PROVINCE_CAMPAIGN

router = APIRouter(include_in_schema=False)


def _people(request: Request) -> tuple[bool, list[DemoPerson]]:
    svc = service_of(request)
    seeded = any(
        svc.reads.campaign_doc(code) is not None for code in (PROVINCE_CAMPAIGN, CYCLE_CAMPAIGN)
    )
    return offered(svc.settings, seeded), people(svc.settings, svc.ledger.keyring(), seeded)


@router.get("/thu")
def demo_page(request: Request, viewer: MaybeViewer) -> HTMLResponse:
    available, found = _people(request)
    return render(
        request,
        "demo.html",
        viewer=viewer,
        title="Đăng nhập thử (dữ liệu mẫu)",
        crumbs=[("Trang chủ", "/"), ("Đăng nhập thử", "")],
        available=available,
        people=found,
        status_code=200 if available else 404,
    )


@router.get("/thu/khoa/{key_id}")
def demo_key(request: Request, key_id: str) -> dict[str, Any]:
    _, found = _people(request)
    person = next((p for p in found if p.key.key_id == key_id), None)
    if person is None:
        raise NotFoundError("no demo key for this person here", field="key_id")
    return {
        "key_id": key_id,
        "public_key": person.key.public_key,
        "pkcs8": pkcs8(person.file.read_bytes()),
        "person": {"name": person.key.name, "title": person.key.title, "unit": person.key.unit},
    }
