"""What keeps a signature the person's own: the private key cannot be exported from the page
(made in the browser or imported), every page carries the Content-Security-Policy and no
page breaks it, and the page's canonical bytes and scoring rules are the Python side's on
the shared vector files (tests/vectors/)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from api.web.security import CONTENT_SECURITY_POLICY
from tests.e2e.web_support import (
    CAMPAIGN,
    LiveServer,
    campaign,
    live_server,
    new_person,
    person,
)

pytestmark = pytest.mark.browser
VECTORS = Path(__file__).resolve().parents[1] / "vectors"
EXPORT_ATTEMPTS = """async () => {
    const keys = await import('/static/js/ledger-keys.js');
    const key = await keys.currentKey();
    const attempt = (format) => crypto.subtle.exportKey(format, key.privateKey)
        .then(() => 'exported', (error) => error.name);
    return {
        extractable: key.privateKey.extractable,
        pkcs8: await attempt('pkcs8'),
        jwk: await attempt('jwk'),
        raw: await attempt('raw'),
        stored: Object.keys(key).sort(),
    };
}"""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(f"sqlite:///{tmp_path}/ledger.sqlite3", tmp_path / "home") as server:
        campaign(server)
        yield server


def _refused(found: dict[str, Any]) -> None:
    assert found["extractable"] is False
    assert found["pkcs8"] == "InvalidAccessError"
    assert found["jwk"] == "InvalidAccessError"
    assert found["raw"] != "exported"
    assert found["stored"] == ["createdAt", "keyId", "origin", "person", "privateKey", "publicKey"]


def test_a_key_made_in_the_browser_cannot_be_exported(browser: Browser, live: LiveServer) -> None:
    _, page = new_person(browser, live)
    page.goto("/khoa/dang-ky")
    page.get_by_label("Họ và tên").fill("Nguyễn Văn Bình")
    page.get_by_role("button", name="Tạo khóa và gửi yêu cầu cấp").click()
    expect(page.get_by_role("heading", name="Đã gửi yêu cầu cấp khóa")).to_be_visible()
    _refused(page.evaluate(EXPORT_ATTEMPTS))


def test_an_imported_key_cannot_be_exported(browser: Browser, live: LiveServer) -> None:
    page = person(browser, live, "Nguyễn Thị Thu", [{"role": "unit_staff", "scope": ["D1"]}])
    _refused(page.evaluate(EXPORT_ATTEMPTS))


def _visit(page: Page, paths: list[str]) -> None:
    for path in paths:
        response = page.goto(path)
        assert response is not None, path
        assert response.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, path
        assert response.headers.get("x-frame-options") == "DENY", path
        page.wait_for_load_state("networkidle")


def test_every_page_carries_the_policy_and_keeps_it(browser: Browser, live: LiveServer) -> None:
    sheet = f"/ky/{CAMPAIGN}/don-vi/D1"
    _, visitor = new_person(browser, live)
    _visit(visitor, ["/", "/dang-nhap", "/khoa", "/khoa/dang-ky", "/thu", "/docs"])
    expect(visitor.locator(".swagger-ui")).to_be_visible()
    staff = person(
        browser,
        live,
        "Nguyễn Thị Thu",
        [{"role": "unit_staff", "scope": ["D1"]}, {"role": "unit_head", "scope": ["D1"]}],
    )
    _visit(
        staff,
        [
            "/",
            sheet,
            f"{sheet}/tieu-chi/1.2",
            f"{sheet}/lich-su/1.2",
            f"{sheet}/gui",
            f"{sheet}/giai-trinh",
            "/khoa",
        ],
    )
    staff.goto(sheet)
    staff.get_by_role("link", name="Chi tiết tiêu chí 1.2").click()
    expect(staff.locator("#panel h2")).to_be_focused()
    admin = person(
        browser,
        live,
        "Quản trị viên",
        [{"role": "administrator", "scope": []}, {"role": "appraiser", "scope": ["1"]}],
    )
    _visit(
        admin,
        [
            "/",
            "/quan-tri/yeu-cau",
            "/quan-tri/khoa",
            f"/ky/{CAMPAIGN}/tham-dinh",
            f"/ky/{CAMPAIGN}/tham-dinh/D1",
            f"/ky/{CAMPAIGN}/tham-dinh-lan-2",
            f"/ky/{CAMPAIGN}/tham-dinh/D1/tieu-chi/1.1",
        ],
    )
    for page in (visitor, staff, admin):
        assert page.problems == [], page.problems  # type: ignore[attr-defined]


def test_canonical_bytes_in_the_browser_are_the_python_side_s(
    browser: Browser, live: LiveServer
) -> None:
    _, page = new_person(browser, live)
    page.goto("/dang-nhap")
    text = (VECTORS / "canonical.json").read_text("ascii")
    found = page.evaluate(
        """async (text) => {
            const keys = await import('/static/js/ledger-keys.js');
            return JSON.parse(text).map((v) => Array.from(keys.canonicalBytes(v.value)));
        }""",
        text,
    )
    for vector, produced in zip(json.loads(text), found, strict=True):
        assert bytes(produced) == vector["canonical"].encode("utf-8"), vector["name"]


def test_the_rules_in_the_browser_give_the_python_side_s_points(
    browser: Browser, live: LiveServer
) -> None:
    _, page = new_person(browser, live)
    page.goto("/dang-nhap")
    text = (VECTORS / "rules.json").read_text("utf-8")
    found = page.evaluate(
        """async (text) => {
            const rules = await import('/static/js/rules.js');
            return JSON.parse(text).map((v) => {
                try {
                    return rules.compute(v.rule, v.max_points, v.precision, v.inputs);
                } catch (error) {
                    if (!(error instanceof rules.RuleError)) throw error;
                    return {error: error.code, field: error.field};
                }
            });
        }""",
        text,
    )
    vectors = json.loads(text)
    assert len(found) == len(vectors) > 600
    for vector, produced in zip(vectors, found, strict=True):
        assert produced == vector["expected"], vector
