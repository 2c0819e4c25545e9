"""The survey methods at their boundaries, against hand-computed values, and Hanoi's 2021
SIPAS reproduced from its question percentages."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from ledger.domain.survey_methods import par_score, round2, sipas_percent, survey_results
from ledger.domain.survey_tally import tally_rows
from tests.survey_support import definition, hanoi_sipas, par_survey, percent_rows, plan_rows

MAX_81 = {"8.1": Decimal(10)}


def test_hanoi_2021_elements_and_overall_are_reproduced() -> None:
    percents = {r["code"]: r["pct_2021"] for r in plan_rows() if r["kind"] == "question"}
    survey = definition(hanoi_sipas())
    tally = tally_rows(percent_rows(percents), survey)
    assert tally.errors == []
    found = survey_results(survey, tally.tallies, MAX_81, 3)["units"]["HN"]
    assert found["questions"]["I.1"] == "89.23"
    assert found["elements"] == {
        "I": "89.28",
        "II": "88.81",
        "III": "88.51",
        "IV": "89.21",
        "V": "79.73",
    }
    assert found["overall"] == "87.11"
    assert found["points"] == {"8.1": "8.711"}
    assert tally.respondents == {"HN": {"-": 10000}}


def test_rounding_is_half_up_at_the_half_hundredth() -> None:
    assert round2(Fraction(2555, 1000)) == Decimal("2.56")
    assert round2(Fraction(2554999, 1000000)) == Decimal("2.55")
    assert round2(sipas_percent({"5": 1, "1": 7}) or Fraction(0)) == Decimal("12.50")
    # 100 × 1/80000 = 0.00125 → 0.00; 100 × 4/80000 = 0.005 → 0.01 (half-up)
    assert round2(sipas_percent({"4": 1, "2": 79999}) or Fraction(0)) == Decimal("0.00")
    assert round2(sipas_percent({"4": 4, "2": 79996}) or Fraction(0)) == Decimal("0.01")


def test_blanks_do_not_count_and_a_question_with_only_blanks_blocks_the_points() -> None:
    assert sipas_percent({"4": 1, "2": 1, "blank": 98}) == 50
    assert sipas_percent({"blank": 3}) is None
    survey = definition(hanoi_sipas())
    percents = {r["code"]: "90" for r in plan_rows() if r["kind"] == "question"}
    rows = percent_rows(percents)
    rows = [row if row[2] != "V.4" else [row[0], "HN", "V.4", ""] for row in rows]
    found = survey_results(survey, tally_rows(rows, survey).tallies, MAX_81, 3)["units"]["HN"]
    assert found["problems"] == ["question V.4 has no valid answer"]
    assert found["points"] == {}
    assert found["overall"] is None
    assert found["elements"]["I"] == "90.00"
    assert "V" not in found["elements"]


def test_a_unit_with_no_answers_is_reported() -> None:
    survey = definition(hanoi_sipas(units=["HN", "HP"]))
    percents = {r["code"]: "90" for r in plan_rows() if r["kind"] == "question"}
    found = survey_results(survey, tally_rows(percent_rows(percents), survey).tallies, MAX_81, 3)
    assert found["units"]["HP"]["problems"] == ["no answers"]
    assert found["units"]["HN"]["points"] == {"8.1": "9.000"}


def test_par_survey_against_hand_computed_values() -> None:
    survey = definition(par_survey())
    rows = [
        ["respondent", "unit", "question", "answer", "group"],
        # Q1: DB gives A, B; DN gives C, E (not counted) → pooled (100+60+20)/3 = 60
        ["d1", "HN", "Q1", "A", "DB"],
        ["d2", "HN", "Q1", "B", "DB"],
        ["n1", "HN", "Q1", "C", "DN"],
        ["n2", "HN", "Q1", "E", "DN"],
        # Q2 (DN only): A, D, blank → 50
        ["n1", "HN", "Q2", "A", "DN"],
        ["n2", "HN", "Q2", "D", "DN"],
        ["n3", "HN", "Q2", "", "DN"],
        # Q3: B, B, C → 140/3 = 46.666…
        ["d1", "HN", "Q3", "B", "DB"],
        ["n1", "HN", "Q3", "B", "DN"],
        ["n2", "HN", "Q3", "C", "DN"],
    ]
    tally = tally_rows(rows, survey)
    assert tally.errors == []
    maxima = {"2.4.1": Decimal("1.5"), "5.8.1": Decimal(1)}
    found = survey_results(survey, tally.tallies, maxima, 2)["units"]["HN"]
    assert found["questions"] == {"Q1": "60.00", "Q2": "50.00", "Q3": "46.67"}
    assert found["criteria"] == {"2.4.1": "55.00", "5.8.1": "46.67"}
    assert found["points"] == {"2.4.1": "0.83", "5.8.1": "0.47"}
    assert found["groups"]["DB"]["questions"] == {"Q1": "80.00", "Q3": "60.00"}
    assert found["groups"]["DN"]["criteria"] == {"2.4.1": "35.00", "5.8.1": "40.00"}
    assert tally.respondents == {"HN": {"DB": 2, "DN": 3}}
    assert par_score({"E": 4, "blank": 1}) is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"kind": "par_survey"}, "not for a par_survey"),
        ({"units": ["HN", "HN"]}, "listed twice"),
        ({"criteria": {}}, "has elements and criteria"),
    ],
)
def test_a_bad_definition_is_refused(change: dict[str, object], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        definition({**hanoi_sipas(), **change})
