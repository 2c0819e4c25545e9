"""Writing a publication bundle (docs/FORMATS.md §13): the header the events give, with the
log's leaves up to a signed checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.audit.bundle_format import BUNDLE_FORMAT, Bundle, read_leaf
from ledger.audit.replay import evidence_order, key_history, publication_facts, replay_log


def make_bundle(
    *,
    campaign: str,
    checkpoint: str,
    leaves: Sequence[bytes],
    publication: int,
    results: dict[str, Any],
) -> Bundle:
    """A bundle of the log's first ``len(leaves)`` leaves (the checkpoint's size) for the
    publication at leaf ``publication``, whose published table is ``results``. The header
    describes the key registry's history and the evidence as the events give them."""
    event, _ = read_leaf(leaves[publication])
    registries, cards, _ = replay_log(leaves)
    snapshot = cards.snapshots.get((campaign, event.body["tree_size"]))
    header = {
        "format": BUNDLE_FORMAT,
        "ledger": registries.ledger,
        "campaign": campaign,
        "checkpoint": checkpoint,
        "publication": publication_facts(publication, event),
        "results": results,
        "keys": key_history(registries.keys),
        "evidence": [] if snapshot is None else sorted(snapshot.evidence, key=evidence_order),
    }
    return Bundle(header, list(leaves))
