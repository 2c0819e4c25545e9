"""Someone with docs/FORMATS.md alone can reproduce a published result table and its hash.

The reader below is written from the document's words (§4, §5, §5.1, §8, §9, §12.1, §13),
not from the project's code: it reads the bundle's bytes, replays the events it needs and
computes the table. Nothing of ``ledger`` computes any part of it; the project only builds
the world and writes the bundle. Every member of the published table must come out equal,
and the SHA-256 of the table's canonical bytes must be the hash the publisher signed."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.audit.bundle_format import encode_bundle
from ledger.core.crypto import SigningKey
from projections.publication.bundling import build_bundle
from tests.world import START, World, build_world, reviewed, schedule

CODE = "R2023"

# a set with partial parents (§8): 1 and 1.2 list only part of their children, 2 too and
# takes its source from the parent; 3 applies to departments only
PARTIAL_SET: dict[str, Any] = {
    "code": "R-SET",
    "version": 1,
    "title": "Bộ chỉ số có phần còn lại",
    "precision": 2,
    "nodes": [
        {
            "code": "1",
            "level": "area",
            "title": "Chỉ đạo",
            "max_points": "10",
            "children": "partial",
        },
        {
            "code": "1.1",
            "level": "criterion",
            "title": "Kế hoạch",
            "max_points": "3",
            "score_source": "appraisal",
        },
        {
            "code": "1.2",
            "level": "criterion",
            "title": "Báo cáo",
            "max_points": "4",
            "score_source": "appraisal",
            "children": "partial",
            "lead_agency": "Văn phòng",
        },
        {
            "code": "1.2.1",
            "level": "sub_criterion",
            "title": "Báo cáo đúng hạn",
            "max_points": "1.5",
            "score_source": "appraisal",
            "rule": {
                "kind": "tiers",
                "tiers": [
                    {"min": "0", "max": "50", "max_inclusive": False, "points": "0"},
                    {"min": "50", "max": "80", "max_inclusive": False, "points": "0.75"},
                    {"min": "80", "max": "100", "points": "1.5"},
                ],
            },
        },
        {
            "code": "2",
            "level": "area",
            "title": "Khảo sát",
            "max_points": "6",
            "score_source": "survey",
            "children": "partial",
        },
        {
            "code": "2.1",
            "level": "criterion",
            "title": "Hài lòng",
            "max_points": "5",
            "score_source": "survey",
        },
        {
            "code": "3",
            "level": "area",
            "title": "Sở",
            "max_points": "2",
            "applies_to": ["department"],
        },
        {
            "code": "3.1",
            "level": "criterion",
            "title": "Riêng sở",
            "max_points": "2",
            "score_source": "appraisal",
        },
    ],
}


# -- an independent reader, from docs/FORMATS.md alone ----------------------------------------


def jcs(value: Any) -> bytes:
    """RFC 8785 for the values a table holds (§1): strings, integers, null, objects with
    ASCII member names (so code point order is UTF-16 order) and arrays."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def plain(value: Decimal) -> str:
    """§12.1: the shortest form, without exponent or trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def set_leaves(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """§8: the nodes in order, with a remainder leaf after the last node of each partial
    parent's subtree (nested remainders first), and which nodes are leaves."""
    nodes = [dict(n) for n in definition["nodes"]]
    by_code = {n["code"]: n for n in nodes}

    def parent(code: str) -> str | None:
        return code.rsplit(".", 1)[0] if "." in code else None

    def kinds(code: str) -> list[str]:
        own = by_code[code].get("applies_to") or []
        up = parent(code)
        return list(own) if own or up is None else kinds(up)

    order = [n["code"] for n in nodes]
    partial = [n["code"] for n in nodes if n.get("children") == "partial"]
    # deepest first, so that a descendant's remainder is inside its ancestor's subtree
    for code in sorted(partial, key=lambda c: -c.count(".")):
        listed = [n for n in nodes if parent(n["code"]) == code]
        rest = Decimal(by_code[code]["max_points"]) - sum(
            (Decimal(n["max_points"]) for n in listed), Decimal(0)
        )
        if rest <= 0:
            continue
        rest_code = code + ".rest"
        by_code[rest_code] = {
            "code": rest_code,
            "title": f"Các tiêu chí thành phần khác của {code} (không liệt kê riêng)",
            "max_points": plain(rest),
            "score_source": by_code[code].get("score_source") or "appraisal",
            "applies_to": kinds(code),
            "rule": {"kind": "free"},
        }
        last = max(i for i, c in enumerate(order) if c == code or c.startswith(code + "."))
        order.insert(last + 1, rest_code)
    parents = {parent(c) for c in order}
    return [
        {**by_code[c], "applies_to": by_code[c].get("applies_to") or kinds(c)}
        for c in order
        if c not in parents
    ]


class Card:
    """What §9 needs of a scorecard."""

    def __init__(self, unit_kind: str) -> None:
        self.unit_kind = unit_kind
        self.self_points: dict[str, str] = {}
        self.preliminary: dict[str, str] = {}
        self.final: dict[str, str] = {}
        self.accepted: dict[str, str] = {}
        self.external: dict[str, str] = {}
        self.corrected: dict[str, str] = {}
        self.adjustments: dict[str, tuple[str, str]] = {}  # code: (kind, points)

    def apply(self, kind: str, body: dict[str, Any]) -> None:
        leaf = body.get("criterion")
        if kind == "SelfScoreRecorded":
            self.self_points[leaf] = body["points"]
        elif kind == "AppraisalRecorded":
            self.preliminary[leaf] = body["points"]
        elif kind in ("AppraisalConfirmed", "AppraisalRevised"):
            self.final[leaf] = body["points"]
        elif kind == "SelfScoresAccepted":
            self.accepted.update(body["accepted"])
        elif kind == "ExternalScoreRecorded":
            self.external[leaf] = body["points"]
        elif kind == "ScoreCorrected":
            self.corrected[leaf] = body["points"]
        elif kind == "AdjustmentRecorded":
            self.adjustments[body["code"]] = (body["kind"], body["points"])  # replaces

    def score(self, leaf: dict[str, Any]) -> str | None:
        """§9 the final score, else (§12.1) the self-score of a self-assessed leaf."""
        code = leaf["code"]
        if code in self.corrected:
            return self.corrected[code]
        if leaf["score_source"] != "appraisal":
            return self.external.get(code)
        for found in (self.final, self.preliminary, self.accepted, self.self_points):
            if code in found:
                return found[code]
        return None


def reproduce(bundle: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header of a bundle, and the table its events give (§12.1, §13)."""
    lines = gzip.decompress(bundle).decode("utf-8").split("\n")
    assert lines[-1] == ""
    header = json.loads(lines[0])
    events = [json.loads(line) for line in lines[1:-1]]
    publication = header["publication"]
    size = publication["tree_size"]
    code = header["campaign"]

    units: dict[str, dict[str, Any]] = {}
    definitions: dict[tuple[str, int], dict[str, Any]] = {}
    created: dict[str, Any] = {}
    finalised_at = None
    cards: dict[str, Card] = {}
    for event in events[:size]:
        kind, body = event["type"], event["body"]
        if kind in ("UnitRegistered", "UnitUpdated"):
            units[body["code"]] = body
        elif kind in ("IndicatorSetDefined", "IndicatorSetRevised"):
            definitions[(body["code"], body["version"])] = body
        elif kind == "CampaignCreated" and body["code"] == code:
            created = body
        elif kind == "CampaignFinalised" and body["campaign"] == code:
            finalised_at = event["recorded_at"]
        elif event["aggregate_type"] == "Scorecard" and body["campaign"] == code:
            if kind == "ScorecardOpened":
                cards[body["unit"]] = Card(body["unit_kind"])
            else:
                cards[body["unit"]].apply(kind, body)

    definition = definitions[(created["indicator_set"], created["indicator_set_version"])]
    precision = definition.get("precision", 2)
    leaves = set_leaves(definition)
    bands = [(Decimal(b["min"]), b["grade"]) for b in created.get("grade_bands", [])]
    rows = []
    for unit, card in cards.items():
        applicable = [
            leaf
            for leaf in leaves
            if not leaf["applies_to"] or card.unit_kind in leaf["applies_to"]
        ]
        scores = {leaf["code"]: card.score(leaf) for leaf in applicable}
        adjustment = sum(
            (Decimal(p) if k == "bonus" else -Decimal(p) for k, p in card.adjustments.values()),
            Decimal(0),
        )
        max_total = sum((Decimal(leaf["max_points"]) for leaf in applicable), Decimal(0))
        summed = sum((Decimal(s) for s in scores.values() if s is not None), Decimal(0))
        total = min(max(summed + adjustment, Decimal(0)), max_total)
        index = half_up(100 * total / max_total if max_total else Decimal(0), precision)
        record = units[unit]
        rows.append(
            {
                "unit": unit,
                "name": record["name"],
                "unit_kind": card.unit_kind,
                "ranking_group": record.get("ranking_group") or record["kind"],
                "scores": scores,
                "adjustment": plain(adjustment),
                "total": plain(total),
                "max_total": plain(max_total),
                "index": format(index, "f"),
                "grade": next((g for minimum, g in bands if index >= minimum), None),
                "_index": index,
            }
        )
    ordered = []
    for group in sorted({row["ranking_group"] for row in rows}):
        members = sorted(
            (r for r in rows if r["ranking_group"] == group),
            key=lambda r: (-r["_index"], r["unit"]),
        )
        indexes = [row.pop("_index") for row in members]
        for row, index in zip(members, indexes, strict=True):
            row["rank"] = 1 + sum(1 for other in indexes if other > index)
            row["of"] = len(members)
            ordered.append(row)
    table = {
        "format": "parledger-results/1",
        "campaign": {
            "code": created["code"],
            "year": created["year"],
            "title": created["title"],
            "finalised_at": finalised_at,
        },
        "indicator_set": {
            "code": definition["code"],
            "version": definition["version"],
            "title": definition["title"],
        },
        "precision": precision,
        "leaves": [
            {k: leaf[k] for k in ("code", "title", "max_points", "score_source")} for leaf in leaves
        ],
        "units": ordered,
    }
    return header, table


def reproduce_keys(bundle: bytes) -> list[dict[str, Any]]:
    """§6.1 and §13: every key the registry ever held, as its last event left it."""
    lines = gzip.decompress(bundle).decode("utf-8").split("\n")[1:-1]
    keys: dict[str, dict[str, Any]] = {}

    def enrol(leaf: int, at: str, person: dict[str, Any], roles: list[Any], **more: Any) -> None:
        public = base64.b64decode(person["public_key"])
        key_id = hashlib.sha256(public).hexdigest()[:32]
        keys[key_id] = {
            "key_id": key_id,
            "public_key": person["public_key"],
            "name": person["name"],
            "title": person.get("title", ""),
            "unit": person.get("unit", ""),
            "roles": [{"role": r["role"], "scope": r.get("scope", [])} for r in roles],
            "enrolled_at": at,
            "revoked_at": None,
            "revocation_reason": None,
            "successor": None,
            "predecessor": None,
            "enrolled_leaf": leaf,
            "revoked_leaf": None,
            **more,
        }

    def revoke(leaf: int, at: str, key_id: str, reason: str, **more: Any) -> None:
        keys[key_id].update(revoked_at=at, revocation_reason=reason, revoked_leaf=leaf, **more)

    for leaf, line in enumerate(lines):
        event = json.loads(line)
        kind, body, at = event["type"], event["body"], event["recorded_at"]
        if kind == "LedgerInitialised":
            enrol(leaf, at, body["administrator"], [{"role": "administrator"}])
            enrol(leaf, at, {**body["server"], "title": "", "unit": ""}, [{"role": "system"}])
        elif kind == "KeyEnrolled":
            enrol(leaf, at, body, body["roles"])
        elif kind == "KeyRevoked":
            revoke(leaf, at, body["key_id"], body.get("reason", ""))
        elif kind == "KeyRotated":
            old = keys[body["key_id"]]
            person = {**old, "public_key": body["new_public_key"]}
            enrol(leaf, at, person, old["roles"], predecessor=old["key_id"])
            new_id = hashlib.sha256(base64.b64decode(body["new_public_key"])).hexdigest()[:32]
            revoke(leaf, at, old["key_id"], body.get("reason") or "rotated", successor=new_id)
    return [keys[k] for k in sorted(keys)]


# -- a campaign that uses what the table depends on -------------------------------------------


def run_campaign(world: World) -> None:
    """Self-scores (a tier rule among them), a lock, appraisals and a revision, survey
    scores on a remainder leaf, adjustments recorded twice, acceptance, a correction after
    finalisation, a unit renamed into another ranking group and a unit whose kind changes
    after its scorecard was opened; then a publication."""
    admin = world.admin
    keys = dict(world.keys)
    keys["appraiser3"] = world.enrol("appraiser3", [{"role": "appraiser", "scope": ["3"]}])
    for role in ("secretariat", "publisher"):
        keys[role] = world.enrol(role, [{"role": role, "scope": []}])
    world.send(admin, "define_indicator_set", PARTIAL_SET)
    world.send(
        admin,
        "create_campaign",
        {
            "code": CODE,
            "year": 2023,
            "title": "Kỳ đánh giá có phần còn lại",
            "indicator_set": "R-SET",
            "indicator_set_version": 1,
            "units": ["D1", "D2", "S1"],
            "schedule": schedule(),
            "adjustments": [
                {"code": "B1", "title": "Sáng kiến", "kind": "bonus", "cap": "1"},
                {"code": "P1", "title": "Vi phạm", "kind": "penalty", "cap": "3"},
            ],
            "grade_bands": [{"min": "70", "grade": "Tốt"}, {"min": "40", "grade": "Khá"}],
        },
    )
    # the unit's kind and name change after its scorecard was opened
    world.send(
        admin,
        "update_unit",
        {"code": "S1", "name": "Sở mới", "kind": "district", "ranking_group": "nhom-so"},
    )
    world.clock.set(START + timedelta(days=1))

    def self_score(key: str, unit: str, criterion: str, inputs: dict[str, Any]) -> None:
        args = {"campaign": CODE, "unit": unit, "criterion": criterion, "inputs": inputs}
        world.send(keys[key], "record_self_score", {**args, "explanation": "Có báo cáo"})

    self_score("staff", "D1", "1.1", {"points": "3"})
    self_score("staff", "D1", "1.2.1", {"numerator": 9, "denominator": 10})
    self_score("staff", "D1", "1.2.rest", {"points": "2.25"})
    self_score("staff", "D1", "1.rest", {"points": "2"})
    self_score("staff", "D1", "1.rest", {"points": "2.5"})  # the latest counts
    self_score("staff2", "D2", "1.1", {"points": "1"})
    self_score("staff2", "D2", "1.2.1", {"numerator": 3, "denominator": 5})
    world.send(keys["head"], "submit_self_assessment", {"campaign": CODE, "unit": "D1"})
    world.clock.set(START + timedelta(days=31))
    world.ledger.tick()  # D2 and S1 are locked as they stood

    def appraise(unit: str, criterion: str, inputs: dict[str, Any], key: str = "appraiser") -> None:
        args = {"campaign": CODE, "unit": unit, "criterion": criterion, "inputs": inputs}
        world.send(keys[key], "record_appraisal", {**args, "reason": "Thiếu hồ sơ"})

    appraise("D1", "1.1", {"points": "2"})
    appraise("D1", "1.2.rest", {"points": "2.25"})
    appraise("D2", "1.2.1", {"numerator": 1, "denominator": 5})
    appraise("S1", "3.1", {"points": "1.25"}, key="appraiser3")
    world.clock.set(START + timedelta(days=53))
    world.send(
        keys["appraiser"],
        "record_final_appraisal",
        {
            "campaign": CODE,
            "unit": "D1",
            "criterion": "1.1",
            "decision": "revise",
            "inputs": {"points": "2.75"},
            "reason": "Đã giải trình",
        },
    )
    world.clock.set(START + timedelta(days=61))
    for unit, points, rest in (("D1", "4.5", "1"), ("D2", "2", "0.5"), ("S1", "3", "1")):
        for criterion, value in (("2.1", points), ("2.rest", rest)):
            world.send(
                keys["survey"],
                "record_external_score",
                {
                    "campaign": CODE,
                    "unit": unit,
                    "criterion": criterion,
                    "points": value,
                    "source": "survey",
                    "source_document": "Điều tra",
                },
            )
    for unit, code, points in (
        ("D1", "B1", "0.5"),
        ("D1", "B1", "1"),  # replaces the 0.5
        ("D1", "P1", "0.25"),
        ("D2", "P1", "3"),
        ("D2", "P1", "2.5"),
    ):
        world.send(
            keys["secretariat"],
            "record_adjustment",
            {
                "campaign": CODE,
                "unit": unit,
                "code": code,
                "points": points,
                "reason": "Quyết định",
            },
        )
    for unit in ("D1", "D2", "S1"):
        world.send(keys["secretariat"], "accept_self_scores", {"campaign": CODE, "unit": unit})
    world.send(keys["secretariat"], "finalise_campaign", {"campaign": CODE})
    world.send(
        keys["secretariat"],
        "correct_score",
        {"campaign": CODE, "unit": "D2", "criterion": "1.1", "points": "0.5", "reason": "Sai sót"},
    )
    world.clock.set(START + timedelta(days=62))
    # a rotation without a reason, one with, and a revocation (§6.1)
    world.send(
        admin,
        "rotate_key",
        {"key_id": keys["survey"].key_id, "new_public_key": SigningKey.generate().public_key},
    )
    world.send(
        keys["staff2"],
        "rotate_key",
        {
            "key_id": keys["staff2"].key_id,
            "new_public_key": SigningKey.generate().public_key,
            "reason": "Mất thiết bị",
        },
    )
    world.send(admin, "revoke_key", {"key_id": keys["appraiser3"].key_id, "reason": "Nghỉ hưu"})
    world.send(
        keys["publisher"],
        "publish_results",
        {"campaign": CODE, "table_sha256": reviewed(world, CODE)},
    )


@pytest.fixture
def bundle(tmp_path: Path) -> bytes:
    world = build_world(
        f"sqlite:///{tmp_path}/ledger.sqlite3", tmp_path / "home", with_campaign=False
    )
    try:
        run_campaign(world)
        return encode_bundle(build_bundle(world.publishing, CODE))
    finally:
        world.ledger.close()


def test_the_remainder_leaves_are_titled_ordered_and_scored_as_formats_says(bundle: bytes) -> None:
    header, table = reproduce(bundle)
    published = header["results"]
    assert [leaf["code"] for leaf in published["leaves"]] == [
        "1.1",
        "1.2.1",
        "1.2.rest",
        "1.rest",
        "2.1",
        "2.rest",
        "3.1",
    ]
    rests = {leaf["code"]: leaf for leaf in published["leaves"] if leaf["code"].endswith(".rest")}
    assert rests == {
        "1.2.rest": {
            "code": "1.2.rest",
            "title": "Các tiêu chí thành phần khác của 1.2 (không liệt kê riêng)",
            "max_points": "2.5",
            "score_source": "appraisal",
        },
        "1.rest": {
            "code": "1.rest",
            "title": "Các tiêu chí thành phần khác của 1 (không liệt kê riêng)",
            "max_points": "3",
            "score_source": "appraisal",
        },
        "2.rest": {
            "code": "2.rest",
            "title": "Các tiêu chí thành phần khác của 2 (không liệt kê riêng)",
            "max_points": "1",
            "score_source": "survey",
        },
    }
    assert table["leaves"] == published["leaves"]


def test_every_member_of_the_published_table_is_what_formats_gives(bundle: bytes) -> None:
    header, table = reproduce(bundle)
    published = header["results"]
    assert set(table) == set(published)
    for member in table:
        if member != "units":
            assert table[member] == published[member], member
    assert [row["unit"] for row in table["units"]] == [row["unit"] for row in published["units"]]
    for mine, theirs in zip(table["units"], published["units"], strict=True):
        assert set(mine) == set(theirs), mine["unit"]
        for member in mine:
            assert mine[member] == theirs[member], (mine["unit"], member)
    # the cases the campaign was built to show, written out
    rows = {row["unit"]: row for row in published["units"]}
    assert rows["D1"]["scores"] == {
        "1.1": "2.75",
        "1.2.1": "1.5",
        "1.2.rest": "2.25",
        "1.rest": "2.5",
        "2.1": "4.5",
        "2.rest": "1",
    }
    assert rows["D1"]["adjustment"] == "0.75"
    assert rows["D2"]["scores"]["1.1"] == "0.5"
    assert rows["D2"]["adjustment"] == "-2.5"
    assert (rows["S1"]["unit_kind"], rows["S1"]["name"], rows["S1"]["ranking_group"]) == (
        "department",
        "Sở mới",
        "nhom-so",
    )
    assert rows["S1"]["scores"]["3.1"] == "1.25"
    assert rows["S1"]["scores"]["1.1"] == "0"


def test_the_table_hashes_to_what_the_publisher_signed(bundle: bytes) -> None:
    header, table = reproduce(bundle)
    digest = hashlib.sha256(jcs(table)).hexdigest()
    assert digest == header["publication"]["table_sha256"]
    lines = gzip.decompress(bundle).decode("utf-8").split("\n")
    published = json.loads(lines[1 + header["publication"]["leaf_index"]])
    assert published["type"] == "ResultsPublished"
    assert published["command"]["command"]["args"]["table_sha256"] == digest


def test_the_key_registry_in_the_header_is_what_formats_gives(bundle: bytes) -> None:
    header, _ = reproduce(bundle)
    keys = reproduce_keys(bundle)
    assert keys == header["keys"]
    reasons = sorted(k["revocation_reason"] for k in keys if k["revocation_reason"] is not None)
    assert reasons == ["Mất thiết bị", "Nghỉ hưu", "rotated"]
    assert sum(1 for k in keys if k["predecessor"]) == 2
    assert [k["roles"] for k in keys if k["roles"][0]["role"] == "system"] == [
        [{"role": "system", "scope": []}]
    ]
