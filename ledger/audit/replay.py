"""What a run of the log's events gives, rebuilt from the events alone, with every member the
ledger derived checked against the domain's own derivations (ledger.domain.derivations).

:class:`Registries` replays the events that are not scorecards': the key registry and the
units at every point, the indicator sets, the campaigns and their publications.
:class:`CardReplay` replays the scorecards of every campaign, and keeps what each
publication's table needs at the publication's tree size. The offline verifier runs them
over a bundle, ``parledger verify`` over the store, and the bundle writer uses them to
describe the key registry's history and the evidence. Nothing here raises on what the
events hold: what cannot be replayed is a problem, in words."""

from __future__ import annotations

import copy
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.audit.bundle_format import BadLeaf, read_leaf
from ledger.audit.event_checks import EventFacts
from ledger.domain.campaign import Campaign, PublicationFacts
from ledger.domain.derivations import (
    CardContext,
    differences,
    key_registry_members,
    publication_members,
    scorecard_members,
)
from ledger.domain.indicators import IndicatorTree, build_tree
from ledger.domain.keyring import KeyTimeline
from ledger.domain.results import CardScores, result_table, table_sha256
from ledger.domain.scopes import (
    CampaignFacts,
    facts_of_campaign,
    lineage,
    units_outside,
)
from ledger.domain.scorecard import Scorecard
from ledger.domain.survey import Survey, batch_members
from ledger.domain.unit import UnitRecord


def _failed(error: Exception) -> str:
    return f"it cannot be replayed ({type(error).__name__}: {error})"


def signed_args(event: EventFacts) -> dict[str, Any]:
    command = event.command.get("command")
    args = command.get("args") if isinstance(command, dict) else None
    return args if isinstance(args, dict) else {}


@dataclass
class UnitTimeline:
    """Every unit as it stood at every point of the log."""

    _indices: dict[str, list[int]] = field(default_factory=dict)
    _records: dict[str, list[UnitRecord]] = field(default_factory=dict)

    def apply(self, index: int, body: dict[str, Any]) -> None:
        record = UnitRecord.of(body)
        self._indices.setdefault(record.code, []).append(index)
        self._records.setdefault(record.code, []).append(record)

    def record_at(self, code: str, index: int) -> UnitRecord | None:
        """The unit as registered or updated before leaf ``index``."""
        indices = self._indices.get(code)
        position = bisect_left(indices, index) if indices else 0
        return self._records[code][position - 1] if position else None

    def at(self, index: int) -> dict[str, UnitRecord]:
        """The units as registered or updated before leaf ``index``."""
        found = {}
        for code, indices in self._indices.items():
            position = bisect_left(indices, index)
            if position:
                found[code] = self._records[code][position - 1]
        return found


@dataclass
class Publication:
    """A ``ResultsPublished`` event, and the campaign as it stood just before it."""

    index: int
    event: EventFacts
    campaign_before: Campaign
    # the campaign's owner and the units above it, as they stood (FORMATS §6)
    authorities: list[str] = field(default_factory=list)

    @property
    def campaign(self) -> str:
        return str(self.event.body.get("campaign"))

    @property
    def tree_size(self) -> Any:
        return self.event.body.get("tree_size")


@dataclass
class Registries:
    """Units, indicator sets, campaigns and publications as the events leave them, and the
    key registry and the units at every point."""

    keys: KeyTimeline = field(default_factory=KeyTimeline)
    units: UnitTimeline = field(default_factory=UnitTimeline)
    definitions: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    frozen: set[tuple[str, int]] = field(default_factory=set)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    finalised: dict[str, int] = field(default_factory=dict)
    publications: list[Publication] = field(default_factory=list)
    ledger: str | None = None
    surveys: dict[str, Survey] = field(default_factory=dict)
    # each batch's results, by survey and file hash: what the points on the cards must be
    survey_results: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # each survey's campaign as its definitions named it, with their indices
    _trees: dict[tuple[str, int], IndicatorTree] = field(default_factory=dict)

    def apply(self, index: int, event: EventFacts) -> list[str]:
        """Apply one event that is not a scorecard's; what is wrong with its body."""
        try:
            return self._apply(index, event)
        except Exception as error:  # whatever a forged body holds is a finding
            return [_failed(error)]

    def _apply(self, index: int, event: EventFacts) -> list[str]:
        body, kind, args = event.body, event.event_type, signed_args(event)
        derived: dict[str, Any] = {}
        found: list[str] = []
        if event.aggregate_type == "KeyRegistry":
            ledger = str(event.command["command"]["ledger"])
            derived = key_registry_members(kind, args, ledger)
            if kind == "LedgerInitialised" and self.ledger is None:
                self.ledger = body["ledger"]
            self.keys.apply(index, kind, body, event.recorded_at)
        elif event.aggregate_type == "Unit":
            self.units.apply(index, body)
        elif event.aggregate_type == "IndicatorSet":
            key = (body["code"], body["version"])
            if kind == "IndicatorSetFrozen":
                self.frozen.add(key)
            elif key in self.frozen:
                found.append(f"it revises indicator set {key[0]} v{key[1]}, frozen by a campaign")
            else:
                self.definitions[key] = body
                self._trees.pop(key, None)
        elif event.aggregate_type == "Campaign":
            return self._campaign_event(index, event)
        elif event.aggregate_type == "Survey":
            return self._survey_event(event)
        return found + differences(body, args, derived)

    def _survey_event(self, event: EventFacts) -> list[str]:
        """A survey's definition, and each batch's results recomputed from the tallies."""
        body, kind, args = event.body, event.event_type, signed_args(event)
        found: list[str] = []
        derived: dict[str, Any] = {}
        if kind == "SurveyDefined":
            survey = self.surveys[body["code"]] = Survey.blank()
        else:
            survey = self.surveys[body.get("code") or body["survey"]]
        if kind == "SurveyRevised" and survey.batches:
            found.append(f"it revises survey {survey.code}, frozen by its recorded answers")
        if kind == "SurveyBatchImported":
            if args.get("campaign") != survey.campaign:
                found.append(
                    f"it names campaign {args.get('campaign')}, but survey {survey.code} "
                    f"belongs to campaign {survey.campaign}"
                )
            campaign = self.campaigns[survey.campaign]
            tree = self.tree(campaign.indicator_set, campaign.indicator_set_version)
            signer = str(event.command["command"]["key_id"])
            derived = batch_members(survey, args, signer, tree)
            self.survey_results[(survey.code, body["file_sha256"])] = derived["results"]
        survey.when(kind, body, event.recorded_at)
        return found + differences(body, args, derived)

    def survey_points_problems(self, args: Mapping[str, Any]) -> list[str]:
        """Points a survey batch put on a card are the points its results give."""
        results = self.survey_results.get((args["survey"], args["file_sha256"]))
        if results is None:
            return [
                f"it names batch {args['file_sha256']} of survey {args['survey']}, "
                "which no earlier event records"
            ]
        due = results["units"].get(args["unit"], {}).get("points", {}).get(args["criterion"])
        if due != args["points"]:
            return [
                f"criterion {args['criterion']}: it records {args['points']} points from "
                f"survey {args['survey']}, whose tallies give {due}"
            ]
        return []

    def _campaign_event(self, index: int, event: EventFacts) -> list[str]:
        body, kind = event.body, event.event_type
        found: list[str] = []
        if kind == "CampaignCreated":
            code = body["code"]
            if code in self.campaigns:
                return [f"campaign {code} is created again"]
            self.created[code] = index
            campaign = self.campaigns[code] = Campaign.blank()
            owner = body.get("owner")
            outside = units_outside(owner, body["units"], self.scope_facts(index)) if owner else []
            if outside:
                found.append(f"it scores unit(s) {', '.join(outside)}, not under its owner {owner}")
        else:
            code = body["campaign"]
            campaign = self.campaigns[code]
        if kind == "CampaignFinalised":
            self.finalised.setdefault(code, index)
        elif kind == "ResultsPublished":
            owner = campaign.owner
            authorities = lineage(self.scope_facts(index), owner) if owner else []
            self.publications.append(Publication(index, event, _snapshot(campaign), authorities))
        campaign.when(kind, body, event.recorded_at)
        # a publication's derived members need its table: checked with the scorecards
        if kind == "ResultsPublished":
            return found
        return found + differences(body, signed_args(event), {})

    def tree(self, code: str, version: int) -> IndicatorTree:
        key = (code, version)
        tree = self._trees.get(key)
        if tree is None:
            tree = self._trees[key] = build_tree(self.definitions[key])
        return tree

    def campaign_at(self, code: str, size: int) -> Campaign:
        """The campaign as the first ``size`` leaves leave it (its finalisation included only
        if it comes before)."""
        campaign = _snapshot(self.campaigns[code])
        if self.finalised.get(code, size) >= size:
            campaign.finalised_at = None
        return campaign

    def scope_facts(self, index: int) -> ScopeFactsAt:
        """The unit hierarchy and the campaigns as they stood before leaf ``index``: what
        the signer of that leaf is judged by."""
        return ScopeFactsAt(self, index)

    def sizes(self) -> dict[str, list[int]]:
        """The tree sizes at which each campaign's tables were published."""
        found: dict[str, list[int]] = {}
        for publication in self.publications:
            if type(publication.tree_size) is int:
                found.setdefault(publication.campaign, []).append(publication.tree_size)
        return {code: sorted(set(sizes)) for code, sizes in found.items()}


@dataclass(frozen=True)
class ScopeFactsAt:
    """:class:`ledger.domain.scopes.ScopeFacts` just before a leaf of the log."""

    registries: Registries
    index: int

    def parent_of(self, unit: str) -> str | None:
        record = self.registries.units.record_at(unit, self.index)
        return record.parent if record is not None else None

    def campaign_facts(self, code: str) -> CampaignFacts | None:
        created = self.registries.created.get(code)
        if created is None or created >= self.index:
            return None
        return facts_of_campaign(self.registries.campaigns[code])


def _snapshot(campaign: Campaign) -> Campaign:
    copied = copy.copy(campaign)
    copied.publications = list(campaign.publications)
    return copied


@dataclass
class CardSnapshot:
    """What a publication's table and bundle need of the scorecards at its tree size."""

    scores: dict[str, CardScores] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CardReplay:
    """The scorecards of every campaign, every derived member checked; snapshots of them at
    the sizes ``sizes`` names per campaign."""

    registries: Registries
    sizes: Mapping[str, list[int]] = field(default_factory=dict)
    cards: dict[tuple[str, str], Scorecard] = field(default_factory=dict)
    opened: dict[tuple[str, str], int] = field(default_factory=dict)
    snapshots: dict[tuple[str, int], CardSnapshot] = field(default_factory=dict)
    _pending: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._pending = {code: list(sizes) for code, sizes in self.sizes.items()}

    def apply(self, index: int, event: EventFacts) -> list[str]:
        """Apply one scorecard event; what its rules and derivations do not give."""
        campaign = str(event.body.get("campaign"))
        self._snapshot_before(campaign, index)
        try:
            return self._apply(index, event)
        except Exception as error:  # whatever a forged body holds is a finding
            return [_failed(error)]

    def _apply(self, index: int, event: EventFacts) -> list[str]:
        body, kind = event.body, event.event_type
        key = (body["campaign"], body["unit"])
        if kind == "ScorecardOpened":
            found = self._opened(index, body)
            self.cards[key] = card = Scorecard.blank()
            self.opened.setdefault(key, index)
            found += differences(body, signed_args(event), {})
        else:
            card = self.cards[key]
            campaign = self.registries.campaigns[key[0]]
            context = CardContext(self._tree(card), campaign, event.recorded_at)
            signer = str(event.command["command"]["key_id"])
            derived = scorecard_members(card, kind, signed_args(event), signer, context)
            found = differences(body, signed_args(event), derived)
            if event.command["command"].get("type") == "record_survey_points":
                found += self.registries.survey_points_problems(signed_args(event))
        card.when(kind, body, event.recorded_at)
        return found

    def _opened(self, index: int, body: dict[str, Any]) -> list[str]:
        """A scorecard is opened once, after its campaign is created, for one of its units,
        on the campaign's set, with the unit's kind."""
        code = body["campaign"]
        campaign = self.registries.campaigns.get(code)
        if campaign is None or self.registries.created.get(code, index) >= index:
            return [f"it opens a scorecard of campaign {code}, which no earlier event creates"]
        found = []
        if body["unit"] not in campaign.units:
            found.append(f"unit {body['unit']} is not one of the campaign's units")
        if (body["indicator_set"], body["indicator_set_version"]) != (
            campaign.indicator_set,
            campaign.indicator_set_version,
        ):
            found.append("it opens the scorecard on another indicator set than the campaign's")
        registered = self.registries.units.at(index).get(body["unit"])
        if registered is not None and registered.kind != body["unit_kind"]:
            found.append(
                f"it gives unit {body['unit']} the kind {body['unit_kind']!r}, "
                f"registered as {registered.kind!r}"
            )
        if (code, body["unit"]) in self.cards:
            found.append(f"unit {body['unit']} already has a scorecard in this campaign")
        return found

    def _tree(self, card: Scorecard) -> IndicatorTree:
        return self.registries.tree(card.indicator_set, card.indicator_set_version)

    def _snapshot_before(self, campaign: str, index: int) -> None:
        pending = self._pending.get(campaign)
        while pending and pending[0] <= index:
            self._take(campaign, pending.pop(0))

    def finish(self) -> None:
        """Snapshot every size not passed yet (the log ends before them or at them)."""
        for campaign, pending in self._pending.items():
            while pending:
                self._take(campaign, pending.pop(0))

    def _take(self, campaign: str, size: int) -> None:
        snapshot = CardSnapshot()
        for (code, unit), card in self.cards.items():
            if code != campaign:
                continue
            try:
                snapshot.scores[unit] = CardScores.of(card, self._tree(card))
            except Exception:  # noqa: S112  (the table check names the unit that is missing)
                continue
            snapshot.evidence += evidence_of([card])
        self.snapshots[(campaign, size)] = snapshot


def table_at(
    registries: Registries, campaign: str, size: int, scores: Mapping[str, CardScores]
) -> dict[str, Any]:
    """The result table the first ``size`` leaves give for ``campaign``."""
    state = registries.campaign_at(campaign, size)
    tree = registries.tree(state.indicator_set, state.indicator_set_version)
    units = registries.units.at(size)
    return result_table(state, tree, [scores[u] for u in sorted(scores)], units)


def publication_problems(
    registries: Registries, publication: Publication, table: dict[str, Any]
) -> list[str]:
    """How a publication's body differs from its signed arguments and what its table, its
    place in the campaign and its checkpoint give."""
    body = publication.event.body
    facts = PublicationFacts(
        table_sha256=table_sha256(table),
        tree_size=body.get("tree_size", 0),
        root_hash=body.get("root_hash", ""),
        checkpoint=body.get("checkpoint", ""),
        units=len(table["units"]),
        # the heads are checked against the chains, by name (ledger.audit.bundle_heads)
        heads=body.get("heads", None),
    )
    derived = publication_members(publication.campaign_before, facts)
    return differences(body, signed_args(publication.event), derived)


def replay_log(leaves: Iterable[bytes]) -> tuple[Registries, CardReplay, list[tuple[int, str]]]:
    """Replay a whole log in order (one process): the registries, the scorecards with a
    snapshot at every publication's size, and the problems found, by leaf."""
    events: list[tuple[int, EventFacts]] = []
    registries = Registries()
    problems: list[tuple[int, str]] = []
    for index, data in enumerate(leaves):
        try:
            event, _ = read_leaf(data)
        except BadLeaf:
            continue
        if event.aggregate_type == "Scorecard":
            events.append((index, event))
        else:
            problems += ((index, p) for p in registries.apply(index, event))
    cards = CardReplay(registries, registries.sizes())
    for index, event in events:
        problems += ((index, p) for p in cards.apply(index, event))
    cards.finish()
    return registries, cards, problems


def key_history(keys: KeyTimeline) -> list[dict[str, Any]]:
    """Every key the registry ever held, as it stood last, with the leaves at which it was
    enrolled and revoked."""
    found = []
    for _, states in sorted(keys.history().items()):
        last = states[-1][1]
        revoked = next((index for index, record in states if record.revoked_at), None)
        found.append({**last.as_json(), "enrolled_leaf": states[0][0], "revoked_leaf": revoked})
    return found


def evidence_of(cards: Iterable[Scorecard]) -> list[dict[str, Any]]:
    """Every evidence file attached to the scorecards (and not removed)."""
    found = [
        {"unit": card.unit, "criterion": code, **file}
        for card in cards
        for code, entry in card.entries.items()
        for file in entry.evidence.values()
    ]
    return sorted(found, key=evidence_order)


def evidence_order(item: dict[str, Any]) -> tuple[str, str, str]:
    return (str(item.get("unit")), str(item.get("criterion")), str(item.get("sha256")))


def publication_facts(index: int, event: EventFacts) -> dict[str, Any]:
    """What a bundle's header says of its publication (docs/FORMATS.md §13)."""
    return {
        "leaf_index": index,
        "event_id": f"{event.aggregate_id}/{event.version}",
        "sequence": event.body.get("sequence"),
        "table_sha256": event.body.get("table_sha256"),
        "tree_size": event.body.get("tree_size"),
    }


def snapshot_at(
    leaves: Sequence[bytes], campaign: str, size: int
) -> tuple[Registries, CardSnapshot]:
    """The registries the whole log gives, and the campaign's scorecards as the first
    ``size`` leaves leave them."""
    registries, _, _ = replay_log(leaves)
    cards = CardReplay(registries, {campaign: [size]})
    for index, data in enumerate(leaves[:size]):
        try:
            event, _ = read_leaf(data)
        except BadLeaf:
            continue
        if event.aggregate_type == "Scorecard":
            cards.apply(index, event)
    cards.finish()
    return registries, cards.snapshots[(campaign, size)]
