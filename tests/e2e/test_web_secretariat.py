"""The secretariat's and the publisher's pages in Debian's Chromium: an indicator set
imported from CSV (its problems listed by row first, nothing signed), a campaign created on
it, its progress followed while a unit scores (without reloading) and exported; then, on a
campaign whose deadlines have passed, self-scores accepted and the campaign finalised with
typed confirmations, and the result table reviewed and published with its hash."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.domain.campaign import MILESTONES
from ledger.domain.results import table_sha256
from tests.e2e.public_support import PublishedWorld, published_world
from tests.e2e.test_web_public import shot
from tests.e2e.web_support import person, signed
from tests.world import publication_steps

pytestmark = pytest.mark.browser
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
GOOD = """code,level,title,max_points,score_source,lead_agency
1,area,Chỉ đạo điều hành,2,,
1.1,criterion,Kế hoạch CCHC,1,appraisal,Sở Nội vụ
1.2,criterion,Báo cáo CCHC,1,appraisal,Sở Nội vụ
"""
BONUS = {"code": "T1", "title": "Sáng kiến CCHC", "kind": "bonus", "cap": "1"}
BAD = GOOD.replace("1.2,criterion,Báo cáo CCHC,1,", "1.2,criterion,Báo cáo CCHC,nhiều,")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedWorld]:
    with published_world(tmp_path_factory.mktemp("secretariat") / "home") as built:
        yield built


def staff_member(browser: Browser, world: PublishedWorld, role: str, path: str) -> Page:
    return person(browser, world.live(), f"Người {role}", [{"role": role, "scope": []}], path)


def upload(page: Page, tmp: Path, name: str, text: str) -> None:
    file = tmp / name
    file.write_text(text, "utf-8")
    page.get_by_label("Tệp bộ chỉ số").set_input_files(str(file))
    page.get_by_role("button", name="Xem trước").click()


def test_set_up_a_campaign_and_follow_its_progress(
    browser: Browser, world: PublishedWorld, tmp_path: Path
) -> None:
    page = staff_member(browser, world, "secretariat", "/thiet-lap")
    page.get_by_label("Mã bộ chỉ số").fill("NEW-SET")
    page.get_by_label("Tên bộ chỉ số").fill("Bộ chỉ số nhập từ tệp")
    upload(page, tmp_path, "bad.csv", BAD)
    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("chưa ghi gì vào sổ cái")
    expect(problems.locator("tbody tr").first.locator("td").first).to_have_text("4")
    expect(problems).to_contain_text("điểm tối đa “nhiều” không phải là số")
    shot(page, "setup-import-problems")
    reader = world.api.keys["secretariat"]
    assert "NEW-SET" not in str(world.api.read("/v1/indicator-sets", reader))

    upload(page, tmp_path, "good.csv", GOOD)
    expect(page.locator("#import-ok")).to_contain_text("không có lỗi")
    expect(page.locator("#import-ok tbody tr")).to_have_count(3)
    signed(page, page.get_by_role("button", name="Ký và ghi bộ chỉ số"))
    # the page reloads with the new set offered for a campaign
    expect(page.locator('#c-set option[value="NEW-SET@1"]')).to_have_count(1)

    page.get_by_label("Mã kỳ đánh giá").fill("S2024")
    page.get_by_label("Năm đánh giá").fill("2024")
    page.get_by_label("Tên kỳ đánh giá").fill("Kỳ đánh giá thử năm 2024")
    page.get_by_label("Bộ chỉ số", exact=True).select_option("NEW-SET@1")
    start = world.api.clock.now()
    for n, name in enumerate(MILESTONES):
        moment = (start + timedelta(days=(0, 30, 45, 52, 60)[n])).astimezone(ZONE)
        page.locator(f'input[name="{name}"]').fill(moment.strftime("%Y-%m-%dT%H:%M"))
    shot(page, "setup-campaign")
    signed(page, page.get_by_role("button", name="Ký và tạo kỳ đánh giá"))
    page.wait_for_url(world.url + "/")
    assert "S2024" in str(world.api.read("/v1/campaigns", reader))

    page.goto("/ky/S2024/tien-do")
    d1 = page.locator('tr[data-unit="D1"]')
    expect(d1).to_contain_text("Chưa chấm")
    expect(d1).to_contain_text("0/2")
    world.api.clock.set(start + timedelta(hours=1))
    score = {"campaign": "S2024", "unit": "D1", "criterion": "1.1", "inputs": {"points": "1"}}
    world.api.ok(world.api.keys["staff"], "record_self_score", {**score, "explanation": "KH 5"})
    expect(d1).to_contain_text("1/2", timeout=15_000)  # the table refreshed itself
    expect(d1).to_contain_text("Chưa gửi")
    shot(page, "progress")
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải CSV").click()
    rows = list(csv.DictReader(io.StringIO(got.value.path().read_text("utf-8-sig"))))
    assert {r["Mã đơn vị"]: r["Số tiêu chí đã chấm"] for r in rows}["D1"] == "1"
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải XLSX").click()
    assert got.value.path().read_bytes()[:2] == b"PK"
    assert page.problems == []  # type: ignore[attr-defined]


def test_settle_finalise_and_publish(browser: Browser, world: PublishedWorld) -> None:
    api = world.api
    code = "Q2022"
    keys = {**api.keys, "admin": api.admin}
    for role, command_type, args in publication_steps(code, api.clock.now(), ("D1", "S1")):
        if command_type == "create_campaign":
            args = {**args, "adjustments": [BONUS]}
        if command_type in ("create_campaign", "record_external_score"):
            api.ok(keys[role], command_type, args)
    page = staff_member(browser, world, "secretariat", f"/ky/{code}/tong-hop")
    form = page.locator('form[data-unit="D1"]')
    form.get_by_label("Gõ mã đơn vị").fill("D2")
    form.get_by_role("button", name="Ký chấp nhận").click()
    expect(form.locator('[data-error-for="confirm"]')).to_contain_text("Mã xác nhận chưa đúng")
    form.get_by_label("Gõ mã đơn vị").fill("D1")
    signed(page, form.get_by_role("button", name="Ký chấp nhận"))
    page.wait_for_load_state()
    page.goto(f"/ky/{code}/tong-hop")
    form = page.locator('form[data-unit="S1"]')
    form.get_by_label("Gõ mã đơn vị").fill("S1")
    signed(page, form.get_by_role("button", name="Ký chấp nhận"))
    page.goto(f"/ky/{code}/tong-hop")
    expect(page.get_by_text("Mọi đơn vị đã được tổng hợp điểm.")).to_be_visible()
    bonus = page.locator('form[data-sign="record_adjustment"]')
    bonus.get_by_label("Đơn vị").select_option("D1")
    bonus.get_by_label("Số điểm").fill("0,5")
    bonus.get_by_role("button", name="Ký và ghi").click()
    expect(bonus.locator('[data-error-for="reason"]')).to_contain_text("lý do")
    bonus.get_by_label("Lý do").fill("Sáng kiến một cửa liên thông")
    signed(page, bonus.get_by_role("button", name="Ký và ghi"))
    page.goto(f"/ky/{code}/tong-hop")
    page.get_by_label("Gõ mã kỳ đánh giá").fill(code)
    signed(page, page.get_by_role("button", name="Ký và hoàn tất"))
    page.goto(f"/ky/{code}/tong-hop")
    expect(page.get_by_text("Đã hoàn tất", exact=True)).to_be_visible()

    publisher = staff_member(browser, world, "publisher", f"/ky/{code}/cong-bo")
    reviewed = api.read(f"/v1/campaigns/{code}/results/preview", keys["publisher"])
    expect(publisher.locator("#table-sha256")).to_have_text(reviewed["table_sha256"])
    assert table_sha256(reviewed["table"]) == reviewed["table_sha256"]
    shot(publisher, "publish-review")
    publisher.get_by_label("Gõ mã kỳ đánh giá").fill(code)
    signed(publisher, publisher.get_by_role("button", name="Ký và công bố"))
    publisher.wait_for_url(f"**/cong-bo/{code}")
    expect(publisher.locator("body")).to_contain_text(reviewed["table_sha256"])
    published = api.client.get(f"/v1/campaigns/{code}/publications").json()["items"]
    assert published[-1]["table_sha256"] == reviewed["table_sha256"]
    d1 = next(u for u in reviewed["table"]["units"] if u["unit"] == "D1")
    assert d1["adjustment"] == "0.5"
