"""Tables printed by the command line, drawn from the read models' documents."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from rich.console import JustifyMethod
from rich.table import Table

from ledger.domain.campaign import PHASE_TITLES
from ledger.domain.indicators import SOURCE_TITLES
from ledger.domain.keyring import ROLE_TITLES
from ledger.domain.points import display, format_points
from ledger.domain.results import BOM
from ledger.domain.unit import KIND_TITLES

STATE_TITLES = {"submitted": "đã gửi", "locked": "khoá khi hết hạn", "open": "đang tự đánh giá"}


# How a column is shown (api.cli.table_fit): codes, times and numbers whole, never cut or
# wrapped; titles, names and reasons wrap.
ColumnKind = tuple[JustifyMethod, bool]
WHOLE: ColumnKind = ("left", True)
NUMBER: ColumnKind = ("right", True)
WORDS: ColumnKind = ("left", False)


def _columns(table: Table, *columns: tuple[str, ColumnKind]) -> Table:
    for header, (justify, whole) in columns:
        table.add_column(header, justify=justify, no_wrap=whole)
    return table


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
    _columns(
        table,
        ("Mã", WHOLE),
        ("Tiêu chí", WORDS),
        ("Điểm tối đa", NUMBER),
        ("Tự chấm", NUMBER),
        ("Điểm", NUMBER),
        ("Nguồn điểm", WORDS),
        ("Minh chứng", NUMBER),
        ("Lưu ý", WORDS),
    )
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
    _columns(
        table,
        ("Mã", WHOLE),
        ("Đơn vị", WORDS),
        ("Loại", WORDS),
        ("Tự đánh giá", NUMBER),
        ("Thẩm định sơ bộ", NUMBER),
        ("Điểm thẩm định", NUMBER),
        ("Điểm tối đa", NUMBER),
        ("Chỉ số (%)", NUMBER),
        ("Hồ sơ", WORDS),
    )
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
    ("Nhóm", WORDS),
    ("Hạng", NUMBER),
    ("Mã", WHOLE),
    ("Đơn vị", WORDS),
    ("Tổng điểm", NUMBER),
    ("Điểm tối đa", NUMBER),
    ("Chỉ số (%)", NUMBER),
    ("Xếp loại", WORDS),
)


def _ranked(table: Table, extra: Sequence[str] = ()) -> Table:
    return _columns(table, *RANKED_COLUMNS, *((name, WORDS) for name in extra))


def _ranked_row(row: dict[str, Any], precision: int) -> list[str]:
    """A unit's group, rank, code, name, total, maximum, index and grade."""
    return [
        KIND_TITLES.get(row["ranking_group"], row["ranking_group"]),
        f"{row['rank']}/{row['of']}",
        row["unit"],
        row["name"],
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


def trace_table(rows: Sequence[dict[str, Any]], precision: int) -> Table:
    """Every change of a score: when, what, from and to (at the set's precision), why, who;
    first the event's leaf index in the transparency log (as ``parledger log`` and proofs
    name it)."""
    table = _columns(
        Table(title="Lịch sử thay đổi điểm"),
        ("Lá nhật ký", NUMBER),
        ("Thời điểm", WHOLE),
        ("Đơn vị", WHOLE),
        ("Tiêu chí", WHOLE),
        ("Sự kiện", WHOLE),
        ("Từ → đến", WHOLE),
        ("Lý do", WORDS),
        ("Người thực hiện", WORDS),
        ("Khoá", WHOLE),
        ("Vai trò", WORDS),
    )
    for r in rows:
        change = (
            ""
            if r["from_points"] is None and r["to_points"] is None
            else f"{_fmt(r['from_points'], precision)} → {_fmt(r['to_points'], precision)}"
        )
        table.add_row(
            "" if r["leaf"] is None else str(r["leaf"]),
            r["recorded_at"],
            r["unit"],
            r["criterion"] or "(phiếu)",
            r["event_type"],
            change,
            r["why"],
            r["name"],
            r["key_id"][:8],
            ROLE_TITLES.get(r["role"], r["role"]),
        )
    return table


def progress_tables(progress: dict[str, Any]) -> list[Table]:
    deadlines = _columns(
        Table(title=f"{progress['campaign']} — giai đoạn: {PHASE_TITLES[progress['phase']]}"),
        ("Mốc", WORDS),
        ("Thời hạn", WHOLE),
        ("Còn lại", WHOLE),
    )
    for d in progress["deadlines"]:
        left = d["seconds_left"]
        deadlines.add_row(
            d["title"],
            d["at"],
            "đã qua" if d["passed"] else f"{left // 86400} ngày {left % 86400 // 3600} giờ",
        )
    units = _columns(
        Table(title="Tiến độ các đơn vị"),
        ("Mã", WHOLE),
        ("Đơn vị", WORDS),
        ("Trạng thái", WORDS),
        ("Đã chấm", NUMBER),
        ("Không minh chứng", NUMBER),
        ("Thẩm định sơ bộ", NUMBER),
        ("Bị điều chỉnh", NUMBER),
        ("Thẩm định chính thức", NUMBER),
        ("Chờ giải trình", NUMBER),
    )
    for u in progress["units"]:
        units.add_row(
            u["unit"],
            u["name"],
            STATE_TITLES[u["state"]],
            f"{u['scored']}/{u['leaves']}",
            str(u["without_evidence"]),
            f"{u['preliminary_appraised']}/{u['leaves']}",
            str(u["contested"]),
            f"{u['final_appraised']}/{u['contested']}",
            str(u["explanations_pending"]),
        )
    appraisers = _columns(
        Table(title="Thẩm định của thành viên Hội đồng: đã làm và còn lại"),
        ("Thành viên", WORDS),
        ("Khoá", WHOLE),
        ("Lĩnh vực", WORDS),
        ("Đã thẩm định sơ bộ", NUMBER),
        ("Chưa thẩm định sơ bộ", NUMBER),
        ("Đã thẩm định chính thức", NUMBER),
        ("Chưa thẩm định chính thức", NUMBER),
    )
    for a in progress["appraisers"]:
        appraisers.add_row(
            a["name"],
            a["key_id"][:8],
            ", ".join(a["scope"]),
            str(a["done_preliminary"]),
            str(a["remaining_preliminary"]),
            str(a["done_final"]),
            str(a["remaining_final"]),
        )
    return [deadlines, units, appraisers]


def gaps_table(gaps: dict[str, Any]) -> Table:
    """Criteria below their maximum by agency in charge (each agency's loss on its own
    line), at the set's precision."""
    p = gaps["precision"]
    table = _columns(
        Table(
            title=f"Tiêu chí bị mất điểm — {gaps['unit']}, {gaps['campaign']} "
            f"(tổng {_fmt(gaps['total'], p)}/{_fmt(gaps['max_total'], p)}, "
            f"mất {_fmt(gaps['lost'], p)} điểm)"
        ),
        ("Cơ quan chủ trì", WORDS),
        ("Mã", WHOLE),
        ("Tiêu chí", WORDS),
        ("Điểm tối đa", NUMBER),
        ("Điểm đạt", NUMBER),
        ("Mất", NUMBER),
        (f"Chỉ tiêu {gaps['targets_year'] or ''}".strip(), NUMBER),
    )
    for agency in gaps["agencies"]:
        table.add_section()
        table.add_row(f"[bold]{agency['agency']}[/]", "", "", "", "", _fmt(agency["lost"], p))
        for r in agency["criteria"]:
            table.add_row(
                "",
                r["code"],
                r["title"],
                _fmt(r["max_points"], p),
                _fmt(r["points"], p),
                _fmt(r["lost"], p),
                _fmt(r["target"], p) if r["target"] is not None else "",
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
