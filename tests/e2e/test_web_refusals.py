"""Refusals shown in Vietnamese next to the field at fault, with nothing typed lost and
nothing recorded: a score above the maximum, a second submission, acting after a deadline,
and a council member acting outside their field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.web_support import (
    CAMPAIGN,
    SELF_CLOSES,
    LiveServer,
    campaign,
    error_for,
    live_server,
    person,
    shot,
)

pytestmark = pytest.mark.browser
SHEET = f"/ky/{CAMPAIGN}/don-vi/D1"
STAFF = [{"role": "unit_staff", "scope": ["D1"]}]
HEAD = [{"role": "unit_head", "scope": ["D1"]}]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(f"sqlite:///{tmp_path}/ledger.sqlite3", tmp_path / "home") as server:
        campaign(server)
        yield server


def test_a_score_above_the_maximum(browser: Browser, live: LiveServer) -> None:
    staff = person(browser, live, "Nguyễn Thị Thu", STAFF, SHEET)
    staff.get_by_role("link", name="Chi tiết tiêu chí 1.1").click()
    panel = staff.locator("#panel")
    points = panel.get_by_label("Điểm", exact=True)
    points.fill("2")
    panel.get_by_label("Ghi chú").fill("Ghi chú không được mất")
    before = live.api.position()
    panel.get_by_role("button", name="Ký và ghi điểm").click()
    expect(error_for(panel, "inputs.points")).to_have_text(
        "Điểm 2 vượt quá điểm tối đa 1,00 của tiêu chí 1.1."
    )
    expect(points).to_have_value("2")
    expect(points).to_have_attribute("aria-invalid", "true")
    expect(panel.get_by_label("Ghi chú")).to_have_value("Ghi chú không được mất")
    assert live.api.position() == before
    shot(staff, "20-tu-choi-vuot-diem-toi-da")


def test_a_second_submission(browser: Browser, live: LiveServer) -> None:
    staff_key = live.api.enrol("staff", STAFF)
    live.api.ok(
        staff_key,
        "record_self_score",
        {
            "campaign": CAMPAIGN,
            "unit": "D1",
            "criterion": "1.3",
            "inputs": {"achieved": True},
            "explanation": "Có kế hoạch tuyên truyền.",
        },
    )
    head = person(browser, live, "Trần Văn Hùng", HEAD, f"{SHEET}/gui")
    second = head.context.new_page()
    second.goto(f"{SHEET}/gui")
    head.get_by_label("Gõ mã đơn vị").fill("D1")
    head.get_by_role("button", name="Ký và gửi kết quả tự chấm").click()
    expect(head.get_by_text("Đơn vị đã gửi kết quả tự chấm lúc")).to_be_visible()
    before = live.api.position()
    second.get_by_label("Gõ mã đơn vị").fill("D1")
    second.get_by_role("button", name="Ký và gửi kết quả tự chấm").click()
    expect(error_for(second, "_form")).to_have_text(
        "Đơn vị đã gửi kết quả tự chấm; kết quả chỉ gửi một lần và không sửa được nữa."
    )
    assert live.api.position() == before
    shot(second, "21-tu-choi-gui-lan-hai")


def test_a_wrong_confirmation_code_submits_nothing(browser: Browser, live: LiveServer) -> None:
    head = person(browser, live, "Trần Văn Hùng", HEAD, f"{SHEET}/gui")
    expect(head.get_by_role("heading", name="4 tiêu chí chưa chấm")).to_be_visible()
    head.get_by_label("Gõ mã đơn vị").fill("D2")
    head.get_by_role("button", name="Ký và gửi kết quả tự chấm (0/4 tiêu chí)").click()
    expect(error_for(head, "confirm")).to_have_text("Mã xác nhận chưa đúng: hãy gõ đúng mã đơn vị.")


def test_acting_after_the_deadline(browser: Browser, live: LiveServer) -> None:
    staff = person(browser, live, "Nguyễn Thị Thu", STAFF, SHEET)
    staff.get_by_role("link", name="Chi tiết tiêu chí 1.1").click()
    panel = staff.locator("#panel")
    panel.get_by_label("Điểm", exact=True).fill("0,5")
    live.clock.set(SELF_CLOSES + timedelta(minutes=5))
    panel.get_by_role("button", name="Ký và ghi điểm").click()
    expect(error_for(panel, "_form")).to_contain_text("Đã quá hạn cho việc này")
    expect(panel.get_by_label("Điểm", exact=True)).to_have_value("0,5")
    shot(staff, "22-tu-choi-qua-han")
    staff.reload()
    # the refusal records nothing (ADR 10): the sheet says the deadline passed
    expect(staff.get_by_text("Đã hết hạn tự đánh giá")).to_be_visible()


def test_a_council_member_outside_their_field(browser: Browser, live: LiveServer) -> None:
    head = live.api.enrol("head", HEAD)
    live.api.ok(head, "submit_self_assessment", {"campaign": CAMPAIGN, "unit": "D1"})
    member = person(
        browser,
        live,
        "Lê Thị Mai",
        [{"role": "appraiser", "scope": ["2"]}],
        f"/ky/{CAMPAIGN}/tham-dinh/D1",
    )
    expect(member.get_by_role("link", name="Thẩm định tiêu chí 1.1")).to_have_count(0)
    member.goto(f"/ky/{CAMPAIGN}/tham-dinh/D1/tieu-chi/1.1")
    expect(member.get_by_text("không thuộc lĩnh vực thẩm định của ông/bà (2)")).to_be_visible()
    expect(member.get_by_role("button", name="Ký và ghi điểm thẩm định lần 1")).to_have_count(0)
    # a page altered to sign for a criterion outside the field: the ledger refuses it
    member.goto(f"/ky/{CAMPAIGN}/tham-dinh/D1/tieu-chi/2.1")
    form = member.locator('form[data-act="record_appraisal"]')
    form.evaluate("form => { form.dataset.criterion = '1.1'; }")
    before = live.api.position()
    member.get_by_label("Số lần bị trừ điểm").fill("0")
    member.get_by_label("Lý do").fill("Không có thủ tục công bố chậm.")
    member.get_by_role("button", name="Ký và ghi điểm thẩm định lần 1").click()
    expect(error_for(form, "_form")).to_have_text(
        "Khóa của ông/bà không có quyền làm việc này với đơn vị hoặc tiêu chí này "
        "(ngoài phạm vi được giao)."
    )
    assert live.api.position() == before
    shot(member, "23-tu-choi-ngoai-linh-vuc")
