"""Kế hoạch cải thiện (the improvement-plan table) of a unit, in the layout of Hanoi's plan
192/KH-UBND: every area, criterion and sub-criterion below its maximum, with the maximum,
this year's score, next year's target, the points to gain and the agency in charge."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.documents.layout import number, unit_issuer
from api.documents.model import Column, Document, Paragraph, Row, Section, Signature, Table
from api.documents.rows import area_title, walk
from api.documents.sources import Reading


def _columns(year: int, target_year: int) -> tuple[Column, ...]:
    return (
        Column("STT", "code", 5),
        Column("Mã", "code", 8),
        Column("Lĩnh vực, tiêu chí, tiêu chí thành phần", "text", 46),
        Column("Điểm tối đa", "points", 8),
        Column(f"Điểm đạt năm {year}", "points", 8),
        Column(f"Chỉ tiêu năm {target_year}", "points", 8),
        Column("Điểm cần tăng", "points", 8),
        Column("Cơ quan chủ trì", "text", 20),
    )


def _targets(leaves: dict[str, dict[str, Any]]) -> dict[str, Decimal]:
    """Each node's target: the sum of its leaves' targets (a leaf without one keeps its
    score). Empty when the unit recorded no targets."""
    if all(leaf["target"] is None for leaf in leaves.values()):
        return {}
    sums: dict[str, Decimal] = {}
    for code, leaf in leaves.items():
        value = Decimal(leaf["target"] if leaf["target"] is not None else leaf["points"] or 0)
        node: str | None = code
        while node is not None:
            sums[node] = sums.get(node, Decimal(0)) + value
            node = node.rsplit(".", 1)[0] if "." in node else None
    return sums


def build(reading: Reading, unit: str) -> Document:
    view = reading.scorecard(unit)
    tree, p = reading.tree, reading.tree.precision
    final = view["totals"]["final"]
    leaves = {leaf["code"]: leaf for leaf in view["leaves"]}
    targets = _targets(leaves)
    year = int(reading.campaign["year"])
    target_year = int(view["targets_year"] or year + 1)
    rows: list[Row] = []
    for step in walk(tree, view["unit_kind"]):
        node = step.node
        maximum = Decimal(final["max_nodes"][node.code])
        points = Decimal(final["nodes"].get(node.code, "0"))
        if points >= maximum:
            continue
        target = targets.get(node.code)
        to_gain = None if target is None else max(target - points, Decimal(0))
        rows.append(
            Row(
                (
                    step.stt,
                    node.code,
                    area_title(node),
                    maximum,
                    points,
                    target,
                    to_gain,
                    "" if node.parent is None else node.lead_agency or "",
                ),
                step.style,
            )
        )
    total, maximum = Decimal(final["total"]), Decimal(final["max_total"])
    total_target = sum((targets.get(r, Decimal(0)) for r in tree.roots), Decimal(0))
    rows.append(
        Row(
            (
                "",
                "",
                "TỔNG ĐIỂM",
                maximum,
                total,
                total_target if targets else None,
                max(total_target - total, Decimal(0)) if targets else None,
                "",
            ),
            "total",
        )
    )
    registered = reading.unit(unit)
    intro = (
        f"Năm {year}, {registered['name']} đạt {number(final['total'], p)}/"
        f"{number(final['max_total'], p)} điểm, Chỉ số {number(final['index'], p)} % "
        f"(kỳ đánh giá {reading.code}). Bảng dưới liệt kê từng lĩnh vực, tiêu chí và tiêu chí "
        "thành phần chưa đạt điểm tối đa, chỉ tiêu phấn đấu và cơ quan chủ trì thực hiện."
    )
    note = (
        f"Chỉ tiêu năm {target_year} theo chỉ tiêu đơn vị đã ghi nhận trên sổ cái."
        if targets
        else f"Đơn vị chưa ghi nhận chỉ tiêu năm {target_year} trên sổ cái."
    )
    return Document(
        kind="improvement-plan",
        file_stem=f"{reading.code}-{unit}-ke-hoach-cai-thien",
        issuer=unit_issuer(registered, reading.parent(unit)),
        date=reading.date(unit),
        title="Kế hoạch",
        subtitle=(
            f"Duy trì và nâng cao Chỉ số cải cách hành chính năm {target_year}",
            f"{registered['name']} ({unit})",
        ),
        sections=(
            Section(
                "Kế hoạch cải thiện",
                (
                    Paragraph(intro),
                    Paragraph("CÁC TIÊU CHÍ CẦN CẢI THIỆN, CHỈ TIÊU VÀ CƠ QUAN CHỦ TRÌ", "heading"),
                    Table(_columns(year, target_year), tuple(rows), note=note),
                ),
            ),
        ),
        provenance=reading.provenance(),
        precision=p,
        number=f"KH-{unit}",
        signatures=(Signature("Thủ trưởng đơn vị"),),
        recipients=("Sở Nội vụ (để theo dõi)", "Các cơ quan chủ trì", "Lưu: VT."),
    )
