"""The result table of a campaign: totals, indexes, ranks, grades, its hash, its CSV and
the comparison the verifier reports from (ledger/domain/results.py)."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import rfc8785

from ledger.domain.campaign import Campaign
from ledger.domain.indicators import IndicatorTree, build_tree
from ledger.domain.results import (
    CSV_COLUMNS,
    CardScores,
    competition_ranks,
    final_totals,
    grade_of,
    result_table,
    table_bytes,
    table_csv,
    table_differences,
    table_sha256,
)
from ledger.domain.scorecard import Scorecard
from ledger.domain.unit import UnitRecord
from tests.world import SMALL_SET, START, schedule

# SMALL_SET: 1.1 (1 point, appraisal, every kind), 1.2 (2 points, appraisal, districts
# only), 2.1 (2 points, survey, every kind): a district's maximum is 5, a department's 3.
TREE = build_tree(SMALL_SET)
AT = START + timedelta(days=61)
FINALISED = datetime(2023, 3, 15, 2, 0, tzinfo=UTC)
BANDS = [
    {"min": "90", "grade": "Xuất sắc"},
    {"min": "80", "grade": "Tốt"},
    {"min": "70", "grade": "Khá"},
]
ADJUSTMENTS = [
    {"code": "T1", "title": "Sáng kiến", "kind": "bonus", "cap": "2"},
    {"code": "T2", "title": "Giải thưởng", "kind": "bonus", "cap": "1"},
    {"code": "P1", "title": "Vi phạm", "kind": "penalty", "cap": "5"},
]


def unit(code: str, name: str, group: str) -> UnitRecord:
    return UnitRecord(code=code, name=name, kind=group, parent=None, ranking_group=group)


def make_campaign(
    code: str = "C2023",
    *,
    tree: IndicatorTree = TREE,
    grade_bands: list[dict[str, str]] | None = None,
    adjustments: list[dict[str, str]] | None = None,
    finalised_at: datetime | None = None,
) -> Campaign:
    body: dict[str, Any] = {
        "code": code,
        "year": 2023,
        "title": "Kỳ đánh giá 2023",
        "indicator_set": tree.code,
        "indicator_set_version": tree.version,
        "units": ["D1", "D2", "D3", "D4", "S1"],
        "schedule": schedule(),
    }
    if grade_bands is not None:
        body["grade_bands"] = grade_bands
    if adjustments is not None:
        body["adjustments"] = adjustments
    campaign = Campaign.__new__(Campaign)
    Campaign.__init__(campaign)
    campaign.when("CampaignCreated", body, START)
    if finalised_at is not None:
        campaign.when("CampaignFinalised", {"campaign": code}, finalised_at)
    return campaign


def make_card(
    unit: str,
    kind: str,
    points: dict[str, str],
    *,
    campaign: str = "C2023",
    tree: IndicatorTree = TREE,
    adjustments: dict[str, str] | None = None,
    corrections: dict[str, str] | None = None,
) -> Scorecard:
    """A scorecard whose leaves have the given final points: self-assessed leaves are
    self-scored and accepted, the others recorded from their source."""
    card = Scorecard.__new__(Scorecard)
    Scorecard.__init__(card)
    ids = {"campaign": campaign, "unit": unit}
    card.when(
        "ScorecardOpened",
        {
            **ids,
            "unit_kind": kind,
            "indicator_set": tree.code,
            "indicator_set_version": tree.version,
        },
        START,
    )
    accepted = {}
    for code, value in points.items():
        source = tree.nodes[code].score_source
        if source == "appraisal":
            card.when(
                "SelfScoreRecorded", {**ids, "criterion": code, "points": value, "inputs": {}}, AT
            )
            accepted[code] = value
        else:
            card.when(
                "ExternalScoreRecorded",
                {
                    **ids,
                    "criterion": code,
                    "points": value,
                    "source": source,
                    "source_document": "Báo cáo số 1",
                },
                AT,
            )
    if accepted:
        card.when("SelfScoresAccepted", {**ids, "accepted": accepted}, AT)
    kinds = {item["code"]: item["kind"] for item in ADJUSTMENTS}
    for code, value in (adjustments or {}).items():
        card.when(
            "AdjustmentRecorded", {**ids, "code": code, "points": value, "kind": kinds[code]}, AT
        )
    for code, value in (corrections or {}).items():
        card.when("ScoreCorrected", {**ids, "criterion": code, "points": value}, AT)
    return card


def full(unit: str, total: str) -> Scorecard:
    """A district scorecard with the given total out of 5 (1.1, then 1.2, then 2.1 filled)."""
    remaining = Decimal(total)
    points = {}
    for code, maximum in (("1.1", 1), ("1.2", 2), ("2.1", 2)):
        value = min(remaining, Decimal(maximum))
        points[code] = f"{value}"
        remaining -= value
    return make_card(unit, "district", points)


def one_leaf_tree(max_points: str, precision: int) -> IndicatorTree:
    return build_tree(
        {
            "code": "ONE",
            "version": 1,
            "title": "Một tiêu chí",
            "precision": precision,
            "nodes": [
                {"code": "1", "level": "area", "title": "Lĩnh vực", "max_points": max_points},
                {
                    "code": "1.1",
                    "level": "criterion",
                    "title": "Tiêu chí",
                    "max_points": max_points,
                    "score_source": "survey",
                },
            ],
        }
    )


def index_of(tree: IndicatorTree, points: str) -> str:
    card = make_card("D1", "district", {"1.1": points}, tree=tree)
    table = result_table(make_campaign(tree=tree), tree, [card], {})
    return table["units"][0]["index"]


def row(table: dict[str, Any], unit: str) -> dict[str, Any]:
    return next(r for r in table["units"] if r["unit"] == unit)


def standard_table() -> dict[str, Any]:
    campaign = make_campaign(grade_bands=BANDS, finalised_at=FINALISED)
    cards = [
        make_card("D1", "district", {"1.1": "1", "1.2": "1.5", "2.1": "2"}),
        make_card("D2", "district", {"1.1": "0.5", "1.2": "2", "2.1": "1"}),
        make_card("S1", "department", {"1.1": "1", "2.1": "1.75"}),
    ]
    units = {
        "D1": unit("D1", "Quận Ba Đình", "district"),
        "D2": unit("D2", "Quận Hoàn Kiếm", "district"),
        "S1": unit("S1", "Sở Nội vụ", "department"),
    }
    return result_table(campaign, TREE, cards, units)


# -- competition ranks and grades -----------------------------------------------------


def test_equal_indexes_share_a_rank_and_the_next_rank_is_skipped():
    indexes = [Decimal("95"), Decimal("80.5"), Decimal("80.50"), Decimal("70")]
    assert competition_ranks(indexes) == [1, 2, 2, 4]


def test_ranks_of_no_indexes_are_empty():
    assert competition_ranks([]) == []


def test_a_tie_at_the_top_shares_rank_one():
    assert competition_ranks([Decimal(90), Decimal(90), Decimal(90)]) == [1, 1, 1]


def test_grade_is_the_first_band_whose_minimum_the_index_reaches():
    bands = [(Decimal(90), "Xuất sắc"), (Decimal(80), "Tốt")]
    assert grade_of(Decimal("95.5"), bands) == "Xuất sắc"
    assert grade_of(Decimal("90.00"), bands) == "Xuất sắc"
    assert grade_of(Decimal("89.99"), bands) == "Tốt"
    assert grade_of(Decimal("80"), bands) == "Tốt"


def test_grade_is_none_below_every_band_or_without_bands():
    assert grade_of(Decimal("79.99"), [(Decimal(80), "Tốt")]) is None
    assert grade_of(Decimal(100), []) is None


# -- the table's rows ------------------------------------------------------------------


def test_units_of_a_group_are_ranked_1_2_2_4_with_ties_in_unit_code_order():
    cards = [full("D1", "3"), full("D2", "4"), full("D3", "5"), full("D4", "4")]
    table = result_table(make_campaign(), TREE, cards, {})
    assert [(r["unit"], r["rank"], r["of"]) for r in table["units"]] == [
        ("D3", 1, 4),
        ("D2", 2, 4),
        ("D4", 2, 4),
        ("D1", 4, 4),
    ]


def test_each_ranking_group_is_ranked_on_its_own_and_groups_come_in_name_order():
    cards = [
        full("D1", "4"),
        full("D2", "5"),
        make_card("S1", "department", {"1.1": "1", "2.1": "1"}),
        make_card("S2", "department", {"1.1": "1", "2.1": "2"}),
    ]
    units = {
        "D1": unit("D1", "Quận 1", "quan_huyen"),
        "D2": unit("D2", "Quận 2", "quan_huyen"),
        "S1": unit("S1", "Sở 1", "so_nganh"),
        "S2": unit("S2", "Sở 2", "so_nganh"),
    }
    table = result_table(make_campaign(), TREE, cards, units)
    assert [(r["ranking_group"], r["unit"], r["rank"], r["of"]) for r in table["units"]] == [
        ("quan_huyen", "D2", 1, 2),
        ("quan_huyen", "D1", 2, 2),
        ("so_nganh", "S2", 1, 2),
        ("so_nganh", "S1", 2, 2),
    ]


def test_a_unit_without_registry_information_is_named_by_its_code_and_grouped_by_kind():
    table = result_table(make_campaign(), TREE, [full("D1", "4")], {})
    assert row(table, "D1")["name"] == "D1"
    assert row(table, "D1")["ranking_group"] == "district"


def test_a_row_shows_total_maximum_index_grade_and_scores():
    assert row(standard_table(), "D1") == {
        "unit": "D1",
        "name": "Quận Ba Đình",
        "unit_kind": "district",
        "ranking_group": "district",
        "total": "4.5",
        "max_total": "5",
        "index": "90.00",
        "adjustment": "0",
        "scores": {"1.1": "1", "1.2": "1.5", "2.1": "2"},
        "rank": 1,
        "of": 2,
        "grade": "Xuất sắc",
    }


def test_the_index_is_written_at_the_sets_precision():
    assert index_of(one_leaf_tree("9", 2), "8.21") == "91.22"


def test_the_index_keeps_trailing_zeros_at_precision_three():
    assert index_of(one_leaf_tree("5", 3), "4.561") == "91.220"


def test_the_index_rounds_half_up():
    # 7.3 / 8 is 91.25 %: half-up gives 91.3 where banker's rounding would give 91.2
    assert index_of(one_leaf_tree("8", 1), "7.3") == "91.3"


def test_a_full_score_has_index_100_at_the_sets_precision():
    assert index_of(one_leaf_tree("5", 2), "5") == "100.00"


def test_a_unit_with_no_applicable_leaf_has_index_zero_at_the_sets_precision():
    definition = copy.deepcopy(SMALL_SET)
    for node in definition["nodes"]:
        if node["level"] != "area":
            node["applies_to"] = ["district"]
    tree = build_tree(definition)
    card = make_card("S1", "department", {}, tree=tree)
    found = row(result_table(make_campaign(tree=tree), tree, [card], {}), "S1")
    assert (found["total"], found["max_total"], found["scores"]) == ("0", "0", {})
    assert found["index"] == "0.00"


def test_grades_come_from_the_campaigns_bands_and_are_none_below_them():
    cards = [full("D1", "4.5"), full("D2", "4"), full("D3", "3.5"), full("D4", "3")]
    table = result_table(make_campaign(grade_bands=BANDS), TREE, cards, {})
    assert [(r["unit"], r["index"], r["grade"]) for r in table["units"]] == [
        ("D1", "90.00", "Xuất sắc"),
        ("D2", "80.00", "Tốt"),
        ("D3", "70.00", "Khá"),
        ("D4", "60.00", None),
    ]


def test_a_campaign_without_grade_bands_grades_nobody():
    table = result_table(make_campaign(), TREE, [full("D1", "5")], {})
    assert row(table, "D1")["grade"] is None


def test_a_bonus_is_added_to_the_total():
    card = make_card(
        "D1", "district", {"1.1": "1", "1.2": "1", "2.1": "1"}, adjustments={"T1": "1"}
    )
    table = result_table(make_campaign(adjustments=ADJUSTMENTS), TREE, [card], {})
    assert (row(table, "D1")["total"], row(table, "D1")["adjustment"]) == ("4", "1")
    assert row(table, "D1")["index"] == "80.00"


def test_bonuses_do_not_raise_the_total_above_the_maximum():
    card = make_card(
        "D1", "district", {"1.1": "1", "1.2": "2", "2.1": "1"}, adjustments={"T1": "2", "T2": "1"}
    )
    table = result_table(make_campaign(adjustments=ADJUSTMENTS), TREE, [card], {})
    found = row(table, "D1")
    assert (found["total"], found["max_total"], found["index"]) == ("5", "5", "100.00")
    assert found["adjustment"] == "3"


def test_penalties_do_not_take_the_total_below_zero():
    card = make_card(
        "D1", "district", {"1.1": "1", "1.2": "0", "2.1": "0.5"}, adjustments={"P1": "4"}
    )
    table = result_table(make_campaign(adjustments=ADJUSTMENTS), TREE, [card], {})
    found = row(table, "D1")
    assert (found["total"], found["index"], found["adjustment"]) == ("0", "0.00", "-4")


def test_bonuses_and_penalties_are_netted():
    card = make_card(
        "D1",
        "district",
        {"1.1": "1", "1.2": "1", "2.1": "1"},
        adjustments={"T1": "1.5", "P1": "0.5"},
    )
    table = result_table(make_campaign(adjustments=ADJUSTMENTS), TREE, [card], {})
    assert (row(table, "D1")["total"], row(table, "D1")["adjustment"]) == ("4", "1")


def test_an_applicable_leaf_without_a_score_is_null():
    card = make_card("D1", "district", {"1.1": "1"})
    table = result_table(make_campaign(), TREE, [card], {})
    assert row(table, "D1")["scores"] == {"1.1": "1", "1.2": None, "2.1": None}
    assert row(table, "D1")["total"] == "1"


def test_a_leaf_that_does_not_apply_to_the_units_kind_is_absent_from_its_scores():
    found = row(standard_table(), "S1")
    assert found["scores"] == {"1.1": "1", "2.1": "1.75"}
    assert (found["total"], found["max_total"], found["index"]) == ("2.75", "3", "91.67")


def test_scores_and_totals_are_written_in_their_shortest_form():
    card = make_card("D1", "district", {"1.1": "0.50", "1.2": "2.00", "2.1": "1.0"})
    found = row(result_table(make_campaign(), TREE, [card], {}), "D1")
    assert found["scores"] == {"1.1": "0.5", "1.2": "2", "2.1": "1"}
    assert found["total"] == "3.5"


def test_a_correction_replaces_the_final_score_in_the_table():
    card = make_card(
        "D1", "district", {"1.1": "1", "1.2": "2", "2.1": "2"}, corrections={"1.2": "0.5"}
    )
    found = row(result_table(make_campaign(), TREE, [card], {}), "D1")
    assert found["scores"]["1.2"] == "0.5"
    assert found["total"] == "3.5"


def test_a_self_score_not_yet_settled_counts_as_it_stands():
    card = make_card("D1", "district", {})
    ids = {"campaign": "C2023", "unit": "D1"}
    card.when("SelfScoreRecorded", {**ids, "criterion": "1.2", "points": "1.5", "inputs": {}}, AT)
    found = row(result_table(make_campaign(), TREE, [card], {}), "D1")
    assert found["scores"] == {"1.1": None, "1.2": "1.5", "2.1": None}


def test_scorecards_of_another_campaign_are_left_out():
    cards = [full("D1", "4"), make_card("D2", "district", {"1.1": "1"}, campaign="C2022")]
    table = result_table(make_campaign(), TREE, cards, {})
    assert [r["unit"] for r in table["units"]] == ["D1"]
    assert row(table, "D1")["of"] == 1


def test_card_scores_give_the_same_table_as_the_scorecards():
    cards = [full("D1", "4"), make_card("S1", "department", {"1.1": "1"})]
    campaign = make_campaign(grade_bands=BANDS)
    from_cards = result_table(campaign, TREE, cards, {})
    from_scores = result_table(campaign, TREE, [CardScores.of(c, TREE) for c in cards], {})
    assert from_scores == from_cards


def test_the_table_describes_the_campaign_the_set_and_its_leaves():
    table = standard_table()
    assert table["format"] == "parledger-results/1"
    assert table["campaign"] == {
        "code": "C2023",
        "year": 2023,
        "title": "Kỳ đánh giá 2023",
        "finalised_at": "2023-03-15T02:00:00.000000Z",
    }
    assert table["indicator_set"] == {"code": "T-SET", "version": 1, "title": "Bộ chỉ số thử"}
    assert table["precision"] == 2
    assert table["leaves"] == [
        {"code": "1.1", "title": "Kế hoạch", "max_points": "1", "score_source": "appraisal"},
        {"code": "1.2", "title": "Báo cáo", "max_points": "2", "score_source": "appraisal"},
        {"code": "2.1", "title": "Khảo sát", "max_points": "2", "score_source": "survey"},
    ]


def test_a_campaign_not_yet_finalised_has_no_finalisation_time():
    table = result_table(make_campaign(), TREE, [], {})
    assert table["campaign"]["finalised_at"] is None
    assert table["units"] == []


# -- totals of one scorecard -----------------------------------------------------------


def test_final_totals_include_the_scorecards_adjustments():
    card = make_card(
        "D1", "district", {"1.1": "1", "1.2": "1", "2.1": "1"}, adjustments={"T1": "1"}
    )
    result = final_totals(card, TREE, make_campaign(adjustments=ADJUSTMENTS))
    assert (result.leaves_total, result.adjustment, result.total) == (3, 1, 4)
    assert (result.max_total, result.index) == (5, Decimal("80.00"))


def test_totals_without_a_campaign_leave_the_adjustments_out():
    card = make_card(
        "D1", "district", {"1.1": "1", "1.2": "1", "2.1": "1"}, adjustments={"T1": "1"}
    )
    result = CardScores.of(card, TREE).totals(TREE, None)
    assert (result.adjustment, result.total) == (0, 3)


def test_card_scores_hold_the_current_points_and_adjustments():
    card = make_card("D1", "district", {"1.1": "1", "2.1": "0.5"}, adjustments={"P1": "0.25"})
    scores = CardScores.of(card, TREE)
    assert (scores.campaign, scores.unit, scores.unit_kind) == ("C2023", "D1", "district")
    assert scores.points == {"1.1": Decimal(1), "2.1": Decimal("0.5")}
    assert scores.adjustments == {"P1": Decimal("0.25")}


# -- its hash ---------------------------------------------------------------------------


def test_the_table_hash_is_the_sha256_of_its_rfc8785_bytes():
    table = standard_table()
    assert table_bytes(table) == rfc8785.dumps(table)
    assert table_sha256(table) == hashlib.sha256(rfc8785.dumps(table)).hexdigest()


def test_the_table_hash_changes_when_one_score_changes():
    table = standard_table()
    changed = copy.deepcopy(table)
    row(changed, "D2")["scores"]["2.1"] = "1.5"
    assert table_sha256(changed) != table_sha256(table)


def test_the_same_events_give_the_same_table_hash():
    assert table_sha256(standard_table()) == table_sha256(standard_table())


# -- its CSV ----------------------------------------------------------------------------


def test_the_csv_starts_with_a_byte_order_mark_for_excel():
    text = table_csv(standard_table())
    assert text.startswith("\ufeff")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert text.count("\ufeff") == 1


def test_the_csv_has_the_unit_columns_then_one_column_per_leaf():
    header = table_csv(standard_table()).removeprefix("\ufeff").splitlines()[0]
    assert header.split(",") == [*CSV_COLUMNS, "1.1", "1.2", "2.1"]
    assert header.startswith("ranking_group,rank,of,unit,name,unit_kind,total,max_total,index,")


def test_the_csv_has_one_row_per_unit_in_table_order():
    assert table_csv(standard_table()).splitlines()[1:] == [
        "department,1,1,S1,Sở Nội vụ,department,2.75,3.00,91.67,Xuất sắc,0.00,1.00,,1.75",
        "district,1,2,D1,Quận Ba Đình,district,4.50,5.00,90.00,Xuất sắc,0.00,1.00,1.50,2.00",
        "district,2,2,D2,Quận Hoàn Kiếm,district,3.50,5.00,70.00,Khá,0.00,0.50,2.00,1.00",
    ]


def test_the_csv_writes_every_number_column_with_the_sets_places():
    rows = list(csv.reader(io.StringIO(table_csv(standard_table()).removeprefix("\ufeff"))))
    header, body = rows[0], rows[1:]
    for name in ("total", "max_total", "index", "adjustment", "1.1", "1.2", "2.1"):
        column = header.index(name)
        cells = [row[column] for row in body if row[column]]
        assert cells
        assert all(len(cell.split(".")[1]) == 2 for cell in cells), (name, cells)


def test_the_csv_leaves_missing_grades_and_scores_empty():
    card = make_card("D1", "district", {"1.1": "1"})
    text = table_csv(result_table(make_campaign(), TREE, [card], {}))
    assert text.splitlines()[1] == "district,1,1,D1,D1,district,1.00,5.00,20.00,,0.00,1.00,,"


def test_the_csv_quotes_a_name_with_a_comma():
    units = {"D1": unit("D1", "Sở A, B", "g")}
    table = result_table(make_campaign(), TREE, [full("D1", "4")], units)
    text = table_csv(table)
    assert '"Sở A, B"' in text
    assert next(csv.reader(io.StringIO(text.splitlines()[1])))[4] == "Sở A, B"


def test_the_csv_ends_each_line_with_a_newline():
    text = table_csv(standard_table())
    assert text.endswith("\n")
    assert "\r" not in text


# -- comparing tables -------------------------------------------------------------------


def test_equal_tables_have_no_differences():
    assert table_differences(standard_table(), standard_table()) == []


def test_a_different_score_is_named_by_unit_and_criterion():
    table = standard_table()
    given = copy.deepcopy(table)
    row(given, "D1")["scores"]["1.1"] = "0.5"
    assert table_differences(table, given) == [
        "unit D1, criterion 1.1: '0.5' in the table, the events give '1'"
    ]


def test_a_missing_unit_is_named():
    table = standard_table()
    given = copy.deepcopy(table)
    given["units"] = [r for r in given["units"] if r["unit"] != "D2"]
    assert table_differences(table, given) == ["unit D2: missing from the table"]


def test_an_extra_unit_is_named():
    table = standard_table()
    given = copy.deepcopy(table)
    given["units"].append({**row(given, "D2"), "unit": "X9"})
    assert table_differences(table, given) == [
        "unit X9: in the table, but the events give it no scorecard"
    ]


def test_a_changed_total_is_named_with_both_values():
    table = standard_table()
    given = copy.deepcopy(table)
    row(given, "D2")["total"] = "4"
    assert table_differences(table, given) == [
        "unit D2: total is '4' in the table, the events give '3.5'"
    ]


def test_a_changed_campaign_description_is_named():
    table = standard_table()
    given = copy.deepcopy(table)
    given["precision"] = 3
    assert table_differences(table, given) == [
        "the table's 'precision' differs from what the events give"
    ]


def test_units_in_another_order_are_reported():
    table = standard_table()
    given = copy.deepcopy(table)
    given["units"] = list(reversed(given["units"]))
    assert table_differences(table, given) == [
        "the table lists the units in another order than their ranks give"
    ]


def test_scores_that_are_not_an_object_are_reported():
    table = standard_table()
    given = copy.deepcopy(table)
    row(given, "D1")["scores"] = ["1", "1.5", "2"]
    assert table_differences(table, given) == ["unit D1: its scores are not an object"]


@pytest.mark.parametrize(
    "units",
    [
        pytest.param(lambda rows: [*rows, "not a row"], id="a row that is not an object"),
        pytest.param(lambda rows: None, id="units that are not a list"),
    ],
)
def test_a_malformed_published_table_is_reported_not_raised(units):
    # the verifier compares the table it computes with the one a bundle carries, which
    # may be anything: a malformed table is a difference to report
    table = standard_table()
    given = copy.deepcopy(table)
    given["units"] = units(given["units"])
    assert table_differences(table, given) != []
