"""The result table of a campaign (kết quả Chỉ số CCHC): every unit's total, index, rank in
its group and grade, and every applicable leaf's final score.

One function computes it, from a campaign's scorecards as replayed from their events; the
service computes it from its read models when it publishes, and the offline verifier
computes it from the events of a publication bundle, so the two can be compared exactly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.core.canonical import canonical_bytes, format_time, sha256_hex
from ledger.domain.campaign import Campaign
from ledger.domain.indicators import IndicatorTree
from ledger.domain.points import format_points, plain
from ledger.domain.scorecard import Scorecard, adjustment_total, current_points
from ledger.domain.scoring import Totals, totals
from ledger.domain.unit import UnitRecord

TABLE_FORMAT = "parledger-results/1"


@dataclass(frozen=True)
class CardScores:
    """What the table needs of a scorecard: its current (final, once settled) points per
    leaf, and its bonuses and penalties."""

    campaign: str
    unit: str
    unit_kind: str
    points: dict[str, Decimal]
    adjustments: dict[str, Decimal]

    @classmethod
    def of(cls, card: Scorecard, tree: IndicatorTree) -> CardScores:
        return cls(
            card.campaign,
            card.unit,
            card.unit_kind,
            current_points(card, tree),
            dict(card.adjustments),
        )

    def totals(self, tree: IndicatorTree, campaign: Campaign | None) -> Totals:
        adjustment = (
            Decimal(0) if campaign is None else adjustment_total(self.adjustments, campaign)
        )
        return totals(tree, self.unit_kind, self.points, adjustment)


def final_totals(card: Scorecard, tree: IndicatorTree, campaign: Campaign | None) -> Totals:
    """A scorecard's totals on its current (final, once settled) scores, with its bonuses
    and penalties."""
    return CardScores.of(card, tree).totals(tree, campaign)


def competition_ranks(indexes: Sequence[Decimal]) -> list[int]:
    """Ranks for indexes sorted from highest: equal indexes share a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for i, index in enumerate(indexes):
        ranks.append(ranks[-1] if i and index == indexes[i - 1] else i + 1)
    return ranks


def grade_of(index: Decimal, bands: Iterable[tuple[Decimal, str]]) -> str | None:
    """The grade of the first band (highest minimum first) whose minimum the index reaches."""
    for minimum, grade in bands:
        if index >= minimum:
            return grade
    return None


def result_table(
    campaign: Campaign,
    tree: IndicatorTree,
    cards: Iterable[Scorecard | CardScores],
    units: Mapping[str, UnitRecord],
) -> dict[str, Any]:
    """The campaign's result table: units ordered by ranking group, rank and code."""
    rows: list[dict[str, Any]] = []
    for found in cards:
        card = found if isinstance(found, CardScores) else CardScores.of(found, tree)
        if card.campaign != campaign.code:
            continue
        result = card.totals(tree, campaign)
        points = card.points
        info = units.get(card.unit)
        name = card.unit if info is None else info.name
        group = card.unit_kind if info is None else info.ranking_group
        rows.append(
            {
                "unit": card.unit,
                "name": name,
                "unit_kind": card.unit_kind,
                "ranking_group": group,
                "total": plain(result.total),
                "max_total": plain(result.max_total),
                "index": str(result.index),
                "adjustment": plain(result.adjustment),
                "scores": {
                    leaf.code: None if leaf.code not in points else plain(points[leaf.code])
                    for leaf in tree.applicable_leaves(card.unit_kind)
                },
                "_index": result.index,
            }
        )
    ordered: list[dict[str, Any]] = []
    for group in sorted({row["ranking_group"] for row in rows}):
        members = sorted(
            (row for row in rows if row["ranking_group"] == group),
            key=lambda row: (-row["_index"], row["unit"]),
        )
        ranks = competition_ranks([row["_index"] for row in members])
        for rank, row in zip(ranks, members, strict=True):
            index = row.pop("_index")
            row.update(rank=rank, of=len(members), grade=grade_of(index, campaign.grade_bands))
            ordered.append(row)
    return {
        "format": TABLE_FORMAT,
        "campaign": {
            "code": campaign.code,
            "year": campaign.year,
            "title": campaign.title,
            "finalised_at": None
            if campaign.finalised_at is None
            else format_time(campaign.finalised_at),
        },
        "indicator_set": {"code": tree.code, "version": tree.version, "title": tree.title},
        "precision": tree.precision,
        "leaves": [
            {
                "code": leaf.code,
                "title": leaf.title,
                "max_points": plain(leaf.max_points),
                "score_source": leaf.score_source,
            }
            for leaf in tree.leaves
        ],
        "units": ordered,
    }


def table_bytes(table: Mapping[str, Any]) -> bytes:
    """The table's canonical bytes (RFC 8785); their SHA-256 is the published hash."""
    return canonical_bytes(table)


def table_sha256(table: Mapping[str, Any]) -> str:
    return sha256_hex(table_bytes(table))


CSV_COLUMNS = (
    "ranking_group",
    "rank",
    "of",
    "unit",
    "name",
    "unit_kind",
    "total",
    "max_total",
    "index",
    "grade",
    "adjustment",
)


CSV_POINTS = ("total", "max_total", "index", "adjustment")
BOM = "\ufeff"


def table_csv(table: Mapping[str, Any]) -> str:
    """The table as CSV for spreadsheets: UTF-8 text that starts with a byte-order mark (so
    that Excel reads it as UTF-8), one row per unit, then one column per leaf (empty where
    the leaf does not apply to the unit's kind); every number of points or index written
    with the set's places, so that a column has one number format."""
    precision = int(table["precision"])
    leaves = [leaf["code"] for leaf in table["leaves"]]

    def points(value: object) -> str:
        return "" if value is None else format_points(Decimal(str(value)), precision)

    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *leaves])
    for row in table["units"]:
        scores = row["scores"]
        writer.writerow(
            [
                *(
                    points(row[c]) if c in CSV_POINTS else "" if row[c] is None else row[c]
                    for c in CSV_COLUMNS
                ),
                *(points(scores.get(code)) for code in leaves),
            ]
        )
    return buffer.getvalue()


def table_differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """What differs between the table the events give (``expected``) and another, named by
    unit and leaf; empty when they are equal."""
    found: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        if name != "units" and expected.get(name) != actual.get(name):
            found.append(f"the table's {name!r} differs from what the events give")
    ours = {row["unit"]: row for row in expected.get("units", [])}
    given = actual.get("units")
    rows = given if isinstance(given, list) else []
    if not isinstance(given, list) or not all(isinstance(row, dict) for row in rows):
        found.append("the table's units are not a list of objects")
    theirs = {row.get("unit"): row for row in rows if isinstance(row, dict)}
    for unit in sorted(set(ours) - set(theirs), key=str):
        found.append(f"unit {unit}: missing from the table")
    for unit in sorted(set(theirs) - set(ours), key=str):
        found.append(f"unit {unit}: in the table, but the events give it no scorecard")
    for unit in sorted(set(ours) & set(theirs), key=str):
        mine, other = ours[unit], theirs[unit]
        for field in sorted(set(mine) | set(other)):
            if field == "scores":
                continue
            if mine.get(field) != other.get(field):
                found.append(
                    f"unit {unit}: {field} is {other.get(field)!r} in the table, "
                    f"the events give {mine.get(field)!r}"
                )
        scores, other_scores = mine.get("scores", {}), other.get("scores", {})
        if not isinstance(other_scores, dict):
            found.append(f"unit {unit}: its scores are not an object")
            continue
        for code in sorted(set(scores) | set(other_scores)):
            if scores.get(code) != other_scores.get(code):
                found.append(
                    f"unit {unit}, criterion {code}: {other_scores.get(code)!r} in the table, "
                    f"the events give {scores.get(code)!r}"
                )
    if not found and [r.get("unit") for r in rows] != list(ours):
        found.append("the table lists the units in another order than their ranks give")
    return found
