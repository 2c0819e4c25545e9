"""The scorecard view: every applicable leaf with its self-score, inputs, evidence,
flags, appraisals, explanations and final score; totals per criterion and area at each
stage; the index and each area's component index."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger.core.canonical import format_time
from ledger.domain.campaign import Campaign
from ledger.domain.indicators import IndicatorTree, Node
from ledger.domain.points import format_points, plain
from ledger.domain.scorecard import (
    Appraisal,
    LeafEntry,
    Scorecard,
    adjustment_total,
    current_points,
)
from ledger.domain.scoring import Totals, totals

STAGES = ("self_assessment", "preliminary", "final")


def _points(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _appraisal(appraisal: Appraisal | None) -> dict[str, Any] | None:
    if appraisal is None:
        return None
    return {
        "points": plain(appraisal.points),
        "inputs": appraisal.inputs,
        "reason": appraisal.reason,
        "by": appraisal.by,
    }


def stage_points(card: Scorecard, tree: IndicatorTree, stage: str) -> dict[str, Decimal]:
    """Each leaf's points at a stage: as the unit assessed it (survey and other sources as
    recorded), after preliminary appraisal, or final (the current score where the cycle
    has not finished: the final score where there is one, else the self-score)."""
    if stage == "final":
        return current_points(card, tree)
    points: dict[str, Decimal] = {}
    for code, entry in card.entries.items():
        node = tree.nodes.get(code)
        if node is None:
            continue
        value = entry.self_points if node.score_source == "appraisal" else entry.external_points
        if stage == "preliminary" and entry.preliminary:
            value = entry.preliminary.points
        if value is not None:
            points[code] = value
    return points


def _leaf(node: Node, entry: LeafEntry, final: Decimal | None, card: Scorecard) -> dict[str, Any]:
    source = node.score_source
    return {
        "code": node.code,
        "title": node.title,
        "area": node.area,
        "parent": node.parent,
        "max_points": plain(node.max_points),
        "score_source": source,
        "lead_agency": node.lead_agency,
        "rule": dict(node.rule),
        "self_score": None
        if entry.self_points is None
        else {
            "points": plain(entry.self_points),
            "inputs": entry.self_inputs,
            "note": entry.note,
            "explanation": entry.explanation,
        },
        "evidence": {
            "count": len(entry.evidence),
            "files": sorted(entry.evidence.values(), key=lambda f: str(f["sha256"])),
        },
        "flags": {
            "no_evidence": entry.self_points is not None and not entry.evidence,
            "unsupported": entry.unsupported,
            "explanation_requested": entry.explanation_requested is not None,
            "contested": entry.contested,
            "corrected": entry.corrected_points is not None,
        },
        "preliminary_appraisal": _appraisal(entry.preliminary),
        "explanation_request": entry.explanation_requested,
        "explanations": list(entry.unit_explanations),
        "final_appraisal": None
        if entry.final is None
        else {**(_appraisal(entry.final) or {}), "decision": entry.final_decision},
        "accepted_points": _points(entry.accepted_points),
        "external": None
        if entry.external_points is None
        else {"points": plain(entry.external_points), "source_document": entry.source_document},
        "corrected_points": _points(entry.corrected_points),
        "final_points": _points(entry.final_points(source)),
        "points": _points(final),
        "target": _points(card.targets.get(node.code)),
    }


def _stage(tree: IndicatorTree, result: Totals) -> dict[str, Any]:
    p = tree.precision
    areas = {
        code: {
            "points": plain(result.by_node[code]),
            "max_points": plain(result.max_by_node[code]),
            "index": format_points(result.area_index(code, p), p),
        }
        for code in tree.roots
        if code in result.by_node
    }
    return {
        "total": plain(result.total),
        "leaves_total": plain(result.leaves_total),
        "adjustment": plain(result.adjustment),
        "max_total": plain(result.max_total),
        "index": format_points(result.index, p),
        "nodes": {code: plain(points) for code, points in result.by_node.items()},
        "max_nodes": {code: plain(points) for code, points in result.max_by_node.items()},
        "areas": areas,
    }


def render(card: Scorecard, tree: IndicatorTree, campaign: Campaign | None) -> dict[str, Any]:
    final = stage_points(card, tree, "final")
    leaves = [
        _leaf(node, card.entries.get(node.code) or LeafEntry(), final.get(node.code), card)
        for node in tree.applicable_leaves(card.unit_kind)
    ]
    adjustment = (
        adjustment_total(card.adjustments, campaign) if campaign is not None else Decimal(0)
    )
    stages = {
        stage: _stage(
            tree,
            totals(
                tree,
                card.unit_kind,
                stage_points(card, tree, stage),
                adjustment if stage == "final" else Decimal(0),
            ),
        )
        for stage in STAGES
    }

    def when(moment: Any) -> str | None:
        return None if moment is None else format_time(moment)

    return {
        "campaign": card.campaign,
        "unit": card.unit,
        "unit_kind": card.unit_kind,
        "indicator_set": {"code": tree.code, "version": tree.version, "title": tree.title},
        "precision": tree.precision,
        "submitted_at": when(card.submitted_at),
        "submitted_by": card.submitted_by,
        "locked_at": when(card.locked_at),
        "accepted_at": when(card.accepted_at),
        "adjustments": {code: plain(points) for code, points in card.adjustments.items()},
        "targets_year": card.targets_year,
        "leaves": leaves,
        "totals": stages,
    }


def summary(card: Scorecard, tree: IndicatorTree) -> dict[str, Any]:
    """What progress reports need of a scorecard, kept up to date by the projector (the
    full view is rendered when it is read)."""
    own = [
        leaf for leaf in tree.applicable_leaves(card.unit_kind) if leaf.score_source == "appraisal"
    ]
    entries = [(leaf.code, card.entries.get(leaf.code) or LeafEntry()) for leaf in own]
    contested = [(code, e) for code, e in entries if e.contested]

    def when(moment: Any) -> str | None:
        return None if moment is None else format_time(moment)

    return {
        "unit": card.unit,
        "unit_kind": card.unit_kind,
        "submitted_at": when(card.submitted_at),
        "locked_at": when(card.locked_at),
        "accepted_at": when(card.accepted_at),
        "leaves": len(own),
        "scored": sum(1 for _, e in entries if e.self_points is not None),
        "without_evidence": sum(
            1 for _, e in entries if e.self_points is not None and not e.evidence
        ),
        "unsupported": sum(1 for _, e in entries if e.unsupported),
        "preliminary_appraised": sum(1 for _, e in entries if e.preliminary is not None),
        "contested": len(contested),
        "final_appraised": sum(1 for _, e in contested if e.final is not None),
        "unexplained": sum(1 for _, e in contested if not e.unit_explanations),
        "external_missing": sum(
            1
            for leaf in tree.applicable_leaves(card.unit_kind)
            if leaf.score_source != "appraisal"
            and (card.entries.get(leaf.code) or LeafEntry()).external_points is None
        ),
        "pending_preliminary": [code for code, e in entries if e.preliminary is None],
        "pending_final": [code for code, e in contested if e.final is None],
    }
