"""Publication bundles from the ledger's store: the events up to a signed checkpoint that
covers the campaign's latest publication, in canonical form, with the published table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ledger.bundle import Bundle
from ledger.errors import DomainError, NotFoundError
from ledger.replay import make_bundle
from projections.decoding import decode
from projections.merkle_log import canonical_event_bytes
from projections.publishing import Publishing


def leaves_from_store(publishing: Publishing, size: int, page: int = 2000) -> Iterator[bytes]:
    """The canonical bytes of the log's first ``size`` events, as the store holds them now."""
    recorder = publishing.ledger.recorder
    start: int | None = None
    produced = 0
    while produced < size:
        notifications = recorder.select_notifications(
            start, min(page, size - produced), inclusive_of_start=False
        )
        if not notifications:
            return
        for notification in notifications:
            yield canonical_event_bytes(decode(notification))
        produced += len(notifications)
        start = notifications[-1].id


def build_bundle(
    publishing: Publishing,
    campaign: str,
    *,
    leaves: Sequence[bytes] | None = None,
    sign: bool = True,
) -> Bundle:
    """The bundle of the campaign's latest publication, at the latest checkpoint a witness
    cosigned that covers it; else at a checkpoint signed now (or, unless ``sign``, the latest
    one signed). ``leaves`` are the log's leaves, if the caller has read them already."""
    publishing.projector.catch_up()
    publications = publishing.reads.publications(campaign)
    if not publications:
        raise NotFoundError(
            f"campaign {campaign} has not been published", code="not_published", field="campaign"
        )
    latest = publications[-1]
    index = publishing.log.leaf_of_position(int(latest["position"]))
    assert index is not None
    checkpoints = publishing.checkpoints
    checkpoint = checkpoints.latest_cosigned(index + 1) or (
        checkpoints.sign(publishing.ledger.clock.now()) if sign else checkpoints.latest()
    )
    if checkpoint is None or int(checkpoint["size"]) <= index:
        raise NotFoundError(
            f"no signed checkpoint covers the publication of {campaign}", field="campaign"
        )
    size = int(checkpoint["size"])
    chosen = list(leaves_from_store(publishing, size)) if leaves is None else leaves[:size]
    if len(chosen) < size:
        raise DomainError(
            f"the store holds {len(chosen)} events, but the log signed a checkpoint of {size}: "
            "events were removed from its end",
            code="log_truncated",
        )
    return make_bundle(
        ledger=publishing.ledger.keyring().ledger,
        campaign=campaign,
        checkpoint=str(checkpoint["note"]),
        leaves=chosen,
        publication=index,
        results=publishing.tables.get(latest["table_sha256"]),
    )
