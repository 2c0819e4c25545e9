"""What a run of the log's events gives, rebuilt from the events alone: the key registry at
every point, the units, the indicator sets, the campaigns, and the scorecards of one
campaign with every score recomputed by its scoring rule.

The offline verifier rebuilds a publication's result table this way, and the bundle writer
describes the key registry's history and the evidence with the same code."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.domain.campaign import Campaign
from ledger.domain.indicators import IndicatorTree, build_tree
from ledger.domain.keyring import KeyTimeline
from ledger.domain.points import plain
from ledger.domain.results import CardScores, UnitInfo, result_table
from ledger.domain.rules import compute
from ledger.domain.scorecard import Scorecard
from ledger.errors import LedgerError
from ledger.verification import EventFacts

SCORED = ("SelfScoreRecorded", "AppraisalRecorded", "AppraisalRevised")
# the scorecard events with members the ledger derives
DERIVING = frozenset({*SCORED, "AppraisalConfirmed", "SelfScoresAccepted", "ScoreCorrected"})


def new_card() -> Scorecard:
    card = Scorecard.__new__(Scorecard)
    Scorecard.__init__(card)
    return card


def new_campaign() -> Campaign:
    campaign = Campaign.__new__(Campaign)
    Campaign.__init__(campaign)
    return campaign


@dataclass
class Registries:
    """Units, indicator sets and campaigns as the events left them, and the key registry
    at every point."""

    keys: KeyTimeline = field(default_factory=KeyTimeline)
    units: dict[str, UnitInfo] = field(default_factory=dict)
    definitions: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    _trees: dict[tuple[str, int], IndicatorTree] = field(default_factory=dict)

    def apply(self, index: int, event: EventFacts) -> Iterator[str]:
        """Apply one event that is not a scorecard's; yield why it cannot be applied."""
        body = event.body
        try:
            if event.aggregate_type == "KeyRegistry":
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
        except (LedgerError, KeyError, TypeError, ValueError) as error:
            yield f"it cannot be replayed ({type(error).__name__}: {error})"

    def tree(self, code: str, version: int) -> IndicatorTree:
        key = (code, version)
        tree = self._trees.get(key)
        if tree is None:
            tree = self._trees[key] = build_tree(self.definitions[key])
        return tree


@dataclass
class CardReplay:
    """The scorecards of one campaign, every recorded score checked against its rule."""

    campaign: str
    definitions: dict[tuple[str, int], dict[str, Any]]
    cards: dict[str, Scorecard] = field(default_factory=dict)
    _trees: dict[tuple[str, int], IndicatorTree] = field(default_factory=dict)
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
        key = (card.indicator_set, card.indicator_set_version)
        tree = self._trees.get(key)
        if tree is None:
            tree = self._trees[key] = build_tree(self.definitions[key])
        return tree

    def apply(self, event: EventFacts) -> list[str]:
        """Apply one scorecard event of the campaign; what its rules do not give."""
        body = event.body
        found: list[str] = []
        try:
            if event.event_type == "ScorecardOpened":
                card = self.cards[body["unit"]] = new_card()
            else:
                card = self.cards[body["unit"]]
                if event.event_type in DERIVING:
                    found += self._check_derived(card, event)
            card.when(event.event_type, body, event.recorded_at)
        except (LedgerError, KeyError, TypeError, ValueError, InvalidOperation) as error:
            found.append(f"it cannot be replayed ({type(error).__name__}: {error})")
        return found

    def scores(self) -> dict[str, CardScores]:
        """What the result table needs of each card, by unit."""
        return {unit: CardScores.of(card, self._tree(card)) for unit, card in self.cards.items()}

    def _check_derived(self, card: Scorecard, event: EventFacts) -> Iterator[str]:
        """The members the ledger derived for the event are what its rules give."""
        body, kind = event.body, event.event_type
        tree = self._tree(card)
        if kind in SCORED:
            code = body["criterion"]
            points, percent = self._score(tree, code, body["inputs"])
            # the ledger writes decimals "plain" (docs/FORMATS.md §12.1): the same text
            if body.get("points") != points:
                yield (
                    f"criterion {code}: it records {body.get('points')!r} points, but its "
                    f"rule gives {points} for the inputs {body['inputs']}"
                )
            if body.get("percent") != percent:
                yield (
                    f"criterion {code}: it records the percentage {body.get('percent')!r}, "
                    f"the inputs give {percent}"
                )
        entry = card.entries.get(str(body.get("criterion")))
        if kind == "AppraisalRecorded":
            expected = plain(entry.self_points if entry and entry.self_points else Decimal(0))
            if body.get("self_points") != expected:
                yield f"it records the self-score {body.get('self_points')!r}, not {expected}"
        elif kind in ("AppraisalConfirmed", "AppraisalRevised"):
            preliminary = None if entry is None or entry.preliminary is None else entry.preliminary
            kept = None if preliminary is None else plain(preliminary.points)
            if kept is None:
                yield "it settles a criterion that had no preliminary appraisal"
            elif kind == "AppraisalConfirmed" and body.get("points") != kept:
                yield f"a confirmation keeps {kept}, not {body.get('points')!r}"
            elif kind == "AppraisalRevised" and body.get("preliminary_points") != kept:
                yield "it names another preliminary score than the one recorded"
        elif kind == "SelfScoresAccepted":
            expected_accepted = {
                leaf.code: plain(card.entry(leaf.code).self_points or Decimal(0))
                for leaf in tree.applicable_leaves(card.unit_kind)
                if leaf.score_source == "appraisal"
                and card.entry(leaf.code).preliminary is None
                and card.entry(leaf.code).final is None
            }
            if body.get("accepted") != expected_accepted:
                yield "the self-scores it accepts are not the ones no appraiser touched"
        elif kind == "ScoreCorrected":
            node = tree.leaf(body["criterion"])
            before = None if entry is None else entry.final_points(node.score_source)
            if body.get("previous_points") != (None if before is None else plain(before)):
                yield f"it names {body.get('previous_points')!r} as the previous score"


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
    return sorted(found, key=lambda f: (f["unit"], f["criterion"], f["sha256"]))
