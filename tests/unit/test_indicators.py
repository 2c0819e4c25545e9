"""The indicator tree and its import from CSV, YAML and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from decimal import Decimal
from importlib import resources

import pytest
import yaml

from ledger.application.indicator_import import (
    definition_from_csv,
    definition_from_mapping,
    load_definition,
)
from ledger.core.errors import IndicatorSetError, ValidationError
from ledger.domain.indicators import build_tree, canonical_definition

PLAN = "hanoi_par_2022_plan.csv"


def _plan_text() -> str:
    return resources.files("ledger").joinpath("data", PLAN).read_text(encoding="utf-8")


def _node(code, level, max_points, source=None, **extra):
    entry = {"code": code, "level": level, "title": f"Node {code}", "max_points": max_points}
    if source is not None:
        entry["score_source"] = source
    entry.update(extra)
    return entry


def _definition(*nodes, precision=2):
    return {
        "code": "TEST",
        "version": 1,
        "title": "Test set",
        "precision": precision,
        "nodes": list(nodes),
    }


def _valid_nodes():
    return [
        _node("1", "area", "3"),
        _node("1.1", "criterion", "1", "appraisal"),
        _node("1.2", "criterion", "2", "survey"),
        _node("1.2.1", "sub_criterion", "1.5", "survey"),
        _node("1.2.2", "sub_criterion", "0.5", "survey"),
        _node("2", "area", "1.25"),
        _node("2.1", "criterion", "1.25", "sipas"),
    ]


def _problems(definition) -> list[str]:
    with pytest.raises(IndicatorSetError) as info:
        build_tree(definition)
    assert str(info.value) == "; ".join(info.value.problems)
    assert info.value.code == "invalid_indicator_set"
    return info.value.problems


def _one_problem(definition, *fragments) -> str:
    problems = _problems(definition)
    matching = [p for p in problems if all(f in p for f in fragments)]
    assert matching, problems
    return matching[0]


# -- a valid tree ---------------------------------------------------------------------


def test_build_tree_structure():
    tree = build_tree(_definition(*_valid_nodes()))
    assert tree.code == "TEST"
    assert tree.version == 1
    assert tree.precision == 2
    assert tree.roots == ("1", "2")
    assert tree.order == ("1", "1.1", "1.2", "1.2.1", "1.2.2", "2", "2.1")
    assert [leaf.code for leaf in tree.leaves] == ["1.1", "1.2.1", "1.2.2", "2.1"]
    assert tree.nodes["1.2"].children == ("1.2.1", "1.2.2")
    assert tree.nodes["1.2.1"].parent == "1.2"
    assert tree.nodes["1.2.1"].area == "1"
    assert tree.nodes["1"].parent is None
    assert tree.total_max() == Decimal("4.25")
    assert tree.nodes["1.2.1"].max_points == Decimal("1.5")


def test_node_lookup_errors():
    tree = build_tree(_definition(*_valid_nodes()))
    with pytest.raises(ValidationError) as info:
        tree.node("9.9")
    assert info.value.code == "unknown_criterion"
    with pytest.raises(ValidationError) as info:
        tree.leaf("1.2")
    assert info.value.code == "not_a_leaf"
    assert tree.leaf("1.1").code == "1.1"


def test_default_precision_is_two():
    definition = _definition(*_valid_nodes())
    del definition["precision"]
    assert build_tree(definition).precision == 2


def test_applies_to_is_inherited_and_narrowed():
    nodes = [
        _node("1", "area", "2", applies_to=["province", "district"]),
        _node("1.1", "criterion", "1", "appraisal"),
        _node("1.2", "criterion", "1", "appraisal", applies_to=["district"]),
        _node("2", "area", "1"),
        _node("2.1", "criterion", "1", "appraisal"),
    ]
    tree = build_tree(_definition(*nodes))
    assert tree.nodes["1.1"].applies_to == ("province", "district")
    assert tree.nodes["1.2"].applies_to == ("district",)
    assert tree.nodes["2.1"].applies_to == ()
    assert [leaf.code for leaf in tree.applicable_leaves("province")] == ["1.1", "2.1"]
    assert [leaf.code for leaf in tree.applicable_leaves("district")] == ["1.1", "1.2", "2.1"]
    assert tree.max_total("province") == Decimal(2)
    assert tree.max_total("district") == Decimal(3)


# -- partial parents -----------------------------------------------------------------


def test_partial_parent_gets_a_remainder_leaf():
    nodes = [
        _node("1", "area", "5"),
        _node("1.1", "criterion", "4", "survey", children="partial"),
        _node("1.1.1", "sub_criterion", "1", "survey"),
        _node("1.1.2", "sub_criterion", "0.75", "survey"),
        _node("1.2", "criterion", "1", "appraisal"),
    ]
    tree = build_tree(_definition(*nodes))
    rest = tree.nodes["1.1.rest"]
    assert rest.synthetic
    assert rest.max_points == Decimal("2.25")
    assert rest.parent == "1.1"
    assert rest.level == "sub_criterion"
    assert rest.score_source == "survey"
    assert rest.is_leaf
    assert tree.nodes["1.1"].children == ("1.1.1", "1.1.2", "1.1.rest")
    assert tree.order == ("1", "1.1", "1.1.1", "1.1.2", "1.1.rest", "1.2")
    assert sum(leaf.max_points for leaf in tree.leaves) == tree.total_max() == Decimal(5)


def test_partial_area_gets_a_criterion_remainder_that_defaults_to_appraisal():
    nodes = [
        _node("1", "area", "3", children="partial"),
        _node("1.1", "criterion", "1", "appraisal"),
    ]
    tree = build_tree(_definition(*nodes))
    rest = tree.nodes["1.rest"]
    assert rest.level == "criterion"
    assert rest.max_points == Decimal(2)
    assert rest.score_source == "appraisal"


def test_partial_parent_whose_children_fill_it_gets_no_remainder():
    nodes = [
        _node("1", "area", "2", children="partial"),
        _node("1.1", "criterion", "2", "appraisal"),
    ]
    tree = build_tree(_definition(*nodes))
    assert "1.rest" not in tree.nodes
    assert tree.nodes["1"].children == ("1.1",)


def test_partial_parent_whose_children_exceed_it_is_refused():
    nodes = [
        _node("1", "area", "2", children="partial"),
        _node("1.1", "criterion", "1.5", "appraisal"),
        _node("1.2", "criterion", "1", "appraisal"),
    ]
    _one_problem(_definition(*nodes), "1:", "sum to 2.5", "more than its maximum 2")


# -- the bundled Hanoi plan ----------------------------------------------------------


def test_hanoi_plan_without_partial_marks_names_7_1_and_7_2_with_lines():
    with pytest.raises(IndicatorSetError) as info:
        definition_from_csv(_plan_text(), code="HN-PAR", version=2022, title="PAR", precision=3)
    problems = info.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("line 61: 7.1:")
    assert "mark 7.1 as partial" in problems[0]
    assert "sum to 2 but its maximum is 7.25" in problems[0]
    assert problems[1].startswith("line 65: 7.2:")
    assert "mark 7.2 as partial" in problems[1]


@pytest.fixture(scope="module")
def hanoi_definition():
    return definition_from_csv(
        _plan_text(),
        code="HN-PAR",
        version=2022,
        title="PAR INDEX Hà Nội 2022",
        precision=3,
        partial=["7.1", "7.2"],
    )


@pytest.fixture(scope="module")
def hanoi_tree(hanoi_definition):
    return build_tree(hanoi_definition)


def test_hanoi_plan_with_partial_marks(hanoi_tree):
    assert hanoi_tree.precision == 3
    assert hanoi_tree.total_max() == Decimal(100)
    assert sum(leaf.max_points for leaf in hanoi_tree.leaves) == Decimal(100)
    assert hanoi_tree.roots == tuple(str(i) for i in range(1, 9))
    assert hanoi_tree.nodes["7.1.rest"].max_points == Decimal("5.25")
    assert hanoi_tree.nodes["7.2.rest"].max_points == Decimal(1)
    synthetic = [leaf.code for leaf in hanoi_tree.leaves if leaf.synthetic]
    assert synthetic == ["7.1.rest", "7.2.rest"]
    # the remainder follows its parent's listed children
    order = hanoi_tree.order
    assert order.index("7.1.rest") == order.index("7.1.11") + 1
    assert order.index("7.2.rest") == order.index("7.2.1") + 1


def test_hanoi_plan_area_maxima_are_the_sum_of_their_leaves(hanoi_tree):
    by_area = defaultdict(Decimal)
    for leaf in hanoi_tree.leaves:
        by_area[leaf.area] += leaf.max_points
    assert {a: hanoi_tree.nodes[a].max_points for a in hanoi_tree.roots} == dict(by_area)


def test_hanoi_2021_scores_sum_over_leaves(hanoi_tree):
    rows = list(csv.DictReader(io.StringIO(_plan_text())))
    score = {row["code"]: Decimal(row["score_2021"]) for row in rows}
    by_area = defaultdict(Decimal)
    for leaf in hanoi_tree.leaves:
        if leaf.synthetic:
            parent = hanoi_tree.nodes[leaf.parent]
            listed = [c for c in parent.children if c != leaf.code]
            points = score[parent.code] - sum(score[c] for c in listed)
        else:
            points = score[leaf.code]
        by_area[leaf.area] += points
    assert sum(by_area.values()) == Decimal("88.54")
    assert [by_area[a] for a in hanoi_tree.roots] == [
        Decimal(x)
        for x in ("8.424", "8.76", "13.488", "10.34", "11.34", "10.583", "12.396", "13.209")
    ]
    # each area's 2021 score in the CSV agrees with its leaves
    assert all(by_area[a] == score[a] for a in hanoi_tree.roots)


def test_hanoi_csv_columns_are_carried(hanoi_definition, hanoi_tree):
    first = hanoi_definition["nodes"][1]
    assert first == {
        "code": "1.1",
        "level": "criterion",
        "title": "Thực hiện Kế hoạch CCHC",
        "max_points": "1.5",
        "score_source": "appraisal",
        "lead_agency": "Sở Nội vụ",
        "applies_to": [],
        "children": "all",
        "rule": {"kind": "free"},
    }
    assert hanoi_tree.nodes["8.1"].score_source == "sipas"
    assert hanoi_tree.nodes["7.1"].partial
    assert hanoi_tree.nodes["7.1.rest"].score_source == "appraisal"


def test_hanoi_canonical_definition_is_idempotent(hanoi_definition):
    assert canonical_definition(hanoi_definition) == hanoi_definition
    assert canonical_definition(canonical_definition(hanoi_definition)) == hanoi_definition


def test_csv_applies_to_sets_the_areas_unit_kinds():
    definition = definition_from_csv(
        _plan_text(),
        code="HN",
        version=1,
        title="t",
        precision=3,
        partial=["7.1", "7.2"],
        applies_to=["province"],
    )
    tree = build_tree(definition)
    assert tree.nodes["1"].applies_to == ("province",)
    assert tree.nodes["7.1.rest"].applies_to == ("province",)
    assert tree.max_total("province") == Decimal(100)
    assert tree.max_total("district") == Decimal(0)


def test_csv_partial_naming_unknown_code_is_refused():
    with pytest.raises(ValidationError, match=re.escape("9.9")) as info:
        definition_from_csv(_plan_text(), code="HN", version=1, title="t", partial=["7.1", "9.9"])
    assert info.value.field == "partial"


def test_csv_missing_column_is_refused():
    with pytest.raises(ValidationError, match="max_points") as info:
        definition_from_csv("code,level,title\n1,area,A\n", code="X", version=1, title="t")
    assert info.value.field == "csv"


def test_csv_with_bom_blank_lines_and_children_column():
    text = (
        "\ufeffcode,level,title,max_points,score_source,applies_to,children\n"
        "1,area,A,3,,province;district,partial\n"
        ",,,,,,\n"
        "1.1,criterion,B,1,appraisal,,\n"
    )
    tree = build_tree(definition_from_csv(text, code="X", version=1, title="t"))
    assert tree.nodes["1"].applies_to == ("province", "district")
    assert tree.nodes["1.rest"].max_points == Decimal(2)


def test_csv_precision_is_enforced():
    with pytest.raises(IndicatorSetError) as info:
        definition_from_csv(
            _plan_text(), code="HN", version=1, title="t", precision=1, partial=["7.1", "7.2"]
        )
    assert any(
        "maximum 7.25 has more decimals than the set's precision 1" in p
        for p in info.value.problems
    )


# -- validation ----------------------------------------------------------------------


def test_duplicate_code():
    nodes = [*_valid_nodes(), _node("1.1", "criterion", "1", "appraisal")]
    _one_problem(_definition(*nodes), "duplicate code 1.1")


def test_orphan_code():
    nodes = [*_valid_nodes(), _node("3.1", "criterion", "1", "appraisal")]
    _one_problem(_definition(*nodes), "3.1", "orphan, its parent 3 is not defined")


def test_children_not_summing():
    nodes = _valid_nodes()
    nodes[3] = _node("1.2.1", "sub_criterion", "1", "survey")
    problem = _one_problem(_definition(*nodes), "1.2:", "sum to 1.5 but its maximum is 2")
    assert "1.2.1, 1.2.2" in problem
    assert "mark 1.2 as partial" in problem


def test_negative_max():
    nodes = [_node("1", "area", "-1", "appraisal")]
    _one_problem(_definition(*nodes), "(1)", "maximum -1 is negative")


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", 2, None, "1,5"])
def test_non_numeric_max(value):
    nodes = [_node("1", "area", value, "appraisal")]
    _one_problem(_definition(*nodes), "(1)", "is not a number")


def test_max_with_more_decimals_than_precision():
    nodes = [_node("1", "area", "1.125", "appraisal")]
    _one_problem(_definition(*nodes, precision=2), "maximum 1.125 has more decimals")
    assert build_tree(_definition(*nodes, precision=3)).nodes["1"].max_points == Decimal("1.125")


def test_leaf_without_score_source():
    nodes = [_node("1", "area", "1"), _node("1.1", "criterion", "1")]
    _one_problem(_definition(*nodes), "1.1: a leaf needs a score source")


def test_unknown_score_source():
    nodes = [_node("1", "area", "1", "oracle")]
    _one_problem(_definition(*nodes), "score source 'oracle' must be one of")


def test_parent_source_differs_from_children():
    nodes = [_node("1", "area", "1", "appraisal"), _node("1.1", "criterion", "1", "survey")]
    _one_problem(_definition(*nodes), "1: its score source differs from its children's")


@pytest.mark.parametrize("level", ["indicator", "", None, "Area"])
def test_bad_level(level):
    nodes = [_node("1", level, "1", "appraisal")]
    _one_problem(_definition(*nodes), "(1)", "must be one of area, criterion, sub_criterion")


@pytest.mark.parametrize(
    ("code", "level", "fragment"),
    [
        ("1", "criterion", "a criterion has 2 code segment(s), but 1 has 1"),
        ("1.1", "area", "a area has 1 code segment(s), but 1.1 has 2"),
        ("1.1", "sub_criterion", "a sub_criterion has 3 code segment(s), but 1.1 has 2"),
    ],
)
def test_level_depth_mismatch(code, level, fragment):
    nodes = [_node("1", "area", "1")] if code != "1" else []
    nodes.append(_node(code, level, "1", "appraisal"))
    _one_problem(_definition(*nodes), fragment)


def test_four_levels_are_refused():
    nodes = [
        _node("1", "area", "1"),
        _node("1.1", "criterion", "1"),
        _node("1.1.1", "sub_criterion", "1"),
        _node("1.1.1.1", "sub_criterion", "1", "appraisal"),
    ]
    _one_problem(_definition(*nodes), "1.1.1.1", "has 4")


def test_partial_mark_on_a_leaf():
    nodes = [
        _node("1", "area", "1"),
        _node("1.1", "criterion", "1", "appraisal", children="partial"),
    ]
    _one_problem(_definition(*nodes), "1.1: only a node with listed children can be partial")


def test_bad_children_mark():
    nodes = [_node("1", "area", "1", "appraisal", children="some")]
    _one_problem(_definition(*nodes), "children must be 'all' or 'partial'")


def test_applies_to_child_outside_parent():
    nodes = [
        _node("1", "area", "1", applies_to=["province"]),
        _node("1.1", "criterion", "1", "appraisal", applies_to=["province", "district"]),
    ]
    _one_problem(
        _definition(*nodes), "1.1: applies to province, district but its parent 1 only to province"
    )


@pytest.mark.parametrize("applies_to", ["province", ["Province"], [1], ["a b"]])
def test_bad_applies_to(applies_to):
    nodes = [_node("1", "area", "1", "appraisal", applies_to=applies_to)]
    _one_problem(_definition(*nodes), "applies_to must be a list of unit kinds")


def test_applies_to_problem_is_reported_once():
    nodes = [
        _node("1", "area", "2", applies_to=["province"]),
        _node("1.1", "criterion", "2", applies_to=["district"]),
        _node("1.1.1", "sub_criterion", "1", "appraisal"),
        _node("1.1.2", "sub_criterion", "1", "appraisal"),
    ]
    problems = _problems(_definition(*nodes))
    assert len([p for p in problems if "applies to district" in p]) == 1


@pytest.mark.parametrize("code", ["1.rest", "rest"])
def test_codes_ending_in_rest_are_reserved(code):
    nodes = [_node("1", "area", "1", "appraisal"), _node(code, "criterion", "1", "appraisal")]
    _one_problem(_definition(*nodes), "codes ending in .rest are reserved")


@pytest.mark.parametrize("code", ["1..2", "1.", ".1", "1 1", "", None, 1])
def test_bad_node_code(code):
    nodes = [_node("1", "area", "1", "appraisal"), _node(code, "criterion", "1", "appraisal")]
    _one_problem(_definition(*nodes), "must be dotted segments")


def test_unknown_rule():
    nodes = [_node("1", "area", "1", "appraisal", rule={"kind": "formula"})]
    _one_problem(_definition(*nodes), "unknown scoring rule")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("code", "bad code!", "set code"),
        ("code", None, "set code"),
        ("version", 0, "version 0 must be a positive integer"),
        ("version", True, "version True"),
        ("version", "1", "version '1'"),
        ("title", "  ", "needs a title"),
        ("precision", 5, "precision 5 must be an integer from 0 to 4"),
        ("precision", -1, "precision -1"),
        ("nodes", [], "the set has no nodes"),
    ],
)
def test_set_level_problems(key, value, fragment):
    definition = _definition(*_valid_nodes())
    definition[key] = value
    _one_problem(definition, fragment)


def test_node_must_be_an_object():
    _one_problem(_definition(*_valid_nodes(), "1.3"), "node 8: must be an object")


def test_all_problems_are_reported_together():
    nodes = [
        _node("1", "area", "3", applies_to=["province"]),
        _node("1.1", "criterion", "1", "appraisal"),
        _node("1.1", "criterion", "1", "appraisal"),  # duplicate
        _node("1.2", "criterion", "x", "appraisal"),  # non-numeric
        _node("1.3", "criterion", "-1", "appraisal"),  # negative
        _node("1.4", "indicator", "1", "appraisal"),  # bad level
        _node("1.5", "area", "1", "appraisal"),  # level/depth
        _node("1.6", "criterion", "1"),  # leaf without source
        _node("1.7", "criterion", "1", "appraisal", children="partial"),  # partial leaf
        _node("1.8", "criterion", "0", "appraisal", applies_to=["district"]),  # outside parent
        _node("1.rest", "criterion", "0", "appraisal"),  # reserved
        _node("9.1", "criterion", "1", "appraisal"),  # orphan
    ]
    definition = _definition(*nodes)
    definition["version"] = 0
    problems = _problems(definition)
    expected = [
        "version 0",
        "duplicate code 1.1",
        "maximum 'x' is not a number",
        "maximum -1 is negative",
        "level 'indicator'",
        "a area has 1 code segment(s), but 1.5 has 2",
        "1.6: a leaf needs a score source",
        "1.7: only a node with listed children can be partial",
        "1.8: applies to district but its parent 1 only to province",
        "codes ending in .rest are reserved",
        "9.1: orphan",
        "1: its children 1.1, 1.5, 1.6, 1.7, 1.8 sum to 4",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)


# -- canonical definition ------------------------------------------------------------


def test_canonical_definition_writes_defaults_and_is_idempotent():
    nodes = [
        _node("1", "area", "3.50", applies_to=["province"], lead_agency="  Sở Nội vụ "),
        _node("1.1", "criterion", "1.0", "appraisal", title="  padded  "),
        _node("1.2", "criterion", "2.5", "survey"),
    ]
    canonical = canonical_definition(_definition(*nodes))
    assert canonical["nodes"][0] == {
        "code": "1",
        "level": "area",
        "title": "Node 1",
        "max_points": "3.5",
        "score_source": None,
        "lead_agency": "Sở Nội vụ",
        "applies_to": ["province"],
        "children": "all",
        "rule": {"kind": "free"},
    }
    assert canonical["nodes"][1]["title"] == "padded"
    assert canonical["nodes"][1]["max_points"] == "1"
    # inherited kinds are not written out; they stay inherited
    assert canonical["nodes"][1]["applies_to"] == []
    assert canonical_definition(canonical) == canonical
    assert "1.rest" not in [n["code"] for n in canonical["nodes"]]


def test_canonical_definition_keeps_partial_and_omits_remainder():
    nodes = [
        _node("1", "area", "3", children="partial"),
        _node("1.1", "criterion", "1", "appraisal"),
    ]
    canonical = canonical_definition(_definition(*nodes))
    assert [n["code"] for n in canonical["nodes"]] == ["1", "1.1"]
    assert canonical["nodes"][0]["children"] == "partial"
    assert canonical_definition(canonical) == canonical
    assert "1.rest" in build_tree(canonical).nodes


# -- YAML / JSON ---------------------------------------------------------------------

NESTED = {
    "code": "SIPAS-T",
    "version": 3,
    "title": "Nested set",
    "precision": 2,
    "nodes": [
        {
            "code": "1",
            "level": "area",
            "title": "A",
            "max_points": 5,
            "children": [
                {
                    "code": "1.1",
                    "level": "criterion",
                    "title": "B",
                    "max_points": 1.5,
                    "score_source": "appraisal",
                },
                {
                    "code": "1.2",
                    "level": "criterion",
                    "title": "C",
                    "max_points": "3.5",
                    "score_source": "survey",
                    "partial": True,
                    "children": [
                        {
                            "code": "1.2.1",
                            "level": "sub_criterion",
                            "title": "D",
                            "max_points": 1,
                            "score_source": "survey",
                        },
                    ],
                },
            ],
        }
    ],
}


def test_definition_from_mapping_nested_with_partial_flag():
    definition = definition_from_mapping(NESTED)
    assert [n["code"] for n in definition["nodes"]] == ["1", "1.1", "1.2", "1.2.1"]
    assert [n["children"] for n in definition["nodes"]] == ["all", "all", "partial", "all"]
    assert [n["max_points"] for n in definition["nodes"]] == ["5", "1.5", "3.5", "1"]
    tree = build_tree(definition)
    assert tree.nodes["1.2.rest"].max_points == Decimal("2.5")
    assert tree.total_max() == Decimal(5)
    assert canonical_definition(definition) == definition


def test_definition_from_mapping_flat_equals_nested():
    flat = {
        **{k: v for k, v in NESTED.items() if k != "nodes"},
        "nodes": [
            {"code": "1", "level": "area", "title": "A", "max_points": "5"},
            {
                "code": "1.1",
                "level": "criterion",
                "title": "B",
                "max_points": "1.5",
                "score_source": "appraisal",
            },
            {
                "code": "1.2",
                "level": "criterion",
                "title": "C",
                "max_points": "3.5",
                "score_source": "survey",
                "children": "partial",
            },
            {
                "code": "1.2.1",
                "level": "sub_criterion",
                "title": "D",
                "max_points": "1",
                "score_source": "survey",
            },
        ],
    }
    assert definition_from_mapping(flat) == definition_from_mapping(NESTED)


def test_definition_from_mapping_without_partial_flag_fails():
    data = json.loads(json.dumps(NESTED))
    del data["nodes"][0]["children"][1]["partial"]
    with pytest.raises(IndicatorSetError, match=re.escape("mark 1.2 as partial")):
        definition_from_mapping(data)


@pytest.mark.parametrize("data", [[], "text", None])
def test_definition_from_mapping_needs_a_mapping(data):
    with pytest.raises(ValidationError) as info:
        definition_from_mapping(data)
    assert info.value.field == "file"


def test_definition_from_mapping_refuses_non_mapping_node():
    with pytest.raises(ValidationError, match="every node must be a mapping"):
        definition_from_mapping({**NESTED, "nodes": ["1"]})


def test_load_definition_yaml(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump(NESTED, allow_unicode=True), encoding="utf-8")
    assert load_definition(path) == definition_from_mapping(NESTED)


def test_load_definition_yaml_overrides(tmp_path):
    path = tmp_path / "set.yml"
    path.write_text(yaml.safe_dump(NESTED), encoding="utf-8")
    definition = load_definition(path, code="OTHER", version=7, title="Renamed")
    assert (definition["code"], definition["version"], definition["title"]) == (
        "OTHER",
        7,
        "Renamed",
    )
    assert definition["precision"] == 2


def test_load_definition_json(tmp_path):
    path = tmp_path / "set.json"
    path.write_text(json.dumps(NESTED, ensure_ascii=False), encoding="utf-8")
    assert load_definition(path) == definition_from_mapping(NESTED)


def test_load_definition_csv(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(_plan_text(), encoding="utf-8")
    definition = load_definition(
        path, code="HN", title="Hà Nội", precision=3, partial=["7.1", "7.2"]
    )
    assert definition["version"] == 1
    assert build_tree(definition).total_max() == Decimal(100)


def test_load_definition_csv_needs_code_and_title(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(_plan_text(), encoding="utf-8")
    with pytest.raises(ValidationError, match="--code and --title"):
        load_definition(path, code="HN")


def test_load_definition_invalid_yaml(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text("code: [unclosed\nnodes: {\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=re.escape("set.yaml is not valid YAML")) as info:
        load_definition(path)
    assert info.value.field == "file"


def test_load_definition_invalid_json(tmp_path):
    path = tmp_path / "set.json"
    path.write_text('{"code": ', encoding="utf-8")
    with pytest.raises(ValidationError, match=re.escape("set.json is not valid JSON")) as info:
        load_definition(path)
    assert info.value.field == "file"


def test_load_definition_yaml_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="mapping at its top"):
        load_definition(path)
