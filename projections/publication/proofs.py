"""The proof that a publication is in the log: its ``ResultsPublished`` event's canonical
bytes, its leaf index, the RFC 9162 inclusion proof in a signed checkpoint that covers it
(the one its bundle is at, with any cosignatures), as JSON for the verify page and as a
C2SP tlog-proof file (docs/FORMATS.md §12.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.core.crypto import b64encode
from ledger.transparency.tlog_proof import TlogProof
from projections.decoding import decode
from projections.publication.bundling import plan_bundle
from projections.publication.publishing import Publishing
from projections.transparency_log.merkle_log import canonical_event_bytes


@dataclass(frozen=True)
class PublicationProof:
    campaign: str
    sequence: int
    table_sha256: str
    event_id: str
    leaf_index: int
    leaf: bytes
    hashes: tuple[bytes, ...]
    checkpoint: str
    tree_size: int

    def tlog_proof(self) -> TlogProof:
        """The tlog-proof file; its extra data is the event's canonical bytes, so that the
        file alone shows what was published (table_sha256) and proves it was logged."""
        return TlogProof(self.leaf_index, self.hashes, self.checkpoint, self.leaf)

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "sequence": self.sequence,
            "table_sha256": self.table_sha256,
            "event_id": self.event_id,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf": b64encode(self.leaf),
            "proof": [b64encode(h) for h in self.hashes],
            "checkpoint": self.checkpoint,
        }


def publication_proof(publishing: Publishing, campaign: str) -> PublicationProof:
    """The proof of the campaign's latest publication (NotFoundError if it has none)."""
    plan = plan_bundle(publishing, campaign)
    size = int(plan.checkpoint["size"])
    found = publishing.storage.recorder.select_notifications(int(plan.publication["position"]), 1)
    event = decode(found[0])
    return PublicationProof(
        campaign=campaign,
        sequence=int(plan.publication["sequence"]),
        table_sha256=str(plan.publication["table_sha256"]),
        event_id=f"{event.aggregate_id}/{event.version}",
        leaf_index=plan.leaf_index,
        leaf=canonical_event_bytes(event),
        hashes=tuple(publishing.log.inclusion(plan.leaf_index, size)),
        checkpoint=str(plan.checkpoint["note"]),
        tree_size=size,
    )
