"""Writes tests/vectors/rules.json: scoring rules, inputs and what ledger.domain.rules gives
for them (points and percentage as the ledger records them, or the refusal's code and
field). The Python tests check every case against ledger.domain.rules; the browser tests
run the same cases through static/js/rules.js."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.core.errors import LedgerError
from ledger.domain.points import plain
from ledger.domain.rules import compute

TIERS = {
    "kind": "tiers",
    "tiers": [
        {"min": "100", "points": "5"},
        {"min": "95", "max": "100", "max_inclusive": False, "points": "4"},
        {"min": "80", "max": "95", "max_inclusive": False, "points": "2.5"},
        {"max": "80", "max_inclusive": False, "points": "0"},
    ],
}
TIERS_OPEN = {
    "kind": "tiers",
    "tiers": [
        {"max": "50", "points": "0"},
        {"min": "50", "min_inclusive": False, "max": "66.667", "points": "0.333"},
        {"min": "66.667", "min_inclusive": False, "points": "1"},
    ],
}
PROPORTIONAL = {"kind": "proportional"}
PROPORTIONAL_ZERO = {"kind": "proportional", "zero_denominator_points": "1"}
DEDUCTION = {"kind": "deduction", "per_occurrence": "0.25"}
DEDUCTION_FINE = {"kind": "deduction", "per_occurrence": "0.125"}
FREE = {"kind": "free"}
STEP = {"kind": "free", "step": "0.25"}
ALL = {"kind": "all_or_nothing"}

FIXED: list[tuple[dict[str, Any], str, int, dict[str, Any]]] = [
    (FREE, "1.5", 2, {"points": "1.5"}),
    (FREE, "1.5", 2, {"points": "1.50"}),
    (FREE, "1.5", 2, {"points": "0"}),
    (FREE, "1.5", 2, {"points": "2"}),
    (FREE, "1.5", 2, {"points": "1.501"}),
    (FREE, "1.5", 3, {"points": "1.424"}),
    (FREE, "8.424", 3, {"points": "8.424"}),
    (FREE, "1.5", 2, {"points": "-1"}),
    (FREE, "1.5", 2, {"points": "1,5"}),
    (FREE, "1.5", 2, {"points": 1}),
    (FREE, "1.5", 2, {"points": ""}),
    (FREE, "1.5", 2, {"score": "1"}),
    (FREE, "1.5", 2, {"points": "1", "note": "x"}),
    (STEP, "1", 2, {"points": "0.75"}),
    (STEP, "1", 2, {"points": "0.7"}),
    (STEP, "1.1", 2, {"points": "1.1"}),
    (ALL, "2", 2, {"achieved": True}),
    (ALL, "2", 2, {"achieved": False}),
    (ALL, "2", 2, {"achieved": "yes"}),
    (DEDUCTION, "1", 2, {"occurrences": 0}),
    (DEDUCTION, "1", 2, {"occurrences": 3}),
    (DEDUCTION, "1", 2, {"occurrences": 9}),
    (DEDUCTION, "1", 2, {"occurrences": -1}),
    (DEDUCTION, "1", 2, {"occurrences": True}),
    (DEDUCTION_FINE, "1", 2, {"occurrences": 3}),
    (DEDUCTION_FINE, "1", 3, {"occurrences": 3}),
    (TIERS, "5", 2, {"numerator": 1200, "denominator": 1200}),
    (TIERS, "5", 2, {"numerator": 1176, "denominator": 1200}),
    (TIERS, "5", 2, {"numerator": 1140, "denominator": 1200}),
    (TIERS, "5", 2, {"numerator": 1139, "denominator": 1200}),
    (TIERS, "5", 2, {"numerator": 95999, "denominator": 96000}),
    (TIERS, "5", 4, {"numerator": 95999, "denominator": 96000}),
    (TIERS, "5", 2, {"numerator": 0, "denominator": 0}),
    (TIERS, "5", 2, {"numerator": 5, "denominator": 4}),
    (TIERS, "5", 2, {"numerator": 1, "denominator": 3}),
    (TIERS, "5", 2, {"numerator": "1", "denominator": 3}),
    (TIERS, "5", 2, {"numerator": 1}),
    (TIERS_OPEN, "1", 3, {"numerator": 2, "denominator": 3}),
    (TIERS_OPEN, "1", 3, {"numerator": 1, "denominator": 2}),
    (TIERS_OPEN, "1", 3, {"numerator": 200001, "denominator": 300000}),
    (PROPORTIONAL, "2", 2, {"numerator": 2, "denominator": 3}),
    (PROPORTIONAL, "1.25", 2, {"numerator": 1, "denominator": 8}),
    (PROPORTIONAL, "1.25", 3, {"numerator": 1, "denominator": 8}),
    (PROPORTIONAL, "7.25", 3, {"numerator": 5836, "denominator": 7250}),
    (PROPORTIONAL, "2", 2, {"numerator": 0, "denominator": 0}),
    (PROPORTIONAL_ZERO, "2", 2, {"numerator": 0, "denominator": 0}),
    (PROPORTIONAL_ZERO, "2", 2, {"numerator": 1, "denominator": 7}),
    (PROPORTIONAL, "3", 0, {"numerator": 1, "denominator": 2}),
    (PROPORTIONAL, "10", 4, {"numerator": 1, "denominator": 7}),
    (PROPORTIONAL, "10", 2, {"numerator": 2**53 - 2, "denominator": 2**53 - 1}),
]


def outcome(rule: dict[str, Any], maximum: str, precision: int, inputs: dict[str, Any]) -> Any:
    try:
        score = compute("X", rule, Decimal(maximum), precision, inputs)
    except LedgerError as error:
        return {"error": error.code, "field": error.field}
    found = {"points": plain(score.points)}
    if score.percent is not None:
        found["percent"] = plain(score.percent)
    return found


def generated(count: int) -> list[tuple[dict[str, Any], str, int, dict[str, Any]]]:
    """Random counts under each rule on counts, at every precision (a fixed seed)."""
    rng = random.Random(8785)
    cases = []
    for _ in range(count):
        precision = rng.choice([0, 1, 2, 3, 4])
        denominator = rng.choice([rng.randint(1, 40), rng.randint(1, 5000), rng.randint(1, 10**9)])
        numerator = rng.randint(0, denominator)
        rule = rng.choice([TIERS, TIERS_OPEN, PROPORTIONAL, PROPORTIONAL_ZERO])
        maximum = rng.choice(["1", "1.25", "2.5", "5", "7.25", "0.75", "10"])
        cases.append(
            (rule, maximum, precision, {"numerator": numerator, "denominator": denominator})
        )
        occurrences = rng.randint(0, 12)
        cases.append(
            (rng.choice([DEDUCTION, DEDUCTION_FINE]), "1", precision, {"occurrences": occurrences})
        )
    return cases


def main() -> None:
    vectors = [
        {
            "rule": rule,
            "max_points": maximum,
            "precision": precision,
            "inputs": inputs,
            "expected": outcome(rule, maximum, precision, inputs),
        }
        for rule, maximum, precision, inputs in FIXED + generated(300)
    ]
    path = Path(__file__).with_name("rules.json")
    path.write_text(json.dumps(vectors, ensure_ascii=False, indent=None) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
