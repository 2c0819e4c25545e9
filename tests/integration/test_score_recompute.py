"""Scores recorded through the ledger, on SQLite and PostgreSQL, read back from the store.

The oracle is literal: at the boundaries of every rule kind (each tier bound inclusive and
exclusive, rounding at .005 of the percentage and of the points, a deduction's floor at 0,
a free score's step and maximum, a zero denominator) the recorded points and percentage
are the values written in this file, worked out by hand from docs/FORMATS.md §8.1, and
the refusals are the codes written here. A property then checks that every recorded
score recomputes from the inputs and the indicator set it records."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application.service import stored_events
from ledger.core.errors import LedgerError
from ledger.domain.indicators import IndicatorTree, build_tree
from ledger.domain.points import plain
from ledger.domain.rules import compute
from tests.world import World, build_world, schedule

SET_CODE = "R-SET"
UNIT = "D1"

TIERS = {
    "kind": "tiers",
    "tiers": [
        {"min": "100", "points": "1"},
        {"min": "80", "max": "100", "max_inclusive": False, "points": "0.5"},
        {"max": "80", "max_inclusive": False, "points": "0"},
    ],
}

# criterion -> (rule, maximum)
LEAVES: dict[str, tuple[dict[str, Any], str]] = {
    "1.1": ({**TIERS, "zero_denominator_points": "1"}, "1"),
    "1.2": ({"kind": "proportional"}, "5"),
    "1.3": ({"kind": "deduction", "per_occurrence": "0.25"}, "1"),
    "1.4": ({"kind": "all_or_nothing"}, "2"),
    "1.5": ({"kind": "free", "step": "0.25"}, "1.5"),
    "1.6": ({"kind": "proportional", "zero_denominator_points": "0.35"}, "0.7"),
    "1.7": (TIERS, "1"),
    "1.8": ({"kind": "free"}, "2"),
    "1.9": ({"kind": "proportional"}, "1"),
    "1.10": (
        {
            "kind": "tiers",
            "tiers": [
                {"min": "50", "min_inclusive": False, "points": "1"},
                {"max": "50", "points": "0.25"},
            ],
        },
        "1",
    ),
    "1.11": ({"kind": "free", "step": "0.25"}, "1.3"),
}

# campaign -> (set version, precision)
CAMPAIGNS = {"R2023": (2, 2), "R2023P3": (3, 3)}


def _definition(version: int, precision: int) -> dict[str, Any]:
    total = sum((Decimal(maximum) for _, maximum in LEAVES.values()), Decimal(0))
    nodes: list[dict[str, Any]] = [
        {"code": "1", "level": "area", "title": "Tính toán điểm", "max_points": plain(total)}
    ]
    for code, (rule, maximum) in LEAVES.items():
        nodes.append(
            {
                "code": code,
                "level": "criterion",
                "title": f"Tiêu chí {code}",
                "max_points": maximum,
                "score_source": "appraisal",
                "lead_agency": "Sở Nội vụ",
                "rule": rule,
            }
        )
    return {
        "code": SET_CODE,
        "version": version,
        "title": "Bộ chỉ số tính điểm",
        "precision": precision,
        "nodes": nodes,
    }


def _prepare(world: World) -> None:
    for campaign, (version, precision) in CAMPAIGNS.items():
        world.send(world.admin, "define_indicator_set", _definition(version, precision))
        world.send(
            world.admin,
            "create_campaign",
            {
                "code": campaign,
                "year": 2023,
                "title": f"Kỳ tính điểm {campaign}",
                "indicator_set": SET_CODE,
                "indicator_set_version": version,
                "units": [UNIT],
                "schedule": schedule(),
            },
        )


# -- inputs ---------------------------------------------------------------------------

fractions = st.integers(0, 10**7).flatmap(
    lambda denominator: st.tuples(st.integers(0, denominator), st.just(denominator))
)
small_fractions = st.integers(0, 40).flatmap(
    lambda denominator: st.tuples(st.integers(0, denominator), st.just(denominator))
)
any_counts = st.tuples(st.integers(-3, 10**6), st.integers(-3, 10**6))


def _decimal_text(units: int, scale: int) -> str:
    return f"{Decimal(units).scaleb(-scale):f}"


points_texts = st.one_of(
    st.builds(_decimal_text, st.integers(0, 200), st.just(2)),
    st.builds(lambda quarters: _decimal_text(quarters * 25, 2), st.integers(0, 8)),
    st.builds(_decimal_text, st.integers(0, 30000), st.integers(0, 4)),
    st.sampled_from(["0", "1", "1.5", "2", "0.75", "0.8", "1.25", "1.75", "2.01", "-1", "x"]),
)

count_inputs = st.one_of(fractions, small_fractions, any_counts).map(
    lambda pair: {"numerator": pair[0], "denominator": pair[1]}
)
deduction_inputs = st.fixed_dictionaries({"occurrences": st.integers(-2, 12)})
achieved_inputs = st.fixed_dictionaries({"achieved": st.one_of(st.booleans(), st.integers(0, 1))})
free_inputs = st.fixed_dictionaries({"points": points_texts})
mismatched_inputs = st.sampled_from(
    [
        {"numerator": 1},
        {"denominator": 4},
        {"points": "1", "numerator": 1, "denominator": 2},
        {"achieved": True, "occurrences": 1},
        {"count": 3},
    ]
)

INPUTS_BY_KIND = {
    "tiers": count_inputs,
    "proportional": count_inputs,
    "deduction": deduction_inputs,
    "all_or_nothing": achieved_inputs,
    "free": free_inputs,
}
ALL_INPUTS = st.one_of(*INPUTS_BY_KIND.values(), mismatched_inputs)


def _self_score(campaign: str, criterion: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "unit": UNIT,
        "criterion": criterion,
        "inputs": inputs,
        "explanation": "Tự đánh giá theo số liệu báo cáo",
    }


@st.composite
def self_scores(draw: st.DrawFn) -> dict[str, Any]:
    """One self-score, its inputs usually of the shape its leaf's rule takes."""
    campaign = draw(st.sampled_from(sorted(CAMPAIGNS)))
    criterion = draw(st.sampled_from(sorted(LEAVES)))
    kind = LEAVES[criterion][0]["kind"]
    inputs = draw(st.one_of(INPUTS_BY_KIND[kind], INPUTS_BY_KIND[kind], ALL_INPUTS))
    return _self_score(campaign, criterion, inputs)


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A self-score for every leaf of one campaign, then a few more anywhere, shuffled."""
    campaign = draw(st.sampled_from(sorted(CAMPAIGNS)))
    every_leaf = [
        _self_score(campaign, code, draw(INPUTS_BY_KIND[rule["kind"]], label=code))
        for code, (rule, _) in LEAVES.items()
    ]
    extra = draw(st.lists(self_scores(), max_size=3))
    return draw(st.permutations(every_leaf + extra))


# -- reading the store back -----------------------------------------------------------


def _stored_trees(world: World) -> dict[tuple[str, int], IndicatorTree]:
    """Every indicator set version as its stored definition builds it."""
    definitions: dict[tuple[str, int], dict[str, Any]] = {}
    for _, event in stored_events(world.ledger):
        if getattr(event, "event_type", None) in ("IndicatorSetDefined", "IndicatorSetRevised"):
            body = event.body  # type: ignore[union-attr]
            definitions[(body["code"], body["version"])] = body
    return {key: build_tree(definition) for key, definition in definitions.items()}


def _recorded_self_scores(world: World, after: int) -> list[tuple[int, dict[str, Any]]]:
    found = []
    for notification_id, event in stored_events(world.ledger):
        assert hasattr(event, "event_type"), f"undecodable stored event {event!r}"
        if notification_id > after and event.event_type == "SelfScoreRecorded":
            found.append((notification_id, event.body))
    return found


def _last_id(world: World) -> int:
    last = 0
    for notification_id, _ in stored_events(world.ledger):
        last = notification_id
    return last


def _assert_recomputes(
    world: World, body: dict[str, Any], stored: dict[tuple[str, int], IndicatorTree]
) -> None:
    campaign = world.ledger.campaign(body["campaign"])
    assert campaign is not None
    key = (campaign.indicator_set, campaign.indicator_set_version)
    assert key == (SET_CODE, CAMPAIGNS[body["campaign"]][0])
    tree = world.ledger.tree(*key)
    leaf = tree.leaf(body["criterion"])
    stored_leaf = stored[key].leaf(body["criterion"])
    assert stored_leaf.rule == leaf.rule
    assert stored_leaf.max_points == leaf.max_points
    assert stored[key].precision == tree.precision

    score = compute(leaf.code, leaf.rule, leaf.max_points, tree.precision, body["inputs"])
    again = compute(
        stored_leaf.code,
        stored_leaf.rule,
        stored_leaf.max_points,
        stored[key].precision,
        body["inputs"],
    )
    assert again == score

    assert body["points"] == plain(score.points)
    assert Decimal(body["points"]) == score.points
    assert 0 <= score.points <= leaf.max_points
    if score.percent is None:
        assert "percent" not in body
    else:
        assert body["percent"] == plain(score.percent)
        assert Decimal(body["percent"]) == score.percent
        assert 0 <= score.percent <= 100


def test_a_recorded_self_score_recomputes_from_its_recorded_inputs(
    database_url: str, tmp_path: Path
) -> None:
    world = build_world(database_url, tmp_path / "home")
    try:
        _prepare(world)
        staff = world.keys["staff"]
        stored = _stored_trees(world)
        assert set(stored) >= {(SET_CODE, v) for v, _ in CAMPAIGNS.values()}
        seen = _last_id(world)
        accepted: list[dict[str, Any]] = []
        refused: list[str] = []

        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(batch=batches())
        def check(batch: list[dict[str, Any]]) -> None:
            nonlocal seen
            sent = []
            for args in batch:
                try:
                    world.send(staff, "record_self_score", args)
                except LedgerError as error:
                    refused.append(error.code)
                    continue
                sent.append(args)
            recorded = _recorded_self_scores(world, seen)
            assert len(recorded) == len(sent)
            for (notification_id, body), args in zip(recorded, sent, strict=True):
                for name in ("campaign", "unit", "criterion", "inputs", "explanation"):
                    assert body[name] == args[name]
                _assert_recomputes(world, body, stored)
                seen = max(seen, notification_id)
            accepted.extend(sent)

        check()
        accepted_kinds = {LEAVES[args["criterion"]][0]["kind"] for args in accepted}
        assert accepted_kinds == set(INPUTS_BY_KIND), (accepted_kinds, refused)

        # Everything recorded, read back once more from the start of the log.
        everything = [body for _, body in _recorded_self_scores(world, 0)]
        mine = [body for body in everything if body["campaign"] in CAMPAIGNS]
        assert len(mine) == len(accepted)
        for body in everything:
            _assert_recomputes(world, body, stored)

        # The scorecards stand on the last recorded score of each leaf.
        last: dict[tuple[str, str], dict[str, Any]] = {}
        for body in mine:
            last[(body["campaign"], body["criterion"])] = body
        for (campaign, criterion), body in last.items():
            card = world.ledger.scorecard(campaign, UNIT)
            assert card is not None
            entry = card.entries[criterion]
            assert entry.self_points == Decimal(body["points"])
            assert entry.self_inputs == body["inputs"]
    finally:
        world.ledger.close()


# (campaign, criterion, inputs) -> (points, percent) as recorded; percent None: none recorded.
# R2023 has two decimal places, R2023P3 three.
BOUNDARIES: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    # tiers: 100 % | from 80 % to under 100 % | under 80 %, on the rounded percentage
    ("R2023", "1.7", {"numerator": 100, "denominator": 100}, "1", "100"),
    ("R2023", "1.7", {"numerator": 99999, "denominator": 100000}, "1", "100"),
    ("R2023", "1.7", {"numerator": 99994, "denominator": 100000}, "0.5", "99.99"),
    ("R2023", "1.7", {"numerator": 95, "denominator": 100}, "0.5", "95"),
    ("R2023", "1.7", {"numerator": 4, "denominator": 5}, "0.5", "80"),
    ("R2023", "1.7", {"numerator": 79995, "denominator": 100000}, "0.5", "80"),
    ("R2023", "1.7", {"numerator": 79994, "denominator": 100000}, "0", "79.99"),
    ("R2023", "1.7", {"numerator": 0, "denominator": 100}, "0", "0"),
    ("R2023P3", "1.7", {"numerator": 79995, "denominator": 100000}, "0", "79.995"),
    ("R2023P3", "1.7", {"numerator": 99999, "denominator": 100000}, "0.5", "99.999"),
    # tiers: above 50 % (exclusive minimum) | up to 50 % (inclusive maximum)
    ("R2023", "1.10", {"numerator": 1, "denominator": 2}, "0.25", "50"),
    ("R2023", "1.10", {"numerator": 5001, "denominator": 10000}, "1", "50.01"),
    ("R2023", "1.10", {"numerator": 50004, "denominator": 100000}, "0.25", "50"),
    ("R2023", "1.10", {"numerator": 50005, "denominator": 100000}, "1", "50.01"),
    # tiers with points for 0 of 0
    ("R2023", "1.1", {"numerator": 0, "denominator": 0}, "1", None),
    # proportional: the percentage is rounded half-up first, then the points
    ("R2023", "1.9", {"numerator": 1, "denominator": 8}, "0.13", "12.5"),
    ("R2023P3", "1.9", {"numerator": 1, "denominator": 8}, "0.125", "12.5"),
    ("R2023", "1.2", {"numerator": 2469, "denominator": 20000}, "0.62", "12.35"),
    ("R2023", "1.9", {"numerator": 2469, "denominator": 20000}, "0.12", "12.35"),
    ("R2023", "1.2", {"numerator": 1, "denominator": 3}, "1.67", "33.33"),
    ("R2023P3", "1.2", {"numerator": 1, "denominator": 3}, "1.667", "33.333"),
    ("R2023", "1.2", {"numerator": 7, "denominator": 7}, "5", "100"),
    ("R2023", "1.2", {"numerator": 0, "denominator": 7}, "0", "0"),
    ("R2023", "1.6", {"numerator": 0, "denominator": 0}, "0.35", None),
    # deduction: the maximum less each occurrence, never below 0
    ("R2023", "1.3", {"occurrences": 0}, "1", None),
    ("R2023", "1.3", {"occurrences": 3}, "0.25", None),
    ("R2023", "1.3", {"occurrences": 4}, "0", None),
    ("R2023", "1.3", {"occurrences": 5}, "0", None),
    ("R2023", "1.3", {"occurrences": 1000}, "0", None),
    # all or nothing
    ("R2023", "1.4", {"achieved": True}, "2", None),
    ("R2023", "1.4", {"achieved": False}, "0", None),
    # free, with a step: multiples of the step, and the maximum even when it is not one
    ("R2023", "1.5", {"points": "0"}, "0", None),
    ("R2023", "1.5", {"points": "1.25"}, "1.25", None),
    ("R2023", "1.5", {"points": "1.50"}, "1.5", None),
    ("R2023", "1.11", {"points": "1.3"}, "1.3", None),
    ("R2023", "1.11", {"points": "1.25"}, "1.25", None),
    # free: up to the maximum, at the set's precision
    ("R2023", "1.8", {"points": "2"}, "2", None),
    ("R2023P3", "1.8", {"points": "1.999"}, "1.999", None),
]
REFUSED: list[tuple[str, str, dict[str, Any], str]] = [
    ("R2023", "1.7", {"numerator": 0, "denominator": 0}, "zero_denominator"),
    ("R2023", "1.9", {"numerator": 0, "denominator": 0}, "zero_denominator"),
    ("R2023", "1.7", {"numerator": 6, "denominator": 5}, "numerator_above_denominator"),
    ("R2023", "1.3", {"occurrences": -1}, "negative_count"),
    ("R2023", "1.5", {"points": "1.3"}, "off_step"),
    ("R2023", "1.11", {"points": "1.2"}, "off_step"),
    ("R2023", "1.5", {"points": "1.75"}, "above_maximum"),
    ("R2023", "1.8", {"points": "2.01"}, "above_maximum"),
    ("R2023", "1.8", {"points": "1.999"}, "invalid_input"),
    ("R2023", "1.4", {"points": "2"}, "rule_input_mismatch"),
]


def test_scores_at_every_rules_boundaries_are_the_values_worked_out_by_hand(
    database_url: str, tmp_path: Path
) -> None:
    world = build_world(database_url, tmp_path / "home")
    try:
        _prepare(world)
        staff = world.keys["staff"]
        seen = _last_id(world)
        for campaign, criterion, inputs, _, _ in BOUNDARIES:
            world.send(staff, "record_self_score", _self_score(campaign, criterion, inputs))
        refusals = []
        for campaign, criterion, inputs, _ in REFUSED:
            try:
                world.send(staff, "record_self_score", _self_score(campaign, criterion, inputs))
            except LedgerError as error:
                refusals.append(error.code)
            else:
                refusals.append("recorded")

        recorded = [body for _, body in _recorded_self_scores(world, seen)]
        assert [
            (b["campaign"], b["criterion"], b["inputs"], b["points"], b.get("percent"))
            for b in recorded
        ] == BOUNDARIES
        assert refusals == [code for *_, code in REFUSED]
        stored = _stored_trees(world)
        for body in recorded:
            _assert_recomputes(world, body, stored)
    finally:
        world.ledger.close()
