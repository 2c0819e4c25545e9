"""What a run of the log's events gives, rebuilt from the events alone: the key registry at
every point, the units, the indicator sets, the campaigns, and the scorecards of one
campaign, with every member the ledger derived checked against the domain's rules.

The offline verifier rebuilds a publication's result table this way, and the bundle writer
describes the key registry's history and the evidence with the same code. Nothing here
raises on what the events hold: what cannot be replayed is a problem, in words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger.audit.bundle_format import BUNDLE_FORMAT, BadLeaf, Bundle, read_leaf
from ledger.audit.event_checks import EventFacts
from ledger.domain.campaign import Campaign
from ledger.domain.indicators import IndicatorTree, build_tree
from ledger.domain.keyring import KeyTimeline
from ledger.domain.points import plain
from ledger.domain.results import CardScores, UnitInfo, result_table
from ledger.domain.rules import compute
from ledger.domain.scorecard import Scorecard

SCORED = ("SelfScoreRecorded", "AppraisalRecorded", "AppraisalRevised")
# who acted, as the ledger writes it in the body: the signing key's id
SIGNER_MEMBER = {
    "AppraisalRecorded": "by",
    "ExplanationRequested": "by",
    "AppraisalConfirmed": "by",
    "AppraisalRevised": "by",
    "SelfAssessmentSubmitted": "submitted_by",
}


def new_card() -> Scorecard:
    card = Scorecard.__new__(Scorecard)
    Scorecard.__init__(card)
    return card


def new_campaign() -> Campaign:
    campaign = Campaign.__new__(Campaign)
    Campaign.__init__(campaign)
    return campaign


def _failed(error: Exception) -> str:
    return f"it cannot be replayed ({type(error).__name__}: {error})"


@dataclass
class Registries:
    """Units, indicator sets and campaigns as the events left them, and the key registry
    at every point."""

    keys: KeyTimeline = field(default_factory=KeyTimeline)
    units: dict[str, UnitInfo] = field(default_factory=dict)
    definitions: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    ledger: str | None = None
    _trees: dict[tuple[str, int], IndicatorTree] = field(default_factory=dict)

    def apply(self, index: int, event: EventFacts) -> list[str]:
        """Apply one event that is not a scorecard's; why it cannot be applied."""
        body = event.body
        try:
            if event.aggregate_type == "KeyRegistry":
                if event.event_type == "LedgerInitialised" and self.ledger is None:
                    self.ledger = body["ledger"]
                self.keys.apply(index, event.event_type, body, event.recorded_at)
            elif event.aggregate_type == "Unit":
                self.units[body["code"]] = UnitInfo(
                    body["name"], body.get("ranking_group") or body["kind"]
                )
            elif event.aggregate_type == "IndicatorSet" and event.event_type in (
                "IndicatorSetDefined",
                "IndicatorSetRevised",
            ):
                key = (body["code"], body["version"])
                self.definitions[key] = body
                self._trees.pop(key, None)
            elif event.aggregate_type == "Campaign":
                code = body["code"] if event.event_type == "CampaignCreated" else body["campaign"]
                campaign = self.campaigns.setdefault(code, new_campaign())
                campaign.when(event.event_type, body, event.recorded_at)
        except Exception as error:  # whatever a forged body holds is a finding
            return [_failed(error)]
        return []

    def tree(self, code: str, version: int) -> IndicatorTree:
        key = (code, version)
        tree = self._trees.get(key)
        if tree is None:
            tree = self._trees[key] = build_tree(self.definitions[key])
        return tree


@dataclass
class CardReplay:
    """The scorecards of one campaign, every derived member checked against the rules."""

    campaign: str
    registries: Registries
    cards: dict[str, Scorecard] = field(default_factory=dict)
    # points and percentage as the ledger writes them, by set, criterion and inputs, once
    # computed: many units answer alike
    _scores: dict[tuple[Any, ...], tuple[str, str | None]] = field(default_factory=dict)

    def _score(
        self, tree: IndicatorTree, code: str, inputs: dict[str, Any]
    ) -> tuple[str, str | None]:
        key = (tree.code, tree.version, code, *sorted(inputs.items()))
        score = self._scores.get(key)
        if score is None:
            leaf = tree.leaf(code)
            found = compute(leaf.code, leaf.rule, leaf.max_points, tree.precision, inputs)
            percent = None if found.percent is None else plain(found.percent)
            score = self._scores[key] = (plain(found.points), percent)
        return score

    def _tree(self, card: Scorecard) -> IndicatorTree:
        return self.registries.tree(card.indicator_set, card.indicator_set_version)

    def apply(self, event: EventFacts) -> list[str]:
        """Apply one scorecard event of the campaign; what its rules do not give."""
        body = event.body
        try:
            if event.event_type == "ScorecardOpened":
                found = self._opened(body)
                self.cards[body["unit"]] = new_card()
            else:
                found = self._check_derived(self.cards[body["unit"]], event)
            self.cards[body["unit"]].when(event.event_type, body, event.recorded_at)
        except Exception as error:  # whatever a forged body holds is a finding
            return [_failed(error)]
        return found

    def _opened(self, body: dict[str, Any]) -> list[str]:
        """A scorecard is opened for a unit of its campaign, on the campaign's set."""
        campaign = self.registries.campaigns.get(self.campaign)
        if campaign is None:
            return [f"it opens a scorecard of campaign {self.campaign}, which no event creates"]
        found = []
        if body["unit"] not in campaign.units:
            found.append(f"unit {body['unit']} is not one of the campaign's units")
        if (body["indicator_set"], body["indicator_set_version"]) != (
            campaign.indicator_set,
            campaign.indicator_set_version,
        ):
            found.append("it opens the scorecard on another indicator set than the campaign's")
        if body["unit"] in self.cards:
            found.append(f"unit {body['unit']} already has a scorecard in this campaign")
        return found

    def scores(self) -> tuple[dict[str, CardScores], list[str]]:
        """What the result table needs of each card, by unit, and the cards that cannot
        give it."""
        scores: dict[str, CardScores] = {}
        problems: list[str] = []
        for unit, card in self.cards.items():
            try:
                scores[unit] = CardScores.of(card, self._tree(card))
            except Exception as error:
                problems.append(f"the scorecard of unit {unit} cannot be totalled ({error!r})")
        return scores, problems

    def _check_derived(self, card: Scorecard, event: EventFacts) -> list[str]:
        """The members the ledger derived for the event are what the rules give."""
        body, kind = event.body, event.event_type
        found: list[str] = []
        signer = SIGNER_MEMBER.get(kind)
        if signer is not None and body.get(signer) != event.command["command"]["key_id"]:
            found.append(f"its {signer!r} is not the key that signed it")
        tree = self._tree(card)
        if kind in SCORED:
            code = body["criterion"]
            points, percent = self._score(tree, code, body["inputs"])
            # the ledger writes decimals "plain" (docs/FORMATS.md §14): the same text
            if body.get("points") != points:
                found.append(
                    f"criterion {code}: it records {body.get('points')!r} points, but its "
                    f"rule gives {points} for the inputs {body['inputs']}"
                )
            if body.get("percent") != percent:
                found.append(
                    f"criterion {code}: it records the percentage {body.get('percent')!r}, "
                    f"the inputs give {percent}"
                )
        entry = card.entries.get(str(body.get("criterion")))
        if kind == "AppraisalRecorded":
            held = entry.self_points if entry is not None else None
            expected = plain(held or Decimal(0))
            if body.get("self_points") != expected:
                found.append(
                    f"it records the self-score {body.get('self_points')!r}, not {expected}"
                )
            unsupported = entry is None or entry.unsupported or entry.self_points is None
            if body.get("unsupported") is not unsupported:
                found.append(f"it records unsupported as {body.get('unsupported')!r}")
        elif kind in ("AppraisalConfirmed", "AppraisalRevised"):
            preliminary = None if entry is None or entry.preliminary is None else entry.preliminary
            kept = None if preliminary is None else plain(preliminary.points)
            if kept is None:
                found.append("it settles a criterion that had no preliminary appraisal")
            elif kind == "AppraisalConfirmed" and body.get("points") != kept:
                found.append(f"a confirmation keeps {kept}, not {body.get('points')!r}")
            elif kind == "AppraisalRevised" and body.get("preliminary_points") != kept:
                found.append("it names another preliminary score than the one recorded")
        elif kind == "SelfScoresAccepted":
            expected_accepted = {
                leaf.code: plain(card.entry(leaf.code).self_points or Decimal(0))
                for leaf in tree.applicable_leaves(card.unit_kind)
                if leaf.score_source == "appraisal"
                and card.entry(leaf.code).preliminary is None
                and card.entry(leaf.code).final is None
            }
            if body.get("accepted") != expected_accepted:
                found.append("the self-scores it accepts are not the ones no appraiser touched")
        elif kind == "ScoreCorrected":
            node = tree.leaf(body["criterion"])
            before = None if entry is None else entry.final_points(node.score_source)
            if body.get("previous_points") != (None if before is None else plain(before)):
                found.append(f"it names {body.get('previous_points')!r} as the previous score")
        elif kind == "AdjustmentRecorded":
            item = self.registries.campaigns[self.campaign].adjustments.get(body["code"])
            if item is None or body.get("kind") != item.kind:
                found.append(f"it records {body.get('kind')!r} for item {body['code']}")
        elif kind == "EvidenceAttached":
            closes = self.registries.campaigns[self.campaign].plan["self_assessment_closes"]
            supplementary = card.closed_for_unit or event.recorded_at >= closes
            if body.get("supplementary") is not supplementary:
                found.append(f"it records supplementary as {body.get('supplementary')!r}")
        return found


def replay_log(
    leaves: Iterable[bytes], campaign: str, table_size: int
) -> tuple[Registries, CardReplay]:
    """Replay a log's leaves in order: the registries as the whole log leaves them (the key
    registry at every point), and the campaign's scorecards up to leaf ``table_size``."""
    registries = Registries()
    cards = CardReplay(campaign, registries)
    for index, data in enumerate(leaves):
        try:
            event, _ = read_leaf(data)
        except BadLeaf:
            continue
        if event.aggregate_type == "Scorecard":
            if index < table_size and event.body.get("campaign") == campaign:
                cards.apply(event)
        elif index < table_size or event.aggregate_type == "KeyRegistry":
            registries.apply(index, event)
    return registries, cards


def table_of(
    registries: Registries, campaign_code: str, cards: Iterable[Scorecard | CardScores]
) -> dict[str, Any]:
    """The result table the replayed events give."""
    campaign = registries.campaigns[campaign_code]
    tree = registries.tree(campaign.indicator_set, campaign.indicator_set_version)
    return result_table(campaign, tree, cards, registries.units)


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


def make_bundle(
    *,
    ledger: str,
    campaign: str,
    checkpoint: str,
    leaves: Sequence[bytes],
    publication: int,
    results: dict[str, Any],
) -> Bundle:
    """A bundle of the log's first ``len(leaves)`` leaves (the checkpoint's size) for the
    publication at leaf ``publication``, whose published table is ``results``. The header
    describes the key registry's history and the evidence as the events give them."""
    event, _ = read_leaf(leaves[publication])
    registries, cards = replay_log(leaves, campaign, event.body["tree_size"])
    header = {
        "format": BUNDLE_FORMAT,
        "ledger": ledger,
        "campaign": campaign,
        "checkpoint": checkpoint,
        "publication": publication_facts(publication, event),
        "results": results,
        "keys": key_history(registries.keys),
        "evidence": evidence_of(cards.cards.values()),
    }
    return Bundle(header, list(leaves))


def publication_facts(index: int, event: EventFacts) -> dict[str, Any]:
    """What a bundle's header says of its publication (docs/FORMATS.md §13)."""
    return {
        "leaf_index": index,
        "event_id": f"{event.aggregate_id}/{event.version}",
        "sequence": event.body.get("sequence"),
        "table_sha256": event.body.get("table_sha256"),
        "tree_size": event.body.get("tree_size"),
    }
