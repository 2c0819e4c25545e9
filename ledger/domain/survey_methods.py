"""The named, versioned methods that turn a survey's tallies into percentages, indexes and
points (docs/FORMATS.md §12.3). One pure function, :func:`survey_results`, serves the
ledger (an import's derived members), the read models, the preview and the verifier.

Tallies are ``{unit: {group: {question: {option: count}}}}``; the option ``"blank"``
counts unanswered questions, and a survey without respondent groups has the one group
``"-"``. Counts left out are zero."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.domain.points import format_points
from ledger.domain.survey_definition import SurveyDefinition

BLANK = "blank"
Counts = Mapping[str, int]
Tallies = Mapping[str, Mapping[str, Mapping[str, Counts]]]


@dataclass(frozen=True)
class Method:
    name: str
    kind: str
    # the answer options of its scale, as written in an answer file
    options: tuple[str, ...]
    labels: Mapping[str, str]


METHODS: Mapping[str, Method] = {
    "sipas-default-1": Method(
        "sipas-default-1",
        "sipas",
        ("1", "2", "3", "4", "5"),
        {
            "1": "Rất không hài lòng",
            "2": "Không hài lòng",
            "3": "Bình thường",
            "4": "Hài lòng",
            "5": "Rất hài lòng",
        },
    ),
    "par-survey-default-1": Method(
        "par-survey-default-1",
        "par_survey",
        ("A", "B", "C", "D", "E"),
        {"A": "A", "B": "B", "C": "C", "D": "D", "E": "Không có ý kiến"},
    ),
}
PAR_WEIGHTS = {"A": 100, "B": 60, "C": 20, "D": 0}


def round2(value: Fraction) -> Decimal:
    """Exactly, half-up to two decimals (a non-negative value)."""
    hundredths = value * 100
    whole = (hundredths.numerator * 2 + hundredths.denominator) // (2 * hundredths.denominator)
    return Decimal(whole).scaleb(-2)


def text2(value: Decimal) -> str:
    return f"{value:.2f}"


def sipas_percent(counts: Counts) -> Fraction | None:
    """100 × (answers 4 or 5) / (answers 1–5); None without a valid answer."""
    valid = sum(counts.get(option, 0) for option in ("1", "2", "3", "4", "5"))
    if valid == 0:
        return None
    return Fraction(100 * (counts.get("4", 0) + counts.get("5", 0)), valid)


def par_score(counts: Counts) -> Fraction | None:
    """The mean weight of the answers A–D (E and blanks are not counted); None without."""
    counted = sum(counts.get(option, 0) for option in PAR_WEIGHTS)
    if counted == 0:
        return None
    total = sum(weight * counts.get(option, 0) for option, weight in PAR_WEIGHTS.items())
    return Fraction(total, counted)


def merge_tallies(batches: Iterable[Tallies]) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """The sum of several batches' tallies."""
    found: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for tallies in batches:
        for unit, groups in tallies.items():
            for group, questions in groups.items():
                for question, counts in questions.items():
                    into = found.setdefault(unit, {}).setdefault(group, {}).setdefault(question, {})
                    for option, count in counts.items():
                        into[option] = into.get(option, 0) + count
    return found


def pooled(groups: Mapping[str, Mapping[str, Counts]]) -> dict[str, dict[str, int]]:
    """One unit's counts by question, every respondent group together."""
    merged = merge_tallies([{"": groups}]).get("", {})
    found: dict[str, dict[str, int]] = {}
    for questions in merged.values():
        for question, counts in questions.items():
            into = found.setdefault(question, {})
            for option, count in counts.items():
                into[option] = into.get(option, 0) + count
    return found


def _points(maximum: Decimal, percent: Decimal, precision: int) -> str:
    return format_points(maximum * percent / 100, precision)


def _sipas_unit(
    definition: SurveyDefinition,
    counts: Mapping[str, Counts],
    maxima: Mapping[str, Decimal],
    precision: int,
) -> dict[str, Any]:
    questions: dict[str, str] = {}
    elements: dict[str, str] = {}
    problems: list[str] = []
    element_values: list[Decimal] = []
    for element in definition.elements:
        values = []
        for question in element.questions:
            percent = sipas_percent(counts.get(question.code, {}))
            if percent is None:
                problems.append(f"question {question.code} has no valid answer")
                continue
            rounded = round2(percent)
            questions[question.code] = text2(rounded)
            values.append(rounded)
        if len(values) == len(element.questions):
            index = round2(Fraction(sum(values, Decimal(0))) / len(values))
            elements[element.code] = text2(index)
            element_values.append(index)
    found: dict[str, Any] = {"questions": questions, "elements": elements}
    if problems:
        return {**found, "overall": None, "points": {}, "problems": problems}
    overall = round2(Fraction(sum(element_values, Decimal(0))) / len(element_values))
    points = {code: _points(maxima[code], overall, precision) for code in definition.criteria}
    return {**found, "overall": text2(overall), "points": points}


def _par_scores(
    definition: SurveyDefinition, counts: Mapping[str, Counts], problems: list[str] | None
) -> tuple[dict[str, str], dict[str, str]]:
    questions: dict[str, Fraction] = {}
    for question in definition.questions:
        score = par_score(counts.get(question.code, {}))
        if score is not None:
            questions[question.code] = score
        elif problems is not None:
            problems.append(f"question {question.code} has no counted answer (A–D)")
    criteria = {}
    for criterion, codes in definition.criterion_questions.items():
        scores = [questions[code] for code in codes if code in questions]
        if len(scores) == len(codes):
            criteria[criterion] = text2(round2(sum(scores, Fraction(0)) / len(scores)))
    return {code: text2(round2(score)) for code, score in questions.items()}, criteria


def _par_unit(
    definition: SurveyDefinition,
    groups: Mapping[str, Mapping[str, Counts]],
    maxima: Mapping[str, Decimal],
    precision: int,
) -> dict[str, Any]:
    problems: list[str] = []
    questions, criteria = _par_scores(definition, pooled(groups), problems)
    by_group = {}
    for group in definition.group_codes:
        if group in groups:
            asked, scored = _par_scores(definition, groups[group], None)
            by_group[group] = {"questions": asked, "criteria": scored}
    found: dict[str, Any] = {"questions": questions, "criteria": criteria, "groups": by_group}
    if problems:
        return {**found, "points": {}, "problems": problems}
    points = {
        code: _points(maxima[code], Decimal(criteria[code]), precision)
        for code in definition.criterion_questions
    }
    return {**found, "points": points}


def survey_results(
    definition: SurveyDefinition,
    tallies: Tallies,
    maxima: Mapping[str, Decimal],
    precision: int,
) -> dict[str, Any]:
    """Every rated unit's results: ``{"units": {unit: {...}}}``. A unit whose computation is
    blocked (a question without a valid answer, no answers at all) lists its ``problems``
    and has no points."""
    units: dict[str, Any] = {}
    for unit in definition.units:
        groups = tallies.get(unit, {})
        if not groups:
            units[unit] = {"questions": {}, "points": {}, "problems": ["no answers"]}
        elif definition.kind == "sipas":
            units[unit] = _sipas_unit(definition, pooled(groups), maxima, precision)
        else:
            units[unit] = _par_unit(definition, groups, maxima, precision)
    return {"method": definition.method, "units": units}
