"""The survey body's pages in a browser: a SIPAS answer file with bad rows is refused row by
row in Vietnamese and nothing is recorded; a good one is previewed and signed; its results
page shows the question table with last year's value, the target and the gap, and a chart
per element; the unit's card takes the points."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from ledger.demo.surveys import sipas_answers, sipas_definition
from tests.e2e.web_support import LiveServer, live_server, person, shot, signed
from tests.world import schedule

pytestmark = pytest.mark.browser
SIPAS_SET = {
    "code": "S-SET",
    "version": 1,
    "title": "Bộ chỉ số có SIPAS",
    "precision": 3,
    "nodes": [
        {"code": "1", "level": "area", "title": "Chỉ đạo điều hành", "max_points": "1"},
        {
            "code": "1.1",
            "level": "criterion",
            "title": "Kế hoạch CCHC",
            "max_points": "1",
            "score_source": "appraisal",
        },
        {"code": "8", "level": "area", "title": "Sự hài lòng", "max_points": "10"},
        {
            "code": "8.1",
            "level": "criterion",
            "title": "Chỉ số hài lòng (SIPAS)",
            "max_points": "10",
            "score_source": "sipas",
        },
    ],
}
SURVEY = "HN-SIPAS-2022"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(f"sqlite:///{tmp_path}/ledger.sqlite3", tmp_path / "home") as server:
        server.api.ok(server.admin, "define_indicator_set", SIPAS_SET)
        server.api.ok(
            server.admin,
            "create_campaign",
            {
                "code": "C-SIPAS",
                "year": 2022,
                "title": "Kỳ đánh giá có SIPAS",
                "indicator_set": "S-SET",
                "indicator_set_version": 1,
                "units": ["D1"],
                "schedule": schedule(),
            },
        )
        yield server


def test_upload_check_preview_sign_and_see_the_results(
    browser: Browser, live: LiveServer, tmp_path: Path
) -> None:
    body = person(browser, live, "Lê Minh Châu", [{"role": "survey_body", "scope": []}])
    key = live.api.enrol("survey", [{"role": "survey_body", "scope": []}])
    live.api.ok(key, "define_survey", sipas_definition("C-SIPAS", "D1"))

    bad = tmp_path / "sai.csv"
    bad.write_text("respondent,unit,question,answer,phone\nR1,D1,I.1,4,0912\n", encoding="utf-8")
    # the survey body's home page: the campaign, its survey and the task of importing answers
    body.goto("/")
    task = body.get_by_role("link", name=f"{SURVEY}: chưa nhập tệp phiếu trả lời")
    expect(body.locator("section.campaign", has_text="C-SIPAS")).to_contain_text(
        "chưa có phiếu ghi nhận"
    )
    shot(body, "39-trang-chu-co-quan-dieu-tra")
    task.click()
    expect(body).to_have_url(f"{live.url}/dieu-tra/{SURVEY}/nhap")
    before = live.api.position()
    body.get_by_label("Tệp phiếu").set_input_files(str(bad))
    body.get_by_role("button", name="Kiểm tra và tính thử").click()
    errors = body.locator("#loi-dong")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("không được có cột «phone»")
    assert live.api.position() == before
    shot(body, "40-dieu-tra-tep-sai")

    bad.write_text(
        "respondent,unit,question,answer\nR1,D1,I.1,6\nR1,HP,I.2,4\nR1,D1,IX.9,4\n"
        "R2,D1,I.1,4\nR2,D1,I.1,5\n",
        encoding="utf-8",
    )
    body.get_by_label("Tệp phiếu").set_input_files(str(bad))
    body.get_by_role("button", name="Kiểm tra và tính thử").click()
    expect(errors.locator("tbody tr")).to_have_count(4)
    expect(errors.locator("tbody tr").last).to_contain_text(
        "người trả lời này đã trả lời câu I.1 ở một dòng trước"
    )
    expect(errors).to_contain_text("«6» không phải phương án trả lời")
    expect(errors).to_contain_text("«HP» không phải đơn vị được đánh giá")

    good = tmp_path / "phieu.csv"
    good.write_bytes(sipas_answers("D1"))
    body.get_by_label("Tệp phiếu").set_input_files(str(good))
    body.get_by_role("button", name="Kiểm tra và tính thử").click()
    preview = body.locator("#xem-truoc")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("tiêu chí 8.1: 8,709 điểm")
    shot(body, "41-dieu-tra-tinh-thu")
    signed(body, body.get_by_role("button", name="Ký và ghi nhận lô phiếu"))

    # the campaign's home page leads to the survey
    body.goto("/")
    home = body.locator("section.campaign", has_text="C-SIPAS")
    expect(home).to_contain_text("1 lô phiếu đã ghi nhận")
    home.get_by_role(
        "link", name=f"Chỉ số hài lòng về sự phục vụ hành chính năm 2022 ({SURVEY})"
    ).click()
    expect(body.locator("h1")).to_contain_text("Chỉ số hài lòng")
    expect(body.locator("table").first).to_contain_text("87,09")
    expect(body.locator("figure.chart")).to_have_count(5)
    # each bar: this year's value, last year's (a circle) and the target (a marked line),
    # in words too; Hanoi's plan has both for every question
    first = body.locator("figure.chart").first
    expect(first.locator("figcaption")).to_contain_text("Năm trước 89,28 % · chỉ tiêu 91,00 %")
    expect(first.locator("circle")).to_have_count(4)
    expect(first.locator("polygon")).to_have_count(4)
    expect(first).to_contain_text("năm trước 89,23 % · chỉ tiêu 91,00 %")
    expect(first).to_contain_text("dưới chỉ tiêu")
    body.set_viewport_size({"width": 1280, "height": 2000})
    expect(body.locator("dl.facts")).to_contain_text("1 (đã khóa: đã có phiếu ghi nhận)")
    shot(body, "42-dieu-tra-ket-qua")
    body.set_viewport_size({"width": 1280, "height": 900})
    body.locator("figure.chart").first.scroll_into_view_if_needed()
    shot(body, "43-dieu-tra-bieu-do")
    assert "R0001" not in body.content()
    assert not body.problems  # type: ignore[attr-defined]

    # the unit's sheet: the criterion scored from the survey leads to its results
    staff = person(browser, live, "Phạm Thu Hà", [{"role": "unit_staff", "scope": ["D1"]}])
    staff.goto("/ky/C-SIPAS/don-vi/D1")
    row = staff.locator("#dong-8\\.1")
    expect(row).to_contain_text("Điểm từ Chỉ số hài lòng SIPAS: xem kết quả")
    shot(staff, "44-bang-diem-sipas")
    row.get_by_role("link", name="xem kết quả").click()
    expect(staff.locator("h1")).to_contain_text("Chỉ số hài lòng")
    staff.goto("/ky/C-SIPAS/don-vi/D1/tieu-chi/8.1")
    expect(staff.get_by_text("Điểm từ Chỉ số hài lòng SIPAS: xem kết quả")).to_be_visible()
    other = person(browser, live, "Ngô Văn Tư", [{"role": "secretariat", "scope": []}])
    other.goto("/ky/C-SIPAS/tien-do")
    expect(other.get_by_role("link", name=f"({SURVEY}) — xem kết quả")).to_have_attribute(
        "href", f"/dieu-tra/{SURVEY}"
    )
    card = live.api.read("/v1/campaigns/C-SIPAS/scorecards/D1", key)
    assert "'8': {'points': '8.709'" in str(card)
