"""The members the ledger derives into an event's body, beside the signed arguments
(docs/FORMATS.md §5).

One function per aggregate kind computes them from the signed facts and the state the
event applies to. The aggregates call it when they record an event, and the verifier calls
it when it replays one, so a body is exactly ``{**args, **derived}`` in both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.core.crypto import key_id_of
from ledger.domain.indicators import IndicatorTree
from ledger.domain.points import plain
from ledger.domain.rules import compute

if TYPE_CHECKING:
    from ledger.domain.campaign import Campaign, PublicationFacts
    from ledger.domain.scorecard import Scorecard

# the event types whose body names the signing key, and under which member
SIGNER_MEMBER = {
    "SelfAssessmentSubmitted": "submitted_by",
    "AppraisalRecorded": "by",
    "ExplanationRequested": "by",
    "AppraisalConfirmed": "by",
    "AppraisalRevised": "by",
}


@dataclass(frozen=True)
class CardContext:
    """What a scorecard's derived members read besides the card: its set, its campaign and
    the event's recorded time."""

    tree: IndicatorTree
    campaign: Campaign
    at: datetime


def score_members(tree: IndicatorTree, code: str, inputs: Mapping[str, Any]) -> dict[str, str]:
    """``points`` and, for rules on counts, ``percent``, as the leaf's rule gives them for the
    inputs, written plain ("1.5", never "1.50")."""
    leaf = tree.leaf(code)
    score = compute(leaf.code, leaf.rule, leaf.max_points, tree.precision, inputs)
    found = {"points": plain(score.points)}
    if score.percent is not None:
        found["percent"] = plain(score.percent)
    return found


def accepted_self_scores(card: Scorecard, tree: IndicatorTree) -> dict[str, str]:
    """The self-score (0 without one) of every applicable self-assessed leaf that no
    appraiser touched: what the secretariat's acceptance settles."""
    accepted = {}
    for leaf in tree.applicable_leaves(card.unit_kind):
        entry = card.entries.get(leaf.code)
        if leaf.score_source != "appraisal":
            continue
        if entry is not None and (entry.preliminary is not None or entry.final is not None):
            continue
        held = entry.self_points if entry is not None else None
        accepted[leaf.code] = plain(held or Decimal(0))
    return accepted


def scorecard_members(
    card: Scorecard,
    event_type: str,
    args: Mapping[str, Any],
    signer: str,
    ctx: CardContext,
) -> dict[str, Any]:
    """The derived members of a scorecard event applied to ``card`` (its state before)."""
    found: dict[str, Any] = {}
    member = SIGNER_MEMBER.get(event_type)
    if member is not None:
        found[member] = signer
    entry = card.entries.get(str(args.get("criterion")))
    if event_type in ("SelfScoreRecorded", "AppraisalRecorded", "AppraisalRevised"):
        found.update(score_members(ctx.tree, args["criterion"], args["inputs"]))
    if event_type == "AppraisalRecorded":
        held = entry.self_points if entry is not None else None
        found["self_points"] = plain(held or Decimal(0))
        found["unsupported"] = entry is None or held is None or entry.unsupported
    elif event_type in ("AppraisalConfirmed", "AppraisalRevised"):
        if entry is None or entry.preliminary is None:
            raise ValueError(f"criterion {args['criterion']} has no preliminary appraisal")
        kept = plain(entry.preliminary.points)
        found["points" if event_type == "AppraisalConfirmed" else "preliminary_points"] = kept
    elif event_type == "EvidenceAttached":
        closes = ctx.campaign.plan["self_assessment_closes"]
        found["supplementary"] = card.closed_for_unit or ctx.at >= closes
    elif event_type == "SelfScoresAccepted":
        found["accepted"] = accepted_self_scores(card, ctx.tree)
    elif event_type == "AdjustmentRecorded":
        found["kind"] = ctx.campaign.adjustments[args["code"]].kind
    elif event_type == "ScoreCorrected":
        leaf = ctx.tree.leaf(args["criterion"])
        before = None if entry is None else entry.final_points(leaf.score_source)
        found["previous_points"] = None if before is None else plain(before)
    return found


def key_registry_members(event_type: str, args: Mapping[str, Any], ledger: str) -> dict[str, Any]:
    """The key ids a registry event derives from its public keys, and the ledger's name that
    the genesis takes from its command."""
    if event_type == "LedgerInitialised":
        return {"ledger": ledger}
    if event_type == "KeyEnrolled":
        return {"key_id": key_id_of(args["public_key"])}
    if event_type == "KeyRotated":
        return {"new_key_id": key_id_of(args["new_public_key"])}
    return {}


def publication_members(campaign: Campaign, facts: PublicationFacts) -> dict[str, Any]:
    """What a publication adds to its signed arguments: its place in the campaign's
    publications, the hash and size of the table the events give, and the checkpoint the
    table was computed at; and the heads of the aggregates the table depends on, as they
    stood when it was recorded."""
    found: dict[str, Any] = {
        "sequence": len(campaign.publications) + 1,
        "table_sha256": facts.table_sha256,
        "tree_size": facts.tree_size,
        "root_hash": facts.root_hash,
        "checkpoint": facts.checkpoint,
        "units": facts.units,
    }
    if facts.heads is not None:
        found["heads"] = facts.heads
    return found


def differences(
    body: Mapping[str, Any], args: Mapping[str, Any], derived: Mapping[str, Any]
) -> list[str]:
    """How a recorded body differs from its signed arguments and the members the ledger
    derives, in words (empty when it is exactly ``{**derived, **args}`` and no signed
    argument contradicts what the events give)."""
    found = [
        f"its signed {name!r} is {args[name]!r}, but the events give {value!r}"
        for name, value in derived.items()
        if name in args and not same_json(args[name], value)
    ]
    expected = {**derived, **args}
    for name in sorted(set(body) | set(expected)):
        if name not in body:
            kind = "signed argument" if name in args else "derived member"
            found.append(f"its body lacks the {kind} {name!r}")
        elif name not in expected:
            found.append(f"its body holds {name!r}, which neither its signer nor the rules give")
        elif same_json(body[name], expected[name]):
            continue
        elif name in args:
            found.append(f"its body's {name!r} differs from what the signer signed")
        elif name in ("points", "percent") and "inputs" in args:
            found.append(
                f"criterion {args.get('criterion')}: it records {name} {body[name]!r}, but its "
                f"rule gives {expected[name]} for the inputs {args['inputs']}"
            )
        else:
            given, due = body[name], expected[name]
            found.append(f"its {name!r} is {given!r}; the signed facts give {due!r}")
    return found


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: ``True`` is not ``1``, nor ``{"a": 1}`` ``{"a": true}``."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return bool(a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a))
    if kind is list:
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
