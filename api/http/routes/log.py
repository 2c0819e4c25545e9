"""The transparency log (public): key, checkpoints, leaves, proofs and cosignatures."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response

from api.http.deps import (
    ERRORS,
    AggregateId,
    ServiceDep,
    b64,
    reader,
)
from api.http.service import Service
from ledger.core.errors import NotFoundError, ValidationError
from ledger.domain.disclosure import may_read_content
from ledger.domain.scopes import CampaignFacts, LiveFacts
from projections.read_models.disclosure import WithheldLeaf, leaf_bytes, withheld, withheld_view

log = structlog.get_logger("parledger.api")

router = APIRouter()

# -- the transparency log (public) ---------------------------------------------------


@router.get(
    "/v1/log/key",
    operation_id="log_key",
    tags=["log"],
    response_class=PlainTextResponse,
    description="The log's note verifier key: <name>+<hex key id>+<base64 key>.",
)
def log_key(svc: ServiceDep) -> str:
    return svc.checkpoints.signer.verifier().to_string()


@router.get(
    "/v1/log/checkpoint",
    operation_id="log_checkpoint",
    tags=["log"],
    response_class=PlainTextResponse,
    description="The latest checkpoint (C2SP tlog-checkpoint) as a signed note.",
)
def log_checkpoint(svc: ServiceDep) -> str:
    latest = svc.checkpoints.latest()
    if latest is None:
        latest = svc.checkpoints.sign(svc.now())
    return str(latest["note"])


@router.get(
    "/v1/log/leaves/{index}",
    operation_id="log_leaf",
    tags=["log"],
    responses=ERRORS,
    description="The canonical bytes of the event at a leaf (docs/FORMATS.md §4); for an "
    "event of a campaign whose content is not public yet (§5a), its leaf hash and the "
    "reason, unless a bearer token's key may read it.",
)
def log_leaf(
    request: Request, index: Annotated[int, Path(ge=0, le=2**53)], svc: ServiceDep
) -> Response:
    data = leaf_bytes(svc.log, svc.ledger.recorder, index)
    if data is None:
        raise NotFoundError(f"the log has no leaf {index}", field="index")
    held = withheld(svc.reads, data, index)
    if held is not None and not _may_read(request, svc, held):
        data = withheld_view(index, data, held.reason)
    return Response(data, media_type="application/json")


def _may_read(request: Request, svc: Service, held: WithheldLeaf) -> bool:
    """Whether the request's bearer token (if any) is a key that reads withheld content."""
    if not request.headers.get("authorization"):
        return False
    facts = LiveFacts(svc.ledger)
    campaign = facts.campaign_facts(held.campaign) or CampaignFacts(held.campaign, None, None)
    return may_read_content(reader(request, svc), campaign, facts, held.unit)


@router.get(
    "/v1/log/proof/inclusion",
    operation_id="log_inclusion_proof",
    tags=["log"],
    responses=ERRORS,
    description="The RFC 9162 inclusion proof of a leaf in the tree of a size.",
)
def log_inclusion_proof(
    svc: ServiceDep,
    index: Annotated[int, Query(ge=0, le=2**53)],
    size: Annotated[int, Query(ge=1, le=2**53)],
) -> dict[str, Any]:
    if index >= size or size > svc.log.size():
        raise ValidationError(
            f"leaf {index} is not in a tree of size {size} (the log has {svc.log.size()})",
            field="size",
        )
    return {
        "index": index,
        "size": size,
        "root": b64(svc.log.root(size)),
        "hashes": [b64(h) for h in svc.log.inclusion(index, size)],
    }


@router.get(
    "/v1/log/proof/consistency",
    operation_id="log_consistency_proof",
    tags=["log"],
    responses=ERRORS,
    description="The RFC 9162 consistency proof between two tree sizes.",
)
def log_consistency_proof(
    svc: ServiceDep,
    first: Annotated[int, Query(alias="from", ge=0, le=2**53)],
    second: Annotated[int, Query(alias="to", ge=0, le=2**53)],
) -> dict[str, Any]:
    if first > second or second > svc.log.size():
        raise ValidationError(
            f"no consistency proof from {first} to {second} (the log has {svc.log.size()})",
            field="to",
        )
    return {
        "from": first,
        "to": second,
        "hashes": [b64(h) for h in svc.log.consistency(first, second)],
    }


@router.get(
    "/v1/log/events/{aggregate_id}/{version}",
    operation_id="log_event_proof",
    tags=["log"],
    responses=ERRORS,
    description="The inclusion proof of an event, by its id, in the latest checkpoint.",
)
def log_event_proof(
    aggregate_id: AggregateId, version: Annotated[int, Path(ge=1, le=2**53)], svc: ServiceDep
) -> dict[str, Any]:
    rows = svc.reads.views.rows(
        "SELECT position FROM {pv_log} WHERE aggregate_id = ? AND version = ?",
        (aggregate_id, version),
    )
    index = svc.log.leaf_of_position(int(rows[0]["position"])) if rows else None
    if index is None:
        raise NotFoundError(f"no event {aggregate_id}/{version} in the log", field="event")
    checkpoint = svc.checkpoints.sign(svc.now())
    size = int(checkpoint["size"])
    return {
        "event_id": f"{aggregate_id}/{version}",
        "index": index,
        "size": size,
        "checkpoint": checkpoint["note"],
        "hashes": [b64(h) for h in svc.log.inclusion(index, size)],
    }


@router.get(
    "/v1/log/witnesses",
    operation_id="log_witnesses",
    tags=["log"],
    description="The cosignature verifier keys of the witnesses this log collects from.",
)
def log_witnesses(svc: ServiceDep) -> dict[str, Any]:
    return {"witnesses": [w.to_string() for w in svc.checkpoints.witnesses]}


@router.post(
    "/v1/log/cosignatures",
    operation_id="log_add_cosignatures",
    tags=["log"],
    response_class=PlainTextResponse,
    responses={**ERRORS, 200: {"content": {"text/plain": {}}}},
    description="A witness sends one of the log's checkpoints with its C2SP "
    "tlog-cosignature lines appended (text/plain); the answer is the checkpoint with every "
    "cosignature collected for it. Only configured witnesses' lines are kept.",
)
async def log_add_cosignatures(request: Request, svc: ServiceDep) -> str:
    body = await request.body()
    if len(body) > 64 * 1024:
        raise ValidationError("a cosigned checkpoint is at most 64 KiB", field="note")
    try:
        note = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("the note is not UTF-8 text", field="note") from None
    return str(svc.checkpoints.add_cosignatures(note, svc.now())["note"])
