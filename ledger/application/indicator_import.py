"""Reading indicator sets from CSV (the layout of Hanoi's plan table), YAML or JSON.

The result is a definition dict, validated by :func:`ledger.domain.indicators.build_tree`
and recorded as it is by ``define_indicator_set``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ledger.core.errors import IndicatorSetError, ValidationError
from ledger.domain.indicators import canonical_definition

REQUIRED_COLUMNS = ("code", "level", "title", "max_points")


def definition_from_csv(
    text: str,
    *,
    code: str,
    version: int,
    title: str,
    precision: int = 2,
    partial: Iterable[str] = (),
    applies_to: Iterable[str] = (),
) -> dict[str, Any]:
    """Columns: code, level, title, max_points, and optionally score_source, lead_agency,
    applies_to (kinds separated by ';'), children ('all' or 'partial'). Other columns
    (such as a previous year's score) are ignored. ``partial`` marks parents that list
    their sub-criteria only in part; ``applies_to`` sets the unit kinds of the areas."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValidationError(f"the CSV lacks column(s): {', '.join(missing)}", field="csv")
    partial_codes = set(partial)
    root_kinds = list(applies_to)
    nodes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        node_code = (row.get("code") or "").strip()
        if not node_code and not any((v or "").strip() for v in row.values()):
            continue
        seen.add(node_code)
        kinds = [k.strip() for k in (row.get("applies_to") or "").split(";") if k.strip()]
        if not kinds and "." not in node_code:
            kinds = root_kinds
        children = (row.get("children") or "").strip() or (
            "partial" if node_code in partial_codes else "all"
        )
        nodes.append(
            {
                "code": node_code,
                "level": (row.get("level") or "").strip(),
                "title": (row.get("title") or "").strip(),
                "max_points": (row.get("max_points") or "").strip(),
                "score_source": (row.get("score_source") or "").strip() or None,
                "lead_agency": (row.get("lead_agency") or "").strip() or None,
                "applies_to": kinds,
                "children": children,
                "_line": line,
            }
        )
    unknown = partial_codes - seen
    if unknown:
        raise ValidationError(
            f"--partial names code(s) not in the file: {', '.join(sorted(unknown))}",
            field="partial",
        )
    lines = {n["code"]: n.pop("_line") for n in nodes}
    definition = {
        "code": code,
        "version": version,
        "title": title,
        "precision": precision,
        "nodes": nodes,
    }
    try:
        return canonical_definition(definition)
    except IndicatorSetError as error:
        raise IndicatorSetError([_with_line(p, lines) for p in error.problems]) from None


def _with_line(problem: str, lines: Mapping[str, int]) -> str:
    """Point a problem at its CSV line: "node 12 (2.4.1): …" or "2.4: …" -> "line 13 …"."""
    head, _, rest = problem.partition(":")
    if head.startswith("node "):
        code = head.split("(")[-1].rstrip(")")
        return f"line {lines[code]} ({code}):{rest}" if code in lines else problem
    code = head.split(" ")[0]
    return f"line {lines[code]}: {problem}" if code in lines else problem


def _flatten(nodes: Iterable[Any], parent: str | None = None) -> list[dict[str, Any]]:
    """Nested ``children`` lists become a flat list; ``partial: true`` means
    ``children: partial``."""
    flat: list[dict[str, Any]] = []
    for node in nodes:
        if not isinstance(node, Mapping):
            raise ValidationError("every node must be a mapping", field="nodes")
        entry = {k: v for k, v in node.items() if k not in ("children", "partial")}
        if isinstance(entry.get("max_points"), int | float) and not isinstance(
            entry.get("max_points"), bool
        ):
            entry["max_points"] = str(entry["max_points"])
        kids = node.get("children")
        if isinstance(kids, str):
            entry["children"] = kids
        if node.get("partial") is True:
            entry["children"] = "partial"
        code = str(node.get("code"))
        if parent is not None and not code.startswith(parent + "."):
            raise ValidationError(
                f"node {code} is nested under {parent} but its code does not extend {parent}",
                field="nodes",
            )
        flat.append(entry)
        if isinstance(kids, list):
            flat.extend(_flatten(kids, code))
    return flat


def definition_from_mapping(data: Any) -> dict[str, Any]:
    """A set written as YAML or JSON: ``code``, ``version``, ``title``, ``precision`` and
    ``nodes``, either flat (codes give the tree) or nested under ``children``."""
    if not isinstance(data, Mapping):
        raise ValidationError("an indicator set file must hold a mapping at its top", field="file")
    definition = dict(data)
    definition["nodes"] = _flatten(data.get("nodes") or [])
    return canonical_definition(definition)


def load_definition(
    path: Path,
    *,
    code: str | None = None,
    version: int | None = None,
    title: str | None = None,
    precision: int | None = None,
    partial: Iterable[str] = (),
    applies_to: Iterable[str] = (),
) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if not code or not title:
            raise ValidationError("a CSV indicator set needs --code and --title", field="code")
        return definition_from_csv(
            text,
            code=code,
            version=version or 1,
            title=title,
            precision=2 if precision is None else precision,
            partial=partial,
            applies_to=applies_to,
        )
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValidationError(
            f"{path.name} is not valid {suffix[1:].upper()}: {error}", field="file"
        ) from None
    if isinstance(data, dict):
        overrides = {"code": code, "version": version, "title": title, "precision": precision}
        data.update({k: v for k, v in overrides.items() if v is not None})
    return definition_from_mapping(data)
