"""Bảng tự chấm điểm: a unit's sheet by area, a leaf's side panel (rule, inputs, notes,
evidence, history) and the history page of a leaf."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web import history, rule_text
from api.web.disclosure import EVIDENCE_NOTICE, notice
from api.web.loading import Card, load_card, not_found
from api.web.routes.surveys import criterion_surveys, readable_surveys
from api.web.session import SignedIn, Viewer, service_of
from api.web.sheet import build, card_block, leaf_block, leaf_state
from api.web.templating import fragment, render

router = APIRouter(include_in_schema=False)


def crumbs(card: Card, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        ("Trang chủ", "/"),
        (f"Kỳ đánh giá {card.campaign.code}", "/"),
        (card.unit_name, card.base),
        *more,
    ]


def sheet_context(request: Request, card: Card, viewer: Viewer) -> dict[str, Any]:
    return {
        "surveys": criterion_surveys(readable_surveys(request, viewer, card.campaign.code)),
        "card": card,
        "sheet": build(card.view, card.tree, base=card.base),
        "block": card_block(viewer, card.view, card.campaign),
        "base": card.base,
    }


@router.get("/ky/{campaign}/don-vi/{unit}")
def sheet_page(request: Request, campaign: str, unit: str, viewer: SignedIn) -> HTMLResponse:
    card = load_card(request, campaign, unit)
    if card is None:
        return not_found(request, viewer, f"Đơn vị {unit} không tham gia kỳ đánh giá {campaign}.")
    return render(
        request,
        "sheet.html",
        viewer=viewer,
        title=f"Bảng tự chấm điểm — {card.unit_name}",
        campaign=card.campaign,
        crumbs=crumbs(card, ("Bảng tự chấm điểm", "")),
        **sheet_context(request, card, viewer),
    )


@router.get("/ky/{campaign}/don-vi/{unit}/bang")
def sheet_table(request: Request, campaign: str, unit: str, viewer: SignedIn) -> HTMLResponse:
    card = load_card(request, campaign, unit)
    if card is None:
        return HTMLResponse("", status_code=404)
    return fragment(request, "_sheet_table.html", **sheet_context(request, card, viewer))


def leaf_context(request: Request, card: Card, code: str, viewer: Viewer) -> dict[str, Any] | None:
    leaf = card.leaf(code)
    if leaf is None:
        return None
    precision = card.view["precision"]
    svc = service_of(request)
    self_score = leaf["self_score"] or {}
    return {
        "card": card,
        "leaf": leaf,
        "state": leaf_state(leaf, card.view),
        "node": card.tree.nodes[code],
        "rule_lines": rule_text.describe(leaf["rule"], leaf["max_points"], precision),
        "fields": rule_text.inputs(leaf["rule"]),
        "given": self_score.get("inputs", {}),
        "rule_json": json.dumps(leaf["rule"], ensure_ascii=False),
        "block": card_block(viewer, card.view, card.campaign) or leaf_block(leaf),
        "history": history.rows(
            svc, card.campaign.code, card.unit, code, card.campaign.timezone, precision
        ),
        "evidence_notice": EVIDENCE_NOTICE,
        "disclosure": notice(card.campaign.doc),
        "base": card.base,
        "precision": precision,
        "inputs_words": rule_text.inputs_in_words,
        "survey": criterion_surveys(readable_surveys(request, viewer, card.campaign.code)).get(
            code
        ),
    }


@router.get("/ky/{campaign}/don-vi/{unit}/tieu-chi/{code}")
def leaf_panel(
    request: Request, campaign: str, unit: str, code: str, viewer: SignedIn
) -> HTMLResponse:
    card = load_card(request, campaign, unit)
    context = leaf_context(request, card, code, viewer) if card else None
    if card is None or context is None:
        return not_found(request, viewer, f"Không có tiêu chí {code} trong bảng điểm này.")
    if request.headers.get("hx-request"):
        return fragment(request, "_leaf_panel.html", viewer=viewer, **context)
    return render(
        request,
        "leaf.html",
        viewer=viewer,
        title=f"Tiêu chí {code} — {card.unit_name}",
        campaign=card.campaign,
        crumbs=crumbs(card, (f"Tiêu chí {code}", "")),
        **context,
    )


@router.get("/ky/{campaign}/don-vi/{unit}/lich-su/{code}")
def history_page(
    request: Request, campaign: str, unit: str, code: str, viewer: SignedIn
) -> HTMLResponse:
    card = load_card(request, campaign, unit)
    leaf = card.leaf(code) if card else None
    if card is None or leaf is None:
        return not_found(request, viewer, f"Không có tiêu chí {code} trong bảng điểm này.")
    svc = service_of(request)
    precision = card.view["precision"]
    return render(
        request,
        "history.html",
        viewer=viewer,
        title=f"Lịch sử thay đổi — tiêu chí {code}",
        campaign=card.campaign,
        crumbs=crumbs(card, (f"Lịch sử tiêu chí {code}", "")),
        card=card,
        leaf=leaf,
        history=history.rows(svc, campaign, unit, code, card.campaign.timezone, precision),
    )
