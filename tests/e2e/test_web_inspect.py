"""The inspectors' pages in Debian's Chromium: the trace explorer filtered by role and
exported (the CSV and XLSX files read back), what changed after the self-assessment with the
reasons side by side, and a scorecard as it stood at a chosen moment; a campaign's trace
needs a signed-in reader until its results are published."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.e2e.public_support import CODE, PublishedWorld, published_world
from tests.e2e.test_web_public import shot
from tests.e2e.web_support import person
from tests.world import START

pytestmark = pytest.mark.browser
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SCORED = START + timedelta(days=2)
APPRAISED = SCORED + timedelta(hours=2)
CARD = {"campaign": "C2023", "unit": "D1"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedWorld]:
    with published_world(tmp_path_factory.mktemp("inspect") / "home") as built:
        api = built.api
        api.clock.set(SCORED)
        one = {
            **CARD,
            "criterion": "1.1",
            "inputs": {"points": "1"},
            "explanation": "Kế hoạch số 5",
        }
        api.ok(api.keys["staff"], "record_self_score", one)
        api.ok(api.keys["head"], "submit_self_assessment", CARD)
        api.clock.set(APPRAISED)
        half = {**CARD, "criterion": "1.1", "inputs": {"points": "0.5"}, "reason": "Ban hành muộn"}
        api.ok(api.keys["appraiser"], "record_appraisal", half)
        yield built


def inspector(browser: Browser, world: PublishedWorld, path: str) -> Page:
    roles = [{"role": "inspector", "scope": []}]
    return person(browser, world.live(), "Trần Thanh Tra", roles, quote(path, safe="/"))


def test_the_trace_filtered_by_role_and_exported(browser: Browser, world: PublishedWorld) -> None:
    page = inspector(browser, world, "/ky/C2023/tra-cuu")
    expect(page.locator("h1")).to_have_text("Tra cứu lịch sử điểm")
    rows = page.locator("table.trace tbody tr")
    expect(rows.filter(has_text="Kế hoạch số 5")).to_have_count(1)
    page.get_by_label("Vai trò").select_option(label="Thành viên Hội đồng thẩm định")
    page.get_by_label("Đơn vị").select_option("D1")
    page.get_by_role("button", name="Lọc").click()
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text("Ban hành muộn")
    expect(row).to_contain_text("1,00 → 0,50")
    expect(row).to_contain_text("appraiser")  # the enrolled name
    expect(row).to_contain_text("Chữ ký hợp lệ")
    proof = row.get_by_role("link", name="bằng chứng").get_attribute("href") or ""
    answer = httpx.get(world.url + proof)
    assert answer.status_code == 200, answer.text
    assert answer.json()["index"] < answer.json()["size"]
    shot(page, "inspect-trace")

    with page.expect_download() as got:
        page.get_by_role("link", name="Tải CSV").click()
    text = got.value.path().read_text("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [(r["criterion"], r["role"], r["to_points"], r["why"]) for r in table] == [
        ("1.1", "appraiser", "0.50", "Ban hành muộn")
    ]
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải XLSX").click()
    book = load_workbook(io.BytesIO(got.value.path().read_bytes()))
    cells = [
        [c for c in row if c is not None] for row in book.worksheets[0].iter_rows(values_only=True)
    ]
    found = [r for r in cells if "Ban hành muộn" in r]
    assert len(found) == 1, cells
    assert "hợp lệ" in found[0]
    assert not any("Kế hoạch số 5" in r for r in cells)  # filtered out
    assert page.problems == []  # type: ignore[attr-defined]


def test_what_changed_after_the_self_assessment(browser: Browser, world: PublishedWorld) -> None:
    page = inspector(browser, world, "/ky/C2023/tra-cuu/thay-doi?unit=D1")
    row = page.locator('tr[data-criterion="1.1"]')
    expect(row).to_contain_text("Kế hoạch số 5")
    expect(row).to_contain_text("Ban hành muộn")
    expect(row).to_contain_text("Khác điểm tự đánh giá")
    shot(page, "inspect-changes")


def test_a_scorecard_as_it_stood(browser: Browser, world: PublishedWorld) -> None:
    between = (SCORED + timedelta(hours=1)).astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")
    page = inspector(browser, world, f"/ky/C2023/tai-thoi-diem?at={between}&unit=D1")
    leaf = page.locator("table tbody tr", has_text="1.1")
    expect(leaf.locator("td").last).to_have_text("1,00")
    expect(page.locator("#as-of-point")).to_contain_text("vị trí")
    later = (APPRAISED + timedelta(minutes=5)).astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Thời điểm").fill(later)
    page.get_by_role("button", name="Xem").click()
    expect(leaf.locator("td").last).to_have_text("0,50")
    shot(page, "inspect-as-of")
    page.get_by_label("Đơn vị").select_option("")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("heading", name="Bảng xếp hạng")).to_be_visible()


def test_who_may_read_a_trace(world: PublishedWorld) -> None:
    with httpx.Client(base_url=world.url) as client:
        hidden = client.get("/ky/C2023/tra-cuu")
        assert hidden.status_code in (303, 307)
        assert "/dang-nhap" in hidden.headers["location"]
        public = client.get(f"/ky/{CODE}/tra-cuu", params={"role": "survey_body"})
        assert public.status_code == 200
        assert "Báo cáo điều tra xã hội học" in public.text
        wrong = client.get(f"/ky/{CODE}/tra-cuu", params={"since": "2023-13-45"})
        assert 'data-error-for="since"' in wrong.text
