"""The public results and the verify page, in Debian's Chromium, without signing in: the
ranking, its charts and its CSV/JSON twins (with ETags), a unit's page, and the page that
checks the publication in the visitor's browser, which passes on what the service serves and
fails visibly, naming the check, on altered data (served by Playwright's routing, a test
fixture). The browser's verifier also runs the shared vectors (tests/vectors/)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from ledger.core.crypto import SigningKey
from ledger.transparency.checkpoint import Checkpoint, sign_checkpoint
from ledger.transparency.note_keys import NoteSigner, NoteVerifier
from ledger.transparency.tlog_proof import TlogProof
from tests.e2e.public_support import CODE, PublishedWorld, published_world
from tests.e2e.web_support import ARTIFACTS

pytestmark = pytest.mark.browser
VECTORS = Path(__file__).resolve().parents[1] / "vectors"
CHECKS = ("checkpoint", "witnesses", "inclusion", "table")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedWorld]:
    with published_world(tmp_path_factory.mktemp("public") / "home") as built:
        yield built


def visitor(browser: Browser, world: PublishedWorld, width: int = 1280) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        base_url=world.url,
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.problems = problems  # type: ignore[attr-defined]
    return page


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def table_bytes(world: PublishedWorld) -> bytes:
    return world.api.client.get(f"/v1/campaigns/{CODE}/results").content


def checked(page: Page) -> dict[str, str]:
    page.wait_for_function(
        "() => ['pass', 'fail'].includes(document.getElementById('verdict').dataset.state)"
    )
    return {
        name: page.locator(f'[data-check="{name}"]').get_attribute("data-state") or ""
        for name in CHECKS
    }


# -- the results --------------------------------------------------------------------------


def test_the_results_their_charts_and_a_unit(browser: Browser, world: PublishedWorld) -> None:
    page = visitor(browser, world)
    page.goto("/")
    page.get_by_role("link", name="Kết quả công bố").first.click()
    page.get_by_role("link", name=f"Kỳ đánh giá {CODE}").click()
    expect(page.locator("h1")).to_have_text(f"Kỳ đánh giá {CODE}")
    table = json.loads(table_bytes(world))
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(len(table["units"]))
    for row in table["units"]:
        line = page.locator("table.results tbody tr", has_text=f"({row['unit']})")
        expect(line).to_contain_text(row["index"].replace(".", ",") + " %")
        expect(line).to_contain_text(f"{row['rank']}/{row['of']}")
        expect(line).to_contain_text(row["grade"])
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".map((c) => Boolean(window.Chart.getChart(c)) && c.width > 0)"
    )
    assert drawn, "no chart"
    assert all(drawn), drawn
    expect(page.get_by_role("heading", name="Phân bố xếp loại")).to_be_visible()
    page.wait_for_timeout(200)
    shot(page, "public-results")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "public-results-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    first = table["units"][0]
    page.get_by_role("link", name=first["name"]).first.click()
    expect(page).to_have_url(f"{world.url}/cong-bo/{CODE}/don-vi/{first['unit']}")
    leaves = page.locator("table.results tbody tr")
    expect(leaves).to_have_count(len(first["scores"]))
    expect(page.locator(".facts")).to_contain_text(first["index"].replace(".", ","))
    shot(page, "public-unit")
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_twins_are_the_published_bytes_and_carry_etags(world: PublishedWorld) -> None:
    client = world.api.client
    published = table_bytes(world)
    twin = client.get(f"/cong-bo/{CODE}.json")
    assert twin.status_code == 200
    assert twin.content == published
    csv = client.get(f"/cong-bo/{CODE}.csv")
    assert csv.text == client.get(f"/v1/campaigns/{CODE}/results?format=csv").text
    for path in (f"/cong-bo/{CODE}", f"/cong-bo/{CODE}.csv", f"/cong-bo/{CODE}/don-vi/D1.json"):
        first = client.get(path)
        assert first.status_code == 200, path
        again = client.get(path, headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304, path
        assert again.content == b"", path
    unit = client.get(f"/cong-bo/{CODE}/don-vi/D1.json").json()
    assert unit["result"] == next(u for u in json.loads(published)["units"] if u["unit"] == "D1")
    assert {leaf["code"] for leaf in unit["leaves"]} == set(unit["result"]["scores"])
    assert client.get("/cong-bo/C2023").status_code == 404  # not published


def test_the_tlog_proof_file_proves_the_publication(world: PublishedWorld) -> None:
    client = world.api.client
    text = client.get(f"/cong-bo/{CODE}/bang-chung.tlog-proof").text
    proof = TlogProof.from_text(text)
    assert proof.extra is not None
    key = NoteVerifier.from_string(client.get("/v1/log/key").text)
    checkpoint = proof.verify(proof.extra, key)
    event = json.loads(proof.extra)
    assert event["type"] == "ResultsPublished"
    assert event["body"]["campaign"] == CODE
    assert checkpoint.size > proof.index
    assert world.witness.name in proof.checkpoint  # the cosigned checkpoint
    assert hashlib.sha256(table_bytes(world)).hexdigest() == event["body"]["table_sha256"]


# -- the verify page ----------------------------------------------------------------------


def test_every_check_passes_on_what_the_service_serves(
    browser: Browser, world: PublishedWorld
) -> None:
    page = visitor(browser, world)
    page.goto(f"/cong-bo/{CODE}")
    page.get_by_role("link", name="Kiểm tra kết quả").first.click()
    assert checked(page) == dict.fromkeys(CHECKS, "pass")
    expect(page.locator("#verdict")).to_contain_text("Mọi bước đều đạt")
    expect(page.locator('[data-check="witnesses"]')).to_contain_text(world.witness.name)
    expect(page.locator("#key-fingerprint")).to_have_text(
        re.compile(r"^([0-9A-F]{4} ){7}[0-9A-F]{4}$")
    )
    shot(page, "public-verify")
    assert page.problems == []  # type: ignore[attr-defined]


def _altered(page: Page, pattern: str, change: Any) -> None:
    def handle(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=change(response.body()))

    page.route(pattern, handle)


def test_a_table_changed_by_one_digit_fails_the_table_check(
    browser: Browser, world: PublishedWorld
) -> None:
    page = visitor(browser, world)

    def one_digit(body: bytes) -> bytes:
        text = body.decode("utf-8")
        at = text.index('"total":"') + len('"total":"')
        digit = "1" if text[at] != "1" else "2"
        return (text[:at] + digit + text[at + 1 :]).encode("utf-8")

    _altered(page, f"**/v1/campaigns/{CODE}/results?*", one_digit)
    page.goto(f"/cong-bo/{CODE}/kiem-tra")
    assert checked(page) == {**dict.fromkeys(CHECKS, "pass"), "table": "fail"}
    failed = page.locator('[data-check="table"]')
    expect(failed).to_contain_text("Không đạt")
    expect(failed).to_contain_text("bảng đã bị sửa sau khi công bố")
    expect(page.locator("#verdict")).to_contain_text("Có bước không đạt")
    shot(page, "public-verify-table-altered")


def test_a_checkpoint_signed_by_another_key_fails(browser: Browser, world: PublishedWorld) -> None:
    page = visitor(browser, world)
    origin = "par.example.vn/thu"
    impostor = NoteSigner(origin, SigningKey.generate())

    def resigned(body: bytes) -> bytes:
        data = json.loads(body)
        text = data["checkpoint"].split("\n\n")[0] + "\n"
        data["checkpoint"] = sign_checkpoint(Checkpoint.from_text(text), impostor)
        return json.dumps(data).encode("utf-8")

    _altered(page, f"**/cong-bo/{CODE}/kiem-tra.json", resigned)
    page.goto(f"/cong-bo/{CODE}/kiem-tra")
    states = checked(page)
    assert states["checkpoint"] == "fail", states
    assert states["inclusion"] == "fail", states
    expect(page.locator('[data-check="checkpoint"]')).to_contain_text(
        "không mang chữ ký hợp lệ của khóa sổ cái"
    )


def test_a_proof_for_another_leaf_fails_the_inclusion_check(
    browser: Browser, world: PublishedWorld
) -> None:
    page = visitor(browser, world)
    client = world.api.client
    data = client.get(f"/cong-bo/{CODE}/kiem-tra.json").json()
    other = client.get(
        "/v1/log/proof/inclusion",
        params={"index": data["leaf_index"] - 1, "size": data["tree_size"]},
    ).json()

    def another_leaf(body: bytes) -> bytes:
        served = json.loads(body)
        served["proof"] = other["hashes"]
        return json.dumps(served).encode("utf-8")

    _altered(page, f"**/cong-bo/{CODE}/kiem-tra.json", another_leaf)
    page.goto(f"/cong-bo/{CODE}/kiem-tra")
    assert checked(page) == {**dict.fromkeys(CHECKS, "pass"), "inclusion": "fail", "table": "fail"}
    expect(page.locator('[data-check="inclusion"]')).to_contain_text(
        "bằng chứng là của một sự kiện khác"
    )
    shot(page, "public-verify-proof-altered")


def test_a_pinned_key_is_used_and_a_bad_one_is_refused(
    browser: Browser, world: PublishedWorld
) -> None:
    page = visitor(browser, world)
    page.goto(f"/cong-bo/{CODE}/kiem-tra")
    assert checked(page)["checkpoint"] == "pass"
    page.get_by_label("Khóa ông/bà tin cậy").fill("không phải khóa")
    page.get_by_role("button", name="Dùng khóa này và kiểm tra lại").click()
    expect(page.locator('[data-error-for="pinned-key"]')).to_be_visible()
    other = NoteSigner("par.example.vn/thu", SigningKey.generate()).verifier().to_string()
    page.get_by_label("Khóa ông/bà tin cậy").fill(other)
    page.get_by_role("button", name="Dùng khóa này và kiểm tra lại").click()
    expect(page.locator('[data-check="checkpoint"]')).to_have_attribute("data-state", "fail")
    expect(page.locator("#pin-state")).to_contain_text("máy chủ đưa ra một khóa khác")
    page.reload()
    assert checked(page)["checkpoint"] == "fail"  # remembered
    page.get_by_role("button", name="Bỏ khóa đã ghi nhớ").click()
    expect(page.locator('[data-check="checkpoint"]')).to_have_attribute("data-state", "pass")


# -- the shared vectors -------------------------------------------------------------------


RUN_VECTORS = """async (text) => {
    const v = await import('/static/js/verify-core.js');
    const vectors = JSON.parse(text);
    const inclusion = [];
    const {leaves, roots, cases} = vectors.inclusion;
    for (const c of cases) {
        const leaf = v.b64decode(leaves[c.leaf ?? c.index]);
        inclusion.push(await v.verifyInclusion(c.index, c.size, await v.leafHash(leaf),
            c.proof.map(v.b64decode), v.b64decode(roots[c.size])));
    }
    const keys = [];
    for (const c of vectors.keys) {
        keys.push(await v.parseVerifierKey(c.key, c.type).then(() => true, () => false));
    }
    const notes = [];
    for (const c of vectors.notes) {
        const found = {};
        try {
            const key = await v.parseVerifierKey(c.key);
            const text = await v.openNote(c.note, key);
            found.ok = true;
            if (c.origin) Object.assign(found, v.parseCheckpoint(text), {root: undefined});
        } catch (error) { found.ok = false; }
        if (c.witnesses) {
            found.cosigned = [];
            for (const w of c.witnesses) {
                const witness = await v.parseVerifierKey(w, v.SIG_COSIGNATURE_V1);
                const at = await v.cosignedAt(c.note, witness);
                found.cosigned.push(typeof at === 'number');
            }
        }
        notes.push(found);
    }
    const t = vectors.tlog_proof;
    const proof = v.parseTlogProof(t.text);
    const checkpoint = await v.openCheckpoint(proof.checkpoint, await v.parseVerifierKey(t.key));
    const tlog = {
        index: proof.index, size: checkpoint.size, extra: v.b64encode(proof.extra),
        ok: await v.verifyInclusion(proof.index, checkpoint.size, await v.leafHash(proof.extra),
            proof.hashes, checkpoint.root),
    };
    return {inclusion, keys, notes, tlog};
}"""


def test_the_browser_verifier_agrees_with_the_vectors(
    browser: Browser, world: PublishedWorld
) -> None:
    page = visitor(browser, world)
    page.goto("/cong-bo")
    vectors = json.loads((VECTORS / "transparency.json").read_text("utf-8"))
    found = page.evaluate(RUN_VECTORS, (VECTORS / "transparency.json").read_text("utf-8"))
    assert found["inclusion"] == [c["ok"] for c in vectors["inclusion"]["cases"]]
    assert len(found["inclusion"]) > 600
    assert found["keys"] == [c["ok"] for c in vectors["keys"]]
    for case, got in zip(vectors["notes"], found["notes"], strict=True):
        assert got["ok"] == case["ok"], case["name"]
        if "origin" in case:
            assert (got["origin"], got["size"]) == (case["origin"], case["size"]), case["name"]
        if "cosigned" in case:
            assert got["cosigned"] == case["cosigned"], case["name"]
    t = vectors["tlog_proof"]
    assert found["tlog"] == {"index": t["index"], "size": t["size"], "extra": t["leaf"], "ok": True}
    assert base64.b64decode(t["leaf"])


def test_unpublished_campaigns_have_no_public_page(world: PublishedWorld) -> None:
    with httpx.Client(base_url=world.url) as client:
        index = client.get("/cong-bo").text
        assert f"/cong-bo/{CODE}" in index
        assert "/cong-bo/C2023" not in index
        assert client.get("/cong-bo/C2023/kiem-tra").status_code == 404
