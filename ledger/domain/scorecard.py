"""A unit's scorecard in one campaign: what it holds for every leaf through the whole cycle,
as its events leave it. What may happen when is decided by the acts
(:mod:`ledger.domain.scorecard_acts`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.core.envelope import SignedCommand
from ledger.core.ids import scorecard_id
from ledger.domain.base import LedgerAggregate
from ledger.domain.campaign import Campaign
from ledger.domain.derivations import CardContext, scorecard_members
from ledger.domain.indicators import IndicatorTree


@dataclass(frozen=True)
class Context:
    """What a scorecard rule needs besides the scorecard: the set, the campaign, the time."""

    tree: IndicatorTree
    campaign: Campaign
    now: datetime

    def milestone(self, name: str) -> datetime:
        return self.campaign.plan[name]

    def when(self, name: str) -> str:
        return self.campaign.plan.describe(name)


@dataclass
class Appraisal:
    points: Decimal
    inputs: dict[str, Any]
    reason: str
    by: str


@dataclass
class LeafEntry:
    """What the scorecard holds for one leaf."""

    self_points: Decimal | None = None
    self_inputs: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    explanation: str = ""
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    preliminary: Appraisal | None = None
    explanation_requested: str | None = None
    unit_explanations: list[str] = field(default_factory=list)
    final: Appraisal | None = None
    final_decision: str | None = None
    accepted_points: Decimal | None = None
    external_points: Decimal | None = None
    source_document: str = ""
    # the survey whose batch gave the external points (recorded by the ledger), if any
    survey: str | None = None
    corrected_points: Decimal | None = None

    @property
    def unsupported(self) -> bool:
        """Self-scored with neither evidence nor a written explanation."""
        return self.self_points is not None and not self.evidence and not self.explanation.strip()

    @property
    def contested(self) -> bool:
        """The preliminary appraisal changed the self-score, or asked for an explanation."""
        if self.explanation_requested is not None:
            return True
        if self.preliminary is None:
            return False
        return self.preliminary.points != (self.self_points or Decimal(0))

    def final_points(self, source: str | None) -> Decimal | None:
        """The leaf's final score: the latest correction, appraisal, acceptance, or the
        recorded value of a survey, SIPAS or published leaf."""
        if self.corrected_points is not None:
            return self.corrected_points
        if source != "appraisal":
            return self.external_points
        for appraisal in (self.final, self.preliminary):
            if appraisal is not None:
                return appraisal.points
        return self.accepted_points


class Scorecard(LedgerAggregate):
    AGGREGATE_TYPE = "Scorecard"

    def __init__(self) -> None:
        super().__init__()
        self.campaign = ""
        self.unit = ""
        self.unit_kind = ""
        self.indicator_set = ""
        self.indicator_set_version = 0
        self.entries: dict[str, LeafEntry] = {}
        self.submitted_at: datetime | None = None
        self.submitted_by: str | None = None
        self.locked_at: datetime | None = None
        self.accepted_at: datetime | None = None
        self.adjustments: dict[str, Decimal] = {}
        self.targets: dict[str, Decimal] = {}
        self.targets_year: int | None = None

    class ScorecardOpened(LedgerAggregate.Created):
        pass

    class SelfScoreRecorded(LedgerAggregate.Event):
        pass

    class EvidenceAttached(LedgerAggregate.Event):
        pass

    class EvidenceRemoved(LedgerAggregate.Event):
        pass

    class SelfAssessmentSubmitted(LedgerAggregate.Event):
        pass

    class ScorecardLockedAtDeadline(LedgerAggregate.Event):
        pass

    class AppraisalRecorded(LedgerAggregate.Event):
        pass

    class ExplanationRequested(LedgerAggregate.Event):
        pass

    class ExplanationSubmitted(LedgerAggregate.Event):
        pass

    class AppraisalConfirmed(LedgerAggregate.Event):
        pass

    class AppraisalRevised(LedgerAggregate.Event):
        pass

    class SelfScoresAccepted(LedgerAggregate.Event):
        pass

    class ExternalScoreRecorded(LedgerAggregate.Event):
        pass

    class AdjustmentRecorded(LedgerAggregate.Event):
        pass

    class ScoreCorrected(LedgerAggregate.Event):
        pass

    class TargetsRecorded(LedgerAggregate.Event):
        pass

    def entry(self, code: str) -> LeafEntry:
        return self.entries.setdefault(code, LeafEntry())

    @property
    def closed_for_unit(self) -> bool:
        return self.submitted_at is not None or self.locked_at is not None

    def when(self, event_type: str, body: dict[str, Any], at: datetime) -> None:
        if event_type == "ScorecardOpened":
            self.campaign = body["campaign"]
            self.unit = body["unit"]
            self.unit_kind = body["unit_kind"]
            self.indicator_set = body["indicator_set"]
            self.indicator_set_version = body["indicator_set_version"]
            return
        if event_type == "SelfAssessmentSubmitted":
            self.submitted_at = at
            self.submitted_by = body["submitted_by"]
            return
        if event_type == "ScorecardLockedAtDeadline":
            self.locked_at = at
            return
        if event_type == "SelfScoresAccepted":
            self.accepted_at = at
            for code, points in body["accepted"].items():
                self.entry(code).accepted_points = Decimal(points)
            return
        if event_type == "AdjustmentRecorded":
            self.adjustments[body["code"]] = Decimal(body["points"])
            return
        if event_type == "TargetsRecorded":
            self.targets_year = body["year"]
            self.targets = {code: Decimal(points) for code, points in body["targets"].items()}
            return
        entry = self.entry(body["criterion"])
        if event_type == "SelfScoreRecorded":
            entry.self_points = Decimal(body["points"])
            entry.self_inputs = dict(body["inputs"])
            entry.note = body.get("note", "")
            entry.explanation = body.get("explanation", "")
        elif event_type == "EvidenceAttached":
            entry.evidence[body["sha256"]] = {
                k: body[k] for k in ("sha256", "size", "file_name", "media_type")
            } | {"supplementary": body.get("supplementary", False)}
        elif event_type == "EvidenceRemoved":
            entry.evidence.pop(body["sha256"], None)
        elif event_type == "AppraisalRecorded":
            entry.preliminary = Appraisal(
                Decimal(body["points"]), dict(body["inputs"]), body.get("reason", ""), body["by"]
            )
        elif event_type == "ExplanationRequested":
            entry.explanation_requested = body.get("note", "")
        elif event_type == "ExplanationSubmitted":
            entry.unit_explanations.append(body["explanation"])
        elif event_type in ("AppraisalConfirmed", "AppraisalRevised"):
            entry.final = Appraisal(
                Decimal(body["points"]),
                dict(body.get("inputs", {})),
                body.get("reason", ""),
                body["by"],
            )
            entry.final_decision = body["decision"]
        elif event_type == "ExternalScoreRecorded":
            entry.external_points = Decimal(body["points"])
            entry.source_document = body["source_document"]
            entry.survey = body.get("survey")
        elif event_type == "ScoreCorrected":
            entry.corrected_points = Decimal(body["points"])
        else:
            raise ValueError(f"unknown scorecard event {event_type}")

    @classmethod
    def open_for(cls, command: SignedCommand, at: datetime) -> Scorecard:
        args = command.args
        return cls.open(
            cls.ScorecardOpened,
            aggregate_id=scorecard_id(args["campaign"], args["unit"]),
            body=dict(args),
            command=command,
            at=at,
        )

    def lock_due(self, ctx: Context) -> bool:
        """Self-assessment has closed and the unit never submitted."""
        return (
            not self.closed_for_unit
            and ctx.campaign.finalised_at is None
            and ctx.now >= ctx.milestone("self_assessment_closes")
        )

    def record_act(
        self,
        event_class: type[LedgerAggregate.Event],
        command: SignedCommand,
        ctx: Context,
        at: datetime | None = None,
    ) -> None:
        """Record an event of the signed command: its arguments and the members the ledger
        derives (ledger.domain.derivations), the same for the verifier."""
        when = ctx.now if at is None else at
        derived = scorecard_members(
            self,
            event_class.__name__,
            command.args,
            command.key_id,
            CardContext(ctx.tree, ctx.campaign, when),
        )
        self.record(event_class, body={**command.args, **derived}, command=command, at=when)

    def unsettled(self, tree: IndicatorTree) -> list[str]:
        """Applicable leaves without a final score yet."""
        return [
            leaf.code
            for leaf in tree.applicable_leaves(self.unit_kind)
            if self.entry(leaf.code).final_points(leaf.score_source) is None
        ]


def current_points(card: Scorecard, tree: IndicatorTree) -> dict[str, Decimal]:
    """Each leaf's points as the scorecard stands: the final score where there is one,
    else the self-score of a self-assessed leaf."""
    points: dict[str, Decimal] = {}
    for code, entry in card.entries.items():
        node = tree.nodes.get(code)
        if node is None:
            continue
        value = entry.final_points(node.score_source)
        if value is None and node.score_source == "appraisal":
            value = entry.self_points
        if value is not None:
            points[code] = value
    return points


def adjustment_total(adjustments: Mapping[str, Decimal], campaign: Campaign) -> Decimal:
    """Bonuses less penalties (``adjustments``: points by item code)."""
    total = Decimal(0)
    for code, points in adjustments.items():
        item = campaign.adjustments[code]
        total += points if item.kind == "bonus" else -points
    return total
