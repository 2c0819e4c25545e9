"""A whole assessment cycle driven only through the HTTP API, against PostgreSQL: the
ledger is initialised, keys enrolled, units registered, an indicator set with tier rules
defined and a campaign created; units assess themselves with uploaded evidence, one
submits and one never does, appraisers of two fields appraise, the unit explains, the
final appraisal, survey scores, acceptance and finalisation follow with the clock moved
past each deadline; then every read is checked through bearer tokens."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import open_runtime
from ledger.application.service import stored_events
from ledger.audit.event_checks import verify_events
from ledger.core.canonical import format_time
from ledger.core.clock import ManualClock
from tests.e2e.http_support import (
    CAMPAIGN,
    EXPLANATION_CLOSES,
    FINAL_CLOSES,
    PDF,
    PRELIMINARY_CLOSES,
    SELF_CLOSES,
    campaign_args,
    init_ledger,
    make_home,
    make_settings,
    running,
)
from tests.world import START

pytestmark = pytest.mark.postgres

TIERS_1_2 = [
    {"max": "50", "max_inclusive": False, "points": "0"},
    {"min": "50", "max": "80", "max_inclusive": False, "points": "1"},
    {"min": "80", "points": "2"},
]
TIERS_3_1 = [
    {"max": "90", "max_inclusive": False, "points": "1"},
    {"min": "90", "points": "2"},
]
CYCLE_SET: dict[str, Any] = {
    "code": "T-SET",
    "version": 1,
    "title": "Bộ chỉ số thử có bậc",
    "precision": 2,
    "nodes": [
        {"code": "1", "level": "area", "title": "Chỉ đạo điều hành", "max_points": "3"},
        {
            "code": "1.1",
            "level": "criterion",
            "title": "Kế hoạch",
            "max_points": "1",
            "score_source": "appraisal",
            "lead_agency": "Sở Nội vụ",
        },
        {
            "code": "1.2",
            "level": "criterion",
            "title": "Tỷ lệ báo cáo đúng hạn",
            "max_points": "2",
            "score_source": "appraisal",
            "lead_agency": "Văn phòng UBND",
            "applies_to": ["district"],
            "rule": {"kind": "tiers", "tiers": TIERS_1_2},
        },
        {"code": "2", "level": "area", "title": "Tác động", "max_points": "2"},
        {
            "code": "2.1",
            "level": "criterion",
            "title": "Khảo sát",
            "max_points": "2",
            "score_source": "survey",
            "lead_agency": "Sở Nội vụ",
        },
        {"code": "3", "level": "area", "title": "Dịch vụ công", "max_points": "2"},
        {
            "code": "3.1",
            "level": "criterion",
            "title": "Tỷ lệ hồ sơ đúng hạn",
            "max_points": "2",
            "score_source": "appraisal",
            "lead_agency": "Sở Thông tin",
            "rule": {"kind": "tiers", "tiers": TIERS_3_1},
        },
    ],
}
D1 = {"campaign": CAMPAIGN, "unit": "D1"}
D2 = {"campaign": CAMPAIGN, "unit": "D2"}
S1 = {"campaign": CAMPAIGN, "unit": "S1"}


def free(card: dict[str, str], criterion: str, points: str, **extra: str) -> dict[str, Any]:
    return {**card, "criterion": criterion, "inputs": {"points": points}, **extra}


def ratio(card: dict[str, str], criterion: str, num: int, den: int, **extra: str) -> dict[str, Any]:
    return {
        **card,
        "criterion": criterion,
        "inputs": {"numerator": num, "denominator": den},
        **extra,
    }


def leaf(view: dict[str, Any], code: str) -> dict[str, Any]:
    found = [item for item in view["leaves"] if item["code"] == code]
    assert len(found) == 1, [item["code"] for item in view["leaves"]]
    return found[0]


def test_a_whole_cycle_over_http(pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    admin, server = make_home(home)
    clock = ManualClock(START - timedelta(days=5))
    settings = make_settings(pg_url, home)
    receipts: list[dict[str, Any]] = []

    with running(settings, clock, admin, server) as api:

        def ok(key: Any, command_type: str, args: dict[str, Any]) -> dict[str, Any]:
            receipt = api.ok(key, command_type, args)
            receipts.append(receipt)
            return receipt

        # -- set-up: genesis, units, keys, indicator set, campaign ----------------------
        assert api.position() == 0
        receipts.append(init_ledger(api))
        assert receipts[0]["event_type"] == "LedgerInitialised"
        for code, kind in (("D1", "district"), ("D2", "district"), ("S1", "department")):
            ok(admin, "register_unit", {"code": code, "name": f"Đơn vị {code}", "kind": kind})
        people = {
            "staff1": [{"role": "unit_staff", "scope": ["D1"]}],
            "head1": [{"role": "unit_head", "scope": ["D1"]}],
            "staff2": [{"role": "unit_staff", "scope": ["D2"]}],
            "head2": [{"role": "unit_head", "scope": ["D2"]}],
            "appraiser1": [{"role": "appraiser", "scope": ["1"]}],
            "appraiser3": [{"role": "appraiser", "scope": ["3"]}],
            "survey": [{"role": "survey_body", "scope": []}],
            "secretariat": [{"role": "secretariat", "scope": []}],
        }
        for name, roles in people.items():
            api.enrol(name, roles)
        k = api.keys
        staff1, head1, staff2, head2 = k["staff1"], k["head1"], k["staff2"], k["head2"]
        appraiser1, appraiser3 = k["appraiser1"], k["appraiser3"]
        survey, secretariat = k["survey"], k["secretariat"]
        ok(secretariat, "define_indicator_set", CYCLE_SET)
        created = ok(secretariat, "create_campaign", campaign_args())
        assert created["event_type"] == "CampaignCreated"
        # the campaign freezes the set and opens three scorecards at once
        assert api.position() == created["position"] + 4
        api.refused(staff1, "record_self_score", free(D1, "1.1", "1"), 409, "phase_not_open")

        # -- self-assessment: D1 with evidence, submitted early; D2 never submits ------------
        clock.set(START + timedelta(days=2))
        first_score = api.envelope(
            staff1, "record_self_score", free(D1, "1.1", "1", note="Kế hoạch số 5")
        )
        first_response = api.post(first_score)
        assert first_response.status_code == 201, first_response.text
        receipts.append(first_response.json())
        proof = api.upload(staff1, PDF)
        assert proof["media_type"] == "application/pdf"
        assert proof["size"] == len(PDF)
        attached = ok(
            staff1,
            "attach_evidence",
            {
                **D1,
                "criterion": "1.1",
                "sha256": proof["sha256"],
                "size": proof["size"],
                "file_name": "ke-hoach-5.pdf",
                "media_type": proof["media_type"],
            },
        )
        assert attached["event_type"] == "EvidenceAttached"
        ok(staff1, "record_self_score", ratio(D1, "1.2", 85, 100, explanation="Báo cáo quý"))
        ok(staff1, "record_self_score", ratio(D1, "3.1", 95, 100, explanation="Một cửa"))
        api.refused(appraiser1, "record_appraisal", free(D1, "1.1", "1"), 409, "not_submitted")
        submitted = ok(head1, "submit_self_assessment", D1)
        assert submitted["event_type"] == "SelfAssessmentSubmitted"
        ok(staff2, "record_self_score", free(D2, "1.1", "0.5", explanation="Kế hoạch"))
        ok(staff2, "record_self_score", ratio(D2, "1.2", 60, 100, explanation="Báo cáo"))
        ok(staff2, "record_self_score", ratio(D2, "3.1", 92, 100, explanation="Hồ sơ"))
        # an early submission can be appraised before the deadline
        ok(appraiser1, "record_appraisal", free(D1, "1.1", "0.5", reason="Ban hành muộn"))

        # -- the deadline passes: a late submission is refused and records nothing; the next
        # accepted act on D2 records its lock with it, stamped at the deadline (ADR 10) -----
        clock.set(SELF_CLOSES + timedelta(hours=3))
        api.refused(head2, "submit_self_assessment", D2, 409, "deadline_passed")
        d2 = api.read(f"/v1/campaigns/{CAMPAIGN}/scorecards/D2", head2)
        assert d2["locked_at"] is None

        # -- preliminary appraisal by field ---------------------------------------------
        ok(appraiser1, "record_appraisal", ratio(D1, "1.2", 85, 100))
        api.refused(appraiser3, "record_appraisal", free(D1, "1.1", "1"), 403, "out_of_scope")
        ok(appraiser3, "record_appraisal", ratio(D1, "3.1", 95, 100))
        api.refused(appraiser1, "record_appraisal", free(D2, "1.1", "0.25"), 422, "reason_required")
        before = api.position()
        ok(appraiser1, "record_appraisal", free(D2, "1.1", "0.25", reason="Thiếu minh chứng"))
        assert api.position() == before + 2  # the lock, and the appraisal
        d2 = api.read(f"/v1/campaigns/{CAMPAIGN}/scorecards/D2", head2)
        assert d2["locked_at"] == format_time(SELF_CLOSES)
        assert d2["submitted_at"] is None
        ok(appraiser1, "record_appraisal", ratio(D2, "1.2", 40, 100, reason="Số liệu sai"))
        ok(appraiser3, "record_appraisal", ratio(D2, "3.1", 85, 100, reason="Chưa đủ 90 %"))
        # S1 never assessed itself: the first command on its card locks it first
        before = api.position()
        s1_appraisal = ok(appraiser1, "record_appraisal", free(S1, "1.1", "0"))
        assert s1_appraisal["position"] == before + 2
        assert s1_appraisal["version"] == 3  # opened, locked at the deadline, appraised
        ok(appraiser1, "request_explanation", {**D1, "criterion": "1.2", "note": "Làm rõ"})

        # -- the explanation round -------------------------------------------------------
        clock.set(PRELIMINARY_CLOSES + timedelta(days=1))
        ok(
            staff1,
            "submit_explanation",
            {**D1, "criterion": "1.1", "explanation": "Ban hành đúng hạn, xem QĐ 12"},
        )
        extra = api.upload(staff1, PDF + b"% QD 12\n")
        supplementary = ok(
            staff1,
            "attach_evidence",
            {
                **D1,
                "criterion": "1.1",
                "sha256": extra["sha256"],
                "size": extra["size"],
                "file_name": "qd-12.pdf",
                "media_type": "application/pdf",
            },
        )
        assert supplementary["event_type"] == "EvidenceAttached"
        ok(staff1, "submit_explanation", {**D1, "criterion": "1.2", "explanation": "Số liệu"})
        ok(staff2, "submit_explanation", {**D2, "criterion": "3.1", "explanation": "Đạt 92 %"})

        # -- final appraisal -------------------------------------------------------------
        clock.set(EXPLANATION_CLOSES + timedelta(days=1))
        final_1_1 = {
            **D1,
            "criterion": "1.1",
            "decision": "revise",
            "inputs": {"points": "1"},
            "reason": "Giải trình hợp lý, có QĐ 12",
        }
        revised = ok(appraiser1, "record_final_appraisal", final_1_1)
        assert revised["event_type"] == "AppraisalRevised"
        confirm = {"decision": "confirm"}
        ok(appraiser1, "record_final_appraisal", {**D1, "criterion": "1.2", **confirm})
        ok(appraiser1, "record_final_appraisal", {**D2, "criterion": "1.1", **confirm})
        ok(appraiser1, "record_final_appraisal", {**D2, "criterion": "1.2", **confirm})
        ok(
            appraiser3,
            "record_final_appraisal",
            {
                **D2,
                "criterion": "3.1",
                "decision": "revise",
                "inputs": {"numerator": 92, "denominator": 100},
                "reason": "Giải trình đủ căn cứ",
            },
        )

        # -- closing: survey scores, acceptance, finalisation ------------------------------
        clock.set(FINAL_CLOSES + timedelta(days=1))
        api.refused(
            secretariat, "finalise_campaign", {"campaign": CAMPAIGN}, 409, "unsettled_scores"
        )
        for card, value in ((D1, "1.6"), (D2, "1.2"), (S1, "1.8")):
            ok(
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
            ok(secretariat, "accept_self_scores", card)
        finalise = api.envelope(secretariat, "finalise_campaign", {"campaign": CAMPAIGN})
        finalised = api.post(finalise)
        assert finalised.status_code == 201, finalised.text
        receipts.append(finalised.json())
        ok(head2, "record_targets", {**D2, "year": 2024, "targets": {"1.2": "1", "3.1": "2"}})

        # -- a re-sent command answers the same receipt and records nothing -----------------
        position = api.position()
        again = api.post(finalise)
        assert again.status_code == 201, again.text
        assert again.json() == finalised.json()
        # also long after it was signed, and after the phase it belonged to
        late = api.post(first_score)
        assert late.status_code == 201, late.text
        assert late.json() == first_response.json()
        assert api.position() == position

        positions = [r["position"] for r in receipts]
        assert positions == sorted(positions)
        assert len(set(positions)) == len(positions)

        # -- reads ---------------------------------------------------------------------
        reader = secretariat
        summaries = api.read(f"/v1/campaigns/{CAMPAIGN}/scorecards", reader)
        assert {s["unit"] for s in summaries["items"]} == {"D1", "D2", "S1"}
        expected = {
            "D1": ("6.6", "7", "94.29"),
            "D2": ("3.45", "7", "49.29"),
            "S1": ("1.8", "5", "36"),
        }
        views = {}
        for unit, (total, maximum, index) in expected.items():
            view = api.read(f"/v1/campaigns/{CAMPAIGN}/scorecards/{unit}", reader)
            views[unit] = view
            final = view["totals"]["final"]
            assert Decimal(final["total"]) == Decimal(total), (unit, final)
            assert Decimal(final["max_total"]) == Decimal(maximum), (unit, final)
            assert Decimal(final["index"]) == Decimal(index), (unit, final)
        d1_11 = leaf(views["D1"], "1.1")
        assert Decimal(d1_11["points"]) == Decimal(1)
        assert {e["sha256"] for e in d1_11["evidence"]["files"]} == {
            proof["sha256"],
            extra["sha256"],
        }
        assert Decimal(leaf(views["D2"], "3.1")["points"]) == Decimal(2)
        assert "1.2" not in {item["code"] for item in views["S1"]["leaves"]}

        trace = api.read(f"/v1/campaigns/{CAMPAIGN}/trace", reader, unit="D1", criterion="1.1")
        kinds = [row["event_type"] for row in trace["items"]]
        assert kinds == [
            "SelfScoreRecorded",
            "EvidenceAttached",
            "AppraisalRecorded",
            "ExplanationSubmitted",
            "EvidenceAttached",
            "AppraisalRevised",
        ], kinds
        rows_positions = [row["position"] for row in trace["items"]]
        assert rows_positions == sorted(rows_positions)
        assert trace["items"][-1]["key_id"] == appraiser1.key_id
        as_csv = api.get(
            f"/v1/campaigns/{CAMPAIGN}/trace", reader, unit="D1", criterion="1.1", format="csv"
        )
        assert as_csv.status_code == 200
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert as_csv.text.startswith("\ufeff")
        csv_rows = list(csv.DictReader(io.StringIO(as_csv.text.removeprefix("\ufeff"))))
        assert [r["event_type"] for r in csv_rows] == kinds

        progress = api.read(f"/v1/campaigns/{CAMPAIGN}/progress", reader)
        states = {u["unit"]: u["state"] for u in progress["units"]}
        assert states == {"D1": "submitted", "D2": "locked", "S1": "locked"}
        assert all(u["accepted"] for u in progress["units"])
        assert all(d["passed"] for d in progress["deadlines"])

        gaps = api.read(f"/v1/campaigns/{CAMPAIGN}/scorecards/D2/gaps", head2)
        assert Decimal(gaps["total"]) == Decimal("3.45")
        lost = {c["code"]: c for a in gaps["agencies"] for c in a["criteria"]}
        assert Decimal(lost["1.2"]["lost"]) == Decimal(2)
        assert Decimal(lost["1.2"]["target"]) == Decimal(1)
        assert gaps["targets_year"] == 2024

        # finalised but not published: under the default disclosure policy the ranking is
        # read with a token only (it is public once published)
        assert api.get(f"/v1/campaigns/{CAMPAIGN}/ranking").status_code == 401
        body = api.read(f"/v1/campaigns/{CAMPAIGN}/ranking", reader)
        assert body["finalised"] is True
        ranks = {(r["ranking_group"], r["unit"]): r["rank"] for r in body["items"]}
        assert ranks == {("district", "D1"): 1, ("district", "D2"): 2, ("department", "S1"): 1}
        # an as-of ranking still needs a token
        assert (
            api.get(
                f"/v1/campaigns/{CAMPAIGN}/ranking", as_of_time=format_time(SELF_CLOSES)
            ).status_code
            == 401
        )

        # the scorecard as it stood at the deadline
        at_deadline = api.read(
            f"/v1/campaigns/{CAMPAIGN}/scorecards/D1",
            reader,
            as_of_time=format_time(SELF_CLOSES),
        )
        assert at_deadline["submitted_at"] is not None
        early = leaf(at_deadline, "1.1")
        assert early["preliminary_appraisal"]["points"] == "0.5"
        assert early["final_appraisal"] is None
        assert early["explanations"] == []
        # 0.5 appraised, and the self-scores 2 and 2 of 1.2 and 3.1; no survey score yet
        assert Decimal(at_deadline["totals"]["final"]["total"]) == Decimal("4.5")

        # the evidence can be read back
        download = api.get(f"/v1/evidence/{proof['sha256']}", staff1)
        assert download.status_code == 200
        assert download.content == PDF
        assert download.headers["content-type"] == "application/pdf"

    # every recorded event verifies, read straight from the store
    ledger = open_runtime(settings, clock=clock, project=False).ledger
    try:
        report = verify_events(stored_events(ledger))
        assert report.ok, report.problems
        assert report.events == position
    finally:
        ledger.close()
