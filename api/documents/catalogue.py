"""The documents the ledger produces, by kind, and how each is asked for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from api.documents import (
    appraisal_report,
    improvement_plan,
    results_annex,
    scoring_sheet,
    self_assessment_report,
)
from api.documents.model import Document
from api.documents.pdf import render_pdf
from api.documents.sources import Sources
from api.documents.xlsx import render_xlsx
from ledger.core.errors import ValidationError

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


Builder = Callable[[Sources, str, str | None, int | None], Document]


@dataclass(frozen=True)
class Kind:
    title: str
    unit: Literal["required", "optional", "none"]
    build: Builder


def _per_unit(
    build: Callable[..., Document],
) -> Callable[[Sources, str, str | None, int | None], Document]:
    def made(sources: Sources, campaign: str, unit: str | None, position: int | None) -> Document:
        assert unit is not None
        return build(sources.at(campaign, position), unit)

    return made


KINDS: dict[str, Kind] = {
    "scoring-sheet": Kind(
        "Biểu tự chấm điểm (Mẫu 02/03/04)", "required", _per_unit(scoring_sheet.build)
    ),
    "self-assessment-report": Kind(
        "Báo cáo tự đánh giá (Mẫu 01)", "required", _per_unit(self_assessment_report.build)
    ),
    "appraisal-report": Kind(
        "Báo cáo thẩm định",
        "optional",
        lambda sources, campaign, unit, position: appraisal_report.build(
            sources.at(campaign, position), unit
        ),
    ),
    "results-annex": Kind(
        "Phụ lục kết quả (của một lần công bố)",
        "none",
        lambda sources, campaign, unit, position: results_annex.build(sources, campaign, position),
    ),
    "improvement-plan": Kind("Kế hoạch cải thiện", "required", _per_unit(improvement_plan.build)),
}


def check(kind: str, unit: str | None, fmt: str) -> Kind:
    """The kind asked for, if the request names it rightly; a clear refusal otherwise."""
    found = KINDS.get(kind)
    if found is None:
        raise ValidationError(
            f"unknown document {kind!r}: use one of {', '.join(KINDS)}", field="kind"
        )
    if fmt not in FORMATS:
        raise ValidationError(f"unknown format {fmt!r}: use pdf or xlsx", field="format")
    if found.unit == "required" and not unit:
        raise ValidationError(f"the {kind} is a unit's document: name the unit", field="unit")
    if found.unit == "none" and unit:
        raise ValidationError(
            f"the {kind} is the whole campaign's: leave the unit out", field="unit"
        )
    return found


def produce(
    sources: Sources,
    kind: str,
    campaign: str,
    unit: str | None,
    fmt: str,
    position: int | None = None,
) -> tuple[Document, bytes]:
    """The document and its bytes in ``fmt`` (pdf or xlsx)."""
    document = check(kind, unit, fmt).build(sources, campaign, unit, position)
    data = render_pdf(document) if fmt == "pdf" else render_xlsx(document)
    return document, data


def file_name(document: Document, fmt: str) -> str:
    return f"{document.file_stem}.{fmt}"
