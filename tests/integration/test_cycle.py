"""The assessment cycle walked with a moved clock, on SQLite and on PostgreSQL: what a
unit, an appraiser and the secretariat may do is decided by the recorded schedule and
the recorded time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledger.application.service import stored_events
from ledger.audit.event_checks import verify_events
from ledger.core.crypto import SigningKey
from ledger.core.errors import LedgerError
from ledger.domain.scorecard import current_points
from ledger.domain.scoring import totals
from tests.world import START, World

D1 = {"campaign": "C2023", "unit": "D1"}
D2 = {"campaign": "C2023", "unit": "D2"}
S1 = {"campaign": "C2023", "unit": "S1"}
SELF_CLOSES = START + timedelta(days=30)
PRELIMINARY_CLOSES = START + timedelta(days=45)
EXPLANATION_CLOSES = START + timedelta(days=52)
FINAL_CLOSES = START + timedelta(days=60)


def refused(world: World, key: SigningKey, command_type: str, args: dict[str, Any]) -> str:
    """The refusal's code; a refusal records nothing, not even a lock it noticed (ADR 10)."""
    before = world.ledger.recorder.max_notification_id()
    with pytest.raises(LedgerError) as caught:
        world.send(key, command_type, args)
    assert world.ledger.recorder.max_notification_id() == before
    return caught.value.code


def at(world: World, moment: Any) -> None:
    world.clock.set(moment)


def score(card: dict[str, str], criterion: str, points: str, **extra: str) -> dict[str, Any]:
    return {**card, "criterion": criterion, "inputs": {"points": points}, **extra}


def final_total(world: World, unit: str) -> Decimal:
    card = world.ledger.scorecard("C2023", unit)
    assert card is not None
    tree = world.ledger.tree("T-SET", 1)
    return totals(tree, card.unit_kind, current_points(card, tree)).total


def test_a_whole_cycle(world: World) -> None:
    staff, staff2, head = world.keys["staff"], world.keys["staff2"], world.keys["head"]
    appraiser, survey = world.keys["appraiser"], world.keys["survey"]
    secretariat = world.enrol("secretariat", [{"role": "secretariat", "scope": []}])
    field2 = world.enrol("appraiser-2", [{"role": "appraiser", "scope": ["2"]}])

    # self-assessment: D1 scores and submits early, D2 scores but never submits
    world.send(staff, "record_self_score", score(D1, "1.1", "1", explanation="Kế hoạch số 5"))
    world.send(staff, "record_self_score", score(D1, "1.2", "2", explanation="Báo cáo quý"))
    assert refused(world, appraiser, "record_appraisal", score(D2, "1.1", "1")) == "not_submitted"
    world.send(head, "submit_self_assessment", D1)
    world.send(staff2, "record_self_score", score(D2, "1.1", "0.5", explanation="x"))

    # an early submission can be appraised before the deadline
    world.send(
        appraiser, "record_appraisal", score(D1, "1.1", "0.5", reason="Kế hoạch ban hành muộn")
    )

    # the deadline passes: a late self-score is refused; the tick locks D2 at the deadline
    at(world, SELF_CLOSES + timedelta(hours=3))
    assert refused(world, staff2, "record_self_score", score(D2, "1.1", "1")) == "deadline_passed"
    locked = world.ledger.tick()
    assert sorted(r.event_type for r in locked) == ["ScorecardLockedAtDeadline"] * 2  # D2, S1
    d2 = world.ledger.scorecard("C2023", "D2")
    assert d2 is not None
    assert d2.locked_at == SELF_CLOSES
    assert d2.entries["1.1"].self_points == Decimal("0.5")
    assert world.ledger.tick() == []  # recorded once, however often noticed
    assert refused(world, head, "submit_self_assessment", D1) == "already_submitted"

    # preliminary appraisal, by field, once per criterion, with reasons for changes
    world.send(appraiser, "record_appraisal", score(D1, "1.2", "2"))
    assert (
        refused(world, appraiser, "record_appraisal", score(D2, "1.1", "0.25")) == "reason_required"
    )
    world.send(appraiser, "record_appraisal", score(D2, "1.1", "0.25", reason="Thiếu minh chứng"))
    assert refused(world, appraiser, "record_appraisal", score(D1, "1.1", "1", reason="x")) == (
        "already_appraised"
    )
    assert refused(world, field2, "record_appraisal", score(D1, "1.1", "1")) == "out_of_scope"
    assert refused(world, field2, "record_appraisal", score(D1, "2.1", "1")) == "not_self_assessed"
    world.send(
        appraiser, "request_explanation", {**D1, "criterion": "1.2", "note": "Làm rõ số liệu"}
    )
    assert (
        refused(
            world,
            staff,
            "submit_explanation",
            {**D1, "criterion": "1.1", "explanation": "too early"},
        )
        == "wrong_phase"
    )

    # the explanation round
    at(world, PRELIMINARY_CLOSES + timedelta(days=1))
    assert refused(world, appraiser, "record_appraisal", score(S1, "1.1", "0")) == "deadline_passed"
    world.send(
        staff,
        "submit_explanation",
        {**D1, "criterion": "1.1", "explanation": "Kế hoạch ban hành đúng hạn, xem QĐ 12"},
    )
    proof = world.ledger.evidence.put_bytes(b"%PDF-1.4 QD 12")
    receipt = world.send(
        staff,
        "attach_evidence",
        {
            **D1,
            "criterion": "1.1",
            "sha256": proof.sha256,
            "size": proof.size,
            "file_name": "qd12.pdf",
            "media_type": "application/pdf",
        },
    )
    assert receipt.event_type == "EvidenceAttached"
    d1 = world.ledger.scorecard("C2023", "D1")
    assert d1 is not None
    assert d1.entries["1.1"].evidence[proof.sha256]["supplementary"] is True
    world.send(
        staff,
        "submit_explanation",
        {**D1, "criterion": "1.2", "explanation": "Số liệu từ hệ thống một cửa"},
    )
    assert (
        refused(world, staff2, "submit_explanation", {**D2, "criterion": "1.2", "explanation": "x"})
        == "not_contested"
    )

    # final appraisal: the explanation wins back the point of 1.1
    at(world, EXPLANATION_CLOSES + timedelta(days=1))
    assert (
        refused(
            world, staff, "submit_explanation", {**D1, "criterion": "1.1", "explanation": "late"}
        )
        == "wrong_phase"
    )
    assert refused(
        world,
        appraiser,
        "record_final_appraisal",
        {**D1, "criterion": "1.1", "decision": "revise", "inputs": {"points": "1"}},
    ) == ("reason_required")
    world.send(
        appraiser,
        "record_final_appraisal",
        {
            **D1,
            "criterion": "1.1",
            "decision": "revise",
            "inputs": {"points": "1"},
            "reason": "Giải trình hợp lý, có QĐ 12",
        },
    )
    world.send(
        appraiser, "record_final_appraisal", {**D1, "criterion": "1.2", "decision": "confirm"}
    )
    world.send(
        appraiser, "record_final_appraisal", {**D2, "criterion": "1.1", "decision": "confirm"}
    )
    assert (
        refused(
            world,
            appraiser,
            "record_final_appraisal",
            {**D2, "criterion": "1.1", "decision": "confirm"},
        )
        == "already_appraised"
    )
    assert (
        refused(
            world,
            appraiser,
            "record_final_appraisal",
            {**S1, "criterion": "1.1", "decision": "confirm"},
        )
        == "not_contested"
    )

    # closing: nothing is settled silently
    assert refused(world, secretariat, "finalise_campaign", {"campaign": "C2023"}) == "wrong_phase"
    at(world, FINAL_CLOSES + timedelta(days=1))
    assert refused(world, secretariat, "finalise_campaign", {"campaign": "C2023"}) == (
        "unsettled_scores"
    )
    for card, value in ((D1, "1.6"), (D2, "1.2"), (S1, "1.8")):
        world.send(
            survey,
            "record_external_score",
            {
                **card,
                "criterion": "2.1",
                "points": value,
                "source": "survey",
                "source_document": "Báo cáo điều tra XHH 2023",
            },
        )
        world.send(secretariat, "accept_self_scores", card)
    assert refused(world, secretariat, "accept_self_scores", D1) == "already_accepted"
    world.send(secretariat, "finalise_campaign", {"campaign": "C2023"})
    assert (
        refused(
            world,
            survey,
            "record_external_score",
            {**D1, "criterion": "2.1", "points": "2", "source": "survey", "source_document": "x"},
        )
        == "campaign_finalised"
    )
    assert (
        refused(
            world,
            appraiser,
            "record_final_appraisal",
            {**D2, "criterion": "1.1", "decision": "confirm"},
        )
        == "campaign_finalised"
    )

    # 1.1 revised to 1, 1.2 confirmed at 2, survey 1.6; D2: 0.25 + accepted 0 + 1.2;
    # S1, a department, has no 1.2: accepted 0 + 1.8
    assert final_total(world, "D1") == Decimal("4.6")
    assert final_total(world, "D2") == Decimal("1.45")
    assert final_total(world, "S1") == Decimal("1.8")
    d2 = world.ledger.scorecard("C2023", "D2")
    assert d2 is not None
    assert d2.entries["1.2"].accepted_points == Decimal(0)

    # after finalising, only an explicit, visible correction changes a score
    world.send(
        secretariat,
        "correct_score",
        {**D2, "criterion": "2.1", "points": "1.4", "reason": "Sai sót khi nhập kết quả điều tra"},
    )
    assert final_total(world, "D2") == Decimal("1.65")
    report = verify_events(stored_events(world.ledger))
    assert report.ok, report.problems


def test_nothing_is_self_scored_before_the_campaign_opens(world: World) -> None:
    at(world, START - timedelta(hours=1))
    assert refused(world, world.keys["staff"], "record_self_score", score(D1, "1.1", "1")) == (
        "phase_not_open"
    )


def test_a_refused_command_after_the_deadline_records_nothing_and_a_tick_locks(
    world: World,
) -> None:
    at(world, SELF_CLOSES)
    assert (
        refused(world, world.keys["staff"], "record_self_score", score(D1, "1.1", "1"))
        == "deadline_passed"
    )
    card = world.ledger.scorecard("C2023", "D1")
    assert card is not None
    assert card.locked_at is None
    at(world, SELF_CLOSES + timedelta(hours=3))
    (receipt,) = [r for r in world.ledger.tick() if r.aggregate_id == str(card.id)]
    assert receipt.event_type == "ScorecardLockedAtDeadline"
    card = world.ledger.scorecard("C2023", "D1")
    assert card is not None
    assert card.locked_at == SELF_CLOSES
    assert world.ledger.tick() == []


def test_an_accepted_act_after_the_deadline_is_recorded_with_the_lock(world: World) -> None:
    at(world, SELF_CLOSES + timedelta(days=1))
    before = world.ledger.recorder.max_notification_id()
    receipt = world.send(
        world.keys["appraiser"],
        "record_appraisal",
        {**D1, "criterion": "1.1", "inputs": {"points": "0"}, "reason": ""},
    )
    # the lock, stamped at the deadline, and the appraisal: one save, two events
    assert world.ledger.recorder.max_notification_id() == before + 2
    assert receipt.event_type == "AppraisalRecorded"
    card = world.ledger.scorecard("C2023", "D1")
    assert card is not None
    assert card.locked_at == SELF_CLOSES
    assert card.entry("1.1").preliminary is not None


def test_corrections_need_a_finalised_campaign(world: World) -> None:
    secretariat = world.enrol("secretariat", [{"role": "secretariat", "scope": []}])
    assert (
        refused(
            world,
            secretariat,
            "correct_score",
            {**D1, "criterion": "1.1", "points": "1", "reason": "x"},
        )
        == "wrong_phase"
    )


def test_bonus_and_penalty_items_have_caps(world: World) -> None:
    from tests.world import schedule

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
    assert (
        refused(
            world,
            secretariat,
            "record_adjustment",
            {**card, "code": "T1", "points": "1.5", "reason": "x"},
        )
        == "above_cap"
    )
    assert (
        refused(
            world,
            secretariat,
            "record_adjustment",
            {**card, "code": "ZZ", "points": "1", "reason": "x"},
        )
        == "unknown_adjustment"
    )
    world.send(
        secretariat, "record_adjustment", {**card, "code": "T1", "points": "1", "reason": "QĐ khen"}
    )
    world.send(
        secretariat, "record_adjustment", {**card, "code": "P1", "points": "0.5", "reason": "Trễ"}
    )
    world.send(
        world.keys["staff"],
        "record_self_score",
        {**card, "criterion": "1.1", "inputs": {"points": "1"}, "explanation": "x"},
    )
    from ledger.domain.scorecard import adjustment_total

    scorecard = world.ledger.scorecard("C-ADJ", "D1")
    campaign = world.ledger.campaign("C-ADJ")
    assert scorecard is not None
    assert campaign is not None
    tree = world.ledger.tree("T-SET", 1)
    result = totals(
        tree,
        "district",
        current_points(scorecard, tree),
        adjustment_total(scorecard.adjustments, campaign),
    )
    assert (result.leaves_total, result.adjustment, result.total) == (
        Decimal(1),
        Decimal("0.5"),
        Decimal("1.5"),
    )


def test_campaign_adjustment_items_are_validated(world: World) -> None:
    from tests.world import schedule

    code = refused(
        world,
        world.admin,
        "create_campaign",
        {
            "code": "C-BAD",
            "year": 2023,
            "title": "x",
            "indicator_set": "T-SET",
            "indicator_set_version": 1,
            "units": ["D1"],
            "schedule": schedule(),
            "adjustments": [
                {"code": "T1", "title": "a", "kind": "bonus", "cap": "1"},
                {"code": "T1", "title": "b", "kind": "bonus", "cap": "1"},
            ],
        },
    )
    assert code == "invalid_input"
