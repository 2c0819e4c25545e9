"""Rendering pages: the Jinja2 templates of the package (every value escaped), the filters
that write numbers and dates the Vietnamese way, and what every page shows around its
content (top bar, menu, breadcrumb, phase and deadline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.web import format as fmt
from api.web.campaigns import CampaignStatus
from api.web.disclosure import notice
from api.web.session import Viewer, service_of
from ledger.core.canonical import format_time

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.autoescape = True
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
templates.env.filters.update(
    number=fmt.number,
    percent=fmt.percent,
    date=fmt.date,
    date_time=fmt.date_time,
    short_date_time=fmt.short_date_time,
    file_size=fmt.file_size,
    short_hash=fmt.short_hash,
    fingerprint=fmt.fingerprint,
)


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str


def menu(viewer: Viewer | None, campaign: str | None) -> list[MenuItem]:
    """Only what the person's roles may do."""
    if viewer is None:
        return []
    items = [MenuItem("Trang chủ", "/")]
    if campaign:
        for unit in sorted(set(viewer.units("unit_staff")) | set(viewer.units("unit_head"))):
            items.append(MenuItem(f"Bảng tự chấm điểm ({unit})", f"/ky/{campaign}/don-vi/{unit}"))
        for unit in viewer.units("unit_head"):
            items.append(
                MenuItem(f"Gửi kết quả tự chấm ({unit})", f"/ky/{campaign}/don-vi/{unit}/gui")
            )
        for unit in viewer.units("unit_staff"):
            items.append(
                MenuItem(f"Giải trình ({unit})", f"/ky/{campaign}/don-vi/{unit}/giai-trinh")
            )
        if viewer.fields():
            items.append(MenuItem("Thẩm định", f"/ky/{campaign}/tham-dinh"))
            items.append(MenuItem("Thẩm định lần 2", f"/ky/{campaign}/tham-dinh-lan-2"))
        if viewer.has("secretariat"):
            items.append(MenuItem("Theo dõi tiến độ", f"/ky/{campaign}/tien-do"))
            items.append(MenuItem("Tổng hợp, hoàn tất", f"/ky/{campaign}/tong-hop"))
        if viewer.has("publisher"):
            items.append(MenuItem("Công bố", f"/ky/{campaign}/cong-bo"))
        items.append(MenuItem("Tra cứu lịch sử điểm", f"/ky/{campaign}/tra-cuu"))
    if viewer.has("secretariat"):
        items.append(MenuItem("Thiết lập kỳ đánh giá", "/thiet-lap"))
    if viewer.has("survey_body") or viewer.has("secretariat"):
        items.append(MenuItem("Điều tra, SIPAS", "/dieu-tra"))
    if viewer.has("administrator"):
        items.append(MenuItem("Yêu cầu cấp khóa", "/quan-tri/yeu-cau"))
        items.append(MenuItem("Khóa đã cấp", "/quan-tri/khoa"))
    items.append(MenuItem("Khóa của tôi", "/khoa"))
    return items


def render(
    request: Request,
    name: str,
    *,
    viewer: Viewer | None,
    title: str,
    campaign: CampaignStatus | None = None,
    menu_campaign: str | None = None,
    crumbs: list[tuple[str, str]] | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    svc = service_of(request)
    now = svc.now()
    values = {
        "viewer": viewer,
        "title": title,
        "campaign": campaign,
        "crumbs": crumbs or [],
        "menu": menu(viewer, campaign.code if campaign else menu_campaign),
        "current": request.url.path,
        "ledger_name": svc.ledger.keyring().ledger or svc.settings.ledger_name,
        "now_iso": format_time(now),
        "disclosure": notice(campaign.doc if campaign else None),
        **context,
    }
    return templates.TemplateResponse(request, name, values, status_code=status_code)


def fragment(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A part of a page, for a partial update."""
    svc = service_of(request)
    values = {"now_iso": format_time(svc.now()), **context}
    return templates.TemplateResponse(request, name, values, status_code=status_code)
