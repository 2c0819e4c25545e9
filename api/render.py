"""Tables printed by the command line."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from ledger.demo_cycle import HANOI, UnitResult
from ledger.domain.indicators import SOURCE_TITLES, IndicatorTree
from ledger.domain.points import display
from ledger.domain.scorecard import LeafEntry, Scorecard, current_points
from ledger.domain.scoring import totals
from ledger.domain.unit import KIND_TITLES


def _flags(entry: LeafEntry | None) -> str:
    """What an appraiser should notice about a leaf."""
    if entry is None:
        return ""
    flags = []
    if entry.unsupported:
        flags.append("⚠ không có minh chứng, giải trình")
    if entry.preliminary is not None and entry.contested:
        flags.append("điểm thẩm định khác điểm tự chấm")
    if entry.explanation_requested is not None:
        flags.append("đề nghị giải trình")
    if entry.unit_explanations:
        flags.append("đã giải trình")
    if entry.corrected_points is not None:
        flags.append("đã đính chính")
    return "; ".join(flags)


def scorecard_table(card: Scorecard, tree: IndicatorTree, unit_name: str) -> Table:
    """Every applicable leaf: its maximum, self-score, current score (the final score
    where there is one), source, evidence and flags; area and grand totals."""
    points = current_points(card, tree)
    result = totals(tree, card.unit_kind, points)
    p = tree.precision

    def fmt(value: Decimal | None) -> str:
        return "—" if value is None else display(value, p)

    table = Table(
        title=f"Bảng điểm {unit_name} — kỳ đánh giá {card.campaign} ({tree.code} v{tree.version})"
    )
    for column, justify in (
        ("Mã", "left"),
        ("Tiêu chí", "left"),
        ("Điểm tối đa", "right"),
        ("Tự chấm", "right"),
        ("Điểm", "right"),
        ("Nguồn điểm", "left"),
        ("Minh chứng", "right"),
        ("Lưu ý", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for code in tree.order:
        node = tree.nodes[code]
        if not node.applies(card.unit_kind):
            continue
        entry = card.entries.get(code)
        if node.level == "area":
            table.add_section()
            table.add_row(
                f"[bold]{code}[/]",
                f"[bold]{node.title}[/]",
                f"[bold]{fmt(result.max_by_node.get(code))}[/]",
                "",
                f"[bold]{fmt(result.by_node.get(code))}[/]",
            )
        elif node.is_leaf:
            table.add_row(
                code,
                node.title,
                fmt(node.max_points),
                fmt(entry.self_points) if entry and entry.self_points is not None else "",
                fmt(points.get(code)),
                SOURCE_TITLES.get(node.score_source or "", ""),
                str(len(entry.evidence)) if entry and entry.evidence else "",
                _flags(entry),
            )
        else:
            table.add_row(
                code,
                f"[italic]{node.title}[/]",
                fmt(node.max_points),
                "",
                fmt(result.by_node.get(code)),
            )
    table.add_section()
    table.add_row(
        "",
        "[bold]TỔNG ĐIỂM[/]",
        f"[bold]{fmt(result.max_total)}[/]",
        "",
        f"[bold]{fmt(result.total)}[/]",
    )
    table.add_row("", "[bold]Chỉ số CCHC (%)[/]", "", "", f"[bold]{display(result.index, p)}[/]")
    return table


def print_scorecard(console: Console, card: Scorecard, tree: IndicatorTree, unit_name: str) -> None:
    console.print(scorecard_table(card, tree, unit_name))
    result = totals(tree, card.unit_kind, current_points(card, tree))
    p = tree.precision
    state = (
        f"đã gửi lúc {card.submitted_at.astimezone(HANOI):%H:%M ngày %d/%m/%Y} (giờ Hà Nội)"
        if card.submitted_at
        else "chưa gửi"
    )
    console.print(
        f"Tổng điểm: {display(result.total, p)} / {display(result.max_total, p)} "
        f"— Chỉ số {display(result.index, p)} % — {state}"
    )


def cycle_table(results: Sequence[UnitResult], campaign: str) -> Table:
    table = Table(title=f"Kết quả kỳ đánh giá {campaign}")
    for column, justify in (
        ("Mã", "left"),
        ("Đơn vị", "left"),
        ("Loại", "left"),
        ("Tự đánh giá", "right"),
        ("Thẩm định sơ bộ", "right"),
        ("Điểm thẩm định", "right"),
        ("Điểm tối đa", "right"),
        ("Chỉ số (%)", "right"),
        ("Hồ sơ", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in results:
        table.add_row(
            r.unit,
            r.name,
            KIND_TITLES.get(r.kind, r.kind),
            display(r.self_total, 2),
            display(r.preliminary_total, 2),
            display(r.final_total, 2),
            display(r.max_total, 2),
            display(r.index, 2),
            r.state,
        )
    return table
