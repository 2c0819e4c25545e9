"""Survey definitions and answer files for the tests: Hanoi's SIPAS questionnaire from its
2022 plan, and a small par_survey."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.domain.survey_definition import SurveyDefinition

PLAN = Path(__file__).resolve().parents[1] / "ledger" / "data" / "hanoi_sipas_2022_plan.csv"


def plan_rows() -> list[dict[str, str]]:
    with PLAN.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def hanoi_sipas(units: list[str] | None = None, campaign: str = "HN-2022") -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    for row in plan_rows():
        if row["kind"] == "element":
            elements.append({"code": row["code"], "title": row["title"], "questions": []})
        elif row["kind"] == "question":
            elements[-1]["questions"].append({"code": row["code"], "text": row["title"]})
    return {
        "code": "HN-SIPAS-2022",
        "campaign": campaign,
        "kind": "sipas",
        "method": "sipas-default-1",
        "title": "Chỉ số hài lòng về sự phục vụ hành chính năm 2022",
        "units": units or ["HN"],
        "criteria": {"8.1": "overall"},
        "elements": elements,
        "sample_size": 1000,
    }


def par_survey(units: list[str] | None = None) -> dict[str, Any]:
    return {
        "code": "HN-PAR-2022",
        "campaign": "HN-2022",
        "kind": "par_survey",
        "method": "par-survey-default-1",
        "title": "Điều tra xã hội học",
        "units": units or ["HN"],
        "respondent_groups": [
            {"code": "DB", "title": "Đại biểu HĐND", "sample_size": 2},
            {"code": "DN", "title": "Doanh nghiệp"},
        ],
        "questions": [
            {"code": "Q1", "text": "Câu 1", "criterion": "2.4.1"},
            {"code": "Q2", "text": "Câu 2", "criterion": "2.4.1", "groups": ["DN"]},
            {"code": "Q3", "text": "Câu 3", "criterion": "5.8.1"},
        ],
    }


def definition(data: dict[str, Any]) -> SurveyDefinition:
    return SurveyDefinition.model_validate(data)


def percent_rows(percents: dict[str, str], unit: str = "HN") -> list[list[str]]:
    """Answer rows whose question percentages are exactly ``percents`` (10,000 answers per
    question: the satisfied share as 4s, the rest as 3s), respondent ids r1…r10000."""
    rows = [["respondent", "unit", "question", "answer"]]
    for question, text in percents.items():
        satisfied = int(Decimal(text) * 100)
        for index in range(10000):
            rows.append([f"r{index}", unit, question, "4" if index < satisfied else "3"])
    return rows
