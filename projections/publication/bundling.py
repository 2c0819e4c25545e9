"""Publication bundles from the ledger's store: the events up to a signed checkpoint that
covers the campaign's latest publication, in canonical form, with the published table."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.audit.bundle_format import Bundle
from ledger.audit.bundle_writer import make_bundle
from ledger.core.errors import DomainError, NotFoundError
from projections.decoding import decode
from projections.publication.publishing import Publishing
from projections.transparency_log.merkle_log import canonical_event_bytes


def leaves_from_store(
    publishing: Publishing,
    size: int,
    page: int = 2000,
    unreadable: Callable[[int, Exception], None] | None = None,
) -> Iterator[bytes]:
    """The canonical bytes of the log's first ``size`` events, as the store holds them now.

    A stored row that cannot be put in canonical form is refused, or, given ``unreadable``,
    told to it and given as an empty leaf (so that the leaves after it keep their places)."""
    recorder = publishing.storage.recorder
    start: int | None = None
    produced = 0
    while produced < size:
        notifications = recorder.select_notifications(
            start, min(page, size - produced), inclusive_of_start=False
        )
        if not notifications:
            return
        for notification in notifications:
            try:
                yield canonical_event_bytes(decode(notification))
            except Exception as error:  # a row changed behind the ledger's back
                if unreadable is None:
                    raise DomainError(
                        f"the stored event at log position {notification.id} cannot be put "
                        f"in canonical form ({type(error).__name__}: {error})",
                        code="unreadable_event",
                    ) from None
                unreadable(notification.id, error)
                yield b""
        produced += len(notifications)
        start = notifications[-1].id


@dataclass(frozen=True)
class BundlePlan:
    """Which publication a bundle is of, and the checkpoint it is at."""

    campaign: str
    publication: dict[str, Any]
    leaf_index: int
    checkpoint: dict[str, Any]

    @property
    def key(self) -> tuple[str, int, str]:
        """What a bundle of this plan is made of: the same key, the same bytes."""
        return (self.campaign, self.leaf_index, str(self.checkpoint["note"]))


def plan_bundle(publishing: Publishing, campaign: str, *, sign: bool = True) -> BundlePlan:
    """The campaign's latest publication, and the checkpoint its bundle is at: the latest
    one a witness cosigned that covers it, else the latest signed if it covers it, else one
    signed now (unless ``sign``)."""
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
    checkpoint = checkpoints.latest_cosigned(index + 1) or checkpoints.latest()
    if sign and (checkpoint is None or int(checkpoint["size"]) <= index):
        checkpoint = checkpoints.sign(publishing.clock.now())
    if checkpoint is None or int(checkpoint["size"]) <= index:
        raise NotFoundError(
            f"no signed checkpoint covers the publication of {campaign}", field="campaign"
        )
    return BundlePlan(campaign, latest, index, checkpoint)


def build_bundle(
    publishing: Publishing,
    campaign: str,
    *,
    leaves: Sequence[bytes] | None = None,
    sign: bool = True,
    plan: BundlePlan | None = None,
) -> Bundle:
    """The bundle of the campaign's latest publication (``plan_bundle``). ``leaves`` are
    the log's leaves, if the caller has read them already."""
    plan = plan or plan_bundle(publishing, campaign, sign=sign)
    size = int(plan.checkpoint["size"])
    chosen = list(leaves_from_store(publishing, size)) if leaves is None else leaves[:size]
    if len(chosen) < size:
        raise DomainError(
            f"the store holds {len(chosen)} events, but the log signed a checkpoint of {size}: "
            "events were removed from its end",
            code="log_truncated",
        )
    return make_bundle(
        campaign=campaign,
        checkpoint=str(plan.checkpoint["note"]),
        leaves=chosen,
        publication=plan.leaf_index,
        results=publishing.tables.get(plan.publication["table_sha256"]),
    )
