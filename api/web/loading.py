"""What the sheet pages read: a campaign's status, a unit's scorecard view and its indicator
tree, and the page that says something is not there."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.web.campaigns import CampaignStatus, status
from api.web.session import Viewer, service_of
from api.web.templating import render
from ledger.domain.indicators import IndicatorTree, build_tree

_trees: dict[tuple[str, str, int], IndicatorTree] = {}
_trees_lock = threading.Lock()


@dataclass(frozen=True)
class Card:
    """A unit's scorecard in a campaign, as the sheets need it."""

    campaign: CampaignStatus
    view: dict[str, Any]
    tree: IndicatorTree
    unit_name: str

    @property
    def unit(self) -> str:
        return str(self.view["unit"])

    def leaf(self, code: str) -> dict[str, Any] | None:
        return next((leaf for leaf in self.view["leaves"] if leaf["code"] == code), None)


def campaign_status(request: Request, code: str) -> CampaignStatus | None:
    svc = service_of(request)
    doc = svc.reads.campaign_doc(code)
    return status(doc, svc.now()) if doc is not None else None


def tree_of(request: Request, code: str, version: int) -> IndicatorTree:
    """The indicator tree of a set version a campaign uses (frozen, so built once)."""
    svc = service_of(request)
    key = (svc.settings.database_url, code, version)
    with _trees_lock:
        found = _trees.get(key)
    if found is None:
        doc = svc.reads.indicator_set(code, version)
        assert doc is not None
        found = build_tree(doc["definition"])
        with _trees_lock:
            _trees[key] = found
    return found


def load_card(request: Request, campaign: str, unit: str) -> Card | None:
    svc = service_of(request)
    state = campaign_status(request, campaign)
    if state is None:
        return None
    view = svc.reads.scorecard(campaign, unit)
    if view is None:
        return None
    found = svc.reads.unit(unit)
    tree = tree_of(request, view["indicator_set"]["code"], view["indicator_set"]["version"])
    return Card(state, view, tree, found["name"] if found else unit)


def not_found(request: Request, viewer: Viewer | None, text: str) -> HTMLResponse:
    return render(
        request,
        "message.html",
        viewer=viewer,
        title="Không tìm thấy",
        heading="Không tìm thấy",
        text=text,
        status_code=404,
    )
