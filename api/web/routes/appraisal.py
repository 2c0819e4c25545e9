"""Thẩm định: a council member's queue of units and criteria of their own field, the appraisal
sheet of one unit with a side panel per leaf, for the preliminary round (lần 1) and the final
round after the explanations (lần 2)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web import history, rule_text
from api.web.disclosure import notice
from api.web.loading import Card, campaign_status, load_card, not_found
from api.web.session import SignedIn, Viewer, service_of
from api.web.sheet import build, leaf_state
from api.web.templating import fragment, render

router = APIRouter(include_in_schema=False)
ROUNDS = {1: "tham-dinh", 2: "tham-dinh-lan-2"}
TITLES = {1: "Thẩm định lần 1 (sơ bộ)", 2: "Thẩm định lần 2 (cuối cùng)"}


def mine(viewer: Viewer, code: str) -> bool:
    return any(code == f or code.startswith(f + ".") for f in viewer.fields())


def _not_member(request: Request, viewer: Viewer) -> HTMLResponse:
    return render(
        request,
        "message.html",
        viewer=viewer,
        title="Thẩm định",
        heading="Thẩm định",
        text="Chỉ thành viên Hội đồng thẩm định được giao lĩnh vực mới thẩm định.",
        status_code=403,
    )


@router.get("/ky/{campaign}/tham-dinh")
def queue_first(request: Request, campaign: str, viewer: SignedIn) -> HTMLResponse:
    return queue(request, campaign, viewer, 1)


@router.get("/ky/{campaign}/tham-dinh-lan-2")
def queue_second(request: Request, campaign: str, viewer: SignedIn) -> HTMLResponse:
    return queue(request, campaign, viewer, 2)


def queue(request: Request, campaign: str, viewer: Viewer, round_: int) -> HTMLResponse:
    state = campaign_status(request, campaign)
    if state is None:
        return not_found(request, viewer, f"Không có kỳ đánh giá {campaign}.")
    if not viewer.fields():
        return _not_member(request, viewer)
    svc = service_of(request)
    names = {u["code"]: u["name"] for u in svc.reads.units()}
    rows = []
    for summary in svc.reads.summaries(campaign):
        closed = bool(summary["submitted_at"] or summary["locked_at"])
        pending = summary["pending_preliminary"] if round_ == 1 else summary["pending_final"]
        waiting = [code for code in pending if mine(viewer, code)] if closed else []
        rows.append(
            {
                "unit": summary["unit"],
                "name": names.get(summary["unit"], summary["unit"]),
                "state": "Đã gửi"
                if summary["submitted_at"]
                else "Đã khóa khi hết hạn"
                if summary["locked_at"]
                else "Chưa gửi",
                "tone": "green" if summary["submitted_at"] else "slate" if closed else "grey",
                "closed": closed,
                "waiting": len(waiting),
            }
        )
    deadline = state.deadline(
        "preliminary_appraisal_closes" if round_ == 1 else "final_appraisal_closes"
    )
    return render(
        request,
        "appraisal_queue.html",
        viewer=viewer,
        title=TITLES[round_],
        campaign=state,
        crumbs=[("Trang chủ", "/"), (f"Kỳ đánh giá {campaign}", "/"), (TITLES[round_], "")],
        rows=rows,
        round=round_,
        path=ROUNDS[round_],
        deadline=deadline,
        fields=", ".join(viewer.fields()),
    )


def round_block(card: Card, round_: int) -> str | None:
    """Why this round cannot be acted on now, for the whole card."""
    state, view = card.campaign, card.view
    if state.finalised:
        return "Kỳ đánh giá đã chốt kết quả."
    if round_ == 1:
        if not (view["submitted_at"] or view["locked_at"]):
            closes = state.deadline("self_assessment_closes").at
            return (
                f"Đơn vị chưa gửi kết quả tự chấm; thẩm định bắt đầu khi đơn vị gửi hoặc khi hết "
                f"hạn tự đánh giá ({closes})."
            )
        if state.deadline("preliminary_appraisal_closes").passed:
            return (
                f"Đã hết hạn thẩm định sơ bộ ({state.deadline('preliminary_appraisal_closes').at})."
            )
        return None
    if state.phase != "final_appraisal":
        explained = state.deadline("explanation_closes")
        final = state.deadline("final_appraisal_closes")
        if final.passed:
            return f"Đã hết hạn thẩm định lần 2 ({final.at})."
        return f"Thẩm định lần 2 mở khi hết hạn giải trình ({explained.at})."
    return None


@router.get("/ky/{campaign}/tham-dinh/{unit}")
def sheet_first(request: Request, campaign: str, unit: str, viewer: SignedIn) -> HTMLResponse:
    return appraisal_sheet(request, campaign, unit, viewer, 1)


@router.get("/ky/{campaign}/tham-dinh-lan-2/{unit}")
def sheet_second(request: Request, campaign: str, unit: str, viewer: SignedIn) -> HTMLResponse:
    return appraisal_sheet(request, campaign, unit, viewer, 2)


def appraisal_sheet(
    request: Request, campaign: str, unit: str, viewer: Viewer, round_: int
) -> HTMLResponse:
    path = ROUNDS[round_]
    card = load_card(request, campaign, unit)
    if card is None:
        return not_found(request, viewer, f"Đơn vị {unit} không tham gia kỳ đánh giá {campaign}.")
    if not viewer.fields():
        return _not_member(request, viewer)
    fields = viewer.fields()
    base = f"/ky/{campaign}/{path}/{unit}"
    sheet = build(card.view, card.tree, base=base, stage="final", only=fields)
    return render(
        request,
        "appraisal_sheet.html",
        viewer=viewer,
        title=f"{TITLES[round_]} — {card.unit_name}",
        campaign=card.campaign,
        crumbs=[
            ("Trang chủ", "/"),
            (TITLES[round_], f"/ky/{campaign}/{path}"),
            (card.unit_name, ""),
        ],
        card=card,
        sheet=sheet,
        round=round_,
        base=base,
        block=round_block(card, round_),
        fields=", ".join(fields),
        inputs_words=rule_text.inputs_in_words,
    )


def panel_context(
    request: Request, card: Card, code: str, viewer: Viewer, round_: int
) -> dict[str, Any] | None:
    leaf = card.leaf(code)
    if leaf is None:
        return None
    precision = card.view["precision"]
    block = round_block(card, round_)
    if not mine(viewer, code):
        block = (
            f"Tiêu chí {code} không thuộc lĩnh vực thẩm định của ông/bà "
            f"({', '.join(viewer.fields())}); mỗi thành viên chỉ thẩm định lĩnh vực của mình."
        )
    elif leaf["score_source"] != "appraisal":
        block = "Tiêu chí này không do đơn vị tự chấm nên không thẩm định ở đây."
    elif round_ == 2 and not leaf["flags"]["contested"]:
        block = "Điểm thẩm định lần 1 của tiêu chí này giữ nguyên; không có lần thẩm định thứ hai."
    self_score = leaf["self_score"] or {}
    preliminary = leaf["preliminary_appraisal"] or {}
    svc = service_of(request)
    return {
        "card": card,
        "leaf": leaf,
        "state": leaf_state(leaf, card.view),
        "round": round_,
        "block": block,
        "precision": precision,
        "rule_lines": rule_text.describe(leaf["rule"], leaf["max_points"], precision),
        "fields": rule_text.inputs(leaf["rule"]),
        "self_inputs": self_score.get("inputs", {}),
        "self_points": self_score.get("points", "0"),
        "preliminary_inputs": preliminary.get("inputs") or self_score.get("inputs", {}),
        "rule_json": json.dumps(leaf["rule"], ensure_ascii=False),
        "inputs_words": rule_text.inputs_in_words,
        "history": history.rows(
            svc, card.campaign.code, card.unit, code, card.campaign.timezone, precision
        ),
        "base": f"/ky/{card.campaign.code}/{ROUNDS[round_]}/{card.unit}",
        "sheet_base": card.base,
        "disclosure": notice(card.campaign.doc),
    }


@router.get("/ky/{campaign}/tham-dinh/{unit}/tieu-chi/{code}")
def panel_first(
    request: Request, campaign: str, unit: str, code: str, viewer: SignedIn
) -> HTMLResponse:
    return appraisal_panel(request, campaign, unit, code, viewer, 1)


@router.get("/ky/{campaign}/tham-dinh-lan-2/{unit}/tieu-chi/{code}")
def panel_second(
    request: Request, campaign: str, unit: str, code: str, viewer: SignedIn
) -> HTMLResponse:
    return appraisal_panel(request, campaign, unit, code, viewer, 2)


def appraisal_panel(
    request: Request, campaign: str, unit: str, code: str, viewer: Viewer, round_: int
) -> HTMLResponse:
    path = ROUNDS[round_]
    card = load_card(request, campaign, unit)
    context = panel_context(request, card, code, viewer, round_) if card else None
    if card is None or context is None:
        return not_found(request, viewer, f"Không có tiêu chí {code} trong bảng điểm này.")
    if request.headers.get("hx-request"):
        return fragment(request, "_appraisal_panel.html", viewer=viewer, **context)
    return render(
        request,
        "appraisal_leaf.html",
        viewer=viewer,
        title=f"{TITLES[context['round']]} — tiêu chí {code}",
        campaign=card.campaign,
        crumbs=[
            ("Trang chủ", "/"),
            (TITLES[context["round"]], f"/ky/{campaign}/{path}"),
            (card.unit_name, f"/ky/{campaign}/{path}/{unit}"),
            (f"Tiêu chí {code}", ""),
        ],
        **context,
    )
