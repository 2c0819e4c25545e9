"""Tables printed by the command line, drawn from the read models' documents."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from rich.table import Table

from ledger.domain.campaign import PHASE_TITLES
from ledger.domain.indicators import SOURCE_TITLES
from ledger.domain.keyring import ROLE_TITLES
from ledger.domain.points import display, format_points
from ledger.domain.results import BOM
from ledger.domain.unit import KIND_TITLES

STATE_TITLES = {"submitted": "đã gửi", "locked": "khoá khi hết hạn", "open": "đang tự đánh giá"}


def _fmt(value: str | None, precision: int) -> str:
    return "—" if value is None else display(Decimal(value), precision)


def _flags(leaf: dict[str, Any]) -> str:
    flags = leaf["flags"]
    notes = []
    if flags["unsupported"]:
        notes.append("⚠ không có minh chứng, giải trình")
    if leaf["preliminary_appraisal"] and flags["contested"]:
        notes.append("điểm thẩm định khác điểm tự chấm")
    if flags["explanation_requested"]:
        notes.append("đề nghị giải trình")
    if leaf["explanations"]:
        notes.append("đã giải trình")
    if flags["corrected"]:
        notes.append("đã đính chính")
    return "; ".join(notes)


def scorecard_table(view: dict[str, Any], unit_name: str, titles: dict[str, str]) -> Table:
    """Every applicable leaf with its self-score, current score, source, evidence and
    flags; criterion and area subtotals; the total and index."""
    p = view["precision"]
    final = view["totals"]["final"]
    table = Table(
        title=f"Bảng điểm {unit_name} — kỳ đánh giá {view['campaign']} "
        f"({view['indicator_set']['code']} v{view['indicator_set']['version']})"
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
    seen: set[str] = set()
    for leaf in view["leaves"]:
        parents = []
        code = leaf["parent"]
        while code and code not in seen:
            parents.append(code)
            code = code.rsplit(".", 1)[0] if "." in code else None
        for code in reversed(parents):
            seen.add(code)
            bold = "bold" if "." not in code else "italic"
            if bold == "bold":
                table.add_section()
            table.add_row(
                f"[{bold}]{code}[/]",
                f"[{bold}]{titles.get(code, '')}[/]",
                f"[{bold}]{_fmt(final['max_nodes'].get(code), p)}[/]",
                "",
                f"[{bold}]{_fmt(final['nodes'].get(code), p)}[/]",
            )
        self_score = leaf["self_score"]
        table.add_row(
            leaf["code"],
            leaf["title"],
            _fmt(leaf["max_points"], p),
            _fmt(self_score["points"], p) if self_score else "",
            _fmt(leaf["points"], p),
            SOURCE_TITLES.get(leaf["score_source"] or "", ""),
            str(leaf["evidence"]["count"] or ""),
            _flags(leaf),
        )
    table.add_section()
    table.add_row(
        "",
        "[bold]TỔNG ĐIỂM[/]",
        f"[bold]{_fmt(final['max_total'], p)}[/]",
        "",
        f"[bold]{_fmt(final['total'], p)}[/]",
    )
    table.add_row("", "[bold]Chỉ số CCHC (%)[/]", "", "", f"[bold]{_fmt(final['index'], p)}[/]")
    return table


def scorecard_summary(view: dict[str, Any]) -> str:
    p = view["precision"]
    final = view["totals"]["final"]
    if view["submitted_at"]:
        state = f"đã gửi ({view['submitted_at']})"
    elif view["locked_at"]:
        state = f"khoá khi hết hạn ({view['locked_at']})"
    else:
        state = "chưa gửi"
    return (
        f"Tổng điểm: {_fmt(final['total'], p)} / {_fmt(final['max_total'], p)} — "
        f"Chỉ số {_fmt(final['index'], p)} % — {state}"
    )


def stages_table(views: Sequence[dict[str, Any]], names: dict[str, str], campaign: str) -> Table:
    """Each unit's total as self-assessed, after preliminary appraisal, and final."""
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
    for view in views:
        p, stages = view["precision"], view["totals"]
        state = "submitted" if view["submitted_at"] else "locked" if view["locked_at"] else "open"
        table.add_row(
            view["unit"],
            names.get(view["unit"], view["unit"]),
            KIND_TITLES.get(view["unit_kind"], view["unit_kind"]),
            _fmt(stages["self_assessment"]["total"], p),
            _fmt(stages["preliminary"]["total"], p),
            _fmt(stages["final"]["total"], p),
            _fmt(stages["final"]["max_total"], p),
            _fmt(stages["final"]["index"], p),
            STATE_TITLES[state],
        )
    return table


RANKED_COLUMNS = (
    ("Nhóm", "left"),
    ("Hạng", "right"),
    ("Đơn vị", "left"),
    ("Tổng điểm", "right"),
    ("Điểm tối đa", "right"),
    ("Chỉ số (%)", "right"),
    ("Xếp loại", "left"),
)


def _ranked(table: Table, extra: Sequence[str] = ()) -> Table:
    for column, justify in (*RANKED_COLUMNS, *((name, "left") for name in extra)):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    return table


def _ranked_row(row: dict[str, Any], precision: int) -> list[str]:
    """A unit's group, rank, name, total, maximum, index and grade."""
    return [
        KIND_TITLES.get(row["ranking_group"], row["ranking_group"]),
        f"{row['rank']}/{row['of']}",
        f"{row['name']} ({row['unit']})",
        _fmt(row["total"], precision),
        _fmt(row["max_total"], precision),
        _fmt(row["index"], precision),
        row["grade"] or "—",
    ]


def ranking_table(rows: Sequence[dict[str, Any]], campaign: str) -> Table:
    table = _ranked(Table(title=f"Xếp hạng Chỉ số CCHC — {campaign}"), ["So với kỳ trước"])
    for r in rows:
        change = r["rank_change"]
        moved = (
            "—"
            if change is None
            else "giữ nguyên"
            if change == 0
            else f"tăng {change} bậc"
            if change > 0
            else f"giảm {-change} bậc"
        )
        table.add_row(*_ranked_row(r, r["precision"]), moved)
    return table


def trace_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Lịch sử thay đổi điểm")
    for column in (
        "Vị trí",
        "Thời điểm",
        "Đơn vị",
        "Tiêu chí",
        "Sự kiện",
        "Từ → đến",
        "Lý do",
        "Người thực hiện",
        "Vai trò",
    ):
        table.add_column(column)
    for r in rows:
        change = (
            ""
            if r["from_points"] is None and r["to_points"] is None
            else (f"{r['from_points'] or '—'} → {r['to_points'] or '—'}")
        )
        table.add_row(
            str(r["position"]),
            r["recorded_at"],
            r["unit"],
            r["criterion"] or "(phiếu)",
            r["event_type"],
            change,
            r["why"],
            f"{r['name']} ({r['key_id'][:8]})",
            ROLE_TITLES.get(r["role"], r["role"]),
        )
    return table


def progress_tables(progress: dict[str, Any]) -> list[Table]:
    deadlines = Table(
        title=f"{progress['campaign']} — giai đoạn: {PHASE_TITLES[progress['phase']]}"
    )
    for column in ("Mốc", "Thời hạn", "Còn lại"):
        deadlines.add_column(column)
    for d in progress["deadlines"]:
        left = d["seconds_left"]
        deadlines.add_row(
            d["title"],
            d["at"],
            "đã qua" if d["passed"] else f"{left // 86400} ngày {left % 86400 // 3600} giờ",
        )
    units = Table(title="Tiến độ các đơn vị")
    for column in (
        "Đơn vị",
        "Trạng thái",
        "Đã chấm",
        "Không minh chứng",
        "Thẩm định sơ bộ",
        "Bị điều chỉnh",
        "Thẩm định chính thức",
        "Chờ giải trình",
    ):
        units.add_column(column)
    for u in progress["units"]:
        units.add_row(
            f"{u['name']} ({u['unit']})",
            STATE_TITLES[u["state"]],
            f"{u['scored']}/{u['leaves']}",
            str(u["without_evidence"]),
            f"{u['preliminary_appraised']}/{u['leaves']}",
            str(u["contested"]),
            f"{u['final_appraised']}/{u['contested']}",
            str(u["explanations_pending"]),
        )
    appraisers = Table(title="Việc còn lại của thành viên Hội đồng thẩm định")
    for column in ("Thành viên", "Lĩnh vực", "Chưa thẩm định sơ bộ", "Chưa thẩm định chính thức"):
        appraisers.add_column(column)
    for a in progress["appraisers"]:
        appraisers.add_row(
            f"{a['name']} ({a['key_id'][:8]})",
            ", ".join(a["scope"]),
            str(a["remaining_preliminary"]),
            str(a["remaining_final"]),
        )
    return [deadlines, units, appraisers]


def gaps_table(gaps: dict[str, Any]) -> Table:
    table = Table(
        title=f"Tiêu chí bị mất điểm — {gaps['unit']}, {gaps['campaign']} "
        f"(tổng {gaps['total']}/{gaps['max_total']}, mất {gaps['lost']} điểm)"
    )
    for column, justify in (
        ("Cơ quan chủ trì", "left"),
        ("Mã", "left"),
        ("Tiêu chí", "left"),
        ("Điểm tối đa", "right"),
        ("Điểm đạt", "right"),
        ("Mất", "right"),
        (f"Chỉ tiêu {gaps['targets_year'] or ''}".strip(), "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for agency in gaps["agencies"]:
        table.add_section()
        for i, r in enumerate(agency["criteria"]):
            table.add_row(
                f"{agency['agency']} (−{agency['lost']})" if i == 0 else "",
                r["code"],
                r["title"],
                r["max_points"],
                r["points"],
                r["lost"],
                r["target"] or "",
            )
    return table


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def to_csv(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    points: Sequence[str] = (),
    precision: int = 2,
) -> str:
    """Rows as CSV for spreadsheets: a byte-order mark first (Excel then reads UTF-8), and
    the ``points`` columns at ``precision`` places, so that a column has one number format."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.DictWriter(
        out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                **row,
                **{
                    name: format_points(Decimal(str(row[name])), precision)
                    for name in points
                    if row.get(name) is not None
                },
            }
        )
    return out.getvalue()


def results_table(table: dict[str, Any], caption: str) -> Table:
    """A published result table: each unit's rank in its group, total, index and grade."""
    title = f"Kết quả Chỉ số CCHC — {table['campaign']['title']}"
    shown = _ranked(Table(title=title, caption=caption))
    for row in table["units"]:
        shown.add_row(*_ranked_row(row, int(table["precision"])))
    return shown
