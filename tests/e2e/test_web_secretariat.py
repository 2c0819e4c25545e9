"""The secretariat's and the publisher's pages in Debian's Chromium: an indicator set
imported from CSV (its problems listed by row first, nothing signed), a campaign created on
it, its progress followed while a unit scores (without reloading) and exported; then, on a
campaign whose deadlines have passed, self-scores accepted and the campaign finalised with
typed confirmations, and the result table reviewed and published with its hash."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from ledger.domain.campaign import MILESTONES
from ledger.domain.results import table_sha256
from tests.e2e.public_support import PublishedWorld, published_world
from tests.e2e.test_web_public import shot
from tests.e2e.web_support import error_for, person, signed
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


def fill_campaign(page: Page, world: PublishedWorld, code: str, indicator_set: str) -> datetime:
    page.get_by_label("Mã kỳ đánh giá").fill(code)
    page.get_by_label("Năm đánh giá").fill("2024")
    page.get_by_label("Tên kỳ đánh giá").fill(f"Kỳ đánh giá thử {code}")
    page.get_by_label("Bộ chỉ số", exact=True).select_option(indicator_set)
    start = world.api.clock.now()
    for n, name in enumerate(MILESTONES):
        moment = (start + timedelta(days=(0, 30, 45, 52, 60)[n])).astimezone(ZONE)
        page.locator(f'input[name="{name}"]').fill(moment.strftime("%Y-%m-%dT%H:%M"))
    return start


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

    # a secretariat key may not update the unit registry: the groups are shown, not editable
    expect(page.locator('input[name="group.D2"]')).to_have_js_property("readOnly", True)
    expect(page.locator("#group-hint")).to_contain_text("Chỉ quản trị hệ thống được sửa nhóm")
    start = fill_campaign(page, world, "S2024", "NEW-SET@1")
    expect(page.locator("#setup-summary")).to_have_text(
        "Sẽ ký 1 lệnh: tạo kỳ đánh giá gồm 3 đơn vị (nhóm “department”: 1; nhóm “district”: 2)."
    )
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
        page.get_by_role("link", name="Tải CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(got.value.path().read_text("utf-8-sig"))))
    assert {r["Mã đơn vị"]: r["Số tiêu chí đã chấm"] for r in rows}["D1"] == "1"
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải XLSX", exact=True).click()
    assert got.value.path().read_bytes()[:2] == b"PK"

    # the unit submits; an appraiser changes 1.1 in the first round (so it awaits the final
    # round too): done and still to do per
    # member and round, and the explanation now pending, without reloading the page
    world.api.ok(
        world.api.keys["head"], "submit_self_assessment", {"campaign": "S2024", "unit": "D1"}
    )
    member = page.locator(f'#council-progress tr[data-key="{world.api.keys["appraiser"].key_id}"]')
    expect(member.locator("td")).to_have_text(["1", "0", "2", "0", "0"], timeout=15_000)
    appraisal = {**score, "inputs": {"points": "0.5"}, "reason": "Kế hoạch ban hành muộn"}
    world.api.ok(world.api.keys["appraiser"], "record_appraisal", appraisal)
    world.api.clock.set(start + timedelta(days=31))  # the first round of appraisal
    expect(member.locator("td")).to_have_text(["1", "1", "1", "0", "1"], timeout=15_000)
    expect(page.locator("#explanations-pending")).to_have_text(
        "giải trình đang chờ: 1 tiêu chí ở 1 đơn vị"
    )
    expect(d1.locator("td").last).to_have_text("1")
    shot(page, "progress-council")
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải CSV theo thành viên").click()
    members = list(csv.DictReader(io.StringIO(got.value.path().read_text("utf-8-sig"))))
    mine = next(r for r in members if r["Thành viên"] == "appraiser")
    assert (mine["Đã thẩm định lần 1 (sơ bộ)"], mine["Còn lần 1"]) == ("1", "1")
    assert (mine["Đã thẩm định lần 2 (cuối cùng)"], mine["Lĩnh vực"]) == ("0", "1")
    with page.expect_download() as got:
        page.get_by_role("link", name="Tải XLSX theo thành viên").click()
    sheet = load_workbook(io.BytesIO(got.value.path().read_bytes())).worksheets[0]
    assert any(row[:1] == ("appraiser",) for row in sheet.iter_rows(values_only=True))
    assert page.problems == []  # type: ignore[attr-defined]


def test_ranking_groups_are_set_in_the_unit_registry_before_the_campaign(
    browser: Browser, world: PublishedWorld
) -> None:
    api = world.api
    page = person(
        browser,
        world.live(),
        "Người quản trị và thường trực",
        [{"role": "administrator", "scope": []}, {"role": "secretariat", "scope": []}],
        "/thiet-lap",
    )
    fill_campaign(
        page, world, "G2024", page.locator("#c-set option").first.get_attribute("value") or ""
    )
    page.locator("#u-S1").uncheck()
    group = page.get_by_label("Nhóm xếp hạng của Đơn vị D2")
    group.fill("")
    page.get_by_role("button", name="Ký và tạo kỳ đánh giá").click()
    expect(error_for(page, "group.D2")).to_have_text("Hãy ghi nhóm xếp hạng của đơn vị này.")
    campaigns = str(api.read("/v1/campaigns", api.keys["secretariat"]))
    assert "G2024" not in campaigns
    group.fill("Thị xã")
    expect(page.locator("#setup-summary")).to_have_text(
        "Sẽ ký 2 lệnh: cập nhật nhóm xếp hạng của 1 đơn vị trong danh mục, rồi tạo kỳ đánh giá "
        "gồm 2 đơn vị (nhóm “Thị xã”: 1; nhóm “district”: 1)."
    )
    shot(page, "setup-ranking-groups")
    signed(page, page.get_by_role("button", name="Ký và tạo kỳ đánh giá"))
    page.wait_for_url(world.url + "/")
    units = {u["code"]: u for u in api.read("/v1/units", api.keys["secretariat"])["items"]}
    assert units["D2"]["ranking_group"] == "Thị xã"
    assert units["D1"]["ranking_group"] == "district"  # unchanged, so not signed again
    created = api.read("/v1/campaigns/G2024", api.keys["secretariat"])
    assert created["units"] == ["D1", "D2"]
    page.goto("/ky/G2024/tien-do")
    expect(page.locator('tr[data-unit="D2"]')).to_contain_text("Thị xã")


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
    # no self-score was recorded before the deadlines passed: both leaves are settled at 0
    expect(form.locator(".confirm-summary")).to_have_text(
        "Sẽ ký: lấy điểm tự chấm của 2 tiêu chí chưa được thẩm định làm điểm cuối cùng của D1,"
        " tổng 0,00 điểm (1.1: 0,00; 1.2: 0,00)."
    )
    early = page.locator("#finalise-waiting")
    expect(early).to_contain_text("Còn 2 đơn vị chưa được tổng hợp (D1, S1)")
    shot(page, "settle-accept")
    # finalising now is refused by the ledger, in words, beside the form; nothing recorded
    finalise = page.locator('form[data-sign="finalise_campaign"]')
    finalise.get_by_label("Gõ mã kỳ đánh giá").fill(code)
    finalise.get_by_role("button", name="Ký và hoàn tất").click()
    expect(error_for(finalise, "_form")).to_have_text(
        "Còn đơn vị chưa được tổng hợp điểm: hãy chấp nhận điểm tự chấm hoặc thẩm định hết"
        " trước khi hoàn tất."
    )
    status = api.read(f"/v1/campaigns/{code}", keys["secretariat"])
    assert not status.get("finalised_at")
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
    bonus.get_by_label("Số điểm").fill("5")
    bonus.get_by_role("button", name="Ký và ghi").click()  # the ledger refuses: above its cap
    expect(error_for(bonus, "points")).to_have_text(
        "Số điểm 5 vượt quá mức tối đa 1 của khoản thưởng, trừ này."
    )
    bonus.get_by_label("Số điểm").fill("0,5")
    summary = bonus.locator("#adjust-summary")
    expect(summary).to_have_text(
        "Sẽ ký: ghi điểm thưởng T1 “Sáng kiến CCHC” +0,5 điểm (tối đa 1) cho đơn vị D1."
    )
    signed(page, bonus.get_by_role("button", name="Ký và ghi"))
    page.goto(f"/ky/{code}/tong-hop")
    bonus = page.locator('form[data-sign="record_adjustment"]')
    bonus.get_by_label("Số điểm").fill("0,25")
    expect(bonus.locator("#adjust-summary")).to_have_text(
        "Sẽ ký: ghi điểm thưởng T1 “Sáng kiến CCHC” +0,25 điểm (tối đa 1) cho đơn vị D1,"
        " thay 0,5 điểm đã ghi cho khoản này."
    )
    # finalising names every unit it settles, with the totals the result table will hold
    before = api.read(f"/v1/campaigns/{code}/results/preview", keys["publisher"])["table"]
    expect(page.locator("#finalise-summary")).to_contain_text("chốt điểm cuối cùng của 2 đơn vị")
    places = int(before["precision"])
    for unit in before["units"]:
        row = page.locator(f'#finalise-table tr[data-unit="{unit["unit"]}"] td')
        total = f"{Decimal(unit['total']):.{places}f}".replace(".", ",")
        expect(row.nth(2)).to_have_text(total)
    expect(page.locator("#finalise-waiting")).to_have_count(0)
    shot(page, "settle-finalise")
    page.get_by_label("Gõ mã kỳ đánh giá").fill(code)
    signed(page, page.get_by_role("button", name="Ký và hoàn tất"))
    page.goto(f"/ky/{code}/tong-hop")
    expect(page.get_by_text("Đã hoàn tất", exact=True)).to_be_visible()

    publisher = staff_member(browser, world, "publisher", f"/ky/{code}/cong-bo")
    reviewed = api.read(f"/v1/campaigns/{code}/results/preview", keys["publisher"])
    expect(publisher.locator("#table-sha256")).to_have_text(reviewed["table_sha256"])
    assert table_sha256(reviewed["table"]) == reviewed["table_sha256"]
    expect(publisher.locator("#publish-summary")).to_have_text(
        "Sẽ ký: công bố cho mọi người bảng kết quả của 2 đơn vị trong 2 nhóm xếp hạng như trên"
        f" (lần công bố thứ 1), kèm mã băm {reviewed['table_sha256'][:16]}… của bảng."
    )
    shot(publisher, "publish-review")
    publisher.get_by_label("Gõ mã kỳ đánh giá").fill(code)
    signed(publisher, publisher.get_by_role("button", name="Ký và công bố"))
    publisher.wait_for_url(f"**/cong-bo/{code}")
    expect(publisher.locator("body")).to_contain_text(reviewed["table_sha256"])
    published = api.client.get(f"/v1/campaigns/{code}/publications").json()["items"]
    assert published[-1]["table_sha256"] == reviewed["table_sha256"]
    d1 = next(u for u in reviewed["table"]["units"] if u["unit"] == "D1")
    assert d1["adjustment"] == "0.5"
