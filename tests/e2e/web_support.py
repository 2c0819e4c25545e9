"""Helpers for the browser tests: the service run by uvicorn in a thread on a free port with a
manual clock, a small world built over its API, Debian's Chromium driven by Playwright, and
screenshots kept under test-artifacts/ (not committed) for people to look at."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect

from api.http.app import create_app
from api.web.demo_keys import pkcs8
from ledger.application.settings import Settings
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from tests.e2e.http_support import Api, init_ledger, make_home, make_settings
from tests.world import START, schedule

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CAMPAIGN = "C2023"
SELF_CLOSES = START + timedelta(days=30)
PRELIMINARY_CLOSES = START + timedelta(days=45)
EXPLANATION_CLOSES = START + timedelta(days=52)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

TIERS = [
    {"max": "50", "max_inclusive": False, "points": "0"},
    {"min": "50", "max": "80", "max_inclusive": False, "points": "1"},
    {"min": "80", "max": "95", "max_inclusive": False, "points": "1.5"},
    {"min": "95", "points": "2"},
]
WEB_SET: dict[str, Any] = {
    "code": "W-SET",
    "version": 1,
    "title": "Bộ chỉ số thử của trang web",
    "precision": 2,
    "nodes": [
        {"code": "1", "level": "area", "title": "Chỉ đạo điều hành", "max_points": "4"},
        {
            "code": "1.1",
            "level": "criterion",
            "title": "Ban hành kế hoạch CCHC năm",
            "max_points": "1",
            "score_source": "appraisal",
            "lead_agency": "Sở Nội vụ",
        },
        {
            "code": "1.2",
            "level": "criterion",
            "title": "Tỷ lệ báo cáo CCHC gửi đúng hạn",
            "max_points": "2",
            "score_source": "appraisal",
            "lead_agency": "Văn phòng UBND",
            "rule": {"kind": "tiers", "tiers": TIERS},
        },
        {
            "code": "1.3",
            "level": "criterion",
            "title": "Có tổ chức tuyên truyền CCHC",
            "max_points": "1",
            "score_source": "appraisal",
            "lead_agency": "Sở Nội vụ",
            "rule": {"kind": "all_or_nothing"},
        },
        {"code": "2", "level": "area", "title": "Dịch vụ công", "max_points": "3"},
        {
            "code": "2.1",
            "level": "criterion",
            "title": "Số lần công bố thủ tục chậm",
            "max_points": "1",
            "score_source": "appraisal",
            "lead_agency": "Văn phòng UBND",
            "rule": {"kind": "deduction", "per_occurrence": "0.25"},
        },
        {
            "code": "2.2",
            "level": "criterion",
            "title": "Mức độ hài lòng (khảo sát)",
            "max_points": "2",
            "score_source": "survey",
            "lead_agency": "Sở Nội vụ",
        },
    ],
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    settings: Settings
    clock: ManualClock
    admin: SigningKey
    server_key: SigningKey
    api: Api


@contextmanager
def live_server(database_url: str, home: Path) -> Iterator[LiveServer]:
    """The service under uvicorn in a thread, on a free port, with a clock the test moves;
    the ledger initialised and the unit D1 registered, over the API."""
    admin, server_key = make_home(home)
    clock = ManualClock(START + timedelta(days=1))
    settings = make_settings(database_url, home, checkpoint_interval_seconds=3600)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, clock=clock), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=30) as client:
        api = Api(client, clock, admin, server_key)  # type: ignore[arg-type]
        init_ledger(api)
        api.ok(
            admin,
            "register_unit",
            {"code": "D1", "name": "UBND huyện Đông Anh", "kind": "district"},
        )
        try:
            yield LiveServer(url, settings, clock, admin, server_key, api)
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def campaign(live: LiveServer, code: str = CAMPAIGN) -> None:
    """The web test set and a campaign on it for D1 (self-assessment open)."""
    live.api.ok(live.admin, "define_indicator_set", WEB_SET)
    live.api.ok(
        live.admin,
        "create_campaign",
        {
            "code": code,
            "year": 2023,
            "title": "Xác định Chỉ số CCHC năm 2023 (thử)",
            "indicator_set": "W-SET",
            "indicator_set_version": 1,
            "units": ["D1"],
            "schedule": schedule(),
        },
    )


def new_person(browser: Browser, live: LiveServer) -> tuple[BrowserContext, Page]:
    """A person's own browser (its own IndexedDB), at 1280×800, in Vietnamese."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        base_url=live.url,
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text} {message.location}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.problems = problems  # type: ignore[attr-defined]
    return context, page


def import_key(page: Page, key: SigningKey, name: str) -> None:
    """Put a key made outside the browser (the genesis administrator's) into it the way the
    demo's "sign in as" does: imported as a non-extractable WebCrypto key."""
    der = pkcs8(key.private_bytes_pem())
    page.goto("/khoa")
    page.evaluate(
        """async ([der, publicKey, name]) => {
            const keys = await import('/static/js/ledger-keys.js');
            await keys.importDemoKey(der, publicKey, {name});
        }""",
        [der, key.public_key, name],
    )


def sign_in(page: Page, next_path: str = "/") -> None:
    page.goto(f"/dang-nhap?tiep={next_path}")
    page.wait_for_url(lambda url: "/dang-nhap" not in url)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def signed(page: Page, button: Any) -> int:
    """Click a button that signs an act, wait for the act's receipt, and return its log
    position."""
    box = page.locator("#receipt")
    before = box.get_attribute("data-position") if box.count() else None
    button.click()
    page.wait_for_function(
        "before => { const box = document.getElementById('receipt');"
        " return box && !box.hidden && box.dataset.position && box.dataset.position !== before; }",
        arg=before or "",
    )
    expect(box).to_contain_text("Đã ký và ghi vào sổ cái")
    return int(box.get_attribute("data-position") or -1)


def person(
    browser: Browser, live: LiveServer, name: str, roles: list[dict[str, Any]], next_path: str = "/"
) -> Page:
    """Someone whose key the administrator enrolled over the API, in their own browser,
    signed in."""
    key = SigningKey.generate()
    live.api.ok(
        live.admin,
        "enrol_key",
        {"public_key": key.public_key, "name": name, "title": "Chuyên viên", "roles": roles},
    )
    _, page = new_person(browser, live)
    import_key(page, key, name)
    sign_in(page, next_path)
    return page


def error_for(page_or_panel: Any, field: str) -> Any:
    """Where a form shows the refusal of one of its fields."""
    return page_or_panel.locator(f'[data-error-for="{field}"]:visible')
