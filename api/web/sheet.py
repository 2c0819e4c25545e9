"""The sheets as tables: the indicator tree by area, each leaf with its state in words, totals
on the area and criterion rows; and why a leaf cannot be changed by the person looking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.web import format as fmt
from api.web.campaigns import CampaignStatus
from api.web.rule_text import inputs_in_words
from api.web.session import Viewer
from ledger.domain.indicators import SOURCE_TITLES, IndicatorTree

STATES: dict[str, tuple[str, str]] = {
    # key: (word, tone); every state is a word and a colour, never a colour alone
    "unscored": ("Chưa chấm", "grey"),
    "scored": ("Đã chấm", "blue"),
    "unsupported": ("Thiếu TLKC", "amber"),
    "submitted": ("Đã gửi", "green"),
    "locked": ("Đã khóa", "slate"),
    "explain": ("Yêu cầu giải trình", "amber"),
    "changed": ("Bị thay đổi điểm", "amber"),
    "appraised": ("Đã thẩm định", "green"),
    "recorded": ("Đã có điểm", "blue"),
    "awaiting": ("Chờ số liệu", "grey"),
}


@dataclass(frozen=True)
class State:
    key: str

    @property
    def word(self) -> str:
        return STATES[self.key][0]

    @property
    def tone(self) -> str:
        return STATES[self.key][1]


def leaf_state(leaf: dict[str, Any], view: dict[str, Any]) -> State:
    if leaf["score_source"] != "appraisal":
        return State("recorded" if leaf["external"] else "awaiting")
    flags = leaf["flags"]
    if leaf["final_appraisal"] is not None:
        return State("appraised")
    if flags["explanation_requested"]:
        return State("explain")
    if flags["contested"]:
        return State("changed")
    if leaf["preliminary_appraisal"] is not None:
        return State("appraised")
    if leaf["self_score"] is None:
        return State("locked" if view["locked_at"] else "unscored")
    if flags["unsupported"]:
        return State("unsupported")
    if view["submitted_at"]:
        return State("submitted")
    if view["locked_at"]:
        return State("locked")
    return State("scored")


@dataclass
class Row:
    """One table row, its cells already written as the page shows them (a 300-leaf sheet
    is rendered in well under 100 ms only if the template does little per row)."""

    kind: str  # "criterion" (with its total) or "leaf"
    code: str
    title: str
    depth: int
    max_points: str
    points: str | None
    leaf: dict[str, Any] | None = None
    state: State | None = None
    href: str = ""
    own: bool = False  # self-assessed by the unit, appraised by the council
    evidence: str = ""
    preliminary: str = ""
    final: str = ""
    self_points: str = ""
    inputs: str = ""


@dataclass
class Area:
    code: str
    title: str
    points: str
    max_points: str
    rows: list[Row] = field(default_factory=list)
    leaf_count: int = 0


@dataclass
class Sheet:
    areas: list[Area]
    total: str
    max_total: str
    index: str
    precision: int
    appraised: bool  # some leaf has an appraisal: show those columns
    counts: dict[str, int]  # leaves in each state
    own: int  # leaves the unit scores itself
    scored: int
    unsupported: int
    final_total: str  # after appraisal (the current score where the cycle has not finished)
    final_index: str


def build(
    view: dict[str, Any],
    tree: IndicatorTree,
    *,
    base: str = "",
    stage: str = "self_assessment",
    only: list[str] | None = None,
) -> Sheet:
    """The sheet at ``stage`` (its totals); ``only`` keeps the leaves under those codes (an
    appraiser's field); a leaf's row links to ``base``/tieu-chi/<code>."""
    precision = view["precision"]
    totals = view["totals"][stage]
    nodes, maxima = totals["nodes"], totals["max_nodes"]
    leaves = {leaf["code"]: leaf for leaf in view["leaves"]}

    def kept(code: str) -> bool:
        return only is None or any(code == f or code.startswith(f + ".") for f in only)

    areas: dict[str, Area] = {}
    counts = dict.fromkeys(STATES, 0)
    for code in tree.order:
        node = tree.nodes[code]
        if code not in maxima:
            continue
        if node.parent is None:
            areas[code] = Area(
                code,
                node.title,
                fmt.number(nodes[code], precision),
                fmt.number(maxima[code], precision),
            )
            continue
        area = areas[node.area]
        depth = code.count(".")
        if node.is_leaf:
            leaf = leaves[code]
            if not kept(code):
                continue
            state = leaf_state(leaf, view)
            counts[state.key] += 1
            area.leaf_count += 1
            area.rows.append(_leaf_row(leaf, node.title, depth, state, precision, base, stage))
        elif any(kept(c) for c in _leaves_under(tree, code)):
            area.rows.append(
                Row(
                    "criterion",
                    code,
                    node.title,
                    depth,
                    fmt.number(maxima[code], precision),
                    fmt.number(nodes[code], precision),
                )
            )
    kept_areas = [a for a in areas.values() if a.leaf_count]
    kept_leaves = [row.leaf for a in kept_areas for row in a.rows if row.leaf is not None]
    return Sheet(
        areas=kept_areas,
        total=fmt.number(totals["total"], precision),
        max_total=fmt.number(totals["max_total"], precision),
        index=fmt.number(totals["index"], precision),
        precision=precision,
        appraised=any(leaf["preliminary_appraisal"] for leaf in view["leaves"]),
        counts=counts,
        own=sum(1 for leaf in kept_leaves if leaf["score_source"] == "appraisal"),
        scored=sum(1 for leaf in kept_leaves if leaf["self_score"] is not None),
        unsupported=sum(1 for leaf in kept_leaves if leaf["flags"]["unsupported"]),
        final_total=fmt.number(view["totals"]["final"]["total"], precision),
        final_index=fmt.number(view["totals"]["final"]["index"], precision),
    )


def _leaf_row(
    leaf: dict[str, Any],
    title: str,
    depth: int,
    state: State,
    precision: int,
    base: str,
    stage: str,
) -> Row:
    own = leaf["score_source"] == "appraisal"
    self_score = leaf["self_score"]
    preliminary, final = leaf["preliminary_appraisal"], leaf["final_appraisal"]
    return Row(
        "leaf",
        leaf["code"],
        title,
        depth,
        fmt.number(leaf["max_points"], precision),
        fmt.number(_leaf_points(leaf, stage), precision),
        leaf,
        state,
        href=f"{base}/tieu-chi/{leaf['code']}",
        own=own,
        evidence=str(leaf["evidence"]["count"]) if own else "",
        preliminary=fmt.number(preliminary["points"] if preliminary else None, precision),
        final=fmt.number(final["points"] if final else None, precision),
        self_points=fmt.number(self_score["points"] if self_score else None, precision),
        inputs=inputs_in_words(leaf["rule"], self_score["inputs"] if self_score else {}, precision)
        if own
        else "",
    )


def _leaf_points(leaf: dict[str, Any], stage: str) -> str | None:
    if stage == "final":
        points: str | None = leaf["points"]
        return points
    if leaf["score_source"] != "appraisal":
        return (leaf["external"] or {}).get("points")
    return (leaf["self_score"] or {}).get("points")


def _leaves_under(tree: IndicatorTree, code: str) -> list[str]:
    node = tree.nodes[code]
    if node.is_leaf:
        return [code]
    return [leaf for child in node.children for leaf in _leaves_under(tree, child)]


def card_block(viewer: Viewer, view: dict[str, Any], state: CampaignStatus) -> str | None:
    """Why the person cannot self-score this unit's leaves now, or None if they can."""
    unit, tz = view["unit"], state.timezone
    if not viewer.has("unit_staff", unit):
        if viewer.has("unit_head", unit):
            return (
                "Cán bộ đầu mối của đơn vị tự chấm điểm; thủ trưởng đơn vị xem và gửi kết quả "
                "tự chấm."
            )
        return "Ông/bà không phải cán bộ đầu mối của đơn vị này nên chỉ xem được bảng điểm."
    if state.finalised:
        return "Kỳ đánh giá đã chốt kết quả; không thay đổi được điểm."
    if view["submitted_at"]:
        return (
            f"Đơn vị đã gửi kết quả tự chấm lúc {fmt.date_time(view['submitted_at'], tz)}; "
            "kết quả chỉ gửi một lần và không sửa được nữa."
        )
    if view["locked_at"]:
        return (
            f"Đã khóa khi hết hạn tự đánh giá ({fmt.date_time(view['locked_at'], tz)}); "
            "phiếu chuyển sang thẩm định như đang có."
        )
    if state.phase == "planned":
        opens = state.deadline("self_assessment_opens").at
        return f"Chưa đến thời gian tự đánh giá: mở từ {opens}."
    if state.phase != "self_assessment":
        closes = state.deadline("self_assessment_closes").at
        return f"Đã hết hạn tự đánh giá ({closes}); không sửa được điểm tự chấm."
    return None


def leaf_block(leaf: dict[str, Any]) -> str | None:
    """Why a leaf is not self-scored at all (its score comes from elsewhere)."""
    if leaf["score_source"] != "appraisal":
        source = SOURCE_TITLES.get(leaf["score_source"], leaf["score_source"])
        return f"Điểm tiêu chí này lấy từ {source}; đơn vị không tự chấm."
    return None
