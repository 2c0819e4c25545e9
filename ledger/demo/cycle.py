"""The demo's whole assessment cycle, for Hanoi's departments and districts.

Hanoi's indicator tree as a set for departments (Sở) and districts (Quận), with district-only
criteria and scoring rules on counts. The units are three departments and two districts.
Self-scores come from counts under the tier rules. One department never submits and is
locked at the deadline. Two council members appraise their own fields, with reasons. An
explanation wins back points at the final appraisal, the secretariat settles the rest
explicitly, the campaign is finalised, and its results are published.

The cycle is replayed on a simulated clock (2024). Every step first checks what the ledger
already holds, so running it again records nothing new."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ledger.application.indicator_import import definition_from_csv
from ledger.application.local_client import enrol_once, load_or_create_key, send
from ledger.application.service import Ledger
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.demo.files import pdf
from ledger.demo.surveys import run_unit_surveys
from ledger.domain.indicators import IndicatorTree, Node
from ledger.domain.points import quantize
from ledger.domain.results import table_sha256
from ledger.domain.scorecard import Scorecard

SET_CODE = "HN-SH"
SET_VERSION = 1
CAMPAIGN = "HN-SH-2023"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = {
    "SNV": ("Sở Nội vụ", "department"),
    "STP": ("Sở Tư pháp", "department"),
    "STC": ("Sở Tài chính", "department"),
    "HK": ("UBND quận Hoàn Kiếm", "district"),
    "BD": ("UBND quận Ba Đình", "district"),
}
NEVER_SUBMITS = "STC"
DISTRICT_ONLY = ("4.3", "5.7", "8.4", "8.5", "8.6")
RULES: dict[str, dict[str, Any]] = {
    "1.2": {"kind": "deduction", "per_occurrence": "0.25"},
    "1.4": {"kind": "all_or_nothing"},
    "3.4": {
        "kind": "tiers",
        "tiers": [
            {"min": "100", "points": "5"},
            {"min": "95", "max": "100", "max_inclusive": False, "points": "4"},
            {"min": "80", "max": "95", "max_inclusive": False, "points": "2.5"},
            {"max": "80", "max_inclusive": False, "points": "0"},
        ],
    },
    "3.5": {"kind": "proportional", "zero_denominator_points": "1"},
    "7.1.9": {"kind": "proportional"},
    "7.3": {
        "kind": "tiers",
        "tiers": [
            {"min": "50", "points": "1.25"},
            {"min": "20", "max": "50", "max_inclusive": False, "points": "0.75"},
            {"max": "20", "max_inclusive": False, "points": "0"},
        ],
    },
}
HOME_AFFAIRS_FIELDS = ["1", "4", "5"]
OFFICE_FIELDS = ["3", "7"]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=HANOI)


SCHEDULE = {
    "self_assessment_opens": local("2024-01-08T08:00"),
    "self_assessment_closes": local("2024-02-05T17:00"),
    "preliminary_appraisal_closes": local("2024-03-04T17:00"),
    "explanation_closes": local("2024-03-11T17:00"),
    "final_appraisal_closes": local("2024-03-25T17:00"),
}


def definition(plan_csv: str) -> dict[str, Any]:
    base = definition_from_csv(
        plan_csv,
        code=SET_CODE,
        version=SET_VERSION,
        title="Bộ Chỉ số CCHC sở, ban, ngành và UBND quận, huyện (demo, theo cây chỉ số Hà Nội)",
        precision=2,
        partial=("7.1", "7.2"),
        applies_to=["department", "district"],
    )
    for node in base["nodes"]:
        if node["code"] in DISTRICT_ONLY:
            node["applies_to"] = ["district"]
        if node["code"] in RULES:
            node["rule"] = RULES[node["code"]]
    return base


def _fraction(*parts: str) -> Decimal:
    """A stable number in [0, 1) from the parts, so the demo is the same every time."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return Decimal(int.from_bytes(digest[:4], "big")) / Decimal(2**32)


def self_inputs(unit: str, leaf: Node) -> dict[str, Any]:
    """What the unit enters for a leaf: counts for the rules on counts, points otherwise."""
    roll = _fraction(unit, leaf.code)
    kind = leaf.rule.get("kind", "free")
    if kind == "deduction":
        return {"occurrences": 1 if roll > Decimal("0.7") else 0}
    if kind == "all_or_nothing":
        return {"achieved": roll > Decimal("0.15")}
    if kind in ("tiers", "proportional"):
        denominator = 400 + int(roll * 1600)
        share = Decimal(1) if roll < Decimal("0.5") else Decimal("0.9") + roll / 10
        return {"numerator": min(denominator, int(denominator * share)), "denominator": denominator}
    share = Decimal(1) if roll < Decimal("0.65") else Decimal("0.5") + roll / 2
    return {"points": f"{quantize(min(leaf.max_points * share, leaf.max_points), 2):f}"}


@dataclass(frozen=True)
class CycleKeys:
    staff: dict[str, SigningKey]
    heads: dict[str, SigningKey]
    home_affairs: SigningKey
    office: SigningKey
    secretariat: SigningKey
    publisher: SigningKey


def _keys(ledger: Ledger) -> CycleKeys:
    folder = ledger.settings.keys_dir
    return CycleKeys(
        staff={u: load_or_create_key(folder / f"{u.lower()}-staff.key") for u in UNITS},
        heads={u: load_or_create_key(folder / f"{u.lower()}-head.key") for u in UNITS},
        home_affairs=load_or_create_key(folder / "appraiser-home-affairs.key"),
        office=load_or_create_key(folder / "appraiser-office.key"),
        secretariat=load_or_create_key(folder / "secretariat.key"),
        publisher=load_or_create_key(folder / "publisher.key"),
    )


def _setup(ledger: Ledger, admin: SigningKey, keys: CycleKeys, plan_csv: str) -> None:
    for code, (name, kind) in UNITS.items():
        if ledger.unit(code) is None:
            send(
                ledger,
                admin,
                "register_unit",
                {"code": code, "name": name, "kind": kind, "parent": "HN"},
            )
    for code, (name, _) in UNITS.items():
        enrol_once(
            ledger,
            admin,
            keys.staff[code],
            {
                "name": f"Cán bộ đầu mối CCHC — {name}",
                "title": "Chuyên viên",
                "unit": name,
                "roles": [{"role": "unit_staff", "scope": [code]}],
            },
        )
        enrol_once(
            ledger,
            admin,
            keys.heads[code],
            {
                "name": f"Thủ trưởng — {name}",
                "title": "Giám đốc" if code.startswith("S") else "Chủ tịch UBND quận",
                "unit": name,
                "roles": [{"role": "unit_head", "scope": [code]}],
            },
        )
    enrol_once(
        ledger,
        admin,
        keys.home_affairs,
        {
            "name": "Phạm Thu Hà",
            "title": "Phó Giám đốc, thành viên Hội đồng thẩm định",
            "unit": "Sở Nội vụ Hà Nội",
            "roles": [{"role": "appraiser", "scope": HOME_AFFAIRS_FIELDS}],
        },
    )
    enrol_once(
        ledger,
        admin,
        keys.office,
        {
            "name": "Đỗ Quang Minh",
            "title": "Phó Chánh Văn phòng, thành viên Hội đồng thẩm định",
            "unit": "Văn phòng UBND Thành phố Hà Nội",
            "roles": [{"role": "appraiser", "scope": OFFICE_FIELDS}],
        },
    )
    enrol_once(
        ledger,
        admin,
        keys.secretariat,
        {
            "name": "Vũ Ngọc Lan",
            "title": "Trưởng phòng CCHC, Thường trực Hội đồng",
            "unit": "Sở Nội vụ Hà Nội",
            "roles": [{"role": "secretariat", "scope": []}],
        },
    )
    enrol_once(
        ledger,
        admin,
        keys.publisher,
        {
            "name": "Hoàng Minh Tuấn",
            "title": "Chánh Văn phòng UBND Thành phố",
            "unit": "Văn phòng UBND Thành phố Hà Nội",
            "roles": [{"role": "publisher", "scope": []}],
        },
    )
    if ledger.indicator_set(SET_CODE, SET_VERSION) is None:
        send(ledger, admin, "define_indicator_set", definition(plan_csv))
    if ledger.campaign(CAMPAIGN) is None:
        send(
            ledger,
            admin,
            "create_campaign",
            {
                "code": CAMPAIGN,
                "year": 2023,
                "title": "Xác định Chỉ số CCHC năm 2023 các sở, ban, ngành và UBND quận (demo)",
                "indicator_set": SET_CODE,
                "indicator_set_version": SET_VERSION,
                "units": list(UNITS),
                "owner": "HN",
                "timezone": "Asia/Ho_Chi_Minh",
                "schedule": {k: v.isoformat() for k, v in SCHEDULE.items()},
                "grade_bands": [
                    {"min": "90", "grade": "Xuất sắc"},
                    {"min": "80", "grade": "Tốt"},
                    {"min": "70", "grade": "Khá"},
                    {"min": "0", "grade": "Trung bình"},
                ],
            },
        )


def _card(ledger: Ledger, unit: str) -> Scorecard:
    card = ledger.scorecard(CAMPAIGN, unit)
    assert card is not None
    return card


def _self_assessment(ledger: Ledger, keys: CycleKeys, tree: IndicatorTree) -> None:
    for unit, (_, kind) in UNITS.items():
        card = _card(ledger, unit)
        if card.closed_for_unit:
            continue
        explained = unit != NEVER_SUBMITS
        for leaf in tree.applicable_leaves(kind):
            if leaf.score_source != "appraisal" or card.entry(leaf.code).self_points is not None:
                continue
            args = {
                "campaign": CAMPAIGN,
                "unit": unit,
                "criterion": leaf.code,
                "inputs": self_inputs(unit, leaf),
            }
            if explained:
                args["explanation"] = "Số liệu theo báo cáo CCHC năm 2023 của đơn vị."
            send(ledger, keys.staff[unit], "record_self_score", args)
        if explained:
            send(
                ledger,
                keys.heads[unit],
                "submit_self_assessment",
                {"campaign": CAMPAIGN, "unit": unit},
            )


# What the council changes, and why: (unit, criterion) -> (inputs or None, reason)
PRELIMINARY_CHANGES: dict[tuple[str, str], tuple[dict[str, Any], str]] = {
    ("STP", "1.1"): ({"points": "1"}, "Kế hoạch CCHC năm 2023 ban hành chậm so với yêu cầu."),
    ("STC", "5.5"): (
        {"points": "0.5"},
        "Không có tài liệu kiểm chứng kết quả đánh giá, phân loại.",
    ),
    ("HK", "3.4"): (
        {"numerator": 1176, "denominator": 1200},
        "Dữ liệu Cổng DVC ghi nhận 24 hồ sơ trả kết quả quá hạn.",
    ),
    ("BD", "7.3"): (
        {"numerator": 90, "denominator": 600},
        "Tỷ lệ hồ sơ qua dịch vụ bưu chính công ích chỉ 15 %.",
    ),
}
EXPLANATION_REQUESTS = {("SNV", "5.6"): "Đề nghị làm rõ số lượt cán bộ được đào tạo, bồi dưỡng."}
EXPLANATIONS = {
    ("HK", "3.4"): "24 hồ sơ quá hạn do công dân bổ sung hồ sơ; thời hạn giải quyết tính lại "
    "từ ngày nhận đủ hồ sơ hợp lệ theo quy định, nên không có hồ sơ trễ hạn.",
    ("SNV", "5.6"): "Đã đào tạo, bồi dưỡng 412/400 lượt cán bộ theo kế hoạch; kèm danh sách.",
}
FINAL_REVISIONS = {
    ("HK", "3.4"): (
        {"numerator": 1200, "denominator": 1200},
        "Chấp nhận giải trình: thời hạn tính từ ngày nhận đủ hồ sơ hợp lệ.",
    ),
}


def _appraiser(keys: CycleKeys, code: str) -> SigningKey | None:
    area = code.split(".")[0]
    if area in HOME_AFFAIRS_FIELDS:
        return keys.home_affairs
    if area in OFFICE_FIELDS:
        return keys.office
    return None


def _preliminary(ledger: Ledger, keys: CycleKeys, tree: IndicatorTree) -> None:
    for unit, (_, kind) in UNITS.items():
        card = _card(ledger, unit)
        for leaf in tree.applicable_leaves(kind):
            appraiser = _appraiser(keys, leaf.code)
            entry = card.entry(leaf.code)
            if appraiser is None or leaf.score_source != "appraisal" or entry.preliminary:
                continue
            change = PRELIMINARY_CHANGES.get((unit, leaf.code))
            inputs = change[0] if change else (entry.self_inputs or self_inputs(unit, leaf))
            reason = change[1] if change else ""
            if not entry.self_inputs and not change:
                reason = "Đơn vị không tự chấm; thẩm định theo hồ sơ hiện có."
            send(
                ledger,
                appraiser,
                "record_appraisal",
                {
                    "campaign": CAMPAIGN,
                    "unit": unit,
                    "criterion": leaf.code,
                    "inputs": inputs,
                    "reason": reason,
                },
            )
        for (who, code), note in EXPLANATION_REQUESTS.items():
            if who == unit and card.entry(code).explanation_requested is None:
                send(
                    ledger,
                    keys.home_affairs,
                    "request_explanation",
                    {"campaign": CAMPAIGN, "unit": unit, "criterion": code, "note": note},
                )


def _explanations(ledger: Ledger, keys: CycleKeys) -> None:
    for (unit, code), text in EXPLANATIONS.items():
        card = _card(ledger, unit)
        if not card.entry(code).unit_explanations:
            send(
                ledger,
                keys.staff[unit],
                "submit_explanation",
                {"campaign": CAMPAIGN, "unit": unit, "criterion": code, "explanation": text},
            )
        proof = ledger.evidence.put_bytes(
            pdf(
                [
                    f"Tai lieu giai trinh - {unit} - tieu chi {code}",
                    text.encode("ascii", "ignore").decode()[:80],
                ]
            )
        )
        if proof.sha256 not in card.entry(code).evidence:
            send(
                ledger,
                keys.staff[unit],
                "attach_evidence",
                {
                    "campaign": CAMPAIGN,
                    "unit": unit,
                    "criterion": code,
                    "sha256": proof.sha256,
                    "size": proof.size,
                    "file_name": f"giai-trinh-{unit}-{code}.pdf",
                    "media_type": "application/pdf",
                },
            )


def _final(ledger: Ledger, keys: CycleKeys, tree: IndicatorTree) -> None:
    for unit, (_, kind) in UNITS.items():
        card = _card(ledger, unit)
        for leaf in tree.applicable_leaves(kind):
            entry = card.entry(leaf.code)
            appraiser = _appraiser(keys, leaf.code)
            if appraiser is None or not entry.contested or entry.final is not None:
                continue
            revision = FINAL_REVISIONS.get((unit, leaf.code))
            args: dict[str, Any] = {"campaign": CAMPAIGN, "unit": unit, "criterion": leaf.code}
            if revision:
                args.update(decision="revise", inputs=revision[0], reason=revision[1])
            else:
                args.update(decision="confirm", reason="Giữ kết quả thẩm định sơ bộ.")
            send(ledger, appraiser, "record_final_appraisal", args)


def survey_points(unit: str, leaf: Node) -> Decimal:
    """The points the demo's surveys give a unit for a survey- or SIPAS-sourced leaf."""
    share = Decimal("0.7") + _fraction("survey", unit, leaf.code) / 4
    return quantize(leaf.max_points * share, 2)


def _closing(ledger: Ledger, keys: CycleKeys, survey: SigningKey, tree: IndicatorTree) -> None:
    kinds = {unit: kind for unit, (_, kind) in UNITS.items()}
    points = {
        unit: {leaf.code: survey_points(unit, leaf) for leaf in tree.applicable_leaves(kind)}
        for unit, kind in kinds.items()
    }
    run_unit_surveys(ledger, survey, CAMPAIGN, kinds, tree, points)
    for unit, (_, kind) in UNITS.items():
        card = _card(ledger, unit)
        for leaf in tree.applicable_leaves(kind):
            if (
                leaf.score_source == "appraisal"
                or card.entry(leaf.code).external_points is not None
            ):
                continue
            send(
                ledger,
                survey,
                "record_external_score",
                {
                    "campaign": CAMPAIGN,
                    "unit": unit,
                    "criterion": leaf.code,
                    "points": f"{survey_points(unit, leaf):f}",
                    "source": leaf.score_source,
                    "source_document": "Báo cáo kết quả điều tra xã hội học và SIPAS năm 2023",
                },
            )
        if card.accepted_at is None:
            send(
                ledger, keys.secretariat, "accept_self_scores", {"campaign": CAMPAIGN, "unit": unit}
            )
    campaign = ledger.campaign(CAMPAIGN)
    if campaign is not None and campaign.finalised_at is None:
        send(ledger, keys.secretariat, "finalise_campaign", {"campaign": CAMPAIGN})


def run_cycle(ledger: Ledger, admin: SigningKey, survey: SigningKey, plan_csv: str) -> None:
    clock = ledger.clock
    assert isinstance(clock, ManualClock), "the demo cycle runs on a simulated clock"
    keys = _keys(ledger)
    clock.set(local("2024-01-05T09:00"))
    _setup(ledger, admin, keys, plan_csv)
    tree = ledger.tree(SET_CODE, SET_VERSION)
    clock.set(local("2024-01-25T10:00"))
    _self_assessment(ledger, keys, tree)
    clock.set(local("2024-02-06T08:00"))
    ledger.tick()
    clock.set(local("2024-02-20T09:00"))
    _preliminary(ledger, keys, tree)
    clock.set(local("2024-03-06T14:00"))
    _explanations(ledger, keys)
    clock.set(local("2024-03-15T10:00"))
    _final(ledger, keys, tree)
    clock.set(local("2024-03-27T15:00"))
    _closing(ledger, keys, survey, tree)
    clock.set(local("2024-04-02T09:00"))
    _publication(ledger, keys)


def _publication(ledger: Ledger, keys: CycleKeys) -> None:
    """The chairman's office announces the results (công bố): the table, signed at a
    checkpoint of the log."""
    campaign = ledger.campaign(CAMPAIGN)
    if campaign is not None and not campaign.publications:
        send(
            ledger,
            keys.publisher,
            "publish_results",
            {
                "campaign": CAMPAIGN,
                "table_sha256": table_sha256(ledger.result_table(CAMPAIGN)),
                "note": "Quyết định công bố Chỉ số CCHC năm 2023 của các sở, ngành và UBND quận",
            },
        )
