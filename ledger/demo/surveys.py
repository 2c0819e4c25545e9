"""The demo's surveys of Hanoi in its 2022 campaign: SIPAS, defined from Hanoi's plan
(``hanoi_sipas_2022_plan.csv``), and the sociological survey of the province's 20
survey-sourced sub-criteria. Their answers are generated, deterministically:

- SIPAS: a pool of respondents numbered from 1; question q is answered by the first N_q
  of them (the others leave it blank), the first k_q of those satisfied (4 or 5 in turn),
  the rest not (1, 2 or 3 in turn). N_q is the smallest number from 1,000 up for which
  some k_q gives the question's 2021 percentage exactly, except V.1, set to 81.79 so that
  the overall index is 87.09: the 8.709 points of Hanoi's plan.
- The sociological survey: one question per sub-criterion, answered by n respondents
  alternately of two groups (deputies, businesses), a of them A and the rest B (or, below
  60 %, B and C), n the smallest from 20 up giving the plan's 2021 points exactly.

Nothing in these files is personal: respondent ids are ``R0001``…"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from typing import Any

from ledger.application.local_client import send
from ledger.application.service import Ledger
from ledger.application.survey_import import batch_args, check_answer_bytes, private_files
from ledger.core.crypto import SigningKey
from ledger.core.ids import survey_id
from ledger.domain.indicators import IndicatorTree, Node
from ledger.domain.points import format_points
from ledger.domain.survey import Survey
from ledger.domain.survey_methods import round2

SIPAS_CODE = "HN-SIPAS-2022"
PAR_CODE = "HN-DTXHH-2022"
V1_PERCENT = "81.79"


def sipas_plan() -> list[dict[str, str]]:
    text = resources.files("ledger").joinpath("data/hanoi_sipas_2022_plan.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def sipas_definition(campaign: str, unit: str) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    benchmarks: dict[str, dict[str, str]] = {}
    for row in sipas_plan():
        code = "overall" if row["kind"] == "overall" else row["code"]
        benchmarks[code] = {
            "last_year": row["pct_2021"],
            "target": f"{Decimal(row['target_2022'].lstrip('>')):.2f}",
        }
        if row["kind"] == "element":
            elements.append({"code": row["code"], "title": row["title"], "questions": []})
        elif row["kind"] == "question":
            elements[-1]["questions"].append({"code": row["code"], "text": row["title"]})
    return {
        "code": SIPAS_CODE,
        "campaign": campaign,
        "kind": "sipas",
        "method": "sipas-default-1",
        "title": "Chỉ số hài lòng về sự phục vụ hành chính năm 2022",
        "units": [unit],
        "criteria": {"8.1": "overall"},
        "elements": elements,
        "sample_size": 1000,
        "benchmarks": benchmarks,
    }


def _sample(target: Decimal, low: int) -> tuple[int, int]:
    """The smallest n from ``low`` and a k with round2(100 k / n) == target (a percent)."""
    for n in range(low, 20 * low):
        for k in range(max(0, int(target * n / 100) - 1), min(n, int(target * n / 100) + 2) + 1):
            if round2(Fraction(100 * k, n)) == target:
                return n, k
    raise ValueError(f"no sample gives {target}")


def sipas_answers(unit: str) -> bytes:
    percents = {r["code"]: Decimal(r["pct_2021"]) for r in sipas_plan() if r["kind"] == "question"}
    percents["V.1"] = Decimal(V1_PERCENT)
    samples = {code: _sample(p, 1000) for code, p in percents.items()}
    pool = max(n for n, _ in samples.values())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["respondent", "unit", "question", "answer"])
    for person in range(pool):
        for code, (n, k) in samples.items():
            if person >= n:
                answer = ""
            elif person < k:
                answer = "45"[person % 2]
            else:
                answer = "123"[person % 3]
            writer.writerow([f"R{person + 1:04d}", unit, code, answer])
    return out.getvalue().encode("utf-8")


def par_definition(
    code: str, campaign: str, units: list[str], leaves: list[Node], title: str
) -> dict[str, Any]:
    return {
        "code": code,
        "campaign": campaign,
        "kind": "par_survey",
        "method": "par-survey-default-1",
        "title": title,
        "units": units,
        "respondent_groups": [
            {"code": "DB", "title": "Đại biểu HĐND", "sample_size": 20},
            {"code": "DN", "title": "Doanh nghiệp, người dân", "sample_size": 20},
        ],
        "questions": [
            {"code": f"Q{leaf.code}", "text": leaf.title, "criterion": leaf.code} for leaf in leaves
        ],
    }


def _par_sample(points: Decimal, maximum: Decimal, precision: int) -> tuple[int, int, str]:
    """n answers, a of them the higher option, giving ``points`` of ``maximum`` exactly."""
    high, low = ("A", "B") if points * 100 >= maximum * 60 else ("B", "C")
    base = 60 if high == "A" else 20
    for n in range(20, 2000):
        for a in range(n + 1):
            percent = round2(Fraction(base * n + 40 * a, n))
            if Decimal(format_points(maximum * percent / 100, precision)) == points:
                return n, a, high + low
    raise ValueError(f"no sample gives {points} of {maximum}")


def par_answers(points: dict[str, dict[str, Decimal]], leaves: list[Node], precision: int) -> bytes:
    """Answers giving each unit's points (``points[unit][criterion]``) exactly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["respondent", "unit", "question", "answer", "group"])
    for unit, wanted in points.items():
        for leaf in leaves:
            n, a, options = _par_sample(wanted[leaf.code], leaf.max_points, precision)
            for person in range(n):
                answer = options[0] if person < a else options[1]
                group = "DB" if person % 2 else "DN"
                writer.writerow([f"R{person + 1:04d}", unit, f"Q{leaf.code}", answer, group])
    return out.getvalue().encode("utf-8")


def _survey(ledger: Ledger, code: str) -> Survey | None:
    found = ledger.aggregate(survey_id(code))
    return found if isinstance(found, Survey) else None


def _define_and_import(
    ledger: Ledger, key: SigningKey, definition: dict[str, Any], answers: bytes
) -> None:
    if _survey(ledger, definition["code"]) is None:
        send(ledger, key, "define_survey", definition)
    survey = _survey(ledger, definition["code"])
    assert survey is not None
    if survey.batches:
        return
    checked = check_answer_bytes(answers, f"{definition['code']}.csv", survey.definition)
    assert checked.ok, checked.tally.errors[:3]
    private_files(ledger.settings.evidence_dir).put_bytes(answers)
    send(ledger, key, "import_survey_batch", batch_args(survey, checked))


def surveyed_leaves(tree: IndicatorTree, kind: str) -> list[Node]:
    return [leaf for leaf in tree.applicable_leaves(kind) if leaf.score_source == "survey"]


def run_surveys(
    ledger: Ledger,
    key: SigningKey,
    campaign: str,
    unit: str,
    tree: IndicatorTree,
    scores: dict[str, Decimal],
) -> None:
    """Hanoi's two surveys: their points reach Hanoi's scorecard as the ledger's own acts."""
    _define_and_import(ledger, key, sipas_definition(campaign, unit), sipas_answers(unit))
    leaves = surveyed_leaves(tree, "province")
    title = "Điều tra xã hội học đánh giá tác động của cải cách hành chính năm 2022"
    _define_and_import(
        ledger,
        key,
        par_definition(PAR_CODE, campaign, [unit], leaves, title),
        par_answers(
            {unit: {leaf.code: scores[leaf.code] for leaf in leaves}}, leaves, tree.precision
        ),
    )


def run_unit_surveys(
    ledger: Ledger,
    key: SigningKey,
    campaign: str,
    units: dict[str, str],
    tree: IndicatorTree,
    points: dict[str, dict[str, Decimal]],
) -> None:
    """A sociological survey per kind of unit (its survey-sourced leaves differ), giving
    each unit ``points[unit][criterion]``."""
    title = "Điều tra xã hội học đánh giá tác động của cải cách hành chính"
    for kind in sorted(set(units.values())):
        members = [unit for unit, of in units.items() if of == kind]
        leaves = surveyed_leaves(tree, kind)
        if not leaves:
            continue
        code = f"{campaign}-DTXHH-{kind}"
        definition = par_definition(code, campaign, members, leaves, f"{title} ({kind})")
        wanted = {unit: points[unit] for unit in members}
        _define_and_import(ledger, key, definition, par_answers(wanted, leaves, tree.precision))
