"""Báo cáo thẩm định (the appraisal report), of a campaign or of one unit: each unit's total
as self-assessed, after the preliminary appraisal and final; each unit's final points per
area; every leaf whose self-score, preliminary and final appraisal differ or that was
explained, with the council members' reasons and names; and the members."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.documents.charts import index_chart
from api.documents.layout import authority_issuer, authority_of
from api.documents.model import (
    Chart,
    Column,
    Document,
    Paragraph,
    Row,
    Section,
    Signature,
    Table,
)
from api.documents.sources import Reading
from ledger.domain.unit import KIND_TITLES

SUMMARY_COLUMNS = (
    Column("STT", "count", 5),
    Column("Đơn vị", "text", 34),
    Column("Tự đánh giá", "points", 9),
    Column("Thẩm định sơ bộ", "points", 9),
    Column("Thẩm định cuối cùng", "points", 9),
    Column("Chênh lệch", "points", 8),
    Column("Điểm tối đa", "points", 8),
    Column("Chỉ số (%)", "percent", 8),
)
DETAIL_COLUMNS = (
    Column("Mã", "code", 7),
    Column("Tiêu chí", "text", 26),
    Column("Tự chấm", "points", 7),
    Column("Thẩm định lần 1", "points", 8),
    Column("Giải trình", "text", 24),
    Column("Thẩm định lần 2", "points", 8),
    Column("Lý do, người thẩm định", "text", 34),
)
MEMBER_COLUMNS = (
    Column("STT", "count", 5),
    Column("Thành viên Hội đồng", "text", 26),
    Column("Chức vụ, cơ quan", "text", 40),
    Column("Lĩnh vực thẩm định", "text", 12),
    Column("Số tiêu chí đã thẩm định", "count", 10),
)
COUNCIL = "HỘI ĐỒNG THẨM ĐỊNH"


def _points(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def differs(leaf: dict[str, Any]) -> bool:
    """Whether the report details a leaf: its appraisals changed the self-score or each
    other, or the council asked for an explanation, or the unit gave one."""
    if leaf["score_source"] != "appraisal":
        return False
    self_score = _points((leaf["self_score"] or {}).get("points"))
    first = _points((leaf["preliminary_appraisal"] or {}).get("points"))
    second = _points((leaf["final_appraisal"] or {}).get("points"))
    seen = {v for v in (self_score, first, second) if v is not None}
    return (
        len(seen) > 1
        or (first is None and self_score is not None and second is not None)
        or leaf["explanation_request"] is not None
        or bool(leaf["explanations"])
    )


def _reasons(leaf: dict[str, Any], reading: Reading) -> str:
    parts = []
    for label, appraisal in (
        ("Lần 1", leaf["preliminary_appraisal"]),
        ("Lần 2", leaf["final_appraisal"]),
    ):
        if appraisal:
            reason = appraisal.get("reason") or "(không ghi lý do)"
            parts.append(f"{label}: {reason} — {reading.key(appraisal['by']).get('name', '')}")
    return "\n".join(parts)


def _explanation(leaf: dict[str, Any]) -> str:
    parts = []
    if leaf["explanation_request"] is not None:
        parts.append(f"Yêu cầu: {leaf['explanation_request'] or '(không ghi)'}")
    parts += [f"Đơn vị: {text}" for text in leaf["explanations"]]
    return "\n".join(parts)


def _detail_rows(views: list[dict[str, Any]], reading: Reading) -> tuple[Row, ...]:
    rows: list[Row] = []
    for view in views:
        detailed = [leaf for leaf in view["leaves"] if differs(leaf)]
        if not detailed:
            continue
        name = reading.unit_name(view["unit"])
        rows.append(Row(("", f"{name} ({view['unit']})", None, None, "", None, ""), "group"))
        for leaf in detailed:
            rows.append(
                Row(
                    (
                        leaf["code"],
                        leaf["title"],
                        _points((leaf["self_score"] or {}).get("points")),
                        _points((leaf["preliminary_appraisal"] or {}).get("points")),
                        _explanation(leaf),
                        _points((leaf["final_appraisal"] or {}).get("points")),
                        _reasons(leaf, reading),
                    )
                )
            )
    return tuple(rows)


def _members(views: list[dict[str, Any]], reading: Reading) -> tuple[Row, ...]:
    counts: dict[str, int] = {}
    for view in views:
        for leaf in view["leaves"]:
            for appraisal in (leaf["preliminary_appraisal"], leaf["final_appraisal"]):
                if appraisal:
                    counts[appraisal["by"]] = counts.get(appraisal["by"], 0) + 1
    rows = []
    for n, key_id in enumerate(sorted(counts, key=lambda k: reading.key(k).get("name", "")), 1):
        key = reading.key(key_id)
        scope = sorted(
            {c for g in key.get("roles", []) if g["role"] == "appraiser" for c in g["scope"]}
        )
        rows.append(
            Row(
                (
                    n,
                    f"{key.get('name', '')} (khóa {key_id[:8]})",
                    ", ".join(p for p in (key.get("title"), key.get("unit")) if p),
                    ", ".join(scope),
                    counts[key_id],
                )
            )
        )
    return tuple(rows)


def build(reading: Reading, unit: str | None) -> Document:
    views = [reading.scorecard(unit)] if unit else reading.scorecards()
    tree, p = reading.tree, reading.tree.precision
    summary: list[Row] = []
    for n, view in enumerate(views, start=1):
        stages = view["totals"]
        self_total, final = Decimal(stages["self_assessment"]["total"]), stages["final"]
        summary.append(
            Row(
                (
                    n,
                    f"{reading.unit_name(view['unit'])} ({view['unit']})",
                    self_total,
                    Decimal(stages["preliminary"]["total"]),
                    Decimal(final["total"]),
                    Decimal(final["total"]) - self_total,
                    Decimal(final["max_total"]),
                    Decimal(final["index"]),
                )
            )
        )
    areas = list(tree.roots)
    area_columns = (
        Column("Đơn vị", "text", 30),
        *(Column(f"LV {code}", "points", 7) for code in areas),
        Column("Tổng điểm", "points", 8),
    )
    area_rows = tuple(
        Row(
            (
                reading.unit_name(view["unit"]),
                *(_points(view["totals"]["final"]["nodes"].get(code)) for code in areas),
                Decimal(view["totals"]["final"]["total"]),
            )
        )
        for view in views
    )
    legend = "; ".join(f"LV {code}: {tree.nodes[code].title}" for code in areas)
    blocks: list[Any] = [
        Paragraph(
            f"Hội đồng thẩm định đã thẩm định kết quả tự đánh giá của {len(views)} đơn vị theo "
            f"Bộ chỉ số {tree.title} ({tree.code}, phiên bản {tree.version}). Điểm thẩm định "
            "lần 1 là kết quả thẩm định sơ bộ; điểm thẩm định lần 2 là kết quả sau vòng giải "
            "trình."
        ),
        Paragraph("I. TỔNG HỢP KẾT QUẢ THEO ĐƠN VỊ", "heading"),
        Table(SUMMARY_COLUMNS, tuple(summary)),
    ]
    groups: dict[str, list[dict[str, Any]]] = {}
    for view in views:
        group = reading.unit(view["unit"]).get("ranking_group") or view["unit_kind"]
        groups.setdefault(str(group), []).append(view)
    if len(views) > 1:
        for group, members in groups.items():
            blocks.append(
                Chart(
                    index_chart(
                        [reading.unit_name(v["unit"]) for v in members],
                        [Decimal(v["totals"]["final"]["index"]) for v in members],
                        f"Chỉ số sau thẩm định — {KIND_TITLES.get(group, group)}",
                    ),
                    f"Chỉ số (%) sau thẩm định của các đơn vị nhóm {KIND_TITLES.get(group, group)}",
                )
            )
    detail = _detail_rows(views, reading)
    authority = authority_of([reading.unit(v["unit"]) for v in views], reading.registry)
    title_unit = f" — {reading.unit_name(unit)} ({unit})" if unit else ""
    return Document(
        kind="appraisal-report",
        file_stem=f"{reading.code}-{unit + '-' if unit else ''}bao-cao-tham-dinh",
        issuer=authority_issuer(authority, COUNCIL),
        date=reading.date(unit),
        title="Báo cáo thẩm định",
        subtitle=(
            f"Kết quả tự đánh giá, chấm điểm Chỉ số CCHC năm {reading.campaign['year']}"
            f"{title_unit}",
            str(reading.campaign.get("title", "")),
        ),
        sections=(
            Section("Tổng hợp", tuple(blocks)),
            Section(
                "Theo lĩnh vực",
                (
                    Paragraph("II. ĐIỂM THẨM ĐỊNH CUỐI CÙNG THEO LĨNH VỰC", "heading"),
                    Table(area_columns, area_rows, note=legend),
                ),
            ),
            Section(
                "Chi tiết thẩm định",
                (
                    Paragraph(
                        "III. CÁC TIÊU CHÍ CÓ ĐIỂM THẨM ĐỊNH KHÁC ĐIỂM TỰ CHẤM HOẶC CÓ GIẢI TRÌNH",
                        "heading",
                    ),
                    Table(DETAIL_COLUMNS, detail)
                    if detail
                    else Paragraph("Không có tiêu chí nào bị điều chỉnh hoặc phải giải trình."),
                ),
            ),
            Section(
                "Thành viên Hội đồng",
                (
                    Paragraph("IV. THÀNH VIÊN HỘI ĐỒNG ĐÃ THẨM ĐỊNH", "heading"),
                    Table(MEMBER_COLUMNS, _members(views, reading)),
                    Paragraph(
                        "Mỗi điểm thẩm định là một hành vi đã ký số của thành viên có tên; lịch sử "
                        "thay đổi đầy đủ xem bằng lệnh parledger trace.",
                        "note",
                    ),
                ),
            ),
        ),
        provenance=reading.provenance(),
        precision=p,
        number="BC-HĐTĐ",
        signatures=(Signature("TM. Hội đồng thẩm định", "", ("Thường trực Hội đồng",)),),
        recipients=("Ủy ban nhân dân (để báo cáo)", "Các đơn vị được thẩm định", "Lưu: VT."),
    )
