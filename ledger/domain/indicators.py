"""The indicator tree (Bộ chỉ số): areas, criteria and sub-criteria, validated as a whole."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger.core.codes import CODE, UNIT_CODE
from ledger.core.errors import IndicatorSetError, ValidationError
from ledger.domain.points import decimals, plain
from ledger.domain.rules import rule_problems

LEVELS = ("area", "criterion", "sub_criterion")
SCORE_SOURCES = ("appraisal", "survey", "sipas", "published")
REMAINDER_SUFFIX = "rest"

_CODE = re.compile(CODE)
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SET_CODE = re.compile(UNIT_CODE)

SOURCE_TITLES = {
    "appraisal": "Tự đánh giá → thẩm định",
    "survey": "Điều tra xã hội học",
    "sipas": "SIPAS",
    "published": "Công bố của cơ quan có thẩm quyền",
}
LEVEL_TITLES = {"area": "Lĩnh vực", "criterion": "Tiêu chí", "sub_criterion": "Tiêu chí thành phần"}


def is_unit_kind(text: object) -> bool:
    return isinstance(text, str) and bool(_KIND.match(text))


@dataclass(frozen=True)
class Node:
    code: str
    level: str
    title: str
    max_points: Decimal
    score_source: str | None
    lead_agency: str | None
    applies_to: tuple[str, ...]
    partial: bool
    rule: Mapping[str, Any]
    parent: str | None
    children: tuple[str, ...] = ()
    synthetic: bool = False

    @property
    def area(self) -> str:
        return self.code.split(".")[0]

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def applies(self, unit_kind: str) -> bool:
        return not self.applies_to or unit_kind in self.applies_to


@dataclass(frozen=True)
class IndicatorTree:
    """A validated tree. ``leaves`` includes, for every parent that lists its
    children only in part, a remainder leaf ``<parent>.rest`` holding the
    points of the unlisted sub-criteria."""

    code: str
    version: int
    title: str
    precision: int
    nodes: Mapping[str, Node]
    order: tuple[str, ...]
    roots: tuple[str, ...] = field(default=())

    @property
    def leaves(self) -> list[Node]:
        return [self.nodes[c] for c in self.order if self.nodes[c].is_leaf]

    def node(self, code: str) -> Node:
        try:
            return self.nodes[code]
        except KeyError:
            raise ValidationError(
                f"criterion {code!r} is not in indicator set {self.code} v{self.version}",
                field="criterion",
                code="unknown_criterion",
            ) from None

    def leaf(self, code: str) -> Node:
        node = self.node(code)
        if not node.is_leaf:
            raise ValidationError(
                f"criterion {code} has sub-criteria; score its sub-criteria instead",
                field="criterion",
                code="not_a_leaf",
            )
        return node

    def applicable_leaves(self, unit_kind: str) -> list[Node]:
        return [leaf for leaf in self.leaves if leaf.applies(unit_kind)]

    def max_total(self, unit_kind: str) -> Decimal:
        return sum((leaf.max_points for leaf in self.applicable_leaves(unit_kind)), Decimal(0))

    def total_max(self) -> Decimal:
        return sum((self.nodes[r].max_points for r in self.roots), Decimal(0))


def _problem_prefix(entry: Mapping[str, Any], index: int) -> str:
    code = entry.get("code")
    return f"node {index + 1}" + (f" ({code})" if isinstance(code, str) and code else "")


def build_tree(definition: Mapping[str, Any]) -> IndicatorTree:
    """Validate a definition (see docs/FORMATS.md) and build its tree.

    Every problem found is reported together in one :class:`IndicatorSetError`.
    """
    problems: list[str] = []
    code = definition.get("code")
    version = definition.get("version")
    title = definition.get("title")
    precision = definition.get("precision", 2)
    if not isinstance(code, str) or not _SET_CODE.match(code):
        problems.append(f"set code {code!r} must be letters, digits, '.', '_' or '-'")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"version {version!r} must be a positive integer")
    if not isinstance(title, str) or not title.strip():
        problems.append("the set needs a title")
    if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= 4:
        problems.append(f"precision {precision!r} must be an integer from 0 to 4")
        precision = 2
    entries = definition.get("nodes")
    if not isinstance(entries, list) or not entries:
        problems.append("the set has no nodes")
        raise IndicatorSetError(problems)

    raw: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for index, entry in enumerate(entries):
        where = _problem_prefix(entry if isinstance(entry, Mapping) else {}, index)
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object")
            continue
        node_code = entry.get("code")
        if not isinstance(node_code, str) or not _CODE.match(node_code):
            problems.append(f"{where}: code {node_code!r} must be dotted segments such as 2.4.1")
            continue
        if node_code.split(".")[-1] == REMAINDER_SUFFIX:
            problems.append(f"{where}: codes ending in .{REMAINDER_SUFFIX} are reserved")
            continue
        if node_code in raw:
            problems.append(f"{where}: duplicate code {node_code}")
            continue
        parsed = _parse_node(entry, where, precision, problems)
        if parsed is not None:
            raw[node_code] = parsed
            order.append(node_code)

    children: dict[str, list[str]] = {c: [] for c in raw}
    roots: list[str] = []
    for node_code in order:
        parent = node_code.rsplit(".", 1)[0] if "." in node_code else None
        depth = node_code.count(".")
        level = raw[node_code]["level"]
        if level in LEVELS and LEVELS.index(level) != depth:
            problems.append(
                f"{node_code}: a {level} has {LEVELS.index(level) + 1} code segment(s), "
                f"but {node_code} has {depth + 1}"
            )
        if parent is None:
            roots.append(node_code)
        elif parent not in raw:
            problems.append(f"{node_code}: orphan, its parent {parent} is not defined")
        else:
            children[parent].append(node_code)
        raw[node_code]["parent"] = parent

    nodes: dict[str, Node] = {}
    final_order: list[str] = []

    resolved: dict[str, tuple[str, ...]] = {}

    def resolve_applies(node_code: str) -> tuple[str, ...]:
        if node_code in resolved:
            return resolved[node_code]
        own = tuple(raw[node_code]["applies_to"])
        parent = raw[node_code]["parent"]
        result = own
        if parent is not None and parent in raw:
            inherited = resolve_applies(parent)
            if not own:
                result = inherited
            elif inherited and not set(own) <= set(inherited):
                problems.append(
                    f"{node_code}: applies to {', '.join(own)} but its parent {parent} "
                    f"only to {', '.join(inherited)}"
                )
        resolved[node_code] = result
        return result

    for node_code in order:
        item = raw[node_code]
        kids = children[node_code]
        applies_to = resolve_applies(node_code)
        max_points: Decimal = item["max_points"]
        if kids:
            if item["rule"] != {"kind": "free"}:
                problems.append(f"{node_code}: only a leaf has a scoring rule")
            kid_sum = sum((raw[k]["max_points"] for k in kids), Decimal(0))
            if item["partial"]:
                if kid_sum > max_points:
                    problems.append(
                        f"{node_code}: its listed sub-criteria sum to {plain(kid_sum)}, "
                        f"more than its maximum {plain(max_points)}"
                    )
            elif kid_sum != max_points:
                problems.append(
                    f"{node_code}: its children {', '.join(kids)} sum to {plain(kid_sum)} "
                    f"but its maximum is {plain(max_points)}; if the set lists them only in part, "
                    f"mark {node_code} as partial"
                )
            if item["score_source"] is not None and any(
                raw[k]["score_source"] not in (None, item["score_source"]) for k in kids
            ):
                problems.append(f"{node_code}: its score source differs from its children's")
        else:
            if item["partial"]:
                problems.append(f"{node_code}: only a node with listed children can be partial")
            problems.extend(rule_problems(node_code, item["rule"], max_points, precision))
            if item["score_source"] is None:
                problems.append(
                    f"{node_code}: a leaf needs a score source ({', '.join(SCORE_SOURCES)})"
                )
        nodes[node_code] = Node(
            code=node_code,
            level=item["level"],
            title=item["title"],
            max_points=max_points,
            score_source=item["score_source"],
            lead_agency=item["lead_agency"],
            applies_to=applies_to,
            partial=item["partial"],
            rule=item["rule"],
            parent=item["parent"],
            children=tuple(kids),
        )
        final_order.append(node_code)

    for node_code in list(final_order):
        node = nodes[node_code]
        if not (node.partial and node.children):
            continue
        listed = sum((nodes[k].max_points for k in node.children), Decimal(0))
        remainder = node.max_points - listed
        if remainder <= 0:
            continue
        rest_code = f"{node_code}.{REMAINDER_SUFFIX}"
        nodes[rest_code] = Node(
            code=rest_code,
            level=LEVELS[min(node_code.count(".") + 1, len(LEVELS) - 1)],
            title=f"Các tiêu chí thành phần khác của {node_code} (không liệt kê riêng)",
            max_points=remainder,
            score_source=node.score_source or "appraisal",
            lead_agency=node.lead_agency,
            applies_to=node.applies_to,
            partial=False,
            rule={"kind": "free"},
            parent=node_code,
            synthetic=True,
        )
        nodes[node_code] = Node(**{**node.__dict__, "children": (*node.children, rest_code)})
        last_descendant = max(
            i for i, c in enumerate(final_order) if c.startswith(node_code + ".") or c == node_code
        )
        final_order.insert(last_descendant + 1, rest_code)

    if problems:
        raise IndicatorSetError(problems)
    assert isinstance(code, str)
    assert isinstance(version, int)
    assert isinstance(title, str)
    return IndicatorTree(
        code=code,
        version=version,
        title=title,
        precision=precision,
        nodes=nodes,
        order=tuple(final_order),
        roots=tuple(roots),
    )


def _parse_node(
    entry: Mapping[str, Any], where: str, precision: int, problems: list[str]
) -> dict[str, Any] | None:
    level = entry.get("level")
    if level not in LEVELS:
        problems.append(f"{where}: level {level!r} must be one of {', '.join(LEVELS)}")
        return None
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{where}: needs a title")
        return None
    max_text = entry.get("max_points")
    try:
        if not isinstance(max_text, str):
            raise ValueError
        max_points = Decimal(max_text.strip())
        if not max_points.is_finite():
            raise ValueError
    except (ValueError, ArithmeticError):
        problems.append(f"{where}: maximum {max_text!r} is not a number")
        return None
    if max_points < 0:
        problems.append(f"{where}: maximum {max_text} is negative")
        return None
    if decimals(max_points) > precision:
        problems.append(
            f"{where}: maximum {max_text} has more decimals than the set's precision {precision}"
        )
    source = entry.get("score_source") or None
    if source is not None and source not in SCORE_SOURCES:
        problems.append(
            f"{where}: score source {source!r} must be one of {', '.join(SCORE_SOURCES)}"
        )
        source = None
    agency = entry.get("lead_agency") or None
    if agency is not None and not isinstance(agency, str):
        problems.append(f"{where}: lead agency must be text")
        agency = None
    applies_to = entry.get("applies_to") or []
    if (
        not isinstance(applies_to, Sequence)
        or isinstance(applies_to, str)
        or not all(is_unit_kind(k) for k in applies_to)
    ):
        problems.append(
            f"{where}: applies_to must be a list of unit kinds such as province, district"
        )
        applies_to = []
    children_mark = entry.get("children", "all")
    if children_mark not in ("all", "partial"):
        problems.append(f"{where}: children must be 'all' or 'partial', not {children_mark!r}")
    rule = entry.get("rule") or {"kind": "free"}
    if not isinstance(rule, Mapping):
        problems.append(f"{where}: the scoring rule must be an object")
        rule = {"kind": "free"}
    return {
        "level": level,
        "title": title.strip(),
        "max_points": max_points,
        "score_source": source,
        "lead_agency": agency.strip() if isinstance(agency, str) else None,
        "applies_to": list(applies_to),
        "partial": children_mark == "partial",
        "rule": dict(rule),
    }


def canonical_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The definition as recorded on the ledger: defaults written out, nothing else."""
    tree = build_tree(definition)
    nodes = []
    for entry in definition["nodes"]:
        node = tree.nodes[entry["code"]]
        nodes.append(
            {
                "code": node.code,
                "level": node.level,
                "title": node.title,
                "max_points": plain(node.max_points),
                "score_source": node.score_source,
                "lead_agency": node.lead_agency,
                "applies_to": list(entry.get("applies_to") or []),
                "children": "partial" if node.partial else "all",
                "rule": dict(node.rule),
            }
        )
    return {
        "code": tree.code,
        "version": tree.version,
        "title": tree.title,
        "precision": tree.precision,
        "nodes": nodes,
    }
