"""Scoring rules (cách tính điểm): how a leaf's points follow from what a scorer enters.

Each leaf of an indicator set carries one rule; the inputs a scorer gives are recorded
with the score, so :func:`compute` gives the same points from them at any later time.
Percentages are computed first and rounded, then points; rounding is half-up to the
set's precision; arithmetic is decimal.

Rules, as recorded in the set (docs/FORMATS.md §8):

- ``{"kind": "free"}`` or ``{"kind": "free", "step": "0.25"}``: inputs ``{"points": "1.25"}``;
- ``{"kind": "all_or_nothing"}``: inputs ``{"achieved": true}``;
- ``{"kind": "tiers", "tiers": [{"min": "80", "max": "100", "max_inclusive": false,
  "points": "0.5"}, …]}``: inputs ``{"numerator": 95, "denominator": 100}``; a tier's
  ``min`` defaults to 0 and is inclusive unless ``min_inclusive`` is false, its ``max``
  defaults to 100 and is inclusive unless ``max_inclusive`` is false;
- ``{"kind": "proportional"}``: inputs as for tiers; points = maximum × percentage / 100;
- ``{"kind": "deduction", "per_occurrence": "0.25"}``: inputs ``{"occurrences": 2}``;
  points = maximum − occurrences × per_occurrence, never below zero.

``tiers`` and ``proportional`` may carry ``"zero_denominator_points": "1"``: the points
when there was nothing to count (0 of 0); without it, a denominator of 0 is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from ledger.core.errors import DomainError, ValidationError
from ledger.domain.points import decimals, parse_points, plain, quantize

RULE_KINDS = ("free", "all_or_nothing", "tiers", "proportional", "deduction")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Score:
    """Points computed from inputs, with the percentage where the rule has one."""

    points: Decimal
    percent: Decimal | None = None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


@dataclass(frozen=True)
class Tier:
    points: Decimal
    low: Decimal = Decimal(0)
    low_inclusive: bool = True
    high: Decimal = HUNDRED
    high_inclusive: bool = True

    def contains(self, percent: Decimal) -> bool:
        above = percent >= self.low if self.low_inclusive else percent > self.low
        below = percent <= self.high if self.high_inclusive else percent < self.high
        return above and below

    def describe(self) -> str:
        low = f"{'from' if self.low_inclusive else 'above'} {plain(self.low)} %"
        high = f"{'to' if self.high_inclusive else 'under'} {plain(self.high)} %"
        return f"{low} {high}: {plain(self.points)}"


def _tiers(rule: Mapping[str, Any]) -> list[Tier]:
    return [
        Tier(
            points=Decimal(t["points"]),
            low=Decimal(t.get("min", "0")),
            low_inclusive=t.get("min_inclusive", True),
            high=Decimal(t.get("max", "100")),
            high_inclusive=t.get("max_inclusive", True),
        )
        for t in rule["tiers"]
    ]


def rule_problems(
    code: str, rule: Mapping[str, Any], maximum: Decimal, precision: int
) -> list[str]:
    """Everything wrong with a leaf's rule, as messages naming the leaf."""
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        return [f"{code}: unknown scoring rule {kind!r}; rules are {', '.join(RULE_KINDS)}"]
    allowed = {
        "free": {"kind", "step"},
        "all_or_nothing": {"kind"},
        "tiers": {"kind", "tiers", "zero_denominator_points"},
        "proportional": {"kind", "zero_denominator_points"},
        "deduction": {"kind", "per_occurrence"},
    }[kind]
    problems = [
        f"{code}: the {kind} rule takes no {name!r}" for name in sorted(set(rule) - allowed)
    ]

    def amount(
        name: str, value: Any, *, limit: Decimal | None = maximum, positive: bool = False
    ) -> None:
        number = _decimal(value) if isinstance(value, str) else None
        if number is None:
            problems.append(f'{code}: {name} must be a decimal written as a string, e.g. "0.5"')
        elif number < 0 or (positive and number == 0):
            problems.append(
                f"{code}: {name} {value} must be {'above' if positive else 'at least'} 0"
            )
        elif limit is not None and number > limit:
            problems.append(f"{code}: {name} {value} is above the maximum {plain(limit)}")
        elif decimals(number) > precision:
            problems.append(f"{code}: {name} {value} has more than {precision} decimal places")

    if kind == "free" and "step" in rule:
        amount("step", rule["step"], positive=True)
    if kind == "deduction":
        amount("per_occurrence", rule.get("per_occurrence"), positive=True)
    if kind in ("tiers", "proportional") and "zero_denominator_points" in rule:
        amount("zero_denominator_points", rule["zero_denominator_points"])
    if kind == "tiers":
        _tier_problems(code, rule.get("tiers"), amount, problems)
    return problems


def _tier_problems(code: str, tiers: Any, amount: Any, problems: list[str]) -> None:
    """Append the problems of a tier list; tiers are only compared once each is readable."""
    if not isinstance(tiers, list) or not tiers:
        problems.append(f"{code}: a tiers rule needs a list of tiers")
        return
    found = len(problems)
    for i, tier in enumerate(tiers, start=1):
        if not isinstance(tier, Mapping):
            problems.append(f"{code}: tier {i} must be an object")
            return
        unknown = set(tier) - {"min", "max", "min_inclusive", "max_inclusive", "points"}
        if unknown:
            problems.append(f"{code}: tier {i} has unknown field(s) {', '.join(sorted(unknown))}")
        amount(f"tier {i} points", tier.get("points"))
        for bound in ("min", "max"):
            if bound in tier:
                amount(f"tier {i} {bound}", tier[bound], limit=HUNDRED)
        for flag in ("min_inclusive", "max_inclusive"):
            if flag in tier and not isinstance(tier[flag], bool):
                problems.append(f"{code}: tier {i} {flag} must be true or false")
    if len(problems) > found:
        return
    parsed = _tiers({"tiers": tiers})
    for i, tier in enumerate(parsed, start=1):
        if tier.low > tier.high:
            problems.append(f"{code}: tier {i} starts above where it ends")
    bounds = sorted({b for t in parsed for b in (t.low, t.high)} | {Decimal(0), HUNDRED})
    probes = bounds + [(a + b) / 2 for a, b in pairwise(bounds)]
    for probe in sorted(probes):
        matching = [i for i, t in enumerate(parsed, start=1) if t.contains(probe)]
        if not matching:
            problems.append(f"{code}: no tier covers {plain(quantize(probe, 4))} %")
        elif len(matching) > 1:
            problems.append(
                f"{code}: tiers {' and '.join(map(str, matching))} both cover "
                f"{plain(quantize(probe, 4))} %"
            )


def _count(code: str, inputs: Mapping[str, Any], name: str) -> int:
    value = inputs.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(
            f"criterion {code}: {name} must be a whole number", field=f"command.args.inputs.{name}"
        )
    if value < 0:
        raise DomainError(
            f"criterion {code}: {name} {value} is negative; counts start at 0",
            code="negative_count",
            field=f"command.args.inputs.{name}",
        )
    return value


def _expect(code: str, kind: str, inputs: Mapping[str, Any], names: set[str]) -> None:
    if set(inputs) != names:
        raise DomainError(
            f"criterion {code} is scored by the {kind} rule, which takes the input(s) "
            f"{', '.join(sorted(names))}, not {', '.join(sorted(inputs)) or 'nothing'}",
            code="rule_input_mismatch",
            field="command.args.inputs",
        )


def compute(
    code: str, rule: Mapping[str, Any], maximum: Decimal, precision: int, inputs: Mapping[str, Any]
) -> Score:
    """The points (and percentage) that ``inputs`` give under ``rule``.

    Refusals name the criterion and the limit that was crossed."""
    kind = rule.get("kind", "free")
    if kind == "free":
        _expect(code, kind, inputs, {"points"})
        points = parse_points(inputs["points"], "command.args.inputs.points", precision=precision)
        _within(code, points, maximum)
        step = rule.get("step")
        if step is not None and points % Decimal(step) != 0 and points != maximum:
            raise DomainError(
                f"criterion {code}: {inputs['points']} is not a multiple of the step {step}",
                code="off_step",
                field="command.args.inputs.points",
            )
        return Score(points)
    if kind == "all_or_nothing":
        _expect(code, kind, inputs, {"achieved"})
        if not isinstance(inputs["achieved"], bool):
            raise ValidationError(
                f"criterion {code}: achieved must be true or false",
                field="command.args.inputs.achieved",
            )
        return Score(maximum if inputs["achieved"] else Decimal(0))
    if kind == "deduction":
        _expect(code, kind, inputs, {"occurrences"})
        occurrences = _count(code, inputs, "occurrences")
        points = maximum - occurrences * Decimal(rule["per_occurrence"])
        return Score(quantize(max(points, Decimal(0)), precision))
    if kind in ("tiers", "proportional"):
        _expect(code, kind, inputs, {"numerator", "denominator"})
        numerator = _count(code, inputs, "numerator")
        denominator = _count(code, inputs, "denominator")
        if numerator > denominator:
            raise DomainError(
                f"criterion {code}: the numerator {numerator} is above "
                f"the denominator {denominator}",
                code="numerator_above_denominator",
                field="command.args.inputs.numerator",
            )
        if denominator == 0:
            if "zero_denominator_points" in rule:
                return Score(Decimal(rule["zero_denominator_points"]))
            raise DomainError(
                f"criterion {code}: the denominator is 0 and the rule gives no points for 0 of 0",
                code="zero_denominator",
                field="command.args.inputs.denominator",
            )
        percent = quantize(Decimal(numerator) * HUNDRED / Decimal(denominator), precision)
        if kind == "proportional":
            return Score(quantize(maximum * percent / HUNDRED, precision), percent)
        for tier in _tiers(rule):
            if tier.contains(percent):
                return Score(tier.points, percent)
        raise DomainError(f"criterion {code}: no tier covers {percent} %", code="no_tier")
    raise DomainError(f"criterion {code}: unknown scoring rule {kind!r}", code="unknown_rule")


def _within(code: str, points: Decimal, maximum: Decimal) -> None:
    if points > maximum:
        raise DomainError(
            f"criterion {code}: {plain(points)} points is above its maximum of {plain(maximum)}",
            code="above_maximum",
            field="command.args.inputs.points",
        )


def adjustment_problems(items: Any) -> list[str]:
    """Campaign bonus and penalty items (điểm thưởng / điểm trừ): code, title, kind, cap."""
    if not isinstance(items, list):
        return ["adjustments must be a list"]
    problems: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        if not isinstance(item, Mapping) or set(item) != {"code", "title", "kind", "cap"}:
            problems.append(f"adjustment {i} needs exactly code, title, kind and cap")
            continue
        if item["code"] in seen:
            problems.append(f"adjustment {item['code']} is listed twice")
        seen.add(str(item["code"]))
        if item["kind"] not in ("bonus", "penalty"):
            problems.append(f"adjustment {item['code']}: kind must be bonus or penalty")
        cap = _decimal(item["cap"]) if isinstance(item["cap"], str) else None
        if cap is None or cap <= 0:
            problems.append(f"adjustment {item['code']}: cap must be a positive decimal string")
    return problems
