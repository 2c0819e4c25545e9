"""Writing a publication bundle (docs/FORMATS.md §13): the header the events give, with the
log's leaves up to a signed checkpoint: in full, the publication and the chains of the
aggregates its heads name up to those heads; every other leaf as its leaf hash."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.audit.bundle_format import BUNDLE_FORMAT, FORMAT_1, Bundle, hashed_line, read_leaf
from ledger.audit.bundle_heads import aggregate_of
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
    heads = event.body.get("heads")
    # a publication recorded before heads were is bundled as before: every leaf in full
    carried = list(leaves) if heads is None else carried_leaves(leaves, publication, heads)
    registries, cards, _ = replay_log(carried)
    snapshot = cards.snapshots.get((campaign, event.body["tree_size"]))
    header = {
        "format": FORMAT_1 if heads is None else BUNDLE_FORMAT,
        "ledger": registries.ledger,
        "campaign": campaign,
        "checkpoint": checkpoint,
        "publication": publication_facts(publication, event),
        "results": results,
        "keys": key_history(registries.keys),
        "evidence": [] if snapshot is None else sorted(snapshot.evidence, key=evidence_order),
    }
    return Bundle(header, carried)


def carried_leaves(
    leaves: Sequence[bytes], publication: int, heads: list[dict[str, Any]]
) -> list[bytes]:
    """The leaves as a bundle of format 2 carries them: the publication, and every event of
    an aggregate the heads name up to its head, in full; every other leaf as its hash."""
    limits = {str(h["aggregate_id"]): int(h["version"]) for h in heads}
    found = []
    for index, data in enumerate(leaves):
        limit = limits.get(aggregate_of(data) or "")
        if index == publication or (
            limit is not None and index < publication and read_leaf(data)[0].version <= limit
        ):
            found.append(data)
        else:
            found.append(hashed_line(data))
    return found
