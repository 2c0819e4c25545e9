"""The shared vector files (tests/vectors/) on the Python side: RFC 8785 bytes from the
ledger's canonical_bytes and from the reference package, and points from the scoring rules.
The browser tests run the same files through the page's code (test_web_security.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from ledger.core.canonical import canonical_bytes
from ledger.core.errors import LedgerError
from ledger.domain.points import plain
from ledger.domain.rules import compute

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
CANONICAL = json.loads((VECTORS / "canonical.json").read_text("ascii"))
RULES = json.loads((VECTORS / "rules.json").read_text("utf-8"))


@pytest.mark.parametrize("vector", CANONICAL, ids=[v["name"] for v in CANONICAL])
def test_canonical_bytes(vector: dict[str, Any]) -> None:
    expected = vector["canonical"].encode("utf-8")
    assert canonical_bytes(vector["value"]) == expected
    assert bytes(rfc8785.dumps(vector["value"])) == expected


def test_the_canonical_cases_cover_what_the_page_signs() -> None:
    text = "".join(v["canonical"] for v in CANONICAL)
    assert any(ord(c) > 0xFFFF for c in text), "astral characters"
    for escape in ("\\u001f", "\\n", '\\"', "\\\\"):
        assert escape in text, escape
    for word in ("tiêu chí", "Nguyễn"):
        assert word in text, word
    names = CANONICAL[
        [v["name"] for v in CANONICAL].index(
            "names whose UTF-16 order differs from their code point order"
        )
    ]["value"]
    assert sorted(names) != sorted(names, key=lambda n: n.encode("utf-16-be"))


def test_rule_vectors() -> None:
    assert len(RULES) > 600
    for vector in RULES:
        try:
            score = compute(
                "X",
                vector["rule"],
                Decimal(vector["max_points"]),
                vector["precision"],
                vector["inputs"],
            )
        except LedgerError as error:
            found: dict[str, Any] = {"error": error.code, "field": error.field}
        else:
            found = {"points": plain(score.points)}
            if score.percent is not None:
                found["percent"] = plain(score.percent)
        assert found == vector["expected"], vector


def test_the_rule_cases_cover_every_rule_and_refusal() -> None:
    kinds = {v["rule"].get("kind") for v in RULES}
    assert kinds == {"free", "all_or_nothing", "tiers", "proportional", "deduction"}
    refusals = {v["expected"]["error"] for v in RULES if "error" in v["expected"]}
    assert refusals >= {
        "above_maximum",
        "off_step",
        "invalid_input",
        "negative_count",
        "numerator_above_denominator",
        "zero_denominator",
        "rule_input_mismatch",
    }
    assert {v["precision"] for v in RULES} == {0, 1, 2, 3, 4}
