"""Domain state rebuilt from what the read-model tables keep: a campaign from its document,
a scorecard from its projected events (the same code the write side applies)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ledger.core.canonical import parse_time
from ledger.domain.campaign import Campaign
from ledger.domain.scorecard import Scorecard


def campaign_from_doc(doc: dict[str, Any]) -> Campaign:
    campaign = Campaign.blank()
    campaign.when("CampaignCreated", doc, parse_time(doc["created_at"]))
    if doc.get("finalised_at"):
        campaign.when("CampaignFinalised", {}, parse_time(doc["finalised_at"]))
    return campaign


def replay_card(events: Iterable[dict[str, Any]]) -> Scorecard:
    """A scorecard's state from its events (rows of pv_card_events, in log order)."""
    card = Scorecard.blank()
    for row in events:
        card.when(row["event_type"], json.loads(row["body"]), parse_time(row["recorded_at"]))
    return card
