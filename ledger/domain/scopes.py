"""Scoped appointments: which campaigns a grant reaches, by the scoring authority that runs
each campaign and the unit hierarchy (docs/FORMATS.md §6, ADR 14).

A campaign belongs to its owner, the scoring authority named when it was created. A grant
of an authority role (secretariat, publisher, survey_body, inspector, appraiser) names the
authority it serves, optionally a year, or (appraiser) the campaigns themselves. An
authority reaches the campaigns of its own unit and of every unit under it: scopes follow
the hierarchy downward, never upward or sideways. A grant recorded without an authority or
campaigns, as every grant was before scoped appointments, serves the whole ledger, and a
campaign created without an owner belongs to the whole ledger: only such a grant reaches it.

The server, the read routes and the offline verifier all ask :func:`reaches`, each through
its own :class:`ScopeFacts`: the aggregates as they stand, or the log's events replayed
up to the event judged."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ledger.domain.keyring import AUTHORITY_ROLES, Grant, KeyRecord

WHOLE_LEDGER = "the whole ledger"
# longer chains of parents than this are a loop in a forged registry
MAX_DEPTH = 64


@dataclass(frozen=True)
class CampaignFacts:
    """What a scope is matched against: the campaign, its owner (None: the whole ledger),
    its year and the units it scores."""

    code: str
    owner: str | None
    year: int | None
    # the campaign's own list, not copied: only reads ask it
    units: Collection[str] = ()

    def describe(self) -> str:
        owner = f"run by {self.owner}" if self.owner else "run for the whole ledger"
        year = f", {self.year}" if self.year is not None else ""
        return f"campaign {self.code} ({owner}{year})"


class ScopeFacts(Protocol):
    """What scopes read of a ledger: the unit above a unit, and a campaign's facts."""

    def parent_of(self, unit: str) -> str | None: ...

    def campaign_facts(self, code: str) -> CampaignFacts | None: ...


class _Unit(Protocol):
    @property
    def parent(self) -> str | None: ...


class _Campaign(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def year(self) -> int: ...

    @property
    def owner(self) -> str | None: ...

    @property
    def units(self) -> list[str]: ...


class Aggregates(Protocol):
    """The units and campaigns as they stand (the handlers' World, or the Ledger)."""

    def unit(self, code: str) -> Any: ...

    def campaign(self, code: str) -> Any: ...


def facts_of_campaign(campaign: _Campaign) -> CampaignFacts:
    return CampaignFacts(campaign.code, campaign.owner, campaign.year, campaign.units)


@dataclass(frozen=True)
class LiveFacts:
    """The facts from the aggregates as they stand: what the server and the reads use."""

    source: Aggregates

    def parent_of(self, unit: str) -> str | None:
        found: _Unit | None = self.source.unit(unit)
        return found.parent if found is not None else None

    def campaign_facts(self, code: str) -> CampaignFacts | None:
        found: _Campaign | None = self.source.campaign(code)
        return facts_of_campaign(found) if found is not None else None


@dataclass
class RunningFacts:
    """The facts from the events applied so far, in log order: what ``parledger verify``
    judges each event by."""

    parents: dict[str, str | None] = field(default_factory=dict)
    campaigns: dict[str, CampaignFacts] = field(default_factory=dict)

    def apply(self, event_type: str, body: Mapping[str, Any]) -> None:
        if event_type in ("UnitRegistered", "UnitUpdated"):
            self.parents[str(body["code"])] = body.get("parent")
        elif event_type == "CampaignCreated" and body["code"] not in self.campaigns:
            self.campaigns[body["code"]] = created_campaign(body)

    def parent_of(self, unit: str) -> str | None:
        return self.parents.get(unit)

    def campaign_facts(self, code: str) -> CampaignFacts | None:
        return self.campaigns.get(code)


def created_campaign(args: Mapping[str, Any]) -> CampaignFacts:
    """The facts of a campaign from its creation's arguments (or recorded body)."""
    year = args.get("year")
    return CampaignFacts(
        str(args["code"]),
        args.get("owner"),
        year if isinstance(year, int) else None,
        [str(u) for u in args.get("units") or ()],
    )


def lineage(facts: ScopeFacts, unit: str) -> list[str]:
    """The unit and every unit above it, nearest first."""
    chain = [unit]
    while len(chain) <= MAX_DEPTH:
        parent = facts.parent_of(chain[-1])
        if parent is None or parent in chain:
            break
        chain.append(parent)
    return chain


def units_outside(owner: str, units: list[str], facts: ScopeFacts) -> list[str]:
    """The units of a campaign that do not lie strictly below its owner."""
    return [code for code in units if owner not in lineage(facts, code)[1:]]


def is_legacy(grant: Grant) -> bool:
    """A grant that names no authority and no campaign: it serves the whole ledger."""
    return grant.authority is None and not grant.campaigns


def reaches(grant: Grant, campaign: CampaignFacts | None, facts: ScopeFacts) -> bool:
    """Whether a grant in force reaches ``campaign`` (None: a command that is not about a
    campaign, which every authority's grant reaches)."""
    if not grant.active:
        return False
    if grant.role not in AUTHORITY_ROLES or is_legacy(grant) or campaign is None:
        return True
    if grant.campaigns:
        return campaign.code in grant.campaigns
    if grant.year is not None and grant.year != campaign.year:
        return False
    return campaign.owner is not None and grant.authority in lineage(facts, campaign.owner)


def campaign_of(name: str, args: Mapping[str, Any], facts: ScopeFacts) -> CampaignFacts | None:
    """The campaign a command acts in: the one it creates, the one it names (a campaign
    not recorded belongs to no authority), or None for a command outside any campaign."""
    if name == "create_campaign":
        return created_campaign(args)
    code = args.get("campaign")
    if not isinstance(code, str):
        return None
    return facts.campaign_facts(code) or CampaignFacts(code, None, None)


def describe_grant(grant: Grant) -> str:
    """A grant in words: "appraiser for criteria 1, 4 of authority HK in 2024"."""
    words = grant.role
    if grant.scope:
        words += f" for {grant.scope_kind} {', '.join(grant.scope)}"
    if grant.role in AUTHORITY_ROLES:
        if grant.campaigns:
            words += f" in campaign(s) {', '.join(grant.campaigns)}"
        elif grant.authority is not None:
            words += f" of authority {grant.authority}"
            if grant.year is not None:
                words += f" in {grant.year}"
        else:
            words += f" for {WHOLE_LEDGER}"
    if grant.ended_at is not None:
        words += f" (ended: {grant.end_reason})"
    return words


def held_grants(signer: KeyRecord) -> str:
    """A key's grants in words, separated by semicolons."""
    if not signer.grants:
        return "no role"
    return "; ".join(describe_grant(grant) for grant in signer.grants)


def needed_scope(campaign: CampaignFacts | None) -> str:
    """The scope a command in ``campaign`` needs of an authority role, in words."""
    if campaign is None:
        return ""
    if campaign.owner is None:
        return f" in {campaign.describe()}, which only a grant for {WHOLE_LEDGER} reaches"
    year = f" (for every year or for {campaign.year})" if campaign.year is not None else ""
    return (
        f" in {campaign.describe()}: a grant of authority {campaign.owner} or of a unit "
        f"above it{year}, or one naming the campaign"
    )


def may_read(reader: KeyRecord, campaign: CampaignFacts, facts: ScopeFacts) -> bool:
    """Whether a key may read a campaign: the administrator and the server always; a grant
    of an authority role that reaches it; a unit's grant for a unit the campaign scores."""
    for grant in reader.grants:
        if not grant.active:
            continue
        if grant.role in ("administrator", "system"):
            return True
        if grant.role in AUTHORITY_ROLES and reaches(grant, campaign, facts):
            return True
        if grant.role in ("unit_staff", "unit_head"):
            scope = set(grant.scope)
            if any(unit in scope for unit in campaign.units):
                return True
    return False
