"""The survey commands' handlers: a definition checked against its campaign, and a batch of
tallies whose computed points flow into the rated units' scorecards as the ledger's own
acts (docs/FORMATS.md §12)."""

from __future__ import annotations

from decimal import Decimal

from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError, NotFoundError
from ledger.core.ids import scorecard_id
from ledger.domain import command_args as a
from ledger.domain.base import LedgerAggregate
from ledger.domain.campaign import Campaign
from ledger.domain.handlers import context, lock_if_due
from ledger.domain.indicators import IndicatorTree
from ledger.domain.scorecard import Scorecard
from ledger.domain.survey import Survey
from ledger.domain.survey_definition import SurveyDefinition
from ledger.domain.world import World

Changed = list[LedgerAggregate]
SOURCE_OF_KIND = {"sipas": "sipas", "par_survey": "survey"}


def _campaign(world: World, code: str) -> Campaign:
    campaign = world.campaign(code)
    if campaign is None:
        raise NotFoundError(
            f"campaign {code} does not exist",
            code="unknown_campaign",
            field="command.args.campaign",
        )
    return campaign


def check_against_campaign(
    definition: SurveyDefinition, campaign: Campaign, tree: IndicatorTree
) -> None:
    """Its units take part in the campaign and its criteria are leaves scored from it."""
    outside = [u for u in definition.units if u not in campaign.units]
    if outside:
        raise DomainError(
            f"unit(s) {', '.join(outside)} take no part in campaign {campaign.code}",
            code="unknown_unit",
            field="command.args.units",
        )
    source = SOURCE_OF_KIND[definition.kind]
    for code in definition.scored_criteria:
        node = tree.nodes.get(code)
        if node is None or node.children:
            raise DomainError(
                f"{code} is not a criterion of {tree.code} v{tree.version} that takes points",
                code="unknown_criterion",
                field="command.args.criteria",
            )
        if node.score_source != source:
            raise DomainError(
                f"criterion {code} is scored from {node.score_source}, not {source}",
                code="source_mismatch",
                field="command.args.criteria",
            )


def define_survey(
    world: World, command: SignedCommand, args: a.DefineSurvey, existing: Survey | None
) -> Changed:
    campaign = _campaign(world, args.campaign)
    if existing is not None and existing.campaign != args.campaign:
        raise DomainError(
            f"survey {args.code} belongs to campaign {existing.campaign}",
            code="campaign_mismatch",
            field="command.args.campaign",
        )
    tree = world.tree(campaign.indicator_set, campaign.indicator_set_version)
    check_against_campaign(args, campaign, tree)
    if existing is None:
        return [Survey.define(command, world.now)]
    existing.revise(command, world.now)
    return [existing]


def import_survey_batch(
    world: World, command: SignedCommand, args: a.ImportSurveyBatch, existing: Survey | None
) -> Changed:
    if existing is None:
        raise NotFoundError(
            f"survey {args.survey} is not defined",
            code="unknown_survey",
            field="command.args.survey",
        )
    if args.campaign != existing.campaign:
        raise DomainError(
            f"survey {existing.code} belongs to campaign {existing.campaign}",
            code="campaign_mismatch",
            field="command.args.campaign",
        )
    campaign = _campaign(world, existing.campaign)
    if campaign.finalised_at is not None:
        raise DomainError(
            f"campaign {campaign.code} is finalised: its scores change by correction only",
            code="wrong_phase",
        )
    tree = world.tree(campaign.indicator_set, campaign.indicator_set_version)
    existing.import_batch(command, tree, world.now)
    return [existing, *flow_points(world, existing, command.args["file_sha256"])]


def flow_points(world: World, survey: Survey, digest: str) -> list[Scorecard]:
    """Record, on each rated unit's scorecard, the points the batch's results give where
    they differ from the card's (the ledger's own act, traced to the batch)."""
    definition = survey.definition
    changed = []
    for unit, found in survey.results["units"].items():
        card: Scorecard | None = world.for_change(scorecard_id(survey.campaign, unit))
        if card is None or not found.get("points"):
            continue
        ctx = context(world, card)
        touched = lock_if_due(world, card, ctx)
        for criterion, points in found["points"].items():
            held = card.entries.get(criterion)
            if held is not None and held.external_points == Decimal(points):
                continue
            args = {
                "campaign": survey.campaign,
                "unit": unit,
                "criterion": criterion,
                "points": points,
                "source": SOURCE_OF_KIND[definition.kind],
                "source_document": f"{definition.title} ({survey.code} "
                f"v{survey.definition_version}, {definition.method}, tệp {digest[:12]})",
                "survey": survey.code,
                "file_sha256": digest,
            }
            card.record_act(
                card.ExternalScoreRecorded, world.system_command("record_survey_points", args), ctx
            )
            touched = True
        if touched:
            changed.append(card)
    return changed
