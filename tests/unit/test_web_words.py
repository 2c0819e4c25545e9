"""What the pages say: numbers and dates the Vietnamese way, the time left to a deadline,
rules in words, a message for every refusal a person can meet, and who sees what they type."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.http.problems import DOMAIN_INPUT_CODES, STATUS_BY_CODE
from api.web import format as fmt
from api.web.disclosure import notice
from api.web.messages import MESSAGES, message
from api.web.rule_text import describe, inputs, inputs_in_words
from ledger.demo.cycle import RULES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "precision", "shown"),
    [
        ("8.424", 3, "8,424"),
        ("88.54", 2, "88,54"),
        ("1.5", 2, "1,50"),
        ("100", 2, "100,00"),
        ("0", 2, "0,00"),
        ("88.540", 3, "88,54"),
        ("2", 0, "2"),
        (None, 2, "—"),
    ],
)
def test_numbers_have_a_decimal_comma(value: str | None, precision: int, shown: str) -> None:
    assert fmt.number(value, precision) == shown


def test_dates_are_day_month_year_in_the_campaign_s_time_zone() -> None:
    moment = "2023-12-30T10:00:00.000000Z"
    assert fmt.date(moment) == "30/12/2023"
    assert fmt.date_time(moment) == "17:00 ngày 30/12/2023"
    assert fmt.short_date_time(moment) == "30/12/2023 17:00"
    assert fmt.date_time(moment, "Europe/Paris") == "11:00 ngày 30/12/2023"


@pytest.mark.parametrize(
    ("left", "words"),
    [
        (timedelta(days=3, hours=4, minutes=10), "Còn 3 ngày 4 giờ"),
        (timedelta(days=2), "Còn 2 ngày"),
        (timedelta(hours=2, minutes=15), "Còn 2 giờ 15 phút"),
        (timedelta(minutes=40), "Còn 40 phút"),
        (timedelta(seconds=20), "Còn 1 phút"),
        (timedelta(0), "Đã hết hạn"),
        (-timedelta(days=1), "Đã hết hạn"),
    ],
)
def test_time_left(left: timedelta, words: str) -> None:
    now = datetime(2023, 12, 27, 6, 0, tzinfo=UTC)
    assert fmt.time_left(now, now + left) == words


def test_sizes_and_fingerprints() -> None:
    assert fmt.file_size(77) == "77 B"
    assert fmt.file_size(12_800) == "12,5 KB"
    assert fmt.fingerprint("1dddc53b5389eabce602139fc30bbd36") == "1DDD C53B 5389 EABC"


def test_the_page_prints_fingerprints_as_the_server_does() -> None:
    script = (ROOT / "api/web/static/js/ledger-keys.js").read_text()
    assert 'keyId.slice(0, 16).toUpperCase().match(/.{4}/g).join(" ")' in script


def test_rules_in_words() -> None:
    assert describe(RULES["3.4"], "5", 2) == [
        "Tỷ lệ (%) = số đạt yêu cầu ÷ tổng số × 100, làm tròn 2 chữ số thập phân, "
        "rồi tính điểm theo mức:",
        "100 %: 5,00 điểm; từ 95 % đến dưới 100 %: 4,00 điểm; từ 80 % đến dưới 95 %: "
        "2,50 điểm; dưới 80 %: 0,00 điểm.",
    ]
    assert describe(RULES["1.2"], "1", 2) == [
        "Tối đa 1,00 điểm, trừ 0,25 điểm cho mỗi lần; không thấp hơn 0."
    ]
    assert describe({"kind": "free", "step": "0.25"}, "1.5", 2) == [
        "Chấm trực tiếp từ 0 đến 1,50 điểm.",
        "Điểm là bội số của 0,25 (trừ khi bằng điểm tối đa).",
    ]
    assert "0 trên 0): 1,00 điểm" in describe(RULES["3.5"], "2", 2)[0]


def test_the_inputs_a_rule_asks_for() -> None:
    assert [f.name for f in inputs(RULES["3.4"])] == ["numerator", "denominator"]
    assert [f.name for f in inputs(RULES["1.4"])] == ["achieved"]
    assert [f.name for f in inputs(RULES["1.2"])] == ["occurrences"]
    assert [f.name for f in inputs({"kind": "free"})] == ["points"]
    assert inputs_in_words(RULES["3.4"], {"numerator": 1176, "denominator": 1200}, 2) == (
        "1176 / 1200"
    )
    assert inputs_in_words({"kind": "free"}, {"points": "1.5"}, 2) == "1,50"
    assert inputs_in_words(RULES["1.4"], {"achieved": False}, 2) == "Không đạt"


def test_every_refusal_a_person_can_meet_has_a_vietnamese_message() -> None:
    cycle = {
        "already_submitted",
        "deadline_passed",
        "phase_not_open",
        "wrong_phase",
        "not_submitted",
        "not_contested",
        "already_appraised",
        "already_requested",
        "campaign_finalised",
        "out_of_scope",
        "key_revoked",
        "unknown_key",
        "evidence_exists",
        "clock_skew",
    }
    known = (DOMAIN_INPUT_CODES - {"above_cap", "unknown_adjustment", "source_mismatch"}) | cycle
    known |= {code for code in STATUS_BY_CODE if code.startswith(("token", "challenge"))}
    assert known - set(MESSAGES) == set()


def test_messages_name_the_values_of_the_form() -> None:
    assert message("above_maximum", points="2", max="1,50", criterion="1.1") == (
        "Điểm 2 vượt quá điểm tối đa 1,50 của tiêu chí 1.1."
    )
    placeholders = {p for text in MESSAGES.values() for p in re.findall(r"\{(\w+)\}", text)}
    assert placeholders <= {"criterion", "points", "max", "step", "value"}


def test_who_sees_what_is_typed_is_said_from_the_campaign() -> None:
    # a campaign without a policy (created before policies existed) is at_publication
    for campaign in (None, {}, {"disclosure": "at_publication"}):
        assert "chỉ xem được khi kết quả kỳ đánh giá được công bố" in notice(campaign)
    assert "công khai ngay" in notice({"disclosure": "immediate"})
