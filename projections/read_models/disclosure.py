"""What of a campaign the public may read now (ledger.domain.disclosure), from the read
models: its policy from its definition, and the tree size of its latest publication."""

from __future__ import annotations

from typing import Any

import orjson

from ledger.domain.disclosure import CampaignDisclosure, content_campaign, policy_of
from projections.read_models.queries import ReadModels


def campaign_disclosure(reads: ReadModels, code: str) -> CampaignDisclosure:
    publications = reads.publications(code)
    size = int(publications[-1]["tree_size"]) if publications else 0
    return CampaignDisclosure(code, policy_of(reads.campaign_doc(code)), size)


def leaf_content(data: bytes) -> tuple[str | None, str | None]:
    """The campaign whose policy governs a leaf's content (None: always public), and the
    unit whose card it is."""
    event: dict[str, Any] = orjson.loads(data)
    body = event.get("body") or {}
    campaign = content_campaign(str(event.get("aggregate_type")), body)
    unit = body.get("unit")
    return campaign, unit if isinstance(unit, str) else None


def withheld(reads: ReadModels, data: bytes, index: int) -> tuple[str, str | None] | None:
    """Why a leaf's content is not public yet, and the unit whose card it is; None when it
    is public."""
    campaign, unit = leaf_content(data)
    if campaign is None:
        return None
    disclosure = campaign_disclosure(reads, campaign)
    return None if disclosure.public(index) else (disclosure.reason(), unit)
