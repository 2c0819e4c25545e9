"""What of a campaign the public may read now (ledger.domain.disclosure), from the read
models: its policy from its definition, and the tree size of its latest publication; a
leaf as the public log serves it; and the campaigns whose content is withheld."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.persistence import ApplicationRecorder

from ledger.core.canonical import canonical_bytes
from ledger.domain.disclosure import CampaignDisclosure, content_campaign, policy_of
from ledger.transparency.merkle import leaf_hash
from projections.decoding import decode
from projections.read_models.queries import ReadModels
from projections.transparency_log.merkle_log import MerkleLog, canonical_event_bytes


def campaign_disclosure(reads: ReadModels, code: str) -> CampaignDisclosure:
    publications = reads.publications(code)
    size = int(publications[-1]["tree_size"]) if publications else 0
    return CampaignDisclosure(code, policy_of(reads.campaign_doc(code)), size)


def leaf_content(data: bytes) -> tuple[str | None, str | None]:
    """The campaign whose policy governs a leaf's content (None: always public), and the
    unit whose card it is."""
    event: dict[str, Any] = orjson.loads(data)
    body = event.get("body") or {}
    campaign = content_campaign(str(event.get("aggregate_type")), body, str(event.get("type")))
    unit = body.get("unit")
    return campaign, unit if isinstance(unit, str) else None


@dataclass(frozen=True)
class WithheldLeaf:
    """Why a leaf's content is not public yet: the campaign and the unit whose card it is."""

    reason: str
    campaign: str
    unit: str | None


def withheld(reads: ReadModels, data: bytes, index: int) -> WithheldLeaf | None:
    """Why a leaf's content is not public yet; None when it is public."""
    campaign, unit = leaf_content(data)
    if campaign is None:
        return None
    disclosure = campaign_disclosure(reads, campaign)
    return None if disclosure.public(index) else WithheldLeaf(disclosure.reason(), campaign, unit)


def leaf_bytes(log: MerkleLog, recorder: ApplicationRecorder, index: int) -> bytes | None:
    """The canonical bytes of the event at a leaf of the log (None past its end)."""
    leaf = log.leaf(index)
    if leaf is None:
        return None
    found = recorder.select_notifications(int(leaf["position"]), 1)
    return canonical_event_bytes(decode(found[0]))


def withheld_view(index: int, data: bytes, reason: str) -> bytes:
    """A leaf as the public log serves it while its content is withheld (FORMATS §12.2)."""
    return canonical_bytes({"index": index, "leaf_hash": leaf_hash(data).hex(), "withheld": reason})


@dataclass(frozen=True)
class Withheld:
    """A campaign whose content is withheld from the public: how many of its events are,
    and the first of their leaves."""

    campaign: str
    events: int
    first_leaf: int | None


def withheld_campaigns(reads: ReadModels, log: MerkleLog) -> list[Withheld]:
    found = []
    for doc in reads.campaigns():
        code = str(doc["code"])
        disclosure = campaign_disclosure(reads, code)
        if disclosure.policy == "immediate":
            continue
        positions = [
            int(row["position"])
            for row in reads.views.rows(
                "SELECT position FROM {pv_card_events} WHERE campaign = ? ORDER BY position",
                (code,),
            )
        ]
        leaves = [log.leaf_of_position(p) for p in positions]
        held = [i for i in leaves if i is not None and not disclosure.public(i)]
        if held:
            found.append(Withheld(code, len(held), held[0]))
    return found
