"""What the pages, the API and the command line show of a survey: its results question by
question beside last year's value and this year's target, the fieldwork's progress against
the sample size, and its batches (hash, rows, who imported, when; never a respondent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.core.canonical import format_time
from ledger.domain.survey import Survey
from ledger.domain.survey_definition import SurveyDefinition


def flat_results(results: dict[str, Any]) -> dict[str, Any]:
    """One unit's results as they are; several units under ``units``."""
    units = results.get("units", {})
    if len(units) == 1:
        return dict(next(iter(units.values())))
    return {"units": units}


def _gap(value: str | None, target: str | None) -> str | None:
    if value is None or target is None:
        return None
    return f"{Decimal(value) - Decimal(target):.2f}"


def question_rows(
    definition: SurveyDefinition, unit_results: dict[str, Any]
) -> list[dict[str, Any]]:
    """The question table: each question (and element, and the overall index of a sipas
    survey) with its percent, last year's value, this year's target and the gap."""
    rows: list[dict[str, Any]] = []
    questions = unit_results.get("questions", {})

    def add(code: str, kind: str, title: str, value: str | None) -> None:
        bench = definition.benchmarks.get(code)
        last = bench.last_year if bench else None
        target = bench.target if bench else None
        rows.append(
            {
                "code": code,
                "kind": kind,
                "title": title,
                "percent": value,
                "last_year": last,
                "target": target,
                "gap": _gap(value, target),
            }
        )

    if definition.kind == "sipas":
        add("overall", "overall", "Chỉ số chung", unit_results.get("overall"))
        for element in definition.elements:
            add(
                element.code,
                "element",
                element.title,
                unit_results.get("elements", {}).get(element.code),
            )
            for question in element.questions:
                add(question.code, "question", question.text, questions.get(question.code))
    else:
        for criterion, codes in definition.criterion_questions.items():
            add(
                criterion,
                "criterion",
                f"Tiêu chí {criterion}",
                unit_results.get("criteria", {}).get(criterion),
            )
            by_code = {q.code: q for q in definition.questions}
            for code in codes:
                add(code, "question", by_code[code].text, questions.get(code))
    return rows


def progress(survey: Survey) -> dict[str, Any]:
    """Respondents and answers so far per unit and group, against the sample size."""
    definition = survey.definition
    targets = {g.code: g.sample_size for g in definition.respondent_groups}
    found: dict[str, Any] = {}
    tallies = survey.tallies()
    for unit in definition.units:
        groups: dict[str, Any] = {}
        for group in definition.group_codes:
            count = sum(b.respondents.get(unit, {}).get(group, 0) for b in survey.active_batches())
            target = targets.get(group) or definition.sample_size
            answers = {
                code: sum(counts.values())
                for code, counts in tallies.get(unit, {}).get(group, {}).items()
            }
            groups[group] = {"respondents": count, "target": target, "answers": answers}
        found[unit] = groups
    return found


def batches(survey: Survey) -> list[dict[str, Any]]:
    return [
        {
            "file_sha256": b.file_sha256,
            "rows": b.rows,
            "imported_at": format_time(b.imported_at),
            "imported_by": b.imported_by,
            "supersedes": b.supersedes,
            "reason": b.reason,
            "superseded_by": b.superseded_by,
        }
        for b in (survey.batches[s] for s in survey.order)
    ]


def survey_codes(views: Any, ledger: Any) -> list[str]:
    """The codes of every defined survey, from the log's index of events."""
    rows = views.rows(
        "SELECT aggregate_id FROM {pv_log} WHERE aggregate_type = ? AND version = 1 "
        "ORDER BY position",
        ("Survey",),
    )
    codes = []
    for row in rows:
        found = ledger.aggregate(UUID(str(row["aggregate_id"])))
        if isinstance(found, Survey):
            codes.append(found.code)
    return codes


def survey_document(survey: Survey) -> dict[str, Any]:
    """Everything public of a survey in one JSON document."""
    definition = survey.definition
    results = survey.results or {"method": definition.method, "units": {}}
    return {
        "code": survey.code,
        "version": survey.definition_version,
        "campaign": survey.campaign,
        "kind": definition.kind,
        "method": definition.method,
        "title": definition.title,
        "definition": survey.body,
        "results": flat_results(results),
        "all_results": results,
        "tables": {
            unit: question_rows(definition, found)
            for unit, found in results.get("units", {}).items()
        },
        "progress": progress(survey),
        "batches": batches(survey),
    }
