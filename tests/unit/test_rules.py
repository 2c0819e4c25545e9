"""Scoring rules: what a scorer's inputs give, and the refusals they meet."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.errors import DomainError, IndicatorSetError, LedgerError, ValidationError
from ledger.domain.indicators import build_tree
from ledger.domain.points import quantize
from ledger.domain.rules import adjustment_problems, compute, rule_problems

# "100 %: 1 point; 80 % to under 100 %: 0.5; under 80 %: 0" (docs/DOMAIN.md)
DOMAIN_TIERS: dict[str, Any] = {
    "kind": "tiers",
    "tiers": [
        {"min": "100", "points": "1"},
        {"min": "80", "max": "100", "max_inclusive": False, "points": "0.5"},
        {"max": "80", "max_inclusive": False, "points": "0"},
    ],
}
PROPORTIONAL: dict[str, Any] = {"kind": "proportional"}
DEDUCTION: dict[str, Any] = {"kind": "deduction", "per_occurrence": "0.25"}
ALL_OR_NOTHING: dict[str, Any] = {"kind": "all_or_nothing"}
FREE_STEP: dict[str, Any] = {"kind": "free", "step": "0.25"}

ONE = Decimal(1)


def _counts(numerator: Any, denominator: Any) -> dict[str, Any]:
    return {"numerator": numerator, "denominator": denominator}


def _refusal(
    error: type[LedgerError], rule: dict[str, Any], inputs: dict[str, Any], **kw: Any
) -> LedgerError:
    maximum = kw.get("maximum", ONE)
    precision = kw.get("precision", 2)
    code = kw.get("code", "1.1")
    with pytest.raises(error) as caught:
        compute(code, rule, maximum, precision, inputs)
    return caught.value


# -- tiers: the DOMAIN example --------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "points", "percent"),
    [
        (100, 100, "1", "100.00"),
        (95, 100, "0.5", "95.00"),
        (80, 100, "0.5", "80.00"),
        (4, 5, "0.5", "80.00"),
        (99, 100, "0.5", "99.00"),
        (79, 100, "0", "79.00"),
        (7999, 10000, "0", "79.99"),
        (0, 100, "0", "0.00"),
        (0, 1, "0", "0.00"),
        (1, 1, "1", "100.00"),
    ],
)
def test_domain_tier_example_boundaries(
    numerator: int, denominator: int, points: str, percent: str
) -> None:
    score = compute("1.1", DOMAIN_TIERS, ONE, 2, _counts(numerator, denominator))
    assert score.points == Decimal(points)
    assert score.percent == Decimal(percent)
    assert str(score.percent) == percent


def test_domain_tier_rule_is_valid() -> None:
    assert rule_problems("1.1", DOMAIN_TIERS, ONE, 2) == []


def test_percent_is_rounded_half_up_before_tiers_are_applied() -> None:
    # 15999 / 20000 = 79.995 %: at precision 2 it rounds half-up to 80.00 and earns 0.5
    score = compute("1.1", DOMAIN_TIERS, ONE, 2, _counts(15999, 20000))
    assert score.percent == Decimal("80.00")
    assert score.points == Decimal("0.5")


def test_percent_at_precision_three_keeps_79_995_under_80() -> None:
    score = compute("1.1", DOMAIN_TIERS, ONE, 3, _counts(15999, 20000))
    assert str(score.percent) == "79.995"
    assert score.points == Decimal(0)


def test_just_under_one_hundred_percent_rounds_up_to_the_top_tier() -> None:
    # 99999 / 100000 = 99.999 % -> 100.00 at precision 2 -> the 100 % tier
    score = compute("1.1", DOMAIN_TIERS, ONE, 2, _counts(99999, 100000))
    assert score.percent == Decimal("100.00")
    assert score.points == ONE


def test_tier_percent_with_exclusive_lower_bound() -> None:
    rule = {
        "kind": "tiers",
        "tiers": [
            {"max": "50", "points": "0"},
            {"min": "50", "min_inclusive": False, "points": "2"},
        ],
    }
    assert rule_problems("3.1", rule, Decimal(2), 2) == []
    assert compute("3.1", rule, Decimal(2), 2, _counts(1, 2)).points == 0
    assert compute("3.1", rule, Decimal(2), 2, _counts(501, 1000)).points == 2


# -- proportional ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "maximum", "precision", "points", "percent"),
    [
        (95, 100, "5", 2, "4.75", "95.00"),
        (1, 3, "1", 2, "0.33", "33.33"),
        (2, 3, "1", 2, "0.67", "66.67"),
        (2, 3, "1", 3, "0.667", "66.667"),
        (0, 7, "1", 2, "0", "0.00"),
        (7, 7, "1.5", 2, "1.5", "100.00"),
    ],
)
def test_proportional(
    numerator: int, denominator: int, maximum: str, precision: int, points: str, percent: str
) -> None:
    score = compute(
        "2.1", PROPORTIONAL, Decimal(maximum), precision, _counts(numerator, denominator)
    )
    assert score.points == Decimal(points)
    assert score.percent == Decimal(percent)
    assert str(score.percent) == percent


def test_proportional_rounds_the_percent_then_the_points() -> None:
    # 1/8 = 12.5 % at precision 0 -> 13 %; 13 % of 10 = 1.3 -> 1
    score = compute("2.1", PROPORTIONAL, Decimal(10), 0, _counts(1, 8))
    assert score.percent == Decimal(13)
    assert score.points == ONE


# -- deduction ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("occurrences", "points"),
    [(0, "1"), (1, "0.75"), (2, "0.5"), (4, "0"), (5, "0"), (10, "0"), (10**9, "0")],
)
def test_deduction_never_goes_below_zero(occurrences: int, points: str) -> None:
    score = compute("3.2", DEDUCTION, ONE, 2, {"occurrences": occurrences})
    assert score.points == Decimal(points)
    assert score.points >= 0
    assert score.percent is None


def test_deduction_refuses_negative_occurrences() -> None:
    error = _refusal(DomainError, DEDUCTION, {"occurrences": -1})
    assert error.code == "negative_count"
    assert "1.1" in str(error)
    assert "-1" in str(error)


# -- all or nothing -------------------------------------------------------------------


def test_all_or_nothing() -> None:
    assert compute("4.1", ALL_OR_NOTHING, Decimal("1.5"), 2, {"achieved": True}).points == Decimal(
        "1.5"
    )
    assert compute("4.1", ALL_OR_NOTHING, Decimal("1.5"), 2, {"achieved": False}).points == 0


@pytest.mark.parametrize("achieved", [1, 0, "true", "yes"])
def test_all_or_nothing_refuses_anything_but_a_boolean(achieved: Any) -> None:
    error = _refusal(ValidationError, ALL_OR_NOTHING, {"achieved": achieved}, code="4.1")
    assert "4.1" in str(error)
    assert error.field == "command.args.inputs.achieved"


# -- free -----------------------------------------------------------------------------


@pytest.mark.parametrize("points", ["0", "0.25", "0.5", "0.75", "1", "1.00", "0.50"])
def test_free_with_step_accepts_multiples(points: str) -> None:
    assert compute("5.1", FREE_STEP, ONE, 2, {"points": points}).points == Decimal(points)


def test_free_with_step_accepts_the_maximum_even_off_step() -> None:
    assert compute("5.1", FREE_STEP, Decimal("1.1"), 2, {"points": "1.1"}).points == Decimal("1.1")


@pytest.mark.parametrize("points", ["0.8", "0.1", "0.3", "0.99"])
def test_free_with_step_refuses_off_step(points: str) -> None:
    error = _refusal(DomainError, FREE_STEP, {"points": points}, code="5.1")
    assert error.code == "off_step"
    assert "5.1" in str(error)
    assert "0.25" in str(error)


def test_free_refuses_points_above_the_maximum() -> None:
    error = _refusal(DomainError, FREE_STEP, {"points": "1.25"}, code="5.1")
    assert error.code == "above_maximum"
    assert "criterion 5.1" in str(error)
    assert "maximum of 1" in str(error)
    assert error.field == "command.args.inputs.points"


def test_free_without_step_accepts_any_value_up_to_the_maximum() -> None:
    assert compute("5.2", {"kind": "free"}, Decimal(2), 2, {"points": "1.37"}).points == Decimal(
        "1.37"
    )
    assert _refusal(DomainError, {"kind": "free"}, {"points": "2.01"}).code == "above_maximum"


@pytest.mark.parametrize("points", ["0.125", "0.2500001"])
def test_free_refuses_more_decimals_than_the_precision(points: str) -> None:
    error = _refusal(ValidationError, FREE_STEP, {"points": points})
    assert "decimal" in str(error)


@pytest.mark.parametrize("points", [0.5, 1, "-0.25", "1e0", "", "abc", True])
def test_free_refuses_points_not_written_as_a_decimal_string(points: Any) -> None:
    _refusal(ValidationError, {"kind": "free"}, {"points": points})


# -- refusals of counts ---------------------------------------------------------------


@pytest.mark.parametrize("rule", [DOMAIN_TIERS, PROPORTIONAL])
@pytest.mark.parametrize(("numerator", "denominator"), [(-1, 10), (0, -3), (-2, -1)])
def test_negative_counts_are_refused(
    rule: dict[str, Any], numerator: int, denominator: int
) -> None:
    error = _refusal(DomainError, rule, _counts(numerator, denominator), code="2.3")
    assert error.code == "negative_count"
    assert "2.3" in str(error)
    assert "counts start at 0" in str(error)


@pytest.mark.parametrize("rule", [DOMAIN_TIERS, PROPORTIONAL])
def test_numerator_above_denominator_is_refused(rule: dict[str, Any]) -> None:
    error = _refusal(DomainError, rule, _counts(7, 5), code="2.3")
    assert error.code == "numerator_above_denominator"
    assert "2.3" in str(error)
    assert "7" in str(error)
    assert "5" in str(error)
    assert error.field == "command.args.inputs.numerator"


@pytest.mark.parametrize("rule", [DOMAIN_TIERS, PROPORTIONAL])
def test_zero_denominator_without_points_for_it_is_refused(rule: dict[str, Any]) -> None:
    error = _refusal(DomainError, rule, _counts(0, 0), code="2.3")
    assert error.code == "zero_denominator"
    assert "2.3" in str(error)
    assert error.field == "command.args.inputs.denominator"


@pytest.mark.parametrize("rule", [DOMAIN_TIERS, PROPORTIONAL])
def test_zero_denominator_with_points_for_it(rule: dict[str, Any]) -> None:
    with_zero = {**rule, "zero_denominator_points": "0.75"}
    assert rule_problems("2.3", with_zero, ONE, 2) == []
    score = compute("2.3", with_zero, ONE, 2, _counts(0, 0))
    assert score.points == Decimal("0.75")
    assert score.percent is None


@pytest.mark.parametrize(
    ("rule", "inputs"),
    [
        (DOMAIN_TIERS, {"points": "1"}),
        (DOMAIN_TIERS, {"numerator": 1}),
        (PROPORTIONAL, {"denominator": 1}),
        (PROPORTIONAL, {"numerator": 1, "denominator": 2, "points": "1"}),
        (DEDUCTION, {"points": "0.5"}),
        (ALL_OR_NOTHING, {"points": "1"}),
        (FREE_STEP, {"achieved": True}),
        (FREE_STEP, {}),
    ],
)
def test_inputs_that_do_not_match_the_rule_are_refused(
    rule: dict[str, Any], inputs: dict[str, Any]
) -> None:
    error = _refusal(DomainError, rule, inputs, code="6.1")
    assert error.code == "rule_input_mismatch"
    assert "6.1" in str(error)
    assert rule["kind"] in str(error)


@pytest.mark.parametrize(
    "inputs",
    [_counts(1.0, 2), _counts(1, "2"), _counts(True, 2), _counts(1, None), _counts("1", 2)],
)
def test_non_integer_counts_are_refused(inputs: dict[str, Any]) -> None:
    for rule in (DOMAIN_TIERS, PROPORTIONAL):
        error = _refusal(ValidationError, rule, inputs, code="2.4")
        assert "2.4" in str(error)
        assert "whole number" in str(error)


@pytest.mark.parametrize("occurrences", [1.5, "2", False])
def test_non_integer_occurrences_are_refused(occurrences: Any) -> None:
    _refusal(ValidationError, DEDUCTION, {"occurrences": occurrences})


# -- rule_problems --------------------------------------------------------------------


def _problems(rule: dict[str, Any], maximum: str = "1", precision: int = 2) -> list[str]:
    return rule_problems("7.1", rule, Decimal(maximum), precision)


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "free"},
        {"kind": "free", "step": "0.25"},
        {"kind": "all_or_nothing"},
        {"kind": "proportional"},
        {"kind": "proportional", "zero_denominator_points": "1"},
        {"kind": "deduction", "per_occurrence": "0.25"},
        {"kind": "tiers", "tiers": [{"points": "1"}]},
        DOMAIN_TIERS,
    ],
)
def test_valid_rules_have_no_problems(rule: dict[str, Any]) -> None:
    assert _problems(rule) == []


def test_overlapping_tiers() -> None:
    problems = _problems(
        {
            "kind": "tiers",
            "tiers": [{"max": "80", "points": "0"}, {"min": "80", "points": "1"}],
        }
    )
    assert problems == ["7.1: tiers 1 and 2 both cover 80 %"]


def test_tiers_overlapping_over_a_range() -> None:
    problems = _problems(
        {
            "kind": "tiers",
            "tiers": [{"max": "90", "points": "0"}, {"min": "70", "points": "1"}],
        }
    )
    assert any("both cover 80 %" in p for p in problems)
    assert all(p.startswith("7.1: ") for p in problems)


def test_gap_between_tiers() -> None:
    problems = _problems(
        {
            "kind": "tiers",
            "tiers": [{"max": "70", "points": "0"}, {"min": "80", "points": "1"}],
        }
    )
    assert problems == ["7.1: no tier covers 75 %"]


def test_a_single_uncovered_point_is_a_gap() -> None:
    problems = _problems(
        {
            "kind": "tiers",
            "tiers": [
                {"max": "80", "max_inclusive": False, "points": "0"},
                {"min": "80", "min_inclusive": False, "points": "1"},
            ],
        }
    )
    assert problems == ["7.1: no tier covers 80 %"]


def test_tiers_that_do_not_reach_zero_or_one_hundred() -> None:
    problems = _problems({"kind": "tiers", "tiers": [{"min": "10", "max": "90", "points": "1"}]})
    assert any("no tier covers 0 %" in p for p in problems)
    assert any("no tier covers 100 %" in p for p in problems)


def test_tier_points_above_the_leaf_maximum() -> None:
    problems = _problems({"kind": "tiers", "tiers": [{"points": "2"}]}, maximum="1.5")
    assert problems == ["7.1: tier 1 points 2 is above the maximum 1.5"]


def test_zero_denominator_points_above_the_leaf_maximum() -> None:
    problems = _problems({"kind": "proportional", "zero_denominator_points": "3"})
    assert problems == ["7.1: zero_denominator_points 3 is above the maximum 1"]


def test_unknown_rule_kind() -> None:
    problems = _problems({"kind": "bonus"})
    assert len(problems) == 1
    assert "7.1" in problems[0]
    assert "unknown scoring rule 'bonus'" in problems[0]
    assert "tiers" in problems[0]


def test_rule_without_kind_is_unknown() -> None:
    assert "unknown scoring rule None" in _problems({"step": "0.25"})[0]


def test_unknown_rule_fields() -> None:
    assert _problems({"kind": "all_or_nothing", "step": "0.5"}) == [
        "7.1: the all_or_nothing rule takes no 'step'"
    ]
    assert _problems({"kind": "free", "tiers": []}) == ["7.1: the free rule takes no 'tiers'"]
    assert _problems({"kind": "deduction", "per_occurrence": "0.25", "step": "1"}) == [
        "7.1: the deduction rule takes no 'step'"
    ]


def test_unknown_tier_fields() -> None:
    problems = _problems({"kind": "tiers", "tiers": [{"minimum": "0", "points": "1"}]})
    assert problems == ["7.1: tier 1 has unknown field(s) minimum"]


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ({"max": "120", "points": "1"}, "tier 1 max 120 is above the maximum 100"),
        ({"min": "-5", "points": "1"}, "tier 1 min -5 must be at least 0"),
        ({"min": 0, "points": "1"}, "tier 1 min must be a decimal written as a string"),
        ({"max": "Infinity", "points": "1"}, "tier 1 max must be a decimal written as a string"),
        ({"max": "99.999", "points": "1"}, "tier 1 max 99.999 has more than 2 decimal places"),
        ({"points": 1}, "tier 1 points must be a decimal written as a string"),
        ({"points": "0.125"}, "tier 1 points 0.125 has more than 2 decimal places"),
        ({"max_inclusive": "no", "points": "1"}, "tier 1 max_inclusive must be true or false"),
    ],
)
def test_bad_tier_fields(tier: dict[str, Any], expected: str) -> None:
    problems = _problems({"kind": "tiers", "tiers": [tier]})
    assert any(p.startswith(f"7.1: {expected}") for p in problems), problems


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ({"max": "abc", "points": "1"}, "tier 1 max must be a decimal written as a string"),
        ({"max": "NaN", "points": "1"}, "tier 1 max must be a decimal written as a string"),
        ({"points": "abc"}, "tier 1 points must be a decimal written as a string"),
        ({"points": None}, "tier 1 points must be a decimal written as a string"),
        ({"min": "0"}, "tier 1 points must be a decimal written as a string"),
    ],
)
def test_unparseable_tier_fields_are_reported_not_raised(
    tier: dict[str, Any], expected: str
) -> None:
    # tiers are only compared once every one of them is readable
    problems = _problems({"kind": "tiers", "tiers": [tier]})
    assert any(p.startswith(f"7.1: {expected}") for p in problems), problems


def test_build_tree_reports_a_tier_without_points() -> None:
    with pytest.raises(IndicatorSetError) as caught:
        build_tree(_set(_leaf("1.1", {"kind": "tiers", "tiers": [{"min": "0"}]})))
    assert any("tier 1 points" in p for p in caught.value.problems)


def test_tier_that_starts_above_where_it_ends() -> None:
    problems = _problems(
        {
            "kind": "tiers",
            "tiers": [{"max": "50", "points": "0"}, {"min": "60", "max": "40", "points": "1"}],
        }
    )
    assert "7.1: tier 2 starts above where it ends" in problems


@pytest.mark.parametrize("tiers", [None, [], "all", {"min": "0"}])
def test_tiers_rule_needs_a_list_of_tiers(tiers: Any) -> None:
    rule: dict[str, Any] = {"kind": "tiers"}
    if tiers is not None:
        rule["tiers"] = tiers
    assert _problems(rule) == ["7.1: a tiers rule needs a list of tiers"]


def test_tier_must_be_an_object() -> None:
    assert _problems({"kind": "tiers", "tiers": ["0-100: 1"]}) == ["7.1: tier 1 must be an object"]


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("0", "step 0 must be above 0"),
        ("-0.25", "step -0.25 must be above 0"),
        ("0.00", "step 0.00 must be above 0"),
        (0.25, "step must be a decimal written as a string"),
        ("2", "step 2 is above the maximum 1"),
        ("0.125", "step 0.125 has more than 2 decimal places"),
    ],
)
def test_bad_free_step(step: Any, expected: str) -> None:
    problems = _problems({"kind": "free", "step": step})
    assert len(problems) == 1
    assert problems[0].startswith(f"7.1: {expected}")


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"kind": "deduction"}, "per_occurrence must be a decimal written as a string"),
        ({"kind": "deduction", "per_occurrence": None}, "per_occurrence must be a decimal"),
        ({"kind": "deduction", "per_occurrence": "0"}, "per_occurrence 0 must be above 0"),
        ({"kind": "deduction", "per_occurrence": "-1"}, "per_occurrence -1 must be above 0"),
        ({"kind": "deduction", "per_occurrence": "5"}, "per_occurrence 5 is above the maximum 1"),
    ],
)
def test_bad_deduction(rule: dict[str, Any], expected: str) -> None:
    problems = _problems(rule)
    assert len(problems) == 1
    assert problems[0].startswith(f"7.1: {expected}")


def _leaf(code: str, rule: dict[str, Any], max_points: str = "1") -> dict[str, Any]:
    return {
        "code": code,
        "level": "criterion",
        "title": f"Leaf {code}",
        "max_points": max_points,
        "score_source": "appraisal",
        "rule": rule,
    }


def _set(*nodes: dict[str, Any], area_rule: dict[str, Any] | None = None) -> dict[str, Any]:
    total = sum((Decimal(n["max_points"]) for n in nodes), Decimal(0))
    area: dict[str, Any] = {"code": "1", "level": "area", "title": "Area", "max_points": str(total)}
    if area_rule is not None:
        area["rule"] = area_rule
    return {
        "code": "RULES",
        "version": 1,
        "title": "Rules",
        "precision": 2,
        "nodes": [area, *nodes],
    }


def test_build_tree_accepts_every_rule_kind_on_leaves() -> None:
    tree = build_tree(
        _set(
            _leaf("1.1", DOMAIN_TIERS, "1"),
            _leaf("1.2", PROPORTIONAL, "0.5"),
            _leaf("1.3", {"kind": "deduction", "per_occurrence": "0.25"}, "0.25"),
            _leaf("1.4", ALL_OR_NOTHING, "0.25"),
            _leaf("1.5", FREE_STEP, "0.5"),
        )
    )
    assert tree.node("1.1").rule == DOMAIN_TIERS
    assert tree.node("1.5").rule == FREE_STEP


def test_build_tree_refuses_a_rule_on_a_parent() -> None:
    with pytest.raises(IndicatorSetError) as caught:
        build_tree(_set(_leaf("1.1", {"kind": "free"}, "2"), area_rule=PROPORTIONAL))
    assert "1: only a leaf has a scoring rule" in caught.value.problems


def test_build_tree_reports_leaf_rule_problems() -> None:
    with pytest.raises(IndicatorSetError) as caught:
        build_tree(
            _set(
                _leaf("1.1", {"kind": "tiers", "tiers": [{"max": "70", "points": "0"}]}),
                _leaf("1.2", {"kind": "free", "step": "0"}),
            )
        )
    assert "1.1: no tier covers 85 %" in caught.value.problems
    assert "1.2: step 0 must be above 0" in caught.value.problems


# -- adjustments ----------------------------------------------------------------------


def test_adjustment_problems() -> None:
    good = {"code": "B1", "title": "Sáng kiến", "kind": "bonus", "cap": "1"}
    assert adjustment_problems([good]) == []
    assert adjustment_problems("B1") == ["adjustments must be a list"]
    assert adjustment_problems([good, good]) == ["adjustment B1 is listed twice"]
    assert adjustment_problems([{**good, "kind": "prize"}]) == [
        "adjustment B1: kind must be bonus or penalty"
    ]
    assert adjustment_problems([{**good, "cap": "0"}]) == [
        "adjustment B1: cap must be a positive decimal string"
    ]
    assert adjustment_problems([{"code": "B1"}]) == [
        "adjustment 1 needs exactly code, title, kind and cap"
    ]


# -- properties -----------------------------------------------------------------------


Span = tuple[Decimal, bool, Decimal, bool]


def _text(value: Decimal) -> str:
    return f"{value:f}"


@st.composite
def tier_rules(draw: st.DrawFn) -> tuple[dict[str, Any], list[Span]]:
    """A valid tiers rule: cut points 0 = c0 < c1 < … < ck = 100 at the set's precision;
    each interior cut belongs to exactly one of its two neighbouring tiers."""
    precision = draw(st.integers(0, 4), label="precision")
    scale = 10**precision
    interior = draw(
        st.lists(st.integers(1, 100 * scale - 1), unique=True, max_size=6).map(sorted),
        label="cuts",
    )
    cuts = [Decimal(0), *(Decimal(c).scaleb(-precision) for c in interior), Decimal(100)]
    lower_owns = draw(st.lists(st.booleans(), min_size=len(interior), max_size=len(interior)))
    maximum = Decimal(draw(st.integers(0, 10 * scale))).scaleb(-precision)
    tiers: list[dict[str, Any]] = []
    spans: list[Span] = []
    for i, (low, high) in enumerate(pairwise(cuts)):
        low_inclusive = i == 0 or not lower_owns[i - 1]
        high_inclusive = i == len(cuts) - 2 or lower_owns[i]
        points = Decimal(draw(st.integers(0, int(maximum * scale)))).scaleb(-precision)
        tier: dict[str, Any] = {"points": _text(points)}
        if low != 0 or draw(st.booleans()):
            tier["min"] = _text(low)
        if high != 100 or draw(st.booleans()):
            tier["max"] = _text(high)
        if not low_inclusive or draw(st.booleans()):
            tier["min_inclusive"] = low_inclusive
        if not high_inclusive or draw(st.booleans()):
            tier["max_inclusive"] = high_inclusive
        tiers.append(tier)
        spans.append((low, low_inclusive, high, high_inclusive))
    order = draw(st.permutations(range(len(tiers))))
    rule = {"kind": "tiers", "tiers": [tiers[i] for i in order]}
    return {"rule": rule, "maximum": maximum, "precision": precision}, [spans[i] for i in order]


def _inside(percent: Decimal, span: Span) -> bool:
    low, low_inclusive, high, high_inclusive = span
    above = percent > low or (low_inclusive and percent == low)
    below = percent < high or (high_inclusive and percent == high)
    return above and below


counts = st.integers(1, 10000).flatmap(
    lambda denominator: st.tuples(st.integers(0, denominator), st.just(denominator))
)


@settings(max_examples=300)
@given(generated=tier_rules(), fraction=counts)
def test_tiers_pick_the_one_tier_holding_the_rounded_percent(
    generated: tuple[dict[str, Any], list[Span]],
    fraction: tuple[int, int],
) -> None:
    leaf, spans = generated
    rule, maximum, precision = leaf["rule"], leaf["maximum"], leaf["precision"]
    assert rule_problems("8.1", rule, maximum, precision) == []
    numerator, denominator = fraction
    score = compute("8.1", rule, maximum, precision, _counts(numerator, denominator))
    percent = quantize(Decimal(numerator) * 100 / Decimal(denominator), precision)
    assert score.percent == percent
    holding = [i for i, span in enumerate(spans) if _inside(percent, span)]
    assert len(holding) == 1
    assert score.points == Decimal(rule["tiers"][holding[0]]["points"])
    assert 0 <= score.points <= maximum


@settings(max_examples=300)
@given(
    precision=st.integers(0, 4),
    maximum_units=st.integers(0, 10**6),
    fraction=counts,
)
def test_proportional_points_stay_between_zero_and_the_maximum(
    precision: int, maximum_units: int, fraction: tuple[int, int]
) -> None:
    maximum = Decimal(maximum_units).scaleb(-precision)
    numerator, denominator = fraction
    score = compute("8.2", PROPORTIONAL, maximum, precision, _counts(numerator, denominator))
    assert score.percent is not None
    assert 0 <= score.percent <= 100
    assert 0 <= score.points <= maximum
    assert score.points == quantize(maximum * score.percent / 100, precision)
    if numerator == denominator:
        assert score.points == maximum
    if numerator == 0:
        assert score.points == 0


@given(
    precision=st.integers(0, 4),
    maximum_units=st.integers(0, 10**5),
    per_units=st.integers(1, 10**5),
    occurrences=st.integers(0, 10**6),
)
def test_deduction_points_stay_between_zero_and_the_maximum(
    precision: int, maximum_units: int, per_units: int, occurrences: int
) -> None:
    maximum = Decimal(maximum_units).scaleb(-precision)
    per = Decimal(per_units).scaleb(-precision)
    rule = {"kind": "deduction", "per_occurrence": _text(per)}
    score = compute("8.3", rule, maximum, precision, {"occurrences": occurrences})
    assert 0 <= score.points <= maximum
    assert score.points == max(maximum - occurrences * per, Decimal(0))
