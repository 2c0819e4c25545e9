"""The read models on SQLite and PostgreSQL, kept up by a projector attached to the ledger:
scorecard views at each stage, traces, rankings (ties, groups, grades, change against the
previous campaign), views as they stood at a log position or a time, progress for the
secretariat, and gaps beside next year's targets."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.application.service import Receipt
from ledger.core.canonical import format_time
from ledger.core.crypto import SigningKey
from ledger.core.errors import LedgerError
from projections.projector import Projector
from projections.read_models.queries import AsOf, ReadModels
from projections.read_models.trace import TRACE_COLUMNS, to_csv, to_json
from tests.world import SMALL_SET, START, World, build_world, schedule

C2023 = "C2023"
D1 = {"campaign": C2023, "unit": "D1"}
D2 = {"campaign": C2023, "unit": "D2"}
S1 = {"campaign": C2023, "unit": "S1"}
SELF_CLOSES = START + timedelta(days=30)
PRELIMINARY_CLOSES = START + timedelta(days=45)
EXPLANATION_CLOSES = START + timedelta(days=52)
FINAL_CLOSES = START + timedelta(days=60)

BANDS = [
    {"min": "90", "grade": "A"},
    {"min": "80", "grade": "B"},
    {"min": "70", "grade": "C"},
    {"min": "0", "grade": "D"},
]


@dataclass
class Reads:
    projector: Projector
    models: ReadModels


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The test world, its read models catching up after every command it records."""
    built = build_world(database_url, tmp_path / "home", project=True)
    try:
        yield built
    finally:
        built.ledger.close()


@pytest.fixture
def reads(world: World) -> Reads:
    projector = world.runtime.projector
    return Reads(projector, ReadModels(projector.views))


def at(world: World, moment: datetime) -> None:
    world.clock.set(moment)


def score(card: dict[str, str], criterion: str, points: str, **extra: str) -> dict[str, Any]:
    return {**card, "criterion": criterion, "inputs": {"points": points}, **extra}


def survey(world: World, card: dict[str, str], points: str, criterion: str = "2.1") -> Receipt:
    return world.send(
        world.keys["survey"],
        "record_external_score",
        {
            **card,
            "criterion": criterion,
            "points": points,
            "source": "survey",
            "source_document": "Báo cáo điều tra XHH 2023",
        },
    )


def attach_file(
    world: World, key: SigningKey, card: dict[str, str], criterion: str, data: bytes, name: str
) -> tuple[Receipt, str, int]:
    stored = world.ledger.evidence.put_bytes(data)
    receipt = world.send(
        key,
        "attach_evidence",
        {
            **card,
            "criterion": criterion,
            "sha256": stored.sha256,
            "size": stored.size,
            "file_name": name,
            "media_type": "application/pdf",
        },
    )
    return receipt, stored.sha256, stored.size


def leaf(view: dict[str, Any], code: str) -> dict[str, Any]:
    found = [entry for entry in view["leaves"] if entry["code"] == code]
    assert len(found) == 1, f"{code} not in {[e['code'] for e in view['leaves']]}"
    return found[0]


def dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def decimals(mapping: dict[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in mapping.items()}


def without_as_of(view: dict[str, Any] | None) -> dict[str, Any]:
    assert view is not None
    return {k: v for k, v in view.items() if k != "as_of"}


def card_view(reads: Reads, campaign: str, unit: str, as_of: AsOf | None = None) -> dict[str, Any]:
    view = reads.models.scorecard(campaign, unit, as_of)
    assert view is not None
    return view


# -- one unit's walk through the cycle ------------------------------------------------------

NOTE_11 = "Kế hoạch số 5/KH-UBND"
EXPLANATION_12 = "Báo cáo quý đã gửi đúng hạn"
REASON_11 = "Kế hoạch ban hành muộn"
REQUEST_12 = "Làm rõ số liệu"
ANSWER_11 = "Kế hoạch ban hành đúng hạn, xem QĐ 12"
ANSWER_12 = "Số liệu từ hệ thống một cửa"
REVISION_11 = "Giải trình hợp lý, có QĐ 12"


@dataclass
class Walk:
    receipts: dict[str, Receipt] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)
    files: dict[str, tuple[str, int]] = field(default_factory=dict)

    def step(self, name: str, world: World, reads: Reads, receipt: Receipt) -> None:
        self.receipts[name] = receipt
        self.times[name] = world.clock.now()
        self.views[name] = copy.deepcopy(card_view(reads, C2023, "D1"))


def walk_d1(world: World, reads: Reads) -> Walk:
    """D1 scores itself (1.1 = 0.75 with a file, 1.2 = 2 explained), the survey body gives
    2.1 = 1.6, the head submits; the appraiser lowers 1.1 to 0.5 and asks about 1.2; the
    unit explains both and adds a file; the final appraisal gives 1.1 back and confirms 1.2."""
    staff, head = world.keys["staff"], world.keys["head"]
    appraiser = world.keys["appraiser"]
    walk = Walk()

    at(world, START + timedelta(days=1))
    walk.step(
        "self_11",
        world,
        reads,
        world.send(staff, "record_self_score", score(D1, "1.1", "0.75", note=NOTE_11)),
    )
    at(world, START + timedelta(days=1, hours=1))
    receipt, sha, size = attach_file(world, staff, D1, "1.1", b"%PDF-1.4 KH 5", "kh5.pdf")
    walk.files["kh5"] = (sha, size)
    walk.step("evidence_11", world, reads, receipt)
    at(world, START + timedelta(days=2))
    walk.step(
        "self_12_bare", world, reads, world.send(staff, "record_self_score", score(D1, "1.2", "2"))
    )
    at(world, START + timedelta(days=2, hours=1))
    walk.step(
        "self_12",
        world,
        reads,
        world.send(staff, "record_self_score", score(D1, "1.2", "2", explanation=EXPLANATION_12)),
    )
    walk.step("survey_21", world, reads, survey(world, D1, "1.6"))
    at(world, START + timedelta(days=3))
    walk.step("submitted", world, reads, world.send(head, "submit_self_assessment", D1))

    at(world, START + timedelta(days=35))
    walk.step(
        "appraised_11",
        world,
        reads,
        world.send(appraiser, "record_appraisal", score(D1, "1.1", "0.5", reason=REASON_11)),
    )
    walk.step(
        "appraised_12",
        world,
        reads,
        world.send(appraiser, "record_appraisal", score(D1, "1.2", "2")),
    )
    walk.step(
        "requested_12",
        world,
        reads,
        world.send(
            appraiser, "request_explanation", {**D1, "criterion": "1.2", "note": REQUEST_12}
        ),
    )

    at(world, PRELIMINARY_CLOSES + timedelta(days=1))
    walk.step(
        "explained_11",
        world,
        reads,
        world.send(
            staff, "submit_explanation", {**D1, "criterion": "1.1", "explanation": ANSWER_11}
        ),
    )
    receipt, sha, size = attach_file(world, staff, D1, "1.1", b"%PDF-1.4 QD 12", "qd12.pdf")
    walk.files["qd12"] = (sha, size)
    walk.step("supplement_11", world, reads, receipt)
    walk.step(
        "explained_12",
        world,
        reads,
        world.send(
            staff, "submit_explanation", {**D1, "criterion": "1.2", "explanation": ANSWER_12}
        ),
    )

    at(world, EXPLANATION_CLOSES + timedelta(days=1))
    walk.step(
        "revised_11",
        world,
        reads,
        world.send(
            appraiser,
            "record_final_appraisal",
            {
                **D1,
                "criterion": "1.1",
                "decision": "revise",
                "inputs": {"points": "1"},
                "reason": REVISION_11,
            },
        ),
    )
    walk.step(
        "confirmed_12",
        world,
        reads,
        world.send(
            appraiser, "record_final_appraisal", {**D1, "criterion": "1.2", "decision": "confirm"}
        ),
    )
    return walk


def stage(view: dict[str, Any], name: str) -> dict[str, Any]:
    return view["totals"][name]


# -- 1. the scorecard view ------------------------------------------------------------------


def test_scorecard_view_after_self_assessment(world: World, reads: Reads) -> None:
    walk = walk_d1(world, reads)
    view = walk.views["survey_21"]
    assert view["campaign"] == C2023
    assert view["unit"] == "D1"
    assert view["unit_kind"] == "district"
    assert view["indicator_set"] == {"code": "T-SET", "version": 1, "title": SMALL_SET["title"]}
    assert view["submitted_at"] is None
    assert view["locked_at"] is None
    assert [e["code"] for e in view["leaves"]] == ["1.1", "1.2", "2.1"]

    l11 = leaf(view, "1.1")
    assert l11["self_score"] == {
        "points": "0.75",
        "inputs": {"points": "0.75"},
        "note": NOTE_11,
        "explanation": "",
    }
    sha, size = walk.files["kh5"]
    assert l11["evidence"]["count"] == 1
    assert [f["sha256"] for f in l11["evidence"]["files"]] == [sha]
    assert l11["evidence"]["files"][0]["size"] == size
    assert l11["evidence"]["files"][0]["file_name"] == "kh5.pdf"
    assert l11["evidence"]["files"][0]["supplementary"] is False
    assert l11["flags"] == {
        "no_evidence": False,
        "unsupported": False,
        "explanation_requested": False,
        "contested": False,
        "corrected": False,
    }
    assert l11["preliminary_appraisal"] is None
    assert l11["final_appraisal"] is None
    assert l11["lead_agency"] == "Sở Nội vụ"
    assert dec(l11["points"]) == Decimal("0.75")

    # a self-score without a file or a written explanation is unsupported
    bare = leaf(walk.views["self_12_bare"], "1.2")
    assert bare["flags"]["no_evidence"] is True
    assert bare["flags"]["unsupported"] is True
    # explained, it is supported but still has no evidence
    l12 = leaf(view, "1.2")
    assert l12["self_score"]["explanation"] == EXPLANATION_12
    assert l12["evidence"] == {"count": 0, "files": []}
    assert l12["flags"]["no_evidence"] is True
    assert l12["flags"]["unsupported"] is False

    l21 = leaf(view, "2.1")
    assert l21["score_source"] == "survey"
    assert l21["self_score"] is None
    assert l21["external"] == {"points": "1.6", "source_document": "Báo cáo điều tra XHH 2023"}
    assert l21["flags"]["no_evidence"] is False
    assert dec(l21["final_points"]) == Decimal("1.6")

    # 0.75 + 2 + 1.6 = 4.35 of 5: index 87.00; area 1: 2.75 of 3, area 2: 1.6 of 2
    own = stage(view, "self_assessment")
    assert Decimal(own["total"]) == Decimal("4.35")
    assert Decimal(own["max_total"]) == Decimal(5)
    assert Decimal(own["index"]) == Decimal("87.00")
    assert decimals(own["nodes"]) == {
        "1": Decimal("2.75"),
        "1.1": Decimal("0.75"),
        "1.2": Decimal(2),
        "2": Decimal("1.6"),
        "2.1": Decimal("1.6"),
    }
    assert decimals(own["max_nodes"]) == {
        "1": Decimal(3),
        "1.1": Decimal(1),
        "1.2": Decimal(2),
        "2": Decimal(2),
        "2.1": Decimal(2),
    }
    assert {code: decimals(area) for code, area in own["areas"].items()} == {
        "1": {"points": Decimal("2.75"), "max_points": Decimal(3), "index": Decimal("91.67")},
        "2": {"points": Decimal("1.6"), "max_points": Decimal(2), "index": Decimal(80)},
    }
    # nothing appraised yet: every stage shows the same
    assert stage(view, "preliminary") == own
    assert stage(view, "final") == own


def test_scorecard_view_through_appraisal_and_explanation(world: World, reads: Reads) -> None:
    walk = walk_d1(world, reads)
    appraiser = world.keys["appraiser"].key_id

    submitted = walk.views["submitted"]
    assert submitted["submitted_at"] == format_time(walk.times["submitted"])
    assert submitted["submitted_by"] == world.keys["head"].key_id

    preliminary = walk.views["requested_12"]
    l11 = leaf(preliminary, "1.1")
    assert l11["preliminary_appraisal"] == {
        "points": "0.5",
        "inputs": {"points": "0.5"},
        "reason": REASON_11,
        "by": appraiser,
    }
    assert l11["flags"]["contested"] is True
    assert l11["flags"]["explanation_requested"] is False
    l12 = leaf(preliminary, "1.2")
    assert l12["preliminary_appraisal"]["points"] == "2"
    assert l12["preliminary_appraisal"]["reason"] == ""
    assert l12["flags"]["explanation_requested"] is True
    assert l12["flags"]["contested"] is True
    assert l12["explanation_request"] == REQUEST_12
    # an appraisal that keeps the self-score and asks nothing leaves the leaf uncontested
    assert leaf(walk.views["appraised_12"], "1.2")["flags"]["contested"] is False

    # 0.5 + 2 + 1.6 = 4.1: index 82; the self stage still shows 4.35
    assert Decimal(stage(preliminary, "self_assessment")["total"]) == Decimal("4.35")
    pre = stage(preliminary, "preliminary")
    assert (Decimal(pre["total"]), Decimal(pre["index"])) == (Decimal("4.1"), Decimal(82))
    assert Decimal(pre["nodes"]["1"]) == Decimal("2.5")
    assert Decimal(pre["areas"]["1"]["index"]) == Decimal("83.33")
    assert Decimal(stage(preliminary, "final")["total"]) == Decimal("4.1")

    view = card_view(reads, C2023, "D1")
    assert view == walk.views["confirmed_12"]
    l11 = leaf(view, "1.1")
    assert l11["explanations"] == [ANSWER_11]
    kh5, qd12 = walk.files["kh5"][0], walk.files["qd12"][0]
    assert l11["evidence"]["count"] == 2
    assert [f["sha256"] for f in l11["evidence"]["files"]] == sorted([kh5, qd12])
    supplementary = {f["sha256"]: f["supplementary"] for f in l11["evidence"]["files"]}
    assert supplementary == {kh5: False, qd12: True}
    assert l11["final_appraisal"] == {
        "points": "1",
        "inputs": {"points": "1"},
        "reason": REVISION_11,
        "by": appraiser,
        "decision": "revise",
    }
    assert (dec(l11["final_points"]), dec(l11["points"])) == (Decimal(1), Decimal(1))
    l12 = leaf(view, "1.2")
    assert l12["explanations"] == [ANSWER_12]
    assert l12["final_appraisal"]["decision"] == "confirm"
    assert dec(l12["final_appraisal"]["points"]) == Decimal(2)
    assert dec(l12["points"]) == Decimal(2)

    final = stage(view, "final")
    assert Decimal(final["total"]) == Decimal("4.6")
    assert Decimal(final["index"]) == Decimal(92)
    assert Decimal(final["areas"]["1"]["index"]) == Decimal(100)
    assert Decimal(final["areas"]["2"]["index"]) == Decimal(80)
    assert Decimal(stage(view, "preliminary")["total"]) == Decimal("4.1")
    assert Decimal(stage(view, "self_assessment")["total"]) == Decimal("4.35")


def test_a_department_is_scored_on_the_criteria_that_apply_to_it(
    world: World, reads: Reads
) -> None:
    world.send(world.keys["staff"], "record_self_score", score(D1, "1.1", "1", explanation="x"))
    staff_s1 = world.enrol("staff-s1", [{"role": "unit_staff", "scope": ["S1"]}])
    world.send(staff_s1, "record_self_score", score(S1, "1.1", "1", explanation="x"))
    survey(world, S1, "2")

    view = card_view(reads, C2023, "S1")
    assert view["unit_kind"] == "department"
    assert [e["code"] for e in view["leaves"]] == ["1.1", "2.1"]
    for name in ("self_assessment", "preliminary", "final"):
        totals = stage(view, name)
        assert (Decimal(totals["total"]), Decimal(totals["max_total"])) == (
            Decimal(3),
            Decimal(3),
        )
        assert Decimal(totals["index"]) == Decimal(100)
        assert "1.2" not in totals["nodes"]
        assert Decimal(totals["areas"]["1"]["max_points"]) == Decimal(1)
    # the district's card is not touched by the department's scores
    assert Decimal(stage(card_view(reads, C2023, "D1"), "final")["max_total"]) == Decimal(5)
    assert [c["unit"] for c in reads.models.scorecards(C2023)] == ["D1", "D2", "S1"]


# -- 2. traces ------------------------------------------------------------------------------


def test_trace_of_one_leaf(world: World, reads: Reads) -> None:
    walk = walk_d1(world, reads)
    rows = reads.models.trace(C2023, "D1", "1.1")
    kh5, qd12 = walk.files["kh5"][0], walk.files["qd12"][0]
    staff, appraiser = world.keys["staff"].key_id, world.keys["appraiser"].key_id
    expected = [
        ("self_11", "SelfScoreRecorded", None, "0.75", NOTE_11, [], staff, "unit_staff"),
        ("evidence_11", "EvidenceAttached", None, None, None, [kh5], staff, "unit_staff"),
        (
            "appraised_11",
            "AppraisalRecorded",
            "0.75",
            "0.5",
            REASON_11,
            [kh5],
            appraiser,
            "appraiser",
        ),
        ("explained_11", "ExplanationSubmitted", None, None, ANSWER_11, [kh5], staff, "unit_staff"),
        ("supplement_11", "EvidenceAttached", None, None, None, [qd12], staff, "unit_staff"),
        (
            "revised_11",
            "AppraisalRevised",
            "0.5",
            "1",
            REVISION_11,
            sorted([kh5, qd12]),
            appraiser,
            "appraiser",
        ),
    ]
    assert len(rows) == len(expected), [r["event_type"] for r in rows]
    for row, (step, event_type, before, after, why, evidence, key_id, role) in zip(
        rows, expected, strict=True
    ):
        receipt = walk.receipts[step]
        assert row["event_type"] == event_type
        assert row["position"] == receipt.position
        assert row["event_hash"] == receipt.event_hash
        assert row["recorded_at"] == format_time(walk.times[step])
        assert (row["campaign"], row["unit"], row["criterion"]) == (C2023, "D1", "1.1")
        assert (row["from_points"], row["to_points"]) == (before, after), step
        if why is not None:
            assert row["why"] == why, step
        assert row["evidence"] == evidence, step
        assert row["key_id"] == key_id
        assert row["role"] == role
        assert (row["title"], row["signer_unit"]) == ("Chuyên viên", "Sở")
        assert row["name"] == ("staff" if key_id == staff else "appraiser")
    # a file's row names the file; a file added in the explanation round says so
    assert "kh5.pdf" in rows[1]["why"]
    assert "application/pdf" in rows[1]["why"]
    assert rows[4]["why"].startswith("bổ sung khi giải trình: qd12.pdf")
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)


def test_trace_of_a_unit_and_of_the_campaign(world: World, reads: Reads) -> None:
    walk = walk_d1(world, reads)
    unit_rows = reads.models.trace(C2023, "D1")
    assert {r["unit"] for r in unit_rows} == {"D1"}
    positions = [(r["position"], r["event_type"]) for r in unit_rows]
    assert positions == sorted(positions, key=lambda p: p[0])
    assert {r["criterion"] for r in unit_rows} == {"", "1.1", "1.2", "2.1"}

    opened = unit_rows[0]
    assert opened["event_type"] == "ScorecardOpened"
    assert opened["criterion"] == ""
    assert opened["role"] == "system"
    assert opened["key_id"] == world.server.key_id

    submitted = [r for r in unit_rows if r["event_type"] == "SelfAssessmentSubmitted"]
    assert len(submitted) == 1
    assert submitted[0]["criterion"] == ""
    assert submitted[0]["role"] == "unit_head"
    assert submitted[0]["name"] == "head"
    assert submitted[0]["position"] == walk.receipts["submitted"].position

    external = [r for r in unit_rows if r["criterion"] == "2.1"]
    assert len(external) == 1
    assert external[0]["event_type"] == "ExternalScoreRecorded"
    assert (external[0]["from_points"], external[0]["to_points"]) == (None, "1.6")
    assert external[0]["why"] == "Báo cáo điều tra XHH 2023"
    assert external[0]["role"] == "survey_body"
    assert external[0]["evidence"] == []

    rows_12 = [r for r in unit_rows if r["criterion"] == "1.2"]
    assert [r["event_type"] for r in rows_12] == [
        "SelfScoreRecorded",
        "SelfScoreRecorded",
        "AppraisalRecorded",
        "ExplanationRequested",
        "ExplanationSubmitted",
        "AppraisalConfirmed",
    ]
    assert [(r["from_points"], r["to_points"]) for r in rows_12] == [
        (None, "2"),
        ("2", "2"),
        ("2", "2"),
        (None, None),
        (None, None),
        ("2", "2"),
    ]
    assert rows_12[1]["why"] == EXPLANATION_12
    assert rows_12[3]["why"] == REQUEST_12
    assert rows_12[4]["why"] == ANSWER_12
    assert rows_12 == reads.models.trace(C2023, "D1", "1.2")

    # the whole campaign: every unit's rows, in log order
    everything = reads.models.trace(C2023)
    assert {r["unit"] for r in everything} == {"D1", "D2", "S1"}
    for unit in ("D1", "D2", "S1"):
        assert [r for r in everything if r["unit"] == unit] == reads.models.trace(C2023, unit)
    assert [r["position"] for r in everything] == sorted(r["position"] for r in everything)
    assert reads.models.trace(C2023, criterion="1.1") == [
        r for r in everything if r["criterion"] == "1.1"
    ]
    assert reads.models.trace("NO-SUCH") == []


def test_trace_csv_and_json(world: World, reads: Reads) -> None:
    walk_d1(world, reads)
    rows = reads.models.trace(C2023)
    text = to_csv(rows)
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    parsed = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(parsed[0]) == TRACE_COLUMNS
    assert len(parsed) == len(rows) + 1
    assert text.count("\n") == len(rows) + 1  # one line per row: no field spans lines
    for line, row in zip(parsed[1:], rows, strict=True):
        record = dict(zip(TRACE_COLUMNS, line, strict=True))
        assert int(record["position"]) == row["position"]
        assert record["event_type"] == row["event_type"]
        assert record["from_points"] == (row["from_points"] or "")
        assert record["to_points"] == (row["to_points"] or "")
        assert record["why"] == row["why"]
        assert record["evidence"] == " ".join(row["evidence"])
        assert record["name"] == row["name"]
        assert record["event_hash"] == row["event_hash"]
    assert json.loads(to_json(rows)) == rows
    assert to_csv([]) == "\ufeff" + ",".join(TRACE_COLUMNS) + "\n"
    points = list(csv.DictReader(io.StringIO(to_csv(rows, 2).removeprefix("\ufeff"))))
    moved = [r for r in points if r["to_points"]]
    assert moved
    assert all(len(r["to_points"].split(".")[1]) == 2 for r in moved)
    assert all(len(r["from_points"].split(".")[1]) == 2 for r in points if r["from_points"])


# -- 3. rankings ----------------------------------------------------------------------------


def ranking_world(world: World) -> SigningKey:
    """Districts D3..D5 besides D1, D2; a 2022 campaign over D1..D3 and a 2023 campaign with
    grade bands over D1..D5 and S1. Returns a staff key for every unit."""
    for code in ("D3", "D4", "D5"):
        world.send(
            world.admin,
            "register_unit",
            {"code": code, "name": f"Đơn vị {code}", "kind": "district"},
        )
    staff = world.enrol(
        "staff-all", [{"role": "unit_staff", "scope": ["D1", "D2", "D3", "D4", "D5", "S1"]}]
    )
    for code, year, units, bands in (
        ("C2022", 2022, ["D1", "D2", "D3"], None),
        ("C-RANK", 2023, ["D1", "D2", "D3", "D4", "D5", "S1"], BANDS),
    ):
        args: dict[str, Any] = {
            "code": code,
            "year": year,
            "title": f"Kỳ đánh giá {year}",
            "indicator_set": "T-SET",
            "indicator_set_version": 1,
            "units": units,
            "schedule": schedule(),
        }
        if bands:
            args["grade_bands"] = bands
        world.send(world.admin, "create_campaign", args)
    return staff


def set_scores(
    world: World, staff: SigningKey, campaign: str, unit: str, s11: str, s12: str | None, s21: str
) -> None:
    card = {"campaign": campaign, "unit": unit}
    world.send(staff, "record_self_score", score(card, "1.1", s11, explanation="x"))
    if s12 is not None:
        world.send(staff, "record_self_score", score(card, "1.2", s12, explanation="x"))
    survey(world, card, s21)


def summary(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (r["ranking_group"], r["rank"], r["of"], r["unit"], Decimal(r["index"]), r["grade"])
        for r in rows
    ]


def test_rankings_ties_groups_grades_and_change(world: World, reads: Reads) -> None:
    staff = ranking_world(world)
    # 2022: D2 90, D3 80, D1 70
    set_scores(world, staff, "C2022", "D1", "1", "1", "1.5")
    set_scores(world, staff, "C2022", "D2", "1", "2", "1.5")
    set_scores(world, staff, "C2022", "D3", "1", "1.5", "1.5")
    # 2023: D1 90, D2 80, D3 80, D4 70, D5 69; S1 3 of 3
    set_scores(world, staff, "C-RANK", "D1", "1", "2", "1.5")
    set_scores(world, staff, "C-RANK", "D2", "1", "1.5", "1.5")
    set_scores(world, staff, "C-RANK", "D3", "0.5", "2", "1.5")
    set_scores(world, staff, "C-RANK", "D4", "0.5", "1.5", "1.5")
    set_scores(world, staff, "C-RANK", "D5", "0.45", "1.5", "1.5")
    set_scores(world, staff, "C-RANK", "S1", "1", None, "2")

    earlier = reads.models.ranking("C2022")
    assert summary(earlier) == [
        ("district", 1, 3, "D2", Decimal(90), None),
        ("district", 2, 3, "D3", Decimal(80), None),
        ("district", 3, 3, "D1", Decimal(70), None),
    ]
    assert {(r["previous_campaign"], r["previous_rank"], r["rank_change"]) for r in earlier} == {
        (None, None, None)
    }

    rows = reads.models.ranking("C-RANK")
    assert summary(rows) == [
        # a department has 3 applicable points, not 5, and is ranked in its own group
        ("department", 1, 1, "S1", Decimal(100), "A"),
        ("district", 1, 5, "D1", Decimal(90), "A"),
        ("district", 2, 5, "D2", Decimal(80), "B"),
        ("district", 2, 5, "D3", Decimal(80), "B"),
        ("district", 4, 5, "D4", Decimal(70), "C"),
        ("district", 5, 5, "D5", Decimal(69), "D"),
    ]
    by_unit = {r["unit"]: r for r in rows}
    assert (Decimal(by_unit["S1"]["total"]), Decimal(by_unit["S1"]["max_total"])) == (3, 3)
    assert (Decimal(by_unit["D5"]["total"]), Decimal(by_unit["D5"]["max_total"])) == (
        Decimal("3.45"),
        5,
    )
    assert by_unit["D1"]["name"] == "Đơn vị D1"
    assert by_unit["S1"]["unit_kind"] == "department"
    assert {r["previous_campaign"] for r in rows} == {"C2022"}
    # rank change = previous rank - rank: D1 went up from 3 to 1, D2 down from 1 to 2
    assert {u: (r["previous_rank"], r["rank_change"]) for u, r in by_unit.items()} == {
        "D1": (3, 2),
        "D2": (1, -1),
        "D3": (2, 0),
        "D4": (None, None),
        "D5": (None, None),
        "S1": (None, None),
    }

    assert [r["unit"] for r in reads.models.ranking("C-RANK", group="department")] == ["S1"]
    districts = reads.models.ranking("C-RANK", group="district")
    assert [(r["unit"], r["rank"]) for r in districts] == [
        ("D1", 1),
        ("D2", 2),
        ("D3", 2),
        ("D4", 4),
        ("D5", 5),
    ]
    assert reads.models.ranking("C-RANK", group="province") == []
    assert reads.models.ranking("NO-SUCH") == []
    assert reads.models.previous_campaign("C-RANK")["code"] == "C2022"
    assert reads.models.previous_campaign("C2022") is None
    # the world's own 2023 campaign has no grade bands
    assert {r["grade"] for r in reads.models.ranking(C2023)} == {None}


def test_ranking_as_of_a_log_position(world: World, reads: Reads) -> None:
    staff = ranking_world(world)
    created = world.ledger.recorder.max_notification_id()
    set_scores(world, staff, "C-RANK", "D1", "0.5", "1", "1")
    set_scores(world, staff, "C-RANK", "D2", "1", "2", "2")
    set_scores(world, staff, "C-RANK", "D3", "1", "1.5", "2")
    position = world.ledger.recorder.max_notification_id()
    then = copy.deepcopy(reads.models.ranking("C-RANK"))
    assert [r["unit"] for r in then if r["ranking_group"] == "district"][:3] == ["D2", "D3", "D1"]

    set_scores(world, staff, "C-RANK", "D4", "1", "2", "2")
    set_scores(world, staff, "C-RANK", "D1", "1", "2", "1.9")
    now = reads.models.ranking("C-RANK")
    assert now != then
    assert [r["unit"] for r in now if r["ranking_group"] == "district"][:3] == ["D2", "D4", "D1"]

    assert reads.models.ranking("C-RANK", as_of=AsOf(position=position)) == then
    assert reads.models.ranking("C-RANK", as_of=AsOf(position=created)) == reads.models.ranking(
        "C-RANK", as_of=AsOf(position=created, at=START + timedelta(days=365))
    )
    opened = reads.models.ranking("C-RANK", as_of=AsOf(position=created))
    assert {Decimal(r["index"]) for r in opened} == {Decimal(0)}
    assert {r["rank"] for r in opened} == {1}
    assert reads.models.ranking("C-RANK", as_of=AsOf(at=START - timedelta(days=1))) == []
    assert reads.models.ranking("C-RANK", group="department", as_of=AsOf(position=position)) == [
        r for r in then if r["ranking_group"] == "department"
    ]


# -- 4. as of a position or a time -----------------------------------------------------------


def test_scorecard_as_of_a_log_position_is_the_view_then(world: World, reads: Reads) -> None:
    walk = walk_d1(world, reads)
    for step, receipt in walk.receipts.items():
        then = reads.models.scorecard(C2023, "D1", AsOf(position=receipt.position))
        assert without_as_of(then) == walk.views[step], step
        assert then is not None
        assert then["as_of"] == {
            "position": receipt.position,
            "at": None,
            "last_position": receipt.position,
        }
    # between two of the unit's events, the earlier one shows
    appraised = walk.receipts["appraised_11"].position
    before = reads.models.scorecard(C2023, "D1", AsOf(position=appraised - 1))
    assert without_as_of(before) == walk.views["submitted"]
    assert leaf(before, "1.1")["preliminary_appraisal"] is None
    assert leaf(card_view(reads, C2023, "D1"), "1.1")["preliminary_appraisal"] is not None


def test_scorecard_as_of_a_time(world: World, reads: Reads) -> None:
    walk = walk_d1(world, reads)
    for step, moment in walk.times.items():
        then = reads.models.scorecard(C2023, "D1", AsOf(at=moment))
        # several steps share a moment: the view then is the last of them
        last = [s for s in walk.times if walk.times[s] == moment][-1]
        assert without_as_of(then) == walk.views[last], step
    # before the campaign existed there was no scorecard
    assert reads.models.scorecard(C2023, "D1", AsOf(at=START - timedelta(seconds=1))) is None
    # position and time together: the earlier wins
    both = reads.models.scorecard(
        C2023,
        "D1",
        AsOf(position=walk.receipts["revised_11"].position, at=walk.times["self_11"]),
    )
    assert without_as_of(both) == walk.views["self_11"]
    both = reads.models.scorecard(
        C2023,
        "D1",
        AsOf(position=walk.receipts["self_11"].position, at=walk.times["revised_11"]),
    )
    assert without_as_of(both) == walk.views["self_11"]


def test_the_dossier_as_it_stood_at_the_deadline_of_a_unit_that_never_submitted(
    world: World, reads: Reads
) -> None:
    staff2, appraiser = world.keys["staff2"], world.keys["appraiser"]
    at(world, START + timedelta(days=1))
    first = world.send(staff2, "record_self_score", score(D2, "1.1", "0.5", explanation="x"))
    at(world, START + timedelta(days=29))
    world.send(staff2, "record_self_score", score(D2, "1.2", "1", explanation="y"))
    at(world, SELF_CLOSES - timedelta(minutes=5))
    at_deadline = copy.deepcopy(card_view(reads, C2023, "D2"))

    # the deadline passes; the scorecard is locked as it stood, then appraised
    at(world, SELF_CLOSES + timedelta(hours=3))
    locks = world.ledger.tick()
    lock = next(r for r in locks if r.aggregate_id == str(world.ledger.scorecard("C2023", "D2").id))
    at(world, SELF_CLOSES + timedelta(days=1))
    world.send(appraiser, "record_appraisal", score(D2, "1.1", "0.25", reason="Thiếu minh chứng"))
    now = card_view(reads, C2023, "D2")
    assert now["locked_at"] == format_time(SELF_CLOSES)
    assert dec(leaf(now, "1.1")["preliminary_appraisal"]["points"]) == Decimal("0.25")

    then = reads.models.scorecard(C2023, "D2", AsOf(at=SELF_CLOSES))
    assert then is not None
    assert then["locked_at"] == format_time(SELF_CLOSES)
    assert then["submitted_at"] is None
    assert then["as_of"] == {
        "position": None,
        "at": format_time(SELF_CLOSES),
        "last_position": lock.position,
    }
    assert dec(leaf(then, "1.1")["self_score"]["points"]) == Decimal("0.5")
    assert dec(leaf(then, "1.2")["self_score"]["points"]) == Decimal(1)
    assert all(e["preliminary_appraisal"] is None for e in then["leaves"])
    assert Decimal(stage(then, "final")["total"]) == Decimal("1.5")
    # just before the deadline: the same dossier, not yet locked
    before = reads.models.scorecard(C2023, "D2", AsOf(at=SELF_CLOSES - timedelta(microseconds=1)))
    assert without_as_of(before) == at_deadline
    assert before["locked_at"] is None
    assert {k: v for k, v in without_as_of(then).items() if k != "locked_at"} == {
        k: v for k, v in at_deadline.items() if k != "locked_at"
    }
    # and before the second self-score, only the first
    early = reads.models.scorecard(C2023, "D2", AsOf(position=first.position))
    assert leaf(early, "1.2")["self_score"] is None


# -- 5. progress ----------------------------------------------------------------------------


def unit_progress(report: dict[str, Any] | None, unit: str) -> dict[str, Any]:
    assert report is not None
    return next(u for u in report["units"] if u["unit"] == unit)


def appraiser_progress(report: dict[str, Any] | None, world: World) -> dict[str, Any]:
    assert report is not None
    key_id = world.keys["appraiser"].key_id
    return next(a for a in report["appraisers"] if a["key_id"] == key_id)


def test_progress_through_the_cycle(world: World, reads: Reads) -> None:
    staff, head, appraiser = world.keys["staff"], world.keys["head"], world.keys["appraiser"]
    progress = reads.models.progress
    now = START + timedelta(days=1)
    at(world, now)

    report = progress(C2023, now)
    assert report is not None
    assert report["campaign"] == C2023
    assert report["phase"] == "self_assessment"
    assert report["now"] == format_time(now)
    assert [u["unit"] for u in report["units"]] == ["D1", "D2", "S1"]
    d1 = unit_progress(report, "D1")
    assert {k: d1[k] for k in ("state", "leaves", "scored", "external_missing")} == {
        "state": "open",
        "leaves": 2,
        "scored": 0,
        "external_missing": 1,
    }
    assert unit_progress(report, "S1")["leaves"] == 1
    assert progress("NO-SUCH", now) is None

    # deadlines, in the campaign's time zone, with the time left
    deadlines = {d["milestone"]: d for d in report["deadlines"]}
    assert list(deadlines) == [
        "self_assessment_opens",
        "self_assessment_closes",
        "preliminary_appraisal_closes",
        "explanation_closes",
        "final_appraisal_closes",
    ]
    assert deadlines["self_assessment_opens"]["passed"] is True
    assert deadlines["self_assessment_opens"]["seconds_left"] == -86400
    assert deadlines["self_assessment_opens"]["at"] == "2023-01-10T09:00:00+07:00"
    assert deadlines["self_assessment_closes"]["passed"] is False
    assert deadlines["self_assessment_closes"]["seconds_left"] == 29 * 86400
    assert deadlines["final_appraisal_closes"]["seconds_left"] == 59 * 86400
    exactly = {d["milestone"]: d for d in progress(C2023, SELF_CLOSES)["deadlines"]}
    assert exactly["self_assessment_closes"]["passed"] is True
    assert exactly["self_assessment_closes"]["seconds_left"] == 0
    assert exactly["preliminary_appraisal_closes"]["passed"] is False

    # self-assessment: 1.1 with a file, 1.2 explained without one
    world.send(staff, "record_self_score", score(D1, "1.1", "1"))
    attach_file(world, staff, D1, "1.1", b"%PDF-1.4 KH", "kh.pdf")
    world.send(staff, "record_self_score", score(D1, "1.2", "2", explanation="x"))
    d1 = unit_progress(progress(C2023, now), "D1")
    assert (d1["scored"], d1["without_evidence"], d1["unsupported"]) == (2, 1, 0)
    assert appraiser_progress(progress(C2023, now), world)["remaining_preliminary"] == 0

    world.send(head, "submit_self_assessment", D1)
    report = progress(C2023, now)
    d1 = unit_progress(report, "D1")
    assert d1["state"] == "submitted"
    assert d1["submitted_at"] == format_time(now)
    mine = appraiser_progress(report, world)
    assert mine["scope"] == ["1"]
    assert mine["name"] == "appraiser"
    assert (mine["remaining_preliminary"], mine["units_waiting"]) == (2, {"D1": 2})

    world.send(appraiser, "record_appraisal", score(D1, "1.1", "0.5", reason="Muộn"))
    report = progress(C2023, now)
    assert (
        appraiser_progress(report, world)["remaining_preliminary"],
        appraiser_progress(report, world)["units_waiting"],
    ) == (1, {"D1": 1})
    d1 = unit_progress(report, "D1")
    assert (d1["preliminary_appraised"], d1["contested"]) == (1, 1)
    assert appraiser_progress(report, world)["done_preliminary"] == 1

    # the deadline locks D2 and S1, which join the appraiser's queue
    now = SELF_CLOSES + timedelta(hours=1)
    at(world, now)
    world.ledger.tick()
    report = progress(C2023, now)
    assert report["phase"] == "preliminary_appraisal"
    states = {u["unit"]: u["state"] for u in report["units"]}
    assert states == {"D1": "submitted", "D2": "locked", "S1": "locked"}
    assert unit_progress(report, "D2")["locked_at"] == format_time(SELF_CLOSES)
    mine = appraiser_progress(report, world)
    assert (mine["remaining_preliminary"], mine["units_waiting"]) == (
        4,
        {"D1": 1, "D2": 2, "S1": 1},
    )
    assert mine["remaining_final"] == 1

    world.send(appraiser, "record_appraisal", score(D1, "1.2", "2"))
    world.send(appraiser, "request_explanation", {**D1, "criterion": "1.2", "note": "?"})
    world.send(appraiser, "record_appraisal", score(S1, "1.1", "0"))
    report = progress(C2023, now)
    d1 = unit_progress(report, "D1")
    assert (d1["preliminary_appraised"], d1["contested"], d1["explanations_pending"]) == (2, 2, 2)
    assert appraiser_progress(report, world)["remaining_preliminary"] == 2
    assert appraiser_progress(report, world)["units_waiting"] == {"D2": 2}
    # done per round: each leaf once, whoever else appraises; the explanation asked is not one
    mine = appraiser_progress(report, world)
    assert (mine["done_preliminary"], mine["done_final"]) == (3, 0)
    # S1 had no self-score, an appraisal of 0 changes nothing: not contested
    assert unit_progress(report, "S1")["contested"] == 0

    # the explanation window
    now = PRELIMINARY_CLOSES + timedelta(hours=1)
    at(world, now)
    world.send(staff, "submit_explanation", {**D1, "criterion": "1.1", "explanation": "QĐ 12"})
    report = progress(C2023, now)
    assert report["phase"] == "explanation"
    assert unit_progress(report, "D1")["explanations_pending"] == 1
    assert appraiser_progress(report, world)["remaining_final"] == 2

    # final appraisal: nothing is pending in the unit's hands any more
    now = EXPLANATION_CLOSES + timedelta(hours=1)
    at(world, now)
    world.send(
        appraiser,
        "record_final_appraisal",
        {
            **D1,
            "criterion": "1.1",
            "decision": "revise",
            "inputs": {"points": "1"},
            "reason": "Giải trình hợp lý",
        },
    )
    report = progress(C2023, now)
    assert report["phase"] == "final_appraisal"
    d1 = unit_progress(report, "D1")
    assert (d1["final_appraised"], d1["explanations_pending"]) == (1, 0)
    assert appraiser_progress(report, world)["remaining_final"] == 1
    assert appraiser_progress(report, world)["done_final"] == 1
    assert appraiser_progress(report, world)["done_preliminary"] == 3
    later = progress(C2023, FINAL_CLOSES + timedelta(days=1))
    assert later["phase"] == "closing"
    assert all(d["passed"] for d in later["deadlines"])


# -- 6. gaps and targets --------------------------------------------------------------------

AGENCY_SET: dict[str, Any] = {
    **SMALL_SET,
    "version": 2,
    "nodes": [
        {**node, "lead_agency": agency} if node["level"] == "criterion" else node
        for node, agency in zip(
            SMALL_SET["nodes"],
            [None, "Văn phòng UBND tỉnh", "Sở Nội vụ", None, ""],
            strict=True,
        )
    ],
}
NO_AGENCY = "(chưa giao cơ quan chủ trì)"


def test_gaps_of_one_agency(world: World, reads: Reads) -> None:
    staff = world.keys["staff"]
    world.send(staff, "record_self_score", score(D1, "1.1", "0.75", explanation="x"))
    world.send(staff, "record_self_score", score(D1, "1.2", "2", explanation="x"))
    survey(world, D1, "1.6")

    report = reads.models.gaps(C2023, "D1")
    assert report is not None
    assert (report["campaign"], report["unit"]) == (C2023, "D1")
    assert (Decimal(report["total"]), Decimal(report["max_total"])) == (Decimal("4.35"), 5)
    assert Decimal(report["index"]) == Decimal(87)
    assert Decimal(report["lost"]) == Decimal("0.65")
    assert report["targets_year"] is None
    assert len(report["agencies"]) == 1
    agency = report["agencies"][0]
    assert agency["agency"] == "Sở Nội vụ"
    assert Decimal(agency["lost"]) == Decimal("0.65")
    # the criterion at its maximum (1.2) is no gap; the biggest loss comes first
    assert [(c["code"], Decimal(c["points"]), Decimal(c["lost"])) for c in agency["criteria"]] == [
        ("2.1", Decimal("1.6"), Decimal("0.4")),
        ("1.1", Decimal("0.75"), Decimal("0.25")),
    ]
    assert agency["criteria"][0]["score_source"] == "survey"
    assert {c["target"] for c in agency["criteria"]} == {None}
    assert {c["to_gain"] for c in agency["criteria"]} == {None}

    # a unit with nothing scored loses everything that applies to it
    empty = reads.models.gaps(C2023, "S1")
    assert empty is not None
    assert Decimal(empty["lost"]) == Decimal(3)
    assert [c["code"] for c in empty["agencies"][0]["criteria"]] == ["2.1", "1.1"]
    assert reads.models.gaps(C2023, "NOPE") is None
    assert reads.models.gaps("NO-SUCH", "D1") is None


def test_gaps_by_agency_beside_the_targets(world: World, reads: Reads) -> None:
    world.send(world.admin, "define_indicator_set", AGENCY_SET)
    world.send(
        world.admin,
        "create_campaign",
        {
            "code": "C-GAP",
            "year": 2023,
            "title": "Kỳ đánh giá có chỉ tiêu",
            "indicator_set": "T-SET",
            "indicator_set_version": 2,
            "units": ["D1"],
            "schedule": schedule(),
        },
    )
    card = {"campaign": "C-GAP", "unit": "D1"}
    staff, head = world.keys["staff"], world.keys["head"]
    world.send(staff, "record_self_score", score(card, "1.1", "0.75", explanation="x"))
    world.send(staff, "record_self_score", score(card, "1.2", "1.5", explanation="x"))
    survey(world, card, "1.6")

    report = reads.models.gaps("C-GAP", "D1")
    assert report is not None
    assert Decimal(report["lost"]) == Decimal("1.15")
    assert [(a["agency"], Decimal(a["lost"])) for a in report["agencies"]] == [
        ("Sở Nội vụ", Decimal("0.5")),
        (NO_AGENCY, Decimal("0.4")),
        ("Văn phòng UBND tỉnh", Decimal("0.25")),
    ]
    assert [[c["code"] for c in a["criteria"]] for a in report["agencies"]] == [
        ["1.2"],
        ["2.1"],
        ["1.1"],
    ]

    # next year's targets, by the unit head; one is below this year's points
    world.send(
        head,
        "record_targets",
        {
            **card,
            "year": 2024,
            "targets": {"1.1": "1", "1.2": "2", "2.1": "1.5"},
            "note": "Kế hoạch cải thiện 2024",
        },
    )
    report = reads.models.gaps("C-GAP", "D1")
    assert report is not None
    assert report["targets_year"] == 2024
    rows = {c["code"]: c for a in report["agencies"] for c in a["criteria"]}
    assert {code: (dec(r["target"]), dec(r["to_gain"])) for code, r in rows.items()} == {
        "1.1": (Decimal(1), Decimal("0.25")),
        "1.2": (Decimal(2), Decimal("0.5")),
        "2.1": (Decimal("1.5"), Decimal(0)),
    }
    # the lost points do not change with the targets
    assert Decimal(report["lost"]) == Decimal("1.15")
    view = card_view(reads, "C-GAP", "D1")
    assert view["targets_year"] == 2024
    assert {e["code"]: dec(e["target"]) for e in view["leaves"]} == {
        "1.1": Decimal(1),
        "1.2": Decimal(2),
        "2.1": Decimal("1.5"),
    }
    targets = [r for r in reads.models.trace("C-GAP", "D1") if r["event_type"] == "TargetsRecorded"]
    assert len(targets) == 1
    assert targets[0]["role"] == "unit_head"
    assert "2024" in targets[0]["why"]
    assert "Kế hoạch cải thiện 2024" in targets[0]["why"]

    # new targets replace the old ones; a target at the leaf's maximum already reached
    # makes no gap
    world.send(staff, "record_self_score", score(card, "1.2", "2", explanation="x"))
    world.send(head, "record_targets", {**card, "year": 2024, "targets": {"1.2": "2"}})
    report = reads.models.gaps("C-GAP", "D1")
    assert report is not None
    rows = {c["code"]: c for a in report["agencies"] for c in a["criteria"]}
    assert sorted(rows) == ["1.1", "2.1"]
    assert {r["target"] for r in rows.values()} == {None}
    assert [a["agency"] for a in report["agencies"]] == [NO_AGENCY, "Văn phòng UBND tỉnh"]
    assert dec(leaf(card_view(reads, "C-GAP", "D1"), "1.2")["target"]) == Decimal(2)


def test_targets_above_the_maximum_are_refused(world: World, reads: Reads) -> None:
    before = reads.projector.views.position()
    with pytest.raises(LedgerError) as caught:
        world.send(
            world.keys["head"],
            "record_targets",
            {**D1, "year": 2024, "targets": {"1.1": "1.5"}},
        )
    assert caught.value.code == "above_maximum"
    assert reads.projector.views.position() == before
    assert card_view(reads, C2023, "D1")["targets_year"] is None


# -- closing, corrections, rebuilds -----------------------------------------------------------


def close_campaign(world: World) -> SigningKey:
    """After walk_d1: the survey scores for D2 and S1, the remaining self-scores accepted,
    the campaign finalised."""
    secretariat = world.enrol("secretariat", [{"role": "secretariat", "scope": []}])
    at(world, FINAL_CLOSES + timedelta(days=1))
    survey(world, D2, "1.2")
    survey(world, S1, "1.8")
    for card in (D1, D2, S1):
        world.send(secretariat, "accept_self_scores", card)
    world.send(secretariat, "finalise_campaign", {"campaign": C2023})
    return secretariat


def test_acceptance_and_corrections_in_the_views(world: World, reads: Reads) -> None:
    walk_d1(world, reads)
    secretariat = close_campaign(world)

    d2 = card_view(reads, C2023, "D2")
    assert d2["locked_at"] == format_time(SELF_CLOSES)
    assert d2["accepted_at"] == format_time(FINAL_CLOSES + timedelta(days=1))
    assert [dec(e["accepted_points"]) for e in d2["leaves"]] == [Decimal(0), Decimal(0), None]
    accepted = [
        r for r in reads.models.trace(C2023, "D2") if r["event_type"] == "SelfScoresAccepted"
    ]
    assert [(r["criterion"], r["from_points"], r["to_points"]) for r in accepted] == [
        ("1.1", None, "0"),
        ("1.2", None, "0"),
    ]
    assert {r["role"] for r in accepted} == {"secretariat"}
    assert reads.models.progress(C2023, FINAL_CLOSES + timedelta(days=2))["phase"] == "finalised"

    receipt = world.send(
        secretariat,
        "correct_score",
        {**D1, "criterion": "2.1", "points": "1.8", "reason": "Sai sót khi nhập kết quả"},
    )
    view = card_view(reads, C2023, "D1")
    l21 = leaf(view, "2.1")
    assert l21["flags"]["corrected"] is True
    assert (dec(l21["corrected_points"]), dec(l21["points"])) == (Decimal("1.8"), Decimal("1.8"))
    # 1 + 2 + 1.8 = 4.8: index 96; the self-assessment stage keeps what was recorded then
    assert (
        Decimal(view["totals"]["final"]["total"]),
        Decimal(view["totals"]["final"]["index"]),
    ) == (
        Decimal("4.8"),
        Decimal(96),
    )
    assert Decimal(view["totals"]["self_assessment"]["total"]) == Decimal("4.35")
    corrected = reads.models.trace(C2023, "D1", "2.1")[-1]
    assert corrected["event_type"] == "ScoreCorrected"
    assert corrected["position"] == receipt.position
    assert (corrected["from_points"], corrected["to_points"]) == ("1.6", "1.8")
    assert corrected["why"] == "Sai sót khi nhập kết quả"
    assert (corrected["role"], corrected["name"]) == ("secretariat", "secretariat")
    ranked = {r["unit"]: r for r in reads.models.ranking(C2023)}
    assert Decimal(ranked["D1"]["index"]) == Decimal(96)
    before = reads.models.ranking(C2023, as_of=AsOf(position=receipt.position - 1))
    assert Decimal({r["unit"]: r for r in before}["D1"]["index"]) == Decimal(92)


def snapshot(reads: Reads, now: datetime) -> dict[str, Any]:
    models = reads.models
    return {
        "cards": {c["code"]: models.scorecards(c["code"]) for c in models.campaigns()},
        "trace": {c["code"]: models.trace(c["code"]) for c in models.campaigns()},
        "ranking": {c["code"]: models.ranking(c["code"]) for c in models.campaigns()},
        "progress": {c["code"]: models.progress(c["code"], now) for c in models.campaigns()},
        "units": models.units(),
        "keys": models.keys(),
        "sets": models.indicator_sets(),
        "campaigns": models.campaigns(),
    }


@pytest.mark.parametrize("batch_size", [1, 2000])
def test_a_rebuild_gives_the_same_read_models(world: World, reads: Reads, batch_size: int) -> None:
    staff = ranking_world(world)
    set_scores(world, staff, "C-RANK", "D3", "0.5", "2", "1.5")
    world.send(world.keys["head"], "record_targets", {**D1, "year": 2024, "targets": {"1.1": "1"}})
    walk_d1(world, reads)
    close_campaign(world)
    now = FINAL_CLOSES + timedelta(days=2)
    followed = copy.deepcopy(snapshot(reads, now))
    position = reads.projector.views.position()
    assert position == world.ledger.recorder.max_notification_id()

    applied = reads.projector.rebuild(batch_size=batch_size)

    assert applied == position
    assert reads.projector.views.position() == position
    assert snapshot(reads, now) == followed
    # a second projector over the same tables has nothing left to do
    assert Projector(world.runtime.storage).catch_up() == 0


def test_a_unit_moved_to_another_ranking_group(world: World, reads: Reads) -> None:
    world.send(world.keys["staff"], "record_self_score", score(D1, "1.1", "1", explanation="x"))
    assert {r["unit"]: r["ranking_group"] for r in reads.models.ranking(C2023)} == {
        "D1": "district",
        "D2": "district",
        "S1": "department",
    }
    world.send(
        world.admin,
        "update_unit",
        {"code": "D2", "name": "Đơn vị D2", "kind": "district", "ranking_group": "urban"},
    )
    rows = reads.models.ranking(C2023)
    assert [(r["ranking_group"], r["unit"], r["rank"], r["of"]) for r in rows] == [
        ("department", "S1", 1, 1),
        ("district", "D1", 1, 1),
        ("urban", "D2", 1, 1),
    ]
    assert reads.models.ranking(C2023, as_of=AsOf(position=10**9)) == rows
    assert [r["unit"] for r in reads.models.ranking(C2023, group="urban")] == ["D2"]


def test_a_revoked_appraiser_is_not_in_the_progress_report(world: World, reads: Reads) -> None:
    other = world.enrol("appraiser-2", [{"role": "appraiser", "scope": ["2"]}])
    names = [a["name"] for a in reads.models.progress(C2023, START)["appraisers"]]
    assert sorted(names) == ["appraiser", "appraiser-2"]
    world.send(world.admin, "revoke_key", {"key_id": other.key_id, "reason": "Nghỉ hưu"})
    names = [a["name"] for a in reads.models.progress(C2023, START)["appraisers"]]
    assert names == ["appraiser"]


def test_a_member_who_appraised_and_left_stays_in_the_progress_report(
    world: World, reads: Reads
) -> None:
    other = world.enrol("appraiser-2", [{"role": "appraiser", "scope": ["1"]}])
    now = START + timedelta(days=1)
    at(world, now)
    world.send(world.keys["staff"], "record_self_score", score(D1, "1.1", "1", explanation="x"))
    world.send(world.keys["head"], "submit_self_assessment", D1)
    world.send(other, "record_appraisal", score(D1, "1.1", "0.5", reason="Muộn"))
    world.send(world.admin, "revoke_key", {"key_id": other.key_id, "reason": "Chuyển công tác"})
    report = reads.models.progress(C2023, now)
    left = next(a for a in report["appraisers"] if a["key_id"] == other.key_id)
    assert (left["done_preliminary"], left["remaining_preliminary"], left["scope"]) == (1, 0, [])
    assert appraiser_progress(report, world)["done_preliminary"] == 0


def test_removed_evidence_and_adjustments(world: World, reads: Reads) -> None:
    secretariat = world.enrol("secretariat", [{"role": "secretariat", "scope": []}])
    world.send(
        world.admin,
        "create_campaign",
        {
            "code": "C-ADJ",
            "year": 2023,
            "title": "Có điểm thưởng",
            "indicator_set": "T-SET",
            "indicator_set_version": 1,
            "units": ["D1"],
            "schedule": schedule(),
            "adjustments": [
                {"code": "T1", "title": "Sáng kiến được công nhận", "kind": "bonus", "cap": "1"},
                {"code": "P1", "title": "Chậm báo cáo", "kind": "penalty", "cap": "2"},
            ],
        },
    )
    card = {"campaign": "C-ADJ", "unit": "D1"}
    staff = world.keys["staff"]
    world.send(staff, "record_self_score", score(card, "1.1", "1", note="KH 5"))
    attached, sha, _ = attach_file(world, staff, card, "1.1", b"%PDF-1.4 wrong", "nham.pdf")
    world.send(
        staff,
        "remove_evidence",
        {**card, "criterion": "1.1", "sha256": sha, "reason": "Nhầm tệp"},
    )
    view = card_view(reads, "C-ADJ", "D1")
    l11 = leaf(view, "1.1")
    assert l11["evidence"] == {"count": 0, "files": []}
    assert (l11["flags"]["no_evidence"], l11["flags"]["unsupported"]) == (True, True)
    removed = reads.models.trace("C-ADJ", "D1", "1.1")[-1]
    assert removed["event_type"] == "EvidenceRemoved"
    assert (removed["why"], removed["evidence"]) == ("Nhầm tệp", [sha])
    then = card_view(reads, "C-ADJ", "D1", AsOf(position=attached.position))
    assert leaf(then, "1.1")["evidence"]["count"] == 1
    assert leaf(then, "1.1")["flags"]["no_evidence"] is False

    world.send(
        secretariat, "record_adjustment", {**card, "code": "T1", "points": "1", "reason": "QĐ khen"}
    )
    world.send(
        secretariat, "record_adjustment", {**card, "code": "P1", "points": "0.5", "reason": "Trễ"}
    )
    view = card_view(reads, "C-ADJ", "D1")
    assert decimals(view["adjustments"]) == {"T1": Decimal(1), "P1": Decimal("0.5")}
    final = stage(view, "final")
    assert decimals({k: final[k] for k in ("leaves_total", "adjustment", "total", "index")}) == {
        "leaves_total": Decimal(1),
        "adjustment": Decimal("0.5"),
        "total": Decimal("1.5"),
        "index": Decimal(30),
    }
    own = stage(view, "self_assessment")
    assert (Decimal(own["adjustment"]), Decimal(own["total"])) == (0, 1)
    rows = reads.models.trace("C-ADJ", "D1")
    adjustments = [r for r in rows if r["event_type"] == "AdjustmentRecorded"]
    assert [(r["criterion"], r["from_points"], r["to_points"], r["why"]) for r in adjustments] == [
        ("bonus:T1", None, "1", "QĐ khen"),
        ("penalty:P1", None, "0.5", "Trễ"),
    ]
    assert {r["role"] for r in adjustments} == {"secretariat"}
    (ranked,) = reads.models.ranking("C-ADJ")
    assert (Decimal(ranked["total"]), Decimal(ranked["index"])) == (Decimal("1.5"), Decimal(30))


def test_a_lock_noticed_by_a_tick_shows_in_the_views(world: World, reads: Reads) -> None:
    at(world, SELF_CLOSES + timedelta(hours=1))
    with pytest.raises(LedgerError) as caught:
        world.send(world.keys["staff2"], "record_self_score", score(D2, "1.1", "1"))
    assert caught.value.code == "deadline_passed"
    assert card_view(reads, C2023, "D2")["locked_at"] is None
    world.ledger.tick()
    assert reads.projector.views.position() == world.ledger.recorder.max_notification_id()
    view = card_view(reads, C2023, "D2")
    assert view["locked_at"] == format_time(SELF_CLOSES)
    assert unit_progress(reads.models.progress(C2023, world.clock.now()), "D2")["state"] == (
        "locked"
    )
    (lock,) = [
        r for r in reads.models.trace(C2023, "D2") if r["event_type"] == "ScorecardLockedAtDeadline"
    ]
    assert lock["recorded_at"] == format_time(SELF_CLOSES)
    assert (lock["criterion"], lock["role"], lock["key_id"]) == ("", "system", world.server.key_id)
    assert "khoá phiếu" in lock["why"]
    # the tick locks every card not submitted in time, each at the deadline
    assert card_view(reads, C2023, "D1")["locked_at"] == format_time(SELF_CLOSES)
