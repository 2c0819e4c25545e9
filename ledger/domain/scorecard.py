"""A unit's scorecard in one campaign, through the whole cycle: self-assessment and
evidence, submission or the lock at the deadline, preliminary appraisal by field, the
explanation round, final appraisal, settlement, external scores, adjustments, and the
corrections the secretariat may record after the campaign is finalised.

What may happen when is decided here, from the recorded schedule and the recorded time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError
from ledger.core.ids import scorecard_id
from ledger.domain.base import LedgerAggregate
from ledger.domain.campaign import Campaign
from ledger.domain.indicators import SOURCE_TITLES, IndicatorTree, Node
from ledger.domain.points import parse_points, plain
from ledger.domain.rules import Score, compute


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

    # -- the checks that every act shares ---------------------------------------------

    def _refuse_if_finalised(self, ctx: Context) -> None:
        if ctx.campaign.finalised_at is not None:
            raise DomainError(
                f"campaign {self.campaign} is finalised; only the secretariat's corrections "
                "can change a score now",
                code="campaign_finalised",
            )

    def _applicable_leaf(self, ctx: Context, code: str) -> Node:
        leaf = ctx.tree.leaf(code)
        if not leaf.applies(self.unit_kind):
            raise DomainError(
                f"criterion {code} does not apply to a unit of kind {self.unit_kind}",
                code="not_applicable",
                field="command.args.criterion",
            )
        return leaf

    def _self_assessed_leaf(self, ctx: Context, code: str) -> Node:
        leaf = self._applicable_leaf(ctx, code)
        if leaf.score_source != "appraisal":
            raise DomainError(
                f"criterion {leaf.code} is scored from "
                f"{SOURCE_TITLES[leaf.score_source or '']}, not by self-assessment and appraisal",
                code="not_self_assessed",
                field="command.args.criterion",
            )
        return leaf

    def _in_self_assessment(self, ctx: Context) -> None:
        self._refuse_if_finalised(ctx)
        if self.submitted_at is not None:
            raise DomainError(
                f"unit {self.unit} submitted its self-assessment for {self.campaign}; "
                "the unit can no longer change it",
                code="already_submitted",
            )
        if ctx.now < ctx.milestone("self_assessment_opens"):
            raise DomainError(
                f"self-assessment opens at {ctx.when('self_assessment_opens')}",
                code="phase_not_open",
            )
        if self.locked_at is not None or ctx.now >= ctx.milestone("self_assessment_closes"):
            raise DomainError(
                f"self-assessment closed at {ctx.when('self_assessment_closes')}; "
                "the scorecard went to appraisal as it stood",
                code="deadline_passed",
            )

    def _in_explanation_round(self, ctx: Context, entry: LeafEntry, code: str) -> None:
        self._refuse_if_finalised(ctx)
        if (
            not ctx.milestone("preliminary_appraisal_closes")
            <= ctx.now
            < ctx.milestone("explanation_closes")
        ):
            raise DomainError(
                "explanations are accepted from the end of preliminary appraisal "
                f"({ctx.when('preliminary_appraisal_closes')}) until "
                f"{ctx.when('explanation_closes')}",
                code="wrong_phase",
            )
        if not entry.contested:
            raise DomainError(
                f"criterion {code} was neither changed by the appraisal nor asked to be explained",
                code="not_contested",
                field="command.args.criterion",
            )

    def _score(self, leaf: Node, ctx: Context, inputs: dict[str, Any]) -> Score:
        return compute(leaf.code, leaf.rule, leaf.max_points, ctx.tree.precision, inputs)

    @staticmethod
    def _scored(body: dict[str, Any], score: Score) -> dict[str, Any]:
        scored = {**body, "points": plain(score.points)}
        if score.percent is not None:
            scored["percent"] = plain(score.percent)
        return scored

    # -- self-assessment --------------------------------------------------------------

    def record_self_score(self, command: SignedCommand, ctx: Context) -> None:
        self._in_self_assessment(ctx)
        leaf = self._self_assessed_leaf(ctx, command.args["criterion"])
        score = self._score(leaf, ctx, command.args["inputs"])
        self.record(
            self.SelfScoreRecorded,
            body=self._scored(dict(command.args), score),
            command=command,
            at=ctx.now,
        )

    def attach_evidence(self, command: SignedCommand, ctx: Context) -> None:
        code = command.args["criterion"]
        leaf = self._self_assessed_leaf(ctx, code)
        entry = self.entry(leaf.code)
        supplementary = self.closed_for_unit or ctx.now >= ctx.milestone("self_assessment_closes")
        if supplementary:
            self._in_explanation_round(ctx, entry, code)
        else:
            self._in_self_assessment(ctx)
        if command.args["sha256"] in entry.evidence:
            raise DomainError(
                f"this file is already attached to criterion {leaf.code}",
                code="evidence_exists",
                field="command.args.sha256",
            )
        self.record(
            self.EvidenceAttached,
            body={**command.args, "supplementary": supplementary},
            command=command,
            at=ctx.now,
        )

    def remove_evidence(self, command: SignedCommand, ctx: Context) -> None:
        self._in_self_assessment(ctx)
        leaf = self._applicable_leaf(ctx, command.args["criterion"])
        if command.args["sha256"] not in self.entry(leaf.code).evidence:
            raise DomainError(
                f"no file with this hash is attached to criterion {leaf.code}",
                code="evidence_not_attached",
                field="command.args.sha256",
            )
        self.record(self.EvidenceRemoved, body=dict(command.args), command=command, at=ctx.now)

    def submit(self, command: SignedCommand, ctx: Context) -> None:
        self._in_self_assessment(ctx)
        unsupported = sorted(code for code, entry in self.entries.items() if entry.unsupported)
        if unsupported:
            raise DomainError(
                "self-scores without evidence need a written explanation before submission: "
                + ", ".join(unsupported),
                code="unsupported_self_score",
            )
        self.record(
            self.SelfAssessmentSubmitted,
            body={**command.args, "submitted_by": command.key_id},
            command=command,
            at=ctx.now,
        )

    def lock_due(self, ctx: Context) -> bool:
        """Self-assessment has closed and the unit never submitted."""
        return (
            not self.closed_for_unit
            and ctx.campaign.finalised_at is None
            and ctx.now >= ctx.milestone("self_assessment_closes")
        )

    def lock(self, command: SignedCommand, ctx: Context) -> None:
        """Lock as it stands; the event is timestamped at the deadline itself."""
        assert self.lock_due(ctx)
        self.record(
            self.ScorecardLockedAtDeadline,
            body=dict(command.args),
            command=command,
            at=ctx.milestone("self_assessment_closes"),
        )

    # -- appraisal --------------------------------------------------------------------

    def record_appraisal(self, command: SignedCommand, ctx: Context) -> None:
        self._refuse_if_finalised(ctx)
        if not self.closed_for_unit:
            raise DomainError(
                f"unit {self.unit} has not submitted yet; appraisal starts after submission "
                f"or after self-assessment closes ({ctx.when('self_assessment_closes')})",
                code="not_submitted",
            )
        if ctx.now >= ctx.milestone("preliminary_appraisal_closes"):
            raise DomainError(
                f"preliminary appraisal closed at {ctx.when('preliminary_appraisal_closes')}",
                code="deadline_passed",
            )
        leaf = self._self_assessed_leaf(ctx, command.args["criterion"])
        entry = self.entry(leaf.code)
        if entry.preliminary is not None:
            raise DomainError(
                f"criterion {leaf.code} of unit {self.unit} was already appraised in this round",
                code="already_appraised",
                field="command.args.criterion",
            )
        score = self._score(leaf, ctx, command.args["inputs"])
        self_points = entry.self_points or Decimal(0)
        if score.points != self_points and not command.args.get("reason", "").strip():
            raise DomainError(
                f"criterion {leaf.code}: the appraised {plain(score.points)} differs from the "
                f"self-score {plain(self_points)}, so a reason is required",
                code="reason_required",
                field="command.args.reason",
            )
        body = self._scored(dict(command.args), score)
        body.update(
            self_points=plain(self_points),
            unsupported=entry.unsupported or entry.self_points is None,
            by=command.key_id,
        )
        self.record(self.AppraisalRecorded, body=body, command=command, at=ctx.now)

    def request_explanation(self, command: SignedCommand, ctx: Context) -> None:
        self._refuse_if_finalised(ctx)
        if not self.closed_for_unit or ctx.now >= ctx.milestone("preliminary_appraisal_closes"):
            raise DomainError(
                "explanations are requested during preliminary appraisal, after submission "
                f"and before {ctx.when('preliminary_appraisal_closes')}",
                code="wrong_phase",
            )
        leaf = self._self_assessed_leaf(ctx, command.args["criterion"])
        if self.entry(leaf.code).explanation_requested is not None:
            raise DomainError(
                f"an explanation of criterion {leaf.code} was already requested",
                code="already_requested",
                field="command.args.criterion",
            )
        self.record(
            self.ExplanationRequested,
            body={**command.args, "by": command.key_id},
            command=command,
            at=ctx.now,
        )

    def submit_explanation(self, command: SignedCommand, ctx: Context) -> None:
        leaf = self._self_assessed_leaf(ctx, command.args["criterion"])
        self._in_explanation_round(ctx, self.entry(leaf.code), leaf.code)
        self.record(self.ExplanationSubmitted, body=dict(command.args), command=command, at=ctx.now)

    def record_final_appraisal(self, command: SignedCommand, ctx: Context) -> None:
        self._refuse_if_finalised(ctx)
        if (
            not ctx.milestone("explanation_closes")
            <= ctx.now
            < ctx.milestone("final_appraisal_closes")
        ):
            raise DomainError(
                f"final appraisal runs from {ctx.when('explanation_closes')} "
                f"until {ctx.when('final_appraisal_closes')}",
                code="wrong_phase",
            )
        leaf = self._self_assessed_leaf(ctx, command.args["criterion"])
        entry = self.entry(leaf.code)
        if not entry.contested or entry.preliminary is None:
            raise DomainError(
                f"criterion {leaf.code} is not contested: its preliminary appraisal stands",
                code="not_contested",
                field="command.args.criterion",
            )
        if entry.final is not None:
            raise DomainError(
                f"criterion {leaf.code} of unit {self.unit} already has its final appraisal",
                code="already_appraised",
                field="command.args.criterion",
            )
        decision = command.args["decision"]
        body: dict[str, Any] = {**command.args, "by": command.key_id}
        if decision == "confirm":
            if "inputs" in command.args:
                raise DomainError(
                    "a confirmation keeps the preliminary appraisal and takes no inputs",
                    code="rule_input_mismatch",
                    field="command.args.inputs",
                )
            body["points"] = plain(entry.preliminary.points)
            self.record(self.AppraisalConfirmed, body=body, command=command, at=ctx.now)
            return
        if "inputs" not in command.args:
            raise DomainError(
                "a revision gives the new inputs",
                code="rule_input_mismatch",
                field="command.args.inputs",
            )
        if not command.args.get("reason", "").strip():
            raise DomainError(
                f"criterion {leaf.code}: a revision needs a reason",
                code="reason_required",
                field="command.args.reason",
            )
        score = self._score(leaf, ctx, command.args["inputs"])
        body = self._scored(body, score)
        body["preliminary_points"] = plain(entry.preliminary.points)
        self.record(self.AppraisalRevised, body=body, command=command, at=ctx.now)

    # -- closing ----------------------------------------------------------------------

    def unsettled(self, tree: IndicatorTree) -> list[str]:
        """Applicable leaves without a final score yet."""
        return [
            leaf.code
            for leaf in tree.applicable_leaves(self.unit_kind)
            if self.entry(leaf.code).final_points(leaf.score_source) is None
        ]

    def accept_self_scores(self, command: SignedCommand, ctx: Context) -> None:
        """Settle, explicitly, every self-assessed leaf that no appraiser touched."""
        self._refuse_if_finalised(ctx)
        if ctx.now < ctx.milestone("final_appraisal_closes"):
            raise DomainError(
                f"the remaining self-scores are accepted after final appraisal closes, "
                f"at {ctx.when('final_appraisal_closes')}",
                code="wrong_phase",
            )
        if self.accepted_at is not None:
            raise DomainError(
                f"the remaining self-scores of unit {self.unit} were already accepted",
                code="already_accepted",
            )
        accepted = {
            leaf.code: plain(self.entry(leaf.code).self_points or Decimal(0))
            for leaf in ctx.tree.applicable_leaves(self.unit_kind)
            if leaf.score_source == "appraisal"
            and self.entry(leaf.code).preliminary is None
            and self.entry(leaf.code).final is None
        }
        self.record(
            self.SelfScoresAccepted,
            body={**command.args, "accepted": accepted},
            command=command,
            at=ctx.now,
        )

    def record_external_score(self, command: SignedCommand, ctx: Context) -> None:
        self._refuse_if_finalised(ctx)
        leaf = self._applicable_leaf(ctx, command.args["criterion"])
        if leaf.score_source != command.args["source"]:
            raise DomainError(
                f"criterion {leaf.code} is scored from {leaf.score_source}, "
                f"not {command.args['source']}",
                code="source_mismatch",
                field="command.args.source",
            )
        self._published_points(leaf, command.args["points"], ctx)
        self.record(
            self.ExternalScoreRecorded, body=dict(command.args), command=command, at=ctx.now
        )

    def _published_points(self, leaf: Node, text: str, ctx: Context) -> Decimal:
        points = parse_points(text, "command.args.points", precision=ctx.tree.precision)
        if points > leaf.max_points:
            raise DomainError(
                f"criterion {leaf.code}: {text} points is above its maximum of "
                f"{plain(leaf.max_points)}",
                code="above_maximum",
                field="command.args.points",
            )
        return points

    def record_adjustment(self, command: SignedCommand, ctx: Context) -> None:
        self._refuse_if_finalised(ctx)
        item = ctx.campaign.adjustments.get(command.args["code"])
        if item is None:
            raise DomainError(
                f"campaign {self.campaign} has no bonus or penalty item {command.args['code']}",
                code="unknown_adjustment",
                field="command.args.code",
            )
        points = parse_points(
            command.args["points"], "command.args.points", precision=ctx.tree.precision
        )
        if points > item.cap:
            raise DomainError(
                f"{item.kind} {item.code}: {command.args['points']} points is above its cap "
                f"of {plain(item.cap)}",
                code="above_cap",
                field="command.args.points",
            )
        self.record(
            self.AdjustmentRecorded,
            body={**command.args, "kind": item.kind},
            command=command,
            at=ctx.now,
        )

    def record_targets(self, command: SignedCommand, ctx: Context) -> None:
        """Targets for next year (the improvement plan), criterion by criterion. They
        change no score, so they may be recorded at any time, also after finalisation."""
        _check_targets(self, command, ctx)
        self.record(self.TargetsRecorded, body=dict(command.args), command=command, at=ctx.now)

    def correct_score(self, command: SignedCommand, ctx: Context) -> None:
        if ctx.campaign.finalised_at is None:
            raise DomainError(
                "corrections are for finalised campaigns; until then the cycle's own acts "
                "change scores",
                code="wrong_phase",
            )
        leaf = self._applicable_leaf(ctx, command.args["criterion"])
        points = self._published_points(leaf, command.args["points"], ctx)
        previous = self.entry(leaf.code).final_points(leaf.score_source)
        body = {**command.args, "previous_points": None if previous is None else plain(previous)}
        if previous == points:
            raise DomainError(
                f"criterion {leaf.code} already has {plain(points)} points; nothing to correct",
                code="no_change",
                field="command.args.points",
            )
        self.record(self.ScoreCorrected, body=body, command=command, at=ctx.now)


def _check_targets(card: Scorecard, command: SignedCommand, ctx: Context) -> None:
    for code, text in command.args["targets"].items():
        leaf = card._applicable_leaf(ctx, code)
        points = parse_points(text, f"command.args.targets.{code}", precision=ctx.tree.precision)
        if points > leaf.max_points:
            raise DomainError(
                f"criterion {code}: the target {text} is above its maximum of "
                f"{plain(leaf.max_points)}",
                code="above_maximum",
                field=f"command.args.targets.{code}",
            )


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
