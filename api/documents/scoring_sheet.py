"""Biểu tự chấm điểm (Mẫu 02/03/04): every applicable leaf of a unit's scorecard under its
area and criterion, with the maximum, what the unit entered for a rule-based leaf, the
self-score, the evidence and the notes; totals per area and overall; who submitted it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.documents.layout import form_of, unit_issuer
from api.documents.model import Column, Document, Paragraph, Row, Section, Table
from api.documents.rows import area_title, evidence_text, inputs_text, submission, walk
from api.documents.sources import Reading
from ledger.domain.indicators import SOURCE_TITLES
from ledger.domain.unit import KIND_TITLES

COLUMNS = (
    Column("STT", "code", 4),
    Column("Mã", "code", 11),
    Column("Lĩnh vực, tiêu chí, tiêu chí thành phần", "text", 32),
    Column("Điểm tối đa", "points", 7),
    Column("Số liệu đơn vị nhập", "text", 10),
    Column("Điểm tự đánh giá", "points", 7),
    Column("Tài liệu kiểm chứng", "text", 15),
    Column("Ghi chú, giải trình", "text", 23),
)


def self_points(leaf: dict[str, Any]) -> Decimal | None:
    """A leaf's points as the unit assessed it: its self-score, or for a leaf scored by
    survey, SIPAS or an authority, the points recorded for it."""
    if leaf["score_source"] == "appraisal":
        score = leaf["self_score"]
        return None if score is None else Decimal(score["points"])
    external = leaf["external"]
    return None if external is None else Decimal(external["points"])


def _notes(leaf: dict[str, Any]) -> str:
    if leaf["score_source"] != "appraisal":
        source = SOURCE_TITLES.get(leaf["score_source"], leaf["score_source"])
        document = (leaf["external"] or {}).get("source_document", "")
        return f"{source}" + (f": {document}" if document else "")
    score = leaf["self_score"]
    if score is None:
        return "Chưa tự chấm"
    parts = [score["note"], score["explanation"]]
    if leaf["flags"]["unsupported"]:
        parts.append("Không có tài liệu kiểm chứng và không có giải trình")
    return " — ".join(p for p in parts if p)


def build(reading: Reading, unit: str) -> Document:
    view = reading.scorecard(unit)
    tree, p = reading.tree, reading.tree.precision
    stage = view["totals"]["self_assessment"]
    leaves = {leaf["code"]: leaf for leaf in view["leaves"]}
    rows: list[Row] = []
    for step in walk(tree, view["unit_kind"]):
        node = step.node
        if node.code in leaves:
            leaf = leaves[node.code]
            score = leaf["self_score"]
            rows.append(
                Row(
                    (
                        step.stt,
                        node.code,
                        node.title,
                        Decimal(leaf["max_points"]),
                        inputs_text(leaf, score["inputs"] if score else None, p),
                        self_points(leaf),
                        evidence_text(leaf),
                        _notes(leaf),
                    ),
                    step.style,
                )
            )
        else:
            rows.append(
                Row(
                    (
                        step.stt,
                        node.code,
                        area_title(node),
                        Decimal(stage["max_nodes"][node.code]),
                        "",
                        Decimal(stage["nodes"][node.code]),
                        "",
                        "",
                    ),
                    step.style,
                )
            )
    rows.append(
        Row(
            (
                "",
                "",
                "TỔNG ĐIỂM",
                Decimal(stage["max_total"]),
                "",
                Decimal(stage["total"]),
                "",
                f"Chỉ số tự đánh giá: {stage['index'].replace('.', ',')} %",
            ),
            "total",
        )
    )
    registered = reading.unit(unit)
    state, signature = submission(view, reading)
    kind = str(view["unit_kind"])
    form = form_of(kind)
    return Document(
        kind="scoring-sheet",
        file_stem=f"{reading.code}-{unit}-bieu-tu-cham-diem",
        issuer=unit_issuer(registered, reading.parent(unit)),
        date=reading.date(unit),
        title="Biểu tự chấm điểm Chỉ số cải cách hành chính",
        subtitle=(
            f"{reading.campaign.get('title', '')} (năm {reading.campaign['year']})",
            f"Đơn vị: {registered['name']} ({unit}) — {KIND_TITLES.get(kind, kind)}",
        ),
        sections=(
            Section(
                form,
                (
                    Paragraph(
                        f"Bộ chỉ số: {tree.title} ({tree.code}, phiên bản {tree.version}). {state}",
                        "note",
                    ),
                    Table(COLUMNS, tuple(rows)),
                ),
            ),
        ),
        provenance=reading.provenance(),
        precision=p,
        form=form,
        signatures=(signature,),
    )
