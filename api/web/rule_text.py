"""A leaf's scoring rule in Vietnamese words, and the inputs it asks for (docs/FORMATS.md §8.1).

The points themselves are computed by ``ledger.domain.rules`` on the server and by its port,
``static/js/rules.js``, in the page; this module only says the rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from api.web.format import number, plain_number


@dataclass(frozen=True)
class InputField:
    name: str
    label: str
    kind: str  # "points", "count" or "achieved"
    hint: str = ""


def _tier_words(tier: Mapping[str, Any], precision: int) -> str:
    low = Decimal(tier.get("min", "0"))
    high = Decimal(tier.get("max", "100"))
    low_inclusive = tier.get("min_inclusive", True)
    high_inclusive = tier.get("max_inclusive", True)
    points = number(tier["points"], precision)
    if low == high:
        return f"{plain_number(low)} %: {points} điểm"
    if low == 0 and low_inclusive:
        upper = f"{'đến' if high_inclusive else 'dưới'} {plain_number(high)} %"
        return f"{upper}: {points} điểm"
    lower = f"{'từ' if low_inclusive else 'trên'} {plain_number(low)} %"
    if high == 100 and high_inclusive:
        return f"{lower} trở lên: {points} điểm"
    upper = f"{'đến' if high_inclusive else 'đến dưới'} {plain_number(high)} %"
    return f"{lower} {upper}: {points} điểm"


def _by_percent(rule: Mapping[str, Any], precision: int) -> str:
    text = (
        "Tỷ lệ (%) = số đạt yêu cầu ÷ tổng số × 100, "
        f"làm tròn {precision} chữ số thập phân, rồi tính điểm"
    )
    if "zero_denominator_points" in rule:
        zero = number(rule["zero_denominator_points"], precision)
        text += f"; không phát sinh (0 trên 0): {zero} điểm"
    return text


def describe(rule: Mapping[str, Any], maximum: str, precision: int) -> list[str]:
    """The rule as sentences, the first saying how points follow from the inputs."""
    kind = rule.get("kind", "free")
    top = number(maximum, precision)
    if kind == "free":
        lines = [f"Chấm trực tiếp từ 0 đến {top} điểm."]
        if "step" in rule:
            lines.append(
                f"Điểm là bội số của {plain_number(rule['step'])} (trừ khi bằng điểm tối đa)."
            )
        return lines
    if kind == "all_or_nothing":
        return [f"Đạt: {top} điểm; không đạt: 0 điểm."]
    if kind == "deduction":
        per = plain_number(rule.get("per_occurrence"))
        return [f"Tối đa {top} điểm, trừ {per} điểm cho mỗi lần; không thấp hơn 0."]
    if kind == "proportional":
        return [
            _by_percent(rule, precision) + ".",
            f"Điểm = {top} × tỷ lệ ÷ 100, làm tròn {precision} chữ số thập phân.",
        ]
    if kind == "tiers":
        tiers = "; ".join(_tier_words(t, precision) for t in rule.get("tiers", []))
        return [_by_percent(rule, precision) + " theo mức:", tiers + "."]
    return [f"Cách tính điểm chưa được hỗ trợ trên trang: {kind}."]


def inputs(rule: Mapping[str, Any]) -> list[InputField]:
    """The inputs a scorer enters under the rule, in the order they are asked."""
    kind = rule.get("kind", "free")
    if kind == "all_or_nothing":
        return [InputField("achieved", "Kết quả", "achieved")]
    if kind == "deduction":
        return [InputField("occurrences", "Số lần bị trừ điểm", "count", "số nguyên, từ 0")]
    if kind in ("tiers", "proportional"):
        return [
            InputField("numerator", "Số đạt yêu cầu", "count", "ví dụ: số hồ sơ đúng hạn"),
            InputField("denominator", "Tổng số", "count", "ví dụ: tổng số hồ sơ"),
        ]
    return [InputField("points", "Điểm", "points", "có thể gõ dấu phẩy hoặc dấu chấm")]


def inputs_in_words(rule: Mapping[str, Any], given: Mapping[str, Any], precision: int) -> str:
    """What a scorer entered, for the appraisal sheet: "1176 / 1200", "Đạt", "2 lần"."""
    kind = rule.get("kind", "free")
    if not given:
        return "—"
    if kind == "all_or_nothing":
        return "Đạt" if given.get("achieved") else "Không đạt"
    if kind == "deduction":
        return f"{given.get('occurrences')} lần"
    if kind in ("tiers", "proportional"):
        return f"{given.get('numerator')} / {given.get('denominator')}"
    return number(str(given.get("points")), precision)
