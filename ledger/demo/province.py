"""The demo: Hanoi's 2022 indicator set, the unit Hanoi, demo keys, a 2022 campaign with
Hanoi's 2021 appraised scores recorded as signed acts; then a whole assessment cycle for
Hanoi's departments and districts (:mod:`ledger.demo.cycle`).

The demo replays the past on a simulated clock (from January 2023), so its events carry
those times. Safe to run again: every step checks what the ledger already holds first."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources

from ledger.application.indicator_import import definition_from_csv
from ledger.application.local_client import enrol_once, initialise, load_or_create_key, send
from ledger.application.service import Ledger
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.demo.cycle import HANOI, run_cycle
from ledger.demo.district import run_district
from ledger.demo.files import pdf
from ledger.demo.surveys import run_surveys
from ledger.domain.campaign import MILESTONES
from ledger.domain.indicators import IndicatorTree
from ledger.domain.scorecard import Scorecard

SET_CODE = "HN-PAR"
SET_VERSION = 1
CAMPAIGN = "HN-2022"
UNIT = "HN"
PARTIAL = ("7.1", "7.2")
PLAN_SOURCE = "Kế hoạch cải thiện Chỉ số CCHC năm 2022 của UBND Thành phố Hà Nội"
SURVEYED = ("sipas", "survey")
DEMO_START = datetime(2023, 1, 5, 8, 0, tzinfo=HANOI)


def plan_csv() -> str:
    return resources.files("ledger").joinpath("data/hanoi_par_2022_plan.csv").read_text("utf-8")


def plan_scores(tree: IndicatorTree, column: str = "score_2021") -> dict[str, Decimal]:
    """A column of the plan for every leaf (the 2021 appraised score by default, or the
    2022 target); a remainder leaf gets its parent's value less the listed sub-criteria's."""
    rows = {r["code"]: Decimal(r[column]) for r in csv.DictReader(io.StringIO(plan_csv()))}
    scores: dict[str, Decimal] = {}
    for leaf in tree.leaves:
        if leaf.synthetic and leaf.parent:
            listed = [c for c in tree.nodes[leaf.parent].children if c != leaf.code]
            scores[leaf.code] = rows[leaf.parent] - sum((rows[c] for c in listed), Decimal(0))
        else:
            scores[leaf.code] = rows[leaf.code]
    return scores


@dataclass(frozen=True)
class DemoKeys:
    admin: SigningKey
    server: SigningKey
    staff: SigningKey
    head: SigningKey
    survey: SigningKey


def _keys(ledger: Ledger) -> DemoKeys:
    folder = ledger.settings.keys_dir
    return DemoKeys(
        admin=load_or_create_key(folder / "admin.key"),
        server=load_or_create_key(folder / "server.key"),
        staff=load_or_create_key(folder / "hn-staff.key"),
        head=load_or_create_key(folder / "hn-head.key"),
        survey=load_or_create_key(folder / "survey-body.key"),
    )


def demo_clock() -> ManualClock:
    return ManualClock(DEMO_START)


def run_demo(ledger: Ledger) -> None:
    clock = ledger.clock
    assert isinstance(clock, ManualClock), "the demo runs on a simulated clock (demo_clock())"
    clock.set(DEMO_START)
    keys = _keys(ledger)
    if not ledger.is_initialised():
        initialise(
            ledger,
            keys.admin,
            keys.server,
            admin_name="Quản trị viên (demo)",
            admin_title="Quản trị hệ thống",
            admin_unit="Sở Nội vụ Hà Nội",
        )
    if ledger.unit(UNIT) is None:
        send(
            ledger,
            keys.admin,
            "register_unit",
            {
                "code": UNIT,
                "name": "UBND Thành phố Hà Nội",
                "kind": "province",
                "ranking_group": "province",
            },
        )
    enrol_once(
        ledger,
        keys.admin,
        keys.staff,
        {
            "name": "Nguyễn Văn An",
            "title": "Chuyên viên, cán bộ đầu mối CCHC",
            "unit": "Văn phòng UBND Thành phố Hà Nội",
            "roles": [{"role": "unit_staff", "scope": [UNIT]}],
        },
    )
    enrol_once(
        ledger,
        keys.admin,
        keys.head,
        {
            "name": "Trần Thị Bình",
            "title": "Chánh Văn phòng UBND Thành phố",
            "unit": "Văn phòng UBND Thành phố Hà Nội",
            "roles": [{"role": "unit_head", "scope": [UNIT]}],
        },
    )
    enrol_once(
        ledger,
        keys.admin,
        keys.survey,
        {
            "name": "Lê Minh Châu",
            "title": "Nghiên cứu viên",
            "unit": "Viện Nghiên cứu phát triển KT-XH Hà Nội",
            "roles": [{"role": "survey_body", "scope": []}],
        },
    )

    if ledger.indicator_set(SET_CODE, SET_VERSION) is None:
        definition = definition_from_csv(
            plan_csv(),
            code=SET_CODE,
            version=SET_VERSION,
            title="Bộ Chỉ số CCHC cấp tỉnh (theo Kế hoạch năm 2022 của TP Hà Nội)",
            precision=3,
            partial=PARTIAL,
            applies_to=["province"],
        )
        send(ledger, keys.admin, "define_indicator_set", definition)
    if ledger.campaign(CAMPAIGN) is None:
        start = ledger.clock.now() - timedelta(days=1)
        offsets = (0, 45, 60, 67, 75)
        send(
            ledger,
            keys.admin,
            "create_campaign",
            {
                "code": CAMPAIGN,
                "year": 2022,
                "title": "Đánh giá Chỉ số CCHC năm 2022 — Thành phố Hà Nội",
                "indicator_set": SET_CODE,
                "indicator_set_version": SET_VERSION,
                "units": [UNIT],
                "schedule": {
                    name: (start + timedelta(days=d)).isoformat(timespec="seconds")
                    for name, d in zip(MILESTONES, offsets, strict=True)
                },
                "timezone": "Asia/Ho_Chi_Minh",
            },
        )
    tree = ledger.tree(SET_CODE, SET_VERSION)

    card = ledger.scorecard(CAMPAIGN, UNIT)
    assert card is not None
    if card.submitted_at is None:
        _province_scores(ledger, keys, tree, card)
    run_surveys(ledger, keys.survey, CAMPAIGN, UNIT, tree, plan_scores(tree))
    if not card.targets:
        targets = plan_scores(tree, "target_2022")
        send(
            ledger,
            keys.head,
            "record_targets",
            {
                "campaign": CAMPAIGN,
                "unit": UNIT,
                "year": 2022,
                "targets": {code: f"{points:f}" for code, points in targets.items()},
                "note": PLAN_SOURCE,
            },
        )
    run_cycle(ledger, keys.admin, keys.survey, plan_csv())
    run_district(ledger, keys.admin)


def _province_scores(ledger: Ledger, keys: DemoKeys, tree: IndicatorTree, card: Scorecard) -> None:
    scores = plan_scores(tree)
    for leaf in tree.applicable_leaves("province"):
        points = scores[leaf.code]
        entry = card.entries.get(leaf.code)
        if leaf.score_source == "appraisal":
            if entry is None or entry.self_points != points:
                send(
                    ledger,
                    keys.staff,
                    "record_self_score",
                    {
                        "campaign": CAMPAIGN,
                        "unit": UNIT,
                        "criterion": leaf.code,
                        "inputs": {"points": f"{points:f}"},
                        "note": "Theo kết quả thẩm định năm 2021",
                        "explanation": f"Điểm thẩm định năm 2021 nêu tại {PLAN_SOURCE}.",
                    },
                )
        elif leaf.score_source in SURVEYED:
            continue  # computed from the surveys' answers (ledger.demo.surveys)
        elif entry is None or entry.external_points != points:
            send(
                ledger,
                keys.survey,
                "record_external_score",
                {
                    "campaign": CAMPAIGN,
                    "unit": UNIT,
                    "criterion": leaf.code,
                    "points": f"{points:f}",
                    "source": leaf.score_source,
                    "source_document": f"Kết quả năm 2021 nêu tại {PLAN_SOURCE}",
                },
            )
    evidence = ledger.evidence.put_bytes(
        pdf(["Ke hoach cai thien Chi so CCHC nam 2022", "UBND Thanh pho Ha Noi"])
    )
    if evidence.sha256 not in card.entry("1.1").evidence:
        send(
            ledger,
            keys.staff,
            "attach_evidence",
            {
                "campaign": CAMPAIGN,
                "unit": UNIT,
                "criterion": "1.1",
                "sha256": evidence.sha256,
                "size": evidence.size,
                "file_name": "ke-hoach-cchc-2022.pdf",
                "media_type": "application/pdf",
            },
        )
    send(ledger, keys.head, "submit_self_assessment", {"campaign": CAMPAIGN, "unit": UNIT})
