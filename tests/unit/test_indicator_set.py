"""An indicator set's rules (docs/FORMATS.md §8), without a database: a version is revised
until a campaign freezes it; an invalid definition is refused with every problem named;
partial parents get their remainder leaves."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ledger.core.errors import IndicatorSetError
from ledger.core.ids import indicator_set_id
from ledger.domain.indicator_set import IndicatorSet
from ledger.domain.indicators import build_tree
from tests.memory import SET, MemoryLedger


def indicator_set(ledger: MemoryLedger, version: int = 1) -> IndicatorSet:
    found = ledger.get(indicator_set_id("T-SET", version))
    assert isinstance(found, IndicatorSet)
    return found


def test_a_version_is_revised_until_a_campaign_freezes_it() -> None:
    ledger = MemoryLedger().initialise()
    ledger.send(ledger.admin, "define_indicator_set", SET)
    revised = {**SET, "title": "Bộ chỉ số thử (sửa)"}
    events = ledger.send(ledger.admin, "define_indicator_set", revised)
    assert [e.event_type for e in events] == ["IndicatorSetRevised"]
    assert indicator_set(ledger).definition["title"] == "Bộ chỉ số thử (sửa)"

    frozen = MemoryLedger().with_campaign()
    assert indicator_set(frozen).frozen_by == ["C2023"]
    assert frozen.refused(frozen.admin, "define_indicator_set", revised) == "indicator_set_frozen"
    # a new version is a new set
    events = frozen.send(frozen.admin, "define_indicator_set", {**revised, "version": 2})
    assert [e.event_type for e in events] == ["IndicatorSetDefined"]


def test_an_invalid_definition_is_refused_with_every_problem() -> None:
    ledger = MemoryLedger().initialise()
    broken: dict[str, Any] = copy.deepcopy(SET)
    broken["nodes"][1]["max_points"] = "5"  # 1.1 + 1.2 no longer sum to 3
    broken["nodes"][4]["score_source"] = None  # a leaf without a source
    assert ledger.refused(ledger.admin, "define_indicator_set", broken) == "invalid_indicator_set"
    with pytest.raises(IndicatorSetError) as refused:
        build_tree(broken)
    assert len(refused.value.problems) == 2, refused.value.problems


def test_a_partial_parent_gets_a_remainder_leaf_after_its_subtree() -> None:
    partial: dict[str, Any] = copy.deepcopy(SET)
    partial["nodes"][0].update(max_points="4", children="partial")
    tree = build_tree(partial)
    assert [leaf.code for leaf in tree.leaves] == ["1.1", "1.2", "1.rest", "2.1"]
    rest = tree.nodes["1.rest"]
    assert (rest.title, rest.max_points, rest.score_source, rest.level, dict(rest.rule)) == (
        "Các tiêu chí thành phần khác của 1 (không liệt kê riêng)",
        1,
        "appraisal",
        "criterion",
        {"kind": "free"},
    )
    partial["nodes"][0]["max_points"] = "3"  # the listed children use it all: no remainder
    assert "1.rest" not in build_tree(partial).nodes
    reserved: dict[str, Any] = copy.deepcopy(SET)
    reserved["nodes"][1]["code"] = "1.rest"
    with pytest.raises(IndicatorSetError, match="reserved"):
        build_tree(reserved)
