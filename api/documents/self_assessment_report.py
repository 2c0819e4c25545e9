"""Báo cáo tự đánh giá (Mẫu 01): a unit's short report with its dossier — totals per area
against the maximum, the leaves below their maximum with the points lost, and the leaves
without evidence with the unit's explanations."""

from __future__ import annotations

from decimal import Decimal

from api.documents.charts import area_chart
from api.documents.layout import authority_of, number, unit_issuer
from api.documents.model import Chart, Column, Document, Paragraph, Row, Section, Table
from api.documents.rows import submission
from api.documents.scoring_sheet import self_points
from api.documents.sources import Reading
from ledger.domain.points import plain

AREA_COLUMNS = (
    Column("STT", "code", 5),
    Column("Lĩnh vực", "text", 46),
    Column("Điểm tối đa", "points", 9),
    Column("Điểm tự đánh giá", "points", 9),
    Column("Điểm bị mất", "points", 9),
    Column("Chỉ số thành phần (%)", "percent", 10),
)
LOST_COLUMNS = (
    Column("Mã", "code", 8),
    Column("Tiêu chí, tiêu chí thành phần", "text", 52),
    Column("Điểm tối đa", "points", 9),
    Column("Điểm tự đánh giá", "points", 9),
    Column("Điểm bị mất", "points", 9),
)
MISSING_COLUMNS = (
    Column("Mã", "code", 8),
    Column("Tiêu chí, tiêu chí thành phần", "text", 40),
    Column("Điểm tự đánh giá", "points", 9),
    Column("Giải trình của đơn vị (không có tài liệu kiểm chứng)", "text", 45),
)


def build(reading: Reading, unit: str) -> Document:
    view = reading.scorecard(unit)
    tree, p = reading.tree, reading.tree.precision
    stage = view["totals"]["self_assessment"]
    registered = reading.unit(unit)
    state, signature = submission(view, reading)

    area_rows = []
    for n, (code, area) in enumerate(stage["areas"].items(), start=1):
        maximum, points = Decimal(area["max_points"]), Decimal(area["points"])
        area_rows.append(
            Row(
                (
                    str(n),
                    f"{code}. {tree.nodes[code].title}",
                    maximum,
                    points,
                    maximum - points,
                    Decimal(area["index"]),
                )
            )
        )
    total, maximum = Decimal(stage["total"]), Decimal(stage["max_total"])
    area_rows.append(
        Row(("", "TỔNG ĐIỂM", maximum, total, maximum - total, Decimal(stage["index"])), "total")
    )

    lost_rows, missing_rows = [], []
    lost_total = Decimal(0)
    for leaf in view["leaves"]:
        assessed = self_points(leaf)
        leaf_max = Decimal(leaf["max_points"])
        if assessed is not None and assessed < leaf_max:
            lost_total += leaf_max - assessed
            lost_rows.append(
                Row((leaf["code"], leaf["title"], leaf_max, assessed, leaf_max - assessed))
            )
        if leaf["flags"]["no_evidence"]:
            explanation = (leaf["self_score"] or {}).get("explanation") or (
                "Không có giải trình: điểm này không được công nhận khi thẩm định"
            )
            missing_rows.append(Row((leaf["code"], leaf["title"], assessed, explanation)))
    lost_rows.append(Row(("", "Cộng", None, None, lost_total), "total"))
    unscored = sum(
        1
        for leaf in view["leaves"]
        if leaf["score_source"] == "appraisal" and leaf["self_score"] is None
    )
    year = reading.campaign["year"]
    summary = (
        f"Thực hiện {reading.campaign.get('title', '')}, {registered['name']} đã tự đánh giá, "
        f"chấm điểm theo Bộ chỉ số {tree.title} ({tree.code}, phiên bản {tree.version}). "
        f"Tổng điểm tự đánh giá đạt {number(stage['total'], p)}/{number(stage['max_total'], p)} "
        f"điểm, Chỉ số tự đánh giá đạt {number(stage['index'], p)} %; "
        f"{len(lost_rows) - 1} tiêu chí chưa đạt điểm tối đa (mất {number(plain(lost_total), p)} "
        f"điểm); {len(missing_rows)} tiêu chí không có tài liệu kiểm chứng"
        + (f"; {unscored} tiêu chí chưa tự chấm." if unscored else ".")
    )
    areas = list(stage["areas"])
    authority = authority_of([registered], reading.registry)
    council = "Hội đồng thẩm định Chỉ số CCHC" + (f" — {authority['name']}" if authority else "")
    return Document(
        kind="self-assessment-report",
        file_stem=f"{reading.code}-{unit}-bao-cao-tu-danh-gia",
        issuer=unit_issuer(registered, reading.parent(unit)),
        date=reading.date(unit),
        title="Báo cáo",
        subtitle=(
            f"Kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {year}",
            f"{registered['name']} ({unit})",
        ),
        sections=(
            Section(
                "Tổng hợp theo lĩnh vực",
                (
                    Paragraph(summary),
                    Paragraph(state),
                    Paragraph("I. KẾT QUẢ TỰ ĐÁNH GIÁ THEO LĨNH VỰC", "heading"),
                    Table(AREA_COLUMNS, tuple(area_rows)),
                    Chart(
                        area_chart(
                            areas,
                            [Decimal(stage["areas"][a]["index"]) for a in areas],
                            f"Chỉ số thành phần tự đánh giá — {registered['name']}",
                        ),
                        "Hình 1. Chỉ số thành phần theo lĩnh vực (điểm tự đánh giá / điểm tối đa)",
                    ),
                ),
            ),
            Section(
                "Tiêu chí bị mất điểm",
                (
                    Paragraph("II. CÁC TIÊU CHÍ CHƯA ĐẠT ĐIỂM TỐI ĐA", "heading"),
                    Table(LOST_COLUMNS, tuple(lost_rows)),
                ),
            ),
            Section(
                "Tiêu chí thiếu TLKC",
                (
                    Paragraph("III. CÁC TIÊU CHÍ KHÔNG CÓ TÀI LIỆU KIỂM CHỨNG", "heading"),
                    Table(MISSING_COLUMNS, tuple(missing_rows))
                    if missing_rows
                    else Paragraph("Mọi tiêu chí đã tự chấm đều có tài liệu kiểm chứng."),
                ),
            ),
        ),
        provenance=reading.provenance(),
        precision=p,
        form="Mẫu 01",
        number=f"BC-{unit}",
        signatures=(signature,),
        recipients=(council, "Lưu: VT."),
    )
