"""A scorecard's rules through the cycle (docs/FORMATS.md §5, §5.1, §8.1, §9), without a
database: what may be done in each phase, what each act refuses, and what the events derive."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.world import EvidenceFile
from tests.memory import MemoryLedger, schedule

D1 = {"campaign": "C2023", "unit": "D1"}
D2 = {"campaign": "C2023", "unit": "D2"}
PDF = EvidenceFile("a" * 64, 120, "application/pdf")
SCAN = EvidenceFile("b" * 64, 300, "image/png")
UNKNOWN = EvidenceFile("c" * 64, 10, None)


@pytest.fixture
def ledger() -> MemoryLedger:
    found = MemoryLedger().with_campaign(
        adjustments=[
            {"code": "B1", "title": "Sáng kiến", "kind": "bonus", "cap": "1"},
            {"code": "P1", "title": "Vi phạm", "kind": "penalty", "cap": "0.5"},
        ]
    )
    for file in (PDF, SCAN, UNKNOWN):
        found.files[file.sha256] = file
    return found


def self_score(criterion: str, points: str, **extra: Any) -> dict[str, Any]:
    return {**D1, "criterion": criterion, "inputs": {"points": points}, **extra}


def evidence(file: EvidenceFile, criterion: str = "1.1", **extra: Any) -> dict[str, Any]:
    return {
        **D1,
        "criterion": criterion,
        "sha256": file.sha256,
        "size": file.size,
        "file_name": "ke-hoach.pdf",
        "media_type": file.media_type or "application/pdf",
        **extra,
    }


def appraisal(
    criterion: str, points: str, card: dict[str, str] = D1, **extra: Any
) -> dict[str, Any]:
    return {**card, "criterion": criterion, "inputs": {"points": points}, **extra}


def test_self_assessment_is_open_only_in_its_phase(ledger: MemoryLedger) -> None:
    ledger.at_day(-1)
    assert (
        ledger.refused("staff", "record_self_score", self_score("1.1", "0.5")) == "phase_not_open"
    )
    ledger.at_day(1)
    [event] = ledger.send("staff", "record_self_score", self_score("1.1", "0.5", explanation="Có"))
    assert (event.body["points"], "percent" in event.body) == ("0.5", False)
    ledger.send("head", "submit_self_assessment", D1)
    assert ledger.card("D1").submitted_by == ledger.keys["head"].key_id
    assert (
        ledger.refused("staff", "record_self_score", self_score("1.1", "1")) == "already_submitted"
    )
    ledger.at_day(31)
    staff2 = {**D2, "criterion": "1.1", "inputs": {"points": "1"}}
    assert ledger.refused("staff2", "record_self_score", staff2) == "deadline_passed"


def test_a_self_score_follows_the_leafs_rule_and_maximum(ledger: MemoryLedger) -> None:
    ledger.at_day(1)
    cases = [
        (self_score("1.1", "0.6"), "off_step"),
        (self_score("1.1", "1.25"), "above_maximum"),
        ({**D1, "criterion": "1.1", "inputs": {"achieved": True}}, "rule_input_mismatch"),
        (self_score("2.1", "1"), "not_self_assessed"),
        (self_score("1", "1"), "not_a_leaf"),
        (self_score("9.9", "1"), "unknown_criterion"),
        (self_score("1.1", "0.125"), "invalid_input"),  # more places than the set's precision
    ]
    for args, code in cases:
        assert ledger.refused("staff", "record_self_score", args) == code, args
    card = {"campaign": "C2023", "unit": "S1", "criterion": "1.2", "inputs": {"points": "1"}}
    staff_s1 = ledger.enrol("staff-s1", "unit_staff", ["S1"])
    assert ledger.refused(staff_s1, "record_self_score", card) == "not_applicable"
    assert ledger.refused("staff2", "record_self_score", self_score("1.1", "0.5")) == "out_of_scope"


def test_submission_needs_evidence_or_an_explanation_for_every_self_score(
    ledger: MemoryLedger,
) -> None:
    ledger.at_day(1)
    ledger.send("staff", "record_self_score", self_score("1.1", "0.5"))
    assert ledger.refused("head", "submit_self_assessment", D1) == "unsupported_self_score"
    ledger.send("staff", "attach_evidence", evidence(PDF))
    ledger.send("head", "submit_self_assessment", D1)


def test_evidence_must_be_the_uploaded_file_attached_once(ledger: MemoryLedger) -> None:
    ledger.at_day(1)
    missing = EvidenceFile("d" * 64, 1, "application/pdf")
    assert ledger.refused("staff", "attach_evidence", evidence(missing)) == "evidence_missing"
    assert (
        ledger.refused("staff", "attach_evidence", evidence(PDF, size=7))
        == "evidence_size_mismatch"
    )
    assert ledger.refused("staff", "attach_evidence", evidence(UNKNOWN)) == "unsupported_media_type"
    assert ledger.refused(
        "staff", "attach_evidence", evidence(SCAN, media_type="application/pdf")
    ) == ("evidence_media_type_mismatch")
    [event] = ledger.send("staff", "attach_evidence", evidence(PDF))
    assert event.body["supplementary"] is False
    assert ledger.refused("staff", "attach_evidence", evidence(PDF)) == "evidence_exists"
    removal = {**D1, "criterion": "1.1", "sha256": SCAN.sha256, "reason": "Nhầm"}
    assert ledger.refused("staff", "remove_evidence", removal) == "evidence_not_attached"
    ledger.send("staff", "remove_evidence", {**removal, "sha256": PDF.sha256})
    assert ledger.card("D1").entries["1.1"].evidence == {}


def test_a_scorecard_not_submitted_is_locked_at_the_deadline_with_the_next_act(
    ledger: MemoryLedger,
) -> None:
    """ADR 10: the lock is recorded together with the act that notices it, at the deadline."""
    ledger.at_day(1)
    ledger.send(
        "staff2", "record_self_score", {**D2, "criterion": "1.1", "inputs": {"points": "1"}}
    )
    assert ledger.refused("appraiser", "record_appraisal", appraisal("1.1", "1")) == "not_submitted"
    ledger.at_day(31)
    events = ledger.send(
        "appraiser", "record_appraisal", appraisal("1.1", "0.5", D2, reason="Thiếu")
    )
    assert [e.event_type for e in events] == ["ScorecardLockedAtDeadline", "AppraisalRecorded"]
    assert events[0].timestamp == ledger.campaign().plan["self_assessment_closes"]
    assert (events[1].body["self_points"], events[1].body["unsupported"]) == ("1", True)


def test_preliminary_appraisal(ledger: MemoryLedger) -> None:
    ledger.at_day(1)
    ledger.send("staff", "record_self_score", self_score("1.1", "0.75", explanation="Có kế hoạch"))
    ledger.send("head", "submit_self_assessment", D1)
    ledger.at_day(31)
    assert (
        ledger.refused("appraiser", "record_appraisal", appraisal("1.1", "0.5"))
        == "reason_required"
    )
    [event] = ledger.send("appraiser", "record_appraisal", appraisal("1.1", "0.5", reason="Thiếu"))
    assert (event.body["self_points"], event.body["unsupported"], event.body["by"]) == (
        "0.75",
        False,
        ledger.keys["appraiser"].key_id,
    )
    assert (
        ledger.refused("appraiser", "record_appraisal", appraisal("1.1", "0.5"))
        == "already_appraised"
    )
    request = {**D1, "criterion": "1.2", "note": "Giải trình"}
    ledger.send("appraiser", "request_explanation", request)
    assert ledger.refused("appraiser", "request_explanation", request) == "already_requested"
    ledger.at_day(46)
    assert (
        ledger.refused("appraiser", "request_explanation", {**request, "criterion": "1.1"})
        == "wrong_phase"
    )
    assert (
        ledger.refused("appraiser", "record_appraisal", appraisal("1.2", "1")) == "deadline_passed"
    )


def test_the_explanation_round_and_final_appraisal(ledger: MemoryLedger) -> None:
    ledger.at_day(1)
    ledger.send("staff", "record_self_score", self_score("1.1", "0.75", explanation="Có"))
    ledger.send("staff", "record_self_score", self_score("1.2", "2", explanation="Có"))
    ledger.send("head", "submit_self_assessment", D1)
    ledger.at_day(31)
    ledger.send("appraiser", "record_appraisal", appraisal("1.1", "0.5", reason="Thiếu"))
    ledger.send("appraiser", "record_appraisal", appraisal("1.2", "2"))
    explain = {**D1, "criterion": "1.1", "explanation": "Đã bổ sung"}
    assert ledger.refused("staff", "submit_explanation", explain) == "wrong_phase"
    ledger.at_day(46)
    ledger.send("staff", "submit_explanation", explain)
    assert (
        ledger.refused("staff", "submit_explanation", {**explain, "criterion": "1.2"})
        == "not_contested"
    )
    [event] = ledger.send("staff", "attach_evidence", evidence(SCAN))
    assert event.body["supplementary"] is True
    ledger.at_day(53)
    final = {**D1, "criterion": "1.1", "decision": "revise", "inputs": {"points": "1"}}
    assert ledger.refused("appraiser", "record_final_appraisal", final) == "reason_required"
    assert ledger.refused("appraiser", "record_final_appraisal", {**final, "inputs": None}) == (
        "rule_input_mismatch"
    )
    confirm = {**D1, "criterion": "1.1", "decision": "confirm", "inputs": {"points": "1"}}
    assert ledger.refused("appraiser", "record_final_appraisal", confirm) == "rule_input_mismatch"
    uncontested = {**D1, "criterion": "1.2", "decision": "confirm"}
    assert ledger.refused("appraiser", "record_final_appraisal", uncontested) == "not_contested"
    [event] = ledger.send(
        "appraiser", "record_final_appraisal", {**final, "reason": "Đã giải trình"}
    )
    assert (event.body["points"], event.body["preliminary_points"]) == ("1", "0.5")
    assert ledger.refused("appraiser", "record_final_appraisal", {**final, "reason": "x"}) == (
        "already_appraised"
    )


def test_closing_acceptance_external_scores_adjustments_and_corrections(
    ledger: MemoryLedger,
) -> None:
    ledger.at_day(1)
    ledger.send("staff", "record_self_score", self_score("1.2", "1.5", explanation="Có"))
    ledger.send("head", "submit_self_assessment", D1)
    ledger.at_day(31)
    ledger.send("appraiser", "record_appraisal", appraisal("1.1", "0.25", reason="Chưa tự chấm"))
    ledger.at_day(59)
    assert ledger.refused("secretariat", "accept_self_scores", D1) == "wrong_phase"
    ledger.at_day(61)
    [event] = ledger.send("secretariat", "accept_self_scores", D1)
    assert event.body["accepted"] == {"1.2": "1.5"}  # 1.1 was appraised; 2.1 is a survey's
    assert ledger.refused("secretariat", "accept_self_scores", D1) == "already_accepted"

    external = {
        **D1,
        "criterion": "2.1",
        "points": "1.5",
        "source": "sipas",
        "source_document": "SIPAS",
    }
    assert ledger.refused("survey", "record_external_score", external) == "source_mismatch"
    assert ledger.refused(
        "survey", "record_external_score", {**external, "source": "survey", "points": "3"}
    ) == ("above_maximum")
    ledger.send("survey", "record_external_score", {**external, "source": "survey"})

    adjust = {**D1, "code": "B1", "points": "0.5", "reason": "Sáng kiến"}
    assert (
        ledger.refused("secretariat", "record_adjustment", {**adjust, "code": "X1"})
        == "unknown_adjustment"
    )
    assert (
        ledger.refused("secretariat", "record_adjustment", {**adjust, "points": "1.5"})
        == "above_cap"
    )
    [event] = ledger.send("secretariat", "record_adjustment", adjust)
    assert event.body["kind"] == "bonus"
    ledger.send("secretariat", "record_adjustment", {**adjust, "points": "1"})
    ledger.send("secretariat", "record_adjustment", {**adjust, "code": "P1", "points": "0.5"})
    assert ledger.card("D1").adjustments == {"B1": 1, "P1": 0.5}  # the second B1 replaced the first

    correct = {**D1, "criterion": "1.2", "points": "2", "reason": "Sai sót"}
    assert ledger.refused("secretariat", "correct_score", correct) == "wrong_phase"
    for unit in ("D2", "S1"):
        card = {"campaign": "C2023", "unit": unit}
        ledger.send("survey", "record_external_score", {**external, **card, "source": "survey"})
        ledger.send("secretariat", "accept_self_scores", card)
    ledger.send("secretariat", "finalise_campaign", {"campaign": "C2023"})
    assert ledger.refused("secretariat", "record_adjustment", adjust) == "campaign_finalised"
    assert (
        ledger.refused("secretariat", "correct_score", {**correct, "points": "1.5"}) == "no_change"
    )
    [event] = ledger.send("secretariat", "correct_score", correct)
    assert event.body["previous_points"] == "1.5"


def test_counts_rules_refuse_impossible_counts() -> None:
    ledger = MemoryLedger().initialise()
    for code, kind in (("D1", "district"),):
        ledger.send(ledger.admin, "register_unit", {"code": code, "name": code, "kind": kind})
    staff = ledger.enrol("staff", "unit_staff", ["D1"])
    counted = {
        "code": "K-SET",
        "version": 1,
        "title": "Bộ đếm",
        "precision": 2,
        "nodes": [
            {"code": "1", "level": "area", "title": "Một", "max_points": "3"},
            {
                "code": "1.1",
                "level": "criterion",
                "title": "Tỷ lệ",
                "max_points": "2",
                "score_source": "appraisal",
                "rule": {"kind": "proportional"},
            },
            {
                "code": "1.2",
                "level": "criterion",
                "title": "Vi phạm",
                "max_points": "1",
                "score_source": "appraisal",
                "rule": {"kind": "deduction", "per_occurrence": "0.25"},
            },
        ],
    }
    ledger.send(ledger.admin, "define_indicator_set", counted)
    ledger.send(
        ledger.admin,
        "create_campaign",
        {
            "code": "K",
            "year": 2023,
            "title": "K",
            "indicator_set": "K-SET",
            "indicator_set_version": 1,
            "units": ["D1"],
            "schedule": schedule(),
        },
    )
    ledger.at_day(1)
    card = {"campaign": "K", "unit": "D1"}

    def counts(criterion: str, **inputs: int) -> dict[str, Any]:
        return {**card, "criterion": criterion, "inputs": inputs}

    assert ledger.refused(
        staff, "record_self_score", counts("1.1", numerator=3, denominator=2)
    ) == ("numerator_above_denominator")
    assert ledger.refused(
        staff, "record_self_score", counts("1.1", numerator=0, denominator=0)
    ) == ("zero_denominator")
    assert (
        ledger.refused(staff, "record_self_score", counts("1.2", occurrences=-1))
        == "negative_count"
    )
    [event] = ledger.send(staff, "record_self_score", counts("1.1", numerator=2, denominator=3))
    assert (event.body["percent"], event.body["points"]) == ("66.67", "1.33")
    [event] = ledger.send(staff, "record_self_score", counts("1.2", occurrences=5))
    assert (event.body["points"], "percent" in event.body) == ("0", False)
