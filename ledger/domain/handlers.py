"""What each command does once it is authorized: the handlers of the command table
(:mod:`ledger.domain.commands`). A handler reads the ledger through a
:class:`~ledger.domain.world.World`, receives the parsed arguments and the addressed
aggregate (a copy it may change, or None), and returns the aggregates to save together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from ledger.core.canonical import format_time
from ledger.core.envelope import SignedCommand
from ledger.core.errors import DomainError, NotFoundError, ValidationError
from ledger.core.ids import indicator_set_id, survey_id
from ledger.domain import command_args as a
from ledger.domain.base import LedgerAggregate
from ledger.domain.campaign import Campaign
from ledger.domain.disclosure import head, heads_order, input_ids
from ledger.domain.indicator_set import IndicatorSet
from ledger.domain.key_registry import KeyRegistry
from ledger.domain.keyring import SCOPED_ROLES
from ledger.domain.scopes import LiveFacts, lineage, units_outside
from ledger.domain.scorecard import Context, Scorecard
from ledger.domain.scorecard_acts import lock
from ledger.domain.unit import Unit
from ledger.domain.world import EvidenceFile, World

Changed = list[LedgerAggregate]
A = TypeVar("A", bound=a.Args)


# -- the key registry ----------------------------------------------------------------------


def init_ledger(
    world: World, command: SignedCommand, args: a.InitLedger, existing: KeyRegistry | None
) -> Changed:
    return [KeyRegistry.initialise(command, world.now)]


def _registry(existing: KeyRegistry | None) -> KeyRegistry:
    if existing is None:
        raise NotFoundError("the ledger is not initialised", code="not_initialised")
    return existing


def _unknown_units(world: World, grants: list[a.RoleGrant]) -> None:
    codes = [
        code
        for grant in grants
        for code in [
            *(grant.scope if SCOPED_ROLES.get(grant.role) == "unit" else []),
            *([grant.authority] if grant.authority else []),
        ]
    ]
    missing = sorted({code for code in codes if world.unit(code) is None})
    if missing:
        raise NotFoundError(
            f"unit(s) {', '.join(missing)} are not registered",
            code="unknown_unit",
            field="command.args.roles",
        )


def enrol_key(
    world: World, command: SignedCommand, args: a.EnrolKey, existing: KeyRegistry | None
) -> Changed:
    registry = _registry(existing)
    _unknown_units(world, args.roles)
    registry.enrol(command, world.now)
    return [registry]


def appoint_key(
    world: World, command: SignedCommand, args: a.AppointKey, existing: KeyRegistry | None
) -> Changed:
    registry = _registry(existing)
    _unknown_units(world, args.roles)
    registry.appoint(command, world.now)
    return [registry]


def end_appointment(
    world: World, command: SignedCommand, args: a.EndAppointment, existing: KeyRegistry | None
) -> Changed:
    registry = _registry(existing)
    registry.end_appointment(command, world.now)
    return [registry]


def revoke_key(
    world: World, command: SignedCommand, args: a.RevokeKey, existing: KeyRegistry | None
) -> Changed:
    registry = _registry(existing)
    registry.revoke(command, world.now)
    return [registry]


def rotate_key(
    world: World, command: SignedCommand, args: a.RotateKey, existing: KeyRegistry | None
) -> Changed:
    registry = _registry(existing)
    registry.rotate(command, world.now)
    return [registry]


# -- units and indicator sets ----------------------------------------------------------------


def _check_parent(world: World, args: a.RegisterUnit) -> None:
    if args.parent is None:
        return
    if args.parent == args.code:
        raise ValidationError("a unit cannot be its own parent", field="command.args.parent")
    if world.unit(args.parent) is None:
        raise NotFoundError(
            f"parent unit {args.parent} is not registered",
            code="unknown_unit",
            field="command.args.parent",
        )


def register_unit(
    world: World, command: SignedCommand, args: a.RegisterUnit, existing: Unit | None
) -> Changed:
    if existing is not None:
        raise DomainError(
            f"unit {args.code} is already registered",
            code="unit_exists",
            field="command.args.code",
        )
    _check_parent(world, args)
    return [Unit.register(command, world.now)]


def update_unit(
    world: World, command: SignedCommand, args: a.UpdateUnit, existing: Unit | None
) -> Changed:
    if existing is None:
        raise NotFoundError(
            f"unit {args.code} is not registered",
            code="unknown_unit",
            field="command.args.code",
        )
    _check_parent(world, args)
    existing.update(command, world.now)
    return [existing]


def define_indicator_set(
    world: World,
    command: SignedCommand,
    args: a.DefineIndicatorSet,
    existing: IndicatorSet | None,
) -> Changed:
    if existing is None:
        return [IndicatorSet.define(command, world.now)]
    existing.revise(command, world.now)
    return [existing]


# -- campaigns ------------------------------------------------------------------------------


def _check_owner(world: World, args: a.CreateCampaign) -> None:
    """The owner is a registered unit, above every unit the campaign scores."""
    if args.owner is None:
        return
    if world.unit(args.owner) is None:
        raise NotFoundError(
            f"unit {args.owner} is not registered", code="unknown_unit", field="command.args.owner"
        )
    outside = units_outside(args.owner, args.units, LiveFacts(world))
    if outside:
        raise DomainError(
            f"unit(s) {', '.join(outside)} do not lie under {args.owner}, which runs the "
            "campaign: an authority scores only the units under it",
            code="outside_authority",
            field="command.args.units",
        )


def create_campaign(
    world: World, command: SignedCommand, args: a.CreateCampaign, existing: Campaign | None
) -> Changed:
    if existing is not None:
        raise DomainError(
            f"campaign {args.code} already exists",
            code="campaign_exists",
            field="command.args.code",
        )
    indicator_set: IndicatorSet | None = world.for_change(
        indicator_set_id(args.indicator_set, args.indicator_set_version)
    )
    if indicator_set is None:
        raise NotFoundError(
            f"indicator set {args.indicator_set} version {args.indicator_set_version} "
            "is not defined",
            field="command.args.indicator_set",
        )
    units = {code: world.unit(code) for code in args.units}
    missing = [code for code, unit in units.items() if unit is None]
    if missing:
        raise NotFoundError(
            f"unit(s) not registered: {', '.join(missing)}",
            code="unknown_unit",
            field="command.args.units",
        )
    _check_owner(world, args)
    tree = indicator_set.tree
    empty = sorted({u.kind for u in units.values() if u and not tree.applicable_leaves(u.kind)})
    if empty:
        raise DomainError(
            f"no criterion of {tree.code} v{tree.version} applies to unit kind(s) "
            f"{', '.join(empty)}",
            code="not_applicable",
            field="command.args.units",
        )
    campaign = Campaign.create(command, world.now)
    freeze = {"code": tree.code, "version": tree.version, "campaign": args.code}
    indicator_set.freeze(world.system_command("freeze_indicator_set", freeze), world.now)
    cards = [
        Scorecard.open_for(
            world.system_command(
                "open_scorecard",
                {
                    "campaign": args.code,
                    "unit": code,
                    "unit_kind": unit.kind,
                    "indicator_set": tree.code,
                    "indicator_set_version": tree.version,
                },
            ),
            world.now,
        )
        for code, unit in units.items()
        if unit is not None
    ]
    return [campaign, indicator_set, *cards]


def _campaign(world: World, existing: Campaign | None, code: str) -> Campaign:
    if existing is None:
        raise NotFoundError(
            f"campaign {code} does not exist",
            code="unknown_campaign",
            field="command.args.campaign",
        )
    return existing


def finalise_campaign(
    world: World, command: SignedCommand, args: a.FinaliseCampaign, existing: Campaign | None
) -> Changed:
    campaign = _campaign(world, existing, args.campaign)
    tree = world.tree(campaign.indicator_set, campaign.indicator_set_version)
    unsettled = []
    for unit in campaign.units:
        card = world.scorecard(campaign.code, unit)
        missing = card.unsettled(tree) if card is not None else ["(no scorecard)"]
        if missing:
            unsettled.append(f"{unit}: {', '.join(missing)}")
    campaign.finalise(command, world.now, unsettled)
    return [campaign]


def publish_results(
    world: World, command: SignedCommand, args: a.PublishResults, existing: Campaign | None
) -> Changed:
    campaign = _campaign(world, existing, args.campaign)
    campaign.check_publishable()
    facts = world.publication_facts(
        campaign.code, lambda digest: campaign.check_table(args.table_sha256, digest)
    )
    facts = replace(facts, heads=publication_heads(world, campaign))
    campaign.publish(command, facts, world.now)
    return [campaign]


def publication_heads(world: World, campaign: Campaign) -> list[dict[str, Any]]:
    """The head of every aggregate the campaign's table depends on, as the ledger stands
    when its publication is recorded (ledger.domain.disclosure.input_ids), and of every
    survey whose batches gave a card its points."""
    found = []
    surveys: set[str] = set()
    authorities = lineage(LiveFacts(world), campaign.owner) if campaign.owner else []
    for kind, aggregate_id in input_ids(
        campaign.code,
        campaign.units,
        campaign.indicator_set,
        campaign.indicator_set_version,
        authorities,
    ):
        aggregate = campaign if kind == "Campaign" else world.for_change(aggregate_id)
        if isinstance(aggregate, IndicatorSet):
            found.append(head(kind, aggregate_id, *aggregate.definition_head))
        elif aggregate is not None:
            found.append(head(kind, aggregate_id, aggregate.version, aggregate.last_hash))
        if isinstance(aggregate, Scorecard):
            surveys |= {e.survey for e in aggregate.entries.values() if e.survey}
    for code in sorted(surveys):
        survey = world.survey(code)
        if survey is not None:
            found.append(head("Survey", survey_id(code), survey.version, survey.last_hash))
    return sorted(found, key=heads_order)


# -- scorecards -----------------------------------------------------------------------------


def context(world: World, card: Scorecard) -> Context:
    campaign = world.campaign(card.campaign)
    assert campaign is not None
    return Context(world.tree(card.indicator_set, card.indicator_set_version), campaign, world.now)


def lock_if_due(world: World, card: Scorecard, ctx: Context) -> bool:
    """Lock a scorecard whose self-assessment closed unsubmitted (the lock is saved with
    whatever is saved next with the card, or by a tick)."""
    if not card.lock_due(ctx):
        return False
    deadline = format_time(ctx.milestone("self_assessment_closes"))
    args = {"campaign": card.campaign, "unit": card.unit, "deadline": deadline}
    lock(card, world.system_command("lock_scorecard", args), ctx)
    return True


def scorecard(
    act: Callable[[Scorecard, SignedCommand, A, Context], None],
) -> Callable[[World, SignedCommand, A, Scorecard | None], Changed]:
    """The handler of a scorecard command: the card, locked first if its self-assessment
    closed unsubmitted (ADR 10: the lock is recorded with the command, or not at all), then
    the act."""

    def handle(world: World, command: SignedCommand, args: A, card: Scorecard | None) -> Changed:
        if card is None:
            campaign: str = command.args["campaign"]
            if world.campaign(campaign) is None:
                raise NotFoundError(
                    f"campaign {campaign} does not exist",
                    code="unknown_campaign",
                    field="command.args.campaign",
                )
            raise NotFoundError(
                f"unit {command.args['unit']} takes no part in campaign {campaign}",
                code="unknown_scorecard",
                field="command.args.unit",
            )
        ctx = context(world, card)
        lock_if_due(world, card, ctx)
        act(card, command, args, ctx)
        return [card]

    return handle


def check_evidence_file(found: EvidenceFile | None, args: a.AttachEvidence) -> None:
    """The file the command names was uploaded, with the size and type it says."""
    if found is None:
        raise NotFoundError(
            f"no evidence file {args.sha256} has been uploaded; upload the file before "
            "attaching it",
            code="evidence_missing",
            field="command.args.sha256",
        )
    if found.size != args.size:
        raise ValidationError(
            f"the uploaded file has {found.size} bytes, the command says {args.size}",
            code="evidence_size_mismatch",
            field="command.args.size",
        )
    if found.media_type is None:
        raise ValidationError(
            "the uploaded file is not a PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS document",
            code="unsupported_media_type",
            field="command.args.sha256",
        )
    if found.media_type != args.media_type:
        raise ValidationError(
            f"the uploaded file is {found.media_type}, the command says {args.media_type}",
            code="evidence_media_type_mismatch",
            field="command.args.media_type",
        )


def attach_evidence(
    act: Callable[[Scorecard, SignedCommand, a.AttachEvidence, Context], None],
) -> Callable[[World, SignedCommand, a.AttachEvidence, Scorecard | None], Changed]:
    inner = scorecard(act)

    def handle(
        world: World, command: SignedCommand, args: a.AttachEvidence, card: Scorecard | None
    ) -> Changed:
        check_evidence_file(world.evidence_file(args.sha256), args)
        return inner(world, command, args, card)

    return handle


Handler = Callable[[World, SignedCommand, Any, Any], Changed]
