"""The district's own cycle, beside the city's: the People's Committee of Hoàn Kiếm district
(HK) scores two of its wards with a small commune-level indicator set. The district's Home
Affairs office is its secretariat, and a two-member council is appointed, each member for a
field: one by the district for 2023, the other for this campaign. Their grants
(docs/FORMATS.md §6) reach the district's campaign and nothing of the city's; the city's
grants for the whole ledger reach both.

Like the city's cycle it replays on the simulated clock after the city has published, and
records nothing new when run again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.application.local_client import enrol_once, load_or_create_key, send
from ledger.application.service import Ledger
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.demo.cycle import local
from ledger.domain.scorecard import Scorecard

DISTRICT = "HK"
CAMPAIGN = "HK-XA-2023"
SET_CODE = "HK-XA"
WARDS = {"HK-HT": "UBND phường Hàng Trống", "HK-TT": "UBND phường Tràng Tiền"}
COUNCIL_FIELDS = {"council-1": ["1"], "council-2": ["2"]}
# the ward's self-scores, and what the council changes and why
SELF_SCORES = {"1.1": "2", "1.2": "1", "2.1": "2", "2.2": "3"}
CHANGES = {("HK-TT", "2.2"): ("2", "Có 3 hồ sơ trả kết quả quá hạn trong quý IV.")}
SCHEDULE = {
    "self_assessment_opens": local("2024-04-03T08:00"),
    "self_assessment_closes": local("2024-04-19T17:00"),
    "preliminary_appraisal_closes": local("2024-05-03T17:00"),
    "explanation_closes": local("2024-05-10T17:00"),
    "final_appraisal_closes": local("2024-05-24T17:00"),
}


def _criterion(code: str, title: str, points: str) -> dict[str, Any]:
    return {
        "code": code,
        "level": "criterion",
        "title": title,
        "max_points": points,
        "score_source": "appraisal",
        "lead_agency": "Phòng Nội vụ quận Hoàn Kiếm",
    }


DEFINITION: dict[str, Any] = {
    "code": SET_CODE,
    "version": 1,
    "title": "Bộ Chỉ số CCHC cấp xã của quận Hoàn Kiếm (demo)",
    "precision": 2,
    "nodes": [
        {
            "code": "1",
            "level": "area",
            "title": "Công tác chỉ đạo, điều hành",
            "max_points": "3",
            "applies_to": ["commune"],
        },
        _criterion("1.1", "Kế hoạch CCHC năm", "2"),
        _criterion("1.2", "Báo cáo CCHC định kỳ", "1"),
        {
            "code": "2",
            "level": "area",
            "title": "Cải cách thủ tục hành chính",
            "max_points": "5",
            "applies_to": ["commune"],
        },
        _criterion("2.1", "Công khai thủ tục hành chính", "2"),
        _criterion("2.2", "Hồ sơ giải quyết đúng hạn", "3"),
    ],
}


@dataclass(frozen=True)
class DistrictKeys:
    secretariat: SigningKey
    council: dict[str, SigningKey]
    staff: dict[str, SigningKey]
    heads: dict[str, SigningKey]


def district_keys(ledger: Ledger) -> DistrictKeys:
    folder = ledger.settings.keys_dir
    return DistrictKeys(
        secretariat=load_or_create_key(folder / "hk-secretariat.key"),
        council={n: load_or_create_key(folder / f"hk-{n}.key") for n in COUNCIL_FIELDS},
        staff={w: load_or_create_key(folder / f"{w.lower()}-staff.key") for w in WARDS},
        heads={w: load_or_create_key(folder / f"{w.lower()}-head.key") for w in WARDS},
    )


def _setup(ledger: Ledger, admin: SigningKey, keys: DistrictKeys) -> None:
    for code, name in WARDS.items():
        if ledger.unit(code) is None:
            args = {"code": code, "name": name, "kind": "commune", "parent": DISTRICT}
            send(ledger, admin, "register_unit", args)
        for role, key, title in (
            ("unit_staff", keys.staff[code], "Công chức văn phòng"),
            ("unit_head", keys.heads[code], "Chủ tịch UBND phường"),
        ):
            person = {"name": f"{title} — {name}", "title": title, "unit": name}
            enrol_once(ledger, admin, key, {**person, "roles": [{"role": role, "scope": [code]}]})
    office = "Phòng Nội vụ quận Hoàn Kiếm"
    secretariat = {"role": "secretariat", "authority": DISTRICT}
    enrol_once(
        ledger,
        admin,
        keys.secretariat,
        {
            "name": "Ngô Thị Mai",
            "title": "Trưởng phòng Nội vụ, Thường trực Hội đồng quận",
            "unit": office,
            "roles": [secretariat],
        },
    )
    for (member, fields), name in zip(
        COUNCIL_FIELDS.items(), ("Bùi Văn Khải", "Trịnh Thu Trang"), strict=True
    ):
        # one member appointed by the district for the year, the other for the campaign
        grant: dict[str, Any] = {"role": "appraiser", "scope": fields}
        if member == "council-1":
            grant.update(authority=DISTRICT, year=2023)
        else:
            grant["campaigns"] = [CAMPAIGN]
        person = {"name": name, "title": "Thành viên Hội đồng thẩm định quận", "unit": office}
        enrol_once(ledger, admin, keys.council[member], {**person, "roles": [grant]})
    if ledger.indicator_set(SET_CODE, 1) is None:
        send(ledger, keys.secretariat, "define_indicator_set", DEFINITION)
    if ledger.campaign(CAMPAIGN) is None:
        campaign: dict[str, Any] = {
            "code": CAMPAIGN,
            "year": 2023,
            "title": "Xác định Chỉ số CCHC năm 2023 các phường thuộc quận Hoàn Kiếm (demo)",
            "indicator_set": SET_CODE,
            "indicator_set_version": 1,
            "units": list(WARDS),
            "owner": DISTRICT,
            "schedule": {k: v.isoformat() for k, v in SCHEDULE.items()},
            "grade_bands": [{"min": "80", "grade": "Tốt"}, {"min": "0", "grade": "Khá"}],
        }
        send(ledger, keys.secretariat, "create_campaign", campaign)


def _card(ledger: Ledger, ward: str) -> Scorecard:
    card = ledger.scorecard(CAMPAIGN, ward)
    assert card is not None
    return card


def _member(criterion: str) -> str:
    return next(m for m, fields in COUNCIL_FIELDS.items() if criterion.split(".")[0] in fields)


def _at(ledger: Ledger, when: datetime) -> None:
    clock = ledger.clock
    assert isinstance(clock, ManualClock), "the demo runs on a simulated clock"
    clock.set(when)


def run_district(ledger: Ledger, admin: SigningKey) -> None:
    """The district's commune campaign, from its set to its finalisation."""
    keys = district_keys(ledger)
    _at(ledger, local("2024-04-03T09:00"))
    _setup(ledger, admin, keys)
    _at(ledger, local("2024-04-10T10:00"))
    for ward in WARDS:
        card = _card(ledger, ward)
        if card.closed_for_unit:
            continue
        for code, points in SELF_SCORES.items():
            args = {"campaign": CAMPAIGN, "unit": ward, "criterion": code}
            inputs = {"points": points}
            note = "Theo báo cáo CCHC năm 2023 của phường."
            send(
                ledger,
                keys.staff[ward],
                "record_self_score",
                {**args, "inputs": inputs, "explanation": note},
            )
        send(
            ledger, keys.heads[ward], "submit_self_assessment", {"campaign": CAMPAIGN, "unit": ward}
        )
    _at(ledger, local("2024-04-25T09:00"))
    for (ward, code), (points, reason) in CHANGES.items():
        if _card(ledger, ward).entry(code).preliminary is None:
            args = {"campaign": CAMPAIGN, "unit": ward, "criterion": code, "reason": reason}
            send(
                ledger,
                keys.council[_member(code)],
                "record_appraisal",
                {**args, "inputs": {"points": points}},
            )
    _at(ledger, local("2024-05-15T09:00"))
    for ward, code in CHANGES:
        if _card(ledger, ward).entry(code).final is None:
            args = {"campaign": CAMPAIGN, "unit": ward, "criterion": code}
            send(
                ledger,
                keys.council[_member(code)],
                "record_final_appraisal",
                {**args, "decision": "confirm", "reason": "Giữ kết quả thẩm định sơ bộ."},
            )
    _at(ledger, local("2024-05-27T09:00"))
    for ward in WARDS:
        if _card(ledger, ward).accepted_at is None:
            send(
                ledger, keys.secretariat, "accept_self_scores", {"campaign": CAMPAIGN, "unit": ward}
            )
    campaign = ledger.campaign(CAMPAIGN)
    if campaign is not None and campaign.finalised_at is None:
        send(ledger, keys.secretariat, "finalise_campaign", {"campaign": CAMPAIGN})
