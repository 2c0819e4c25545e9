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
from ledger.domain.indicators import IndicatorTree


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

    @property
    def base(self) -> str:
        """The address of the unit's sheet, under which its pages live."""
        return f"/ky/{self.campaign.code}/don-vi/{self.unit}"

    def leaf(self, code: str) -> dict[str, Any] | None:
        return next((leaf for leaf in self.view["leaves"] if leaf["code"] == code), None)


def campaign_status(request: Request, code: str) -> CampaignStatus | None:
    svc = service_of(request)
    doc = svc.reads.campaign_doc(code)
    return status(doc, svc.now()) if doc is not None else None


def tree_of(request: Request, code: str, version: int) -> IndicatorTree:
    found = service_of(request).reads.tree(code, version)
    assert found is not None
    return found


class Views:
    """Scorecard views by what they are made of: the card's last event and the campaign's
    closing. A view is rebuilt once after each change to its card, not on every page."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.found: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def get(self, request: Request, state: CampaignStatus, unit: str) -> dict[str, Any] | None:
        svc = service_of(request)
        rows = svc.reads.views.rows(
            "SELECT max(position) AS last FROM {pv_card_events} WHERE campaign = ? AND unit = ?",
            (state.code, unit),
        )
        last = rows[0]["last"] if rows else None
        if last is None:
            return None
        key = (svc.settings.database_url, state.code, unit, last, state.doc.get("finalised_at"))
        with self.lock:
            view = self.found.get(key)
        if view is None:
            view = svc.reads.scorecard(state.code, unit)
            if view is None:
                return None
            with self.lock:
                if len(self.found) >= self.size:
                    self.found.pop(next(iter(self.found)))
                self.found[key] = view
        return view


views = Views()


def load_card(request: Request, campaign: str, unit: str) -> Card | None:
    svc = service_of(request)
    state = campaign_status(request, campaign)
    if state is None:
        return None
    view = views.get(request, state, unit)
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
