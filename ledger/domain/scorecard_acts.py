"""What may be done to a scorecard, and when: self-assessment and evidence, submission or the
lock at the deadline, preliminary appraisal by field, the explanation round, final
appraisal, settlement, external scores, adjustments, targets, and the corrections the
secretariat may record after the campaign is finalised (docs/FORMATS.md §9).

Each act checks its rules against the recorded schedule and the recorded time, then records
its event with :meth:`Scorecard.record_act`, which adds the derived members. A refusal
raises a :class:`~ledger.core.errors.DomainError` and records nothing."""

from __future__ import annotations

from decimal import Decimal

from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError
from ledger.domain import command_args as a
from ledger.domain.indicators import SOURCE_TITLES, Node
from ledger.domain.points import parse_points, plain
from ledger.domain.rules import compute
from ledger.domain.scorecard import Context, LeafEntry, Scorecard

# -- the checks that every act shares ------------------------------------------------------


def refuse_if_finalised(card: Scorecard, ctx: Context) -> None:
    if ctx.campaign.finalised_at is not None:
        raise DomainError(
            f"campaign {card.campaign} is finalised; only the secretariat's corrections "
            "can change a score now",
            code="campaign_finalised",
        )


def applicable_leaf(card: Scorecard, ctx: Context, code: str) -> Node:
    leaf = ctx.tree.leaf(code)
    if not leaf.applies(card.unit_kind):
        raise DomainError(
            f"criterion {code} does not apply to a unit of kind {card.unit_kind}",
            code="not_applicable",
            field="command.args.criterion",
        )
    return leaf


def self_assessed_leaf(card: Scorecard, ctx: Context, code: str) -> Node:
    leaf = applicable_leaf(card, ctx, code)
    if leaf.score_source != "appraisal":
        raise DomainError(
            f"criterion {leaf.code} is scored from "
            f"{SOURCE_TITLES[leaf.score_source or '']}, not by self-assessment and appraisal",
            code="not_self_assessed",
            field="command.args.criterion",
        )
    return leaf


def in_self_assessment(card: Scorecard, ctx: Context) -> None:
    refuse_if_finalised(card, ctx)
    if card.submitted_at is not None:
        raise DomainError(
            f"unit {card.unit} submitted its self-assessment for {card.campaign}; "
            "the unit can no longer change it",
            code="already_submitted",
        )
    if ctx.now < ctx.milestone("self_assessment_opens"):
        raise DomainError(
            f"self-assessment opens at {ctx.when('self_assessment_opens')}",
            code="phase_not_open",
        )
    if card.locked_at is not None or ctx.now >= ctx.milestone("self_assessment_closes"):
        raise DomainError(
            f"self-assessment closed at {ctx.when('self_assessment_closes')}; "
            "the scorecard went to appraisal as it stood",
            code="deadline_passed",
        )


def in_explanation_round(card: Scorecard, ctx: Context, entry: LeafEntry, code: str) -> None:
    refuse_if_finalised(card, ctx)
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


def _rule_points(leaf: Node, ctx: Context, inputs: dict[str, int | str | bool]) -> Decimal:
    """The points the leaf's rule gives (refusing inputs the rule does not take)."""
    return compute(leaf.code, leaf.rule, leaf.max_points, ctx.tree.precision, inputs).points


def _published_points(leaf: Node, text: str, ctx: Context) -> Decimal:
    points = parse_points(text, "command.args.points", precision=ctx.tree.precision)
    if points > leaf.max_points:
        raise DomainError(
            f"criterion {leaf.code}: {text} points is above its maximum of "
            f"{plain(leaf.max_points)}",
            code="above_maximum",
            field="command.args.points",
        )
    return points


# -- self-assessment -----------------------------------------------------------------------


def record_self_score(
    card: Scorecard, command: SignedCommand, args: a.RecordSelfScore, ctx: Context
) -> None:
    in_self_assessment(card, ctx)
    leaf = self_assessed_leaf(card, ctx, args.criterion)
    _rule_points(leaf, ctx, args.inputs)
    card.record_act(card.SelfScoreRecorded, command, ctx)


def attach_evidence(
    card: Scorecard, command: SignedCommand, args: a.AttachEvidence, ctx: Context
) -> None:
    leaf = self_assessed_leaf(card, ctx, args.criterion)
    entry = card.entry(leaf.code)
    if card.closed_for_unit or ctx.now >= ctx.milestone("self_assessment_closes"):
        in_explanation_round(card, ctx, entry, args.criterion)
    else:
        in_self_assessment(card, ctx)
    if args.sha256 in entry.evidence:
        raise DomainError(
            f"this file is already attached to criterion {leaf.code}",
            code="evidence_exists",
            field="command.args.sha256",
        )
    card.record_act(card.EvidenceAttached, command, ctx)


def remove_evidence(
    card: Scorecard, command: SignedCommand, args: a.RemoveEvidence, ctx: Context
) -> None:
    in_self_assessment(card, ctx)
    leaf = applicable_leaf(card, ctx, args.criterion)
    if args.sha256 not in card.entry(leaf.code).evidence:
        raise DomainError(
            f"no file with this hash is attached to criterion {leaf.code}",
            code="evidence_not_attached",
            field="command.args.sha256",
        )
    card.record_act(card.EvidenceRemoved, command, ctx)


def submit(
    card: Scorecard, command: SignedCommand, args: a.SubmitSelfAssessment, ctx: Context
) -> None:
    in_self_assessment(card, ctx)
    unsupported = sorted(code for code, entry in card.entries.items() if entry.unsupported)
    if unsupported:
        raise DomainError(
            "self-scores without evidence need a written explanation before submission: "
            + ", ".join(unsupported),
            code="unsupported_self_score",
        )
    card.record_act(card.SelfAssessmentSubmitted, command, ctx)


def lock(card: Scorecard, command: SignedCommand, ctx: Context) -> None:
    """Lock as it stands; the event is timestamped at the deadline itself."""
    assert card.lock_due(ctx)
    card.record_act(
        card.ScorecardLockedAtDeadline, command, ctx, at=ctx.milestone("self_assessment_closes")
    )


# -- appraisal -----------------------------------------------------------------------------


def record_appraisal(
    card: Scorecard, command: SignedCommand, args: a.RecordAppraisal, ctx: Context
) -> None:
    refuse_if_finalised(card, ctx)
    if not card.closed_for_unit:
        raise DomainError(
            f"unit {card.unit} has not submitted yet; appraisal starts after submission "
            f"or after self-assessment closes ({ctx.when('self_assessment_closes')})",
            code="not_submitted",
        )
    if ctx.now >= ctx.milestone("preliminary_appraisal_closes"):
        raise DomainError(
            f"preliminary appraisal closed at {ctx.when('preliminary_appraisal_closes')}",
            code="deadline_passed",
        )
    leaf = self_assessed_leaf(card, ctx, args.criterion)
    entry = card.entry(leaf.code)
    if entry.preliminary is not None:
        raise DomainError(
            f"criterion {leaf.code} of unit {card.unit} was already appraised in this round",
            code="already_appraised",
            field="command.args.criterion",
        )
    points = _rule_points(leaf, ctx, args.inputs)
    self_points = entry.self_points or Decimal(0)
    if points != self_points and not args.reason.strip():
        raise DomainError(
            f"criterion {leaf.code}: the appraised {plain(points)} differs from the "
            f"self-score {plain(self_points)}, so a reason is required",
            code="reason_required",
            field="command.args.reason",
        )
    card.record_act(card.AppraisalRecorded, command, ctx)


def request_explanation(
    card: Scorecard, command: SignedCommand, args: a.RequestExplanation, ctx: Context
) -> None:
    refuse_if_finalised(card, ctx)
    if not card.closed_for_unit or ctx.now >= ctx.milestone("preliminary_appraisal_closes"):
        raise DomainError(
            "explanations are requested during preliminary appraisal, after submission "
            f"and before {ctx.when('preliminary_appraisal_closes')}",
            code="wrong_phase",
        )
    leaf = self_assessed_leaf(card, ctx, args.criterion)
    if card.entry(leaf.code).explanation_requested is not None:
        raise DomainError(
            f"an explanation of criterion {leaf.code} was already requested",
            code="already_requested",
            field="command.args.criterion",
        )
    card.record_act(card.ExplanationRequested, command, ctx)


def submit_explanation(
    card: Scorecard, command: SignedCommand, args: a.SubmitExplanation, ctx: Context
) -> None:
    leaf = self_assessed_leaf(card, ctx, args.criterion)
    in_explanation_round(card, ctx, card.entry(leaf.code), leaf.code)
    card.record_act(card.ExplanationSubmitted, command, ctx)


def record_final_appraisal(
    card: Scorecard, command: SignedCommand, args: a.RecordFinalAppraisal, ctx: Context
) -> None:
    refuse_if_finalised(card, ctx)
    if not ctx.milestone("explanation_closes") <= ctx.now < ctx.milestone("final_appraisal_closes"):
        raise DomainError(
            f"final appraisal runs from {ctx.when('explanation_closes')} "
            f"until {ctx.when('final_appraisal_closes')}",
            code="wrong_phase",
        )
    leaf = self_assessed_leaf(card, ctx, args.criterion)
    entry = card.entry(leaf.code)
    if not entry.contested or entry.preliminary is None:
        raise DomainError(
            f"criterion {leaf.code} is not contested: its preliminary appraisal stands",
            code="not_contested",
            field="command.args.criterion",
        )
    if entry.final is not None:
        raise DomainError(
            f"criterion {leaf.code} of unit {card.unit} already has its final appraisal",
            code="already_appraised",
            field="command.args.criterion",
        )
    if args.decision == "confirm":
        if args.inputs is not None:
            raise DomainError(
                "a confirmation keeps the preliminary appraisal and takes no inputs",
                code="rule_input_mismatch",
                field="command.args.inputs",
            )
        card.record_act(card.AppraisalConfirmed, command, ctx)
        return
    if args.inputs is None:
        raise DomainError(
            "a revision gives the new inputs",
            code="rule_input_mismatch",
            field="command.args.inputs",
        )
    if not args.reason.strip():
        raise DomainError(
            f"criterion {leaf.code}: a revision needs a reason",
            code="reason_required",
            field="command.args.reason",
        )
    _rule_points(leaf, ctx, args.inputs)
    card.record_act(card.AppraisalRevised, command, ctx)


# -- closing -------------------------------------------------------------------------------


def accept_self_scores(
    card: Scorecard, command: SignedCommand, args: a.AcceptSelfScores, ctx: Context
) -> None:
    """Settle, explicitly, every self-assessed leaf that no appraiser touched."""
    refuse_if_finalised(card, ctx)
    if ctx.now < ctx.milestone("final_appraisal_closes"):
        raise DomainError(
            f"the remaining self-scores are accepted after final appraisal closes, "
            f"at {ctx.when('final_appraisal_closes')}",
            code="wrong_phase",
        )
    if card.accepted_at is not None:
        raise DomainError(
            f"the remaining self-scores of unit {card.unit} were already accepted",
            code="already_accepted",
        )
    card.record_act(card.SelfScoresAccepted, command, ctx)


def record_external_score(
    card: Scorecard, command: SignedCommand, args: a.RecordExternalScore, ctx: Context
) -> None:
    refuse_if_finalised(card, ctx)
    leaf = applicable_leaf(card, ctx, args.criterion)
    if leaf.score_source != args.source:
        raise DomainError(
            f"criterion {leaf.code} is scored from {leaf.score_source}, not {args.source}",
            code="source_mismatch",
            field="command.args.source",
        )
    _published_points(leaf, args.points, ctx)
    card.record_act(card.ExternalScoreRecorded, command, ctx)


def record_adjustment(
    card: Scorecard, command: SignedCommand, args: a.RecordAdjustment, ctx: Context
) -> None:
    """A bonus or penalty item of the campaign for this unit. A second record of the same
    item replaces the first (FORMATS §9)."""
    refuse_if_finalised(card, ctx)
    item = ctx.campaign.adjustments.get(args.code)
    if item is None:
        raise DomainError(
            f"campaign {card.campaign} has no bonus or penalty item {args.code}",
            code="unknown_adjustment",
            field="command.args.code",
        )
    points = parse_points(args.points, "command.args.points", precision=ctx.tree.precision)
    if points > item.cap:
        raise DomainError(
            f"{item.kind} {item.code}: {args.points} points is above its cap of {plain(item.cap)}",
            code="above_cap",
            field="command.args.points",
        )
    card.record_act(card.AdjustmentRecorded, command, ctx)


def record_targets(
    card: Scorecard, command: SignedCommand, args: a.RecordTargets, ctx: Context
) -> None:
    """Targets for next year (the improvement plan), criterion by criterion. They change no
    score, so they may be recorded at any time, also after finalisation."""
    for code, text in args.targets.items():
        leaf = applicable_leaf(card, ctx, code)
        points = parse_points(text, f"command.args.targets.{code}", precision=ctx.tree.precision)
        if points > leaf.max_points:
            raise DomainError(
                f"criterion {code}: the target {text} is above its maximum of "
                f"{plain(leaf.max_points)}",
                code="above_maximum",
                field=f"command.args.targets.{code}",
            )
    card.record_act(card.TargetsRecorded, command, ctx)


def correct_score(
    card: Scorecard, command: SignedCommand, args: a.CorrectScore, ctx: Context
) -> None:
    if ctx.campaign.finalised_at is None:
        raise DomainError(
            "corrections are for finalised campaigns; until then the cycle's own acts "
            "change scores",
            code="wrong_phase",
        )
    leaf = applicable_leaf(card, ctx, args.criterion)
    points = _published_points(leaf, args.points, ctx)
    if card.entry(leaf.code).final_points(leaf.score_source) == points:
        raise DomainError(
            f"criterion {leaf.code} already has {plain(points)} points; nothing to correct",
            code="no_change",
            field="command.args.points",
        )
    card.record_act(card.ScoreCorrected, command, ctx)
