"""A whole assessment cycle through the web pages only, in Debian's Chromium, on PostgreSQL:
three people ask for keys in their own browsers and the administrator enrols them from the
admin page with their browser key; the unit's staff score leaves under four rules, upload and
attach evidence; the head submits; a council member appraises (one leaf changed, one with an
explanation request); the staff explain with a supplementary file; the council member records
the final scores; the sheet shows the final totals; ``parledger verify`` passes afterwards.
Screenshots of every screen are kept under test-artifacts/."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.web_support import (
    CAMPAIGN,
    EXPLANATION_CLOSES,
    PDF,
    PRELIMINARY_CLOSES,
    LiveServer,
    campaign,
    import_key,
    live_server,
    new_person,
    shot,
    sign_in,
    signed,
)

pytestmark = [pytest.mark.postgres, pytest.mark.browser]
SHEET = f"/ky/{CAMPAIGN}/don-vi/D1"


def ask_for_key(page: Page, name: str, title: str, role: str, scope: str) -> str:
    """Fill the enrolment form; the fingerprint the page shows to read aloud."""
    page.goto("/khoa/dang-ky")
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Chức vụ").fill(title)
    page.get_by_label("Cơ quan, đơn vị công tác").fill("UBND huyện Đông Anh")
    page.get_by_label("Vai trò đề nghị").select_option(label=role)
    if role == "Thành viên Hội đồng thẩm định":
        page.get_by_label("Lĩnh vực, tiêu chí thẩm định").fill(scope)
    else:
        page.get_by_label("Đơn vị được đánh giá").select_option(scope)
    page.get_by_role("button", name="Tạo khóa và gửi yêu cầu cấp").click()
    expect(page.get_by_role("heading", name="Đã gửi yêu cầu cấp khóa")).to_be_visible()
    return page.locator("#enrol-facts dd").first.inner_text()


def open_leaf(page: Page, link: str) -> None:
    page.get_by_role("link", name=link).click()
    expect(page.locator("#panel h2")).to_be_focused()


def test_a_whole_cycle_through_the_pages(browser: Browser, pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with live_server(pg_url, home) as live:
        campaign(live)
        run_cycle(browser, live)
        position = live.api.position()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEDGER_")}
    env.update(
        PARLEDGER_DATABASE_URL=pg_url, PARLEDGER_HOME=str(home), PARLEDGER_LEDGER_NAME="test-ledger"
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "parledger"), "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{position} events" in result.stdout or "ok:" in result.stdout, result.stdout


def run_cycle(browser: Browser, live: LiveServer) -> None:
    # -- three people ask for keys, each in their own browser ---------------------------
    staff_context, staff = new_person(browser, live)
    head_context, head = new_person(browser, live)
    member_context, member = new_person(browser, live)
    admin_context, admin = new_person(browser, live)
    asked = {
        "Nguyễn Thị Thu": ask_for_key(
            staff, "Nguyễn Thị Thu", "Chuyên viên", "Cán bộ đầu mối", "D1"
        ),
        "Trần Văn Hùng": ask_for_key(
            head, "Trần Văn Hùng", "Chủ tịch UBND huyện", "Thủ trưởng đơn vị", "D1"
        ),
        "Lê Thị Mai": ask_for_key(
            member, "Lê Thị Mai", "Phó Giám đốc Sở Nội vụ", "Thành viên Hội đồng thẩm định", "1"
        ),
    }
    shot(staff, "01-dang-ky-khoa")

    # -- the administrator checks each fingerprint and enrols the key -------------------
    import_key(admin, live.admin, "Quản trị")
    sign_in(admin, "/quan-tri/yeu-cau")
    shot(admin, "02-yeu-cau-cap-khoa")
    for name, fingerprint in asked.items():
        request = admin.locator("section.request", has_text=name)
        expect(request.locator(".fingerprint")).to_have_text(fingerprint)
        request.get_by_role("button", name="ký cấp khóa").click()
        expect(admin.locator("section.request", has_text=name)).to_contain_text("Đã cấp")
    admin_context.close()

    # -- staff score four leaves, attach evidence --------------------------------------
    sign_in(staff, "/")
    expect(staff.get_by_text("còn 4 tiêu chí chưa chấm")).to_be_visible()
    shot(staff, "03-trang-chu-can-bo")
    staff.goto(SHEET)
    panel = staff.locator("#panel")
    open_leaf(staff, "Chi tiết tiêu chí 1.1")
    panel.get_by_label("Điểm", exact=True).fill("0,75")
    expect(panel.locator("[data-preview]")).to_contain_text("Điểm theo cách tính: 0,75")
    panel.get_by_label("Ghi chú").fill("Kế hoạch ban hành ngày 15/01/2023")
    shot(staff, "04-bang-tu-cham-chi-tiet")
    signed(staff, panel.get_by_role("button", name="Ký và ghi điểm"))
    expect(staff.locator('td[data-points="1.1"]')).to_have_text("0,75")
    panel.get_by_label("Thêm TLKC").set_input_files(
        files=[{"name": "ke-hoach-cchc-2023.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    signed(staff, panel.get_by_role("button", name="Tải lên và ký đính kèm"))
    expect(panel.get_by_role("link", name="ke-hoach-cchc-2023.pdf")).to_be_visible()
    staff.locator("#receipt").get_by_role("button", name="Đóng").click()
    expect(staff.locator("#receipt")).to_be_hidden()

    open_leaf(staff, "Chi tiết tiêu chí 1.2")
    panel.get_by_label("Số đạt yêu cầu").fill("10")
    panel.get_by_label("Tổng số").fill("10")
    expect(panel.locator("[data-preview]")).to_contain_text("Điểm theo cách tính: 2,00")
    signed(staff, panel.get_by_role("button", name="Ký và ghi điểm"))
    panel.get_by_label("Thêm TLKC").set_input_files(
        files=[
            {"name": "bao-cao-dung-han.pdf", "mimeType": "application/pdf", "buffer": PDF + b"2"}
        ]
    )
    signed(staff, panel.get_by_role("button", name="Tải lên và ký đính kèm"))

    open_leaf(staff, "Chi tiết tiêu chí 1.3")
    panel.get_by_role("radio", name="Đạt (1,00 điểm)").check()
    panel.get_by_label("Giải trình cách chấm").fill(
        "Đã tổ chức 4 đợt tuyên truyền; hồ sơ lưu tại đơn vị."
    )
    signed(staff, panel.get_by_role("button", name="Ký và ghi điểm"))

    open_leaf(staff, "Chi tiết tiêu chí 2.1")
    panel.get_by_label("Số lần bị trừ điểm").fill("1")
    expect(panel.locator("[data-preview]")).to_contain_text("Điểm theo cách tính: 0,75")
    panel.get_by_label("Giải trình cách chấm").fill("Một thủ tục công bố chậm 2 ngày.")
    signed(staff, panel.get_by_role("button", name="Ký và ghi điểm"))
    expect(staff.locator("[data-total]")).to_have_text("4,50")
    staff.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    staff.locator("#receipt").get_by_role("button", name="Đóng").click()
    shot(staff, "05-bang-tu-cham")

    # -- the head submits, once --------------------------------------------------------
    sign_in(head, f"{SHEET}/gui")
    expect(head.get_by_text("đã chấm 4 trên 4 tiêu chí")).to_be_visible()
    shot(head, "06-gui-ket-qua")
    head.get_by_label("Gõ mã đơn vị").fill("D1")
    head.get_by_role("button", name="Ký và gửi kết quả tự chấm (4/4 tiêu chí)").click()
    expect(head.get_by_text("Đơn vị đã gửi kết quả tự chấm lúc")).to_be_visible()

    # -- the council member appraises their own field ----------------------------------
    sign_in(member, f"/ky/{CAMPAIGN}/tham-dinh")
    shot(member, "07-hang-doi-tham-dinh")
    member.get_by_role("link", name="Mở phiếu thẩm định của UBND huyện Đông Anh").click()
    expect(member.get_by_role("link", name="Thẩm định tiêu chí 2.1")).to_have_count(0)
    panel = member.locator("#panel")
    open_leaf(member, "Thẩm định tiêu chí 1.2")
    panel.get_by_label("Số đạt yêu cầu").fill("6")
    expect(panel.locator("[data-preview]")).to_contain_text("khác điểm tự đánh giá")
    panel.get_by_label("Lý do").fill("Sổ theo dõi ghi 6/10 báo cáo gửi đúng hạn.")
    shot(member, "08-tham-dinh-lan-1")
    signed(member, panel.get_by_role("button", name="Ký và ghi điểm thẩm định lần 1"))
    open_leaf(member, "Thẩm định tiêu chí 1.1")
    with member.context.expect_page() as opened:
        panel.get_by_role("link", name="ke-hoach-cchc-2023.pdf").click()
    assert opened.value.url.endswith("/tai-lieu/" + _sha256(PDF))
    opened.value.close()
    signed(member, panel.get_by_role("button", name="Ký và ghi điểm thẩm định lần 1"))
    panel.get_by_label("Nội dung cần đơn vị làm rõ").fill("Đề nghị gửi quyết định ban hành.")
    signed(member, panel.get_by_role("button", name="Ký yêu cầu giải trình"))
    open_leaf(member, "Thẩm định tiêu chí 1.3")
    signed(member, panel.get_by_role("button", name="Ký và ghi điểm thẩm định lần 1"))

    # -- the explanation round ---------------------------------------------------------
    live.clock.set(PRELIMINARY_CLOSES + timedelta(days=1))
    sign_in(staff, f"{SHEET}/giai-trinh")
    expect(staff.locator("section.explain")).to_have_count(2)
    explain = staff.locator("#giai-trinh-1\\.2")
    explain.get_by_label("Nội dung giải trình").fill(
        "3 báo cáo gửi qua hệ thống bị lỗi đường truyền; kèm xác nhận của Văn phòng."
    )
    signed(staff, explain.get_by_role("button", name="Ký và gửi giải trình"))
    explain = staff.locator("#giai-trinh-1\\.2")
    explain.get_by_label("TLKC bổ sung").set_input_files(
        files=[{"name": "xac-nhan-loi.pdf", "mimeType": "application/pdf", "buffer": PDF + b"3"}]
    )
    signed(staff, explain.get_by_role("button", name="Tải lên và ký đính kèm"))
    expect(staff.locator("#giai-trinh-1\\.2")).to_contain_text("TLKC bổ sung")
    explain = staff.locator("#giai-trinh-1\\.1")
    explain.get_by_label("Nội dung giải trình").fill("Quyết định số 12/QĐ-UBND, đã đính kèm.")
    signed(staff, explain.get_by_role("button", name="Ký và gửi giải trình"))
    shot(staff, "09-giai-trinh")

    # -- the final appraisal -----------------------------------------------------------
    live.clock.set(EXPLANATION_CLOSES + timedelta(days=1))
    sign_in(member, f"/ky/{CAMPAIGN}/tham-dinh-lan-2/D1")
    panel = member.locator("#panel")
    open_leaf(member, "Thẩm định tiêu chí 1.2")
    panel.get_by_role("radio", name="Sửa điểm theo số liệu mới").check()
    panel.get_by_label("Số đạt yêu cầu").fill("9")
    expect(panel.locator("[data-preview]")).to_contain_text("Điểm theo cách tính: 1,50")
    panel.get_by_label("Lý do").fill("Chấp nhận giải trình 3 báo cáo gửi lỗi đường truyền.")
    shot(member, "10-tham-dinh-lan-2")
    signed(member, panel.get_by_role("button", name="Ký và ghi điểm thẩm định lần 2"))
    open_leaf(member, "Thẩm định tiêu chí 1.1")
    panel.get_by_label("Lý do").fill("Giữ kết quả lần 1; quyết định đã được gửi.")
    signed(member, panel.get_by_role("button", name="Ký và ghi điểm thẩm định lần 2"))

    # -- the sheet's final totals, and a leaf's history --------------------------------
    member.goto(SHEET)
    expect(member.locator("[data-total]")).to_have_text("4,50")
    expect(member.locator("[data-final-total]")).to_have_text("4,00")
    shot(member, "11-bang-diem-cuoi")
    member.goto(f"{SHEET}/lich-su/1.2")
    expect(member.locator("table.history tbody tr")).to_have_count(6)
    expect(member.get_by_text("Chữ ký hợp lệ")).to_have_count(6)
    shot(member, "12-lich-su")
    for page in (staff, head, member):
        assert page.problems == [], page.problems  # type: ignore[attr-defined]
    for context in (staff_context, head_context, member_context):
        context.close()


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
