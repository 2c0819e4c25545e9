"""A survey's definition (docs/FORMATS.md §12): what is asked, of whom, about which units,
aggregated by which named method into which criteria's points.

The same model checks the ``define_survey`` command's arguments and the YAML or JSON file
the survey body writes; the import, the methods and the verifier read it."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledger.core.codes import CODE, UNIT_CODE

PERCENT = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"
# the respondent group of a survey whose file has no group column
NO_GROUP = "-"
METHOD_KIND = {"sipas-default-1": "sipas", "par-survey-default-1": "par_survey"}


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Question(Part):
    code: str = Field(pattern=CODE, description="the question's code, e.g. I.1")
    text: str = Field(min_length=1, max_length=2000, description="what is asked")
    criterion: str | None = Field(
        default=None, pattern=CODE, description="par_survey: the sub-criterion it scores"
    )
    groups: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="par_survey: the respondent groups asked (default: every group)",
    )


class Element(Part):
    code: str = Field(pattern=CODE, description="the element's code, e.g. I")
    title: str = Field(min_length=1, max_length=500, description="the element's title")
    questions: list[Question] = Field(
        min_length=1, max_length=200, description="the element's questions"
    )


class Group(Part):
    code: str = Field(pattern=UNIT_CODE, description="the respondent group's code")
    title: str = Field(min_length=1, max_length=500, description="who they are")
    sample_size: int | None = Field(
        default=None, ge=1, description="respondents to reach per unit (the fieldwork target)"
    )


class Benchmark(Part):
    last_year: str | None = Field(default=None, pattern=PERCENT, description="last year's %")
    target: str | None = Field(default=None, pattern=PERCENT, description="this year's target")


class SurveyDefinition(Part):
    code: str = Field(pattern=UNIT_CODE, description="the survey's code, unique")
    version: int = Field(default=1, ge=1, description="the definition's version")
    campaign: str = Field(pattern=UNIT_CODE, description="the campaign receiving its points")
    kind: Literal["sipas", "par_survey"] = Field(description="sipas or par_survey")
    method: Literal["sipas-default-1", "par-survey-default-1"] = Field(
        description="the named, versioned aggregation method"
    )
    title: str = Field(min_length=1, max_length=500, description="the survey's title")
    units: list[str] = Field(min_length=1, max_length=2000, description="the rated units")
    criteria: dict[str, Literal["overall"]] = Field(
        default_factory=dict,
        max_length=10,
        description='sipas: the criterion receiving the overall index, e.g. {"8.1": "overall"}',
    )
    elements: list[Element] = Field(
        default_factory=list, max_length=20, description="sipas: the elements and their questions"
    )
    respondent_groups: list[Group] = Field(
        default_factory=list, max_length=50, description="par_survey: who is asked"
    )
    questions: list[Question] = Field(
        default_factory=list,
        max_length=2000,
        description="par_survey: the questions and the sub-criterion each scores",
    )
    sample_size: int | None = Field(
        default=None, ge=1, description="respondents to reach per unit (the fieldwork target)"
    )
    benchmarks: dict[str, Benchmark] = Field(
        default_factory=dict,
        max_length=5000,
        description="last year's value and this year's target by question, element, "
        "criterion or 'overall'",
    )

    @field_validator("units")
    @classmethod
    def _units(cls, value: list[str]) -> list[str]:
        bad = [code for code in value if not _matches(UNIT_CODE, code)]
        if bad:
            raise ValueError(f"not unit codes: {', '.join(bad)}")
        if len(set(value)) != len(value):
            raise ValueError("a unit is listed twice")
        return value

    def model_post_init(self, context: Any, /) -> None:
        problems = self._problems()
        if problems:
            raise ValueError("; ".join(problems))

    def _problems(self) -> list[str]:
        found = []
        if METHOD_KIND[self.method] != self.kind:
            found.append(f"the method {self.method} is not for a {self.kind} survey")
        codes = [q.code for q in self.all_questions]
        doubled = sorted({c for c in codes if codes.count(c) > 1})
        if doubled:
            found.append(f"question code(s) used twice: {', '.join(doubled)}")
        if self.kind == "sipas":
            if not self.elements or not self.criteria:
                found.append("a sipas survey has elements and criteria")
            if self.questions or self.respondent_groups:
                found.append("a sipas survey has no questions outside elements, nor groups")
            if any(q.criterion or q.groups for q in self.all_questions):
                found.append("a sipas question names no criterion and no group")
        else:
            if not self.questions or not self.respondent_groups or self.elements:
                found.append("a par_survey has respondent_groups and questions, no elements")
            if self.criteria:
                found.append("a par_survey's criteria are named by its questions")
            groups = set(self.group_codes)
            for question in self.questions:
                if question.criterion is None:
                    found.append(f"question {question.code} names no criterion")
                unknown = sorted(set(question.groups) - groups)
                if unknown:
                    found.append(f"question {question.code}: unknown group(s) {unknown}")
        return found

    @cached_property
    def all_questions(self) -> list[Question]:
        return [q for e in self.elements for q in e.questions] + list(self.questions)

    @cached_property
    def question_codes(self) -> frozenset[str]:
        return frozenset(q.code for q in self.all_questions)

    @cached_property
    def group_codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.respondent_groups) or (NO_GROUP,)

    def asked(self, question: Question) -> tuple[str, ...]:
        """The respondent groups a question is put to."""
        return tuple(question.groups) or self.group_codes

    @cached_property
    def criterion_questions(self) -> dict[str, list[str]]:
        """par_survey: each sub-criterion's questions, in the definition's order."""
        found: dict[str, list[str]] = {}
        for question in self.questions:
            found.setdefault(str(question.criterion), []).append(question.code)
        return found

    @property
    def scored_criteria(self) -> list[str]:
        """The criteria that receive points."""
        return list(self.criteria) if self.kind == "sipas" else list(self.criterion_questions)

    def columns(self) -> tuple[str, ...]:
        """The answer file's columns, and no other."""
        base = ("respondent", "unit", "question", "answer")
        return (*base, "group") if self.kind == "par_survey" else base


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern.strip("^$"), value) is not None
