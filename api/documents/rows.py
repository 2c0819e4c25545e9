"""Rows the documents share: the indicator tree walked in order with its STT numbering, what
a unit entered for a rule-based leaf, evidence lists, and who signed a submission."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from api.documents.layout import date_time, number, roman, short_hash
from api.documents.model import RowStyle, Signature
from api.documents.sources import Reading
from ledger.core.errors import LedgerError
from ledger.domain.indicators import IndicatorTree, Node
from ledger.domain.rules import compute

LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Step:
    """One node of the tree, as a row: its STT and style."""

    node: Node
    stt: str
    style: RowStyle


def walk(tree: IndicatorTree, unit_kind: str) -> Iterator[Step]:
    """Every node that applies to the kind of unit, in the set's order: areas numbered I,
    II…, criteria 1, 2… within their area, sub-criteria a, b… within their criterion."""
    counters: dict[str | None, int] = {}
    for code in tree.order:
        node = tree.nodes[code]
        if not node.applies(unit_kind) or not _has_leaves(tree, node, unit_kind):
            continue
        counters[node.parent] = counters.get(node.parent, 0) + 1
        n = counters[node.parent]
        if node.parent is None:
            yield Step(node, roman(n), "area")
        elif node.code.count(".") == 1:
            yield Step(node, str(n), "" if node.is_leaf else "criterion")
        else:
            yield Step(node, LETTERS[n - 1] if n <= len(LETTERS) else str(n), "")


def _has_leaves(tree: IndicatorTree, node: Node, unit_kind: str) -> bool:
    if node.is_leaf:
        return True
    return any(
        _has_leaves(tree, tree.nodes[c], unit_kind)
        for c in node.children
        if tree.nodes[c].applies(unit_kind)
    )


def area_title(node: Node) -> str:
    return node.title.upper() if node.parent is None else node.title


def inputs_text(leaf: dict[str, Any], inputs: dict[str, Any] | None, precision: int) -> str:
    """What the unit entered under a rule other than free points: counts and their
    percentage, occurrences, achieved or not."""
    rule = leaf["rule"]
    kind = rule.get("kind", "free")
    if not inputs or kind == "free":
        return ""
    if kind == "all_or_nothing":
        return "Đạt" if inputs.get("achieved") else "Không đạt"
    if kind == "deduction":
        return f"{inputs.get('occurrences', 0)} lần (trừ {rule['per_occurrence']}/lần)"
    numerator, denominator = inputs.get("numerator"), inputs.get("denominator")
    try:
        score = compute(leaf["code"], rule, Decimal(leaf["max_points"]), precision, inputs)
    except LedgerError:
        return f"{numerator}/{denominator}"
    percent = "" if score.percent is None else f" = {number(score.percent, precision)} %"
    return f"{numerator}/{denominator}{percent}"


def evidence_text(leaf: dict[str, Any]) -> str:
    """Each evidence file by name and short hash, one per line."""
    return "\n".join(
        f"{f['file_name']} ({short_hash(str(f['sha256']))})"
        + (" — bổ sung khi giải trình" if f.get("supplementary") else "")
        for f in leaf["evidence"]["files"]
    )


def submission(view: dict[str, Any], reading: Reading) -> tuple[str, Signature]:
    """The state of a unit's self-assessment in words, and the head's signature block."""
    zone = reading.timezone
    if view["submitted_at"]:
        key = reading.key(view["submitted_by"])
        when = date_time(view["submitted_at"], zone)
        state = (
            f"Đã gửi kết quả tự chấm lúc {when} (giờ Việt Nam); người gửi: "
            f"{reading.signer(view['submitted_by'])}."
        )
        lines = (f"Đã ký số trên sổ cái lúc {when}", f"khóa {str(key['key_id'])[:16]}")
        return state, Signature("Thủ trưởng đơn vị", str(key.get("name") or ""), lines)
    if view["locked_at"]:
        when = date_time(view["locked_at"], zone)
        state = (
            f"Đơn vị không gửi kết quả tự chấm; phiếu đã khóa khi hết hạn lúc {when} "
            "(giờ Việt Nam): điểm đã nhập là điểm được thẩm định."
        )
        return state, Signature("Thủ trưởng đơn vị", "", ("Chưa gửi: khóa khi hết hạn",))
    return (
        "Chưa gửi kết quả tự chấm: số liệu dưới đây có thể còn thay đổi.",
        Signature("Thủ trưởng đơn vị", "", ("Chưa gửi",)),
    )
