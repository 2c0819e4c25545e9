"""Totals of a scorecard: per node, per area, the grand total and the index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ledger.domain.indicators import IndicatorTree, Node
from ledger.domain.points import quantize


@dataclass(frozen=True)
class Totals:
    by_node: Mapping[str, Decimal]
    max_by_node: Mapping[str, Decimal]
    leaves_total: Decimal
    adjustment: Decimal
    total: Decimal
    max_total: Decimal
    index: Decimal

    def area_index(self, code: str, precision: int) -> Decimal:
        maximum = self.max_by_node[code]
        return quantize(self.by_node[code] * 100 / maximum, precision) if maximum else Decimal(0)


def totals(
    tree: IndicatorTree,
    unit_kind: str,
    points: Mapping[str, Decimal],
    adjustment: Decimal = Decimal(0),
) -> Totals:
    """Sum the points of the applicable leaves up the tree, add bonuses and take off
    penalties (the total stays between 0 and the applicable maximum); the index is the
    total over the applicable maximum, in percent, at the set's precision."""
    by_node: dict[str, Decimal] = {}
    max_by_node: dict[str, Decimal] = {}
    for leaf in tree.applicable_leaves(unit_kind):
        node: Node | None = leaf
        while node is not None:
            by_node[node.code] = by_node.get(node.code, Decimal(0)) + points.get(
                leaf.code, Decimal(0)
            )
            max_by_node[node.code] = max_by_node.get(node.code, Decimal(0)) + leaf.max_points
            node = tree.nodes[node.parent] if node.parent else None
    leaves_total = sum((by_node.get(r, Decimal(0)) for r in tree.roots), Decimal(0))
    max_total = sum((max_by_node.get(r, Decimal(0)) for r in tree.roots), Decimal(0))
    total = min(max(leaves_total + adjustment, Decimal(0)), max_total)
    index = quantize(total * 100 / max_total if max_total else Decimal(0), tree.precision)
    return Totals(by_node, max_by_node, leaves_total, adjustment, total, max_total, index)
