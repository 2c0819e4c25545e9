"""The unit's acts beyond scoring: Gửi kết quả tự chấm (the head's submission, once, with what
is incomplete said first) and Giải trình (the explanation round, on contested leaves only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web import format as fmt
from api.web.campaigns import CampaignStatus
from api.web.disclosure import EVIDENCE_NOTICE, notice
from api.web.loading import Card, load_card, not_found
from api.web.routes.sheets import crumbs
from api.web.session import SignedIn, Viewer
from api.web.sheet import build
from api.web.templating import fragment, render

router = APIRouter(include_in_schema=False)


def submission_block(viewer: Viewer, view: dict[str, Any], state: CampaignStatus) -> str | None:
    unit, tz = view["unit"], state.timezone
    if not viewer.has("unit_head", unit):
        return "Chỉ thủ trưởng đơn vị gửi kết quả tự chấm của đơn vị."
    if view["submitted_at"]:
        return (
            f"Đơn vị đã gửi kết quả tự chấm lúc {fmt.date_time(view['submitted_at'], tz)}. "
            "Kết quả chỉ gửi một lần."
        )
    if view["locked_at"]:
        return (
            "Đơn vị không gửi trước hạn: phiếu đã khóa khi hết hạn tự đánh giá "
            f"({fmt.date_time(view['locked_at'], tz)}) và chuyển sang thẩm định như đang có."
        )
    if state.phase == "planned":
        return (
            f"Chưa đến thời gian tự đánh giá: mở từ {state.deadline('self_assessment_opens').at}."
        )
    if state.phase != "self_assessment":
        return f"Đã hết hạn gửi kết quả tự chấm ({state.deadline('self_assessment_closes').at})."
    return None


def submission_summary(view: dict[str, Any]) -> dict[str, Any]:
    own = [leaf for leaf in view["leaves"] if leaf["score_source"] == "appraisal"]
    unscored = [leaf for leaf in own if leaf["self_score"] is None]
    unsupported = [leaf for leaf in own if leaf["flags"]["unsupported"]]
    explained = [
        leaf for leaf in own if leaf["flags"]["no_evidence"] and not leaf["flags"]["unsupported"]
    ]
    return {
        "total": len(own),
        "scored": len(own) - len(unscored),
        "unscored": unscored,
        "unsupported": unsupported,
        "explained": explained,
    }


@router.get("/ky/{campaign}/don-vi/{unit}/gui")
def submission_page(request: Request, campaign: str, unit: str, viewer: SignedIn) -> HTMLResponse:
    card = load_card(request, campaign, unit)
    if card is None:
        return not_found(request, viewer, f"Đơn vị {unit} không tham gia kỳ đánh giá {campaign}.")
    return render(
        request,
        "submit.html",
        viewer=viewer,
        title=f"Gửi kết quả tự chấm — {card.unit_name}",
        campaign=card.campaign,
        crumbs=crumbs(card, ("Gửi kết quả tự chấm", "")),
        card=card,
        sheet=build(card.view, card.tree),
        summary=submission_summary(card.view),
        block=submission_block(viewer, card.view, card.campaign),
        base=f"/ky/{campaign}/don-vi/{unit}",
    )


def explanation_block(viewer: Viewer, card: Card) -> str | None:
    state = card.campaign
    if not viewer.has("unit_staff", card.unit):
        return "Cán bộ đầu mối của đơn vị giải trình; ông/bà chỉ xem được."
    if state.phase in ("planned", "self_assessment", "preliminary_appraisal"):
        opens = state.deadline("preliminary_appraisal_closes").at
        return f"Vòng giải trình mở khi hết hạn thẩm định sơ bộ ({opens})."
    if state.phase != "explanation":
        return f"Vòng giải trình đã kết thúc ({state.deadline('explanation_closes').at})."
    return None


def explanation_context(card: Card, viewer: Viewer) -> dict[str, Any]:
    contested = [leaf for leaf in card.view["leaves"] if leaf["flags"]["contested"]]
    return {
        "card": card,
        "leaves": contested,
        "block": explanation_block(viewer, card),
        "precision": card.view["precision"],
        "evidence_notice": EVIDENCE_NOTICE,
        "base": card.base,
    }


@router.get("/ky/{campaign}/don-vi/{unit}/giai-trinh")
def explanation_page(request: Request, campaign: str, unit: str, viewer: SignedIn) -> HTMLResponse:
    card = load_card(request, campaign, unit)
    if card is None:
        return not_found(request, viewer, f"Đơn vị {unit} không tham gia kỳ đánh giá {campaign}.")
    return render(
        request,
        "explanation.html",
        viewer=viewer,
        title=f"Giải trình — {card.unit_name}",
        campaign=card.campaign,
        crumbs=crumbs(card, ("Giải trình", "")),
        **explanation_context(card, viewer),
    )


@router.get("/ky/{campaign}/don-vi/{unit}/giai-trinh/danh-sach")
def explanation_list(request: Request, campaign: str, unit: str, viewer: SignedIn) -> HTMLResponse:
    card = load_card(request, campaign, unit)
    if card is None:
        return HTMLResponse("", status_code=404)
    return fragment(
        request,
        "_explanations.html",
        viewer=viewer,
        disclosure=notice(card.campaign.doc),
        **explanation_context(card, viewer),
    )
