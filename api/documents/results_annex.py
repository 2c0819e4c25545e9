"""Phụ lục kết quả (the results annex) of a publication: per ranking group each unit's rank,
total, maximum, index, grade and change against the previous campaign; and each unit's
component index per area. Every number is the published table's, read back by its hash."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.documents.charts import area_chart, index_chart
from api.documents.layout import authority_issuer, authority_of, date_words, local_time
from api.documents.model import Chart, Column, Document, Paragraph, Row, Section, Table
from api.documents.sources import Sources
from ledger.core.errors import NotFoundError
from ledger.domain.points import quantize
from ledger.domain.scoring import totals
from ledger.domain.unit import KIND_TITLES
from projections.transparency_log.merkle_log import MerkleLog

RANK_COLUMNS = (
    Column("Xếp hạng", "code", 7),
    Column("Đơn vị", "text", 36),
    Column("Tổng điểm", "points", 8),
    Column("Điểm tối đa", "points", 8),
    Column("Chỉ số (%)", "percent", 8),
    Column("Xếp loại", "text", 10),
    Column("So với kỳ trước", "text", 14),
)


def publication_at(sources: Sources, campaign: str, position: int | None) -> dict[str, Any]:
    """The latest publication of the campaign at or before ``position``."""
    publications = [
        p
        for p in sources.reads.publications(campaign)
        if position is None or p["position"] <= position
    ]
    if not publications:
        raise NotFoundError(
            f"the results of campaign {campaign} have not been published"
            + ("" if position is None else f" by log position {position}"),
            code="not_published",
            field="campaign",
        )
    return publications[-1]


def _previous_ranks(
    sources: Sources, campaign: str
) -> tuple[str | None, dict[tuple[str, str], int]]:
    previous = sources.reads.previous_campaign(campaign)
    if previous is None:
        return None, {}
    published = sources.reads.publications(previous["code"])
    if not published:
        return previous["code"], {}
    table = sources.tables.get(published[-1]["table_sha256"])
    return previous["code"], {(r["ranking_group"], r["unit"]): r["rank"] for r in table["units"]}


def _change(before: int | None, rank: int) -> str:
    if before is None:
        return "—"
    if before == rank:
        return f"giữ nguyên ({before})"
    moved = "tăng" if before > rank else "giảm"
    return f"{moved} {abs(before - rank)} bậc (từ {before})"


def build(sources: Sources, campaign: str, position: int | None) -> Document:
    publication = publication_at(sources, campaign, position)
    leaf = MerkleLog(sources.reads.views).leaf(int(publication["tree_size"]) - 1)
    assert leaf is not None
    reading = sources.at(campaign, int(leaf["position"]))
    table = sources.tables.get(publication["table_sha256"])
    tree, p = reading.tree, int(table["precision"])
    previous, before = _previous_ranks(sources, campaign)
    areas = list(tree.roots)

    groups: dict[str, list[dict[str, Any]]] = {}
    for row in table["units"]:
        groups.setdefault(row["ranking_group"], []).append(row)
    rank_blocks: list[Any] = []
    area_rows: list[Row] = []
    for group, members in groups.items():
        title = KIND_TITLES.get(group, group)
        rows = tuple(
            Row(
                (
                    f"{r['rank']}/{r['of']}",
                    f"{r['name']} ({r['unit']})",
                    Decimal(r["total"]),
                    Decimal(r["max_total"]),
                    Decimal(r["index"]),
                    r["grade"] or "",
                    _change(before.get((group, r["unit"])), int(r["rank"])),
                )
            )
            for r in members
        )
        rank_blocks.append(Table(RANK_COLUMNS, rows, caption=f"Nhóm: {title} ({len(rows)} đơn vị)"))
        rank_blocks.append(
            Chart(
                index_chart(
                    [r["name"] for r in members],
                    [Decimal(r["index"]) for r in members],
                    f"Chỉ số CCHC năm {table['campaign']['year']} — {title}",
                ),
                f"Chỉ số (%) của các đơn vị nhóm {title}",
            )
        )
        area_rows.append(Row((f"Nhóm: {title}", *([None] * len(areas))), "group"))
        indexes: list[list[Decimal | None]] = []
        for r in members:
            points = {code: Decimal(v) for code, v in r["scores"].items() if v is not None}
            result = totals(tree, r["unit_kind"], points)
            unit_indexes: list[Decimal | None] = [
                result.area_index(code, p) if code in result.max_by_node else None for code in areas
            ]
            indexes.append(unit_indexes)
            area_rows.append(Row((r["name"], *unit_indexes)))
        means: list[Decimal | None] = []
        for i, _ in enumerate(areas):
            values = [v for u in indexes if (v := u[i]) is not None]
            means.append(quantize(sum(values, Decimal(0)) / len(values), p) if values else None)
        area_rows.append(Row(("Trung bình của nhóm", *means), "total"))
        rank_blocks.append(
            Chart(
                area_chart(
                    [a for a, m in zip(areas, means, strict=True) if m is not None],
                    [m for m in means if m is not None],
                    f"Chỉ số thành phần trung bình — {title}",
                ),
                f"Chỉ số thành phần (%) trung bình theo lĩnh vực, nhóm {title}",
            )
        )
    area_columns = (
        Column("Đơn vị", "text", 30),
        *(Column(f"LV {code}", "percent", 7) for code in areas),
    )
    legend = "; ".join(f"LV {code}: {tree.nodes[code].title}" for code in areas)
    authority = authority_of([reading.unit(r["unit"]) for r in table["units"]], reading.registry)
    published = local_time(str(publication["published_at"]), reading.timezone)
    note = publication.get("note") or ""
    comparison = (
        f"So với kỳ trước: thứ hạng trong nhóm ở kỳ {previous}."
        if previous and before
        else "Không có kết quả công bố của kỳ trước để so sánh."
    )
    return Document(
        kind="results-annex",
        file_stem=f"{campaign}-phu-luc-ket-qua",
        issuer=authority_issuer(authority),
        date="" if published is None else date_words(published),
        title="Phụ lục",
        subtitle=(
            f"Kết quả Chỉ số cải cách hành chính năm {table['campaign']['year']}",
            str(table["campaign"]["title"]),
            f"(Kèm theo {note})" if note else f"(Công bố lần {publication['sequence']})",
        ),
        sections=(
            Section(
                "Xếp hạng",
                (
                    Paragraph(
                        f"Kết quả của {len(table['units'])} đơn vị theo Bộ chỉ số "
                        f"{tree.title} ({tree.code}, phiên bản {tree.version}), xếp hạng trong "
                        f"từng nhóm; các đơn vị có chỉ số bằng nhau cùng thứ hạng. {comparison}"
                    ),
                    *rank_blocks,
                ),
            ),
            Section(
                "Chỉ số thành phần",
                (
                    Paragraph("CHỈ SỐ THÀNH PHẦN THEO LĨNH VỰC (%)", "heading"),
                    Table(area_columns, tuple(area_rows), note=legend),
                ),
            ),
        ),
        provenance=reading.provenance(publication["table_sha256"], int(publication["sequence"])),
        precision=p,
    )
